import pytest


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test (worker, browser) ends with a flush of the test database, which
    takes away the role groups the data migration made; put them back for the tests after it
    (the accounts app's post_migrate hook restores the administrators' permissions only when
    the group exists)."""
    result = yield
    marker = item.get_closest_marker("django_db")
    # nextitem None: the session is ending and the test database is already gone
    if nextitem is not None and marker is not None and marker.kwargs.get("transaction"):
        from pytest_django.plugin import blocking_manager_key

        from accounts import roles
        from accounts.permissions import grant_administrator_permissions

        with item.config.stash[blocking_manager_key].unblock():
            from django.contrib.auth.models import Group

            for name in roles.ROLES:
                Group.objects.get_or_create(name=name)
            grant_administrator_permissions()
    return result


@pytest.fixture
def make_user(make_user):
    """The root fixture, after making sure the role groups exist: a transactional test (worker,
    browser) flushes the database, data-migrated groups included, for the tests after it."""
    from django.contrib.auth.models import Group

    from accounts import roles

    for name in roles.ROLES:
        Group.objects.get_or_create(name=name)
    return make_user


@pytest.fixture
def openapi(settings, sandbox):
    """The portal's Openapi client pointed at the test sandbox."""
    settings.OPENAPI_PEC_URL = sandbox.url
    settings.OPENAPI_OAUTH_URL = sandbox.url
    settings.OPENAPI_TOKEN = "demo-token"
    settings.OPENAPI_EMAIL = ""
    settings.OPENAPI_APIKEY = ""
    settings.OPENAPI_TIMEOUT = 2.0
    return sandbox


@pytest.fixture
def queued():
    """Tasks are not sent to the broker: the tests run them by hand (the mock records them)."""
    from unittest import mock

    with mock.patch("portal.tasks.run_call.delay") as delay:
        yield delay
