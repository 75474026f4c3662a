"""The Company client against a scripted fake server: what it sends, what it keeps, how it
fails."""

import datetime as dt
import json
import threading

import pytest

from openapi_company import CompanyClient, MemoryResultCache, errors, normalize_code, types
from tests.openapi_pec.fake_server import Reply, fail, ok

VAT = "12485671007"
PEC = [{"pec": "acme@legalmail.it", "history": [{"pec": "old@pec.it", "timestamp": 1623759855}]}]


class Clock:
    """A cache whose clock the test moves."""

    def __init__(self):
        self.now = 1_000_000.0
        self.data = {}

    def get(self, key):
        item = self.data.get(key)
        return item[1] if item and item[0] > self.now else None

    def set(self, key, value, ttl_seconds):
        self.data[key] = (self.now + ttl_seconds, json.loads(json.dumps(value)))


def test_lookup_asked_once_within_the_period_and_again_after_it(fake, make_client):
    fake.script("GET", f"/IT-pec/{VAT}", ok(PEC))
    cache = Clock()
    client = make_client(cache=cache, cache_ttl=3600)
    first = client.pec(VAT)
    assert first.pec == "acme@legalmail.it"
    assert first.history[0].pec == "old@pec.it"
    assert first.history[0].until == dt.datetime.fromtimestamp(1623759855, tz=dt.UTC)
    cache.now += 3599
    assert client.pec(f"IT {VAT}") == first  # same company, however the code is written
    assert len(fake.seen("GET", f"/IT-pec/{VAT}")) == 1
    cache.now += 2
    client.pec(VAT)
    assert len(fake.seen("GET", f"/IT-pec/{VAT}")) == 2


def test_refresh_asks_again_and_keeps_the_new_answer(fake, make_client):
    fake.script("GET", f"/IT-closed/{VAT}", ok([{"taxCodeCeased": False, "id": "c1"}]))
    client = make_client()
    assert client.closed(VAT).ceased is False
    fake.script("GET", f"/IT-closed/{VAT}", ok([{"taxCodeCeased": True, "id": "c1"}]))
    assert client.closed(VAT).ceased is False  # kept
    assert client.closed(VAT, refresh=True).ceased is True
    assert client.closed(VAT).ceased is True
    assert len(fake.seen("GET", f"/IT-closed/{VAT}")) == 2


def test_no_company_is_kept_too(fake, make_client):
    fake.script("GET", "/IT-pec/00000000000", fail(404, "no company matches this id: ", 323))
    client = make_client()
    for _ in range(2):
        with pytest.raises(errors.NotFound) as info:
            client.pec("00000000000")
        assert info.value.error_code == 323
    assert len(fake.seen("GET", "/IT-pec/00000000000")) == 1


def test_a_refused_lookup_is_not_kept(fake, make_client):
    fake.script("GET", f"/IT-pec/{VAT}", fail(402, "Insufficient Credit in Wallet", 610))
    client = make_client()
    with pytest.raises(errors.InsufficientCredit):
        client.pec(VAT)
    fake.script("GET", f"/IT-pec/{VAT}", ok(PEC))
    assert client.pec(VAT).pec == "acme@legalmail.it"


def test_no_content_means_no_registered_pec(fake, make_client):
    fake.script("GET", f"/IT-pec/{VAT}", Reply(204, b""))
    result = make_client().pec(VAT)
    assert result.pec == "" and result.history == ()


def test_concurrent_lookups_of_one_company_pay_once(fake, make_client):
    fake.script("GET", f"/IT-pec/{VAT}", Reply(200, ok(PEC).body, sleep=0.2))
    client = make_client()
    results = []
    threads = [threading.Thread(target=lambda: results.append(client.pec(VAT))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4 and len(fake.seen("GET", f"/IT-pec/{VAT}")) == 1


def test_paid_lookup_is_sent_once_but_free_reads_are_retried(fake, make_client):
    fake.script("GET", f"/IT-pec/{VAT}", fail(503, "service temporarily unavailable"))
    fake.script("GET", "/monitor", fail(503, "busy"), fail(503, "busy"), ok([]))
    client = make_client()
    with pytest.raises(errors.TransientError):
        client.pec(VAT)
    assert len(fake.seen("GET", f"/IT-pec/{VAT}")) == 1
    assert client.list_monitors() == []
    assert len(fake.seen("GET", "/monitor")) == 3


def test_stakeholders_pending_then_done(fake, make_client):
    pending = {"state": "PENDING", "id": "66a8ed9b82cf2ae627012068"}
    fake.script("GET", f"/IT-stakeholders/{VAT}", Reply(302, ok(pending).body))
    done = {
        "companyDetails": {"companyName": "ACME SRL", "taxCode": VAT, "vatCode": VAT},
        "managers": [
            {
                "name": "MARIO",
                "surname": "ROSSI",
                "taxCode": "rssmra80a01h501u",
                "roles": [{"role": {"code": "AUN"}, "roleStartDate": "2020-09-10T00:00:00"}],
                "isLegalRepresentative": True,
            }
        ],
    }
    fake.script("GET", f"/IT-check_id/{pending['id']}", ok(pending), ok(done))
    client = make_client()
    result = client.stakeholders(VAT)
    (manager,) = result.with_role(types.RoleCode.AMMINISTRATORE_UNICO)
    assert manager.tax_code == "RSSMRA80A01H501U" and manager.roles[0].since == dt.date(2020, 9, 10)
    assert result.company_name == "ACME SRL"
    assert len(fake.seen("GET", f"/IT-check_id/{pending['id']}")) == 2
    client.stakeholders(VAT)
    assert len(fake.seen("GET", f"/IT-stakeholders/{VAT}")) == 1


def test_stakeholders_still_pending_is_not_asked_for_again(fake, make_client):
    pending = {"state": "PENDING", "id": "66a8ed9b82cf2ae627012068"}
    fake.script("GET", f"/IT-stakeholders/{VAT}", Reply(302, ok(pending).body))
    fake.script("GET", f"/IT-check_id/{pending['id']}", ok(pending))
    client = make_client()
    with pytest.raises(errors.TransientError) as info:
        client.stakeholders(VAT)
    assert "still being prepared" in info.value.message
    fake.script("GET", f"/IT-check_id/{pending['id']}", ok({"managers": []}))
    assert client.stakeholders(VAT).managers == ()
    assert len(fake.seen("GET", f"/IT-stakeholders/{VAT}")) == 1  # the second try only polled


def test_token_minted_with_the_company_scopes(fake, make_client):
    fake.script("POST", "/tokens", Reply(200, {"token": "minted", "expireAt": "2099-01-01"}))
    fake.script("GET", f"/IT-closed/{VAT}", ok([{"taxCodeCeased": False}]))
    make_client(token=None, email="s@x.it", apikey="K").closed(VAT)
    scopes = fake.seen("POST", "/tokens")[0].json()["scopes"]
    assert "GET:test.company.openapi.com/IT-pec" in scopes
    assert "POST:test.company.openapi.com/monitor" in scopes
    assert not any("pec.openapi.it" in s for s in scopes)
    assert fake.seen("GET", f"/IT-closed/{VAT}")[0].headers["Authorization"] == "Bearer minted"


def test_401_renews_once(fake, make_client):
    fake.script(
        "POST",
        "/tokens",
        Reply(200, {"token": "t1", "expireAt": "2099-01-01"}),
        Reply(200, {"token": "t2", "expireAt": "2099-01-01"}),
    )
    fake.script("GET", "/monitor", fail(401, "Authorization is not valid or empty"), ok([]))
    assert make_client(token=None, email="s@x.it", apikey="K").list_monitors() == []
    auths = [s.headers["Authorization"] for s in fake.seen("GET", "/monitor")]
    assert auths == ["Bearer t1", "Bearer t2"]


def test_create_monitor_body_and_never_retried(fake, make_client):
    fake.script("POST", "/monitor", fail(503, "busy"))
    client = make_client()
    callback = types.MonitorCallback(
        url="https://portal.example/cb/7", method="JSON", headers={"X-Secret": "s3"}
    )
    with pytest.raises(errors.TransientError):
        client.create_monitor(VAT, types.Dataset.IT_PEC, ["pec"], callback, autorenew=False)
    (seen,) = fake.seen("POST", "/monitor")
    assert seen.json() == {
        "code": VAT,
        "dataset": "IT-pec",
        "monitoredFields": ["pec"],
        "callback": {
            "url": "https://portal.example/cb/7",
            "method": "JSON",
            "headers": {"X-Secret": "s3"},
        },
        "autorenew": False,
    }


def test_monitor_lifecycle(fake, make_client):
    record = {
        "id": "6981e3571a222556460af532",
        "code": VAT,
        "dataset": "IT-pec",
        "monitoredFields": ["pec"],
    }
    fake.script("POST", "/monitor", ok(record))
    fake.script("GET", f"/monitor/{record['id']}", ok({**record, "checkedOn": "2026-02-03"}))
    fake.script("DELETE", f"/monitor/{record['id']}", ok([], "1 deleted monitor"))
    fake.script(
        "GET", "/monitor", fail(404, "no monitoring requests related to your account", 1200)
    )
    client = make_client()
    created = client.create_monitor(VAT)
    assert created.dataset is types.Dataset.IT_PEC and created.monitored_fields == ("pec",)
    assert client.get_monitor(created.id, simulate_check=True).checked_on == dt.date(2026, 2, 3)
    assert fake.seen("GET", f"/monitor/{record['id']}")[0].query == "callback="
    assert client.delete_monitor(created.id) == "1 deleted monitor"
    assert client.list_monitors() == []


def test_simulated_check_only_in_the_test_environment():
    client = CompanyClient(company_url="https://company.openapi.com", token="t")
    with pytest.raises(ValueError):
        client.get_monitor("6981e3571a222556460af532", simulate_check=True)


def test_parse_monitor_callback_json_and_form():
    record = {"id": "m1", "code": VAT, "updatedFields": {"pec": "new@pec.it"}}
    by_json = types.parse_monitor_callback(json.dumps({"data": record}).encode())
    assert by_json.updated_fields == {"pec": "new@pec.it"}
    from urllib.parse import urlencode

    form = urlencode({"data": json.dumps(record)}).encode()
    by_form = types.parse_monitor_callback(form, "application/x-www-form-urlencoded")
    assert by_form == by_json
    with pytest.raises(ValueError):
        types.parse_monitor_callback(b'{"data": {"no": "id"}}')


def test_normalize_code():
    assert normalize_code(" it 1248 5671007 ") == VAT
    assert normalize_code("rssmra80a01h501u") == "RSSMRA80A01H501U"
    with pytest.raises(ValueError):
        normalize_code("  ")


def test_memory_cache_expires():
    cache = MemoryResultCache()
    cache.set("k", {"a": 1}, 1)
    assert cache.get("k") == {"a": 1}
    assert cache.get("other") is None


def test_secrets_stay_out_of_repr_and_errors(fake, make_client):
    fake.script("GET", f"/IT-pec/{VAT}", fail(406, "taxCode/vatCode/id not valid", 322))
    client = make_client(token=None, email="s@x.it", apikey="APIKEY-SECRET")
    fake.script("POST", "/tokens", Reply(200, {"token": "TOKEN-SECRET", "expireAt": "2099-01-01"}))
    with pytest.raises(errors.InvalidValue) as info:
        client.pec(VAT)
    text = repr(client) + str(info.value) + repr(info.value)
    assert "SECRET" not in text


def test_both_clients_stand_on_one_base():
    from openapi_pec import PecClient
    from openapi_pec.base import OpenapiClient

    pec = PecClient(pec_url="https://pec.openapi.it/", email="e@x.it", apikey="secret-key")
    company = CompanyClient(company_url="https://test.company.openapi.com", token="secret-token")
    assert isinstance(pec, OpenapiClient) and isinstance(company, OpenapiClient)
    assert repr(pec) == "PecClient(pec_url='https://pec.openapi.it', auth='apikey')"
    assert repr(company) == (
        "CompanyClient(company_url='https://test.company.openapi.com', auth='token')"
    )
    assert (pec.sandbox, company.sandbox) == (False, True)
    assert all(
        s.startswith(("GET:pec.openapi.it/", "POST:", "PATCH:", "DELETE:")) for s in pec.auth.scopes
    )
    assert all("company.openapi.com/" in s for s in company.auth.scopes)
    assert company.transport.user_agent == "openapi-company-client/1.0"
    for client in (pec, company):
        with client as same:
            assert same is client
