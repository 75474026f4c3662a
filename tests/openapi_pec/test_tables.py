"""The client's tables (enums, subtypes, request fields, domains, prices) against the spec and
against the sandbox's own (pec_sandbox/tables.py, itself checked against the spec by
tests/pec_sandbox/test_tables.py): a mistake in either shows up as a disagreement."""

from __future__ import annotations

import base64
import dataclasses
from decimal import Decimal

from openapi_pec import domains, prices, types
from pec_sandbox import tables
from pec_sandbox.state import Sandbox
from tests.pec_sandbox import spec_facts as spec
from tests.pec_sandbox.helpers import comunica_request, pdf, registration

#: Labels the client spells differently from the spec, on purpose: the spec's typos.
SPEC_TYPOS = {"TRASPOSRTI LOGISTICA": "TRASPORTI LOGISTICA"}


def test_enums_are_the_specs_and_the_sandboxs():
    pairs = [
        (types.StatoCasella, spec.enum("Casella", "stato"), list(tables.StatoCasella)),
        (
            types.StatoComunica,
            spec.enum("RichiestaComunicazionePec", "stato"),
            list(tables.StatoComunica),
        ),
        (types.TipoCasella, spec.enum("BodyPostPec", "tipo_casella"), tables.TIPI_CASELLA),
        (types.TipoCliente, spec.enum("BodyPostPec", "tipo_cliente"), tables.TIPI_CLIENTE),
        (types.Sesso, spec.enum("BodyPostPec", "sesso_richiedente"), tables.SESSI),
        (types.TipoDocumento, spec.enum("BodyPostPec", "tipo_documento"), tables.TIPI_DOCUMENTO),
        (types.Qualifica, spec.enum("BodyPostComunicaPec", "qualifica"), tables.QUALIFICHE),
    ]
    for enum, in_spec, in_sandbox in pairs:
        values = [str(member) for member in enum]
        assert values == in_spec == list(in_sandbox), enum.__name__
    assert [str(m) for m in types.CallbackMethod] == spec.enum("Callback", "method")
    subtypes = [str(m) for m in types.SottotipoCliente]
    assert subtypes == spec.enum("BodyPostPec", "sottotipo_cliente")


def test_subtypes_and_labels_are_the_specs_and_the_sandboxs():
    in_spec = {
        types.TipoCliente(t): {code: SPEC_TYPOS.get(label, label) for code, label in s}
        for t, s in spec.subtypes().items()
    }
    assert in_spec == types.SOTTOTIPI_CLIENTE
    assert {str(t): set(s) for t, s in types.SOTTOTIPI_CLIENTE.items()} == (
        tables.SOTTOTIPI_CLIENTE
    )


def test_legalmail_types_and_upgrade_order_are_the_sandboxs():
    assert {str(t) for t in types.LEGALMAIL_TYPES} == set(tables.LEGALMAIL)
    rank = sorted(types.TIPO_CASELLA_RANK, key=types.TIPO_CASELLA_RANK.get)
    assert [str(t) for t in rank] == list(tables.LEGALMAIL)


def test_request_fields_are_the_specs():
    fields = {f.name for f in dataclasses.fields(types.RegistrationRequest)}
    assert list(types.RegistrationRequest.REQUIRED) == spec.schema("BodyPostPec")["required"]
    assert fields == set(spec.schema("BodyPostPec")["properties"]) == tables.BOX_FIELDS
    fields = {f.name for f in dataclasses.fields(types.ComunicaRequest)}
    required = spec.schema("BodyPostComunicaPec")["required"]
    assert list(types.ComunicaRequest.REQUIRED) == required == list(tables.COMUNICA_REQUIRED)
    assert fields == set(spec.schema("BodyPostComunicaPec")["properties"])


def test_domains_are_the_specs_and_the_sandboxs():
    production, sandbox = spec.register_domains()
    assert production == domains.PRODUCTION_DOMAINS
    assert {t: domains.SANDBOX_DOMAINS[t] for t in sandbox} == sandbox
    assert domains.SANDBOX_DOMAINS == tables.SANDBOX_DOMAINS
    servers = [s["url"] for s in spec.spec()["servers"]]
    assert servers == [
        f"https://{domains.PRODUCTION_PEC_HOST}",
        f"https://{domains.SANDBOX_PEC_HOST}",
    ]
    assert domains.SANDBOX_PEC_HOST == tables.SANDBOX_PEC_HOST


def test_paid_operations_are_the_sandboxs():
    assert {str(op) for op in prices.Operation} == set(tables.PAID_CALLS)
    assert {str(op) for op in prices.PAID_OPERATIONS} == set(tables.PAID_CALLS)


def test_box_prices_are_the_sandboxs_and_the_notes():
    assert {str(t): p for t, p in prices.BOX_PRICES.items()} == tables.BOX_PRICES
    published = spec.published_prices()
    assert prices.price("comunica") == published.pop("comunica")
    assert {t: prices.price("registrazione", t) for t in published} == published
    assert {t for t in tables.TIPI_CASELLA if t not in published} <= prices.ASSUMED


def _document() -> str:
    return base64.b64encode(pdf("modulo firmato")).decode()


def test_the_client_quotes_what_the_sandbox_charges():
    """Every paid call run on the sandbox, in process: each charge equals the client's quote."""
    sandbox = Sandbox(None, evasione_seconds=0, comunica_seconds=0, start_credit="100000")
    quotes = []

    def box(tipo: str) -> str:
        payload = registration(tipo=tipo).to_payload()
        payload["casella_pec"] = f"box{len(quotes)}@{tables.SANDBOX_DOMAINS[tipo]}"
        ident = sandbox.register(payload)["id"]
        quotes.append(prices.price("registrazione", tipo))
        sandbox.force_stato("caselle", ident, "evasa")
        return ident

    for tipo in tables.TIPI_CASELLA:
        ident = box(tipo)
        for anni in (1, 3):
            sandbox.rinnovo(ident, anni)
            quotes.append(prices.price("rinnovo", tipo, anni=anni))
    for da in tables.LEGALMAIL:
        for a in tables.LEGALMAIL:
            if prices.is_upgrade(da, a):
                sandbox.trasformazione(box(da), {"tipo_casella": a})
                quotes.append(prices.price("trasformazione", a, da=da))
    for size in (512, 1536):
        ident = box("STANDARD")
        sandbox.conservazione(ident, {"documenti": [_document()], "spazio_conservazione": size})
        quotes.append(prices.price("conservazione", spazio_conservazione=size))
    for change, quote in (
        ({"spazio_disco": "+2048"}, {"disco_mb": 2048}),
        ({"spazio_storico": 3072}, {"storico_mb": 2048}),
        (
            {"spazio_conservazione": "+1024", "spazio_disco": 5120},
            {"conservazione_mb": 1024, "disco_mb": 2048},
        ),
    ):
        sandbox.modifica(ident, change)
        quotes.append(prices.price("modifica", **quote))
    user = {"nome": "L", "cognome": "B", "descrizione": "d", "email_gestione_password": "l@b.it"}
    sandbox.multiutenza(ident, user)
    quotes.append(prices.price("multiutenza"))
    sandbox.create_comunica(comunica_request().to_payload())
    quotes.append(prices.price("comunica"))

    charged = [Decimal(c["amount"]) for c in sandbox.charges()]
    assert charged == quotes
    assert {c["operation"] for c in sandbox.charges()} == {str(op) for op in prices.Operation}
