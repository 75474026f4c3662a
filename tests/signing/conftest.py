"""Fixtures of the signing-link tests: those of the mailboxes and comunica tests."""

from tests.comunica.conftest import (  # noqa: F401
    make_user,
    openapi,
    pytest_runtest_teardown,
    queued,
)
from tests.mailboxes.conftest import make_casella, make_titolare, pec  # noqa: F401
