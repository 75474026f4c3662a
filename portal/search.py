"""Search that finds people: text folded to lower case without accents, matched word by word.

The same folding is stored in a ``search_text`` column (filled on save, indexed) and applied
to the words typed, so that "nicolò", "NICOLO" and "Nicolo'" meet on SQLite and PostgreSQL
alike without a database extension; each word must occur in the text (in any order).
"""

from __future__ import annotations

import unicodedata

from django.db import models
from django.db.models import Q

#: Words of a query beyond these are ignored (one subquery each).
MAX_WORDS = 6


#: Dropped, so that "D'Arco", "DArco" and "d arco" all find D'Àrco.
APOSTROPHES = str.maketrans("", "", "'\u2019`\u00b4")


def fold(text: str) -> str:
    """Lower case, accents and apostrophes dropped, other punctuation to spaces, one space
    apart."""
    decomposed = unicodedata.normalize("NFKD", str(text or "")).translate(APOSTROPHES)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    kept = "".join(ch if ch.isalnum() or ch in "@.-_" else " " for ch in plain)
    return " ".join(kept.split())


def words(query: str) -> list[str]:
    """The folded words of a query, in order, without repeats."""
    seen: list[str] = []
    for word in fold(query).split():
        if word not in seen:
            seen.append(word)
    return seen[:MAX_WORDS]


def search_text(*parts: object) -> str:
    """The stored form of a record's searchable values."""
    return fold(" ".join(str(p) for p in parts if p))


def all_words(query: str, field: str = "search_text") -> Q:
    """Rows whose ``field`` (a folded column) contains every word of ``query``."""
    cond = Q()
    for word in words(query):
        cond &= Q(**{f"{field}__contains": word})
    return cond


class SearchableQuerySet(models.QuerySet):
    """Fills ``search_text`` on bulk_create too (save() is not called there). A model using it
    defines ``searchable()``; an ``update()`` of its searched fields must go through save()."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.search_text = obj.searchable()
        return super().bulk_create(objs, *args, **kwargs)


class Searchable(models.Model):
    """A record found by :func:`all_words`: ``search_fields`` (its attribute names) are folded
    into ``search_text`` on every save and bulk_create; an ``update()`` of them must go through
    save()."""

    #: Folded for search, kept by save().
    search_text = models.TextField(editable=False, blank=True, default="")

    objects = SearchableQuerySet.as_manager()

    search_fields: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.search_text = self.searchable()
        fields = kwargs.get("update_fields")
        if fields is not None:
            kwargs["update_fields"] = {*fields, "search_text"}
        super().save(*args, **kwargs)

    def searchable(self) -> str:
        return search_text(*(getattr(self, name) for name in self.search_fields))
