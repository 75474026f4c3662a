"""The sandbox's Company API: companies invented from their code, settable for tests, charged
per answer, monitors calling back; driven through openapi_company over real HTTP."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
from stdnum import luhn
from stdnum.it import codicefiscale

from openapi_company import errors, types
from pec_sandbox.company_tables import LOOKUP_PRICES, MONITOR_PRICE
from tests.openapi_pec.fake_server import FakeServer, Reply


def vat(seed: int) -> str:
    """A valid 11-digit tax code / VAT number."""
    body = f"{seed:010d}"
    return body + luhn.calc_check_digit(body)


ACME = vat(1248567100)
OTHER = vat(7654321)


class Clock:
    def __init__(self):
        self.now = 1_000_000.0
        self.data = {}

    def get(self, key):
        item = self.data.get(key)
        return item[1] if item and item[0] > self.now else None

    def set(self, key, value, ttl_seconds):
        self.data[key] = (self.now + ttl_seconds, json.loads(json.dumps(value)))


def lookups(sandbox, path_prefix):
    return [c for c in sandbox.calls() if c["path"].startswith(path_prefix)]


def test_same_code_same_company(sandbox):
    client = sandbox.company_client()
    first = (client.pec(ACME), client.stakeholders(ACME), client.closed(ACME))
    sandbox.reset()
    again = sandbox.company_client()
    assert (again.pec(ACME), again.stakeholders(ACME), again.closed(ACME)) == first
    assert again.stakeholders(OTHER).company_name != first[1].company_name
    assert first[0].pec and first[1].managers


def test_invented_directors_are_plausible():
    """Across many codes: capital companies have a director DL 159/2025 names, every person's
    tax code is valid and agrees with their birth date, the PEC differs between companies."""
    from pec_sandbox.companies import invent

    pecs, obliged = set(), 0
    for seed in range(200):
        company = invent(vat(seed * 7919))
        pecs.add(company["pec"])
        codes = {r["role"]["code"] for m in company["managers"] for r in m["roles"]}
        if company["legalForm"]["code"] in ("SR", "SU", "RS", "SP", "SC"):
            assert codes & {"AUN", "AMD", "PCA"}
            obliged += 1
        for person in company["managers"]:
            assert codicefiscale.is_valid(person["taxCode"])
            born = codicefiscale.get_birth_date(person["taxCode"], minyear=1940)
            assert person["birthDate"].startswith(born.isoformat())
            assert codicefiscale.get_gender(person["taxCode"]) == (
                "F" if person["gender"]["code"] == "W" else "M"
            )
    assert len(pecs) == 200 and 100 < obliged < 200


def test_each_answer_is_charged_at_its_price(sandbox):
    client = sandbox.company_client()
    start = sandbox.credit()
    client.pec(ACME)
    client.stakeholders(ACME)
    client.closed(ACME)
    client.advanced(ACME)
    charged = [(c["operation"], Decimal(c["amount"])) for c in sandbox.charges()]
    assert charged == [
        (name, LOOKUP_PRICES[name])
        for name in ("IT-pec", "IT-stakeholders", "IT-closed", "IT-advanced")
    ]
    assert sandbox.credit() == start - sum(LOOKUP_PRICES.values())


def test_asked_once_within_the_period_and_again_after_it(sandbox):
    cache = Clock()
    client = sandbox.company_client(cache=cache, cache_ttl=86400)
    for _ in range(3):
        client.pec(ACME)
        client.stakeholders(ACME)
        client.closed(ACME)
    assert len(lookups(sandbox, "/IT-")) == 3
    assert len(sandbox.charges()) == 3
    cache.now += 86401
    client.pec(ACME)
    assert len(lookups(sandbox, "/IT-pec/")) == 2
    assert len(sandbox.charges()) == 4


def test_refusals_are_not_charged(sandbox):
    client = sandbox.company_client()
    sandbox.set_company(ACME, exists=False)
    with pytest.raises(errors.NotFound) as info:
        client.pec(ACME)
    assert info.value.error_code == 323
    with pytest.raises(errors.InvalidValue) as info:
        client.closed("12345678901")  # wrong check digit
    assert info.value.error_code == 325
    assert client.stakeholders(ACME).managers == ()  # 204 for an unknown code
    sandbox.set_credit(0)
    with pytest.raises(errors.InsufficientCredit):
        client.pec(OTHER)
    assert sandbox.charges() == []


def test_settable_pec_history_directors_and_ceased(sandbox):
    client = sandbox.company_client()
    old = sandbox.company(ACME)["pec"]
    sandbox.set_company(ACME, pec="nuova@legalmail.it", ceased=True, legalForm="SR")
    sandbox.set_company(
        ACME,
        directors=[
            {"name": "Anna", "surname": "Verdi", "tax_code": "VRDNNA80A41H501U", "roles": ["AUN"]},
        ],
    )
    registered = client.pec(ACME)
    assert registered.pec == "nuova@legalmail.it"
    assert registered.history[0].pec == old
    assert client.closed(ACME).ceased is True
    (director,) = client.stakeholders(ACME).with_role(types.RoleCode.AMMINISTRATORE_UNICO)
    assert (director.name, director.tax_code) == ("ANNA", "VRDNNA80A41H501U")
    assert sandbox.company(ACME)["legalForm"]["code"] == "SR"


def test_company_with_no_pec_is_204(sandbox):
    sandbox.set_company(ACME, pec="", history=[])
    assert sandbox.company_client().pec(ACME).pec == ""
    assert sandbox.charges() == []


def test_monitor_calls_back_when_the_pec_changes(sandbox):
    with FakeServer() as receiver:
        receiver.script("POST", "/cb/7", Reply(200, {"ok": True}))
        client = sandbox.company_client()
        monitor = client.create_monitor(
            ACME,
            types.Dataset.IT_PEC,
            ["pec"],
            types.MonitorCallback(
                url=f"{receiver.url}/cb/7", method="JSON", headers={"X-Portal-Secret": "s3cret"}
            ),
        )
        assert [c["operation"] for c in sandbox.charges()] == ["monitor"]
        assert Decimal(sandbox.charges()[0]["amount"]) == MONITOR_PRICE
        sandbox.set_company(OTHER, pec="altra@legalmail.it")  # not watched
        sandbox.set_company(ACME, ceased=True)  # not a watched field
        sandbox.set_company(ACME, pec="cambiata@legalmail.it")
        deadline = time.monotonic() + 5
        while not receiver.seen("POST", "/cb/7") and time.monotonic() < deadline:
            time.sleep(0.05)
        (seen,) = receiver.seen("POST", "/cb/7")
        assert seen.headers["X-Portal-Secret"] == "s3cret"
        delivered = types.parse_monitor_callback(seen.body, seen.headers["Content-Type"])
        assert delivered.id == monitor.id
        assert delivered.updated_fields == {"pec": "cambiata@legalmail.it"}
        assert delivered.latest_dataset["pec"] == "cambiata@legalmail.it"
        assert client.get_monitor(monitor.id).checked_on is not None
        assert [m.id for m in client.list_monitors()] == [monitor.id]
        assert client.delete_monitor(monitor.id) == "1 deleted monitor"
        assert client.list_monitors() == []


def test_simulated_check_calls_back(sandbox):
    with FakeServer() as receiver:
        receiver.script("POST", "/cb", Reply(200, {}))
        client = sandbox.company_client()
        monitor = client.create_monitor(
            ACME,
            "IT-advanced",
            ["pec", "activityStatus"],
            types.MonitorCallback(url=f"{receiver.url}/cb"),
        )
        client.get_monitor(monitor.id, simulate_check=True)
        deadline = time.monotonic() + 5
        while not receiver.seen("POST", "/cb") and time.monotonic() < deadline:
            time.sleep(0.05)
        (seen,) = receiver.seen("POST", "/cb")  # method POST: a form field "data"
        delivered = types.parse_monitor_callback(seen.body, seen.headers["Content-Type"])
        assert set(delivered.updated_fields) == {"pec", "activityStatus"}


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"dataset": "IT-pec"}, 428, 1209),
        ({"code": ACME}, 428, 1206),
        ({"code": ACME, "dataset": "IT-nothing"}, 404, 1207),
        ({"code": ACME, "dataset": "IT-pec", "monitoredFields": []}, 406, 1208),
        ({"code": ACME, "dataset": "IT-pec", "monitoredFields": ["sdiCode"]}, 406, 1210),
        ({"code": ACME, "dataset": "IT-pec", "callback": {"url": "ftp://x"}}, 406, 706),
        ({"code": "12345678901", "dataset": "IT-pec"}, 404, 1212),
    ],
)
def test_monitor_refusals(sandbox, body, status, error):
    import requests

    r = requests.post(
        f"{sandbox.url}/monitor",
        json=body,
        headers={"Authorization": "Bearer demo-token"},
        timeout=5,
    )
    assert (r.status_code, r.json()["error"]) == (status, error)
    assert sandbox.charges() == []


def test_tokens_carry_the_company_scopes(sandbox):
    client = sandbox.company_client(token=None, email="studio@example.com", apikey="sandbox-apikey")
    assert client.closed(ACME).ceased in (True, False)
    pec_only = sandbox.client(token=None, email="studio@example.com", apikey="sandbox-apikey")
    pec_only.list_caselle()
    token = pec_only.auth.token()
    with pytest.raises(errors.AuthError) as info:
        sandbox.company_client(token=token).pec(ACME)
    assert info.value.status == 403
