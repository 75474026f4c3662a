import pytest

from tests.mailboxes.conftest import pec  # noqa: F401  (the portal pointed at the sandbox)


@pytest.fixture
def credit(monkeypatch):
    """The wallet credit the cockpit reads (cockpit.wallet.credit), set by the test."""
    from decimal import Decimal

    from cockpit import wallet

    value = {"credit": Decimal("1000")}
    monkeypatch.setattr(wallet, "credit", lambda: value["credit"])
    return value
