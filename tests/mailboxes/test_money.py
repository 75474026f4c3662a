"""Every paid confirmation states its money the same way (issue 16, item 2): net price, IVA and
total, the credito Openapi before and after, a warning when it falls short."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from mailboxes.operations.pricing import vat_rate

from .conftest import richiedente_post
from .operations_support import *  # noqa: F403 (the active_box fixture)

pytestmark = pytest.mark.django_db


def figures(html: str) -> dict[str, str]:
    """The money block's figures by id, as shown."""
    assert html.count('id="addebito"') == 1, "one money block per confirmation"
    return dict(
        re.findall(
            r'id="(addebito-netto|addebito-iva|addebito-lordo|credito|credito-dopo)">'
            r"(?:<strong>)?([^<]+?) €",
            html,
        )
    )


def it(amount: Decimal) -> str:
    text = f"{amount:,.2f}"
    return text.replace(",", "X").replace(".", ",").replace("X", ".")


def expected(net: str, credit: str = "1000.00") -> dict[str, str]:
    net_d = Decimal(net)
    vat = (net_d * vat_rate()).quantize(Decimal("0.01"))
    return {
        "addebito-netto": it(net_d),
        "addebito-iva": it(vat),
        "addebito-lordo": it(net_d + vat),
        "credito": it(Decimal(credit)),
        "credito-dopo": it(Decimal(credit) - net_d),
    }


def test_registration_confirmation(pec, office_client, make_titolare):
    titolare = make_titolare()
    data = {
        "titolare": titolare.pk,
        "tipo_casella": "GOLD",
        "casella_pec": f"g{uuid.uuid4().hex[:6]}@testcert.legalmail.it",
        "autorinnovo": "on",
        **richiedente_post(),
        "step": "dati",
    }
    page = office_client.post(reverse("mailboxes:casella_new"), data).content.decode()
    assert figures(page) == expected("64.00")
    assert "ogni anno alla scadenza 64,00 € + IVA" in page  # the auto-renewal's price
    assert 'id="credito-insufficiente"' not in page


def test_registration_form_lists_types_with_description_and_price(
    pec, office_client, make_titolare
):
    make_titolare()
    page = office_client.get(reverse("mailboxes:casella_new")).content.decode()
    assert "Legalmail Gold — 64,00 € + IVA" in page
    assert "Il domicilio digitale del cittadino" in page
    assert 'id="autorinnovo-prezzo"' in page


@pytest.mark.parametrize(
    ("op", "tipo", "data", "net"),
    [
        ("rinnovo", "STANDARD", {"anni": 2}, "22.00"),
        ("modifica", "STANDARD", {"disco_add": 1024, "storico_add": 0}, None),
        ("trasformazione", "STANDARD", {"tipo": "GOLD"}, None),
        (
            "multiutenza",
            "GOLD",
            {
                "nome": "Anna",
                "cognome": "Bianchi",
                "descrizione": "Segreteria",
                "email_gestione_password": "anna@example.com",
            },
            "5.00",
        ),
        ("conservazione", "GOLD", {"spazio": 512}, "25.00"),
    ],
)
def test_operation_confirmations(pec, active_box, office_client, op, tipo, data, net):
    from mailboxes.operations.registry import OPERATIONS

    casella = active_box(tipo=tipo)
    page = office_client.post(
        reverse(f"mailboxes:{op}", args=[casella.pk]), {**data, "step": "riepilogo"}
    ).content.decode()
    if net is None:
        form = OPERATIONS[op].form(data, casella=casella)
        assert form.is_valid(), form.errors
        net = str(OPERATIONS[op].price(casella, form.cleaned_data))
    assert figures(page) == expected(net, str(pec.credit()))
    assert "+ IVA" in page.split('id="conferma"', 1)[1][:200]


def test_shortage_warning(pec, active_box, office_client):
    casella = active_box(tipo="GOLD")
    pec.set_credit("20.00")
    page = office_client.post(
        reverse("mailboxes:rinnovo", args=[casella.pk]), {"anni": 1, "step": "riepilogo"}
    ).content.decode()
    assert figures(page) == expected("64.00", "20.00")
    assert "mancano 44,00 €" in page and 'id="credito-insufficiente"' in page


def test_batch_renewal_confirmation(pec, active_box, office_client):
    import datetime as dt

    from mailboxes.models import Casella

    a, b = active_box(), active_box(tipo="GOLD")
    Casella.objects.filter(pk__in=[a.pk, b.pk]).update(
        data_scadenza=dt.date.today() + dt.timedelta(days=20)
    )
    credit = pec.credit()
    page = office_client.post(
        reverse("mailboxes:scadenze"),
        {"caselle": [a.pk, b.pk], "anni": 1, "step": "riepilogo"},
    ).content.decode()
    assert figures(page) == expected("75.00", str(credit))
    assert "11,00 € + IVA" in page and "64,00 € + IVA" in page
