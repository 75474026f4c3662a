"""The sandbox's own tables (pec_sandbox/tables.py) against the spec, and the sandbox accepting
exactly the values the spec lists.  The client's tables are checked against the same facts in
tests/openapi_pec/test_tables.py."""

from __future__ import annotations

import pytest

from pec_sandbox import tables
from pec_sandbox.state import ApiError, Sandbox

from . import spec_facts as spec
from .helpers import comunica_request, registration


def test_states_are_the_specs():
    assert list(tables.StatoCasella) == spec.enum("Casella", "stato")
    assert list(tables.StatoComunica) == spec.enum("RichiestaComunicazionePec", "stato")
    assert list(tables.StatoComunica) == spec.enum("RichiesteComunicazionePec", "stato")


def test_request_enums_are_the_specs():
    assert list(tables.TIPI_CASELLA) == spec.enum("BodyPostPec", "tipo_casella")
    assert list(tables.TIPI_CLIENTE) == spec.enum("BodyPostPec", "tipo_cliente")
    assert list(tables.SESSI) == spec.enum("BodyPostPec", "sesso_richiedente")
    assert list(tables.TIPI_DOCUMENTO) == spec.enum("BodyPostPec", "tipo_documento")
    assert list(tables.TIPI_DOCUMENTO) == spec.enum("Casella", "tipo_documento")
    assert list(tables.QUALIFICHE) == spec.enum("BodyPostComunicaPec", "qualifica")


def test_subtypes_are_the_specs_tipologie():
    by_type = spec.subtypes()
    assert {t: {code for code, _ in s} for t, s in by_type.items()} == tables.SOTTOTIPI_CLIENTE
    # the customer types without a list are the rest of tipo_cliente, and allow only "X"
    assert list(spec.schema("TipologieCliente")["properties"]) == list(tables.TIPI_CLIENTE)
    every_code = set().union(*tables.SOTTOTIPI_CLIENTE.values())
    assert every_code == set(spec.enum("BodyPostPec", "sottotipo_cliente"))


def test_legalmail_types_are_the_specs():
    path = "/pec/{id}/trasformazione"
    body = spec.operation("PATCH", path)["requestBody"]["content"]["application/json"]
    assert list(tables.LEGALMAIL) == body["schema"]["properties"]["tipo_casella"]["enum"]
    assert set(tables.TIPI_CASELLA) - set(tables.LEGALMAIL) == spec.not_legalmail()
    assert "STANDARD, BRONZE, SILVER and GOLD" in spec.operation(
        "POST", "/pec/{id}/multiutenza"
    ).get("description")


def test_request_fields_are_the_specs():
    assert list(tables.BOX_REQUIRED) == spec.schema("BodyPostPec")["required"]
    assert set(spec.schema("BodyPostPec")["properties"]) == tables.BOX_FIELDS
    assert list(tables.COMUNICA_REQUIRED) == spec.schema("BodyPostComunicaPec")["required"]
    assert list(tables.MULTIUTENZA_REQUIRED) == spec.schema("BodyPostMultiutenza")["required"]


def test_max_users_is_the_specs():
    example = spec.operation("POST", "/pec/{id}/multiutenza")["responses"]["406"]["content"]
    assert example["application/json"]["example"]["message"].endswith(f": {tables.MAX_USERS}")


def test_domains_are_the_specs():
    production, sandbox = spec.register_domains()
    assert set(tables.SANDBOX_DOMAINS) == set(tables.TIPI_CASELLA)
    assert {t: tables.SANDBOX_DOMAINS[t] for t in sandbox} == sandbox
    # the spec names no sandbox domain for PECMASSIVA: the assumption is "test." + production's
    assert tables.SANDBOX_DOMAINS["PECMASSIVA"] == "test." + production["PECMASSIVA"]
    assert set(production.values()) | set(sandbox.values()) <= tables.PROVIDER_DOMAINS
    assert f"https://{tables.SANDBOX_PEC_HOST}" in [s["url"] for s in spec.spec()["servers"]]


def test_every_operation_has_its_scope():
    segments = {(m, p.strip("/").split("/", 1)[0]) for m, p in spec.operations()}
    assert segments <= set(tables.SCOPES)
    # the console's dominio scopes are the only ones without a path in the spec
    assert {s for _, s in set(tables.SCOPES) - segments} == {"dominio"}


def test_paid_calls_are_the_specs():
    paid = set(tables.PAID_CALLS.values())
    assert paid <= set(spec.operations())
    # rinnovo documents no 402 but is charged; domini_pec documents one but is kept free
    assert paid - spec.paid_operations() == {("GET", "/pec/{id}/rinnovo")}
    assert spec.paid_operations() - paid == {("GET", "/domini_pec/{dominio}")}


def test_published_prices_are_the_notes():
    published = spec.published_prices()
    assert published.pop("comunica") == tables.COMUNICA_PRICE
    assert {t: tables.BOX_PRICES[t] for t in published} == published
    assert set(tables.BOX_PRICES) == set(tables.TIPI_CASELLA)


# --------------------------------------------------------------------------- behaviour


@pytest.fixture
def sandbox():
    return Sandbox(None, evasione_seconds=0, comunica_seconds=0, start_credit="100000")


def _register(sandbox, **kw):
    address = kw.pop("casella_pec", None)
    tipo = kw.get("tipo_casella", "STANDARD")
    payload = registration(**kw).to_payload()
    domain = tables.SANDBOX_DOMAINS.get(tipo, "testcert.legalmail.it")
    payload["casella_pec"] = address or f"box{len(sandbox.state['caselle'])}@{domain}"
    return sandbox.register(payload)


def _refused(call, *args, **kw) -> tuple[int, int | None]:
    with pytest.raises(ApiError) as exc:
        call(*args, **kw)
    return exc.value.status, exc.value.error


@pytest.mark.parametrize("tipo", spec.enum("BodyPostPec", "tipo_casella"))
def test_every_box_type_of_the_spec_registers_on_its_domain(sandbox, tipo):
    box = _register(sandbox, tipo_casella=tipo)
    assert box["tipo_casella"] == tipo and box["stato"] == "registrata"


def test_a_value_outside_the_specs_enums_is_refused(sandbox):
    for field in ("tipo_casella", "tipo_cliente", "sesso_richiedente", "tipo_documento"):
        assert _refused(_register, sandbox, **{field: "ZZ"}) == (406, 242), field
    assert sandbox.state["caselle"] == {}


@pytest.mark.parametrize(
    ("tipo_cliente", "code"),
    [(t, code) for t, codes in spec.subtypes().items() for code, _ in codes]
    + [(t, "X") for t in spec.enum("BodyPostPec", "tipo_cliente") if t not in spec.subtypes()],
)
def test_every_subtype_of_the_spec_is_accepted_for_its_customer_type(sandbox, tipo_cliente, code):
    box = _register(sandbox, tipo_cliente=tipo_cliente, sottotipo_cliente=code.lower())
    assert (box["tipo_cliente"], box["sottotipo_cliente"]) == (tipo_cliente, code)


def test_each_customer_type_refuses_the_others_subtypes(sandbox):
    by_type = {t: {code for code, _ in s} for t, s in spec.subtypes().items()}
    for tipo_cliente in spec.enum("BodyPostPec", "tipo_cliente"):
        others = set(spec.enum("BodyPostPec", "sottotipo_cliente")) - by_type.get(
            tipo_cliente, {"X"}
        )
        for code in sorted(others):
            refused = _refused(
                _register, sandbox, tipo_cliente=tipo_cliente, sottotipo_cliente=code
            )
            assert refused == (406, 242), (tipo_cliente, code)


@pytest.mark.parametrize("value", spec.enum("BodyPostPec", "tipo_documento"))
def test_every_document_type_of_the_spec_is_accepted(sandbox, value):
    assert _register(sandbox, tipo_documento=value)["tipo_documento"] == value


@pytest.mark.parametrize("value", spec.enum("BodyPostPec", "sesso_richiedente"))
def test_every_sex_of_the_spec_is_accepted(sandbox, value):
    assert _register(sandbox, sesso_richiedente=value)["sesso_richiedente"] == value


def _comunica(qualifica: str) -> dict:
    return comunica_request(qualifica=qualifica).to_payload()


@pytest.mark.parametrize("value", spec.enum("BodyPostComunicaPec", "qualifica"))
def test_every_qualifica_of_the_spec_is_accepted(sandbox, value):
    assert sandbox.create_comunica(_comunica(value.lower()))["qualifica"] == value


def test_a_qualifica_outside_the_spec_is_refused(sandbox):
    assert _refused(sandbox.create_comunica, _comunica("PRESIDENTE")) == (406, 337)


def test_only_legalmail_types_take_the_paid_changes(sandbox):
    for tipo in tables.TIPI_CASELLA:
        box = _register(sandbox, tipo_casella=tipo)
        sandbox.force_stato("caselle", box["id"], "evasa")
        call = sandbox.multiutenza
        body = {
            "nome": "L",
            "cognome": "B",
            "descrizione": "d",
            "email_gestione_password": "l@b.it",
        }
        if tipo in spec.not_legalmail():
            assert _refused(call, box["id"], body) == (428, 390), tipo
        else:
            assert call(box["id"], body)["multiutenza"], tipo
