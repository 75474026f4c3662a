"""Active content in uploaded PDFs, wherever it hides: every kind (actions, annotations, files,
media, 3D, automatic actions) × its decisive value direct or behind a reference × where it
sits (page, inline in a link, catalog, an object nothing refers to, an object the table
leaves out, a compressed object stream), plain and signed inside a .p7m. And the ordinary
files offices upload (scans, filled and signed forms, links, annotations) still pass.
"""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError

from . import corpus

MATRIX = corpus.active_content_matrix()
#: Cases that pypdf itself cannot read once the raw-bytes net is off (refused as damaged).
_UNREADABLE_WITHOUT_NET = {"/Launch behind a chain of references"}


def _active_message() -> str:
    from portal.pdf import MESSAGES

    return str(MESSAGES["active_content"])


@pytest.mark.parametrize(("label", "make"), MATRIX, ids=[label for label, _m in MATRIX])
def test_every_combination_is_refused_as_active_content(label, make):
    from portal.pdf.inspection import inspect

    assert inspect(make(), 50)["code"] == "active_content", label


@pytest.mark.parametrize(("label", "make"), MATRIX, ids=[label for label, _m in MATRIX])
def test_the_object_walk_alone_refuses_every_combination(monkeypatch, label, make):
    """Without the last net (active names spelled in the bytes), the walk over every object
    finds each case by itself: nothing depends on how a name happens to be written."""
    from portal.pdf import inspection

    monkeypatch.setattr(inspection, "raw_names_outside_streams", lambda raw: False)
    code = inspection.inspect(make(), 50)["code"]
    expected = (
        {"active_content", "broken"} if label in _UNREADABLE_WITHOUT_NET else {"active_content"}
    )
    assert code in expected, label


def _one_per_kind() -> list[tuple[str, object]]:
    """For the real entry points (a child process each): every kind once, indirect, the
    placements taken in turn so that each is used."""
    seen: dict[str, tuple[str, object]] = {}
    placements = iter(corpus.PLACEMENTS * 100)
    for label, make in MATRIX:
        kind = label.split(",")[0]
        if "indirect value" in label and kind not in seen:
            wanted = next(placements)
            if label.endswith(wanted) or (wanted == "page, inline action" and "action" not in kind):
                seen[kind] = (label, make)
    for label, make in MATRIX:
        kind = label.split(",")[0]
        if kind not in seen:
            seen[kind] = (label, make)
    return list(seen.values())


SAMPLE = _one_per_kind()


@pytest.mark.parametrize(("label", "make"), SAMPLE, ids=[label for label, _m in SAMPLE])
def test_check_pdf_refuses_each_kind_with_its_message(label, make):
    from portal.pdf import check_pdf

    with pytest.raises(ValidationError) as info:
        check_pdf(io.BytesIO(make()))
    assert info.value.code == "active_content", label
    assert info.value.messages == [_active_message()]


@pytest.mark.parametrize(("label", "make"), SAMPLE, ids=[label for label, _m in SAMPLE])
def test_the_same_pdf_signed_in_a_p7m_is_refused(label, make):
    from comunica.p7m import P7mRejected, validate_p7m

    with pytest.raises(P7mRejected) as info:
        validate_p7m(corpus.p7m(make()))
    assert info.value.code == "pdf_rejected", label
    assert _active_message()[1:] in info.value.message


@pytest.mark.parametrize(
    ("label", "make"), corpus.ORDINARY_PDFS, ids=[label for label, _m in corpus.ORDINARY_PDFS]
)
def test_ordinary_uploads_pass(label, make):
    from portal.pdf import check_pdf

    checked = check_pdf(io.BytesIO(make()))
    assert checked.pages >= 1, label


@pytest.mark.parametrize(
    ("label", "make"), corpus.ORDINARY_PDFS, ids=[label for label, _m in corpus.ORDINARY_PDFS]
)
def test_ordinary_uploads_pass_signed_in_a_p7m(label, make):
    from comunica.p7m import validate_p7m

    content = make()
    assert validate_p7m(corpus.p7m(content)).content == content
