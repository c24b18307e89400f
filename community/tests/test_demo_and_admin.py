import io

from django.core.management import call_command

from community.models import Comment, CommentReport, Follow, ReportStatus, ReputationEntry, User
from community.services import comment_create, comment_report
from tests.sign_in import sign_in


def test_demo_data_loads_twice_without_doubling(db, monkeypatch):
    from challenges import tasks

    monkeypatch.setattr(tasks.phase_advance, "apply_async", lambda *a, **k: None)
    monkeypatch.setattr(tasks.send_judge_invitation, "delay", lambda *a: None)
    monkeypatch.setattr("blueprints.demo.load", lambda out: None)  # its files need S3 work not tested here
    monkeypatch.setattr("dossiers.demo.load", lambda out: None)  # tested in dossiers/tests/test_demo.py
    for _round in range(3):  # the comments appear at once, never twice
        call_command("load_demo_data", stdout=io.StringIO())
    ada = User.objects.get(email="ada@demo.coachworks.test")
    jonas = User.objects.get(email="jonas@demo.coachworks.test")
    assert (ada.country.code, ada.time_zone, ada.preferred_language) == ("NG", "Africa/Lagos", "en")
    assert (jonas.country.code, jonas.time_zone, jonas.preferred_language) == ("DE", "Europe/Berlin", "de")
    assert Follow.objects.filter(follower__in=[ada, jonas]).count() == 4
    assert not ReputationEntry.objects.exists()  # reputation comes from real entries and forks only
    assert Comment.objects.filter(author__in=[ada, jonas]).count() == 2


def test_the_moderation_queue_lists_open_reports_and_hides_with_the_reports_reason(
    client, ada, jonas, staff, challenge
):
    comment = comment_create(author=ada, label="challenges.challenge", object_id=challenge.pk, body="spam spam")
    report = comment_report(comment_id=comment.pk, user=jonas, reason="Advertising")
    sign_in(client, staff)
    queue = client.get("/admin/community/commentreport/")
    assert queue.status_code == 200
    assert "Advertising" in queue.content.decode()
    client.post(
        "/admin/community/commentreport/",
        {"action": "hide_reported_comments", "_selected_action": [report.pk]},
    )
    comment.refresh_from_db()
    assert comment.is_hidden
    assert comment.hidden_reason == "Advertising"
    assert CommentReport.objects.get().status == ReportStatus.HIDDEN
    pages = ["comment/?reported=open", "notification/", "reputationentry/", "follow/", f"user/{ada.pk}/change/"]
    for url in [f"/admin/community/{page}" for page in pages]:
        assert client.get(url).status_code == 200, url
    client.force_login(jonas)
    assert client.get("/admin/community/commentreport/").status_code == 302
