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
            problems += [
                f"{main_page.name} ({url}) as {role} at {width} px: {v}" for v in blocking_violations(axe, page)
            ]
    assert checked > 50
    assert not problems, "\n".join(problems)


def test_the_keyboard_reaches_the_menu_and_the_content_and_its_focus_is_always_visible(chromium, served):
    context = chromium.new_context(base_url=served, viewport={"width": 1366, "height": 800})
    page = context.new_page()
    try:
        page.goto("/")
        page.keyboard.press("Tab")
        focused = page.locator(":focus")
        expect(focused).to_have_text("Skip to the content")
        assert focused.is_visible()
        stops = []
        for _ in range(5):
            page.keyboard.press("Tab")
            outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
            assert outline not in ("", "none"), page.evaluate("() => document.activeElement.outerHTML")
            stops.append(page.evaluate("() => document.activeElement.textContent.trim()"))
        # On a laptop the menu shows without its button, and its links are in the tab order.
        assert stops[:3] == ["Coachworks", "Challenges", "Blueprints"]

        page.goto("/")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")  # the skip link
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")
    finally:
        context.close()


def test_form_errors_are_summarised_announced_and_tied_to_their_fields(chromium, served, member):
    context = chromium.new_context(base_url=served, viewport={"width": 390, "height": 800})
    context.add_cookies([session_cookie(served, member)])
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


def tab_to(page: Any, selector: str, *, limit: int = 120) -> None:
    """Press Tab until the element matching `selector` has the focus (as a keyboard user moves through a page)."""
    target = page.locator(selector).first
    for _ in range(limit):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never got the focus by Tab")


def keyboard_tab(chromium: Any, base_url: str, user: Any) -> Any:
    context = chromium.new_context(base_url=base_url, viewport={"width": 1366, "height": 900})
    context.add_cookies([session_cookie(base_url, user)])
    page = context.new_page()
    page.set_default_timeout(20_000)
    return page


@pytest.mark.worker
def test_upload_enter_and_score_with_the_keyboard_alone(chromium, served, celery_worker_process):
    from blueprints import storage
    from blueprints.tests import samples
    from challenges.models import PhaseStatus
    from submissions.models import Entry, EntryStatus, Score
    from submissions.tests.factories import open_phase, to_judging
    from tests.support import UserFactory

    storage.upload_cors_ensure(origins=[served])
    owner = UserFactory.create(email="client@example.com", display_name="Alpine Logistics")
    staff = UserFactory.create(email="staff@example.com", is_staff=True)
    judge = UserFactory.create(email="judge@example.com", display_name="Mira")
    ada = UserFactory.create(email="ada@example.com", display_name="Ada")
    phase = open_phase(owner, staff, judges=[judge], title="Keyboard van")

    # Ada shares a new blueprint, adds a file and publishes it: Tab, typing, Space and Enter only.
    page = keyboard_tab(chromium, served, ada)
    page.goto("/blueprints/new/")
    tab_to(page, "#id_title")
    page.keyboard.type("Keyboard courier")
    tab_to(page, "form.form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/r/1/upload/")
    tab_to(page, "[data-testid=file-input]")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(files=[{"name": "side.png", "mimeType": "image/png", "buffer": samples.png()}])
    expect(page.locator("[data-testid=upload-status]")).to_have_text("Ready", timeout=90_000)
    page.reload()
    tab_to(page, "[data-testid=publish]")
    page.keyboard.press("Enter")
    expect(page.locator("[data-testid=blueprint-title]")).to_have_text("Keyboard courier")

    # ... enters the open phase with it from the challenge page ...
    page.goto(phase.challenge.get_absolute_url())
    tab_to(page, "[data-testid=enter-phase]")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/entries/phases/{phase.pk}/enter/")
    radio = page.get_by_label("Keyboard courier · r1")
    tab_to(page, "input[type=radio]")
    while not radio.evaluate("element => element === document.activeElement"):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    expect(radio).to_be_checked()
    tab_to(page, "#id_title")
    page.keyboard.type("Keyboard courier")
    tab_to(page, "#id_statement")
    page.keyboard.type("Entered without a mouse.")
    tab_to(page, "button[name=submit_entry]")
    page.keyboard.press("Enter")
    expect(page.locator("[data-testid=entry-status]")).to_have_text("Submitted")
    entry = Entry.objects.get(title="Keyboard courier")
    assert entry.status == EntryStatus.SUBMITTED
    page.context.close()

    # ... and the judge scores it from the judging queue.
    phase = to_judging(phase)
    assert phase.status == PhaseStatus.JUDGING
    page = keyboard_tab(chromium, served, judge)
    page.goto(f"/entries/phases/{phase.pk}/judging/")
    tab_to(page, "[data-testid=queue] a")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/entries/{entry.pk}/score/")
    for criterion, value in zip(phase.criteria.order_by("-weight", "name"), ("8", "6"), strict=True):
        tab_to(page, f"#id_score_{criterion.pk}")
        page.keyboard.type(value)
    tab_to(page, "button[name=save_scores]")
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("are saved")
    assert sorted(Score.objects.filter(entry=entry, judge=judge).values_list("value", flat=True)) == [6, 8]
    page.context.close()
