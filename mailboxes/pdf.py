"""Upload checks by content, and the single PDF DOMICILIODIGITALE and PECMASSIVA need.

The order follows paperless-ngx: size first (nothing bigger than PDF_MAX_BYTES is read), then the
magic bytes, then pypdf must open it, it must not be encrypted, carry no JavaScript or launch
actions, and have a sensible page count. Each failure has its own message.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)

#: Names that, anywhere in a PDF, mean active content.
ACTIVE_KEYS = (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/RichMedia", b"/XFA")
_ACTIVE_RE = re.compile(rb"/(JavaScript|JS|Launch|RichMedia|XFA)(?![A-Za-z])")


@dataclass(frozen=True)
class CheckedPdf:
    content: bytes
    pages: int
    sha256: str
    name: str


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


def _has_active_content(reader, raw: bytes) -> bool:
    if _ACTIVE_RE.search(raw):
        return True
    try:
        root = reader.trailer["/Root"]
        if "/OpenAction" in root or "/AA" in root:
            action = root.get("/OpenAction")
            action = action.get_object() if hasattr(action, "get_object") else action
            if isinstance(action, dict) and action.get("/S") in ("/JavaScript", "/Launch"):
                return True
            if "/AA" in root:
                return True
        names = root.get("/Names")
        names = names.get_object() if names is not None else None
        if names is not None and ("/JavaScript" in names or "/EmbeddedFiles" in names):
            return True
    except Exception:  # a broken structure is caught by the open check
        return False
    return False


def check_pdf(upload, *, max_bytes: int | None = None, max_pages: int | None = None) -> CheckedPdf:
    """Validate an uploaded file (anything with read()); raise ValidationError with the reason."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    limit = max_bytes if max_bytes is not None else settings.PDF_MAX_BYTES
    pages_limit = max_pages if max_pages is not None else settings.PDF_MAX_PAGES
    raw = _read_limited(upload, limit)
    if not raw:
        raise ValidationError(_("Il file è vuoto."), code="empty")
    if b"%PDF-" not in raw[:1024]:
        raise ValidationError(
            _("Il file non è un PDF (il contenuto non lo è, qualunque sia l'estensione)."),
            code="not_pdf",
        )
    try:
        reader = PdfReader(io.BytesIO(raw), strict=False)
        encrypted = reader.is_encrypted
    except (PdfReadError, ValueError, TypeError, KeyError, OSError, RecursionError):
        raise ValidationError(_("Il PDF è danneggiato e non si apre."), code="broken") from None
    except Exception:
        log.info("pdf check: unexpected reader failure")
        raise ValidationError(_("Il PDF è danneggiato e non si apre."), code="broken") from None
    if encrypted or b"/Encrypt" in raw:
        raise ValidationError(
            _("Il PDF è protetto da password o cifrato: caricane una copia senza protezione."),
            code="encrypted",
        )
    try:
        count = len(reader.pages)
    except Exception:
        raise ValidationError(_("Il PDF è danneggiato e non si apre."), code="broken") from None
    if count < 1:
        raise ValidationError(_("Il PDF non ha pagine."), code="no_pages")
    if count > pages_limit:
        raise ValidationError(
            _("Il PDF ha troppe pagine (%(n)d): al massimo %(max)d.")
            % {"n": count, "max": pages_limit},
            code="too_many_pages",
        )
    if _has_active_content(reader, raw):
        raise ValidationError(
            _("Il PDF contiene JavaScript o azioni automatiche: non è accettato."),
            code="active_content",
        )
    return CheckedPdf(
        content=raw,
        pages=count,
        sha256=hashlib.sha256(raw).hexdigest(),
        name=safe_name(getattr(upload, "name", "")),
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
