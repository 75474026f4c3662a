"""The .p7m check, on files made here: a throwaway certificate signing a PDF."""

import base64

import pytest

from comunica.p7m import P7mRejected, validate_p7m

from .factories import (
    APPLICANT_CF,
    OTHER_CF,
    make_certificate,
    make_detached_p7m,
    make_p7m,
    make_pdf,
)


def refused(data: bytes, **kw) -> P7mRejected:
    with pytest.raises(P7mRejected) as info:
        validate_p7m(data, **kw)
    return info.value


def test_a_p7m_wrapping_a_pdf_is_accepted_and_its_signer_described():
    pdf = make_pdf("Procura speciale")
    info = validate_p7m(make_p7m(pdf))
    assert info.content == pdf
    signer = info.signer
    assert signer.common_name == "MARIO ROSSI"
    assert (signer.given_name, signer.surname) == ("MARIO", "ROSSI")
    assert signer.codice_fiscale == APPLICANT_CF
    assert "Test Qualified CA" in signer.issuer
    assert signer.not_before < signer.not_after
    assert signer.is_valid_at()
    assert signer.signature_verified is True
    assert len(info.sha256) == 64


@pytest.mark.parametrize("serial", ["TINIT-{cf}", "IT:{cf}", "{cf}"])
def test_the_codice_fiscale_is_read_in_its_usual_spellings(serial):
    cert, key = make_certificate(cf=OTHER_CF, serial_format=serial)
    assert validate_p7m(make_p7m(cert=cert, key=key)).signer.codice_fiscale == OTHER_CF


def test_a_certificate_without_codice_fiscale_is_described_all_the_same():
    cert, key = make_certificate(cf=None)
    signer = validate_p7m(make_p7m(cert=cert, key=key)).signer
    assert signer.codice_fiscale == ""
    assert signer.display_name == "MARIO ROSSI"


def test_an_expired_certificate_is_reported_not_refused():
    cert, key = make_certificate(expired=True)
    assert not validate_p7m(make_p7m(cert=cert, key=key)).signer.is_valid_at()


def test_pem_and_base64_wrappings_and_ecdsa_keys_are_accepted():
    der = make_p7m()
    assert validate_p7m(make_p7m(pem=True)).signer.codice_fiscale == APPLICANT_CF
    assert validate_p7m(base64.b64encode(der)).sha256 == validate_p7m(der).sha256
    cert, key = make_certificate(key_type="ec")
    assert validate_p7m(make_p7m(cert=cert, key=key)).signer.signature_verified is True


def test_a_document_signed_twice_is_unwrapped():
    inner = make_p7m()
    cert, key = make_certificate(cf=OTHER_CF, given_name="Luigi", surname="Verdi")
    info = validate_p7m(make_p7m(inner, cert=cert, key=key))
    assert info.content.startswith(b"%PDF-")
    assert [s.codice_fiscale for s in info.signers] == [OTHER_CF, APPLICANT_CF]


def test_a_plain_pdf_is_refused_with_its_own_message():
    error = refused(make_pdf())
    assert error.code == "plain_pdf"
    assert "PDF non firmato" in error.message


def test_a_corrupted_p7m_is_refused_with_its_own_message():
    der = make_p7m()
    error = refused(der[: len(der) // 2])
    assert error.code == "corrupted"
    assert "danneggiato" in error.message


def test_a_p7m_wrapping_something_other_than_a_pdf_is_refused_with_its_own_message():
    error = refused(make_p7m(b"just some text, not a PDF"))
    assert error.code == "not_pdf"
    assert "non è un PDF" in error.message


def test_the_three_refusals_have_three_different_messages():
    der = make_p7m()
    messages = {
        refused(make_pdf()).message,
        refused(der[:200]).message,
        refused(make_p7m(b"<xml/>")).message,
    }
    assert len(messages) == 3


def test_a_detached_signature_is_refused():
    error = refused(make_detached_p7m())
    assert error.code == "detached"
    assert "detached" in error.message


def test_a_pdf_the_pdf_check_rejects_is_refused_with_the_pdf_message():
    error = refused(make_p7m(b"%PDF-1.7\nnot really a pdf at all"))
    assert error.code == "pdf_rejected"
    assert error.message.startswith("Il PDF firmato dentro il .p7m non è accettabile:")
    assert len(error.message) > len("Il PDF firmato dentro il .p7m non è accettabile: ")


def test_a_modified_document_does_not_match_its_signature():
    der = bytearray(make_p7m(make_pdf("Procura originale")))
    at = der.find(b"originale")
    der[at] = ord("O")
    assert refused(bytes(der)).code == "bad_signature"


@pytest.mark.parametrize(
    "data,code",
    [
        (b"", "empty"),
        (b"hello, I am a text file", "not_p7m"),
        (bytes(range(256)) * 4, "not_p7m"),
    ],
)
def test_other_files_are_refused(data, code):
    assert refused(data).code == code


def test_the_size_limit_comes_first():
    error = refused(b"\x30" + b"\x00" * 2000, max_bytes=1000)
    assert error.code == "too_large"
    assert "troppo grande" in error.message


def test_a_certificate_file_is_not_a_p7m():
    from cryptography.hazmat.primitives import serialization

    cert, _ = make_certificate()
    assert refused(cert.public_bytes(serialization.Encoding.DER)).code == "not_p7m"


def test_a_p7m_without_the_signer_certificate_is_refused():
    error = refused(make_p7m(no_certs=True))
    assert error.code == "no_certificate"


def test_a_signed_pdf_with_javascript_is_refused_like_any_uploaded_pdf():
    import io

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf())))
    action = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert('ciao');"),
        }
    )
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    out = io.BytesIO()
    writer.write(out)
    error = refused(make_p7m(out.getvalue()))
    assert error.code == "pdf_rejected"
    assert "JavaScript" in error.message


def test_ber_with_indefinite_lengths_and_a_chunked_pdf_is_accepted():
    from .factories import to_ber_indefinite

    pdf = make_pdf("Procura firmata con un software che scrive BER")
    ber = to_ber_indefinite(make_p7m(pdf))
    assert ber[:2] == b"\x30\x80"
    info = validate_p7m(ber)
    assert info.content == pdf
    assert info.signer.codice_fiscale == APPLICANT_CF
    assert info.signer.signature_verified is True
