"""The Company client against a strict, minimal server that answers exactly the examples of
company.openapi.json: nothing may depend on the sandbox's own choices."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest

from openapi_company import CompanyClient, errors, types
from tests.openapi_pec.conftest import FAST
from tests.openapi_pec.fake_server import FakeServer, Reply

SPEC = json.loads(
    (Path(__file__).resolve().parents[1] / "pec_sandbox/specs/company.openapi.json").read_text()
)
CODE = "12485671007"
MONITOR = "6981e3571a222556460af532"
REQUEST = "66a8ed9b82cf2ae627012068"


def example(path: str, method: str, status: str = "200", name: str | None = None):
    content = SPEC["paths"][path][method]["responses"][status]["content"]["application/json"]
    if name is None and "example" in content:
        return content["example"]
    examples = content["examples"]
    return examples[name or next(iter(examples))]["value"]


@pytest.fixture
def strict():
    with FakeServer() as server:
        server.script(
            "POST",
            "/tokens",
            Reply(
                200,
                {
                    "data": {"token": "wrapped", "expire": int(time.time()) + 86400},
                    "success": True,
                    "message": "",
                    "error": None,
                },
            ),
        )
        server.script(
            "GET", f"/IT-pec/{CODE}", Reply(200, example("/IT-pec/{vatCode_taxCode_or_id}", "get"))
        )
        server.script(
            "GET",
            f"/IT-closed/{CODE}",
            Reply(200, example("/IT-closed/{vatCode_taxCode_or_id}", "get")),
        )
        server.script(
            "GET",
            f"/IT-stakeholders/{CODE}",
            Reply(200, example("/IT-stakeholders/{vatCode_or_taxCode}", "get", name="synchronous")),
        )
        server.script(
            "GET",
            f"/IT-advanced/{CODE}",
            Reply(200, example("/IT-advanced/{vatCode_taxCode_or_id}", "get")),
        )
        server.script("GET", "/monitor", Reply(200, example("/monitor", "get")))
        server.script("POST", "/monitor", Reply(200, example("/monitor", "post")))
        server.script("GET", f"/monitor/{MONITOR}", Reply(200, example("/monitor/{id}", "get")))
        server.script(
            "DELETE", f"/monitor/{MONITOR}", Reply(200, example("/monitor/{id}", "delete"))
        )
        yield server


def make(strict, **kw):
    return CompanyClient(
        company_url=strict.url,
        oauth_url=strict.url,
        email="s@x.it",
        apikey="K",
        timeout=1.0,
        retry=FAST,
        pending_waits=(0.01,),
        **kw,
    )


def test_every_operation_on_spec_examples(strict):
    c = make(strict)
    registered = c.pec(CODE)
    assert registered.pec == "openapi@legalmail.it"
    assert registered.history == (
        types.PecChange(
            "altraviaservizi@legalmail.it", dt.datetime.fromtimestamp(1623759855, dt.UTC)
        ),
    )
    assert c.closed(CODE) == types.Closure(CODE, False, "60d1bfc731177b0a092cdfc1")
    profile = c.advanced(CODE)
    assert (profile.legal_form, profile.activity_status) == ("SP", "ATTIVA")
    people = c.stakeholders(CODE)
    assert people.company_name == "OPENAPI SPA"
    (sole,) = people.with_role(types.RoleCode.AMMINISTRATORE_UNICO)
    assert (sole.tax_code, sole.is_legal_representative) == ("SCRLCU73R02H501H", True)
    assert sole.birth_date == dt.date(1973, 10, 2)
    assert [m.is_person for m in people.managers] == [True, False, True, True]
    assert [m.id for m in c.list_monitors()] == [
        "5f22f722065afc42223c7131",
        "697ce19f5610b4a8910670c4",
    ]
    assert c.list_monitors()[0].checked_on == dt.date(2026, 1, 31)
    created = c.create_monitor(CODE, "IT-advanced", ["activityStatus"])
    assert created.id == MONITOR and created.checked_on is None and created.latest_dataset is None
    got = c.get_monitor(MONITOR)
    assert got.updated_fields == {"pec": "openapi@legalmail.it"}
    assert got.latest_dataset["activityStatus"] == "ATTIVA"
    assert c.delete_monitor(MONITOR) == "1 deleted monitor"
    assert len(strict.seen("POST", "/tokens")) == 1
    assert strict.seen("GET", f"/IT-pec/{CODE}")[0].headers["Authorization"] == "Bearer wrapped"


def test_stakeholders_asynchronous_examples(strict):
    strict.script(
        "GET",
        f"/IT-stakeholders/{CODE}",
        Reply(
            302,
            example("/IT-stakeholders/{vatCode_or_taxCode}", "get", "302", "asynchronous"),
            headers={
                "Location": f"https://company.openapi.com/IT-check_id/{REQUEST}",
                "Retry-After": "1",
            },
        ),
    )
    strict.script(
        "GET",
        f"/IT-check_id/{REQUEST}",
        Reply(200, example("/IT-check_id/{id}", "get", name="PENDING")),
        Reply(200, example("/IT-check_id/{id}", "get", name="DONE")),
    )
    result = make(strict).stakeholders(CODE)
    assert result.company_name == "OPENAPI SPA"
    assert len(strict.seen("GET", f"/IT-check_id/{REQUEST}")) == 2


def test_error_examples(strict):
    c = make(strict)
    cases = [
        (
            "/IT-pec/{vatCode_taxCode_or_id}",
            f"/IT-pec/{CODE}",
            "402",
            errors.InsufficientCredit,
            c.pec,
        ),
        ("/IT-pec/{vatCode_taxCode_or_id}", f"/IT-pec/{CODE}", "406", errors.InvalidValue, c.pec),
        (
            "/IT-closed/{vatCode_taxCode_or_id}",
            f"/IT-closed/{CODE}",
            "404",
            errors.NotFound,
            c.closed,
        ),
        (
            "/IT-stakeholders/{vatCode_or_taxCode}",
            f"/IT-stakeholders/{CODE}",
            "402",
            errors.InsufficientCredit,
            c.stakeholders,
        ),
    ]
    for template, path, status, exc_type, call in cases:
        body = example(template, "get", status)
        strict.script("GET", path, Reply(int(status), body))
        with pytest.raises(exc_type) as info:
            call(CODE, refresh=True)
        assert info.value.error_code == body["error"]
    strict.script("GET", "/monitor", Reply(404, example("/monitor", "get", "404")))
    assert c.list_monitors() == []
    strict.script("POST", "/monitor", Reply(406, example("/monitor", "post", "406", "1210")))
    with pytest.raises(errors.InvalidValue) as info:
        c.create_monitor(CODE, "IT-name", ["pec"])
    assert info.value.error_code == 1210
    strict.script(
        "DELETE", f"/monitor/{MONITOR}", Reply(404, example("/monitor/{id}", "delete", "404"))
    )
    with pytest.raises(errors.NotFound):
        c.delete_monitor(MONITOR)
