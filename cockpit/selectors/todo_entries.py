"""The items of the "Da fare" list: an entry, a kind of entries, a group (whose move it is), and
how an entry says how long it has waited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from mailboxes.models import Casella

#: How long each wait normally lasts at Openapi; longer is flagged as stuck.
NORMAL_WAIT = {
    "registrazione": dt.timedelta(hours=1),
    "in_evasione": dt.timedelta(days=3),
    "operazione": dt.timedelta(hours=1),
    "comunica": dt.timedelta(days=5),
}


@dataclass
class Entry:
    """One thing to do: what it is about, what to do in one line, where it is done."""

    title: str
    action: str
    url: str
    since: dt.datetime | None = None
    holder: str = ""
    stuck: bool = False
    key: str = ""  #: stable id for the page and the tests ("casella-12", "call-3"...)
    #: Waiting for the client: the newest signing link sent for it (signing app), if any.
    offers_link: bool = False
    link: object | None = None


@dataclass
class Kind:
    """Items of one kind (e.g. "signature awaited"): how many, the oldest few, where all are."""

    key: str
    label: str
    count: int
    entries: list[Entry]
    all_url: str = ""

    @property
    def more(self) -> int:
        return self.count - len(self.entries)


@dataclass
class Group:
    turno: str
    label: str
    hint: str
    kinds: list[Kind] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(k.count for k in self.kinds)


@dataclass
class Todo:
    groups: list[Group]

    @property
    def count(self) -> int:
        return sum(g.count for g in self.groups)


def holder(casella: Casella) -> str:
    return str(casella.titolare) if casella.titolare_id else ""


def days(moment: dt.datetime | None, now: dt.datetime) -> int:
    return max(0, (now - moment).days) if moment else 0


def age(moment: dt.datetime | None, now: dt.datetime) -> str:
    from django.utils.timesince import timesince

    return timesince(moment, now, depth=1) if moment else "—"
