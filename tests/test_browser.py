"""The home page and sign-in in a real headless Chromium."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_says_what_coachworks_is_and_switches_to_german(page):
    page.goto("/")
    assert "Commission a vehicle from the crowd" in page.inner_text("h1")

    page.select_option("#language", "de")
    # The switch posts the form and reloads the same URL: wait for the German page itself.
    page.wait_for_selector("html[lang=de]")

    assert "Gib ein Fahrzeug bei der Crowd in Auftrag" in page.inner_text("h1")


def test_member_signs_in_and_sees_their_name(signed_in_page, member):
    assert signed_in_page.inner_text("[data-testid=signed-in-as]") == member.public_name
