"""One measured job in a fresh process (``python -m bench.job NAME ARGS``): prints JSON with
seconds and the peak memory above the process's baseline."""

from __future__ import annotations

import io
import json
import sys
import time

from . import core


def sync_portal() -> dict:
    from mailboxes.services import sync as box_sync

    figures = box_sync.sync_account()
    return {"written": figures["updated"] + figures["imported"], "figures": figures}


def sync_naive() -> dict:
    """The naive peer: per-row update_or_create of every item of GET /pec."""
    from django.utils import timezone

    from mailboxes.models import Casella
    from mailboxes.remote import get_client

    written = 0
    now = timezone.now()
    for s in get_client().list_caselle():
        Casella.objects.update_or_create(
            remote_id=s.id,
            defaults={
                "casella_pec": s.casella_pec.lower(),
                "tipo_casella": str(s.tipo_casella),
                "stato": str(s.stato),
                "data_scadenza": s.data_scadenza,
                "ts_ultima_modifica": s.timestamp.ultima_modifica,
                "last_payload": s.raw,
                "last_synced_at": now,
            },
        )
        written += 1
    return {"written": written}


def _big_pdf(mb: float) -> bytes:
    """A PDF of about ``mb`` MB: a few pages, each with a large incompressible image."""
    import os

    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject, NumberObject

    writer = PdfWriter()
    pages = 4
    side = int((mb * 1024 * 1024 / pages / 3) ** 0.5)
    for _ in range(pages):
        page = writer.add_blank_page(595, 842)
        image = DecodedStreamObject()
        # Incompressible, without a '/' (random bytes would spell /JS somewhere in 10 MB).
        image.set_data(os.urandom(side * side * 3).replace(b"/", b"0"))
        image.update(
            {
                NameObject("/Type"): NameObject("/XObject"),
                NameObject("/Subtype"): NameObject("/Image"),
                NameObject("/Width"): NumberObject(side),
                NameObject("/Height"): NumberObject(side),
                NameObject("/ColorSpace"): NameObject("/DeviceRGB"),
                NameObject("/BitsPerComponent"): NumberObject(8),
            }
        )
        ref = writer._add_object(image)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/XObject"): DictionaryObject({NameObject("/Im0"): ref})}
        )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _inputs():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from pec_sandbox.pdf import make_pdf

    big = _big_pdf(9.5)
    ident = make_pdf("Documento d'identità", ["Carta d'identità", "CA12345AB"])
    return (
        SimpleUploadedFile("modulo.pdf", big, "application/pdf"),
        SimpleUploadedFile("identita.pdf", ident, "application/pdf"),
        len(big) / 1048576,
    )


def pdf_portal() -> dict:
    """check_pdf on both uploads, merge (a DOMICILIODIGITALE box needs one PDF), store."""
    import hashlib

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from portal.pdf import check_pdf, merge_pdfs

    modulo, identita, mb = _inputs()
    base = core.peak_rss_mb()
    t0 = time.perf_counter()
    a, b = check_pdf(modulo), check_pdf(identita)
    merged = merge_pdfs(a.content, b.content)
    hashlib.sha256(merged).hexdigest()
    name = default_storage.save("bench/merged.pdf", ContentFile(merged))
    seconds = time.perf_counter() - t0
    default_storage.delete(name)
    return {"seconds": seconds, "peak_mb": core.peak_rss_mb() - base, "mb": mb}


def pdf_naive() -> dict:
    """The naive way: read everything, open each page and extract its text to look for
    scripts, rebuild page by page, write, store."""
    import hashlib

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from pypdf import PdfReader, PdfWriter

    modulo, identita, mb = _inputs()
    base = core.peak_rss_mb()
    t0 = time.perf_counter()
    writer = PdfWriter()
    for upload in (modulo, identita):
        raw = upload.read()
        reader = PdfReader(io.BytesIO(raw))
        for page in reader.pages:
            text = page.extract_text() or ""
            assert "JavaScript" not in text
            for key in ("/Resources", "/Contents"):
                obj = page.get(key)
                if obj is not None:
                    obj.get_object()
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    merged = out.getvalue()
    hashlib.sha256(merged).hexdigest()
    name = default_storage.save("bench/merged-naive.pdf", ContentFile(merged))
    seconds = time.perf_counter() - t0
    default_storage.delete(name)
    return {"seconds": seconds, "peak_mb": core.peak_rss_mb() - base, "mb": mb}


JOBS = {f.__name__: f for f in (sync_portal, sync_naive, pdf_portal, pdf_naive)}


def main() -> int:
    name = sys.argv[1]
    args = json.loads(sys.argv[2]) if len(sys.argv) > 2 else []
    core.django_setup()
    base = core.peak_rss_mb()
    t0 = time.perf_counter()
    result = JOBS[name](*args)
    result.setdefault("seconds", time.perf_counter() - t0)
    result.setdefault("peak_mb", core.peak_rss_mb() - base)
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
