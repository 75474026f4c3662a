"""Builders shared by the sandbox and contract tests."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

from openapi_pec import types
from pec_sandbox.p7m import wrap_signed_data
from pec_sandbox.pdf import make_pdf

# Openapi's official specs (MIT, see specs/LICENSE), copied from ../shared/openapi so that a
# fresh clone (CI) has them; test_specs_match_shared fails if the copies drift apart.
SPECS = Path(__file__).resolve().parent / "specs"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "openapi"


def registration(
    address: str = "mario.rossi@testcert.legalmail.it", tipo: str = "STANDARD", **kw
) -> types.RegistrationRequest:
    fields = dict(
        casella_pec=address,
        tipo_casella=tipo,
        tipo_cliente=types.TipoCliente.PROFESSIONISTA,
        sottotipo_cliente=types.SottotipoCliente.PA,
        nome_richiedente="Mario",
        cognome_richiedente="Rossi",
        email="mario@example.com",
        telefono="0612345678",
        cellulare="3331234567",
        codice_fiscale_richiedente="RSSMRA80A01H501U",
        data_nascita_richiedente=dt.date(1980, 1, 1),
        sesso_richiedente=types.Sesso.M,
        nazione_nascita_richiedente="IT",
        comune_nascita_richiedente="Roma",
        provincia_nascita_richiedente="RM",
        indirizzo_titolare="Via Roma 1",
        comune_titolare="Roma",
        cap_titolare="00100",
        nazione_titolare="IT",
        provincia_titolare="RM",
        callback=types.Callback(
            url="https://portal.example/cb", field="data", method="JSON", data={"pratica": 7}
        ),
        autorinnovo=False,
        tipo_documento=types.TipoDocumento.CARTA_D_IDENTITA,
        numero_documento="CA12345AA",
        data_scadenza_documento=dt.date(2031, 5, 1),
        documento_rilasciato_da="Comune di Roma",
        data_rilascio_documento=dt.date(2021, 5, 1),
    )
    fields.update(kw)
    return types.RegistrationRequest(**fields)


def comunica_request(address: str = "acme@studio-demo.it", **kw) -> types.ComunicaRequest:
    fields = dict(
        casella_pec=address,
        cf="RSSMRA80A01H501U",
        nome="Mario",
        cognome="Rossi",
        qualifica=types.Qualifica.LEGALE_RAPPRESENTANTE,
        email="mario@example.com",
        cellulare="3331234567",
        ragione_sociale="ACME srl",
        cf_piva="12345678901",
        comune="Roma",
        provincia="RM",
        pec_amministratore=False,
    )
    fields.update(kw)
    return types.ComunicaRequest(**fields)


def pdf(*lines: str) -> bytes:
    return make_pdf("Documento", list(lines) or ["documento di identita"])


def p7m(content: bytes = b"%PDF-1.4 procura") -> bytes:
    return wrap_signed_data(content)


def patched_pec_spec(server_url: str) -> dict:
    """A COPY of pec.openapi.json with its errata fixed (the shared file is never touched):
    - ``error`` is ``null`` in every success example, but typed integer -> nullable;
    - ``callback`` is ``false`` when absent (RichiestaComunicazionePec example) -> Callback|false;
    - GET /IT-advanced answers ``data`` as a list of Advanced (its example, like IT-pec's
      and IT-closed's), typed as one object -> an array of it;
    - servers -> the sandbox URL."""
    spec = copy.deepcopy(json.loads((SPECS / "pec.openapi.json").read_text("utf-8")))
    spec["servers"] = [{"url": server_url}]

    def walk(node):
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict) and props.get("error") == {"type": "integer"}:
                props["error"] = {"type": "integer", "nullable": True}
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    for name in ("Casella", "RichiestaComunicazionePec"):
        spec["components"]["schemas"][name]["properties"]["callback"] = {
            "oneOf": [
                {"$ref": "#/components/schemas/Callback"},
                {"type": "boolean", "enum": [False]},
            ]
        }
    return spec


def patched_oauth_spec(server_url: str) -> dict:
    """A COPY of oauthv2.openapi.json made valid: the http/basic scheme carries a ``name``
    (only apiKey schemes may); servers -> the sandbox URL."""
    spec = copy.deepcopy(json.loads((SPECS / "oauthv2.openapi.json").read_text("utf-8")))
    spec["servers"] = [{"url": server_url}]
    for scheme in spec["components"]["securitySchemes"].values():
        if scheme.get("type") == "http":
            scheme.pop("name", None)
    return spec


def patched_company_spec(server_url: str) -> dict:
    """A COPY of company.openapi.json with the errata its own examples show fixed:
    - ``error`` is ``null`` in every success example, but typed integer -> nullable;
    - MonitorRequest: ``updatedFields``, ``latestDataset``, ``previousDataset`` and ``checkedOn``
      are ``null`` before the first check (POST /monitor example); the datasets' ``oneOf`` of
      schemas without a required field matches any object several times -> one nullable object;
    - managers' ``birthDate`` and ``roleStartDate`` are date-times without an offset in the
      examples (``2020-09-10T00:00:00``), which the RFC 3339 ``date-time`` format refuses ->
      no format;
    - GET /IT-advanced answers ``data`` as a list of Advanced (its example, like IT-pec's
      and IT-closed's), typed as one object -> an array of it;
    - servers -> the sandbox URL."""
    spec = copy.deepcopy(json.loads((SPECS / "company.openapi.json").read_text("utf-8")))
    spec["servers"] = [{"url": server_url}]

    def walk(node):
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict) and props.get("error") == {"type": "integer"}:
                props["error"] = {"type": "integer", "nullable": True}
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    props = spec["components"]["schemas"]["MonitorRequest"]["properties"]
    for name in ("latestDataset", "previousDataset"):
        props[name] = {
            "type": "object",
            "nullable": True,
            "description": props[name]["description"],
        }
    props["updatedFields"]["nullable"] = True
    props["checkedOn"]["nullable"] = True
    for item in spec["components"]["schemas"]["managers"]["items"]["anyOf"]:
        item["properties"].get("birthDate", {}).pop("format", None)
        item["properties"]["roles"]["items"]["properties"]["roleStartDate"].pop("format", None)
    advanced = spec["paths"]["/IT-advanced/{vatCode_taxCode_or_id}"]["get"]["responses"]["200"]
    data = advanced["content"]["application/json"]["schema"]["properties"]["data"]
    advanced["content"]["application/json"]["schema"]["properties"]["data"] = {
        "type": "array",
        "items": data,
    }
    return spec
