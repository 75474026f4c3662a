"""Hostile and broken uploads: each refused with its own message, quickly, in bounded memory,
and through the real upload pages nothing is stored and nothing is sent to Openapi.

The corpus (tests/security/corpus.py) is made here: polyglots, encrypted PDFs, JavaScript and
launch actions (also hidden in compressed object streams), embedded files, a decompression
bomb, empty and truncated files, 5,000 pages, wrong extensions, odd file names, 50 MB; and for
the signed procura: plain PDFs, corrupted DER, detached signatures, PEM garbage, tampered
content. Files the validators accept today although they should not are xfail(strict) with
the bug in the reason, so the fix turns them green (and a regression turns them red).
"""

from __future__ import annotations

import io
import os
import re
import time
import tracemalloc
import uuid

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import figures

from . import corpus

# Seconds per file, wall clock: the hard bound (portal.pdf.CHECK_WALL_SECONDS). What a file may
# cost is 1.8 s of the checking child's CPU, enforced by the child's timer; the wall time also
# holds the machine's other work (a CI machine running other suites), so it is no measure of the
# file and is printed as a figure, with the bench's P9 for the unloaded timings.
TIME_LIMIT = 10.0
MEMORY_LIMIT = 100 * 1024 * 1024  # tracemalloc peak per file

PDF_BUGS: dict[str, str] = {}  # label -> "BUG: ..." for a file accepted although it should not be
P7M_BUGS: dict[str, str] = {}


def _params(entries, bugs):
    out = []
    for label, name, make, code in entries:
        marks = [pytest.mark.xfail(strict=True, reason=bugs[label])] if label in bugs else []
        out.append(pytest.param(label, name, make, code, id=label, marks=marks))
    return out


PDF_CASES = _params(corpus.PDF_CORPUS + corpus.PDF_CORPUS_GAPS, PDF_BUGS)
P7M_CASES = _params(corpus.P7M_CORPUS + corpus.P7M_CORPUS_GAPS, P7M_BUGS)
_results: dict[str, list] = {"pdf": [], "p7m": []}


def _measure(fn, data):
    """Run fn(data) traced: (outcome, seconds, peak bytes). The input exists beforehand."""
    fn_warm = getattr(_measure, "_warm", None)
    if fn_warm is None:  # import pypdf, asn1crypto... outside the measurement
        import asn1crypto.cms  # noqa: F401
        import pypdf  # noqa: F401

        _measure._warm = True
    tracemalloc.start()
    started = time.perf_counter()
    try:
        outcome = fn(data)
    except Exception as exc:
        outcome = exc
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return outcome, elapsed, peak


def _record(kind: str):
    rows = _results[kind]
    if rows:
        worst_t = max(r[1] for r in rows)
        worst_m = max(r[2] for r in rows) / 1048576
        refused = sum(1 for r in rows if r[0])
        figures.record(
            f"hostile {kind} files",
            f"{refused}/{len(rows)} refused with their own message; slowest {worst_t:.2f}s, "
            f"peak memory {worst_m:.1f} MB",
        )


# --------------------------------------------------------------------------- PDF validator


def _pdf_message(code: str) -> str:
    """The validator's message for a code, got from a file that surely triggers it."""
    from portal.pdf import check_pdf

    samples = {
        "empty": b"",
        "not_pdf": b"hello",
        "broken": corpus.truncated(),
        "encrypted": corpus.encrypted(),
        "active_content": corpus.javascript_openaction(),
        "bomb": corpus.decompression_bomb(),
        "polyglot": corpus.zip_polyglot(),
        "too_big": None,
    }
    if code == "too_many_pages":
        return "troppe pagine"
    if code == "too_big":
        return "troppo grande"
    if code not in samples:
        return f"<own message for {code}>"
    with pytest.raises(ValidationError) as info:
        check_pdf(io.BytesIO(samples[code]))
    return info.value.messages[0]


@pytest.mark.parametrize(("label", "name", "make", "code"), PDF_CASES)
def test_hostile_pdf_is_refused_with_its_own_message(label, name, make, code):
    from portal.pdf import check_pdf

    data = make()
    upload = SimpleUploadedFile(name, data, content_type="application/pdf")
    outcome, elapsed, peak = _measure(check_pdf, upload)
    ok = isinstance(outcome, ValidationError) and outcome.code == code
    _results["pdf"].append((ok and elapsed < TIME_LIMIT and peak < MEMORY_LIMIT, elapsed, peak))
    _record("pdf")
    assert isinstance(outcome, ValidationError), f"{label}: accepted ({outcome!r})"
    assert outcome.code == code, f"{label}: refused as {outcome.code}: {outcome.messages}"
    assert _pdf_message(code) in outcome.messages[0]
    assert elapsed < TIME_LIMIT, f"{label}: {elapsed:.2f}s"
    assert peak < MEMORY_LIMIT, f"{label}: {peak / 1048576:.0f} MB"


def test_each_refusal_reason_has_its_own_message():
    codes = {code for _l, _n, _m, code in corpus.PDF_CORPUS}
    messages = {_pdf_message(code) for code in codes}
    assert len(messages) == len(codes)


# --------------------------------------------------------------------------- .p7m validator


@pytest.mark.parametrize(("label", "name", "make", "code"), P7M_CASES)
def test_hostile_p7m_is_refused_with_its_own_message(label, name, make, code):
    from comunica.p7m import MESSAGES, P7mRejected, validate_p7m

    data = make()
    outcome, elapsed, peak = _measure(validate_p7m, data)
    ok = isinstance(outcome, P7mRejected) and outcome.code == code
    _results["p7m"].append((ok and elapsed < TIME_LIMIT and peak < MEMORY_LIMIT, elapsed, peak))
    _record("p7m")
    assert isinstance(outcome, P7mRejected), f"{label}: accepted ({outcome!r})"
    assert outcome.code == code, f"{label}: refused as {outcome.code}: {outcome.message}"
    own = str(MESSAGES[code]).split("%(")[0]
    assert outcome.message.startswith(own)
    assert elapsed < TIME_LIMIT, f"{label}: {elapsed:.2f}s"
    assert peak < MEMORY_LIMIT, f"{label}: {peak / 1048576:.0f} MB"


# --------------------------------------------------------------------------- fuzz


def _mutations(seed: bytes):
    """Bytes near a valid file: truncated, bytes overwritten, chunks inserted."""
    return st.one_of(
        st.integers(0, len(seed)).map(lambda n: seed[:n]),
        st.tuples(st.integers(0, len(seed) - 1), st.binary(min_size=1, max_size=64)).map(
            lambda t: seed[: t[0]] + t[1] + seed[t[0] + len(t[1]) :]
        ),
        st.tuples(st.integers(0, len(seed)), st.binary(max_size=256)).map(
            lambda t: seed[: t[0]] + t[1] + seed[t[0] :]
        ),
        st.binary(max_size=2048),
        st.binary(max_size=512).map(lambda b: b"%PDF-1.7\n" + b),
        st.binary(max_size=512).map(lambda b: b"\x30\x82" + b),
    )


FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", 150)),
    deadline=TIME_LIMIT * 1000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=os.environ.get("CI") == "true",
)
_fuzzed = {"pdf": 0, "p7m": 0}


@FUZZ
@given(data=_mutations(corpus.good_pdf()) | _mutations(corpus.javascript_openaction()))
def test_fuzz_pdf_validator_only_ever_refuses(data):
    from portal.pdf import check_pdf

    _fuzzed["pdf"] += 1
    try:
        check_pdf(io.BytesIO(data))
    except ValidationError as exc:
        assert exc.messages and exc.code
    figures.record("fuzz", f"pdf {_fuzzed['pdf']} inputs, p7m {_fuzzed['p7m']} inputs, 0 crashes")


_P7M_SEED = None


def _p7m_seed() -> bytes:
    global _P7M_SEED
    if _P7M_SEED is None:
        _P7M_SEED = corpus.p7m()
    return _P7M_SEED


@FUZZ
@given(data=st.data())
def test_fuzz_p7m_validator_only_ever_refuses(data):
    from comunica.p7m import P7mRejected, validate_p7m

    blob = data.draw(_mutations(_p7m_seed()))
    _fuzzed["p7m"] += 1
    try:
        validate_p7m(blob)
    except P7mRejected as exc:
        assert exc.code and exc.message
    figures.record("fuzz", f"pdf {_fuzzed['pdf']} inputs, p7m {_fuzzed['p7m']} inputs, 0 crashes")


# --------------------------------------------------------------------------- the real pages


@pytest.fixture
def box(db, settings, sandbox):
    """A registered box (remote id, stato registrata) the office may upload documents to."""
    from .objects import build_world

    settings.OPENAPI_PEC_URL = settings.OPENAPI_OAUTH_URL = sandbox.url
    settings.OPENAPI_TOKEN = "demo-token"
    settings.OPENAPI_EMAIL = settings.OPENAPI_APIKEY = ""
    settings.OPENAPI_TIMEOUT = 2.0
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    world = build_world()
    world.documento.delete()
    client = Client(raise_request_exception=False)
    client.force_login(world.office, backend="django.contrib.auth.backends.ModelBackend")
    sandbox.reset()
    return world, client, sandbox


def _stored_files() -> set[str]:
    from django.conf import settings

    root = settings.STORAGES["default"].get("OPTIONS", {}).get("location")
    if not root or not os.path.isdir(root):
        return set()
    return {os.path.join(d, f) for d, _s, files in os.walk(root) for f in files}


VIEW_CASES = [p for p in PDF_CASES if p.values[0] not in PDF_BUGS]


@pytest.mark.parametrize(("label", "name", "make", "code"), VIEW_CASES)
def test_hostile_pdf_through_the_upload_page_changes_nothing(box, label, name, make, code):
    from mailboxes.models import CasellaCall, Documento

    world, client, sandbox = box
    before = _stored_files()
    hostile = SimpleUploadedFile(name, make(), content_type="application/pdf")
    good = SimpleUploadedFile("carta.pdf", corpus.good_pdf("Carta"), content_type="application/pdf")
    response = client.post(
        f"/caselle/{world.casella.pk}/documenti/",
        {"modulo": hostile, "identita": good, "intent_key": str(uuid.uuid4())},
    )
    page = response.content.decode()
    if hostile.size > django_settings.REQUEST_MAX_BYTES:  # refused by its size before it is read
        assert response.status_code == 413, label
        assert "Richiesta troppo grande" in page
        assert Documento.objects.count() == 0 and _stored_files() == before
        assert sandbox.calls() == []
        return
    assert response.status_code == 400, label
    expected = _pdf_message(code)
    if code == "empty":  # Django's FileField refuses it before the PDF check, in its words
        from django import forms

        expected = str(forms.FileField.default_error_messages["empty"])
    assert escape(expected) in page, f"{label}: {expected!r} not on the page"
    assert Documento.objects.count() == 0
    assert CasellaCall.objects.filter(kind="attivazione").count() == 0
    assert _stored_files() == before
    assert sandbox.calls() == []


def test_odd_file_names_never_reach_the_disk(box):
    """A good PDF under a hostile name is stored under a generated name; the name shown is
    reduced to harmless characters."""
    from mailboxes.models import Documento

    world, client, _sandbox = box
    names = ["../../../../etc/cron.d/x.pdf", "a\x00b.pdf", "documento\u202efdp.exe", "<b>.pdf"]
    response = client.post(
        f"/caselle/{world.casella.pk}/documenti/",
        {
            "modulo": SimpleUploadedFile(names[0], corpus.good_pdf("M")),
            "identita": SimpleUploadedFile(names[2], corpus.good_pdf("I")),
            "intent_key": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 302, response.content[:500]
    for doc in Documento.objects.all():
        assert re.fullmatch(r"documenti/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", doc.file.name)
        assert not re.search(r"[/\\\x00\u202e<>]", doc.nome_originale), doc.nome_originale
    assert Documento.objects.count() == 2


def _richiesta_for_upload(world):
    from comunica.models import RichiestaComunicazione

    RichiestaComunicazione.objects.filter(pk=world.richiesta.pk).update(
        stato="in_attesa_di_documenti"
    )
    return world.richiesta


P7M_VIEW_CASES = [p for p in P7M_CASES if p.values[0] not in P7M_BUGS]


@pytest.mark.parametrize(("label", "name", "make", "code"), P7M_VIEW_CASES)
def test_hostile_p7m_through_the_upload_page_changes_nothing(box, label, name, make, code):
    from comunica.models import ComunicaCall, ProcuraFirmata
    from comunica.p7m import MESSAGES

    world, client, sandbox = box
    richiesta = _richiesta_for_upload(world)
    procure = ProcuraFirmata.objects.count()
    before = _stored_files()
    response = client.post(
        f"/comunica/{richiesta.pk}/procura/",
        {"file": SimpleUploadedFile(name, make()), "intent_key": str(uuid.uuid4())},
    )
    assert response.status_code == 400, label
    own = str(MESSAGES[code]).split("%(")[0]
    page = response.content.decode()
    if code == "empty":  # Django's FileField refuses it before the .p7m check
        from django import forms

        own = str(forms.FileField.default_error_messages["empty"])
    assert escape(own) in page, f"{label}: {own!r} not on the page"
    assert ProcuraFirmata.objects.count() == procure
    assert ComunicaCall.objects.filter(kind="upload").count() == 0
    assert _stored_files() == before
    assert sandbox.calls() == []
