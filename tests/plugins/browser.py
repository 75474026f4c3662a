"""Headless Chromium (Debian's package) driven by Playwright, for the end-to-end tier.

Every page a browser test opens is checked by axe-core (vendored in tests/plugins/axe/, never
loaded from a CDN): after each page load, after each htmx swap and once more at the end of the
test; a serious or critical finding fails the test at teardown, naming the page and the rule.
"""

import contextlib
import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Playwright's sync API runs an event loop in the test thread; the tests' own ORM calls are
# still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

AXE_JS = Path(__file__).with_name("axe") / "axe.min.js"
# AXE_STRICT=1 makes the moderate and minor findings fail too (heading order, empty headers...).
AXE_BLOCKING = (
    ("minor", "moderate", "serious", "critical")
    if os.environ.get("AXE_STRICT")
    else ("serious", "critical")
)
# Runs in every document (before the page's own scripts): axe on load and after each htmx
# swap, one run at a time, the findings handed to the test through window.__axeReport.
AXE_HOOK = """
(() => {
  if (window.top !== window) return;
  let running = null, again = false;
  const run = () => {
    if (running) { again = true; return running; }
    running = window.axe.run(document, {resultTypes: ["violations"]}).then((r) => {
      const found = r.violations
        .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                      targets: v.nodes.slice(0, 5).map((n) => n.target.join(" "))}));
      return window.__axeReport && window.__axeReport(location.pathname + location.search, found);
    }).catch(() => null).finally(() => {
      running = null;
      if (again) { again = false; run(); }
    });
    return running;
  };
  window.__axeRun = run;
  window.addEventListener("load", () => run());
  document.addEventListener("htmx:afterSettle", () => run());
})();
"""


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class AxeFindings:
    """Serious and critical axe-core findings, by page, gathered during one test."""

    def __init__(self):
        self.pages: set[str] = set()
        self.findings: dict[tuple[str, str], dict] = {}

    def report(self, source, url, found):
        self.pages.add(url)
        for item in found:
            if item["impact"] in AXE_BLOCKING:
                self.findings.setdefault((url, item["id"]), item)

    def summary(self) -> str:
        return "\n".join(
            f"  {url}: {item['impact']} {rule} ({item['help']}): {', '.join(item['targets'])}"
            for (url, rule), item in sorted(self.findings.items())
        )


def axe_check_now(page):
    """Run axe on the page as it is now (the hook reports the findings)."""
    with contextlib.suppress(Exception):
        page.evaluate("() => window.__axeRun && window.__axeRun()")


@pytest.fixture
def axe():
    return AxeFindings()


@pytest.fixture
def page(browser, live_server, axe):
    context = browser.new_context(
        locale="it-IT",
        base_url=live_server.url,
        extra_http_headers={"Accept-Language": "it-IT,it;q=0.9"},
    )
    context.set_default_timeout(15_000)
    context.expose_binding("__axeReport", axe.report)
    context.add_init_script(path=str(AXE_JS))
    context.add_init_script(script=AXE_HOOK)
    page = context.new_page()
    yield page
    for open_page in context.pages:
        axe_check_now(open_page)
    context.close()
    assert not axe.findings, "axe-core: serious or critical findings\n" + axe.summary()


@pytest.fixture
def login(live_server):
    """Log a user into a Playwright page through the real login form."""

    def do_login(page, user, password="correct-horse-battery"):
        page.goto("/account/login/")
        page.fill("input[name=username]", user.get_username())
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.click("main button[type=submit]")
        return page

    return do_login
