"""What the compliance pages read: the stored findings and checks, scoped to the user, each
finding with the link to where it is fixed."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlencode

from django.urls import reverse

from mailboxes import selectors as mailbox_selectors
from portal.remote_calls import OPEN_STATES

from .choices import Kind
from .models import CompanyCheck, Finding, MonitorCall
from .services.checks import company_holders


def _url(name: str, *args, **query) -> str:
    url = reverse(name, args=args)
    return f"{url}?{urlencode(query)}" if query else url


def action_url(finding: Finding) -> str:
    """Where the finding is fixed."""
    t, box = finding.titolare_id, finding.casella_id
    kind = Kind(finding.kind)
    if kind in (Kind.PEC_MISSING, Kind.PEC_NOT_MANAGED) and box:
        return _url("comunica:richiesta_new", titolare=t, casella=box)
    if kind in (Kind.PEC_MISSING, Kind.PEC_BOX_INACTIVE, Kind.PEC_SHARED, Kind.PEC_OFFICE):
        return _url("mailboxes:casella_new", titolare=t)
    if kind == Kind.PEC_BOX_EXPIRING and box:
        return _url("mailboxes:casella_detail", box)
    if kind in (Kind.DIRECTOR_NO_PEC, Kind.DIRECTOR_PEC_NOT_DISTINCT):
        return _url("compliance:director_holder", t)
    if kind == Kind.DIRECTOR_PEC_TO_FILE:
        return _url("compliance:director_file", t)
    if kind == Kind.CEASED:
        return _url("mailboxes:titolare_detail", t)
    return _url("compliance:holder", t)


def findings_for(user):
    holders = mailbox_selectors.titolari_for(user)
    qs = Finding.objects.filter(titolare__in=holders).select_related("titolare", "casella")
    rows = list(qs.order_by("titolare__denominazione", "titolare_id", "kind"))
    for row in rows:
        row.url = action_url(row)
    return rows


def by_company(rows) -> list[tuple]:
    """[(titolare, [findings])] in the rows' order."""
    groups: dict[int, tuple] = {}
    for row in rows:
        groups.setdefault(row.titolare_id, (row.titolare, []))[1].append(row)
    return list(groups.values())


def counts(rows) -> list[tuple[str, str, int]]:
    """(kind, label, count) of the kinds found, in the kinds' order."""
    found = Counter(r.kind for r in rows)
    return [(k.value, k.label, found[k.value]) for k in Kind if found[k.value]]


def summary(user) -> dict:
    holders = company_holders().filter(pk__in=mailbox_selectors.titolari_for(user).values("pk"))
    checks = CompanyCheck.objects.filter(titolare__in=holders)
    last = checks.order_by("-checked_at").values_list("checked_at", flat=True).first()
    return {"companies": holders.count(), "checked": checks.count(), "last_check": last}


def check_of(titolare) -> CompanyCheck | None:
    return CompanyCheck.objects.filter(titolare=titolare).first()


def holder_findings(titolare):
    rows = list(titolare.compliance_findings.select_related("casella"))
    for row in rows:
        row.url = action_url(row)
    return rows


def company_holders_for(user):
    return company_holders().filter(pk__in=mailbox_selectors.titolari_for(user).values("pk"))


def monitors_of(titolare):
    """The company's monitors being watched, each with ``stopping`` (a stop being sent)."""
    stopping = set(
        MonitorCall.objects.filter(
            monitor__titolare=titolare, kind="stop", state__in=OPEN_STATES
        ).values_list("monitor", flat=True)
    )
    rows = list(titolare.compliance_monitors.filter(stopped_at=None).order_by("dataset"))
    for m in rows:
        m.stopping = m.pk in stopping
    return rows
