"""Every main page fits the window from a 320 px phone to a 1366 px laptop, signed in and out, in English
and German: nothing makes the page scroll sideways (wide tables scroll inside their own box), and on a
laptop the signed-in top menu stays on one line. One browser tab per language; each page is loaded once
and measured at every width."""

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.main_pages import LANGUAGES, OVERFLOWING_ELEMENTS, SIGNED_OUT, WIDTHS, build_site, visits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEIGHT = 800
# Set to a directory to keep a full-page screenshot of every page at 390 and 1366 px (for looking at them).
SCREENSHOTS = os.environ.get("COACHWORKS_SCREENSHOTS_DIR", "")


@pytest.fixture
def served(settings: Any, live_server: Any) -> str:
    """The live server's address; it serves static files by their plain names (see conftest `page`)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    return live_server.url


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_main_page_scrolls_sideways_at_any_width(chromium, served, language):
    site = build_site()
    too_wide = []
    measured = 0
    for page, role, main_page, url in visits(chromium, served, site, language):
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": HEIGHT})
            scroll_width, inner_width = page.evaluate(
                "() => [document.documentElement.scrollWidth, window.innerWidth]"
            )
            measured += 1
            if SCREENSHOTS and width in (390, 1366):
                name = re.sub(r"[^a-z0-9]+", "-", f"{main_page.name}-{role}-{language}-{width}".lower())
                page.screenshot(path=Path(SCREENSHOTS) / f"{name}.png", full_page=True)
            if scroll_width > inner_width:
                culprits = ", ".join(page.evaluate(OVERFLOWING_ELEMENTS))
                too_wide.append(f"{main_page.name} ({url}) as {role} at {width} px: {scroll_width} px wide; {culprits}")
    assert measured > 100
    assert not too_wide, "\n".join(too_wide)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_signed_in_menu_stays_on_one_line_on_a_laptop(chromium, served, language):
    site = build_site()
    lines = {}
    for page, role, main_page, _url in visits(chromium, served, site, language):
        if main_page.name != "home" or role == SIGNED_OUT:
            continue
        page.set_viewport_size({"width": 1366, "height": HEIGHT})
        tops = page.evaluate(
            """() => [...document.querySelectorAll('.nav-links a, .nav-account a, .nav-account button, .nav-account select')]
                     .map(element => Math.round(element.getBoundingClientRect().top + element.getBoundingClientRect().height / 2))"""
        )
        lines[role] = max(tops) - min(tops)
    assert lines and all(spread <= 8 for spread in lines.values()), lines


def test_the_menu_folds_behind_a_button_on_a_phone_and_opens_without_javascript(chromium, served):
    build_site()
    context = chromium.new_context(base_url=served, java_script_enabled=False, viewport={"width": 390, "height": 800})
    page = context.new_page()
    try:
        page.goto("/")
        assert not page.locator(".nav-links").is_visible()
        page.click("[data-testid=menu-button]")
        assert page.locator(".nav-links").is_visible()
        assert page.get_by_role("link", name="Blueprints").first.is_visible()
        page.set_viewport_size({"width": 1366, "height": 800})
        assert not page.locator("[data-testid=menu-button]").is_visible()
        page.reload()
        assert page.locator(".nav-links").is_visible()
    finally:
        context.close()
