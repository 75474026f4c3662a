"""The access matrix: every URL pattern of the portal, tried by whoever must not see it.

Every pattern is enumerated from the URL resolver. A pattern that takes a parameter (an object
id) must have an entry in ``ID_URLS`` saying how to build it for a real object; a new URL that
is not in the table fails ``test_every_id_url_is_in_the_matrix``. Each one is then requested
(GET and POST) anonymously (login redirect expected), by an accountant NOT assigned to the
holder and by a logged-in user without any role (403, 404 or 405 expected; never a 2xx, never
the object's data). As a positive control, the same URL opened by someone who may see it must
not be a 404 (so the table builds URLs of objects that exist).

Pages without an id are in ``PLAIN_URLS`` with who may open them: an accountant gets 403 on the
office pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests import figures

from .objects import MARKERS, World, build_world

pytestmark = pytest.mark.django_db


def walk(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = namespace + (f"{p.namespace}:" if p.namespace else "")
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), (namespace + p.name) if p.name else None, p


def has_params(route: str) -> bool:
    return "<" in route or "(?P<" in route


ALL = [(route, name) for route, name, _p in walk(get_resolver().url_patterns)]
ID_ROUTES = sorted({route for route, _n in ALL if has_params(route)})
PLAIN_ROUTES = sorted({route for route, _n in ALL if not has_params(route)})

# --------------------------------------------------------------------------- how to build them

Builder = Callable[[World], str]

ID_URLS: dict[str, Builder] = {
    "caselle/<int:pk>/": lambda w: f"/caselle/{w.casella.pk}/",
    "caselle/<int:pk>/stato/": lambda w: f"/caselle/{w.casella.pk}/stato/",
    "caselle/<int:pk>/badge/": lambda w: f"/caselle/{w.casella.pk}/badge/",
    "caselle/<int:pk>/documenti/": lambda w: f"/caselle/{w.casella.pk}/documenti/",
    "caselle/<int:pk>/modulo-attivazione/": lambda w: (
        f"/caselle/{w.casella.pk}/modulo-attivazione/"
    ),
    "caselle/<int:pk>/aggiorna/": lambda w: f"/caselle/{w.casella.pk}/aggiorna/",
    "caselle/<int:pk>/riprova/": lambda w: f"/caselle/{w.casella.pk}/riprova/",
    # operations on active boxes (renew, revoke, enlarge, preservation...)
    "caselle/<int:pk>/rinnovo/": lambda w: f"/caselle/{w.casella.pk}/rinnovo/",
    "caselle/<int:pk>/revoca/": lambda w: f"/caselle/{w.casella.pk}/revoca/",
    "caselle/<int:pk>/spazio/": lambda w: f"/caselle/{w.casella.pk}/spazio/",
    "caselle/<int:pk>/conservazione/": lambda w: f"/caselle/{w.casella.pk}/conservazione/",
    "caselle/<int:pk>/modulo-conservazione/": lambda w: (
        f"/caselle/{w.casella.pk}/modulo-conservazione/"
    ),
    "caselle/<int:pk>/tipo/": lambda w: f"/caselle/{w.casella.pk}/tipo/",
    "caselle/<int:pk>/utenti/": lambda w: f"/caselle/{w.casella.pk}/utenti/",
    # an accountant's invitation link, here with a token that was never issued
    "account/imposta-password/<uidb64>/<token>/": lambda w: (
        "/account/imposta-password/MQ/cafe-0123456789abcdef0123456789abcdef/"
    ),
    # Openapi's callback: public, but only with the box's secret (here a wrong one)
    "caselle/<int:pk>/callback/<str:token>/": lambda w: (
        f"/caselle/{w.casella.pk}/callback/{'0' * 40}/"
    ),
    "caselle/documenti/<int:pk>/": lambda w: f"/caselle/documenti/{w.documento.pk}/",
    "caselle/titolari/<int:pk>/": lambda w: f"/caselle/titolari/{w.titolare.pk}/",
    "caselle/titolari/<int:pk>/modifica/": lambda w: f"/caselle/titolari/{w.titolare.pk}/modifica/",
    "comunica/<int:pk>/": lambda w: f"/comunica/{w.richiesta.pk}/",
    "comunica/<int:pk>/stato/": lambda w: f"/comunica/{w.richiesta.pk}/stato/",
    "comunica/<int:pk>/aggiorna/": lambda w: f"/comunica/{w.richiesta.pk}/aggiorna/",
    "comunica/<int:pk>/riprova/": lambda w: f"/comunica/{w.richiesta.pk}/riprova/",
    "comunica/<int:pk>/procura.pdf": lambda w: f"/comunica/{w.richiesta.pk}/procura.pdf",
    "comunica/<int:pk>/procura/": lambda w: f"/comunica/{w.richiesta.pk}/procura/",
    "comunica/<int:pk>/procura/<int:doc>/invia/": lambda w: (
        f"/comunica/{w.richiesta.pk}/procura/{w.procura.pk}/invia/"
    ),
    "comunica/<int:pk>/procura/<int:doc>/procura.p7m": lambda w: (
        f"/comunica/{w.richiesta.pk}/procura/{w.procura.pk}/procura.p7m"
    ),
    # Openapi's callback: public, but only with the request's secret (here a wrong one)
    "comunica/<int:pk>/callback/<str:token>/": lambda w: (
        f"/comunica/{w.richiesta.pk}/callback/{'0' * 40}/"
    ),
    # the compliance pages of a company holder
    "conformita/impresa/<int:pk>/": lambda w: f"/conformita/impresa/{w.titolare.pk}/",
    "conformita/impresa/<int:pk>/verifica/": lambda w: (
        f"/conformita/impresa/{w.titolare.pk}/verifica/"
    ),
    "conformita/impresa/<int:pk>/sorveglia/": lambda w: (
        f"/conformita/impresa/{w.titolare.pk}/sorveglia/"
    ),
    "conformita/impresa/<int:pk>/sorveglia/termina/": lambda w: (
        f"/conformita/impresa/{w.titolare.pk}/sorveglia/termina/"
    ),
    "conformita/impresa/<int:pk>/amministratore/": lambda w: (
        f"/conformita/impresa/{w.titolare.pk}/amministratore/"
    ),
    "conformita/impresa/<int:pk>/amministratore/comunica/": lambda w: (
        f"/conformita/impresa/{w.titolare.pk}/amministratore/comunica/"
    ),
    "conformita/campagna/<int:pk>/": lambda w: f"/conformita/campagna/{_campaign(w).pk}/",
    # Openapi's monitor callback: public, but only with the monitor's secret
    "conformita/sorveglianza/<int:pk>/callback/<str:token>/": lambda w: (
        f"/conformita/sorveglianza/{_monitor(w).pk}/callback/{'0' * 40}/"
    ),
    # The client's signing link: public, but only with a live link's token (here a wrong one;
    # test_signing_links_open_only_their_own_step tries real, expired and other boxes' tokens)
    "firma/<str:token>/": lambda w: f"/firma/{WRONG_TOKEN}/",
    "firma/<str:token>/modulo.pdf": lambda w: f"/firma/{WRONG_TOKEN}/modulo.pdf",
    # the office's side of the links (office only)
    "link-firma/caselle/<int:pk>/": lambda w: f"/link-firma/caselle/{w.casella.pk}/",
    "link-firma/comunica/<int:pk>/": lambda w: f"/link-firma/comunica/{w.richiesta.pk}/",
    "link-firma/<int:pk>/revoca/": lambda w: f"/link-firma/{_link(w).link.pk}/revoca/",
    "link-firma/<int:pk>/reinvia/": lambda w: f"/link-firma/{_link(w).link.pk}/reinvia/",
    # Django admin: staff only; the object ids of the generic admin URLs are built below.
    "admin/r/<path:content_type_id>/<path:object_id>/": lambda w: _view_on_site(w),
    "admin/auth/user/<id>/password/": lambda w: f"/admin/auth/user/{w.assigned.pk}/password/",
    "admin/^(?P<app_label>auth|axes|mailboxes|comunica|ledger)/$": lambda w: "/admin/mailboxes/",
    # a client's statement and printable summary
    "costi/titolari/<int:pk>/": lambda w: f"/costi/titolari/{w.titolare.pk}/",
    "costi/titolari/<int:pk>/riepilogo.pdf": lambda w: (
        f"/costi/titolari/{w.titolare.pk}/riepilogo.pdf"
    ),
    "admin/(?P<url>.*)$": lambda w: f"/admin/mailboxes/casella/{w.casella.pk}",
}
NO_OBJECT: set[str] = set()
#: Reachable without logging in, refused without the right secret in the URL.
SECRET_URLS = {
    "account/imposta-password/<uidb64>/<token>/",
    "caselle/<int:pk>/callback/<str:token>/",
    "comunica/<int:pk>/callback/<str:token>/",
    "conformita/sorveglianza/<int:pk>/callback/<str:token>/",
    "firma/<str:token>/",
    "firma/<str:token>/modulo.pdf",
}
#: The signing link's pages: a wrong token gets the neutral page (404) whoever asks.
LINK_URLS = {"firma/<str:token>/", "firma/<str:token>/modulo.pdf"}
WRONG_TOKEN = "W" * 43
_ADMIN_OBJECT = re.compile(r"^admin/(\w+)/(\w+)/<path:object_id>/(\w*/?)$")


def _campaign(w: World):
    from compliance.models import Campaign, CampaignItem

    campaign, _new = Campaign.objects.get_or_create(key="matrix", created_by=w.office)
    CampaignItem.objects.get_or_create(campaign=campaign, titolare=w.titolare)
    return campaign


def _monitor(w: World):
    from compliance.models import Monitor

    return Monitor.objects.get_or_create(
        titolare=w.titolare, dataset="IT-pec", defaults={"remote_id": "a" * 24}
    )[0]


def _link(w: World):
    """A live signing link for the world's box (made once per world)."""
    if not hasattr(w, "signing_link"):
        from signing import services
        from signing.models import Scopo

        w.signing_link = services.create_link(
            scopo=Scopo.ATTIVAZIONE, user=w.office, casella=w.casella
        )
    return w.signing_link


def _view_on_site(w: World) -> str:
    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get_for_model(type(w.casella))
    return f"/admin/r/{ct.pk}/{w.casella.pk}/"


def build(route: str, world: World) -> str | None:
    if route in ID_URLS:
        return ID_URLS[route](world)
    m = _ADMIN_OBJECT.match(route)
    if m:
        from django.apps import apps

        app_label, model_name, rest = m.groups()
        obj = apps.get_model(app_label, model_name).objects.order_by("pk").first()
        if obj is None:
            # A model build_world() does not make yet: admin refuses non-staff before any
            # lookup, so the refusal is still checked; the positive control is skipped.
            NO_OBJECT.add(route)
            return f"/admin/{app_label}/{model_name}/1/{rest}"
        return f"/admin/{app_label}/{model_name}/{obj.pk}/{rest}"
    return None


# Pages without an id: who may open them ("office", "portal": office + accountants, "public",
# "staff": Django admin).
PLAIN_URLS: dict[str, str] = {
    "": "portal",
    "cruscotto/da-fare/": "portal",
    "cruscotto/andamento/": "portal",
    "cruscotto/cerca/": "portal",
    "i18n/setlang/": "public",
    "account/login/": "public",
    "account/logout/": "public",
    "account/password/": "user",
    "account/password/done/": "user",
    "account/lingua/": "public",
    "account/imposta-password/fatto/": "public",
    "caselle/commercialisti/invita/": "office",
    "caselle/": "portal",
    "caselle/nuova/": "office",
    "caselle/verifica-indirizzo/": "office",
    "caselle/sincronizza/": "office",
    "caselle/titolari/": "portal",
    "caselle/titolari/nuovo/": "office",
    "comunica/": "office",
    "comunica/nuova/": "office",
    "comunica/sincronizza/": "office",
    "caselle/scadenze/": "office",
    "caselle/scadenze/avanzamento/": "office",
    "portafoglio/da-collegare/": "office",
    "portafoglio/altro-gestore/": "office",
    "portafoglio/importa/": "office",
    "portafoglio/importa/modello/": "office",
    "portafoglio/importa/registrazioni/": "office",
    "portafoglio/importa/registrazioni/avanzamento/": "office",
    "portafoglio/esporta/caselle/": "portal",
    "portafoglio/esporta/titolari/": "portal",
    "portafoglio/esporta/scadenze/": "office",
    "conformita/": "portal",
    "conformita/verifica/": "office",
    "conformita/campagna/": "office",
    "firma/fatto/": "public",
    "costi/": "portal",
    "costi/registro/": "office",
    "costi/registro/riconcilia/": "office",
}
_ADMIN_PLAIN = re.compile(r"^admin/")
#: Sent only by POST (GET answers 405 after the role check).
POST_ONLY = {
    "costi/registro/riconcilia/",
    "caselle/sincronizza/",
    "comunica/sincronizza/",
    "account/logout/",
    "i18n/setlang/",
    "account/lingua/",
    "conformita/verifica/",
}


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def world(db, settings, sandbox):
    # Views that fetch from Openapi (modulo, refresh) talk to the test sandbox, quickly.
    settings.OPENAPI_PEC_URL = sandbox.url
    settings.OPENAPI_OAUTH_URL = sandbox.url
    settings.OPENAPI_TOKEN = "demo-token"
    settings.OPENAPI_EMAIL = settings.OPENAPI_APIKEY = ""
    settings.OPENAPI_TIMEOUT = 2.0
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_world()


def client_for(user) -> Client:
    c = Client(raise_request_exception=False)
    if user is not None:
        c.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return c


def leaked(response) -> list[str]:
    body = b"".join(response) if response.streaming else response.content
    text = body.decode("utf-8", "replace")
    return [m for m in MARKERS if m.lower() in text.lower()]


# --------------------------------------------------------------------------- the tests


def test_every_id_url_is_in_the_matrix(world):
    missing = [r for r in ID_ROUTES if build(r, world) is None]
    assert not missing, f"add these URL patterns to ID_URLS in {__file__}: {missing}"
    unknown = [r for r in ID_URLS if r not in ID_ROUTES]
    assert not unknown, f"ID_URLS lists patterns that no longer exist: {unknown}"


def test_every_plain_url_is_in_the_table():
    missing = [r for r in PLAIN_ROUTES if r not in PLAIN_URLS and not _ADMIN_PLAIN.match(r)]
    assert not missing, f"add these URL patterns to PLAIN_URLS in {__file__}: {missing}"


def _refusals(world: World) -> tuple[int, list[str]]:
    """Request every id URL as the three users; return (requests, problems)."""
    users = {
        "anonymous": None,
        "accountant of another holder": world.other,
        "user without role": world.norole,
    }
    clients = {label: client_for(u) for label, u in users.items()}
    problems: list[str] = []
    requests = 0
    for route in ID_ROUTES:
        url = build(route, world)
        if url is None:  # reported by test_every_id_url_is_in_the_matrix
            continue
        admin = route.startswith("admin/")
        for label, c in clients.items():
            for method in ("get", "post"):
                requests += 1
                response = getattr(c, method)(url)
                status = response.status_code
                where = f"{method.upper()} {url} as {label}: {status}"
                if leaked(response):
                    problems.append(f"{where} shows {leaked(response)}")
                if route in SECRET_URLS:
                    if status not in (403, 404, 405):
                        problems.append(f"{where}, expected 403/404/405 (wrong secret)")
                elif label == "anonymous" or admin:
                    login = "/admin/login/" if admin else "/account/login/"
                    if status != 302 or not response["Location"].startswith(login):
                        problems.append(f"{where}, expected a redirect to {login}")
                elif status not in (403, 404, 405):
                    problems.append(f"{where}, expected 403/404/405")
    return requests, problems


def test_no_id_url_opens_for_those_who_must_not_see_it(world):
    from django.core.cache import cache

    cache.clear()  # the link pages' throttling counts per address
    requests, problems = _refusals(world)
    assert not problems, "\n".join(problems)
    figures.record(
        "access matrix",
        f"{len(ID_ROUTES)} urls x 3 users ({requests} requests, GET+POST), {len(problems)} leaks",
    )


#: Who may see them still gets a 404 here, by design.
EXPECTED_404 = {
    # Casella has no get_absolute_url: "view on site" is a 404 for everyone.
    "admin/r/<path:content_type_id>/<path:object_id>/",
}


def positive_control(world: World) -> list[str]:
    problems = []
    office, superuser = client_for(world.office), client_for(world.superuser)
    for route in ID_ROUTES:
        url = build(route, world)
        if url is None:
            continue
        response = (superuser if route.startswith("admin/") else office).get(url)
        status = response.status_code
        if route == "admin/(?P<url>.*)$":  # the catch-all: a missing slash is redirected
            ok = status == 301
        elif route == "account/imposta-password/<uidb64>/<token>/":
            ok = status == 404  # a token never issued (a real one: mailboxes/test_accountants)
        elif route in LINK_URLS:
            ok = status == 404  # a wrong token (test_signing_links_open_only_their_own_step)
        elif route in SECRET_URLS:
            ok = status == 405  # GET; Openapi POSTs (test_the_callback_needs_the_secret)
        elif route in EXPECTED_404 or route in NO_OBJECT:
            ok = status in (404, 302)  # (admin redirects a missing object to the changelist)
        else:
            ok = status not in (404, 500)
        if not ok:
            problems.append(f"GET {url}: {status}")
    return problems


def test_positive_control_the_urls_open_for_who_may(world):
    """The table builds URLs of real objects: who may see them gets no 404 (and no 500)."""
    problems = positive_control(world)
    assert not problems, "\n".join(problems)


def test_the_assigned_accountant_sees_the_holder_and_its_documents(world):
    c = client_for(world.assigned)
    assert c.get(f"/caselle/{world.casella.pk}/").status_code == 200
    assert c.get(f"/caselle/titolari/{world.titolare.pk}/").status_code == 200
    download = c.get(f"/caselle/documenti/{world.documento.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    # ... but not the other holder
    assert c.get(f"/caselle/titolari/{world.other_titolare.pk}/").status_code == 404


def test_pages_without_id_by_role(world):
    """Office pages: 403 for accountants and users without a role; portal pages: 403 for users
    without a role; anonymous users are sent to log in."""
    who = {
        "office": client_for(world.office),
        "accountant": client_for(world.other),
        "norole": client_for(world.norole),
        "anonymous": client_for(None),
    }
    problems, checked, staff_403 = [], 0, 0
    for route in PLAIN_ROUTES:
        if _ADMIN_PLAIN.match(route):
            continue
        access = PLAIN_URLS[route]
        if route in POST_ONLY or access == "public":
            continue
        url = "/" + route
        for label, c in who.items():
            checked += 1
            status = c.get(url).status_code
            if label == "anonymous":
                ok = status == 302
            elif access == "office":
                # (for the office, some pages need parameters: not refused is enough)
                ok = (status != 403 and status < 500) if label == "office" else status == 403
                staff_403 += label == "accountant" and status == 403
            elif access == "portal":
                ok = status in (200, 302) if label != "norole" else status == 403
            else:  # "user": any logged-in user
                ok = status == 200
            if not ok:
                problems.append(f"GET {url} as {label}: {status} (page for {access})")
    # the POST-only office actions refuse accountants too
    for route in ("caselle/sincronizza/", "comunica/sincronizza/"):
        status = who["accountant"].post("/" + route).status_code
        checked += 1
        if status != 403:
            problems.append(f"POST /{route} as accountant: {status}")
        staff_403 += status == 403
    assert not problems, "\n".join(problems)
    figures.record(
        "pages without id", f"{checked} checks, accountant 403 on {staff_403} staff pages"
    )


def test_admin_pages_are_staff_only(world):
    """Every admin page without an id sends accountants and role-less users to admin login."""
    routes = [
        r for r in PLAIN_ROUTES if _ADMIN_PLAIN.match(r) and not r.endswith(("login/", "logout/"))
    ]
    for label, user in (("accountant", world.assigned), ("norole", world.norole)):
        c = client_for(user)
        for route in routes:
            response = c.get("/" + route)
            assert response.status_code == 302, (route, label, response.status_code)
            assert response["Location"].startswith("/admin/login/"), route


def test_the_callback_needs_the_secret(world, sandbox):
    """Openapi's status callback: with a wrong or another box's secret, 403 and nothing read."""
    from mailboxes.services.polling import BOXES
    from portal import callbacks

    c = client_for(None)
    for token in ("0" * 40, callbacks.callback_token(BOXES, world.casella.pk + 1), ""):
        response = c.post(f"/caselle/{world.casella.pk}/callback/{token or 'x'}/")
        assert response.status_code == 403, token
    assert sandbox.calls() == []
    right = callbacks.callback_token(BOXES, world.casella.pk)
    response = c.post(f"/caselle/{world.casella.pk}/callback/{right}/")
    assert response.status_code in (200, 503)  # re-read from Openapi (the fake id: not found)


def test_signing_links_open_only_their_own_step(world, settings):
    """The client's link: anonymous with the live token sees that box and step only; a wrong,
    expired, revoked or another box's used token gets the one neutral page, for anyone; the
    office's link actions are refused as every office page is."""
    import datetime as dt

    from django.core.cache import cache
    from django.utils import timezone

    from mailboxes.models import Casella
    from signing import services
    from signing.models import LinkFirma, Scopo

    cache.clear()
    settings.SIGNING_LINK_RATE = 1000  # throttling: tests/signing/test_links.py
    live = _link(world)
    other_box = Casella.objects.create(
        titolare=world.other_titolare,
        remote_id="f" * 24,
        casella_pec="altra-casella@legalmail.it",
        tipo_casella="STANDARD",
        stato="registrata",
    )
    other_link = services.create_link(scopo=Scopo.ATTIVAZIONE, user=world.office, casella=other_box)
    anonymous = client_for(None)
    page = anonymous.get(other_link.path)
    assert page.status_code == 200
    text = page.content.decode()
    assert "altra-casella@legalmail.it" in text
    assert not leaked(page), leaked(page)  # nothing of the world's box or its holder

    neutral = anonymous.get(f"/firma/{WRONG_TOKEN}/")
    assert neutral.status_code == 404
    expired = services.create_link(scopo=Scopo.ATTIVAZIONE, user=world.office, casella=other_box)
    LinkFirma.objects.filter(pk=expired.link.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    revoked = services.create_link(scopo=Scopo.ATTIVAZIONE, user=world.office, casella=other_box)
    services.revoke(link=revoked.link, user=world.office)
    tokens = {
        "expired": expired.token,
        "revoked": revoked.token,
        "replaced": other_link.token,  # revoked by the newer links of the same step
        "one character changed": live.token[:-1] + ("x" if live.token[-1] != "x" else "y"),
        "truncated": live.token[:-1],
        "case changed": live.token.swapcase(),
    }
    for label, user in (("anonymous", None), ("accountant", world.other), ("office", world.office)):
        c = client_for(user)
        for what, token in tokens.items():
            for method in ("get", "post"):
                for suffix in ("", "modulo.pdf"):
                    if method == "post" and suffix:
                        continue
                    r = getattr(c, method)(f"/firma/{token}/{suffix}")
                    assert (r.status_code, r.content) == (404, neutral.content), (
                        label,
                        what,
                        method,
                        suffix,
                    )
    ok = anonymous.get(live.path)
    assert ok.status_code == 200 and "leak-marker-box@legalmail.it" in ok.content.decode()
