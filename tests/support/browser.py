"""Chromium (Debian's, driven by Playwright) and one running system, shared by every browser test: starting the
whole system costs seconds, so the browser modules share one, each on courses of its own (see `system`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.environment import IN_CI
from tests.support.servers import running_system

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium hangs on a closed network.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 20_000
# The browser's language, as a reader's in Leiden or in Tomsk.
BROWSER_LOCALES = {"en": "en-GB", "ru": "ru-RU"}


class Browsers:
    """One Chromium per language: Chromium writes the dates of its date and time pickers in the language
    it was started in (LANG; with Debian's chromium-l10n, else always as en-US), whatever the page's."""

    def __init__(self, playwright):
        self.by_language = {}
        for language, locale in BROWSER_LOCALES.items():
            posix = f"{locale.replace('-', '_')}.UTF-8"
            self.by_language[language] = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, env={**os.environ, "LANG": posix, "LC_ALL": posix})

    def new_context(self, *, language: str = "en", **options):
        return self.by_language[language].new_context(locale=BROWSER_LOCALES[language], **options)

    def close(self) -> None:
        for browser in self.by_language.values():
            browser.close()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install chromium (Playwright's own browser is never downloaded)"
        if IN_CI:
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)  # the machine may be busy; a slow answer is not a wrong one
    with sync_playwright() as playwright:
        browsers = Browsers(playwright)
        yield browsers
        browsers.close()


@pytest.fixture(scope="session")
def system(tmp_path_factory):
    """The whole system on the embedded default, started by the launcher once for every browser test; yields
    each part's URL. The tests share its demo catalogue, so each changes a course no other one uses."""
    with running_system(tmp_path_factory.mktemp("system")) as system:
        yield system


@pytest.fixture(scope="session")
def front_end(system):
    return system["web"]


def signed_in(browser, front_end: str, person: str, viewport=DESKTOP, locale: str | None = None):
    """A fresh browser context (its own cookies) signed in as a demo person, reading `locale` if given
    (else their token's language); return its page."""
    from playwright.sync_api import expect

    reads = locale or ("ru" if person.startswith("ssmu-") else "en")
    context = browser.new_context(base_url=front_end, viewport=viewport, language=reads)
    context.set_default_timeout(TIMEOUT_MS)
    if locale:
        read_in(context, front_end, locale)
    page = context.new_page()
    page.goto("/signin")
    page.locator(f"button[name=person][value={person}]").click()
    expect(page.locator(".flash-success")).to_be_visible()
    return page


def read_in(context, front_end: str, locale: str) -> None:
    """Choose the language of every page of a browser context, as the language switch does."""
    context.add_cookies([{"name": "locale", "value": locale, "url": front_end}])



def serious_violations(page) -> list[str]:
    """What axe-core (injected by axe-playwright-python) finds on the page at serious or critical impact."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{page.url}: {violation['id']} ({violation['impact']}): {violation['help']} "
            f"{[node['target'] for node in violation['nodes']][:3]}"
            for violation in results.response["violations"] if violation["impact"] in ("serious", "critical")]
