"""One measured job in a fresh process (``python -m bench.job NAME ARGS``): prints JSON with
seconds and the peak memory above the process's baseline."""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time

from . import compliance, core


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
    base = core.peak_start()
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
    base = core.peak_start()
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


def _costly(label: str) -> bytes:
    from tests.security.corpus import COSTLY_PDFS

    return next(make for name, make, _allowed in COSTLY_PDFS if name == label)()


def costly_portal(label: str) -> dict:
    """The portal's check of one costly PDF: wall time, the checking child's peak memory, and
    how much the calling (web) process grew."""
    from django.core.exceptions import ValidationError

    from portal import pdf

    data = _costly(label)
    answers = []
    bounded = pdf._inspect_bounded

    def spy(*args):
        answers.append(bounded(*args))
        return answers[-1]

    pdf._inspect_bounded = spy
    base = core.peak_start()
    t0 = time.perf_counter()
    try:
        pdf.check_pdf(io.BytesIO(data))
        outcome = "accepted"
    except ValidationError as exc:
        outcome = f"refused ({exc.code})"
    seconds = time.perf_counter() - t0
    child = answers[-1].get("peak_bytes", 0) / 1048576 if answers else 0.0
    return {
        "seconds": seconds,
        "outcome": outcome,
        "child_mb": child,
        "peak_mb": core.peak_rss_mb() - base,
    }


def costly_naive(label: str) -> dict:
    """The naive peer: pypdf in the web process, unbounded: every object read, every stream
    decoded (pypdf's own default limits only)."""
    from pypdf import PdfReader
    from pypdf.generic import IndirectObject, StreamObject

    data = _costly(label)
    base = core.peak_start()
    t0 = time.perf_counter()
    outcome = "accepted"
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        for generation, entries in list(reader.xref.items()):
            for number in list(entries):
                obj = reader.get_object(IndirectObject(number, generation, reader))
                if isinstance(obj, StreamObject):
                    obj.get_data()
    except Exception as exc:
        outcome = f"refused ({type(exc).__name__})"
    return {
        "seconds": time.perf_counter() - t0,
        "outcome": outcome,
        "peak_mb": core.peak_rss_mb() - base,
    }


def costly_alongside(mode: str) -> dict:
    """Three checks of the 9.5 MB LZW file at once (threads, as in a threaded web worker) while
    the same process serves a page-sized piece of Python work (~2 ms) over and over: the
    slowest of those pieces. ``mode``: "portal" (check_pdf) or "naive" (pypdf in-process)."""
    import threading

    from django.core.exceptions import ValidationError
    from pypdf import PdfReader

    from portal.pdf import check_pdf

    data = _costly("9.5 MB LZW stream")

    def check():
        if mode == "portal":
            with contextlib.suppress(ValidationError):
                check_pdf(io.BytesIO(data))
        else:
            PdfReader(io.BytesIO(data)).pages[0].get_contents().get_data()

    def page() -> float:
        t0 = time.perf_counter()
        sum(i * i for i in range(40_000))
        return time.perf_counter() - t0

    alone = max(page() for _ in range(50))
    threads = [threading.Thread(target=check) for _ in range(3)]
    for thread in threads:
        thread.start()
    slowest = 0.0
    while any(thread.is_alive() for thread in threads):
        slowest = max(slowest, page())
    for thread in threads:
        thread.join()
    return {"alone": alone, "slowest": slowest}


def _office_client():
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _created = get_user_model().objects.get_or_create(
        username="bench-export", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client


def export_portal(fmt: str) -> dict:
    """The boxes list exported through the view (streamed CSV, write-only XLSX): bytes sent."""
    # https, as behind the proxy: the production settings redirect plain http
    response = _office_client().get("/portafoglio/esporta/caselle/", {"formato": fmt}, secure=True)
    assert response.status_code == 200, response.status_code
    sent = sum(len(chunk) for chunk in response.streaming_content)
    response.close()
    return {"bytes": sent}


def export_naive(fmt: str) -> dict:
    """The naive peer: every box loaded as a model instance, the whole file built in memory
    (csv into a StringIO, openpyxl's ordinary workbook)."""
    import csv

    from openpyxl import Workbook

    from mailboxes.models import Casella

    header = ["Indirizzo", "Tipo", "Stato", "Titolare", "Codice fiscale", "Scadenza"]
    table = [header] + [
        [
            c.casella_pec,
            c.tipo_casella,
            c.get_stato_display(),
            str(c.titolare or ""),
            c.titolare.codice_fiscale if c.titolare else "",
            c.data_scadenza,
        ]
        for c in Casella.objects.select_related("titolare")
    ]
    out = io.BytesIO()
    if fmt == "xlsx":
        workbook = Workbook()
        for row in table:
            workbook.active.append(row)
        workbook.save(out)
    else:
        text = io.StringIO()
        csv.writer(text, delimiter=";").writerows(table)
        out.write(text.getvalue().encode())
    return {"bytes": len(out.getvalue())}


JOBS = {
    f.__name__: f
    for f in (
        compliance.findings_portal,
        compliance.findings_naive,
        export_portal,
        export_naive,
        sync_portal,
        sync_naive,
        pdf_portal,
        pdf_naive,
        costly_portal,
        costly_naive,
        costly_alongside,
    )
}


def main() -> int:
    name = sys.argv[1]
    args = json.loads(sys.argv[2]) if len(sys.argv) > 2 else []
    core.django_setup()
    base = core.peak_start()
    t0 = time.perf_counter()
    result = JOBS[name](*args)
    result.setdefault("seconds", time.perf_counter() - t0)
    result.setdefault("peak_mb", core.peak_rss_mb() - base)
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
