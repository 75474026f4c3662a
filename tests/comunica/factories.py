"""Test data for the comunica flow: PDFs made with pypdf, throwaway certificates and .p7m
files signed with ``cryptography`` (PKCS7SignatureBuilder, DER, attached)."""

from __future__ import annotations

import datetime as dt
import io

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

APPLICANT_CF = "RSSMRA80A01H501U"  # Mario Rossi
OTHER_CF = "VRDLGU75C15F205O"  # someone else (valid check character)
COMPANY_PIVA = "01234560017"


def make_pdf(text: str = "Procura speciale - documento di prova") -> bytes:
    """A one-page PDF with ``text`` on it."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = DecodedStreamObject()
    stream.set_data(f"BT /F1 12 Tf 72 770 Td ({safe}) Tj ET".encode("latin-1"))
    page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_certificate(
    *,
    cf: str | None = APPLICANT_CF,
    given_name: str = "Mario",
    surname: str = "Rossi",
    expired: bool = False,
    key_type: str = "rsa",
    serial_format: str = "TINIT-{cf}",
):
    """A throwaway self-signed signing certificate (CN, givenName, surname, serialNumber
    ``TINIT-<CF>`` as Italian qualified certificates carry it) and its private key."""
    if key_type == "ec":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    attrs = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "IT"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"{given_name} {surname}".upper()),
        x509.NameAttribute(NameOID.GIVEN_NAME, given_name.upper()),
        x509.NameAttribute(NameOID.SURNAME, surname.upper()),
    ]
    if cf:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial_format.format(cf=cf)))
    subject = x509.Name(attrs)
    issuer = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "IT"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test CA di prova"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Test Qualified CA"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    if expired:
        not_before, not_after = now - dt.timedelta(days=800), now - dt.timedelta(days=30)
    else:
        not_before, not_after = now - dt.timedelta(days=1), now + dt.timedelta(days=365)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return cert, key


def make_p7m(
    content: bytes | None = None, *, cert=None, key=None, pem: bool = False, no_certs=False
) -> bytes:
    """``content`` (a PDF by default) signed with a throwaway certificate, as a .p7m:
    CMS SignedData, DER, with the content attached (no DetachedSignature option). ``Binary``
    keeps the bytes as they are (without it the builder turns LF into CRLF, S/MIME-style)."""
    if content is None:
        content = make_pdf()
    if cert is None:
        cert, key = make_certificate()
    builder = pkcs7.PKCS7SignatureBuilder().set_data(content).add_signer(cert, key, hashes.SHA256())
    encoding = serialization.Encoding.PEM if pem else serialization.Encoding.DER
    options = [pkcs7.PKCS7Options.Binary]
    if no_certs:
        options.append(pkcs7.PKCS7Options.NoCerts)
    return builder.sign(encoding, options)


def make_detached_p7m(content: bytes | None = None) -> bytes:
    cert, key = make_certificate()
    builder = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(content or make_pdf())
        .add_signer(cert, key, hashes.SHA256())
    )
    return builder.sign(
        serialization.Encoding.DER,
        [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
    )


REQUEST_DATA = {
    "pec_amministratore": "0",
    "casella_pec": "acme@pec.example.it",
    "pec_impresa": "",
    "ragione_sociale": "ACME S.r.l.",
    "cf_piva": COMPANY_PIVA,
    "comune": "Roma",
    "provincia": "RM",
    "nome": "Mario",
    "cognome": "Rossi",
    "cf": APPLICANT_CF,
    "qualifica": "LEGALE_RAPPRESENTANTE",
    "email": "mario.rossi@example.com",
    "cellulare": "3471234567",
}


def model_data(**overrides) -> dict:
    """RichiestaComunicazione fields (cleaned), for comunica.services.creation.create_richiesta."""
    data = {**REQUEST_DATA, **overrides}
    data["pec_amministratore"] = data["pec_amministratore"] in ("1", True)
    return data


def to_ber_indefinite(der: bytes, chunk: int = 512) -> bytes:
    """The same .p7m re-encoded the way some Italian signing tools write it: BER with
    indefinite lengths and the PDF in a constructed OCTET STRING of chunks."""
    from asn1crypto import cms

    info = cms.ContentInfo.load(der)
    signed = info["content"]
    content = signed["encap_content_info"]["content"].native

    def indefinite(tag: int, *parts: bytes) -> bytes:
        return bytes([tag, 0x80]) + b"".join(parts) + b"\x00\x00"

    def octets(data: bytes) -> bytes:
        n = len(data)
        length = bytes([n]) if n < 0x80 else bytes([0x82, n >> 8, n & 0xFF])
        return b"\x04" + length + data

    chunks = b"".join(octets(content[i : i + chunk]) for i in range(0, len(content), chunk))
    encap = indefinite(
        0x30,
        signed["encap_content_info"]["content_type"].dump(),
        indefinite(0xA0, indefinite(0x24, chunks)),
    )
    body = [signed["version"].dump(), signed["digest_algorithms"].dump(), encap]
    if signed["certificates"]:
        body.append(signed["certificates"].dump())
    body.append(signed["signer_infos"].dump())
    return indefinite(0x30, info["content_type"].dump(), indefinite(0xA0, indefinite(0x30, *body)))
