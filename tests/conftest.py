import os

import pytest
from django.conf import settings
from django.utils import translation

pytest_plugins = [
    "tests.plugins.sandbox",
    "tests.plugins.worker",
    "tests.plugins.browser",
    "tests.plugins.figures",
    "tests.plugins.flush",
]

IN_CI = os.environ.get("CI") == "true"
# Tiers that must run under CI: skipping them there fails the run.
REQUIRED_IN_CI = ("integration", "e2e", "chaos")


def pytest_report_header(config):
    db = settings.DATABASES["default"]
    engine = db["ENGINE"].rsplit(".", 1)[-1]
    broker = settings.CELERY_BROKER_URL.split("://", 1)[0]
    return [
        f"pec-portal: database {engine} ({db.get('HOST') or db['NAME']}), broker {broker}, "
        f"CI={'yes' if IN_CI else 'no'}"
    ]


_skipped_required: list[str] = []


def pytest_runtest_logreport(report):
    # (an expected failure, xfail, is reported as "skipped" too: it is not a skipped test)
    if (
        report.skipped
        and not hasattr(report, "wasxfail")
        and any(m in report.keywords for m in REQUIRED_IN_CI)
    ):
        _skipped_required.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if IN_CI and _skipped_required:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    db = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    broker = settings.CELERY_BROKER_URL.split("://", 1)[0]
    terminalreporter.write_line(f"pec-portal: ran on database {db}, broker {broker}")
    if IN_CI and _skipped_required:
        terminalreporter.write_line(
            f"FAILED: {len(_skipped_required)} integration/e2e tests were skipped under CI:"
        )
        for nodeid in _skipped_required:
            terminalreporter.write_line(f"  {nodeid}")


@pytest.fixture
def make_user(db, django_user_model):
    """Create a user with the given roles (group names of accounts.roles)."""
    from django.contrib.auth.models import Group

    counter = iter(range(1, 10_000))

    def make(*roles, username=None, **extra):
        name = username or f"user{next(counter)}"
        user = django_user_model.objects.create_user(
            name, f"{name}@example.com", "correct-horse-battery", **extra
        )
        # get_or_create: a transactional test before this one flushed the migration's groups
        user.groups.add(*(Group.objects.get_or_create(name=role)[0] for role in roles))
        return user

    return make


@pytest.fixture
def office_user(make_user):
    from accounts import roles

    return make_user(roles.OFFICE, username="operatore")


@pytest.fixture
def accountant_user(make_user):
    from accounts import roles

    return make_user(roles.ACCOUNTANT, username="commercialista")


@pytest.fixture
def office_client(client, office_user):
    client.force_login(office_user)
    return client


@pytest.fixture(autouse=True)
def _client_links_not_throttled(settings):
    """The client link pages count requests per address in the shared cache for 10 minutes
    (Redis under CI, kept across tests), and every test client is 127.0.0.1: a test of the
    pages would be throttled by the tests before it. The throttle's own tests set their rate."""
    settings.SIGNING_LINK_RATE = 1_000_000


@pytest.fixture(autouse=True)
def _each_test_starts_in_the_portals_language():
    """A request in English through the test client leaves English active in the test's
    thread (LocaleMiddleware activates it and nothing deactivates it), so a later test that
    reads what a background job wrote would find it in English or Italian by test order."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()
