"""Hostile URL parameters on every list and search page: a page or a 400, never a server error.

Each GET parameter of the boxes list (with its keyset cursors), holders, comunica list, expiry
page, new-box and new-request prefill, address check, login and every admin changelist gets NUL
characters, huge and non-ASCII numbers, floats, Infinity/NaN, odd dates, long strings and
non-UTF-8 percent-escapes. Run it on PostgreSQL too (CI variables): it refuses NUL in text.
"""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from mailboxes import expiry, selectors

from .objects import build_world

pytestmark = pytest.mark.django_db

# Already percent-encoded, so that non-UTF-8 bytes reach the server as they are.
HOSTILE = [
    "%00",
    "a%00b",
    "%00%00%00",
    "%ff%fe%fd",
    "%c0%80",  # overlong NUL
    "%ed%a0%80",  # a lone surrogate in UTF-8
    "9" * 25,
    "99999999999999999999",
    "9223372036854775808",
    "-1",
    "0",
    "-0",
    "1e300",
    "1.5",
    "Infinity",
    "-Infinity",
    "NaN",
    quote("²"),
    quote("١٢٣"),
    "0001-01-01",
    "9999-12-31T23%3A59%3A59",
    "0000-00-00",
    "x" * 5000,
    "%27%3B--",
    "%5B%5D",
    "true",
    "null",
]

# The kinds of value that break a lookup (the admin lists take a lookup per parameter).
ADMIN_HOSTILE = ["%00", "%ff%fe", "9" * 25, "1e300", "NaN", "0001-01-01", "x" * 5000]


def cursor(kind, value, pk) -> str:
    return base64.urlsafe_b64encode(json.dumps([kind, value, pk]).encode()).decode().rstrip("=")


FORGED_CURSORS = [
    cursor("s", "abc", 1),  # text for a date or datetime sort
    cursor("t", "0001-01-01T00:00:00", 1),
    cursor("t", "0001-01-01T00:00:00+00:00", 1),
    cursor("t", "9999-12-31T23:59:59.999999+14:00", 1),
    cursor("t", "2025-01-01T10:00:00", 1),  # naive
    cursor("d", "0001-01-01", 1),
    cursor("d", "9999-12-31", 1),
    cursor("d", "2025-02-30", 1),
    cursor("s", "x", 1e300),
    cursor("s", "x", float("inf")),
    cursor("s", "x", float("nan")),
    cursor("s", "x", 2**64),
    cursor("s", "x", -5),
    cursor("s", "x", True),
    cursor("s", "x", "12"),
    cursor("s", 5, 1),
    cursor("s", ["x"], 1),
    cursor("s", {"a": 1}, 1),
    cursor("s", "a\x00b", 1),
    cursor("n", None, 1),  # NULL for a column that cannot be NULL
    cursor("n", "x", 1),
    cursor("q", "x", 1),
    base64.urlsafe_b64encode(b"[1, 2]").decode(),
    base64.urlsafe_b64encode(b'{"a": 1}').decode(),
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    "not base64 !",
    "A" * 999,
]


@pytest.fixture
def world(settings, monkeypatch):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # the expiry page reads the wallet from Openapi: not what is tested here
    monkeypatch.setattr(expiry, "wallet_info", lambda limit=10: expiry.WalletInfo())
    return build_world()


def client_for(user) -> Client:
    c = Client(raise_request_exception=False)
    if user is not None:
        c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return c


def pages(world) -> dict[str, list[str]]:
    return {
        "/caselle/": [
            "q", "stato", "tipo", "titolare", "scadenza_entro", "sort", "dopo", "prima",
        ],
        "/caselle/titolari/": ["q", "page"],
        "/comunica/": ["q", "stato", "tipo", "page"],
        "/caselle/scadenze/": ["entro", "batch"],
        "/caselle/scadenze/avanzamento/": ["batch"],
        "/caselle/nuova/": ["titolare", "tipo"],
        "/comunica/nuova/": ["titolare", "casella"],
        "/caselle/verifica-indirizzo/": ["tipo_casella", "casella_pec"],
    }  # fmt: skip


def assert_no_server_error(client, url) -> int:
    response = client.get(url)
    assert response.status_code < 500, url
    return response.status_code


def attack_parameters(client, pages: dict[str, list[str]], suffixes=lambda page, param: [""]):
    """Each HOSTILE value in each parameter of each page (followed by each of ``suffixes``, more
    parameters), then all of them at once: the number of requests made."""
    requests = 0
    for page, params in pages.items():
        for param in params:
            for value in HOSTILE:
                for suffix in suffixes(page, param):
                    assert_no_server_error(client, f"{page}?{param}={value}{suffix}")
                    requests += 1
            # and all of them at once, and the parameter repeated
            everything = "&".join(f"{param}={value}" for value in HOSTILE[:8])
            assert_no_server_error(client, f"{page}?{everything}")
    return requests


def test_hostile_values_in_every_parameter_of_every_list(world):
    assert attack_parameters(client_for(world.office), pages(world)) > 600


def test_nul_in_a_search_is_a_400_with_a_message(world):
    response = client_for(world.office).get("/caselle/titolari/?q=Rossi%00")
    assert response.status_code == 400
    assert "Richiesta non valida" in response.content.decode()


@pytest.mark.parametrize("sort", ["", *selectors.SORTS])
def test_forged_cursors_give_a_page(world, sort):
    client = client_for(world.office)
    first = client.get(f"/caselle/?sort={sort}")
    assert first.status_code == 200
    field, _ = selectors._sort_field(sort)
    for forged in FORGED_CURSORS:
        for direction in ("dopo", "prima"):
            response = client.get(f"/caselle/?sort={sort}&{direction}={forged}")
            assert response.status_code == 200, (sort, direction, forged)
            if selectors.decode_cursor(forged, field) is None:  # not a cursor for this sort
                assert list(response.context["page"].object_list) == list(
                    first.context["page"].object_list
                ), (sort, direction, forged)


@pytest.mark.parametrize("sort", ["", *selectors.SORTS])
def test_only_well_formed_cursors_of_the_sort_are_read(sort):
    field, _ = selectors._sort_field(sort)
    kind = selectors._cursor_kind(field)
    for forged in FORGED_CURSORS:
        if selectors.decode_cursor(forged, field) is not None:
            raw = json.loads(base64.urlsafe_b64decode(forged + "=" * (-len(forged) % 4)))
            assert raw[0] in (kind, "n"), (sort, raw)
            assert type(raw[2]) is int and 0 < raw[2] < 2**63, (sort, raw)
            assert "\x00" not in str(raw[1])


def test_genuine_cursors_still_page(world, office_user):
    from mailboxes.models import Casella

    template = Casella.objects.get(pk=world.casella.pk)
    for i in range(30):
        template.pk = None
        template.casella_pec = f"pagina{i}@legalmail.it"
        template.remote_id = None
        template.save()
    client = client_for(world.office)
    for sort in ["", *selectors.SORTS]:
        seen, url = [], f"/caselle/?sort={sort}"
        while url:
            page = client.get(url).context["page"]
            seen += [c.pk for c in page.object_list]
            url = f"/caselle/?sort={sort}&dopo={page.next_cursor}" if page.has_next else ""
        assert len(seen) == len(set(seen)) == Casella.objects.count(), sort


def admin_changelists(client) -> dict[str, set[str]]:
    """Each admin changelist and the parameters its own filter and sort links use."""
    out = {}
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        html = client.get(url).content.decode()
        names = set(re.findall(r'href="\?([^"=&]+)=', html.replace("&amp;", "&")))
        names |= set(re.findall(r"&(?:amp;)?([a-z_]+(?:__[a-z_]+)*)=", html))
        out[url] = {"q", "o", "p", "all", "e", "_popup", *names}
    return out


def test_hostile_values_in_every_admin_changelist(world):
    client = client_for(world.superuser)
    lists = admin_changelists(client)
    assert len(lists) >= 5
    for url, params in lists.items():
        for param in params:
            for value in ADMIN_HOSTILE:
                assert_no_server_error(client, f"{url}?{param}={value}")


@hsettings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    page=st.sampled_from(["/caselle/", "/caselle/titolari/", "/comunica/", "/caselle/scadenze/"]),
    param=st.sampled_from(["q", "stato", "tipo", "titolare", "sort", "dopo", "prima", "page"]),
    value=st.text(max_size=60) | st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
)
def test_fuzzed_parameters_never_fail(world_once, page, param, value):
    client = client_for(world_once.office)
    assert_no_server_error(client, f"{page}?{param}={quote(value, safe='')}")


@pytest.fixture
def world_once(world):
    return world
