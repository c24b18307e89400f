"""Comments: sanitised Markdown, two levels, edit window, mentions, replies, reports, moderation,
rate limit, and sealing (a target a member may not see cannot be read or commented)."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.http import Http404
from django.utils import timezone

from challenges.models import Challenge
from community.models import Comment, CommentReport, Follow, Notification, ReportStatus
from community.services import (
    comment_create,
    comment_edit,
    comment_followers_notify,
    comment_hide,
    comment_report,
    follow_create,
    mentioned_members,
)
from core.exceptions import ApplicationError
from tests.support import UserFactory

LABEL = "challenges.challenge"


def post(author, challenge, body, parent=None):
    return comment_create(author=author, label=LABEL, object_id=challenge.pk, body=body, parent_id=parent)


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>hello",
        '<img src=x onerror="alert(1)">hello',
        "[click](javascript:alert(1)) hello",
        '<a href="javascript:alert(1)">x</a> hello',
        '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a> hello',
        "<iframe src='https://evil.example'></iframe>hello",
        '<p style="background:url(javascript:alert(1))" onclick="x()">hello</p>',
        "<svg><script>alert(1)</script></svg>hello",
    ],
)
def test_comments_are_sanitised_against_script_injection_and_unsafe_links(ada, challenge, body):
    html = post(ada, challenge, body).body_html.lower()
    assert "hello" in html
    for dangerous in ("<script", "onerror", "onclick", "javascript:", "data:text", "<iframe", "style=", "<svg"):
        assert dangerous not in html


def test_safe_markdown_and_links_survive_with_nofollow(ada, challenge):
    html = post(ada, challenge, "**bold** and [site](https://example.com)").body_html
    assert "<strong>bold</strong>" in html
    assert 'href="https://example.com"' in html
    assert 'rel="nofollow noopener"' in html


def test_a_reply_to_a_reply_joins_the_top_level_thread_and_notifies_the_replied_member(ada, jonas, challenge):
    top = post(ada, challenge, "What about snow chains?")
    reply = post(jonas, challenge, "Fits 205/70 R15.", parent=top.pk)
    reply_to_reply = post(ada, challenge, "Thanks!", parent=reply.pk)
    assert reply.parent_id == top.pk
    assert reply_to_reply.parent_id == top.pk  # two levels, never deeper
    assert Notification.objects.get(recipient=ada, kind="comment_reply").event_key == (f"comment-reply:{reply.pk}")
    assert Notification.objects.filter(recipient=jonas, kind="comment_reply").count() == 1


def test_a_mention_notifies_the_member_and_links_their_profile(ada, jonas, challenge):
    comment = post(ada, challenge, "@JonasBerg can you weld this? @nobody-here")
    notice = Notification.objects.get(recipient=jonas)
    assert notice.kind == "mention"
    assert notice.context["actor"] == "Ada Okafor"
    assert notice.url.endswith(f"#comment-{comment.pk}")
    assert f'href="/members/{jonas.pk}/"' in comment.body_html
    assert "@nobody-here" in comment.body_html


def test_nobody_is_notified_of_their_own_mention_or_reply(ada, challenge):
    top = post(ada, challenge, "note to self @AdaOkafor")
    post(ada, challenge, "and again", parent=top.pk)
    assert not Notification.objects.filter(recipient=ada).exists()


def test_a_mention_of_a_member_who_cannot_see_the_target_tells_them_nothing(client_member, jonas, hidden_challenge):
    comment_create(author=client_member, label=LABEL, object_id=hidden_challenge.pk, body="@JonasBerg look")
    assert not Notification.objects.filter(recipient=jonas).exists()


def test_followers_hear_of_new_comments_once_after_commit(
    ada, jonas, challenge, follower_fanouts, django_capture_on_commit_callbacks
):
    follow_create(user=jonas, label=LABEL, object_id=challenge.pk)
    with django_capture_on_commit_callbacks(execute=True):
        first = post(ada, challenge, "@JonasBerg first")  # a mention, not also a "new comment"
    with django_capture_on_commit_callbacks(execute=True):
        second = post(ada, challenge, "second")
    assert follower_fanouts == [first.pk, second.pk]
    for comment_id in follower_fanouts * 2:  # a redelivered task tells nobody twice
        comment_followers_notify(comment_id=comment_id)
    kinds = sorted(Notification.objects.filter(recipient=jonas).values_list("kind", flat=True))
    assert kinds == ["mention", "new_comment"]
    assert Notification.objects.get(recipient=jonas, kind="new_comment").event_key == (f"comment:{second.pk}")


def test_followers_who_can_no_longer_see_the_target_hear_nothing_of_its_comments(
    ada, jonas, client_member, hidden_challenge
):
    # Jonas followed it once; as a draft again, only its owner may see it (as with a sealed entry).
    Follow.objects.create(
        follower=jonas, content_type=ContentType.objects.get_for_model(Challenge), object_id=hidden_challenge.pk
    )
    comment = comment_create(author=client_member, label=LABEL, object_id=hidden_challenge.pk, body="draft notes")
    assert comment_followers_notify(comment_id=comment.pk) == 0
    assert not Notification.objects.filter(recipient=jonas).exists()


def test_followers_of_a_hidden_comment_are_not_told_of_it(ada, jonas, staff, challenge):
    follow_create(user=jonas, label=LABEL, object_id=challenge.pk)
    comment = post(ada, challenge, "spam")
    comment_hide(comment_id=comment.pk, by=staff, reason="Spam")
    assert comment_followers_notify(comment_id=comment.pk) == 0
    assert comment_followers_notify(comment_id=comment.pk + 1000) == 0  # gone: nothing to do
    assert not Notification.objects.filter(recipient=jonas).exists()


def test_posting_costs_the_same_queries_however_many_follow_the_target(
    ada, challenge, django_assert_num_queries, django_capture_on_commit_callbacks
):
    for rows in (1, 30):
        for _number in range(rows - Follow.objects.count()):
            follow_create(user=UserFactory.create(), label=LABEL, object_id=challenge.pk)
        # Savepoint and release (2), the target and whether the author may see it (2), the author's lock,
        # the rate count, the insert. If this grows, justify every new query: followers are told by a task.
        with django_assert_num_queries(7), django_capture_on_commit_callbacks(execute=False):
            post(ada, challenge, f"question for {rows} followers")


def test_an_ambiguous_mention_links_and_notifies_nobody(ada, jonas, challenge):
    namesake = UserFactory.create(display_name="Ada Okafor")
    comment = post(jonas, challenge, "@AdaOkafor which one of you?")
    assert not Notification.objects.filter(recipient__in=[ada, namesake]).exists()
    assert "/members/" not in comment.body_html
    assert "@AdaOkafor" in comment.body_html
    assert mentioned_members("@AdaOkafor") == []
    namesake.display_name = "Ada Okafor-Eze"
    namesake.save()
    assert mentioned_members("@AdaOkafor") == [ada]  # unique again: resolved


def test_editing_a_comment_to_add_a_mention_notifies_only_the_newly_mentioned_once(ada, jonas, challenge):
    fan = UserFactory.create(display_name="Fan Zero")
    comment = post(ada, challenge, "@JonasBerg what do you think?")
    comment_edit(comment_id=comment.pk, user=ada, body="@JonasBerg what do you think? cc @FanZero")
    comment_edit(comment_id=comment.pk, user=ada, body="@JonasBerg what do you think, cc @FanZero?")
    assert Notification.objects.filter(recipient=jonas).count() == 1  # told at posting, not again
    told = Notification.objects.get(recipient=fan)
    assert told.kind == "mention"
    assert told.event_key == f"mention:{comment.pk}:{fan.pk}"
    assert told.url.endswith(f"#comment-{comment.pk}")


def test_an_edit_does_not_tell_a_mentioned_member_who_cannot_see_the_target(jonas, client_member, hidden_challenge):
    comment = comment_create(author=client_member, label=LABEL, object_id=hidden_challenge.pk, body="draft")
    comment_edit(comment_id=comment.pk, user=client_member, body="draft @JonasBerg")
    assert not Notification.objects.filter(recipient=jonas).exists()


def test_a_sealed_target_can_be_neither_commented_nor_replied_by_who_cannot_see_it(
    ada, client_member, hidden_challenge
):
    own = comment_create(author=client_member, label=LABEL, object_id=hidden_challenge.pk, body="draft notes")
    with pytest.raises(Http404):
        comment_create(author=ada, label=LABEL, object_id=hidden_challenge.pk, body="peek")
    with pytest.raises(Http404):
        comment_create(author=ada, label=LABEL, object_id=hidden_challenge.pk, body="peek", parent_id=own.pk)
    with pytest.raises(Http404):
        comment_report(comment_id=own.pk, user=ada, reason="spam")
    assert Comment.objects.count() == 1


def test_unregistered_targets_are_refused(ada):
    with pytest.raises(Http404):
        comment_create(author=ada, label="community.user", object_id=ada.pk, body="members are not commentable")
    with pytest.raises(Http404):
        comment_create(author=ada, label="auth.group", object_id=1, body="x")


def test_a_reply_must_belong_to_the_same_target(ada, challenge, client_member, staff):
    from challenges.tests.factories import add_phase, make_challenge, publish

    other = publish(add_phase(make_challenge(client_member, title="Other")).challenge, staff=staff)
    top = post(ada, other, "elsewhere")
    with pytest.raises(ApplicationError):
        post(ada, challenge, "reply", parent=top.pk)


def test_empty_and_overlong_comments_are_refused_and_nothing_is_stored(ada, challenge):
    with pytest.raises(ApplicationError):
        post(ada, challenge, "   ")
    with pytest.raises(ApplicationError):
        post(ada, challenge, "x" * 10001)
    assert not Comment.objects.exists()


def test_the_author_edits_within_the_window_and_the_comment_is_marked_edited(ada, challenge):
    comment = post(ada, challenge, "typo teh")
    edited = comment_edit(comment_id=comment.pk, user=ada, body="typo the")
    assert edited.edited_at is not None
    assert "typo the" in edited.body_html


def test_editing_after_the_window_or_by_someone_else_is_refused(ada, jonas, challenge, settings):
    comment = post(ada, challenge, "original")
    with pytest.raises(ApplicationError):
        comment_edit(comment_id=comment.pk, user=jonas, body="hijacked")
    Comment.objects.filter(pk=comment.pk).update(
        created_at=timezone.now() - timedelta(minutes=settings.COMMUNITY_COMMENT_EDIT_MINUTES, seconds=1)
    )
    with pytest.raises(ApplicationError):
        comment_edit(comment_id=comment.pk, user=ada, body="too late")
    comment.refresh_from_db()
    assert comment.body == "original"
    assert comment.edited_at is None


def test_members_are_rate_limited(ada, challenge, settings):
    settings.COMMUNITY_COMMENT_RATE_LIMIT = 3
    for number in range(3):
        post(ada, challenge, f"comment {number}")
    with pytest.raises(ApplicationError) as refused:
        post(ada, challenge, "one too many")
    assert refused.value.extra == {"code": "rate_limited"}
    assert Comment.objects.count() == 3
    Comment.objects.update(
        created_at=timezone.now() - timedelta(seconds=settings.COMMUNITY_COMMENT_RATE_WINDOW_SECONDS)
    )
    post(ada, challenge, "after the window")


def test_reports_are_once_per_member_and_staff_hide_with_a_reason_keeping_the_text(ada, jonas, staff, challenge):
    comment = post(ada, challenge, "buy cheap watches")
    comment_report(comment_id=comment.pk, user=jonas, reason="spam")
    with pytest.raises(ApplicationError):
        comment_report(comment_id=comment.pk, user=jonas, reason="spam again")
    with pytest.raises(ApplicationError):
        comment_report(comment_id=comment.pk, user=ada, reason="my own")
    with pytest.raises(ApplicationError):
        comment_hide(comment_id=comment.pk, by=jonas, reason="I am no moderator")
    with pytest.raises(ApplicationError):
        comment_hide(comment_id=comment.pk, by=staff, reason="")
    comment_hide(comment_id=comment.pk, by=staff, reason="Spam")
    comment.refresh_from_db()
    assert comment.is_hidden
    assert comment.hidden_reason == "Spam"
    assert comment.body == "buy cheap watches"
    assert CommentReport.objects.get().status == ReportStatus.HIDDEN


def test_hidden_comments_show_the_reason_not_the_text(client, ada, staff, challenge):
    comment = post(ada, challenge, "rude words")
    comment_hide(comment_id=comment.pk, by=staff, reason="Rude")
    page = client.get(challenge.get_absolute_url()).content.decode()
    assert "rude words" not in page
    assert "Rude" in page


def test_more_members_mentioned_are_all_notified(ada, challenge):
    others = [UserFactory.create(display_name=f"Fan {n}") for n in range(3)]
    post(ada, challenge, " ".join(f"@Fan{n}" for n in range(3)))
    assert Notification.objects.filter(recipient__in=others, kind="mention").count() == 3
