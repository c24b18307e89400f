"""Comments: threaded two levels deep, sanitised Markdown, an edit window, mentions, reports and
moderation by staff (hidden with a reason, never deleted), rate-limited per member."""

import math
import re
from collections import Counter
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Q, Value
from django.db.models.functions import Lower, Replace
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from community.models import Comment, CommentReport, Follow, Notification, ReportStatus, User
from community.notifications import CommunityKind
from community.services.notifications import notify
from community.targets import Target, target_lookup, target_of_model
from core.exceptions import ApplicationError, Conflict, NotAllowed, RateLimited
from core.markdown import render_markdown

BODY_MAX = 10000
REASON_MAX = 500
MENTION_PATTERN = re.compile(r"(?<![\w@])@([^\W_][\w.\-]{0,79})")
MAX_MENTIONS = 20


def mention_handle(user: User) -> str:
    """What others type after @ to mention a member: the display name without spaces."""
    return "".join(user.public_name.split())


def mentioned_members(body: str) -> list[User]:
    """Members whose handle (display name without spaces, any case) follows an @ in `body`.

    Display names are not unique. A handle that two or more active members share names nobody:
    it stays plain text, neither linked nor notified. Telling every namesake would show the
    comment to strangers, and picking one would be a guess; the author can reply to the member
    they mean instead. (A unique handle per member would need a new field and a migration of
    every profile, more than this rule is worth while clashes are rare.)
    """
    handles = {match.rstrip(".-").lower() for match in MENTION_PATTERN.findall(body or "")}
    handles.discard("")
    if not handles:
        return []
    members = list(
        User.objects.annotate(handle=Lower(Replace("display_name", Value(" "), Value(""))))
        .filter(handle__in=list(handles)[:MAX_MENTIONS], is_active=True)
        .order_by("pk")
    )
    holders = Counter(mention_handle(member).lower() for member in members)
    return [member for member in members if holders[mention_handle(member).lower()] == 1]


def render_comment(body: str, mentioned: list[User]) -> str:
    """The body as sanitised HTML, each @mention of a member linked to their profile."""
    by_handle = {mention_handle(user).lower(): user for user in mentioned}

    def link(match: re.Match[str]) -> str:
        handle = match.group(1).rstrip(".-")
        user = by_handle.get(handle.lower())
        if user is None:
            return match.group(0)
        url = reverse("community:profile", kwargs={"pk": user.pk})
        return f"[@{handle}]({url})" + match.group(1)[len(handle) :]

    return str(render_markdown(MENTION_PATTERN.sub(link, body)))


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ApplicationError(_("Write something first."), {"body": [_("This field is required.")]})
    if len(body) > BODY_MAX:
        message = _("A comment has at most %(max)d characters.") % {"max": BODY_MAX}
        raise ApplicationError(message, {"body": [message]})
    return body


def _check_rate(author: User) -> None:
    """At most COMMUNITY_COMMENT_RATE_LIMIT comments per window; the caller holds the author's row lock."""
    window = timedelta(seconds=settings.COMMUNITY_COMMENT_RATE_WINDOW_SECONDS)
    now = timezone.now()
    recent = Comment.objects.filter(author=author, created_at__gte=now - window).order_by("-created_at")
    limit = settings.COMMUNITY_COMMENT_RATE_LIMIT
    # The limit-th newest comment in the window: once it leaves the window, one more comment fits.
    counted = list(recent.values_list("created_at", flat=True)[limit - 1 : limit])
    if counted:
        oldest_counted = counted[0]
        raise RateLimited(
            _("You are commenting too fast. Please wait a minute and try again."),
            retry_after=math.ceil((oldest_counted + window - now).total_seconds()),
            extra={"code": "rate_limited"},
        )


def _viewers(target: Target, obj: Any, user_ids: set[int]) -> list[int]:
    """The members among `user_ids` who may see the target (a sealed entry stays sealed)."""
    if not user_ids:
        return []
    users = User.objects.filter(pk__in=user_ids, is_active=True)
    return [user.pk for user in users if target.can_view(user, obj)]


@transaction.atomic
def comment_create(*, author: User, label: str, object_id: int, body: str, parent_id: int | None = None) -> Comment:
    """Comment on a target the author may see (404 otherwise); a reply to a reply joins its thread."""
    target, obj = target_lookup(label=label, object_id=object_id, user=author)
    body = _clean_body(body)
    content_type = ContentType.objects.get_for_model(target.model)
    parent = None
    if parent_id is not None:
        parent = (
            Comment.objects.select_related("author")
            .filter(pk=parent_id, content_type=content_type, object_id=obj.pk)
            .first()
        )
        if parent is None:
            raise ApplicationError(_("The comment you reply to is not here."), {"parent": [_("Not found.")]})
    replied_to = parent
    if parent is not None and parent.parent_id is not None:
        parent = Comment.objects.select_related("author").get(pk=parent.parent_id)
    # Serialise one member's comments. No key: the notifications other members' comments insert for
    # this member take a key-share lock on this row, which FOR UPDATE would block (two members
    # replying to each other at once would deadlock).
    User.objects.select_for_update(no_key=True).filter(pk=author.pk).exists()
    _check_rate(author)
    mentioned = mentioned_members(body)
    comment = Comment.objects.create(
        content_type=content_type,
        object_id=obj.pk,
        author=author,
        parent=parent,
        body=body,
        body_html=render_comment(body, mentioned),
    )
    _announce(comment=comment, target=target, obj=obj, replied_to=replied_to, mentioned=mentioned)
    return comment


def _notice(comment: Comment, target: Target, obj: Any) -> tuple[dict[str, Any], str]:
    """The context and link of a notification about `comment`."""
    context = {"actor": comment.author.public_name, "target": target.title(obj), "excerpt": comment.body[:200]}
    return context, f"{target.url(obj)}#comment-{comment.pk}"


def _announce(*, comment: Comment, target: Target, obj: Any, replied_to: Comment | None, mentioned: list[User]) -> None:
    """Tell the replied and mentioned members now; the target's followers after commit, by a task
    (`comment_followers_notify`): checking who of thousands of followers may see the target is
    no work for the request, let alone while it holds the author's lock."""
    context, url = _notice(comment, target, obj)
    told: set[int] = {comment.author_id}
    if replied_to is not None and replied_to.author_id not in told:
        recipients = _viewers(target, obj, {replied_to.author_id})
        notify(
            recipient_ids=recipients,
            kind=CommunityKind.COMMENT_REPLY,
            event_key=f"comment-reply:{comment.pk}",
            context=context,
            url=url,
            actor_id=comment.author_id,
        )
        told |= set(recipients)
    mentioned_ids = _viewers(target, obj, {user.pk for user in mentioned} - told)
    notify(
        recipient_ids=mentioned_ids,
        kind=CommunityKind.MENTION,
        event_key=f"mention:{comment.pk}",
        context=context,
        url=url,
        actor_id=comment.author_id,
    )
    comment_id = comment.pk
    transaction.on_commit(lambda: _enqueue_followers_notify(comment_id))


def _enqueue_followers_notify(comment_id: int) -> None:
    from community.tasks import comment_followers_notify as task

    task.delay(comment_id)


def _already_told(comment: Comment, user_ids: set[int]) -> set[int]:
    """Those of `user_ids` told of the comment as a reply to them or a mention of them."""
    if not user_ids:
        return set()
    keys = Q(event_key__in=[f"comment-reply:{comment.pk}", f"mention:{comment.pk}"]) | Q(
        event_key__startswith=f"mention:{comment.pk}:"
    )
    return set(
        Notification.objects.filter(keys, recipient_id__in=list(user_ids)).values_list("recipient_id", flat=True)
    )


def comment_followers_notify(*, comment_id: int) -> int:
    """Tell the followers of a comment's target about it; returns how many were told.

    Runs in a task after the comment is committed. Idempotent (one `comment:<id>` notification per
    follower), and it checks each follower's right to see the target now, so a sealed entry stays
    sealed. Members told of the comment already as a reply or a mention are not told again; a
    comment hidden or gone meanwhile is announced to nobody.
    """
    comment = Comment.objects.select_related("author", "content_type").filter(pk=comment_id).first()
    if comment is None or comment.is_hidden:
        return 0
    model = comment.content_type.model_class()
    target = target_of_model(model) if model is not None else None
    obj = target.model._default_manager.filter(pk=comment.object_id).first() if target is not None else None
    if target is None or obj is None:
        return 0
    follower_ids = set(
        Follow.objects.filter(content_type_id=comment.content_type_id, object_id=comment.object_id).values_list(
            "follower_id", flat=True
        )
    ) - {comment.author_id}
    follower_ids -= _already_told(comment, follower_ids)
    context, url = _notice(comment, target, obj)
    return notify(
        recipient_ids=_viewers(target, obj, follower_ids),
        kind=CommunityKind.NEW_COMMENT,
        event_key=f"comment:{comment.pk}",
        context=context,
        url=url,
        actor_id=comment.author_id,
    )


def comment_is_editable(*, comment: Comment, user: Any, now: Any = None) -> bool:
    window = timedelta(minutes=settings.COMMUNITY_COMMENT_EDIT_MINUTES)
    return (
        getattr(user, "pk", None) == comment.author_id
        and not comment.is_hidden
        and (now or timezone.now()) - comment.created_at <= window
    )


@transaction.atomic
def comment_edit(*, comment_id: int, user: User, body: str) -> Comment:
    """The author rewrites a comment within the edit window; it is then marked edited."""
    comment = (
        Comment.objects.select_for_update(of=("self",), no_key=True)
        .select_related("author")
        .filter(pk=comment_id)
        .first()
    )
    if comment is None:
        raise ApplicationError(_("This comment does not exist."))
    model = comment.content_type.model_class()
    target = target_of_model(model) if model is not None else None
    if target is None:
        raise ApplicationError(_("This comment does not exist."))
    target, obj = target_lookup(label=target.label, object_id=comment.object_id, user=user)
    if comment.author_id != user.pk:
        raise NotAllowed(_("Only the author can edit a comment."))
    if not comment_is_editable(comment=comment, user=user):
        minutes = settings.COMMUNITY_COMMENT_EDIT_MINUTES
        raise Conflict(_("Comments can be edited for %(minutes)d minutes only.") % {"minutes": minutes})
    body = _clean_body(body)
    mentioned = mentioned_members(body)
    comment.body = body
    comment.body_html = render_comment(body, mentioned)
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "body_html", "edited_at"])
    _announce_new_mentions(comment=comment, target=target, obj=obj, mentioned=mentioned)
    return comment


def _announce_new_mentions(*, comment: Comment, target: Target, obj: Any, mentioned: list[User]) -> None:
    """Tell members an edit mentions who may see the target, once each (`mention:<comment>:<member>`);
    those told of the comment already, as a reply or a mention, are not told again."""
    candidates = {member.pk for member in mentioned} - {comment.author_id}
    candidates -= _already_told(comment, candidates)
    context, url = _notice(comment, target, obj)
    for user_id in _viewers(target, obj, candidates):
        notify(
            recipient_ids=[user_id],
            kind=CommunityKind.MENTION,
            event_key=f"mention:{comment.pk}:{user_id}",
            context=context,
            url=url,
            actor_id=comment.author_id,
        )


def comment_for_viewer(*, comment_id: int, user: Any) -> Comment:
    """The comment if `user` may see its target (404 otherwise)."""
    from django.http import Http404

    comment = Comment.objects.select_related("author", "content_type").filter(pk=comment_id).first()
    if comment is None:
        raise Http404
    model = comment.content_type.model_class()
    target = target_of_model(model) if model is not None else None
    if target is None:
        raise Http404
    target_lookup(label=target.label, object_id=comment.object_id, user=user)
    return comment


def comment_report(*, comment_id: int, user: User, reason: str) -> CommentReport:
    """A member reports a comment they can see to staff (once per member and comment)."""
    comment = comment_for_viewer(comment_id=comment_id, user=user)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Say why you report this comment."), {"reason": [_("This field is required.")]})
    if comment.author_id == user.pk:
        raise NotAllowed(_("You cannot report your own comment."))
    try:
        with transaction.atomic():
            return CommentReport.objects.create(comment=comment, reporter=user, reason=reason[:REASON_MAX])
    except IntegrityError as error:
        raise Conflict(_("You have already reported this comment.")) from error


@transaction.atomic
def comment_hide(*, comment_id: int, by: User, reason: str) -> Comment:
    """Staff hide a comment with a reason; it stays stored, and its open reports are resolved."""
    if not by.is_staff:
        raise NotAllowed(_("Only staff can hide comments."))
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Give a reason for hiding."), {"reason": [_("This field is required.")]})
    comment = Comment.objects.select_for_update().filter(pk=comment_id).first()
    if comment is None:
        raise ApplicationError(_("This comment does not exist."))
    now = timezone.now()
    if not comment.is_hidden:
        comment.is_hidden = True
        comment.hidden_reason = reason[:300]
        comment.hidden_by = by
        comment.hidden_at = now
        comment.save(update_fields=["is_hidden", "hidden_reason", "hidden_by", "hidden_at"])
    CommentReport.objects.filter(comment=comment, status=ReportStatus.OPEN).update(
        status=ReportStatus.HIDDEN, resolved_by=by, resolved_at=now
    )
    return comment


@transaction.atomic
def comment_report_dismiss(*, report_id: int, by: User) -> CommentReport:
    if not by.is_staff:
        raise NotAllowed(_("Only staff can resolve reports."))
    report = CommentReport.objects.select_for_update().get(pk=report_id)
    if report.status == ReportStatus.OPEN:
        report.status = ReportStatus.DISMISSED
        report.resolved_by = by
        report.resolved_at = timezone.now()
        report.save(update_fields=["status", "resolved_by", "resolved_at"])
    return report
