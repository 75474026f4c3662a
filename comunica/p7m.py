"""Checking an uploaded signed procura (.p7m) by its content.

A .p7m is a CMS/PKCS#7 ``SignedData`` structure (CAdES) that *wraps* the signed document.  The
checks, in order, each with its own Italian message:

1. size (before anything is parsed);
2. the container: DER, or the same DER wrapped in PEM or plain base64 (some signing tools save
   it so); a plain PDF, a random file, a truncated/corrupted structure and a CMS structure that
   is not signed data are told apart;
3. the encapsulated content: present (a detached signature carries none), and a PDF that passes
   :func:`portal.pdf.check_pdf` (nested .p7m, i.e. a document signed twice, is unwrapped);
4. the signer's certificate: present, and described (common name, given name, surname, codice
   fiscale when the certificate carries it, issuer, validity);
5. the signature: the ``messageDigest`` attribute matches the content and the signature
   verifies with the certificate's public key (RSA PKCS#1 v1.5 / PSS, ECDSA).  A mismatch is
   refused.  The certificate chain is NOT checked against a trust store here: a self-signed
   certificate passes; Openapi and InfoCert verify the signature's legal validity.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal.pdf import check_pdf

__all__ = ["P7mInfo", "P7mRejected", "SignerCertificate", "validate_p7m"]

SIGNED_DATA_OID_DER = bytes.fromhex("06092a864886f70d010702")  # 1.2.840.113549.1.7.2
MAX_NESTING = 3

#: The codice fiscale of a person (omocodia letters allowed in the digit positions).
CF_RE = re.compile(
    r"[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]"
)

MESSAGES = {
    "empty": _("Il file è vuoto."),
    "too_large": _("Il file è troppo grande (massimo %(max)s MB)."),
    "plain_pdf": _(
        "Il file è un PDF non firmato. Firmare digitalmente la procura (firma CAdES) e caricare "
        "il file .p7m prodotto dal software di firma."
    ),
    "not_p7m": _(
        "Il file non è un documento firmato digitalmente in formato .p7m (CAdES). Caricare il "
        "file .p7m prodotto dal software di firma."
    ),
    "corrupted": _(
        "Il file .p7m è danneggiato o incompleto: la struttura della firma non si legge. "
        "Ripetere la firma o ricaricare il file originale."
    ),
    "not_signed_data": _(
        "Il file è una struttura CMS/PKCS#7 ma non contiene dati firmati (signed data)."
    ),
    "detached": _(
        "Il file contiene solo la firma, senza il documento firmato (firma “detached”). "
        "Firmare in formato CAdES “attached” (.p7m), che include il PDF."
    ),
    "not_pdf": _(
        "Il documento firmato dentro il .p7m non è un PDF. Firmare la procura in PDF scaricata "
        "dal portale."
    ),
    "pdf_rejected": _("Il PDF firmato dentro il .p7m non è accettabile: %(reason)s"),
    "no_certificate": _(
        "Il file .p7m non contiene il certificato del firmatario: non si può sapere chi ha firmato."
    ),
    "no_signer": _("Il file .p7m non contiene alcuna firma."),
    "bad_signature": _(
        "La firma non corrisponde al documento: il PDF è stato modificato dopo la firma oppure "
        "il file è stato alterato."
    ),
}


class P7mRejected(Exception):
    """The upload is not an acceptable signed procura.  ``code`` is stable (tests, logs);
    ``message`` is the Italian text shown to the user."""

    def __init__(self, code: str, message: str | None = None, **params: Any) -> None:
        self.code = code
        text = message if message is not None else MESSAGES[code]
        self.message = str(text) % params if params else str(text)
        super().__init__(self.message)


@dataclass(frozen=True)
class SignerCertificate:
    common_name: str = ""
    given_name: str = ""
    surname: str = ""
    codice_fiscale: str = ""
    subject: str = ""
    issuer: str = ""
    serial_number: str = ""
    not_before: dt.datetime | None = None
    not_after: dt.datetime | None = None
    signing_time: dt.datetime | None = None
    #: True: the signature matches the content; False never returned (refused); None: the
    #: algorithm is not one this module checks.
    signature_verified: bool | None = None

    @property
    def display_name(self) -> str:
        full = " ".join(p for p in (self.given_name, self.surname) if p)
        return full or self.common_name or self.subject

    def is_valid_at(self, when: dt.datetime | None = None) -> bool:
        when = when or dt.datetime.now(dt.UTC)
        if self.not_before and when < self.not_before:
            return False
        return not (self.not_after and when > self.not_after)


@dataclass(frozen=True)
class P7mInfo:
    size: int
    sha256: str
    content: bytes = field(repr=False)  # the signed PDF
    pdf: Any = None  # portal.pdf.CheckedPdf
    signer: SignerCertificate = field(default_factory=SignerCertificate)
    signers: list[SignerCertificate] = field(default_factory=list)
    der: bytes = field(default=b"", repr=False)  # the .p7m as DER, what is sent to Openapi


# --------------------------------------------------------------------------- container

_B64_RE = re.compile(rb"^[A-Za-z0-9+/=\s]+$")


def _to_der(data: bytes) -> bytes:
    """DER bytes from DER, PEM or base64 input; raises P7mRejected for what is not a p7m."""
    head = data.lstrip()[:64]
    if head.startswith(b"%PDF") or (data[:1] != b"\x30" and b"%PDF-" in data[:1024]):
        raise P7mRejected("plain_pdf")
    if data[:1] == b"\x30":
        return data
    if head.startswith(b"-----BEGIN"):
        body = b"".join(
            line for line in data.strip().splitlines() if line and not line.startswith(b"-----")
        )
        try:
            der = base64.b64decode(body, validate=False)
        except (binascii.Error, ValueError):
            raise P7mRejected("corrupted") from None
        if der[:1] != b"\x30":
            raise P7mRejected("corrupted")
        return der
    if len(data) >= 16 and _B64_RE.match(data[:4096]) and _B64_RE.match(data[-4096:]):
        try:
            der = base64.b64decode(b"".join(data.split()), validate=True)
        except (binascii.Error, ValueError):
            raise P7mRejected("not_p7m") from None
        if der[:1] == b"\x30":
            return der
        if der.lstrip()[:4] == b"%PDF":
            raise P7mRejected("plain_pdf")
    raise P7mRejected("not_p7m")


def _load_signed_data(der: bytes) -> cms.SignedData:
    looks_signed = SIGNED_DATA_OID_DER in der[:64]
    try:
        info = cms.ContentInfo.load(der)
        content_type = info["content_type"].native
    except Exception:  # asn1crypto raises ValueError/TypeError/... on malformed input
        raise P7mRejected("corrupted" if looks_signed else "not_p7m") from None
    if content_type != "signed_data":
        raise P7mRejected("not_signed_data")
    try:
        signed = info["content"]
        # force the parse of every part used below (asn1crypto parses lazily)
        signed["version"].native  # noqa: B018
        signed["digest_algorithms"].native  # noqa: B018
        signed["encap_content_info"]["content_type"].native  # noqa: B018
        signed["encap_content_info"]["content"].native  # noqa: B018
        for signer_info in signed["signer_infos"]:
            signer_info["sid"].native  # noqa: B018
            signer_info["digest_algorithm"].native  # noqa: B018
            signer_info["signature_algorithm"].native  # noqa: B018
            signer_info["signed_attrs"].native  # noqa: B018
        for cert in signed["certificates"] or []:
            cert.native  # noqa: B018
    except Exception:
        raise P7mRejected("corrupted") from None
    return signed


def _content(signed: cms.SignedData) -> bytes:
    encap = signed["encap_content_info"]
    value = encap["content"]
    if value.native is None:
        raise P7mRejected("detached")
    data = value.native
    if not isinstance(data, bytes):  # a parsed inner structure
        data = value.contents if hasattr(value, "contents") else bytes(value.dump())
    if not data:
        raise P7mRejected("detached")
    return data


# --------------------------------------------------------------------------- certificate


def _attr(name: asn1_x509.Name, key: str) -> str:
    native = name.native
    value = native.get(key, "")
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    return str(value or "").strip()


def _codice_fiscale(name: asn1_x509.Name) -> str:
    from stdnum.it import codicefiscale

    candidates = []
    serial = _attr(name, "serial_number").upper()
    if serial:
        for prefix in ("TINIT-", "IT:", "TINIT:", "IT-"):
            if serial.startswith(prefix):
                serial = serial[len(prefix) :]
                break
        candidates.append(serial)
    for value in name.native.values():
        values = value if isinstance(value, list) else [value]
        candidates.extend(CF_RE.findall(" ".join(str(v) for v in values).upper()))
    for candidate in candidates:
        candidate = candidate.strip()
        if len(candidate) == 16 and codicefiscale.is_valid(candidate):
            return candidate
    return ""


def _issuer(name: asn1_x509.Name) -> str:
    """The certification authority, short: "CN (O)" when it has them, else the full name."""
    cn, org = _attr(name, "common_name"), _attr(name, "organization_name")
    if cn and org and org not in cn:
        return f"{cn} ({org})"
    return cn or org or name.human_friendly


def _find_certificate(signed: cms.SignedData, signer_info: cms.SignerInfo):
    certs = [c.chosen for c in signed["certificates"] or [] if c.name == "certificate"]
    sid = signer_info["sid"]
    for cert in certs:
        if sid.name == "issuer_and_serial_number":
            isn = sid.chosen
            if cert.issuer == isn["issuer"] and cert.serial_number == isn["serial_number"].native:
                return cert
        elif sid.name == "subject_key_identifier" and cert.key_identifier == sid.chosen.native:
            return cert
    return certs[0] if len(certs) == 1 else None


def _signed_attr(signer_info: cms.SignerInfo, name: str):
    attrs = signer_info["signed_attrs"]
    if not attrs:
        return None
    for attr in attrs:
        if attr["type"].native == name:
            values = attr["values"]
            return values[0] if len(values) else None
    return None


# --------------------------------------------------------------------------- signature

_HASHES = {"sha1", "sha224", "sha256", "sha384", "sha512"}


def _verify_signature(content: bytes, signer_info: cms.SignerInfo, cert) -> bool | None:
    """True: verified; False: does not match; None: not checked (unsupported algorithm)."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    digest_name = signer_info["digest_algorithm"]["algorithm"].native
    if digest_name not in _HASHES:
        return None
    signed_attrs = signer_info["signed_attrs"]
    if signed_attrs:
        message_digest = _signed_attr(signer_info, "message_digest")
        if message_digest is None:
            return False
        if hashlib.new(digest_name, content).digest() != message_digest.native:
            return False
        to_verify = b"\x31" + signed_attrs.dump()[1:]  # the SET OF, not the [0] IMPLICIT tag
    else:
        to_verify = content
    hash_algo = getattr(hashes, digest_name.upper())()
    signature = signer_info["signature"].native
    sig_algo = signer_info["signature_algorithm"]
    try:
        public_key = x509.load_der_x509_certificate(cert.dump()).public_key()
        algo_name = sig_algo.signature_algo
        if isinstance(public_key, rsa.RSAPublicKey):
            if algo_name == "rsassa_pss":
                params = sig_algo["parameters"]
                pss_hash = getattr(hashes, params["hash_algorithm"]["algorithm"].native.upper())()
                pad = padding.PSS(
                    mgf=padding.MGF1(pss_hash), salt_length=params["salt_length"].native
                )
                public_key.verify(signature, to_verify, pad, pss_hash)
            else:
                public_key.verify(signature, to_verify, padding.PKCS1v15(), hash_algo)
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, to_verify, ec.ECDSA(hash_algo))
        else:
            return None
    except InvalidSignature:
        return False
    except Exception:  # an algorithm or key this check does not cover
        return None
    return True


def _describe(signed: cms.SignedData, signer_info: cms.SignerInfo, content: bytes):
    cert = _find_certificate(signed, signer_info)
    if cert is None:
        raise P7mRejected("no_certificate")
    subject = cert.subject
    validity = cert["tbs_certificate"]["validity"]
    signing_time = _signed_attr(signer_info, "signing_time")
    verified = _verify_signature(content, signer_info, cert)
    if verified is False:
        raise P7mRejected("bad_signature")
    return SignerCertificate(
        common_name=_attr(subject, "common_name"),
        given_name=_attr(subject, "given_name"),
        surname=_attr(subject, "surname"),
        codice_fiscale=_codice_fiscale(subject),
        subject=subject.human_friendly,
        issuer=_issuer(cert.issuer),
        serial_number=format(cert.serial_number, "X"),
        not_before=validity["not_before"].native,
        not_after=validity["not_after"].native,
        signing_time=signing_time.native if signing_time is not None else None,
        signature_verified=verified,
    )


# --------------------------------------------------------------------------- entry point


def validate_p7m(data: bytes, *, max_bytes: int | None = None) -> P7mInfo:
    """Check an uploaded .p7m; return what was found or raise :class:`P7mRejected`."""
    limit = max_bytes or settings.PDF_MAX_BYTES
    if data is None or len(data) == 0:
        raise P7mRejected("empty")
    if len(data) > limit:
        raise P7mRejected("too_large", max=f"{limit / (1024 * 1024):.0f}")
    der = _to_der(bytes(data))
    signed = _load_signed_data(der)
    content = _content(signed)
    layers = [signed]
    # A document signed twice is a .p7m inside a .p7m ("firme annidate").
    while content[:1] == b"\x30" and len(layers) < MAX_NESTING:
        try:
            inner = _load_signed_data(content)
        except P7mRejected:
            break
        layers.append(inner)
        content = _content(inner)
    if content.lstrip()[:5] != b"%PDF-":
        raise P7mRejected("not_pdf")
    try:
        # The portal's PDF check, the one every other upload passes.
        pdf = check_pdf(io.BytesIO(content))
    except ValidationError as exc:
        reason = str(exc.messages[0])
        reason = reason[:1].lower() + reason[1:] if reason[:2] != "PDF" else reason
        raise P7mRejected("pdf_rejected", reason=reason) from None

    signers: list[SignerCertificate] = []
    try:
        for layer in layers:
            layer_content = _content(layer)
            for signer_info in layer["signer_infos"]:
                signers.append(_describe(layer, signer_info, layer_content))
    except P7mRejected:
        raise
    except Exception:  # a certificate asn1crypto cannot describe: damaged, whatever it is
        raise P7mRejected("corrupted") from None
    if not signers:
        raise P7mRejected("no_signer")
    return P7mInfo(
        size=len(data),
        sha256=hashlib.sha256(der).hexdigest(),
        content=content,
        pdf=pdf,
        signer=signers[0],
        signers=signers,
        der=der,
    )
