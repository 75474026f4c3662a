"""The demo's sample portfolio (SAMPLE=1 make run): holders, boxes in several states imported
from the sandbox, a comunica request; made once."""

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_sandbox(settings, sandbox):
    from django.core.cache import cache

    settings.OPENAPI_PEC_URL = settings.OPENAPI_OAUTH_URL = settings.SANDBOX_URL = sandbox.url
    settings.OPENAPI_TOKEN = "demo-token"
    settings.OPENAPI_DEMO = True
    cache.clear()
    return sandbox


def test_the_sample_portfolio_fills_the_demo_once(demo_sandbox, make_user, capsys, monkeypatch):
    from unittest import mock

    monkeypatch.setattr("portal.tasks.run_call.delay", mock.Mock())  # the worker's part
    from comunica.models import RichiestaComunicazione
    from mailboxes.models import Casella, Titolare

    make_user(username="admin", is_staff=True, is_superuser=True)
    call_command("sample_portfolio")
    assert "4 holders" in capsys.readouterr().out
    assert Titolare.objects.count() == 4
    stati = set(Casella.objects.values_list("stato", flat=True))
    assert {"evasa", "registrata", "in_evasione", "documenti_errati", "revocata"} <= stati
    assert not Casella.objects.filter(titolare__isnull=True).exists()
    assert Titolare.objects.filter(denominazione="Comunità Montana Alta Valle").exists()
    assert RichiestaComunicazione.objects.count() == 1
    assert Casella.objects.filter(casella_pec__startswith="rossibianchi-").count() == 4
    accountant = Titolare.objects.get(denominazione="Rossi & Bianchi Srl").commercialisti.get()
    assert accountant.username == "commercialista"
    assert Titolare.objects.filter(commercialisti=accountant).count() == 2

    call_command("sample_portfolio")
    assert "already there" in capsys.readouterr().out
    assert Titolare.objects.count() == 4 and RichiestaComunicazione.objects.count() == 1


def test_no_sample_outside_the_demo(settings, make_user):
    settings.OPENAPI_DEMO = False
    make_user(username="admin")
    with pytest.raises(CommandError, match="only in the demo"):
        call_command("sample_portfolio")
