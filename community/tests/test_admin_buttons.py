"""Moderators work a report from its own page: hide the comment with the report's reason, or dismiss
it; both ask first, and the audit trail names the member whose comment it was."""

import pytest
from django.urls import reverse

from community.models import CommentReport, ReportStatus
from community.services import comment_create, comment_report
from core.models import StaffAction
from tests.sign_in import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(ada, jonas, challenge):
    comment = comment_create(author=ada, label="challenges.challenge", object_id=challenge.pk, body="spam spam")
    return comment_report(comment_id=comment.pk, user=jonas, reason="Advertising")


def _button(report, name):
    return reverse("admin:community_commentreport_object_action", args=[report.pk, name])


def test_an_open_report_page_offers_hide_and_dismiss_and_no_save(client, staff, report):
    sign_in(client, staff)

    page = client.get(reverse("admin:community_commentreport_change", args=[report.pk])).content.decode()

    assert _button(report, "hide-comment") in page
    assert _button(report, "dismiss") in page
    assert 'name="_save"' not in page


def test_dismissing_a_report_from_its_page_leaves_the_comment_and_names_its_author(client, staff, ada, report):
    sign_in(client, staff)

    client.post(_button(report, "dismiss"), {"confirm": "1"})

    report.refresh_from_db()
    assert report.status == ReportStatus.DISMISSED
    assert not report.comment.is_hidden
    trail = StaffAction.objects.get(action="community.commentreport.dismiss")
    assert (trail.member, trail.value_before("status"), trail.value_after("status")) == (ada, "open", "dismissed")
    page = client.get(reverse("admin:community_commentreport_change", args=[report.pk])).content.decode()
    assert _button(report, "hide-comment") not in page


def test_hiding_from_a_report_page_uses_the_reports_reason(client, staff, report):
    sign_in(client, staff)

    client.post(_button(report, "hide-comment"), {"confirm": "1"})

    report.comment.refresh_from_db()
    assert (report.comment.is_hidden, report.comment.hidden_reason) == (True, "Advertising")
    assert CommentReport.objects.get().status == ReportStatus.HIDDEN
