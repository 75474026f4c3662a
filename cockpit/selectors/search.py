"""The header search over holders, boxes and comunica requests."""

from __future__ import annotations

from dataclasses import dataclass

from comunica import selectors as comunica_selectors
from mailboxes import selectors as mailbox_selectors


@dataclass
class SearchResults:
    q: str
    titolari: list
    caselle: list
    richieste: list
    counts: dict[str, int]

    @property
    def empty(self) -> bool:
        return not any(self.counts.values())


def search(user, q: str, *, limit: int = 10) -> SearchResults:
    """The header search: holders, boxes and (for the office) comunica requests matching every
    word of ``q``, accents and case ignored; the same matching as the lists."""
    titolari = mailbox_selectors.search_titolari(user, q).order_by("denominazione", "cognome", "pk")
    caselle = mailbox_selectors.with_turno(mailbox_selectors.filter_caselle(user, q=q)).order_by(
        "casella_pec", "pk"
    )
    richieste = comunica_selectors.search_richieste(user, q=q)
    return SearchResults(
        q=q,
        titolari=list(titolari[:limit]),
        caselle=list(caselle[:limit]),
        richieste=list(richieste[:limit]),
        counts={
            "titolari": titolari.count(),
            "caselle": caselle.count(),
            "richieste": richieste.count(),
        },
    )
