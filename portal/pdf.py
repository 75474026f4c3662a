"""Upload checks by content, and the single PDF DOMICILIODIGITALE and PECMASSIVA need.

The order follows paperless-ngx: size first (nothing bigger than PDF_MAX_BYTES is read), then the
magic bytes (the file must start with ``%PDF-``), nothing but whitespace after the last ``%%EOF``
(no archive or page glued behind the PDF), then pypdf must open it, it must not be encrypted,
have a sensible page count (``/Root/Pages/Count`` first, then a bounded walk of the page tree),
no stream may inflate beyond a budget (decompression bombs: decoded in chunks, never whole), and
it must carry no JavaScript, launch actions or embedded files, looked for both in the raw bytes
and in the parsed objects (so what hides in compressed object streams is found too). Each failure
has its own message. Every step is bounded in time and memory whatever the file holds.
"""

from __future__ import annotations

import binascii
import hashlib
import io
import logging
import re
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)

#: Names that, anywhere in a PDF, mean active content.
ACTIVE_KEYS = (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/RichMedia", b"/XFA")
_ACTIVE_RE = re.compile(rb"/(JavaScript|JS|Launch|RichMedia|XFA)(?![A-Za-z])")

#: Total bytes all the streams of one file may inflate to (a decompression bomb goes beyond).
DEFAULT_MAX_DECODED_BYTES = 256 * 1024 * 1024
#: An intermediate result (a filter chain, an object stream) is held at most this big.
_HOLD_LIMIT = 32 * 1024 * 1024
_CHUNK = 1024 * 1024
#: Objects the active-content walk may visit (pages, annotations, actions, fields, outlines).
_WALK_BUDGET = 50_000
#: Streams one file may hold (a 50-page document has hundreds; more is a hostile structure).
_MAX_STREAMS = 5_000
_PDF_WHITESPACE = b"\x00\t\n\x0c\r "
_TAIL_RE = re.compile(rb"startxref\s+(\d{1,10})\s*%%EOF[\x00\t\n\x0c\r ]*\Z")
_XREF_AT_RE = re.compile(
    rb"[\x00\t\n\x0c\r ]*(?:xref|\d{1,10}[\x00\t\n\x0c\r ]+\d{1,5}[\x00\t\n\x0c\r ]+obj)"
)
_XREF_ROW_RE = re.compile(rb"\d{10} \d{5} [fn]")
_SIZE_RE = re.compile(rb"/Size[\x00\t\n\x0c\r ]*(\d{1,12})")
#: Objects one file may hold (a 50-page document has a few thousand).
_MAX_OBJECTS = 50_000
_ACTIONS = ("/JavaScript", "/Launch")
_FLATE = ("/FlateDecode", "/Fl")
_TERMINAL_FILTERS = (
    "/DCTDecode",
    "/DCT",
    "/JPXDecode",
    "/CCITTFaxDecode",
    "/CCF",
    "/JBIG2Decode",
    "/Crypt",
)


@dataclass(frozen=True)
class CheckedPdf:
    content: bytes
    pages: int
    sha256: str
    name: str


class _Bomb(Exception):
    pass


class _Active(Exception):
    pass


class _Broken(Exception):
    pass


def safe_name(name: str) -> str:
    """The uploaded file's name, reduced to something harmless to show (never used on disk)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = re.sub(r"[^\w.\- ]", "_", base, flags=re.UNICODE).strip(" .")
    return base[:100] or "documento.pdf"


def _read_limited(upload, limit: int) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise _too_big(limit)
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _too_big(limit)
    return data


def _too_big(limit: int) -> ValidationError:
    return ValidationError(
        _("Il file è troppo grande: al massimo %(mb)s MB.") % {"mb": f"{limit / 1048576:g}"},
        code="too_big",
    )


def _broken() -> ValidationError:
    return ValidationError(_("Il PDF è danneggiato e non si apre."), code="broken")


def _active() -> ValidationError:
    return ValidationError(
        _("Il PDF contiene JavaScript o azioni automatiche: non è accettato."),
        code="active_content",
    )


def _bomb() -> ValidationError:
    return ValidationError(
        _(
            "Il PDF contiene dati compressi che si espandono a dismisura (una «bomba di "
            "decompressione»): non è accettato."
        ),
        code="bomb",
    )


def _polyglot() -> ValidationError:
    return ValidationError(
        _(
            "Il PDF ha altri dati attaccati dopo la fine del documento (per esempio un archivio "
            "ZIP): non è accettato. Salvalo di nuovo come PDF e ricaricalo."
        ),
        code="polyglot",
    )


# --------------------------------------------------------------------------- raw bytes


def _check_tail(raw: bytes) -> None:
    """Nothing but whitespace after the last %%EOF, and no ZIP directory at the end."""
    end = raw.rfind(b"%%EOF")
    if end < 0:
        raise _broken()
    if raw[end + 5 :].strip(_PDF_WHITESPACE):
        raise _polyglot()
    tail = _TAIL_RE.search(raw, max(0, end - 64))
    if not tail:
        # ``startxref <offset> %%EOF`` is how every PDF ends; anything else before the final
        # %%EOF (e.g. a ZIP comment ending in "%%EOF") is not a PDF's end.
        raise _polyglot()
    # The offset must point at the cross-reference section: otherwise pypdf rebuilds the xref
    # by scanning the whole file, which on a big hostile file takes seconds.
    if not _XREF_AT_RE.match(raw, int(tail.group(1))):
        raise _broken()
    # Bounded work for pypdf: a file of 10 MB can hold hundreds of thousands of tiny objects.
    if raw.count(b"endobj") > _MAX_OBJECTS:
        raise _broken()
    for rows, _row in enumerate(_XREF_ROW_RE.finditer(raw), 1):
        if rows > _MAX_OBJECTS:
            raise _broken()
    for size in _SIZE_RE.finditer(raw):
        if int(size.group(1)) > _MAX_OBJECTS:
            raise _broken()
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
                raise _polyglot()
        at = raw.rfind(b"PK\x05\x06", window, at)


# --------------------------------------------------------------------------- streams


def _resolve(obj):
    return obj.get_object() if hasattr(obj, "get_object") else obj


class _Budget:
    def __init__(self, total: int):
        self.left = total

    def spend(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise _Bomb


def _inflate(data: bytes, budget: _Budget, hold: bool) -> bytes:
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
                    if len(out) + len(chunk) > _HOLD_LIMIT:
                        raise _Bomb
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


def _decode_capped(stream, budget: _Budget, hold: bool) -> bytes | None:
    """Run the stream's filters with a cap; the result only when ``hold`` (else None)."""
    from pypdf.errors import LimitReachedError
    from pypdf.filters import ASCII85Decode, LZWDecode, RunLengthDecode

    filters = _resolve(stream.get("/Filter"))
    if filters is None:
        return stream._data if hold else None
    if not isinstance(filters, list):
        filters = [filters]
    if len(filters) > 8:
        raise _Broken
    data = stream._data
    for index, name in enumerate(filters):
        name = str(_resolve(name))
        last = index == len(filters) - 1
        keep = hold or not last
        if name in _TERMINAL_FILTERS:
            return None
        if name in _FLATE:
            data = _inflate(data, budget, keep)
            continue
        try:
            if name in ("/ASCIIHexDecode", "/AHx"):
                digits = re.sub(rb"[\x00\t\n\x0c\r ]", b"", bytes(data).split(b">", 1)[0])
                data = binascii.unhexlify(digits + b"0" * (len(digits) % 2))
            elif name in ("/ASCII85Decode", "/A85"):
                data = ASCII85Decode.decode(data)
            elif name in ("/LZWDecode", "/LZW"):
                data = LZWDecode.decode(data)
                budget.spend(len(data))
            elif name in ("/RunLengthDecode", "/RL"):
                data = RunLengthDecode.decode(data)
                budget.spend(len(data))
            else:
                return None  # unknown to us: no reader decodes it either
        except LimitReachedError:
            raise _Bomb from None
        except Exception:
            return None  # undecodable: nothing comes out of it
        if isinstance(data, str):
            data = data.encode("latin-1", "replace")
    return data if hold else None


def _stream_owners(reader, raw: bytes) -> list[tuple[int, int]]:
    """The (number, generation) of the objects holding a ``stream`` keyword, found from the
    raw bytes and the xref offsets: only those are parsed, not every object of the file."""
    import bisect

    starts = sorted(
        (offset, number, generation)
        for generation, entries in reader.xref.items()
        for number, offset in entries.items()
        if isinstance(offset, int) and generation != 65535
    )
    offsets = [start[0] for start in starts]
    owners: dict[tuple[int, int], None] = {}
    pos = raw.find(b"stream")
    while pos >= 0:
        found, pos = pos, raw.find(b"stream", pos + 6)
        if raw[found - 3 : found] == b"end":
            continue
        at = bisect.bisect_right(offsets, found) - 1
        if at >= 0:
            owners[starts[at][1:]] = None
            if len(owners) > _MAX_STREAMS:
                raise _Broken
    return list(owners)


def _check_streams(reader, raw: bytes, budget: _Budget) -> None:
    """Decode every stream of the file under the budget; grep object streams for actions."""
    from pypdf.generic import IndirectObject, StreamObject

    for number, generation in _stream_owners(reader, raw):
        # An object holding a stream that cannot be read: what another reader would make of
        # it is unknown, so the file is refused (as damaged) rather than passed unchecked.
        obj = reader.get_object(IndirectObject(number, generation, reader))
        if not isinstance(obj, StreamObject):
            continue
        objstm = obj.get("/Type") == "/ObjStm"
        data = _decode_capped(obj, budget, hold=objstm)
        if objstm and data and _ACTIVE_RE.search(data):
            raise _Active


# --------------------------------------------------------------------------- structure


def _count_pages(root, pages_limit: int) -> int:
    """The leaves of the page tree, walked without recursion; stops past the limit."""
    node = _resolve(root.get("/Pages"))
    if not isinstance(node, dict):
        raise _Broken
    stack, visited, leaves, steps = [node], set(), 0, 0
    while stack:
        node = _resolve(stack.pop())
        steps += 1
        if steps > 4 * pages_limit + 64 or not isinstance(node, dict) or id(node) in visited:
            raise _Broken  # a loop, a non-dictionary or a tree far bigger than its pages
        visited.add(id(node))
        kids = _resolve(node.get("/Kids"))
        if node.get("/Type") == "/Page" or kids is None:
            leaves += 1
            if leaves > pages_limit:
                break
            continue
        if not isinstance(kids, list):
            raise _Broken
        if len(kids) > pages_limit + 1:
            return len(kids)
        stack.extend(reversed(kids))
    return leaves


class _Walker:
    """Bounded search for JavaScript, launch actions and embedded files in the parsed objects."""

    def __init__(self):
        self.left = _WALK_BUDGET
        self.seen: set[int] = set()

    def visit(self, obj):
        """The resolved object, or None when already seen; charges the budget."""
        self.left -= 1
        if self.left < 0:
            raise _Broken
        ref = getattr(obj, "indirect_reference", None)
        obj = _resolve(obj)
        key = (ref.idnum, ref.generation) if ref is not None else id(obj)
        if key in self.seen:
            return None
        self.seen.add(key)
        return obj

    def action(self, obj) -> None:
        """An action and its /Next chain (a dictionary or an array of them)."""
        todo = [obj]
        while todo:
            item = self.visit(todo.pop())
            if isinstance(item, list):
                todo.extend(item)
                continue
            if not isinstance(item, dict):
                continue
            if item.get("/S") in _ACTIONS or "/JS" in item:
                raise _Active
            if item.get("/S") == "/GoToE":  # opens an embedded file
                raise _Active
            nxt = item.get("/Next")
            if nxt is not None:
                todo.append(nxt)

    def triggers(self, aa) -> None:
        """An additional-actions dictionary (/AA): each trigger holds an action."""
        aa = self.visit(aa) if aa is not None else None
        if isinstance(aa, dict):
            for value in aa.values():
                self.action(value)

    def annotation(self, annot) -> None:
        annot = self.visit(annot)
        if not isinstance(annot, dict):
            return
        if annot.get("/Subtype") in ("/FileAttachment", "/RichMedia"):
            raise _Active
        if "/A" in annot:
            self.action(annot["/A"])
        self.triggers(annot.get("/AA"))

    def page(self, page) -> None:
        page = _resolve(page)
        self.triggers(page.get("/AA"))
        annots = _resolve(page.get("/Annots"))
        if isinstance(annots, list):
            for annot in annots:
                self.annotation(annot)

    def fields(self, fields) -> None:
        todo = [fields]
        while todo:
            item = self.visit(todo.pop())
            if isinstance(item, list):
                todo.extend(item)
                continue
            if not isinstance(item, dict):
                continue
            if "/A" in item:
                self.action(item["/A"])
            self.triggers(item.get("/AA"))
            if "/Kids" in item:
                todo.append(item["/Kids"])

    def outlines(self, outlines) -> None:
        outlines = _resolve(outlines)
        todo = [outlines.get("/First")] if isinstance(outlines, dict) else []
        while todo:
            item = self.visit(todo.pop())
            if not isinstance(item, dict):
                continue
            if "/A" in item:
                self.action(item["/A"])
            for key in ("/First", "/Next"):
                if key in item:
                    todo.append(item[key])


def _pages_of(root):
    """The page dictionaries (the tree is already known to be small and loop-free)."""
    stack = [_resolve(root.get("/Pages"))]
    while stack:
        node = _resolve(stack.pop())
        kids = _resolve(node.get("/Kids"))
        if node.get("/Type") == "/Page" or kids is None:
            yield node
        else:
            stack.extend(reversed(kids))


def _check_structure(root) -> None:
    walker = _Walker()
    if "/OpenAction" in root:
        opened = _resolve(root["/OpenAction"])
        if isinstance(opened, dict):  # an array is only a destination
            walker.action(opened)
    aa = _resolve(root.get("/AA"))
    if aa:  # document-level triggers (close, save, print) exist only for scripts
        raise _Active
    names = _resolve(root.get("/Names"))
    if isinstance(names, dict) and ("/JavaScript" in names or "/EmbeddedFiles" in names):
        raise _Active
    form = _resolve(root.get("/AcroForm"))
    if isinstance(form, dict):
        if "/XFA" in form:
            raise _Active
        if "/Fields" in form:
            walker.fields(form["/Fields"])
    if "/Outlines" in root:
        walker.outlines(root["/Outlines"])
    for page in _pages_of(root):
        walker.page(page)


# --------------------------------------------------------------------------- entry points


def check_pdf(upload, *, max_bytes: int | None = None, max_pages: int | None = None) -> CheckedPdf:
    """Validate an uploaded file (anything with read()); raise ValidationError with the reason."""
    from pypdf import apply_configuration

    limit = max_bytes if max_bytes is not None else settings.PDF_MAX_BYTES
    pages_limit = max_pages if max_pages is not None else settings.PDF_MAX_PAGES
    raw = _read_limited(upload, limit)
    if not raw:
        raise ValidationError(_("Il file è vuoto."), code="empty")
    if not raw.startswith(b"%PDF-"):
        raise ValidationError(
            _("Il file non è un PDF (il contenuto non lo è, qualunque sia l'estensione)."),
            code="not_pdf",
        )
    _check_tail(raw)
    # pypdf's own limits, for what it decodes itself (xref and object streams), kept low for
    # this call only (the configuration is per execution context).
    with apply_configuration(
        zlib_maximum_output_length=_HOLD_LIMIT,
        zlib_maximum_recovery_input_length=256 * 1024,
        lzw_maximum_output_length=_HOLD_LIMIT,
        run_length_maximum_output_length=_HOLD_LIMIT,
        brotli_maximum_output_length=_HOLD_LIMIT,
        jbig2_maximum_output_length=_HOLD_LIMIT,
        array_based_stream_maximum_output_length=_HOLD_LIMIT,
        stream_decoding_work_maximum_length=4 * _HOLD_LIMIT,
        maximum_declared_stream_length=max(limit, 1),
        page_tree_maximum_entries=10 * pages_limit + 100,
        page_tree_maximum_page_entries=100 * pages_limit + 1000,
        outline_maximum_entries=_WALK_BUDGET,
        form_fields_maximum_entries=_WALK_BUDGET,
    ):
        count = _check_parsed(raw, pages_limit)
    return CheckedPdf(
        content=raw,
        pages=count,
        sha256=hashlib.sha256(raw).hexdigest(),
        name=safe_name(getattr(upload, "name", "")),
    )


def _check_parsed(raw: bytes, pages_limit: int) -> int:
    from pypdf import PdfReader
    from pypdf.generic import BooleanObject

    try:
        reader = PdfReader(io.BytesIO(raw), strict=False)
        encrypted = reader.is_encrypted
    except Exception:
        raise _broken() from None
    if encrypted or b"/Encrypt" in raw:
        raise ValidationError(
            _("Il PDF è protetto da password o cifrato: caricane una copia senza protezione."),
            code="encrypted",
        )
    try:
        root = _resolve(reader.trailer.get("/Root"))
        if not isinstance(root, dict):
            raise _Broken
        tree = _resolve(root.get("/Pages"))
        if not isinstance(tree, dict):
            raise _Broken
        declared = _resolve(tree.get("/Count"))
        # /Count first, before a single page is walked
        if (
            isinstance(declared, int)
            and not isinstance(declared, BooleanObject)
            and declared > pages_limit
        ):
            raise _too_many(int(declared), pages_limit)
        count = _count_pages(root, pages_limit)
        if count < 1:
            raise ValidationError(_("Il PDF non ha pagine."), code="no_pages")
        if count > pages_limit:
            raise _too_many(count, pages_limit)
        if _ACTIVE_RE.search(raw):
            raise _Active
        budget = _Budget(getattr(settings, "PDF_MAX_DECODED_BYTES", DEFAULT_MAX_DECODED_BYTES))
        _check_streams(reader, raw, budget)
        _check_structure(root)
    except ValidationError:
        raise
    except _Bomb:
        raise _bomb() from None
    except _Active:
        raise _active() from None
    except MemoryError:
        raise _bomb() from None
    except Exception as exc:  # _Broken, pypdf errors, RecursionError, anything odd
        if not isinstance(exc, _Broken):
            log.info("pdf check: unexpected failure %s", type(exc).__name__)
        raise _broken() from None
    return count


def _too_many(count: int, pages_limit: int) -> ValidationError:
    return ValidationError(
        _("Il PDF ha troppe pagine (%(n)d): al massimo %(max)d.")
        % {"n": count, "max": pages_limit},
        code="too_many_pages",
    )


def merge_pdfs(*contents: bytes) -> bytes:
    """One PDF with the pages of each (already checked) PDF, in order."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for content in contents:
        writer.append(io.BytesIO(content))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
