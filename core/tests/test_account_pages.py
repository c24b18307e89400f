"""The account pages (allauth: sign-up, sign-in, password reset, e-mail addresses, two-factor) in the site's look,
from a 320 px phone up, in English and German: labels above full-width fields, errors next to their field."""

from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIGNED_OUT_PAGES = ["/accounts/signup/", "/accounts/login/", "/accounts/password/reset/"]
SIGNED_IN_PAGES = ["/accounts/email/", "/accounts/password/change/", "/accounts/2fa/", "/accounts/2fa/totp/activate/"]

# Each visible form control: its box, its label's box, and whether it sits in a styled field.
FIELDS = """() => [...document.querySelectorAll('main form :is(input:not([type=hidden]), textarea, select)')]
  .filter(input => input.offsetParent !== null)
  .map(input => {
    const label = input.id ? document.querySelector(`label[for="${input.id}"]`) : null;
    const box = input.getBoundingClientRect();
    return {name: input.name || input.id, type: input.type, left: box.left, right: box.right, top: box.top,
            labelBottom: label ? label.getBoundingClientRect().bottom : null,
            styled: !!input.closest('.account-form .field')};
  })"""


def fits(page: Any) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def check_fields(page: Any, url: str, width: int) -> list[str]:
    problems = []
    if not fits(page):
        problems.append(f"{url} scrolls sideways at {width} px")
    for field in page.evaluate(FIELDS):
        where = f"{url} at {width} px: field {field['name']}"
        if field["left"] < 0 or field["right"] > width:
            problems.append(f"{where} is cut off ({field['left']:.0f}..{field['right']:.0f})")
        if not field["styled"]:
            problems.append(f"{where} is not in a styled field")
        if field["type"] not in ("checkbox", "radio") and (
            field["labelBottom"] is None or field["labelBottom"] > field["top"] + 1
        ):
            problems.append(f"{where} has no label above it")
    return problems


@pytest.mark.parametrize("language", ["en-GB", "de-DE"])
def test_signed_out_account_pages_fit_a_phone_with_labels_above_full_width_fields(
    chromium: Any, live_server: Any, settings: Any, language: str
) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    context = chromium.new_context(base_url=live_server.url, locale=language)
    page = context.new_page()
    problems = []
    for width in (320, 390, 1366):
        page.set_viewport_size({"width": width, "height": 800})
        for url in SIGNED_OUT_PAGES:
            page.goto(url)
            assert page.locator("link[href$='css/account.css']").count() == 1
            assert page.locator("main form.account-form button.button[type=submit]").count() >= 1
            problems += check_fields(page, url, width)
    context.close()
    assert not problems, "\n".join(problems)


def test_sign_up_errors_stand_next_to_their_field_and_are_announced(page: Any) -> None:
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto("/accounts/signup/")
    page.fill("input[name=email]", "not-an-address")
    page.fill("input[name=password1]", "a-Long-and-unusual-pw-2026")
    page.fill("input[name=password2]", "something-else-entirely-2026")
    page.evaluate("() => document.querySelector('main form.account-form').noValidate = true")
    page.click("main form.account-form button[type=submit]")
    page.wait_for_selector(".field.has-error")

    email = page.locator("input[name=email]")
    assert email.get_attribute("aria-invalid") == "true"
    described_by = email.get_attribute("aria-describedby") or ""
    error_id = f"{email.get_attribute('id')}_error"
    assert error_id in described_by.split()
    error = page.locator(f"#{error_id}")
    assert error.inner_text().strip()
    # The message is inside the field's own box, right above its input.
    assert page.locator(".field.has-error", has=email).locator(f"#{error_id}").count() == 1
    assert error.bounding_box()["y"] < email.bounding_box()["y"]
    assert fits(page)


def test_signed_in_account_and_two_factor_pages_fit_a_phone(signed_in_page: Any, password: str) -> None:
    page = signed_in_page
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto("/accounts/2fa/totp/activate/")
    assert "reauthenticate" in page.url  # activating asks for the password again first
    problems = check_fields(page, page.url, 320)
    page.fill("input[name=password]", password)
    page.click("main form.account-form button[type=submit]")
    page.wait_for_selector("img.account-qr")  # the QR code, within the phone's width
    assert page.locator("img.account-qr").bounding_box()["width"] <= 320
    for width in (320, 1366):
        page.set_viewport_size({"width": width, "height": 800})
        for url in SIGNED_IN_PAGES:
            page.goto(url)
            assert page.locator("link[href$='css/account.css']").count() == 1, url
            problems += check_fields(page, url, width)
    assert not problems, "\n".join(problems)


def test_the_brief_forms_checkboxes_sit_at_the_start_of_their_row_not_centred(signed_in_page: Any) -> None:
    page = signed_in_page
    page.set_viewport_size({"width": 1366, "height": 800})
    page.goto("/challenges/new/")
    boxes = page.evaluate(
        """() => [...document.querySelectorAll('form.form input[type=checkbox]')].map(box => [
             box.name, box.getBoundingClientRect().left, box.parentElement.getBoundingClientRect().left,
             box.getBoundingClientRect().width])"""
    )
    assert {name for name, *_ in boxes} >= {"sealed_entries", "invite_only"}
    for name, box_left, row_left, box_width in boxes:
        assert abs(box_left - row_left) <= 4, name
        assert box_width < 40, name
