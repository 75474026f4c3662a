"""Typed results of the Company API endpoints the portal uses (company.openapi.json, 1.0.0).

Parsed leniently like openapi_pec.types: a missing field becomes its empty default, the dict as
received is kept in ``.raw``, an unknown code stays the plain string it came as.  Unix seconds
become aware UTC datetimes; ``YYYY-MM-DD`` strings dates; ISO date-times aware datetimes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Self
from urllib.parse import parse_qs

from openapi_pec.types import parse_timestamp

__all__ = [
    "DIRECTOR_ROLES",
    "Closure",
    "CompanyProfile",
    "Dataset",
    "Manager",
    "MonitorCallback",
    "MonitorRequest",
    "MonitorSummary",
    "PecChange",
    "RegisteredPec",
    "Role",
    "RoleCode",
    "Stakeholders",
    "parse_day",
    "parse_monitor_callback",
]


class Dataset(StrEnum):
    """MonitorPayload.dataset: the endpoint whose data a monitor watches (the ones the portal
    uses; the spec lists more, which ``create_monitor`` accepts as plain strings)."""

    IT_PEC = "IT-pec"
    IT_CLOSED = "IT-closed"
    IT_STAKEHOLDERS = "IT-stakeholders"
    IT_START = "IT-start"
    IT_ADVANCED = "IT-advanced"


class RoleCode(StrEnum):
    """Registro Imprese role codes (managers[].roles[].role.code) of the directors DL 159/2025
    names, in its order, and a plain board member.  [I] The spec lists the codes without their
    meaning (it links docs.openapi.it/company-legend.html); these are the Chambers' codes."""

    AMMINISTRATORE_UNICO = "AUN"
    AMMINISTRATORE_DELEGATO = "AMD"
    PRESIDENTE_CDA = "PCA"
    CONSIGLIERE = "CON"


#: The director who must have a PEC of their own, first present wins (compliance-rules.md).
DIRECTOR_ROLES: tuple[RoleCode, ...] = (
    RoleCode.AMMINISTRATORE_UNICO,
    RoleCode.AMMINISTRATORE_DELEGATO,
    RoleCode.PRESIDENTE_CDA,
)


def parse_day(value: Any) -> dt.date | None:
    """``YYYY-MM-DD`` (or an ISO date-time: its date) -> date; anything else -> None."""
    if not value:
        return None
    text = str(value)
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def _str(value: Any) -> str:
    return "" if value is None or value is False else str(value)


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _first(data: Any) -> dict:
    """The record of a lookup's ``data``: a list of one object (or the object itself)."""
    items = _dicts(data) if isinstance(data, list) else _dicts([data])
    return items[0] if items else {}


@dataclass(frozen=True)
class Lookup:
    """What every lookup (GET /IT-…/{code}) gives: the code asked about, when Openapi answered
    (the answer may come from the client's cache) and the record as received.  A lookup type
    declares its own fields and reads them from the record in ``_fields``."""

    code: str
    fetched_at: dt.datetime | None = field(default=None, compare=False, kw_only=True)
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False, kw_only=True)

    @classmethod
    def from_raw(cls, code: str, data: Any, fetched_at: float | None = None) -> Self:
        record = cls._record(data)
        return cls(
            code=code, **cls._fields(record), fetched_at=parse_timestamp(fetched_at), raw=record
        )

    @staticmethod
    def _record(data: Any) -> dict:
        return _first(data)

    @classmethod
    def _fields(cls, record: dict) -> dict[str, Any]:
        raise NotImplementedError


# --------------------------------------------------------------------------- IT-pec


@dataclass(frozen=True)
class PecChange:
    """A PEC the company had before (Pec.history[]), active until ``until``."""

    pec: str
    until: dt.datetime | None


@dataclass(frozen=True)
class RegisteredPec(Lookup):
    """GET /IT-pec/{code}: the PEC registered at the Registro Imprese ("" when none) and the
    ones it replaced, newest first."""

    pec: str
    history: tuple[PecChange, ...] = ()

    @classmethod
    def _fields(cls, record: dict) -> dict[str, Any]:
        history = [
            PecChange(pec=_str(h.get("pec")), until=parse_timestamp(h.get("timestamp")))
            for h in _dicts(record.get("history"))
        ]
        history.sort(key=lambda h: h.until or dt.datetime.min.replace(tzinfo=dt.UTC), reverse=True)
        return {"pec": _str(record.get("pec")).strip(), "history": tuple(history)}


# --------------------------------------------------------------------------- IT-closed


@dataclass(frozen=True)
class Closure(Lookup):
    """GET /IT-closed/{code}: whether the Tax Office has the code as ceased."""

    ceased: bool
    company_id: str = ""

    @classmethod
    def _fields(cls, record: dict) -> dict[str, Any]:
        return {
            "ceased": record.get("taxCodeCeased") is True,
            "company_id": _str(record.get("id")),
        }


# --------------------------------------------------------------------------- IT-advanced


@dataclass(frozen=True)
class CompanyProfile(Lookup):
    """GET /IT-advanced/{code}, the parts the portal reads: the detailed legal form (the
    Chambers' code, e.g. ``SR`` for an srl), the activity status and the registered PEC."""

    company_name: str = ""
    legal_form: str = ""
    legal_form_description: str = ""
    activity_status: str = ""
    ceased: bool = False
    pec: str = ""

    @classmethod
    def _fields(cls, record: dict) -> dict[str, Any]:
        form = _dict(record.get("detailedLegalForm"))
        return {
            "company_name": _str(record.get("companyName")),
            "legal_form": _str(form.get("code")).upper(),
            "legal_form_description": _str(form.get("description")),
            "activity_status": _str(record.get("activityStatus")).upper(),
            "ceased": record.get("taxCodeCeased") is True,
            "pec": _str(record.get("pec")).strip(),
        }


# --------------------------------------------------------------------------- IT-stakeholders


@dataclass(frozen=True)
class Role:
    code: RoleCode | str
    description: str = ""
    since: dt.date | None = None


@dataclass(frozen=True)
class Manager:
    """One of Stakeholders.managers: a person (name, surname) or a company (company_name)."""

    tax_code: str
    roles: tuple[Role, ...]
    name: str = ""
    surname: str = ""
    company_name: str = ""
    is_legal_representative: bool = False
    gender: str = ""
    birth_date: dt.date | None = None
    birth_town: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_person(self) -> bool:
        return not self.company_name

    @property
    def display_name(self) -> str:
        return self.company_name or f"{self.name} {self.surname}".strip()

    def has_role(self, code: RoleCode | str) -> bool:
        return any(str(r.code) == str(code) for r in self.roles)

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> Manager:
        roles = []
        for item in _dicts(raw.get("roles")):
            role = _dict(item.get("role"))
            code = _str(role.get("code"))
            with contextlib.suppress(ValueError):
                code = RoleCode(code)
            roles.append(
                Role(
                    code=code,
                    description=_str(role.get("description")),
                    since=parse_day(item.get("roleStartDate")),
                )
            )
        return cls(
            tax_code=_str(raw.get("taxCode")).upper(),
            roles=tuple(roles),
            name=_str(raw.get("name")),
            surname=_str(raw.get("surname")),
            company_name=_str(raw.get("companyName")),
            is_legal_representative=raw.get("isLegalRepresentative") is True,
            gender=_str(_dict(raw.get("gender")).get("code")),
            birth_date=parse_day(raw.get("birthDate")),
            birth_town=_str(raw.get("birthTown")),
            raw=raw,
        )


@dataclass(frozen=True)
class Stakeholders(Lookup):
    """GET /IT-stakeholders/{code}: the company's details and its managers with their roles."""

    company_name: str
    tax_code: str
    vat_code: str
    managers: tuple[Manager, ...]
    rea_code: str = ""
    cciaa: str = ""

    def with_role(self, code: RoleCode | str) -> list[Manager]:
        return [m for m in self.managers if m.has_role(code)]

    @staticmethod
    def _record(data: Any) -> dict:
        return _dict(data)  # an object, not a list of one

    @classmethod
    def _fields(cls, record: dict) -> dict[str, Any]:
        details = _dict(record.get("companyDetails"))
        return {
            "company_name": _str(details.get("companyName")),
            "tax_code": _str(details.get("taxCode")),
            "vat_code": _str(details.get("vatCode")),
            "managers": tuple(Manager.from_raw(m) for m in _dicts(record.get("managers"))),
            "rea_code": _str(details.get("reaCode")),
            "cciaa": _str(details.get("cciaa")),
        }


# --------------------------------------------------------------------------- monitor


@dataclass(frozen=True)
class MonitorCallback:
    """The Callback of POST /monitor.  ``headers`` arrive as HTTP headers on every callback
    (the place for a per-monitor secret); ``data`` comes back inside the callback's record."""

    url: str
    method: str | None = None  # "JSON" or "POST" (form field ``field``); the API's default POST
    field: str | None = None
    headers: dict[str, str] | None = None
    data: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"url": self.url}
        for name in ("method", "field", "headers", "data"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


@dataclass(frozen=True)
class MonitorSummary:
    """An item of GET /monitor."""

    id: str
    company_name: str = ""
    checked_on: dt.date | None = None
    next_on: dt.date | None = None
    expires_on: dt.date | None = None

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> MonitorSummary:
        return cls(
            id=_str(raw.get("id")),
            company_name=_str(raw.get("companyName")),
            checked_on=parse_day(raw.get("checkedOn")),
            next_on=parse_day(raw.get("nextOn")),
            expires_on=parse_day(raw.get("expiresOn")),
        )


@dataclass(frozen=True)
class MonitorRequest:
    """MonitorRequest: a monitor as POST /monitor and GET /monitor/{id} give it, and as the
    callback delivers it (then ``updated_fields`` holds the watched fields that changed, with
    their new values, and ``latest_dataset`` / ``previous_dataset`` the data after and before)."""

    id: str
    code: str = ""
    dataset: Dataset | str = ""
    monitored_fields: tuple[str, ...] = ()
    company_id: str = ""
    company_name: str = ""
    tax_code: str = ""
    vat_code: str = ""
    updated_fields: dict[str, Any] = field(default_factory=dict)
    latest_dataset: dict[str, Any] | None = None
    previous_dataset: dict[str, Any] | None = None
    callback: dict[str, Any] = field(default_factory=dict)
    created_on: dt.date | None = None
    checked_on: dt.date | None = None
    next_on: dt.date | None = None
    expires_on: dt.date | None = None
    autorenew: bool = False
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_raw(cls, raw: dict[str, Any]) -> MonitorRequest:
        dataset = _str(raw.get("dataset"))
        with contextlib.suppress(ValueError):
            dataset = Dataset(dataset)
        fields = raw.get("monitoredFields")
        return cls(
            id=_str(raw.get("id")),
            code=_str(raw.get("code")),
            dataset=dataset,
            monitored_fields=tuple(str(f) for f in fields) if isinstance(fields, list) else (),
            company_id=_str(raw.get("companyId")),
            company_name=_str(raw.get("companyName")),
            tax_code=_str(raw.get("taxCode")),
            vat_code=_str(raw.get("vatCode")),
            updated_fields=_dict(raw.get("updatedFields")),
            latest_dataset=raw.get("latestDataset")
            if isinstance(raw.get("latestDataset"), dict)
            else None,
            previous_dataset=(
                raw.get("previousDataset") if isinstance(raw.get("previousDataset"), dict) else None
            ),
            callback=_dict(raw.get("callback")),
            created_on=parse_day(raw.get("createdOn")),
            checked_on=parse_day(raw.get("checkedOn")),
            next_on=parse_day(raw.get("nextOn")),
            expires_on=parse_day(raw.get("expiresOn")),
            autorenew=raw.get("autorenew") is True,
            raw=raw,
        )


def parse_monitor_callback(body: bytes, content_type: str = "application/json") -> MonitorRequest:
    """The monitor a callback delivered: a JSON body ``{"data": MonitorRequest}`` (method
    "JSON"), or a form whose one field carries that record as JSON (method "POST").  Raises
    ValueError for anything else.  The callback is only a hint: re-read the data it names
    before trusting it."""
    text = body.decode("utf-8")
    if "application/x-www-form-urlencoded" in content_type.lower():
        fields = parse_qs(text)
        if len(fields) != 1:
            raise ValueError("a form callback carries exactly one field")
        text = next(iter(fields.values()))[-1]
    payload = json.loads(text)
    if isinstance(payload, dict) and isinstance(payload.get("data"), dict):
        payload = payload["data"]
    if not isinstance(payload, dict) or not payload.get("id"):
        raise ValueError("not a monitor record")
    return MonitorRequest.from_raw(payload)
