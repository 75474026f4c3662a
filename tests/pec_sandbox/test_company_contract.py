"""Contract tests of the Company API: openapi_company against the sandbox over real HTTP; every
request the client SENT and every response it GOT is validated against company.openapi.json
with openapi-core (a patched COPY: see helpers.patched_company_spec for the errata fixed)."""

from __future__ import annotations

import re

import pytest
import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from stdnum import luhn

from openapi_company import errors, types

from .helpers import SHARED, SPECS, patched_company_spec
from .test_contract import Recorder

pytestmark = pytest.mark.filterwarnings("ignore:Use of allowEmptyValue:DeprecationWarning")

CODE = "12485671007"
#: The operations the client uses, as the spec names them.
USED = {
    ("GET", "/IT-pec/{vatCode_taxCode_or_id}"),
    ("GET", "/IT-stakeholders/{vatCode_or_taxCode}"),
    ("GET", "/IT-closed/{vatCode_taxCode_or_id}"),
    ("GET", "/IT-advanced/{vatCode_taxCode_or_id}"),
    ("GET", "/monitor"),
    ("POST", "/monitor"),
    ("GET", "/monitor/{id}"),
    ("DELETE", "/monitor/{id}"),
}


@pytest.fixture(scope="module")
def spec(sandbox_server):
    return OpenAPI.from_dict(patched_company_spec(sandbox_server.url))


@pytest.fixture
def rec():
    return Recorder()


def _operation(method: str, path: str) -> tuple[str, str]:
    for m, template in USED:
        regex = "^" + re.sub(r"\{[^}]+\}", "[^/]*", template) + "$"
        if m == method and re.match(regex, path):
            return m, template
    raise AssertionError(f"{method} {path} is not an operation the client should use")


def validate_all(spec: OpenAPI, rec: Recorder, request: bool = True) -> set[tuple[str, str]]:
    seen = set()
    for response in rec.exchanges:
        path = requests.utils.urlparse(response.request.url).path
        seen.add(_operation(response.request.method, path))
        req = RequestsOpenAPIRequest(response.request)
        if request:
            spec.validate_request(req)
        spec.validate_response(req, RequestsOpenAPIResponse(response))
    return seen


def test_every_operation_used_validates_against_the_spec(sandbox, spec, rec):
    client = sandbox.company_client(session=rec.session)
    assert client.list_monitors() == []  # 404 -> []
    assert client.pec(CODE).pec
    assert client.stakeholders(CODE).managers
    assert client.closed(CODE).company_id
    assert client.advanced(CODE).legal_form
    monitor = client.create_monitor(
        CODE,
        types.Dataset.IT_PEC,
        ["pec"],
        types.MonitorCallback(
            url="http://127.0.0.1:9/cb", method="JSON", headers={"X-Secret": "s"}, data={"id": 7}
        ),
        autorenew=False,
        cciaa="rm",
    )
    assert monitor.autorenew is False and monitor.callback["headers"] == {"X-Secret": "s"}
    sandbox.set_company(CODE, pec="nuova@legalmail.it")
    got = client.get_monitor(monitor.id)
    assert got.updated_fields == {"pec": "nuova@legalmail.it"}
    assert got.previous_dataset["pec"] != "nuova@legalmail.it"
    client.get_monitor(monitor.id, simulate_check=True)
    assert [m.id for m in client.list_monitors()] == [monitor.id]
    client.create_monitor(CODE, "IT-advanced", None)
    client.create_monitor(CODE, "IT-stakeholders", ["managers"])
    client.create_monitor(CODE, "IT-closed", ["taxCodeCeased"])
    client.create_monitor(CODE, "IT-start", ["activityStatus"])
    sandbox.set_company(CODE, ceased=True, pec="terza@legalmail.it")
    for item in client.list_monitors():
        client.get_monitor(item.id)
    assert client.delete_monitor(monitor.id) == "1 deleted monitor"
    sandbox.set_company(CODE, pec="", history=[])
    assert client.pec(CODE, refresh=True).pec == ""  # 204
    sandbox.set_company(CODE, exists=False)
    assert client.stakeholders(CODE, refresh=True).managers == ()  # 204
    assert validate_all(spec, rec) == USED


def _unknown():
    body = "0000000042"
    return body + luhn.calc_check_digit(body)


ERROR_CASES = [
    ("pec 406", lambda c: c.pec("12345678901"), 406, 322, errors.InvalidValue),
    ("pec 404", lambda c: c.pec(_unknown()), 404, 323, errors.NotFound),
    ("pec 402", lambda c: c.pec(CODE), 402, 610, errors.InsufficientCredit),
    ("closed 406", lambda c: c.closed("12345678901"), 406, 325, errors.InvalidValue),
    ("closed 404", lambda c: c.closed(_unknown()), 404, 327, errors.NotFound),
    ("closed 402", lambda c: c.closed(CODE), 402, 610, errors.InsufficientCredit),
    ("stakeholders 406", lambda c: c.stakeholders("ABC"), 406, 208, errors.InvalidValue),
    ("stakeholders 402", lambda c: c.stakeholders(CODE), 402, 611, errors.InsufficientCredit),
    ("monitor 402", lambda c: c.create_monitor(CODE), 402, 610, errors.InsufficientCredit),
    ("monitor 404", lambda c: c.create_monitor(CODE, "IT-ubo"), 404, 1207, errors.NotFound),
    (
        "monitor 406",
        lambda c: c.create_monitor(CODE, monitored_fields=["sdiCode"]),
        406,
        1210,
        errors.InvalidValue,
    ),
    (
        "monitor 406 url",
        lambda c: c.create_monitor(CODE, callback=types.MonitorCallback(url="ftp://x")),
        406,
        706,
        errors.InvalidValue,
    ),
    ("get monitor 406", lambda c: c.get_monitor("nope"), 406, 1201, errors.InvalidValue),
    (
        "get monitor 404",
        lambda c: c.get_monitor("0123456789abcdef01234567"),
        404,
        1202,
        errors.NotFound,
    ),
    ("delete monitor 406", lambda c: c.delete_monitor("nope"), 406, 1204, errors.InvalidValue),
    (
        "delete monitor 404",
        lambda c: c.delete_monitor("0123456789abcdef01234567"),
        404,
        1205,
        errors.NotFound,
    ),
]


@pytest.mark.parametrize("case", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_documented_errors(sandbox, spec, rec, case):
    _label, call, status, code, exc_type = case
    sandbox.set_company(_unknown(), exists=False)
    if status == 402:
        sandbox.set_credit(0)
    client = sandbox.company_client(session=rec.session)
    with pytest.raises(exc_type) as info:
        call(client)
    assert (info.value.status, info.value.error_code) == (status, code)
    assert info.value.message and info.value.permanent
    assert sandbox.charges() == []
    assert len(rec.exchanges) == 1  # refused at once, never retried
    validate_all(spec, rec, request=status != 406)


def test_company_spec_matches_shared():
    if not SHARED.exists():
        pytest.skip("../shared/openapi not beside this checkout")
    name = "company.openapi.json"
    assert (SPECS / name).read_bytes() == (SHARED / name).read_bytes()
