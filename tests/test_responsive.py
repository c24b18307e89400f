"""Every main page fits the window from a 320 px phone to a 1366 px laptop, signed in and out, in English
and German: nothing makes the page scroll sideways (wide tables scroll inside their own box), and on a
laptop the signed-in top menu stays on one line. One browser tab per language; each page is loaded once
and measured at every width."""

import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.main_pages import LANGUAGES, MEMBER, OVERFLOWING_ELEMENTS, WIDTHS, build_site, session_cookie, visits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEIGHT = 800
# Set to a directory to keep a full-page screenshot of every page at 390 and 1366 px (for looking at them).
SCREENSHOTS = os.environ.get("COACHWORKS_SCREENSHOTS_DIR", "")


# The vertical middle of every item of the top menu: all about equal when they sit on one line.
MENU_ITEM_MIDDLES = """() => [...document.querySelectorAll(
  '.nav-links a, .nav-account a, .nav-account button, .nav-account select'
)].map(element => { const box = element.getBoundingClientRect(); return Math.round(box.top + box.height / 2); })"""


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
            scroll_width, inner_width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            measured += 1
            if SCREENSHOTS and width in (390, 1366):
                name = re.sub(r"[^a-z0-9]+", "-", f"{main_page.name}-{role}-{language}-{width}".lower())
                page.screenshot(path=Path(SCREENSHOTS) / f"{name}.png", full_page=True)
            if scroll_width > inner_width:
                culprits = ", ".join(page.evaluate(OVERFLOWING_ELEMENTS))
                too_wide.append(f"{main_page.name} ({url}) as {role} at {width} px: {scroll_width} px wide; {culprits}")
    assert measured > 100
    assert not too_wide, "\n".join(too_wide)


def test_the_signed_in_menu_stays_on_one_line_on_a_laptop_in_both_languages(chromium, served):
    from community.demo import demo_user

    site = build_site()
    spreads = {}
    # A member with unread notifications, and a staff member, whose menu has one link more.
    for who, user in (("member", site.users[MEMBER]), ("staff", demo_user("staff"))):
        for language in LANGUAGES:
            context = chromium.new_context(base_url=served, viewport={"width": 1366, "height": HEIGHT})
            language_cookie = {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": served}
            context.add_cookies([session_cookie(served, user), language_cookie])
            page = context.new_page()
            page.goto("/")
            assert page.get_attribute("html", "lang") == language
            middles = page.evaluate(MENU_ITEM_MIDDLES)
            spreads[f"{who}, {language}"] = max(middles) - min(middles)
            context.close()
    assert len(spreads) == 4
    assert all(spread <= 8 for spread in spreads.values()), spreads


def test_the_menu_folds_behind_a_button_on_a_phone_and_opens_without_javascript(chromium, served):
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
