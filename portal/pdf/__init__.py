"""Upload checks by content, and the single PDF DOMICILIODIGITALE and PECMASSIVA need.

Here, in the web process: the size first (nothing bigger than PDF_MAX_BYTES is read), the
magic bytes (the file must start with ``%PDF-``), then everything else in a child process
(child.py, inspection.py) held by the kernel to ``CHECK_MEMORY`` bytes beyond its interpreter
and ``CHECK_SECONDS`` of CPU (a wall-clock backstop beyond it): whatever a file holds (LZW that
pypdf decodes at under 1 MB a second, RunLength or ASCII85 streams that would grow a worker by
hundreds of MB, a hundred thousand warnings), the check ends within those bounds, accepted or
refused with its message, and the web process neither grows nor holds the GIL meanwhile. Each
refusal has its own message; what pypdf says about a file becomes at most one log line.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import subprocess
import sys
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .inspection import DEFAULT_MAX_DECODED_BYTES

log = logging.getLogger(__name__)

#: CPU seconds one check may take (the child's user + system time after pypdf is imported):
#: what a file costs, whatever else the machine is doing; past it the file is "too complex".
CHECK_SECONDS = 1.8
#: Wall-clock seconds the web process waits at most (starting the child included). Only a
#: machine too busy to give the child its CPU seconds reaches it: the check could not be made
#: ("unavailable": try again), which says nothing about the file. A 1.8 s wall limit refused
#: ordinary one-page scans as "too complex" at a load average of 10.
CHECK_WALL_SECONDS = 10.0
#: Memory one check may take beyond the child's interpreter with pypdf imported (~45 MB).
CHECK_MEMORY = 100 * 1024 * 1024

_HERE = os.path.dirname(os.path.abspath(__file__))
# The child imports this package's Django-free modules without running portal/__init__.py
# (which loads Celery) nor this file (Django): empty parent packages pointing at the folders.
_BOOT = (
    "import sys, types\n"
    f"for name, path in (('portal', {os.path.dirname(_HERE)!r}), ('portal.pdf', {_HERE!r})):\n"
    "    module = types.ModuleType(name)\n"
    "    module.__path__ = [path]\n"
    "    sys.modules[name] = module\n"
    "from portal.pdf.child import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


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


# --------------------------------------------------------------------------- messages


def _too_big(limit: int) -> ValidationError:
    return ValidationError(
        _("Il file è troppo grande: al massimo %(mb)s MB.") % {"mb": f"{limit / 1048576:g}"},
        code="too_big",
    )


def _too_many(count: int, pages_limit: int) -> ValidationError:
    return ValidationError(
        _("Il PDF ha troppe pagine (%(n)d): al massimo %(max)d.")
        % {"n": count, "max": pages_limit},
        code="too_many_pages",
    )


MESSAGES = {
    "broken": _("Il PDF è danneggiato e non si apre."),
    "encrypted": _("Il PDF è protetto da password o cifrato: caricane una copia senza protezione."),
    "no_pages": _("Il PDF non ha pagine."),
    "active_content": _(
        "Il PDF contiene JavaScript o azioni automatiche (o file allegati, contenuti multimediali "
        "o 3D, collegamenti che aprono programmi o file): non è accettato. Salvalo di nuovo come "
        "PDF semplice e ricaricalo."
    ),
    "bomb": _(
        "Il PDF contiene dati compressi che si espandono a dismisura (una «bomba di "
        "decompressione»): non è accettato."
    ),
    "polyglot": _(
        "Il PDF ha altri dati attaccati dopo la fine del documento (per esempio un archivio "
        "ZIP): non è accettato. Salvalo di nuovo come PDF e ricaricalo."
    ),
    "too_complex": _(
        "Il PDF è troppo complesso da controllare in tempi e memoria ragionevoli: non è "
        "accettato. Salvalo di nuovo come PDF (per esempio con «Stampa» e «Salva come PDF») e "
        "ricaricalo."
    ),
    "unavailable": _("Non è stato possibile controllare il PDF in questo momento: riprova."),
}


def _refusal(code: str) -> ValidationError:
    return ValidationError(MESSAGES[code], code=code)


# --------------------------------------------------------------------------- the child


def _inspect_bounded(raw: bytes, pages_limit: int, max_decoded: int) -> dict:
    """The child's answer (inspection.inspect's), or too_complex when a limit stopped it."""
    params = {
        "pages_limit": pages_limit,
        "max_decoded": max_decoded,
        "memory": CHECK_MEMORY,
        "cpu_seconds": CHECK_SECONDS,
    }
    command = [sys.executable, "-I", "-c", _BOOT, json.dumps(params)]
    try:
        # our own interpreter with fixed arguments, no shell; the file goes on stdin
        done = subprocess.run(  # noqa: S603
            command,
            input=raw,
            capture_output=True,
            timeout=CHECK_WALL_SECONDS,
            env={},
            cwd="/",
            check=False,
        )
    except subprocess.TimeoutExpired:
        # the CPU timer had not fired: the machine is too busy, not the file too costly
        log.warning("pdf check: no answer within %.1f s (machine busy)", CHECK_WALL_SECONDS)
        return {"code": "unavailable"}
    except OSError as exc:  # no process could be started (out of memory, process limit)
        log.error("pdf check: could not start the checking process: %s", exc)
        return {"code": "unavailable"}
    try:
        result = json.loads(done.stdout.decode("utf-8").splitlines()[-1])
    except (ValueError, IndexError):
        if done.returncode < 0 or (done.returncode == 1 and b"MemoryError" in done.stderr):
            # killed by the kernel (CPU limit) or out of its memory before answering
            log.info("pdf check: stopped by a limit (exit %s)", done.returncode)
            return {"code": "too_complex"}
        log.error(
            "pdf check: the checking process failed (exit %s): %r",
            done.returncode,
            done.stderr[-500:],
        )
        return {"code": "unavailable"}
    if result.get("warnings"):
        log.info(
            "pdf check: %d parser warnings about the file (first: %r)",
            result["warnings"],
            result.get("first_warning", ""),
        )
    if result.get("note"):
        log.info("pdf check: unexpected failure %s", result["note"])
    return result


# --------------------------------------------------------------------------- entry points


def check_pdf(upload, *, max_bytes: int | None = None, max_pages: int | None = None) -> CheckedPdf:
    """Validate an uploaded file (anything with read()); raise ValidationError with the reason."""
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
    max_decoded = getattr(settings, "PDF_MAX_DECODED_BYTES", DEFAULT_MAX_DECODED_BYTES)
    result = _inspect_bounded(raw, pages_limit, max_decoded)
    code = result.get("code")
    if code == "too_many_pages":
        raise _too_many(int(result.get("count", 0)), pages_limit)
    if code != "ok":
        raise _refusal(code if code in MESSAGES else "broken")
    return CheckedPdf(
        content=raw,
        pages=int(result["pages"]),
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
