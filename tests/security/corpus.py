"""Hostile and broken uploads, made here (nothing downloaded): PDFs and signed .p7m files.

Each entry: (name, file name as uploaded, bytes, the validator's refusal code expected).
"""

from __future__ import annotations

import functools
import io
import zipfile
import zlib

from pec_sandbox.pdf import make_pdf


def good_pdf(text: str = "Modulo firmato") -> bytes:
    return make_pdf(text, ["Firmato dal richiedente"])


def _pdf(objects: list[bytes], root: int = 1, trailer_extra: bytes = b"") -> bytes:
    """A PDF with these objects (1-based numbers) and a correct xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root {root} 0 R ".encode()
        + trailer_extra
        + f">>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>"
CONTENT = b"<< /Length 23 >>\nstream\nBT /F1 12 Tf (x) Tj ET\nendstream"


def with_catalog(extra: bytes, more: list[bytes] | None = None) -> bytes:
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R " + extra + b" >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            PAGE,
            CONTENT,
            *(more or []),
        ]
    )


def javascript_openaction() -> bytes:
    return with_catalog(b"/OpenAction 5 0 R", [b"<< /S /JavaScript /JS (app.alert(1)) >>"])


def launch_action() -> bytes:
    return with_catalog(
        b"/OpenAction 5 0 R", [b"<< /S /Launch /F (cmd.exe) /Win << /F (cmd.exe) >> >>"]
    )


def names_javascript() -> bytes:
    return with_catalog(
        b"/Names << /JavaScript 5 0 R >>",
        [b"<< /Names [(a) 6 0 R] >>", b"<< /S /JavaScript /JS (this.print()) >>"],
    )


def embedded_file() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(good_pdf())))
    writer.add_attachment("payload.exe", b"MZ\x90\x00 not really a program")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(good_pdf())))
    writer.encrypt(user_password="segreta", owner_password="segreta", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_owner_only() -> bytes:
    """Opens without a password, but is encrypted (owner password: printing/copy limits)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(good_pdf())))
    writer.encrypt(user_password="", owner_password="proprietario", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@functools.cache
def bomb_stream(gigabytes: float = 1.0) -> bytes:
    """zlib of 1 GB of zeros (about 1 MB), compressed in chunks so it costs little memory."""
    comp = zlib.compressobj(9)
    chunk = bytes(1 << 20)
    parts = [comp.compress(chunk) for _ in range(int(gigabytes * 1024))]
    parts.append(comp.flush())
    return b"".join(parts)


def decompression_bomb() -> bytes:
    data = bomb_stream()
    stream = (
        b"<< /Length "
        + str(len(data)).encode()
        + b" /Filter /FlateDecode >>\nstream\n"
        + data
        + b"\nendstream"
    )
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            PAGE,
            stream,
        ]
    )


def _pdf_objstm(objects: list[bytes], hidden: set[int]) -> bytes:
    """A PDF whose objects numbered in ``hidden`` live inside one compressed object stream
    (so their keys, e.g. /JavaScript, never appear in the raw bytes), with an xref stream."""
    stm_no, xref_no = len(objects) + 1, len(objects) + 2
    header, body = b"", b""
    for number in sorted(hidden):
        header += f"{number} {len(body)} ".encode()
        body += objects[number - 1] + b" "
    data = zlib.compress(header + body)
    objstm = (
        (
            f"<< /Type /ObjStm /N {len(hidden)} /First {len(header)} /Length {len(data)} "
            "/Filter /FlateDecode >>\nstream\n"
        ).encode()
        + data
        + b"\nendstream"
    )
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, obj in enumerate([*objects, objstm], start=1):
        if number in hidden:
            continue
        offsets[number] = len(out)
        out += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref_at = len(out)
    rows = [b"\x00\x00\x00\x00\xff\xff"]
    index_in_stm = {n: i for i, n in enumerate(sorted(hidden))}
    for number in range(1, xref_no + 1):
        if number in hidden:
            rows.append(b"\x02" + stm_no.to_bytes(4, "big") + bytes([index_in_stm[number]]))
        elif number == xref_no:
            rows.append(b"\x01" + xref_at.to_bytes(4, "big") + b"\x00")
        else:
            rows.append(b"\x01" + offsets[number].to_bytes(4, "big") + b"\x00")
    xdata = b"".join(rows)
    out += (
        f"{xref_no} 0 obj\n<< /Type /XRef /Size {xref_no + 1} /W [1 4 1] /Root 1 0 R "
        f"/Length {len(xdata)} >>\nstream\n"
    ).encode()
    out += xdata + f"\nendstream\nendobj\nstartxref\n{xref_at}\n%%EOF\n".encode()
    return bytes(out)


def objstm_javascript() -> bytes:
    """/OpenAction JavaScript hidden inside a compressed object stream."""
    return _pdf_objstm(
        [
            b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            PAGE,
            CONTENT,
            b"<< /S /JavaScript /JS (app.alert(1)) >>",
        ],
        hidden={5},
    )


def objstm_page_aa_javascript() -> bytes:
    """A page's open action (/AA /O) running JavaScript, page and action both inside a
    compressed object stream: the raw bytes show neither /AA nor /JavaScript."""
    return _pdf_objstm(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << >> /AA << /O 5 0 R >> >>",
            CONTENT,
            b"<< /S /JavaScript /JS (app.launchURL('http://evil.example')) >>",
        ],
        hidden={3, 5},
    )


def objstm_launch_annotation() -> bytes:
    """A link annotation whose action launches a program, hidden in an object stream."""
    return _pdf_objstm(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << >> /Annots [5 0 R] >>",
            CONTENT,
            b"<< /Type /Annot /Subtype /Link /Rect [0 0 595 842] /A 6 0 R >>",
            b"<< /S /Launch /F (cmd.exe) >>",
        ],
        hidden={3, 5, 6},
    )


def many_pages(n: int = 5000) -> bytes:
    kids = " ".join(f"{3 + i} 0 R" for i in range(n)).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count " + str(n).encode() + b" >>",
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"] * n
    return _pdf(objects)


def zip_polyglot() -> bytes:
    """A PDF that is also a ZIP archive (the archive appended after %%EOF)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("evil.html", "<script>alert(1)</script>")
    return good_pdf() + buf.getvalue()


def zip_with_pdf_header() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("%PDF-1.4.txt", "%PDF-1.4 not a pdf")
    return buf.getvalue()


def html_polyglot() -> bytes:
    return b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n"


def html_after_header() -> bytes:
    """A valid PDF with an HTML page smuggled in a comment-like trailer."""
    return good_pdf().replace(
        b"%PDF-1.4\n", b"%PDF-1.4\n%<html><script>alert(1)</script></html>\n", 1
    )


def truncated() -> bytes:
    data = good_pdf()
    return data[: len(data) // 2]


def truncated_tail() -> bytes:
    """Everything but the last 40 bytes (trailer and %%EOF lost)."""
    data = good_pdf()
    return data[:-40]


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def big(mb: int = 50) -> bytes:
    head = good_pdf()
    return head + b"%" + b"0" * (mb * 1024 * 1024 - len(head) - 1)


#: (label, uploaded file name, content factory, expected refusal code of portal.pdf)
PDF_CORPUS = [
    ("empty file", "vuoto.pdf", lambda: b"", "empty"),
    ("text renamed .pdf", "lettera.pdf", lambda: b"Gentile cliente,\nin allegato...\n", "not_pdf"),
    ("PNG renamed .pdf", "foto.pdf", lambda: PNG, "not_pdf"),
    ("Windows program renamed .pdf", "setup.pdf", lambda: b"MZ\x90\x00" + b"\x00" * 200, "not_pdf"),
    ("PDF header + HTML", "modulo.pdf", html_polyglot, "broken"),
    ("truncated PDF (half)", "modulo.pdf", truncated, "broken"),
    ("truncated PDF (trailer cut)", "modulo.pdf", truncated_tail, "broken"),
    ("encrypted PDF (user password)", "modulo.pdf", encrypted, "encrypted"),
    ("encrypted PDF (owner password only)", "modulo.pdf", encrypted_owner_only, "encrypted"),
    ("/OpenAction /JavaScript", "modulo.pdf", javascript_openaction, "active_content"),
    ("/Names /JavaScript", "modulo.pdf", names_javascript, "active_content"),
    ("/Launch action", "modulo.pdf", launch_action, "active_content"),
    ("embedded file", "modulo.pdf", embedded_file, "active_content"),
    ("JavaScript in a compressed object stream", "modulo.pdf", objstm_javascript, "active_content"),
    ("5,000 pages", "modulo.pdf", many_pages, "too_many_pages"),
    ("50 MB file", "modulo.pdf", big, "too_big"),
    ("path traversal name, HTML inside", "../../../etc/passwd.pdf", html_polyglot, "broken"),
    ("NUL in the name, text inside", "modulo\x00.exe.pdf", lambda: b"hello", "not_pdf"),
    (
        "unicode RTL-override name, encrypted",
        "documento\u202efdp.exe",
        encrypted,
        "encrypted",
    ),
    ("decompression bomb (1 GB of zeros, FlateDecode)", "modulo.pdf", decompression_bomb, "bomb"),
    ("PDF + ZIP polyglot (archive after %%EOF)", "modulo.pdf", zip_polyglot, "polyglot"),
    (
        "ZIP with %PDF- in its first 1 KB, renamed .pdf",
        "modulo.pdf",
        zip_with_pdf_header,
        "not_pdf",
    ),
    (
        "page /AA JavaScript in a compressed object stream",
        "modulo.pdf",
        objstm_page_aa_javascript,
        "active_content",
    ),
    (
        "/Launch link annotation in an object stream",
        "modulo.pdf",
        objstm_launch_annotation,
        "active_content",
    ),
]

#: Hostile files the validator should refuse but accepts (none today; xfail them with the bug).
PDF_CORPUS_GAPS: list = []


# --------------------------------------------------------------------------- .p7m


def _factories():
    from tests.comunica import factories

    return factories


def p7m(content: bytes | None = None, **kw) -> bytes:
    return _factories().make_p7m(content if content is not None else good_pdf("Procura"), **kw)


def corrupted_der() -> bytes:
    data = bytearray(p7m())
    data[19:60] = b"\xff" * 41  # the SignedData header, after the content type
    return bytes(data)


def truncated_der() -> bytes:
    data = p7m()
    return data[: len(data) // 3]


def tampered_content() -> bytes:
    """The signed PDF altered after signing (same length): the signature no longer matches."""
    data = p7m(good_pdf("Procura per Mario Rossi"))
    return data.replace(b"Mario Rossi", b"Mario Bianc", 1)


def not_signed_data() -> bytes:
    from asn1crypto import cms

    return cms.ContentInfo({"content_type": "data", "content": b"%PDF-1.4 hello"}).dump()


def pem_garbage() -> bytes:
    return b"-----BEGIN PKCS7-----\n!!!! this is not base64 at all ####\n-----END PKCS7-----\n"


def p7m_of_text() -> bytes:
    return p7m(b"Procura: io sottoscritto... (un file di testo, non un PDF)")


def p7m_of_html() -> bytes:
    return p7m(b"<html><script>alert(1)</script></html>")


def p7m_of_encrypted_pdf() -> bytes:
    return p7m(encrypted())


def p7m_of_javascript_pdf() -> bytes:
    return p7m(javascript_openaction())


def p7m_too_big() -> bytes:
    return b"\x30\x84" + b"\x00" * (11 * 1024 * 1024)


#: (label, uploaded name, content factory, expected P7mRejected.code)
P7M_CORPUS = [
    ("empty file", "procura.p7m", lambda: b"", "empty"),
    ("plain PDF renamed .p7m", "procura.pdf.p7m", good_pdf, "plain_pdf"),
    ("random bytes", "procura.p7m", lambda: bytes(range(256)) * 8, "not_p7m"),
    ("text renamed .p7m", "procura.p7m", lambda: "Non firmato ✍".encode() * 3, "not_p7m"),
    ("PNG renamed .p7m", "procura.p7m", lambda: PNG, "not_p7m"),
    ("corrupted DER", "procura.p7m", corrupted_der, "corrupted"),
    ("truncated DER", "procura.p7m", truncated_der, "corrupted"),
    ("PEM with garbage inside", "procura.p7m", pem_garbage, "corrupted"),
    ("CMS that is not signed data", "procura.p7m", not_signed_data, "not_signed_data"),
    ("detached signature", "procura.p7s", lambda: _factories().make_detached_p7m(), "detached"),
    (".p7m wrapping a text file", "procura.p7m", p7m_of_text, "not_pdf"),
    (".p7m wrapping HTML", "procura.p7m", p7m_of_html, "not_pdf"),
    ("content altered after signing", "procura.p7m", tampered_content, "bad_signature"),
    (".p7m wrapping an encrypted PDF", "procura.p7m", p7m_of_encrypted_pdf, "pdf_rejected"),
    ("11 MB file", "procura.p7m", p7m_too_big, "too_large"),
    ("path traversal name, plain PDF", "../../procura.p7m", good_pdf, "plain_pdf"),
    (".p7m wrapping a PDF with JavaScript", "procura.p7m", p7m_of_javascript_pdf, "pdf_rejected"),
    (
        ".p7m wrapping a PDF with page /AA JavaScript in an object stream",
        "procura.p7m",
        lambda: p7m(objstm_page_aa_javascript()),
        "pdf_rejected",
    ),
]
P7M_CORPUS_GAPS: list = []
