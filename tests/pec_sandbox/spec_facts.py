"""Facts read out of pec.openapi.json (the vendored copy) and, where the spec is silent, out of
openapi-notes.md (../shared/docs, when it is beside the checkout), for the tests that check the
sandbox's tables and the client's against them."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest

from .helpers import SPECS

NOTES = Path(__file__).resolve().parents[3] / "shared" / "docs" / "openapi-notes.md"


@cache
def spec() -> dict:
    return json.loads((SPECS / "pec.openapi.json").read_text("utf-8"))


def schema(name: str) -> dict:
    return spec()["components"]["schemas"][name]


def enum(schema_name: str, field: str) -> list[str]:
    return schema(schema_name)["properties"][field]["enum"]


def operation(method: str, path: str) -> dict:
    return spec()["paths"][path][method.lower()]


def operations() -> list[tuple[str, str]]:
    """Every (METHOD, path) of the spec."""
    return [
        (method.upper(), path)
        for path, item in spec()["paths"].items()
        for method in item
        if method != "parameters"
    ]


def paid_operations() -> set[tuple[str, str]]:
    """The operations that document a 402 (insufficient credit)."""
    return {(m, p) for m, p in operations() if "402" in operation(m, p)["responses"]}


def subtypes() -> dict[str, list[tuple[str, str]]]:
    """TipologieCliente: per customer type, its subtypes as (code, label), from "SI - LABEL"."""
    return {
        tipo: [tuple(value.split(" - ", 1)) for value in prop["enum"]]
        for tipo, prop in schema("TipologieCliente")["properties"].items()
        if "enum" in prop
    }


def register_domains() -> tuple[dict[str, str], dict[str, str]]:
    """(production, sandbox) domain per box type, from the description of POST /pec: one line a
    domain for production ("@legalmail.it ... for STANDARD, BRONZE, SILVER AND GOLD mailbox"),
    one sentence for the sandbox naming a domain per kind of box."""
    text = operation("POST", "/pec")["description"]
    production_part, sandbox_part = text.split("In Sandbox")
    production = {}
    for domain, types in re.findall(
        r"@([\w.]+) \(Es\.[^)]*\) for ([A-Z ,]+?) (?:mailbox|box)", production_part
    ):
        for tipo in re.split(r", | AND ", types):
            production[tipo] = domain
    assert set(production) >= {"STANDARD", "DOMICILIODIGITALE", "PECMASSIVA"}, production
    sandbox_domains = re.findall(r"@([\w.]+) \(Es\.", sandbox_part)
    assert production_part and len(sandbox_domains) == 2, sandbox_part
    # the sandbox sentence names the Legalmail domain first, then Domicilio Digitale's
    legalmail, domicilio = sandbox_domains
    sandbox = {t: legalmail for t, d in production.items() if d == "legalmail.it"}
    sandbox["DOMICILIODIGITALE"] = domicilio
    return production, sandbox


def not_legalmail() -> set[str]:
    """The box types the paid changes refuse ("Action not allowed for these two types of boxes:
    DOMICILIODIGITALE, PECMASSIVA"), the same in each description that says so."""
    found = set()
    for method, path in operations():
        description = operation(method, path).get("description", "")
        m = re.search(r"not allowed for these two types of boxes: ([A-Z, ]+)\.", description)
        if m:
            found.add(frozenset(m.group(1).split(", ")))
    assert len(found) == 1, found
    return set(found.pop())


def notes() -> str:
    if not NOTES.exists():
        pytest.skip("../shared/docs/openapi-notes.md not beside this checkout")
    return NOTES.read_text("utf-8")


def published_prices() -> dict[str, Decimal]:
    """The prices of openapi-notes.md section 8: per box type the yearly price its product page
    gives, and ``comunica``; the types the notes say are not found are left out."""
    section = notes().split("## 8. Prices and costs", 1)[1].split("\n## ", 1)[0]
    rows = {
        "STANDARD": r"\| Legalmail \*\*Standard\*\* box \| €([\d.,]+)",
        "GOLD": r"\| Legalmail \*\*Gold\*\* box \| €([\d.,]+)",
        "DOMICILIODIGITALE": r"\| \*\*Domicilio Digitale\*\* box \| €([\d.,]+)",
        "PECMASSIVA": r"\| \*\*PEC Massiva\*\* Standard \| €([\d.,]+)/year",
        "comunica": r"\*\*comunica_pec\*\*: €([\d.,]+) per request",
    }
    out = {}
    for key, pattern in rows.items():
        m = re.search(pattern, section)
        assert m, f"no price for {key} in openapi-notes.md section 8"
        out[key] = Decimal(m.group(1).replace(",", ""))
    assert re.search(r"\*\*Bronze\*\* or \*\*Silver\*\* box \| \*\*Not found\*\*", section)
    return out
