"""Active content anywhere in a PDF: every object of the file is looked at (no Django here).

Not only what is reachable from the pages: every object the cross-reference table lists, every
``N G obj`` found in the bytes (older revisions, objects left out of the table: a reader that
rebuilds a damaged table sees them), every object of every object stream, and the trailer; in
each, every nested dictionary and array. Each value compared is resolved first (``/S 7 0 R``
whose object 7 is ``/Launch`` is a launch action), whether the reference points into the table,
into an object stream or to an object only the bytes hold.

Refused: JavaScript; actions that run, open or send something (Launch, URI other than a
clicked http(s)/mailto link, SubmitForm,
ImportData, GoToR, GoToE, Rendition, Sound, Movie, RichMediaExecute, GoTo3DView, a Thread into
another file); automatic actions (``/OpenAction`` that is an action other than GoTo, a
non-empty ``/AA`` anywhere); embedded and associated files (``/EmbeddedFile(s)``, ``/EF``,
``/AF``, file-attachment annotations, portfolios); XFA forms; multimedia and 3D (Sound, Movie,
Screen, 3D, RichMedia annotations, U3D/PRC streams, renditions). Internal links (``/Dest``,
GoTo, Named actions), web links the reader clicks, form fields, signatures and ordinary annotations
pass.
"""

from __future__ import annotations

import io
import re

from .streams import Broken, Budget, TooComplex, decode

#: Action types that run, open, fetch or send something.
DENIED_ACTIONS = frozenset(
    {
        "/JavaScript",
        "/ECMAScript",
        "/Launch",
        "/URI",
        "/SubmitForm",
        "/ImportData",
        "/GoToR",
        "/GoToE",
        "/Rendition",
        "/Sound",
        "/Movie",
        "/RichMediaExecute",
        "/GoTo3DView",
    }
)
#: The only URI links let through: clicked by the reader (never automatic), to a web page or an
#: address; ``file:``, ``javascript:``, UNC paths and every other scheme are refused.
WEB_SCHEMES = ("http://", "https://", "mailto:")
#: Annotation and stream subtypes that carry files, media or 3D.
DENIED_SUBTYPES = frozenset(
    {
        "/FileAttachment",
        "/Sound",
        "/Movie",
        "/Screen",
        "/3D",
        "/RichMedia",
        "/Projection",
        "/U3D",
        "/PRC",
    }
)
DENIED_TYPES = frozenset(
    {
        "/EmbeddedFile",
        "/3D",
        "/Sound",
        "/Rendition",
        "/MediaClip",
        "/RichMediaContent",
        "/RichMediaSettings",
    }
)
#: Keys that exist only for scripts, files, forms run elsewhere or media.
DENIED_KEYS = frozenset(
    {
        "/JS",
        "/JavaScript",
        "/EmbeddedFiles",
        "/EF",
        "/RF",
        "/AF",
        "/XFA",
        "/Collection",
        "/RichMediaContent",
        "/RichMediaSettings",
        "/3DD",
        "/OnInstantiate",
        "/Renditions",
        "/AlternatePresentations",
        "/Movie",
        "/Sound",
    }
)
#: The same names in the bytes outside streams: a last net for what no parser reads the same.
RAW_NAMES_RE = re.compile(
    rb"/(JavaScript|JS|Launch|RichMedia|XFA|EmbeddedFiles?|GoToE|GoToR|SubmitForm|ImportData"
    rb"|OnInstantiate)(?![A-Za-z0-9#])"
)
#: An object's header, matched backwards from an "obj" keyword found with bytes.find.
_OBJ_HEADER_RE = re.compile(rb"(?<![0-9])(\d{1,10})[\x00\t\n\x0c\r ]+(\d{1,5})[\x00\t\n\x0c\r ]+\Z")
#: Objects (table, bytes, object streams) one file may hold.
MAX_OBJECTS = 50_000
#: Dictionaries, arrays and values looked at across the file.
MAX_NODES = 2_000_000
#: Streams one file may hold (a 50-page document has hundreds; more is a hostile structure).
MAX_STREAMS = 5_000


class Active(Exception):
    """JavaScript, an action, an embedded file or media: refused."""


def raw_names_outside_streams(raw: bytes) -> bool:
    """True when an active name is spelled in the bytes outside stream data (stream data is
    images and page content, where random bytes spell "/JS" about once in 16 MB)."""
    pos = start = 0
    while True:
        start = raw.find(b"stream", start)
        if start < 0:
            return RAW_NAMES_RE.search(raw, pos) is not None
        after = start + 6
        if raw[after : after + 1] not in (b"\r", b"\n") or raw[start - 3 : start] == b"end":
            start = after
            continue
        if RAW_NAMES_RE.search(raw, pos, start):
            return True
        end = raw.find(b"endstream", after)
        if end < 0:
            return False
        pos = start = end + 9


class Inspector:
    """Every object of one file, each dictionary checked; the streams kept for decoding."""

    def __init__(self, reader, raw: bytes, budget: Budget):
        self.reader = reader
        self.raw = raw
        self.budget = budget
        self.nodes = MAX_NODES
        self.objects = 0
        self.streams: list = []
        #: objects the table does not list, found in the bytes or in object streams
        self.extra: dict[tuple[int, int], object] = {}

    # ----------------------------------------------------------------- resolving

    def _listed(self, ref) -> bool:
        reader = self.reader
        if ref.generation == 0 and ref.idnum in reader.xref_objStm:
            return True
        return ref.idnum in reader.xref.get(ref.generation, {})

    def resolve(self, value):
        """The object a value stands for (references followed, wherever the object is)."""
        from pypdf.generic import IndirectObject

        for _ in range(16):
            if not isinstance(value, IndirectObject):
                return value
            if self._listed(value):
                value = self.reader.get_object(value)
            else:
                value = self.extra.get((value.idnum, value.generation))
        raise Broken  # a chain of references this long exists only to hide something

    def name(self, value) -> str | None:
        value = self.resolve(value)
        if isinstance(value, str):  # NameObject, or a string some readers take for a name
            return value if value.startswith("/") else "/" + value
        return None

    def web_link(self, value) -> bool:
        """A link to a web page or an e-mail address, which the reader asks before opening
        (an automatic one, on opening or in ``/AA``, is refused where it sits)."""
        value = self.resolve(value)
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if not isinstance(value, str):
            return False
        return value.strip().lower().startswith(WEB_SCHEMES)

    # ----------------------------------------------------------------- the rules

    def check_dict(self, item: dict) -> None:
        keys = item.keys()
        if not DENIED_KEYS.isdisjoint(keys):
            raise Active
        if "/S" in keys:
            action = self.name(item["/S"])
            if action == "/URI":
                if not self.web_link(item.get("/URI")):
                    raise Active
            elif action in DENIED_ACTIONS or (action == "/Thread" and "/F" in keys):
                raise Active
        if "/Subtype" in keys and self.name(item["/Subtype"]) in DENIED_SUBTYPES:
            raise Active
        if "/Type" in keys and self.name(item["/Type"]) in DENIED_TYPES:
            raise Active
        if "/AA" in keys:
            triggers = self.resolve(item["/AA"])
            if isinstance(triggers, dict) and triggers:
                raise Active
        if "/OpenAction" in keys:
            opened = self.resolve(item["/OpenAction"])
            # an array is a destination; an action on opening may only go to a page
            if isinstance(opened, dict) and self.name(opened.get("/S")) != "/GoTo":
                raise Active

    def check(self, obj) -> None:
        """The object and every dictionary and array nested in it (references are objects
        of their own, checked as such)."""
        from pypdf.generic import StreamObject

        todo = [obj]
        while todo:
            item = todo.pop()
            self.nodes -= 1
            if self.nodes < 0:
                raise TooComplex
            if isinstance(item, dict):
                self.check_dict(item)
                todo.extend(v for v in item.values() if isinstance(v, (dict, list)))
            elif isinstance(item, list):
                todo.extend(v for v in item if isinstance(v, (dict, list)))
        if isinstance(obj, StreamObject):
            self.streams.append(obj)
            if len(self.streams) > MAX_STREAMS:
                raise Broken
            if self.name(obj.get("/Type")) == "/ObjStm":
                self._object_stream(obj)

    def _count(self) -> None:
        self.objects += 1
        if self.objects > MAX_OBJECTS:
            raise TooComplex

    # ----------------------------------------------------------------- every object

    def run(self) -> None:
        from pypdf.generic import IndirectObject

        reader = self.reader
        self.check(reader.trailer)
        listed_at: dict[tuple[int, int], int] = {}
        for generation, entries in list(reader.xref.items()):
            for number, offset in list(entries.items()):
                if not isinstance(offset, int) or reader.xref_free_entry.get(generation, {}).get(
                    number
                ):
                    continue
                listed_at[(number, generation)] = offset
                self._count()
                self.check(reader.get_object(IndirectObject(number, generation, reader)))
        self._unlisted(listed_at)

    def _unlisted(self, listed_at: dict[tuple[int, int], int]) -> None:
        """Objects in the bytes where the table does not point: parsed and checked too."""
        from pypdf._utils import skip_over_whitespace
        from pypdf.generic import read_object

        raw = self.raw
        at = raw.find(b"obj")
        while at >= 0:
            keyword, at = at, raw.find(b"obj", at + 3)
            if raw[keyword - 3 : keyword] == b"end" or raw[keyword + 3 : keyword + 4].isalpha():
                continue
            window = max(0, keyword - 40)
            match = _OBJ_HEADER_RE.search(raw[window:keyword])
            if match is None:
                continue
            key = (int(match.group(1)), int(match.group(2)))
            if key in listed_at and 0 <= window + match.start() - listed_at[key] <= 32:
                continue  # the object the table points at, checked already
            self._count()
            stream = self.reader.stream
            try:
                stream.seek(keyword + 3)
                skip_over_whitespace(stream)
                stream.seek(-1, 1)
                obj = read_object(stream, self.reader)
            except (TooComplex, MemoryError):
                raise
            except Exception:  # noqa: S112  (not an object after all: bytes in a stream, say)
                continue
            self.extra.setdefault(key, obj)
            self.check(obj)

    def _object_stream(self, stm) -> None:
        """Every object an object stream holds, listed by the table or not."""
        from pypdf._utils import skip_over_whitespace
        from pypdf.generic import read_object

        data = decode(stm, self.budget, hold=True)
        if not data:
            return
        first = self.resolve(stm.get("/First"))
        if not isinstance(first, int) or not 0 <= first <= len(data):
            return
        header = data[:first].split()
        body = io.BytesIO(data)
        for index in range(0, len(header) - 1, 2):
            self._count()
            try:
                number, offset = int(header[index]), int(header[index + 1])
                body.seek(first + offset)
                skip_over_whitespace(body)
                body.seek(-1, 1)
                obj = read_object(body, self.reader)
            except (TooComplex, MemoryError):
                raise
            except Exception:  # noqa: S112  (an entry no reader can parse either)
                continue
            self.extra.setdefault((number, 0), obj)
            self.check(obj)

    def decode_streams(self) -> None:
        """Every stream through its filters, under the file's budget (bombs)."""
        for stm in self.streams:
            if self.name(stm.get("/Type")) != "/ObjStm":  # those were decoded already
                decode(stm, self.budget, hold=False)
