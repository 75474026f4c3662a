"""Decoding a PDF's streams under a budget, with a cap per filter (no Django here).

Only what the check needs is decoded. Flate is inflated in 1 MB steps and its output counted
against the file's budget (decompression bombs), kept only when it is needed (an object stream,
or the input of a further filter). The filters whose output is at most a few times their input
(RunLength at most 64×, ASCII85 4×, ASCIIHex ½×) are not decoded when they are the last of a
stream: they cannot hide a bomb and decoding them is slow and memory-hungry in pure Python.
LZW can expand a thousandfold and pypdf decodes it at under 1 MB a second, so a file may hold
only a little of it. A filter the check cannot run within its caps makes the file "too complex".
"""

from __future__ import annotations

import binascii
import re
import zlib

#: An intermediate result (a filter chain, an object stream) is held at most this big.
HOLD_LIMIT = 32 * 1024 * 1024
#: Encoded bytes of each slow filter one file may make the check decode (pure Python decoders).
SLOW_FILTER_INPUT = {"lzw": 512 * 1024, "runlength": 1024 * 1024, "ascii85": 2 * 1024 * 1024}
_CHUNK = 1024 * 1024
_FLATE = ("/FlateDecode", "/Fl")
_LZW = ("/LZWDecode", "/LZW")
_RUNLENGTH = ("/RunLengthDecode", "/RL")
_ASCII85 = ("/ASCII85Decode", "/A85")
_ASCIIHEX = ("/ASCIIHexDecode", "/AHx")
#: Image codecs: their output is pixels, never more objects; not decoded.
_TERMINAL = (
    "/DCTDecode",
    "/DCT",
    "/JPXDecode",
    "/CCITTFaxDecode",
    "/CCF",
    "/JBIG2Decode",
    "/Crypt",
)
_WHITESPACE_RE = re.compile(rb"[\x00\t\n\x0c\r ]")


class Bomb(Exception):
    """The streams inflate beyond the file's budget."""


class TooComplex(Exception):
    """Checking the file would take more time or memory than the check is given."""


class Broken(Exception):
    """A structure no reader can make sense of."""


class Budget:
    """Decoded bytes the whole file may produce, and encoded bytes per slow filter."""

    def __init__(self, total: int):
        self.left = total
        self.slow = dict(SLOW_FILTER_INPUT)

    def spend(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise Bomb

    def slow_input(self, kind: str, n: int) -> None:
        self.slow[kind] -= n
        if self.slow[kind] < 0:
            raise TooComplex


def resolve(obj):
    return obj.get_object() if hasattr(obj, "get_object") else obj


def _inflate(data: bytes, budget: Budget, hold: bool) -> bytes:
    """Inflate in 1 MB steps, charging the budget; keep the output only if ``hold``."""
    out = bytearray()
    for wbits in (zlib.MAX_WBITS | 32, -zlib.MAX_WBITS):
        decoder = zlib.decompressobj(wbits)
        buf, produced = data, 0
        try:
            while True:
                chunk = decoder.decompress(buf, _CHUNK)
                produced += len(chunk)
                budget.spend(len(chunk))
                if hold:
                    if len(out) + len(chunk) > HOLD_LIMIT:
                        raise Bomb
                    out += chunk
                tail = decoder.unconsumed_tail
                if decoder.eof or (not chunk and (not tail or len(tail) == len(buf))):
                    break
                buf = tail
            return bytes(out)
        except zlib.error:
            if produced:  # a corrupt tail: what came out is what a reader gets
                return bytes(out)
            out.clear()
    return b""


def decode(stream, budget: Budget, hold: bool) -> bytes | None:
    """Run the stream's filters within the caps; the result only when ``hold`` (else None)."""
    from pypdf.errors import LimitReachedError
    from pypdf.filters import ASCII85Decode, LZWDecode, RunLengthDecode

    filters = resolve(stream.get("/Filter"))
    if filters is None:
        return stream._data if hold else None
    if not isinstance(filters, list):
        filters = [filters]
    if len(filters) > 8:
        raise Broken
    data = stream._data
    for index, name in enumerate(filters):
        name = str(resolve(name))
        keep = hold or index < len(filters) - 1
        if name in _TERMINAL:
            return None
        if name in _FLATE:
            data = _inflate(data, budget, keep)
            continue
        if not keep and name in (*_RUNLENGTH, *_ASCII85, *_ASCIIHEX):
            return None  # bounded expansion: no bomb can hide here
        try:
            if name in _ASCIIHEX:
                digits = _WHITESPACE_RE.sub(b"", bytes(data).split(b">", 1)[0])
                data = binascii.unhexlify(digits + b"0" * (len(digits) % 2))
            elif name in _ASCII85:
                budget.slow_input("ascii85", len(data))
                data = ASCII85Decode.decode(data)
            elif name in _LZW:
                budget.slow_input("lzw", len(data))
                data = LZWDecode.decode(data)
                budget.spend(len(data))
            elif name in _RUNLENGTH:
                budget.slow_input("runlength", len(data))
                data = RunLengthDecode.decode(data)
                budget.spend(len(data))
            else:
                return None  # unknown to us: no reader decodes it either
        except LimitReachedError:
            raise Bomb from None
        except (Bomb, TooComplex, MemoryError):
            raise
        except Exception:
            return None  # undecodable: nothing comes out of it
        if isinstance(data, str):
            data = data.encode("latin-1", "replace")
        if keep and len(data) > HOLD_LIMIT:
            raise Bomb
    return data if hold else None
