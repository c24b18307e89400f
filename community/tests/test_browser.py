"""Done means: two members in different countries and languages see the same challenge in their own
language and time zone, discuss it, get notified in the app and by e-mail, and appear on the leaderboard."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from community.models import Notification, NotificationKind, ReputationReason
from community.services import notification_email_send, reputation_grant
from community.tests.factories import PASSWORD
from conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def verified(*members):
    for member in members:
        EmailAddress.objects.create(user=member, email=member.email, verified=True, primary=True)


def test_two_members_discuss_a_challenge_in_their_languages_and_time_zones(
    page, chromium, live_server, ada, jonas, challenge, no_broker
):
    verified(ada, jonas)
    url = challenge.get_absolute_url()

    # Jonas (Germany) reads the challenge in German, in Berlin time, and mentions Ada.
    sign_in(page, jonas.email, PASSWORD)
    page.goto(url)
    assert page.locator("html").get_attribute("lang") == "de"
    assert "Phasen" in page.inner_text("main")
    assert "Europe/Berlin" in page.inner_text("[data-testid=time-zone]")
    page.click("[data-testid=follow]")
    page.wait_for_selector("[data-testid=unfollow]")
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
    assert "Phases" in ada_page.inner_text("main")
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
    assert "hat auf Ihren Kommentar" in page.inner_text("[data-testid=notifications]")

    # Both were e-mailed once (the worker's job, done here), each in their own language.
    for notification_id in no_broker:
        notification_email_send(notification_id=notification_id)
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == {ada.email, jonas.email}
    assert "mentioned you" in by_recipient[ada.email].subject
    assert "geantwortet" in by_recipient[jonas.email].subject
    assert Notification.objects.filter(kind=NotificationKind.MENTION).count() == 1

    # Points granted by the apps where things happen put both on the leaderboard.
    reputation_grant(user_id=ada.pk, reason=ReputationReason.ENTRY, source_key="entry:demo-1")
    reputation_grant(user_id=jonas.pk, reason=ReputationReason.VOTE, source_key="vote:demo-1")
    page.goto("/members/leaderboard/")
    board = page.inner_text("[data-testid=leaderboard]")
    assert board.index("Ada Okafor") < board.index("Jonas Berg")
