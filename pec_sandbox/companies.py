"""The Company API's companies and monitors (company.openapi.json), as a mixin of the sandbox.

A company is invented from its code, the same code always giving the same company (name, legal
form, PEC and its history, directors with their roles and tax codes, active or ceased); the
control endpoint ``/_sandbox/companies/{code}`` overrides any of it for a test, and a monitor
watching a field that changes calls back.  Lookups are charged per answer (company_tables.py).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import random
import re
import time
from typing import Any

from stdnum import luhn
from stdnum.it import codicefiscale

from .common import ApiError, new_id, public, today
from .company_tables import (
    ACTIVE,
    CEASED,
    CREDIT_ERRORS,
    DATASETS,
    LEGAL_FORMS,
    LOOKUP_PRICES,
    MONITOR_PRICE,
    MONITORED_DATASETS,
    ROLES,
    SANDBOX_COMPANY_HOST,
)

__all__ = ["CompanyOperations", "invent", "manager", "person_tax_code", "valid_code"]

CF_RE = re.compile(r"^[A-Z]{6}\d{2}[A-EHLMPRST]\d{2}[A-Z]\d{3}[A-Z]$")
ID_RE = re.compile(r"^[0-9a-f]{24}$")
SURNAMES = ("ROSSI", "BIANCHI", "ESPOSITO", "COLOMBO", "RICCI", "MARINO", "GRECO", "BRUNO",
            "GALLO", "CONTI", "DE LUCA", "MANCINI", "COSTA", "GIORDANO", "RIZZO", "LOMBARDI",
            "MORETTI", "BARBIERI", "FONTANA", "SANTORO")  # fmt: skip
NAMES = {
    "M": ("MARIO", "LUCA", "GIUSEPPE", "MARCO", "ANDREA", "FRANCESCO", "PAOLO", "STEFANO"),
    "F": ("GIULIA", "FRANCESCA", "CHIARA", "ANNA", "SARA", "ELENA", "LAURA", "MARTA"),
}
ACTIVITIES = ("COSTRUZIONI", "SERVIZI", "TRASPORTI", "IMPIANTI", "CONSULTING", "ALIMENTARI",
              "IMMOBILIARE", "INFORMATICA", "LOGISTICA", "ARREDAMENTI")  # fmt: skip
TOWNS = (
    ("ROMA", "RM", "H501"),
    ("MILANO", "MI", "F205"),
    ("TORINO", "TO", "L219"),
    ("NAPOLI", "NA", "F839"),
    ("BOLOGNA", "BO", "A944"),
    ("FIRENZE", "FI", "D612"),
)
PROVIDERS = ("legalmail.it", "pec.it", "arubapec.it", "postacert.it", "pec.libero.it")
#: What a company's PEC history dates from: a fixed epoch keeps invented companies the same.
EPOCH = 1_420_070_400  # 2015-01-01


def valid_code(code: str) -> bool:
    """A company's 11-digit tax code / VAT number (Luhn check digit) or a person's tax code."""
    if len(code) == 11 and code.isdigit():
        return luhn.is_valid(code)
    return bool(CF_RE.match(code)) and codicefiscale.is_valid(code)


def _letters(text: str, name: bool) -> str:
    letters = [c for c in text.upper() if "A" <= c <= "Z"]
    consonants = [c for c in letters if c not in "AEIOU"]
    if name and len(consonants) >= 4:
        consonants = [consonants[0], consonants[2], consonants[3]]
    return ("".join(consonants + [c for c in letters if c in "AEIOU"]) + "XXX")[:3]


def person_tax_code(surname: str, name: str, born: dt.date, gender: str, town: str) -> str:
    """The codice fiscale of these details (homocodes aside), check character included."""
    day = born.day + (40 if gender == "F" else 0)
    body = f"{_letters(surname, False)}{_letters(name, True)}{born:%y}"
    body += f"{'ABCDEHLMPRST'[born.month - 1]}{day:02d}{town}"
    return body + codicefiscale.calc_check_digit(body)


def _person(rng: random.Random, roles: list[str], legal: bool, since: int) -> dict[str, Any]:
    gender = rng.choice("MF")
    name, surname = rng.choice(NAMES[gender]), rng.choice(SURNAMES)
    born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(45 * 365))
    town, province, belfiore = rng.choice(TOWNS)
    return manager(
        name=name,
        surname=surname,
        gender=gender,
        born=born,
        town=f"{town} ({province})",
        tax_code=person_tax_code(surname, name, born, gender, belfiore),
        roles=roles,
        legal=legal,
        since=dt.date.fromtimestamp(EPOCH + since).isoformat(),
    )


def manager(
    *,
    name: str,
    surname: str,
    tax_code: str,
    roles: list[str],
    gender: str = "M",
    born: dt.date | None = None,
    town: str = "",
    legal: bool = False,
    since: str = "2020-01-01",
) -> dict[str, Any]:
    """A person among Stakeholders.managers, in the spec's shape."""
    out: dict[str, Any] = {
        "name": name.upper(),
        "surname": surname.upper(),
        "roles": [
            {
                "role": {"code": r, "description": ROLES.get(r, r)},
                "roleStartDate": f"{since}T00:00:00",
            }
            for r in roles
        ],
        "gender": {
            "code": "W" if gender == "F" else "M",
            "description": "Woman" if gender == "F" else "Man",
        },
        "taxCode": tax_code.upper(),
        "isLegalRepresentative": legal,
    }
    if born:
        age = today().year - born.year - ((today().month, today().day) < (born.month, born.day))
        out.update(birthDate=f"{born.isoformat()}T00:00:00", age=age, birthTown=town)
    return out


def invent(code: str) -> dict[str, Any]:
    """The company the sandbox has under ``code``: always the same one for the same code."""
    digest = hashlib.sha256(code.encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))  # noqa: S311 - invented data
    forms = LEGAL_FORMS[-1:] if len(code) == 16 else LEGAL_FORMS[:-1]
    form, description, suffix, board = rng.choices(
        forms, weights=[40, 10, 5, 10, 10, 10, 10][: len(forms)]
    )[0]
    surname, activity = rng.choice(SURNAMES), rng.choice(ACTIVITIES)
    slug = re.sub(r"[^a-z0-9]", "", f"{surname}{activity}".lower())
    first = rng.randrange(5 * 365 * 86400)
    if board == "owner":
        people = [_person(rng, ["TI"], True, first)]
        people[0]["taxCode"] = code
        name = f"{people[0]['surname']} {people[0]['name']}"
    else:
        name = f"{surname} {activity} {suffix}"
        if board == "partners":
            people = [_person(rng, ["SAP" if form == "AS" else "SOA"], True, first)]
            people += [_person(rng, ["SOA"], form == "SN", first)] if form == "SN" else []
        elif form in ("SR", "SU", "RS") and rng.random() < 0.6:
            people = [_person(rng, ["AUN"], True, first)]
        else:
            people = [_person(rng, ["PCA"], True, first)]
            if form == "SP" or rng.random() < 0.5:
                people.append(_person(rng, ["AMD"], True, first))
            people += [_person(rng, ["CON"], False, first) for _ in range(rng.randint(1, 2))]
    town, province, _ = rng.choice(TOWNS)
    history = [
        {
            "pec": f"{slug}{n or ''}{code[-3:]}@{rng.choice(PROVIDERS)}",
            "timestamp": EPOCH + first - n * 86400 * 400,
        }
        for n in range(rng.choice((0, 0, 1, 2)))
    ]
    return {
        "code": code,
        "id": digest[8:20].hex(),
        "taxCode": code,
        "vatCode": code if len(code) == 11 else "",
        "companyName": name,
        "legalForm": {"code": form, "description": description},
        "pec": f"{slug}{code[-4:]}@{rng.choice(PROVIDERS)}",
        "history": history,
        "managers": people,
        "ceased": rng.random() < 0.05,
        "exists": True,
        "reaCode": str(rng.randrange(100_000, 2_000_000)),
        "cciaa": province,
        "town": town,
    }


def _field(dataset: dict[str, Any], path: str) -> Any:
    """A monitored field in dot notation (``address.registeredOffice.town``); None if absent."""
    node: Any = dataset
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


class CompanyOperations:
    """The Company API calls of :class:`pec_sandbox.state.Sandbox`."""

    # ------------------------------------------------------------------ companies

    def _company(self, code: str) -> dict[str, Any]:
        record = invent(code)
        record.update(copy.deepcopy(self.state.setdefault("companies", {}).get(code, {})))
        return record

    def _resolve(self, raw: str, errors: tuple[int, int], *, ids: bool = True) -> str:
        """The code a lookup names: 400 when empty, 406 when malformed (a company id is
        accepted where the path says so, when the sandbox gave it out)."""
        code = re.sub(r"\s+", "", raw or "").upper()
        if not code:
            raise ApiError(400, "Id, taxCode or vatCode required", errors[0])
        known = self.state.setdefault("company_ids", {})
        if ids and ID_RE.match(code.lower()) and code.lower() in known:
            return known[code.lower()]
        if not valid_code(code):
            raise ApiError(406, "taxCode/vatCode/id not valid", errors[1])
        return code

    @staticmethod
    def _dataset(record: dict[str, Any], dataset: str) -> dict[str, Any]:
        """The company as ``dataset`` shows it (one item for the list endpoints)."""
        if dataset == "IT-pec":
            return {"pec": record["pec"], "history": record["history"]}
        if dataset == "IT-closed":
            return {"taxCodeCeased": record["ceased"], "id": record["id"]}
        start = {
            "taxCode": record["taxCode"],
            "companyName": record["companyName"],
            "vatCode": record["vatCode"],
            "activityStatus": CEASED if record["ceased"] else ACTIVE,
            "id": record["id"],
        }
        if dataset == "IT-start":
            return start
        if dataset == "IT-advanced":
            return {
                **start,
                "pec": record["pec"],
                "taxCodeCeased": record["ceased"],
                "detailedLegalForm": record["legalForm"],
                "reaCode": record["reaCode"],
                "cciaa": record["cciaa"],
            }
        return {
            "companyDetails": {
                "vatCode": record["vatCode"],
                "taxCode": record["taxCode"],
                "cciaa": record["cciaa"],
                "reaCode": record["reaCode"],
                "companyName": record["companyName"],
                "openapiNumber": f"IT{record['id'][:13].upper()}",
            },
            "address": {"town": record["town"], "province": {"code": record["cciaa"]}},
            "managers": record["managers"],
        }

    def company_lookup(self, dataset: str, raw_code: str) -> Any:
        """GET /IT-pec|IT-closed|IT-advanced|IT-stakeholders/{code}: the data, charged; None for the
        204 the spec documents (a company without a PEC; stakeholders of an unknown code)."""
        errors = {
            "IT-pec": (321, 322),
            "IT-closed": (324, 325),
            "IT-advanced": (303, 304),
            "IT-stakeholders": (207, 208),
        }
        with self.lock:
            if dataset == "IT-stakeholders":
                code = re.sub(r"\s+", "", raw_code or "").upper()
                if not code:
                    raise ApiError(400, "cf or piva required", 207)
                if not valid_code(code):
                    raise ApiError(406, "cf/piva not valid", 208)
            else:
                code = self._resolve(raw_code, errors[dataset])
            record = self._company(code)
            if not record["exists"]:
                if dataset == "IT-stakeholders":
                    return None
                missing = {"IT-pec": 323, "IT-advanced": 305}.get(dataset, 327)
                raise ApiError(404, f"no company matches this id: {raw_code}", missing)
            if dataset == "IT-pec" and not record["pec"] and not record["history"]:
                return None
            self._charge(
                dataset, code, LOOKUP_PRICES[dataset], CREDIT_ERRORS[dataset], SANDBOX_COMPANY_HOST
            )
            self.state["company_ids"][record["id"]] = code
            self.save()
            item = self._dataset(record, dataset)
            return item if dataset == "IT-stakeholders" else [item]

    def company(self, raw_code: str) -> dict[str, Any]:
        """Control: the company as the sandbox has it (free)."""
        with self.lock:
            return self._company(self._resolve(raw_code, (0, 0), ids=False))

    def set_company(self, raw_code: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Control: set a company's data; a PEC replaced goes to the history (unless the
        history is given too); the monitors watching a changed field call back."""
        with self.lock:
            code = self._resolve(raw_code, (0, 0), ids=False)
            before = self._company(code)
            override = self.state.setdefault("companies", {}).setdefault(code, {})
            for key in ("companyName", "pec", "history", "ceased", "exists", "managers"):
                if key in changes:
                    override[key] = copy.deepcopy(changes[key])
            if "pec" in changes and "history" not in changes and before["pec"] != changes["pec"]:
                old = (
                    [{"pec": before["pec"], "timestamp": int(time.time())}] if before["pec"] else []
                )
                override["history"] = old + before["history"]
            if "legalForm" in changes:
                form = next((f for f in LEGAL_FORMS if f[0] == changes["legalForm"]), None)
                if form is None:
                    raise ApiError(400, f"unknown legal form {changes['legalForm']!r}")
                override["legalForm"] = {"code": form[0], "description": form[1]}
            if "directors" in changes:
                override["managers"] = [manager(**d) for d in changes["directors"]]
            after = self._company(code)
            self._check_monitors(code, before, after)
            self.save()
            return after

    # ------------------------------------------------------------------ monitors

    def create_monitor(self, body: Any) -> dict[str, Any]:
        body = body if isinstance(body, dict) else {}
        if not body.get("code"):
            raise ApiError(428, "code required", 1209)
        dataset = body.get("dataset")
        if not dataset:
            raise ApiError(428, "dataset required", 1206)
        if dataset not in DATASETS or dataset not in MONITORED_DATASETS:
            raise ApiError(404, "dataset not found", 1207)
        fields = body.get("monitoredFields")
        if fields is not None and (not isinstance(fields, list) or not fields):
            raise ApiError(406, "empty monitoredFields", 1208)
        callback = self._monitor_callback(body.get("callback"))
        with self.lock:
            code = re.sub(r"\s+", "", str(body["code"])).upper()
            known = self.state.setdefault("company_ids", {})
            code = known.get(code.lower(), code)
            if not valid_code(code) or not self._company(code)["exists"]:
                raise ApiError(404, "no company found", 1212)
            record = self._company(code)
            view = self._dataset(record, dataset)
            for name in fields or []:
                if not isinstance(name, str) or str(name).split(".")[0] not in view:
                    allowed = ",".join(f'\\"{k}\\"' for k in view)
                    raise ApiError(
                        406,
                        f"{name} is not an allowed field for {dataset}; choose between [{allowed}]",
                        1210,
                    )
            ident = new_id()
            self._charge(
                "monitor", ident, MONITOR_PRICE, CREDIT_ERRORS["monitor"], SANDBOX_COMPANY_HOST
            )
            day = today()
            monitor = {
                "code": str(body["code"]),
                "dataset": dataset,
                "monitoredFields": list(fields or []),
                "callback": callback,
                "owner": self.owner,
                "createdOn": day.isoformat(),
                "companyId": record["id"],
                "vatCode": record["vatCode"],
                "taxCode": record["taxCode"],
                "companyName": record["companyName"],
                "updatedFields": None,
                "latestDataset": None,
                "previousDataset": None,
                "checkedOn": None,
                "nextOn": (day + dt.timedelta(days=30)).isoformat(),
                "expiresOn": (day + dt.timedelta(days=365)).isoformat(),
                "autorenew": body.get("autorenew") is not False,
                "id": ident,
                "_company": code,
                "_seen": view,
            }
            self.state.setdefault("monitors", {})[ident] = monitor
            self.save()
            return public(monitor)

    @staticmethod
    def _monitor_callback(raw: Any) -> dict[str, Any]:
        if raw is None:
            return {}
        if not isinstance(raw, dict) or not isinstance(raw.get("url"), str):
            raise ApiError(406, "malformed 'url' parameter, must be a valid url in 'callback'", 704)
        if not re.match(r"^https?://[^\s/]+", raw["url"]):
            raise ApiError(406, "'url' parameter must start with 'http' or 'https'", 706)
        headers = raw.get("headers", {})
        if not isinstance(headers, dict):
            raise ApiError(406, "Headers not valid, must be an object with key : value", 708)
        for key, value in headers.items():
            if len(key) > 256:
                raise ApiError(
                    406, f"Exceeded maximum length (256 chr) of the key: {key[:20]}", 709
                )
            if not isinstance(value, str):
                raise ApiError(406, f"The value of '{key}' must be a string", 710)
        return {
            "method": str(raw.get("method") or "POST").upper(),
            "url": raw["url"],
            "field": str(raw.get("field") or "data"),
            "headers": headers,
            "data": raw.get("data") if isinstance(raw.get("data"), dict) else {},
            "retry": 0,
        }

    def _find_monitor(self, ident: str, wrong: int, missing: int) -> dict[str, Any]:
        if not ID_RE.match(ident or ""):
            raise ApiError(406, "id not valid", wrong)
        monitor = self.state.setdefault("monitors", {}).get(ident)
        if monitor is None:
            raise ApiError(404, f"no monitoring request matches this id: {ident}", missing)
        return monitor

    def list_monitors(self) -> list[dict[str, Any]]:
        with self.lock:
            monitors = list(self.state.setdefault("monitors", {}).values())
            if not monitors:
                raise ApiError(404, "no monitoring requests related to your account", 1200)
            keys = ("companyName", "checkedOn", "nextOn", "expiresOn", "id")
            return [{k: m[k] for k in keys if m.get(k) is not None} for m in monitors]

    def get_monitor(self, ident: str, simulate: bool = False) -> dict[str, Any]:
        """GET /monitor/{id}; ``simulate`` (``?callback``): check the fields now and call back,
        whether or not they changed, as the test environment documents."""
        with self.lock:
            monitor = self._find_monitor(ident, 1201, 1202)
            if simulate:
                record = self._company(monitor["_company"])
                self._report(monitor, self._dataset(record, monitor["dataset"]), always=True)
                self.save()
            return public(monitor)

    def delete_monitor(self, ident: str) -> str:
        with self.lock:
            if not ident:
                raise ApiError(428, "id required", 1203)
            self._find_monitor(ident, 1204, 1205)
            del self.state["monitors"][ident]
            self.save()
            return "1 deleted monitor"

    def _check_monitors(self, code: str, before: dict[str, Any], after: dict[str, Any]) -> None:
        for monitor in self.state.setdefault("monitors", {}).values():
            if monitor["_company"] == code:
                self._report(monitor, self._dataset(after, monitor["dataset"]))

    def _report(self, monitor: dict[str, Any], view: dict[str, Any], always: bool = False) -> None:
        """Compare the watched fields with the last check; record and call back a change."""
        fields = monitor["monitoredFields"] or list(view)
        seen = monitor["_seen"]
        changed = {f: _field(view, f) for f in fields if _field(view, f) != _field(seen, f)}
        if not changed and not always:
            return
        monitor.update(
            updatedFields=changed or {f: _field(view, f) for f in fields},
            previousDataset=seen if changed else monitor["latestDataset"],
            latestDataset=view,
            checkedOn=today().isoformat(),
            _seen=view,
        )
        if monitor["callback"] and self.on_change is not None:
            record = public(monitor)
            self.on_change("monitor", record, {"data": record})
