"""In a real browser: the keyboard (skip link, a visible focus ring), sort headers that say their
direction, and a phone's width (390 px: no horizontal scrolling, a folding menu, tables that
scroll inside their box). axe-core checks every page these tests open (tests/plugins/browser.py).
"""

import pytest

from ..cockpit import portfolio

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _luminance(rgb):
    def channel(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a, b):
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _rgb(css):
    inside = css[css.index("(") + 1 : css.index(")")]
    return tuple(round(float(x)) for x in inside.replace(",", " ").split()[:3])


@pytest.fixture
def boxes(accountant_user, make_user):
    portfolio.seed(accountant_user, make_user(username="altro"))
    long_holder = portfolio.holder(
        denominazione="Studio Associato Commercialisti Rossi Bianchi Verdi e Associati Srl"
    )
    long_box = portfolio.box(long_holder, "EVASA")
    long_box.casella_pec = "amministrazione.studioassociato@legalmail.it"
    long_box.save(update_fields=["casella_pec"])


def test_skip_link_and_focus_ring(page, login, office_user, boxes):
    login(page, office_user)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Vai al contenuto"
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenuto"

    # The next Tab lands on a link of the page; its ring is 3 px and >= 3:1 against the page.
    page.goto("/caselle/")
    page.locator("main a").first.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    ring = page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                  return [s.outlineStyle, s.outlineWidth, s.outlineColor,
                          getComputedStyle(document.documentElement).backgroundColor]; }"""
    )
    style, width, colour, background = ring
    assert style == "solid" and float(width.rstrip("px")) >= 2
    assert _contrast(_rgb(colour), _rgb(background)) >= 3


def test_sort_headers_say_their_direction(page, login, office_user, boxes):
    login(page, office_user)
    page.goto("/caselle/")
    header = page.locator("th", has_text="Indirizzo")
    assert header.get_attribute("aria-sort") == "none"
    with page.expect_navigation():
        header.locator("a").click()
    header = page.locator("th", has_text="Indirizzo")
    assert header.get_attribute("aria-sort") == "ascending"
    assert "▲" in header.inner_text()
    with page.expect_navigation():
        header.locator("a").click()
    header = page.locator("th", has_text="Indirizzo")
    assert header.get_attribute("aria-sort") == "descending"
    assert "▼" in header.inner_text()
    assert page.locator("th", has_text="Stato").get_attribute("aria-sort") == "none"


PHONE_PAGES = ["/", "/caselle/", "/titolari/", "/caselle/scadenze/", "/comunica/"]


def test_a_phone_never_scrolls_sideways(browser, live_server, login, office_user, boxes, axe):
    context = browser.new_context(
        viewport=PHONE, base_url=live_server.url, locale="it-IT", is_mobile=True, has_touch=True
    )
    from tests.plugins.browser import AXE_HOOK, AXE_JS, axe_check_now

    context.expose_binding("__axeReport", axe.report)
    context.add_init_script(path=str(AXE_JS))
    context.add_init_script(script=AXE_HOOK)
    page = context.new_page()
    try:
        page.goto("/account/login/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        login(page, office_user)
        from mailboxes.models import Casella

        detail = Casella.objects.get(casella_pec__startswith="amministrazione").pk
        for url in [*PHONE_PAGES, f"/caselle/{detail}/"]:
            page.goto(url)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{url} is {width} px wide at 390 px"
            axe_check_now(page)

        # The menu folds behind a button that opens it.
        page.goto("/caselle/")
        assert not page.get_by_role("link", name="Titolari").is_visible()
        toggle = page.get_by_role("button", name="Menu")
        assert toggle.get_attribute("aria-expanded") == "false"
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "true"
        assert page.get_by_role("link", name="Titolari").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        with page.expect_navigation():
            page.get_by_role("link", name="Titolari").click()
        assert "/titolari/" in page.url

        # The boxes table scrolls inside its own box, reachable with the keyboard.
        page.goto("/caselle/")
        box = page.locator(".table-scroll").first
        assert box.evaluate("b => b.scrollWidth > b.clientWidth")
        assert box.get_attribute("tabindex") == "0"
        assert box.get_attribute("role") == "region"
    finally:
        axe_check_now(page)
        context.close()
