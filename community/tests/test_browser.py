"""Done means: two members in different countries and languages see the same challenge in their own
language and time zone, discuss an entry, get notified in the app and by e-mail, and appear on the
leaderboard (through the reputation their entries and a vote earn)."""

import pytest
from django.core import mail

from community.models import Notification
from community.services import notification_email_send
from conftest import sign_in
from submissions.tests.factories import enter, open_phase
from tests.accounts import confirm_account
from tests.support import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def verified(*members):
    for member in members:
        confirm_account(member)


@pytest.fixture
def phase_with_entries(client_member, staff, ada, jonas, monkeypatch):
    """An open phase whose entries are public (not sealed); Ada and Jonas have each entered."""
    from challenges import tasks

    monkeypatch.setattr(tasks.phase_advance, "apply_async", lambda *a, **k: None)
    phase = open_phase(client_member, staff, sealed=False, title="Alpine ambulance")
    return phase, enter(phase, ada, title="Ada's ambulance"), enter(phase, jonas, title="Jonas's ambulance")


def test_two_members_discuss_an_entry_in_their_languages_and_time_zones(
    page, chromium, live_server, ada, jonas, phase_with_entries, no_broker
):
    verified(ada, jonas)
    phase, adas_entry, _jonas_entry = phase_with_entries
    url = adas_entry.get_absolute_url()

    # Jonas (Germany) reads the challenge in German, in Berlin time, with the deadline named.
    sign_in(page, jonas.email, PASSWORD)
    page.goto(phase.challenge.get_absolute_url())
    assert page.locator("html").get_attribute("lang") == "de"
    assert "Phasen" in page.inner_text("main")
    assert "Europe/Berlin" in page.inner_text("[data-testid=time-zone]")
    assert "in 6 Tagen" in page.inner_text("[data-testid=deadline]")
    page.click("[data-testid=follow]")
    page.wait_for_selector("[data-testid=unfollow]")

    # On Ada's entry he votes for it and mentions her.
    page.goto(url)
    page.click("form[action$='/vote/'] button")
    page.wait_for_selector("[data-testid=votes]:has-text('1')")
    page.fill("[data-testid=comment-form] textarea", "Wie schwer darf der **Rahmen** sein, @AdaOkafor?")
    page.click("[data-testid=comment-form] button[type=submit]")
    page.wait_for_selector("[data-testid=comment] strong:has-text('Rahmen')")

    # Ada (Nigeria) sees the same challenge in English, in Lagos time, with one unread notification.
    ada_context = chromium.new_context(base_url=live_server.url, locale="en-GB")
    ada_page = ada_context.new_page()
    ada_page.set_default_timeout(15_000)
    sign_in(ada_page, ada.email, PASSWORD)
    assert ada_page.inner_text("[data-testid=unread-count]") == "1"
    ada_page.click("[data-testid=notification-link]")
    ada_page.click("[data-testid=notification] button:has-text('Jonas Berg mentioned you')")
    ada_page.wait_for_url(f"**{url}#comment-*")
    assert "Ada's ambulance" in ada_page.inner_text("main")
    assert "Africa/Lagos" in ada_page.inner_text("[data-testid=time-zone]")
    assert "WAT" in ada_page.inner_text("[data-testid=comment] time")
    ada_page.click("[data-testid=comment] summary:has-text('Reply')")
    ada_page.fill("[data-testid=comment] textarea[name=body]", "At most 180 kg.")
    ada_page.click("[data-testid=comment] button:has-text('Post reply')")
    ada_page.wait_for_selector(".replies [data-testid=comment]:has-text('At most 180 kg.')")
    ada_context.close()

    # Jonas is told of the reply, in German.
    page.goto("/members/notifications/")
    assert page.inner_text("[data-testid=unread-count]") == "1"
    assert "hat auf deinen Kommentar" in page.inner_text("[data-testid=notifications]")

    # Both were e-mailed once (the worker's job, done here), each in their own language.
    for notification_id in no_broker:
        notification_email_send(notification_id=notification_id)
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == {ada.email, jonas.email}
    assert "mentioned you" in by_recipient[ada.email].subject
    assert "geantwortet" in by_recipient[jonas.email].subject
    assert Notification.objects.filter(kind="mention").count() == 1

    # Their entries earned both points, and Jonas's vote earned Ada more: both on the leaderboard.
    page.goto("/members/leaderboard/")
    board = page.inner_text("[data-testid=leaderboard]")
    assert board.index("Ada Okafor") < board.index("Jonas Berg")
