import datetime as dt
import logging
import pickle
from decimal import Decimal

import pytest

from openapi_pec import domains, errors, prices, types


def test_casella_parsing_dates_timestamps_unknown_fields():
    raw = {
        "id": "6040e4613a716838dc4eee0e",
        "casella_pec": "a@testcert.legalmail.it",
        "tipo_casella": "bronze",
        "stato": "evasa",
        "data_scadenza": "04/03/2022",
        "data_attivazione": "",
        "timestamp": {"registrazione": 1614865504, "revoca": 0},
        "callback": False,
        "multiutenza": [{"nome": "luca", "timestamp": {"attivazione": 1614868138}}],
        "brand_new_field": {"x": 1},
    }
    c = types.Casella.from_raw(raw)
    assert c.tipo_casella is types.TipoCasella.BRONZE
    assert c.stato is types.StatoCasella.EVASA
    assert c.data_scadenza == dt.date(2022, 3, 4)
    assert c.data_attivazione is None
    assert c.timestamp.registrazione == dt.datetime(2021, 3, 4, 13, 45, 4, tzinfo=dt.UTC)
    assert c.timestamp.revoca is None
    assert c.callback is None
    assert c.multiutenza[0].attivazione.tzinfo is not None
    assert c.raw["brand_new_field"] == {"x": 1}
    assert c.is_legalmail


def test_unknown_stato_kept_and_logged_once(caplog):
    caplog.set_level(logging.WARNING, logger="openapi_pec")
    a = types.CasellaSummary.from_raw({"id": "x", "stato": "sospesa_xyz"})
    b = types.CasellaSummary.from_raw({"id": "y", "stato": "sospesa_xyz"})
    assert a.stato == "sospesa_xyz" and not isinstance(a.stato, types.StatoCasella)
    assert b.stato == "sospesa_xyz"
    assert sum("sospesa_xyz" in r.getMessage() for r in caplog.records) == 1


def test_registration_payload_all_fields():
    req = types.RegistrationRequest(
        casella_pec="mario@testcert.legalmail.it",
        tipo_casella="gold",
        tipo_cliente=types.TipoCliente.PRIVATO,
        nome_richiedente="Mario",
        cognome_richiedente="Rossi",
        email="m@example.com",
        telefono="06123",
        codice_fiscale_richiedente="RSSMRA80A01H501U",
        data_nascita_richiedente=dt.date(1980, 1, 1),
        sesso_richiedente=types.Sesso.M,
        nazione_nascita_richiedente="IT",
        indirizzo_titolare="via Roma 1",
        comune_titolare="Roma",
        cap_titolare="00100",
        nazione_titolare="IT",
        provincia_titolare="RM",
        callback=types.Callback(url="https://x.it/cb", method=types.CallbackMethod.JSON),
        autorinnovo=True,
        tipo_documento=types.TipoDocumento.PATENTE,
        data_scadenza_documento=dt.date(2030, 12, 31),
    )
    p = req.to_payload()
    assert p["tipo_casella"] == "GOLD"
    assert p["tipo_cliente"] == "PV"
    assert p["data_nascita_richiedente"] == "01/01/1980"
    assert p["data_scadenza_documento"] == "31/12/2030"
    assert p["callback"] == {"url": "https://x.it/cb", "method": "JSON"}
    assert p["autorinnovo"] is True
    assert "cellulare" not in p  # optional and unset
    assert set(types.RegistrationRequest.REQUIRED) <= set(p)


def test_comunica_payload_and_result():
    req = types.ComunicaRequest(
        casella_pec="a@pec.it",
        cf="RSSMRA80A01H501U",
        nome="m",
        cognome="r",
        qualifica=types.Qualifica.SOCIO,
        email="e@x.it",
        cellulare="333",
        ragione_sociale="ACME srl",
        cf_piva="12345678901",
        comune="Roma",
        provincia="RM",
        pec_amministratore=False,
    )
    p = req.to_payload()
    assert p["qualifica"] == "SOCIO" and p["pec_amministratore"] is False
    c = types.Comunica.from_raw(
        {"id": "1", "stato": "documenti_caricati", "callback": False, "timestamp": 1622127248}
    )
    assert c.stato is types.StatoComunica.DOCUMENTI_CARICATI
    assert c.callback is None and c.timestamp.year == 2021


def test_wallet_decimal():
    w = types.Wallet.from_raw({"credit": 125.5, "createdAt": "2025-01-15T10:00:00+00:00"})
    assert w.credit == Decimal("125.5") and w.created_at.tzinfo is not None


def test_errors_str_and_pickle():
    e = errors.error_for_status(402)(
        402, "Insufficient Credit in Wallet: 1.00", 262, method="POST", path="/pec"
    )
    assert isinstance(e, errors.InsufficientCredit) and e.permanent
    assert "262" in str(e) and "Insufficient" in str(e)
    e2 = pickle.loads(pickle.dumps(e))
    assert type(e2) is errors.InsufficientCredit and e2.error_code == 262
    assert errors.error_for_status(503) is errors.TransientError
    assert errors.error_for_status(504) is errors.OutcomeUnknown
    assert issubclass(errors.OutcomeUnknown, errors.TransientError)
    assert not errors.TransientError(503, "x").permanent


def test_domains():
    assert domains.expected_domain("STANDARD", sandbox=True) == "testcert.legalmail.it"
    assert domains.expected_domain("gold", sandbox=False) == "legalmail.it"
    assert domains.expected_domain("DOMICILIODIGITALE", True) == "test.domiciliodigitale.com"
    assert domains.expected_domain("DOMICILIODIGITALE", False) == "domiciliodigitale.com"
    assert domains.expected_domain("PECMASSIVA", False) == "pecmassiva.com"
    assert domains.expected_domain("PECMASSIVA", True) == "test.pecmassiva.com"
    with pytest.raises(ValueError):
        domains.expected_domain("PLATINUM", True)
    assert domains.is_sandbox_url("https://test.pec.openapi.it")
    assert domains.is_sandbox_url("http://127.0.0.1:8765")
    assert domains.is_sandbox_url("http://localhost:8765")
    assert not domains.is_sandbox_url("https://pec.openapi.it")
    assert domains.pec_host_for_url("http://127.0.0.1:1") == "test.pec.openapi.it"
    assert domains.pec_host_for_url("https://pec.openapi.it") == "pec.openapi.it"


def test_prices():
    assert prices.price("registrazione", "STANDARD") == Decimal("11.00")
    assert prices.price("rinnovo", "GOLD", anni=2) == Decimal("128.00")
    assert prices.price("comunica") == Decimal("15.70")
    assert prices.price("modifica", disco_mb=2048, conservazione_mb=512) == Decimal("20.00")
    assert prices.price("conservazione", spazio_conservazione=1024) == Decimal("35.00")
    assert prices.price("trasformazione", "GOLD", da="STANDARD") == Decimal("53.00")
    assert prices.price("multiutenza") == Decimal("5.00")
    assert prices.is_upgrade("STANDARD", "SILVER") and not prices.is_upgrade("GOLD", "SILVER")
    for op in prices.Operation:
        assert isinstance(prices.price(op, "SILVER", da="STANDARD"), Decimal)
    with pytest.raises(ValueError):
        prices.price("rinnovo", "STANDARD", anni=0)


def test_a_new_result_is_read_by_its_annotations_alone():
    """The next resource declares its fields; Record.from_raw reads and parses each one."""
    from dataclasses import dataclass, field

    from openapi_pec.types.parsing import Result, source

    @dataclass(frozen=True)
    class Check(Result):
        id: str
        stato: types.StatoCasella | str
        tipo: types.TipoCasella | str = ""
        attivo: bool = False
        spazio: int | None = None
        scadenza: dt.date | None = None
        quando: dt.datetime | None = None
        costo: Decimal = Decimal("0")
        timestamp: types.Timestamps = field(default_factory=types.Timestamps)
        utenti: list[types.Utenza] = field(default_factory=list)
        nomi: list[str] = field(default_factory=list)
        creato: dt.datetime | None = field(
            default=None, metadata=source("createdAt", types.parse_iso)
        )
        attivazione: dt.datetime | None = field(
            default=None, metadata=source(("timestamp", "attivazione"))
        )

    raw = {
        "id": 7,
        "stato": "nuovo_stato",
        "tipo": "gold",
        "attivo": 1,
        "spazio": "512",
        "scadenza": "01/02/2027",
        "quando": 1614865504,
        "costo": "1.50",
        "timestamp": {"registrazione": 1614865504, "attivazione": 1614865504},
        "utenti": [{"nome": "luca"}],
        "nomi": "solo",
        "createdAt": "2026-01-02T03:04:05Z",
    }
    c = Check.from_raw(raw)
    when = dt.datetime(2021, 3, 4, 13, 45, 4, tzinfo=dt.UTC)
    assert (c.id, c.stato, c.tipo) == ("7", "nuovo_stato", types.TipoCasella.GOLD)
    assert (c.attivo, c.spazio, c.scadenza) == (True, 512, dt.date(2027, 2, 1))
    assert (c.quando, c.costo, c.timestamp.registrazione) == (when, Decimal("1.50"), when)
    assert [u.nome for u in c.utenti] == ["luca"] and c.nomi == ["solo"]
    assert c.creato == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert c.attivazione == when and c.raw is raw
    empty = Check.from_raw(None)
    assert (empty.id, empty.stato, empty.tipo, empty.spazio, empty.raw) == ("", None, "", None, {})


def test_a_request_requires_the_fields_without_a_default():
    from dataclasses import dataclass

    from openapi_pec.types.parsing import Request

    @dataclass
    class Body(Request):
        nome: str
        nato: dt.date | str
        nota: str | None = None
        tipo: types.TipoCasella | None = None

    assert Body.REQUIRED == ("nome", "nato")
    assert Body("", dt.date(2020, 1, 2)).to_payload() == {"nome": "", "nato": "02/01/2020"}
    assert Body("a", "x", tipo=types.TipoCasella.GOLD).to_payload()["tipo"] == "GOLD"
