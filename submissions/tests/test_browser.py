"""Done means: in a real headless Chromium, a member uploads a design (straight to S3, checked by a
real Celery worker), enters the concept phase with it; two judges score; the owner awards first
and second prize; the winners and the lineage split appear on the phase page."""

from typing import Any

import pytest
from playwright.sync_api import expect

from blueprints import services as blueprint_services
from blueprints import storage
from blueprints.tests import samples
from conftest import sign_in
from submissions.models import Award, Entry, EntryStatus
from submissions.tests.factories import enter, fork_of, open_phase, published_blueprint
from tests.accounts import confirm_account
from tests.support import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def verified(**fields: Any) -> Any:
    user = UserFactory.create(**fields)
    return confirm_account(user)


def as_user(page: Any, user: Any) -> None:
    page.context.clear_cookies()
    sign_in(page, user.email, PASSWORD)


def score_every_entry(page: Any, phase: Any, values: dict[str, list[str]]) -> None:
    page.goto(f"/entries/phases/{phase.pk}/judging/")
    criteria = list(phase.criteria.order_by("-weight", "name"))
    for title, scores in values.items():
        page.goto(f"/entries/phases/{phase.pk}/judging/")
        page.locator("[data-testid=queue]").get_by_text(title).click()
        for criterion, value in zip(criteria, scores, strict=True):
            page.fill(f"#id_score_{criterion.pk}", value)
        page.click("button[name=save_scores]")
        expect(page.locator(".messages")).to_contain_text("are saved")


def test_a_member_enters_two_judges_score_the_owner_awards_and_the_phase_shows_winners_and_lineage(
    page, live_server, celery_worker_process
):
    owner = verified(email="client@example.com", display_name="Alpine Logistics")
    staff = UserFactory.create(email="staff@example.com", is_staff=True)
    judges = [verified(email=f"judge{n}@example.com", display_name=f"Judge {n}") for n in (1, 2)]
    ada = verified(email="ada@example.com", display_name="Ada")
    jonas = UserFactory.create(email="jonas@example.com", display_name="Jonas")
    phase = open_phase(owner, staff, judges=judges, lineage_percent=20, title="Alpine delivery van")
    # Jonas develops a design of Ada's further and enters it: its prize credits Ada (generation 1).
    original = published_blueprint(ada, "Ada's first sketch")
    enter(phase, jonas, blueprint=fork_of(original, jonas, "Jonas's snow van"), title="Snow van")

    # Ada uploads a new design in the browser and publishes it.
    storage.upload_cors_ensure(origins=[live_server.url])
    blueprint = blueprint_services.blueprint_create(owner=ada, title="Mountain courier", category="whole_vehicle")
    as_user(page, ada)
    page.goto(f"/blueprints/{blueprint.slug}/r/1/upload/")
    page.set_input_files(
        "[data-testid=file-input]", files=[{"name": "side.png", "mimeType": "image/png", "buffer": samples.png()}]
    )
    expect(page.locator("[data-testid=upload-status]")).to_have_text("Ready", timeout=90_000)
    page.reload()
    page.click("[data-testid=publish]")
    expect(page.locator("[data-testid=blueprint-title]")).to_have_text("Mountain courier")

    # ... and enters the concept phase with it from the challenge page.
    page.goto(phase.challenge.get_absolute_url())
    page.click("[data-testid=enter-phase]")
    page.get_by_label("Mountain courier · r1").check()
    page.fill("#id_title", "Mountain courier")
    page.fill("#id_statement", "Short overhangs, chilled box over the rear axle.")
    page.click("button[name=submit_entry]")
    expect(page.locator("[data-testid=entry-status]")).to_have_text("Submitted")
    courier = Entry.objects.get(title="Mountain courier")
    assert courier.status == EntryStatus.SUBMITTED

    # The owner closes the entry period; both judges score every entry.
    as_user(page, owner)
    page.goto(phase.challenge.get_absolute_url())
    page.click(f"#phase-{phase.pk} ~ .actions button:has-text('Judging')")
    expect(page.locator(".messages")).to_contain_text("moved")
    as_user(page, judges[0])
    score_every_entry(page, phase, {"Mountain courier": ["9", "8"], "Snow van": ["7", "7"]})
    as_user(page, judges[1])
    score_every_entry(page, phase, {"Mountain courier": ["8", "9"], "Snow van": ["8", "6"]})
    expect(page.locator("[data-testid=progress]")).to_contain_text("Judge 2")

    # The owner awards first and second prize as the ranking suggests.
    as_user(page, owner)
    page.goto(f"/entries/phases/{phase.pk}/judging/")
    page.click("[data-testid=award-link]")
    page.select_option("select[name=rank_1]", label="Mountain courier")
    page.select_option("select[name=rank_2]", label="Snow van")
    page.select_option("select[name=rank_3]", value="")
    page.click("[data-testid=award-form] button[type=submit]")
    # The confirmation shows who receives what of each prize, and that it is final; nothing is awarded yet.
    confirmation = page.locator("[data-testid=award-confirmation]")
    expect(confirmation).to_contain_text("Awarding is final.")
    expect(page.locator("[data-testid=preview-prize-2]")).to_contain_text("Lineage credit")
    expect(page.locator("[data-testid=preview-prize-2]")).to_contain_text("300.00")
    assert not Award.objects.exists()
    page.click("[data-testid=award-confirm-form] button[name=confirm]")
    expect(page.locator(".messages")).to_contain_text("are awarded")

    winners = page.locator(f"#phase-{phase.pk} [data-testid=winners]")
    expect(winners).to_contain_text("Mountain courier")
    expect(winners).to_contain_text("Snow van")
    # Snow van's 1,500 prize: 80 % to Jonas, 20 % lineage credit to Ada for the sketch it was forked from.
    splits = page.locator(f"#phase-{phase.pk} [data-testid=split]")
    expect(splits.nth(0)).to_contain_text("Ada")
    expect(splits.nth(1)).to_contain_text("Jonas")
    expect(splits.nth(1)).to_contain_text("1,200.00")
    expect(splits.nth(1)).to_contain_text("Lineage credit")
    expect(splits.nth(1)).to_contain_text("300.00")
    assert [(a.rank, a.entry.title) for a in Award.objects.order_by("rank")] == [
        (1, "Mountain courier"),
        (2, "Snow van"),
    ]
