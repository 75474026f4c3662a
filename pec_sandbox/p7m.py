"""Recognising (and, for tests and demos, building) CMS/PKCS#7 signed-data (.p7m) files."""

from __future__ import annotations

SIGNED_DATA_OID_DER = bytes.fromhex("06092a864886f70d010702")  # 1.2.840.113549.1.7.2

try:  # asn1crypto is a project dependency; keep a fallback all the same
    from asn1crypto import cms
except ImportError:  # pragma: no cover
    cms = None


def is_p7m(data: bytes) -> bool:
    """True when ``data`` is DER ContentInfo of type signed-data (signatures are not checked)."""
    if not data or data[0] != 0x30:
        return False
    if cms is None:  # pragma: no cover
        return SIGNED_DATA_OID_DER in data[:32]
    try:
        info = cms.ContentInfo.load(data, strict=True)
        if info["content_type"].native != "signed_data":
            return False
        signed = info["content"]
        signed["encap_content_info"]["content_type"].native  # noqa: B018 - forces parsing
        signed["digest_algorithms"].native  # noqa: B018
        return True
    except Exception:
        return False


def wrap_signed_data(content: bytes) -> bytes:
    """A structurally valid signed-data envelope around ``content`` with no signer: enough for
    the sandbox's format check, NOT a valid CAdES signature."""
    if cms is None:  # pragma: no cover
        raise RuntimeError("asn1crypto is required")
    signed = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": {"content_type": "data", "content": content},
            "signer_infos": [],
        }
    )
    return cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()
