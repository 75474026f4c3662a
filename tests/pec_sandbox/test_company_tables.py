"""The sandbox's Company API tables (pec_sandbox/company_tables.py) and the client's
(openapi_company) against company.openapi.json, each on its own."""

from __future__ import annotations

import json
from functools import cache

from openapi_company import hosts, types
from pec_sandbox import company_tables as tables

from .helpers import SPECS


@cache
def spec() -> dict:
    return json.loads((SPECS / "company.openapi.json").read_text("utf-8"))


def schema(name: str) -> dict:
    return spec()["components"]["schemas"][name]


def segments() -> set[tuple[str, str]]:
    return {
        (method.upper(), path.strip("/").split("/", 1)[0])
        for path, item in spec()["paths"].items()
        for method in item
    }


def role_codes() -> set[str]:
    item = schema("managers")["items"]["anyOf"][0]
    return set(
        item["properties"]["roles"]["items"]["properties"]["role"]["properties"]["code"]["enum"]
    )


def test_hosts_are_the_specs():
    servers = [s["url"] for s in spec()["servers"]]
    assert f"https://{tables.SANDBOX_COMPANY_HOST}" in servers
    assert f"https://{hosts.SANDBOX_COMPANY_HOST}" in servers
    assert f"https://{hosts.PRODUCTION_COMPANY_HOST}" in servers


def test_scopes_name_operations_of_the_spec():
    assert set(tables.COMPANY_SCOPES) <= segments()
    assert set(hosts.COMPANY_SCOPE_METHODS) <= segments()


def test_datasets_are_the_specs():
    assert list(tables.DATASETS) == schema("MonitorPayload")["properties"]["dataset"]["enum"]
    assert set(tables.MONITORED_DATASETS) <= set(tables.DATASETS)
    assert {str(d) for d in types.Dataset} <= set(tables.DATASETS)


def test_paid_calls_document_a_402_with_their_error_number():
    paths = {
        "IT-pec": "/IT-pec/{vatCode_taxCode_or_id}",
        "IT-closed": "/IT-closed/{vatCode_taxCode_or_id}",
        "IT-advanced": "/IT-advanced/{vatCode_taxCode_or_id}",
        "IT-stakeholders": "/IT-stakeholders/{vatCode_or_taxCode}",
    }
    for name, path in paths.items():
        response = spec()["paths"][path]["get"]["responses"]["402"]
        assert (
            response["content"]["application/json"]["example"]["error"]
            == tables.CREDIT_ERRORS[name]
        )
        assert tables.LOOKUP_PRICES[name] > 0
    post = spec()["paths"]["/monitor"]["post"]["responses"]["402"]
    assert (
        post["content"]["application/json"]["example"]["error"] == tables.CREDIT_ERRORS["monitor"]
    )
    # the free calls document none
    for path, method in (
        ("/monitor", "get"),
        ("/monitor/{id}", "get"),
        ("/monitor/{id}", "delete"),
    ):
        assert "402" not in spec()["paths"][path][method]["responses"]


def test_role_codes_are_in_the_specs_list():
    assert set(tables.ROLES) <= role_codes()
    assert {str(r) for r in types.RoleCode} <= role_codes()
    # the one description the spec gives
    assert tables.ROLES["AUN"] == "Managing director"


def test_legal_forms_are_in_the_specs_list():
    enum = set(schema("legalForm")["properties"]["detailedLegalForm"]["properties"]["code"]["enum"])
    assert {form[0] for form in tables.LEGAL_FORMS} <= enum


def test_activity_status_values_are_the_specs():
    assert {tables.ACTIVE, tables.CEASED} <= set(
        schema("Start")["properties"]["activityStatus"]["enum"]
    )
