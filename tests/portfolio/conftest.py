import pytest

from accounts import roles


@pytest.fixture
def office(make_user):
    return make_user(roles.OFFICE, username="ufficio")


@pytest.fixture
def accountant(make_user):
    return make_user(roles.ACCOUNTANT, username="ragioniere")


@pytest.fixture
def credit(monkeypatch):
    """The wallet credit the cockpit reads, without asking Openapi."""
    from decimal import Decimal

    from cockpit import wallet

    monkeypatch.setattr(wallet, "credit", lambda: Decimal("1000"))
