"""The PDF check proper, on the file's bytes, without Django: :func:`inspect` answers
``{"code": "ok", "pages": n}`` or the refusal's code. It runs in a bounded child process
(portal/pdf/child.py); the portal maps the code to its message.

The order follows paperless-ngx: nothing but whitespace after the last ``%%EOF`` (no archive or
page glued behind the PDF), pypdf must open it, it must not be encrypted, have a sensible page
count (``/Root/Pages/Count`` first, then a bounded walk of the page tree), carry no active
content in any of its objects (active.py), and no stream may inflate beyond a budget
(decompression bombs: decoded in chunks, never whole; streams.py).
"""

from __future__ import annotations

import io
import re

from .active import Active, Inspector, raw_names_outside_streams
from .streams import HOLD_LIMIT, Bomb, Broken, Budget, TooComplex, resolve

#: Total bytes all the streams of one file may inflate to (a decompression bomb goes beyond).
DEFAULT_MAX_DECODED_BYTES = 256 * 1024 * 1024
#: Objects one file may hold (a 50-page document has a few thousand).
MAX_OBJECTS = 50_000
_PDF_WHITESPACE = b"\x00\t\n\x0c\r "
_TAIL_RE = re.compile(rb"startxref\s+(\d{1,10})\s*%%EOF[\x00\t\n\x0c\r ]*\Z")
_XREF_AT_RE = re.compile(
    rb"[\x00\t\n\x0c\r ]*(?:xref|\d{1,10}[\x00\t\n\x0c\r ]+\d{1,5}[\x00\t\n\x0c\r ]+obj)"
)
_SIZE_RE = re.compile(rb"/Size[\x00\t\n\x0c\r ]*(\d{1,12})")


class Refused(Exception):
    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


def check_tail(raw: bytes) -> None:
    """Nothing but whitespace after the last %%EOF, and no ZIP directory at the end."""
    end = raw.rfind(b"%%EOF")
    if end < 0:
        raise Refused("broken")
    if raw[end + 5 :].strip(_PDF_WHITESPACE):
        raise Refused("polyglot")
    tail = _TAIL_RE.search(raw, max(0, end - 64))
    if not tail:
        # ``startxref <offset> %%EOF`` is how every PDF ends; anything else before the final
        # %%EOF (e.g. a ZIP comment ending in "%%EOF") is not a PDF's end.
        raise Refused("polyglot")
    # The offset must point at the cross-reference section: otherwise pypdf rebuilds the xref
    # by scanning the whole file, which on a big hostile file takes seconds.
    if not _XREF_AT_RE.match(raw, int(tail.group(1))):
        raise Refused("broken")
    # Bounded work for pypdf: a file of 10 MB can hold hundreds of thousands of tiny objects.
    if raw.count(b"endobj") > MAX_OBJECTS:
        raise Refused("broken")
    for size in _SIZE_RE.finditer(raw):
        if int(size.group(1)) > MAX_OBJECTS:
            raise Refused("broken")
    # A ZIP is read from its end: its end-of-central-directory record sits in the last 64 KB.
    # One whose central directory is really where the record says is an archive glued in.
    window = max(0, len(raw) - 65_557)
    at = raw.rfind(b"PK\x05\x06", window)
    while at >= window:
        record = raw[at : at + 22]
        if len(record) == 22:
            cd_size = int.from_bytes(record[12:16], "little")
            cd_start = at - cd_size
            if cd_start >= 0 and raw[cd_start : cd_start + 4] == b"PK\x01\x02":
                raise Refused("polyglot")
        at = raw.rfind(b"PK\x05\x06", window, at)


def _count_pages(root, pages_limit: int) -> int:
    """The leaves of the page tree, walked without recursion; stops past the limit."""
    node = resolve(root.get("/Pages"))
    if not isinstance(node, dict):
        raise Broken
    stack, visited, leaves, steps = [node], set(), 0, 0
    while stack:
        node = resolve(stack.pop())
        steps += 1
        if steps > 4 * pages_limit + 64 or not isinstance(node, dict) or id(node) in visited:
            raise Broken  # a loop, a non-dictionary or a tree far bigger than its pages
        visited.add(id(node))
        kids = resolve(node.get("/Kids"))
        if node.get("/Type") == "/Page" or kids is None:
            leaves += 1
            if leaves > pages_limit:
                break
            continue
        if not isinstance(kids, list):
            raise Broken
        if len(kids) > pages_limit + 1:
            return len(kids)
        stack.extend(reversed(kids))
    return leaves


def _pages(reader, pages_limit: int) -> int:
    from pypdf.generic import BooleanObject

    root = resolve(reader.trailer.get("/Root"))
    if not isinstance(root, dict):
        raise Broken
    tree = resolve(root.get("/Pages"))
    if not isinstance(tree, dict):
        raise Broken
    declared = resolve(tree.get("/Count"))
    # /Count first, before a single page is walked
    is_number = isinstance(declared, int) and not isinstance(declared, BooleanObject)
    if is_number and declared > pages_limit:
        raise Refused("too_many_pages", count=int(declared))
    count = _count_pages(root, pages_limit)
    if count < 1:
        raise Refused("no_pages")
    if count > pages_limit:
        raise Refused("too_many_pages", count=count)
    return count


def _parsed(raw: bytes, pages_limit: int, max_decoded: int) -> int:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(raw), strict=False)
        encrypted = reader.is_encrypted
    except (MemoryError, TooComplex):
        raise
    except Exception:
        raise Refused("broken") from None
    if encrypted or b"/Encrypt" in raw:
        raise Refused("encrypted")
    count = _pages(reader, pages_limit)
    if raw_names_outside_streams(raw):
        raise Active
    inspector = Inspector(reader, raw, Budget(max_decoded))
    inspector.run()
    inspector.decode_streams()
    return count


def _ran_out_of_memory(exc: BaseException) -> bool:
    """Whether a MemoryError is among the causes of ``exc``."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, MemoryError):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def inspect(raw: bytes, pages_limit: int, max_decoded: int = DEFAULT_MAX_DECODED_BYTES) -> dict:
    """What the check makes of a file that starts with ``%PDF-`` and is within the size."""
    from pypdf import apply_configuration

    try:
        check_tail(raw)
        # pypdf's own limits, for what it decodes itself (xref and object streams).
        with apply_configuration(
            zlib_maximum_output_length=HOLD_LIMIT,
            zlib_maximum_recovery_input_length=256 * 1024,
            lzw_maximum_output_length=HOLD_LIMIT,
            run_length_maximum_output_length=HOLD_LIMIT,
            brotli_maximum_output_length=HOLD_LIMIT,
            jbig2_maximum_output_length=HOLD_LIMIT,
            array_based_stream_maximum_output_length=HOLD_LIMIT,
            stream_decoding_work_maximum_length=4 * HOLD_LIMIT,
            maximum_declared_stream_length=max(len(raw), 1),
            page_tree_maximum_entries=10 * pages_limit + 100,
            page_tree_maximum_page_entries=100 * pages_limit + 1000,
            outline_maximum_entries=MAX_OBJECTS,
            form_fields_maximum_entries=MAX_OBJECTS,
        ):
            pages = _parsed(raw, pages_limit, max_decoded)
    except Refused as refused:
        return {"code": refused.code, **refused.params}
    except Active:
        return {"code": "active_content"}
    except Bomb:
        return {"code": "bomb"}
    except (TooComplex, MemoryError):
        return {"code": "too_complex"}
    except Exception as exc:  # Broken, pypdf errors, RecursionError, anything odd
        if _ran_out_of_memory(exc):
            # pypdf turns a MemoryError met while reading an object into PdfReadError: the
            # file did not fit the check's memory, it is not shown to be damaged
            return {"code": "too_complex"}
        note = "" if isinstance(exc, Broken) else type(exc).__name__
        return {"code": "broken", "note": note}
    return {"code": "ok", "pages": pages}
