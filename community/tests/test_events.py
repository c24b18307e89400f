"""The hooks in challenges/ and blueprints/ turn their events into notifications and reputation."""

from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from blueprints import services as blueprint_services
from blueprints.tests import samples
from blueprints.tests.conftest import draft_of, upload_file
from challenges.community_events import phases_closing_soon_notify
from challenges.models import Phase, PhaseStatus
from challenges.services import judge_invite, phase_transition
from challenges.tests.factories import add_phase, make_challenge, publish
from community.models import Notification, ReputationEntry
from community.services import follow_create
from core.actors import Actor

LABEL = "challenges.challenge"


def kinds_of(user):
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_followers_hear_when_a_challenge_is_published_and_a_phase_opens_once(
    ada, jonas, client_member, staff, monkeypatch, django_capture_on_commit_callbacks
):
    from challenges import tasks

    monkeypatch.setattr(tasks.phase_advance, "apply_async", lambda *a, **k: None)
    challenge = make_challenge(client_member, title="Snow plough")
    phase = add_phase(challenge)
    with pytest.raises(Http404):  # the owner's draft: Ada cannot see it, so cannot follow it yet
        follow_create(user=ada, label=LABEL, object_id=challenge.pk)
    follow_create(user=jonas, label="community.user", object_id=client_member.pk)
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        publish(challenge, staff=staff)
    assert kinds_of(jonas) == ["challenge_published"]
    follow_create(user=ada, label=LABEL, object_id=challenge.pk)
    with django_capture_on_commit_callbacks(execute=True):
        phase_transition(phase=phase, to=PhaseStatus.OPEN, actor=Actor.user(staff))
    with django_capture_on_commit_callbacks(execute=True):
        phase_transition(phase=phase, to=PhaseStatus.OPEN, actor=Actor.user(staff))  # announced again: nothing new
    opened = Notification.objects.get(recipient=ada, kind="phase_opened")
    assert opened.event_key.startswith("phase-opened:")
    assert opened.context["phase"] == phase.title


def test_closing_in_24_hours_is_told_once_per_phase_and_deadline(ada, challenge, staff):
    follow_create(user=ada, label=LABEL, object_id=challenge.pk)
    phase = challenge.phases.get()
    now = timezone.now()
    Phase.objects.filter(pk=phase.pk).update(
        status=PhaseStatus.OPEN, opens_at=now - timedelta(days=1), closes_at=now + timedelta(hours=20)
    )
    assert phases_closing_soon_notify(now=now) == 1
    assert phases_closing_soon_notify(now=now + timedelta(minutes=15)) == 0
    Phase.objects.filter(pk=phase.pk).update(closes_at=now + timedelta(hours=30))
    assert phases_closing_soon_notify(now=now) == 0  # not within 24 hours any more
    assert Notification.objects.filter(recipient=ada, kind="phase_closing_soon").count() == 1


def test_an_invited_judge_who_is_a_member_is_notified(
    ada, client_member, monkeypatch, django_capture_on_commit_callbacks
):
    from challenges import tasks

    monkeypatch.setattr(tasks.send_judge_invitation, "delay", lambda *a: None)
    challenge = make_challenge(client_member)
    with django_capture_on_commit_callbacks(execute=True):
        judge_invite(challenge=challenge, by=client_member, email="ADA@example.com")
    notice = Notification.objects.get(recipient=ada)
    assert notice.kind == "judge_invited"
    assert "/challenges/invitations/" in notice.url


def test_a_fork_notifies_the_parent_owner_and_earns_reputation_once(ada, jonas, django_capture_on_commit_callbacks):
    blueprint = blueprint_services.blueprint_create(owner=ada, title="Roof rack", category="other")
    upload_file(draft_of(blueprint), ada, "sketch.png", samples.png())
    blueprint_services.revision_publish(revision=draft_of(blueprint), user=ada, change_notes="First.")
    with django_capture_on_commit_callbacks(execute=True):
        fork = blueprint_services.blueprint_fork(blueprint=blueprint, user=jonas)
    with django_capture_on_commit_callbacks(execute=True):
        blueprint_services.blueprint_fork(blueprint=blueprint, user=ada)  # her own: nothing
    notice = Notification.objects.get(recipient=ada)
    assert notice.kind == "blueprint_forked"
    assert notice.context["actor"] == "Jonas Berg"
    assert list(ReputationEntry.objects.values_list("user", "source_key", "points")) == [(ada.pk, f"fork:{fork.pk}", 5)]
    ada.refresh_from_db()
    assert ada.reputation == 5


def test_the_closing_notice_names_the_real_deadline_in_the_readers_language_and_zone(ada, jonas):
    import zoneinfo

    from django.utils import dateformat, translation

    from community.notifications import notification_text

    closes = timezone.now() + timedelta(hours=5, minutes=30)
    context = {"challenge": "Snow plough", "phase": "Concept", "closes_at": closes.isoformat()}

    with translation.override("en"), timezone.override(ada.time_zone):
        english = notification_text("phase_closing_soon", context)
    with translation.override("de"), timezone.override(jonas.time_zone):
        german = notification_text("phase_closing_soon", context)

    with translation.override("en"):
        in_lagos = dateformat.format(timezone.localtime(closes, zoneinfo.ZoneInfo("Africa/Lagos")), "j M Y, H:i")
    assert english == f"The phase “Concept” of “Snow plough” closes in 5 hours ({in_lagos} WAT (Africa/Lagos))."
    assert german.startswith("Die Phase „Concept“ von „Snow plough“ endet in 5 Stunden (")
    assert "Europe/Berlin" in german


def test_a_phase_added_later_reads_as_such():
    from community.notifications import notification_text

    text = notification_text("phase_published", {"challenge": "Snow plough", "phase": "Blade"})
    published = notification_text("phase_published", {"challenge": "Snow plough", "phases": 2})

    assert text == "A new phase “Blade” was added to “Snow plough”."
    assert published == "“Snow plough” is published with 2 phase(s)."
