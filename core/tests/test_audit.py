"""The staff audit trail: every staff action is written to the admin log and to `StaffAction` (who,
what, when, before and after, the challenge and member it concerns); staff read it, never edit it,
and filter it per challenge and per member, reached by links from those pages. The admin index
leads with what needs doing, at a cost that does not grow with the work waiting."""

from datetime import date

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.forms import FileField
from django.urls import reverse

from challenges.models import ChallengeStatus
from challenges.services import challenge_submit_for_funding
from challenges.tests.factories import add_phase, make_challenge
from community.models import CommentReport
from community.tests.factories import make_comments
from core.audit import Concerns, record_staff_action, snapshot
from core.models import StaffAction
from tests.query_budget import assert_query_count_flat
from tests.sign_in import sign_in
from tests.support import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff):
    sign_in(client, staff)
    return client


def _challenge_in_funding(owner, title="Desert ambulance"):
    challenge = make_challenge(owner, title=title)
    add_phase(challenge)
    challenge_submit_for_funding(challenge=challenge, by=owner)
    challenge.refresh_from_db()
    return challenge


def test_a_staff_action_goes_to_the_admin_log_and_the_trail_with_what_it_concerns(staff, owner):
    challenge = make_challenge(owner)
    before = snapshot(challenge)
    challenge.title = "Mountain ambulance"

    row = record_staff_action(
        actor=staff,
        action="challenges.challenge.rename",
        summary="Renamed",
        target=challenge,
        before=before,
        after=snapshot(challenge),
        reason="Typo",
        concerns=Concerns(challenge_id=challenge.pk, challenge_label=challenge.title, member_id=owner.pk),
    )

    assert (row.actor, row.actor_label, row.member, row.challenge_id) == (staff, staff.email, owner, challenge.pk)
    assert (row.value_before("title"), row.value_after("title")) == ("Desert ambulance", "Mountain ambulance")
    log = LogEntry.objects.get(user=staff)
    assert (log.object_id, log.action_flag, log.change_message) == (str(challenge.pk), CHANGE, "Renamed (Typo)")


def test_a_snapshot_never_copies_a_password(staff):
    fields = snapshot(staff) or {}

    assert "password" not in fields
    assert fields["email"] == staff.email


def test_the_trail_is_read_only_in_the_admin(staff_client, staff, owner):
    row = record_staff_action(actor=staff, action="x.y.z", summary="Something", target=owner)
    change = reverse("admin:core_staffaction_change", args=[row.pk])

    page = staff_client.get(change).content.decode()
    edited = staff_client.post(change, {"summary": "Nothing"})

    assert 'name="_save"' not in page
    assert staff_client.get(reverse("admin:core_staffaction_add")).status_code == 403
    assert edited.status_code == 403
    row.refresh_from_db()
    assert row.summary == "Something"


def test_the_trail_filters_per_challenge_reached_from_the_challenge_page(staff_client, staff, owner):
    mine, other = _challenge_in_funding(owner, "Desert ambulance"), _challenge_in_funding(owner, "Snow plough")
    for challenge in (mine, other):
        staff_client.post(
            reverse("admin:challenges_challenge_object_action", args=[challenge.pk, "cancel"]),
            {"reason": f"Withdrawn: {challenge.title}"},
        )

    page = staff_client.get(reverse("admin:challenges_challenge_change", args=[mine.pk])).content.decode()
    trail_url = reverse("admin:core_staffaction_changelist") + f"?challenge_id={mine.pk}"
    trail = staff_client.get(trail_url).content.decode()

    assert trail_url in page
    assert "Withdrawn: Desert ambulance" in trail
    assert "Withdrawn: Snow plough" not in trail
    mine.refresh_from_db()
    assert mine.status == ChallengeStatus.CANCELLED
    row = StaffAction.objects.get(challenge_id=mine.pk)
    assert (row.member, row.value_before("status"), row.value_after("status")) == (owner, "funding", "cancelled")


def test_the_trail_filters_per_member_reached_from_the_member_page(staff_client, staff, owner, stranger):
    for member in (owner, stranger):
        record_staff_action(
            actor=staff, action="x.y.z", summary=f"About {member.email}", concerns=Concerns(member_id=member.pk)
        )

    page = staff_client.get(reverse("admin:community_user_change", args=[owner.pk])).content.decode()
    trail_url = reverse("admin:core_staffaction_changelist") + f"?member={owner.pk}"
    trail = staff_client.get(trail_url).content.decode()

    assert trail_url in page
    assert f"About {owner.email}" in trail
    assert f"About {stranger.email}" not in trail


def test_saving_a_member_in_the_admin_records_the_fields_before_and_after_once_in_the_log(
    staff_client, staff, stranger
):
    change = reverse("admin:community_user_change", args=[stranger.pk])
    form = staff_client.get(change).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is not None and not isinstance(field, FileField):
            data[name] = field.widget.format_value(value) if isinstance(value, date) else value
    data["display_name"] = "Renamed Stranger"

    response = staff_client.post(change, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    row = StaffAction.objects.get(action="community.user.change")
    assert (row.value_before("display_name"), row.value_after("display_name")) == ("Stranger", "Renamed Stranger")
    assert row.member == stranger
    assert "display_name" in row.summary
    assert LogEntry.objects.filter(object_id=str(stranger.pk)).count() == 1  # Django's own entry, not doubled


def test_hiding_a_comment_from_its_page_needs_a_reason_and_names_its_author(staff_client, staff, owner, stranger):
    challenge = make_challenge(owner)
    (comment,) = make_comments(challenge, stranger, 1)

    page = staff_client.get(reverse("admin:community_comment_change", args=[comment.pk])).content.decode()
    staff_client.post(
        reverse("admin:community_comment_object_action", args=[comment.pk, "hide"]), {"reason": "Advertising"}
    )

    assert 'name="_save"' not in page
    comment.refresh_from_db()
    assert (comment.is_hidden, comment.hidden_reason) == (True, "Advertising")
    row = StaffAction.objects.get(action="community.comment.hide")
    assert (row.member, row.reason, row.value_before("is_hidden"), row.value_after("is_hidden")) == (
        stranger,
        "Advertising",
        False,
        True,
    )


def test_the_admin_index_leads_with_reports_and_challenges_waiting_for_money(staff_client, staff, owner, stranger):
    challenge = _challenge_in_funding(owner)
    (comment,) = make_comments(challenge, owner, 1)
    CommentReport.objects.create(comment=comment, reporter=stranger, reason="Advertising")

    index = staff_client.get(reverse("admin:index")).content.decode()
    start = index.index('id="needs-doing"')
    needs_doing = index[start : index.index("</table>", start)]

    assert index.index('id="needs-doing"') < index.index('id="content-related"')  # before "Recent actions"
    assert reverse("admin:community_commentreport_changelist") + "?status__exact=open" in needs_doing
    assert reverse("admin:challenges_challenge_changelist") + "?status__exact=funding" in needs_doing
    assert needs_doing.count("<strong>1</strong>") == 2


def test_the_admin_index_costs_the_same_however_much_work_waits(staff_client, staff, owner):
    def more_work():
        for number in range(3):
            challenge = _challenge_in_funding(owner, f"Waiting {number}")
            reporter = UserFactory.create()
            for comment in make_comments(challenge, owner, 3):
                CommentReport.objects.create(comment=comment, reporter=reporter, reason="Spam")
            record_staff_action(actor=staff, action="x.y.z", summary="Something", target=challenge, flag=ADDITION)

    assert_query_count_flat(staff_client, reverse("admin:index"), grow=more_work)
    assert CommentReport.objects.count() == 9


def test_the_trail_costs_the_same_however_long_it_grows(staff_client, staff, owner):
    challenge = make_challenge(owner)

    def more_rows():
        for number in range(20):
            record_staff_action(
                actor=staff,
                action="x.y.z",
                summary=f"Step {number}",
                target=challenge,
                concerns=Concerns(challenge_id=challenge.pk, challenge_label=challenge.title, member_id=owner.pk),
            )

    assert_query_count_flat(
        staff_client, reverse("admin:core_staffaction_changelist") + f"?challenge_id={challenge.pk}", grow=more_rows
    )


def test_a_password_staff_set_for_a_member_is_in_the_trail_but_the_password_is_not(staff_client, staff, stranger):
    new_password = "An0ther-unusual-pw-2026!"

    response = staff_client.post(
        reverse("admin:auth_user_password_change", args=[stranger.pk]),
        {"password1": new_password, "password2": new_password, "usable_password": "true"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    row = StaffAction.objects.get(action="community.user.password")
    assert (row.actor, row.member) == (staff, stranger)
    assert new_password not in str(row.before) + str(row.after) + row.summary
    stranger.refresh_from_db()
    assert stranger.check_password(new_password)


def test_the_database_refuses_to_rewrite_or_delete_a_staff_action(staff, owner):
    from django.db import IntegrityError, transaction

    row = record_staff_action(actor=staff, action="x.y.z", summary="Marked paid", concerns=Concerns(member_id=owner.pk))

    with pytest.raises(IntegrityError), transaction.atomic():
        StaffAction.objects.filter(pk=row.pk).update(summary="Nothing happened")
    with pytest.raises(IntegrityError), transaction.atomic():
        StaffAction.objects.filter(pk=row.pk).delete()
    StaffAction.objects.filter(pk=row.pk).update(member=None)  # what deleting the member does

    row.refresh_from_db()
    assert (row.summary, row.member_id) == ("Marked paid", None)
