"""Reads of the community app, each in a fixed number of queries."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import Lower, RowNumber
from django.http import Http404

from community.models import ApiToken, Comment, Follow, Notification, ReputationEntry, ReputationReason, User
from community.targets import visible_objects
from core.pagination import KeysetPage, bounded_count, encode_cursor, keyset_page

# Who asks: a member or an anonymous visitor (selectors take None too: no one, as in a task).
AnyUser = User | AnonymousUser


def signed_in_member(user: AnyUser | None) -> User | None:
    """`user` if it is a signed-in member, else None (an anonymous visitor, or no user at all)."""
    return user if user is not None and user.is_authenticated and isinstance(user, User) else None


# --- Confirmed addresses: the only way an e-mail address binds to an account -------------------


def confirmed_emails_of(user: Any) -> "QuerySet[Any, str]":
    """The lower-cased addresses `user` has confirmed (a subquery; usable in `__in` lookups)."""
    from allauth.account.models import EmailAddress

    return (
        EmailAddress.objects.filter(user_id=getattr(user, "pk", None), verified=True)
        .annotate(address=Lower("email"))
        .values_list("address", flat=True)
    )


def user_by_confirmed_email(email: str) -> User | None:
    """The active member who has confirmed `email`, or None: an unconfirmed address binds nobody."""
    from allauth.account.models import EmailAddress

    address = EmailAddress.objects.filter(email__iexact=email.strip(), verified=True, user__is_active=True).first()
    return User.objects.filter(pk=address.user_id).first() if address else None


def has_confirmed_email(user: Any, email: str) -> bool:
    """Whether `user` has confirmed `email` (case-insensitive)."""
    from allauth.account.models import EmailAddress

    return EmailAddress.objects.filter(
        user_id=getattr(user, "pk", None), email__iexact=email.strip(), verified=True
    ).exists()


def claimed_emails_of(user: Any) -> "QuerySet[Any, str]":
    """Every address `user` has added, confirmed or not, lower-cased (a subquery, like
    `confirmed_emails_of`). Never grants anything: it tells a member that an invitation to one of
    these waits for them to confirm it, and keeps a judge-to-be from entering."""
    from allauth.account.models import EmailAddress

    return (
        EmailAddress.objects.filter(user_id=getattr(user, "pk", None))
        .annotate(address=Lower("email"))
        .values_list("address", flat=True)
    )


def may_authenticate(user: Any) -> bool:
    """Only an active account with a confirmed primary address may sign in, by any path."""
    from allauth.account.models import EmailAddress

    if user is None or not getattr(user, "is_active", False) or not getattr(user, "pk", None):
        return False
    return EmailAddress.objects.filter(user_id=user.pk, primary=True, verified=True).exists()


# --- Directory, profiles, leaderboard -----------------------------------------------------------


class DirectorySort:
    REPUTATION = "reputation"
    NAME = "name"
    NEWEST = "newest"
    ALL = (REPUTATION, NAME, NEWEST)


@dataclass
class DirectoryFilters:
    q: str = ""
    country: str = ""
    skill: str = ""
    experience: str = ""
    sort: str = DirectorySort.REPUTATION


# Each sort of the directory is a keyset ordering (NOT NULL columns, `pk` last) with a partial
# index of the listed members to match (migration 0005_scale_indexes).
DIRECTORY_ORDERINGS: dict[str, tuple[str, ...]] = {
    DirectorySort.REPUTATION: ("-reputation", "display_name", "pk"),
    DirectorySort.NAME: ("display_name", "pk"),
    DirectorySort.NEWEST: ("-date_joined", "-pk"),
}


def directory_ordering(sort: str) -> tuple[str, ...]:
    return DIRECTORY_ORDERINGS.get(sort, DIRECTORY_ORDERINGS[DirectorySort.REPUTATION])


def member_directory(*, filters: DirectoryFilters) -> QuerySet[User]:
    """Members who chose to be listed, searched and filtered, in `directory_ordering(filters.sort)`;
    paginate with `core.pagination.keyset_page` on that ordering (one query per page)."""
    members = User.objects.filter(is_active=True, listed_in_directory=True)
    if filters.q.strip():
        words = filters.q.strip()
        members = members.filter(
            Q(display_name__icontains=words) | Q(skills__contains=[words.lower()]) | Q(bio__icontains=words)
        )
    if filters.country:
        members = members.filter(country=filters.country.upper())
    if filters.skill.strip():
        members = members.filter(skills__contains=[filters.skill.strip().lower()])
    if filters.experience:
        members = members.filter(experience=filters.experience)
    return members.order_by(*directory_ordering(filters.sort))


def leaderboard(*, country: str = "", skill: str = "", limit: int = 50) -> list[User]:
    """The members with the most reputation, overall or within a country or skill."""
    members = User.objects.filter(is_active=True, listed_in_directory=True, reputation__gt=0)
    if country:
        members = members.filter(country=country.upper())
    if skill:
        members = members.filter(skills__contains=[skill.strip().lower()])
    return list(members.order_by("-reputation", "display_name", "pk")[:limit])


def member_profile(*, pk: int) -> User:
    """An active member's public profile with follower counts (404 for unknown or inactive)."""
    member = User.objects.filter(pk=pk, is_active=True).first()
    if member is None:
        raise Http404
    user_type = ContentType.objects.get_for_model(User)
    followers = Follow.objects.filter(content_type=user_type, object_id=member.pk).count()
    member.follower_count = followers  # type: ignore[attr-defined]
    return member


def reputation_entries(*, user: User, limit: int = 50) -> list[ReputationEntry]:
    return list(ReputationEntry.objects.filter(user=user).order_by("-created_at", "-pk")[:limit])


@dataclass(frozen=True)
class ReputationRow:
    """One reputation row as a viewer may see it: `points` is None where it would tell a hidden prize."""

    created_at: datetime
    reason: str
    reason_label: str
    points: int | None


def reputation_rows_for(*, member: User, viewer: Any, limit: int = 10) -> list[ReputationRow]:
    """The member's latest reputation rows for `viewer`.

    Award points grow with the prize, so "+55 Award won" would tell a prize of about 3,000 euros.
    When the member hides their earnings, everyone but themselves and staff sees their award rows
    without points (the total score stays public, as on the leaderboard).
    """
    may_see_earnings = (
        member.show_earnings or getattr(viewer, "pk", None) == member.pk or getattr(viewer, "is_staff", False)
    )
    return [
        ReputationRow(
            created_at=entry.created_at,
            reason=entry.reason,
            reason_label=entry.get_reason_display(),
            points=None if entry.reason == ReputationReason.AWARD and not may_see_earnings else entry.points,
        )
        for entry in reputation_entries(user=member, limit=limit)
    ]


# --- Follows ------------------------------------------------------------------------------------


def follower_ids(*, obj: Any) -> list[int]:
    content_type = ContentType.objects.get_for_model(type(obj))
    return list(
        Follow.objects.filter(content_type=content_type, object_id=obj.pk).values_list("follower_id", flat=True)
    )


def follower_ids_by_object(*, model: type[Any], object_ids: Iterable[int]) -> dict[int, list[int]]:
    """`follower_ids` of many objects of one model in one query: {object id: follower ids}."""
    content_type = ContentType.objects.get_for_model(model)
    followers: dict[int, list[int]] = {}
    rows = Follow.objects.filter(content_type=content_type, object_id__in=list(object_ids))
    for object_id, follower_id in rows.values_list("object_id", "follower_id"):
        followers.setdefault(object_id, []).append(follower_id)
    return followers


def is_following(*, user: Any, obj: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    content_type = ContentType.objects.get_for_model(type(obj))
    return Follow.objects.filter(follower=user, content_type=content_type, object_id=obj.pk).exists()


FOLLOW_ORDERING = ("-created_at", "-pk")


def follows_of(*, user: User) -> QuerySet[Follow]:
    return Follow.objects.filter(follower=user).select_related("content_type").order_by(*FOLLOW_ORDERING)


# --- Comments -----------------------------------------------------------------------------------


THREAD_PAGE_SIZE = 30
THREAD_ORDERING = ("created_at", "pk")
# Replies shown under one top-level comment per page; the rest are counted (`.more_replies`) and
# read a page at a time with `comment_replies`.
REPLIES_PER_COMMENT = 50


def comment_thread(*, obj: Any, cursor: str | None = None, size: int = THREAD_PAGE_SIZE) -> KeysetPage:
    """One page of `obj`'s top-level comments, oldest first (keyset on `created_at, pk`), each with
    `.reply_list` (its first REPLIES_PER_COMMENT replies, oldest first) and `.more_replies`.

    Two queries whatever the thread's length: the page of top-level comments with their authors,
    and the replies of that page with theirs."""
    content_type = ContentType.objects.get_for_model(type(obj))
    top = Comment.objects.filter(content_type=content_type, object_id=obj.pk, parent__isnull=True).select_related(
        "author"
    )
    page = keyset_page(top, ordering=THREAD_ORDERING, cursor=cursor, size=size)
    by_id: dict[int, Comment] = {}
    for comment in page.object_list:
        comment.reply_list = []
        comment.more_replies = 0
        by_id[comment.pk] = comment
    if by_id:
        replies = (
            Comment.objects.filter(parent_id__in=list(by_id))
            .select_related("author")
            .annotate(
                position=Window(RowNumber(), partition_by=[F("parent_id")], order_by=[F("created_at"), F("pk")]),
                siblings=Window(Count("pk"), partition_by=[F("parent_id")]),
            )
            .filter(position__lte=REPLIES_PER_COMMENT)
            .order_by("parent_id", "created_at", "pk")
        )
        for reply in replies:
            parent = by_id[reply.parent_id]  # type: ignore[index]
            parent.reply_list.append(reply)  # type: ignore[attr-defined]
            parent.more_replies = max(0, reply.siblings - REPLIES_PER_COMMENT)  # type: ignore[attr-defined]
    return page


def comment_replies(*, parent: Comment, cursor: str | None = None, size: int = REPLIES_PER_COMMENT) -> KeysetPage:
    """One page of the replies to `parent`, oldest first: how the replies past the first
    REPLIES_PER_COMMENT of a comment are read (`replies_after` gives the cursor that follows them)."""
    replies = Comment.objects.filter(parent=parent).select_related("author")
    return keyset_page(replies, ordering=THREAD_ORDERING, cursor=cursor, size=size)


def thread_comment(*, obj: Any, pk: int) -> Comment:
    """The top-level comment `pk` of `obj`'s thread; 404 when it is not one (a reply, another
    target's comment, or none)."""
    content_type = ContentType.objects.get_for_model(type(obj))
    comment = Comment.objects.filter(pk=pk, content_type=content_type, object_id=obj.pk, parent__isnull=True).first()
    if comment is None:
        raise Http404
    return comment


def replies_after(reply: Comment) -> str:
    """The `comment_replies` cursor of the replies that follow `reply`."""
    return encode_cursor([reply.created_at, reply.pk])


def thread_cursor_for(comment: Comment, *, size: int = THREAD_PAGE_SIZE) -> str | None:
    """The `comment_thread` cursor of the page (as paged from the first) that shows `comment`
    (None: the first page), so a posted or edited comment is shown where it is. Runs after a
    write only: it counts the top-level comments before it (an index-only scan)."""
    top_id = comment.parent_id or comment.pk
    top = Comment.objects.filter(pk=top_id).values("created_at", "content_type_id", "object_id").first()
    if top is None:
        return None
    earlier = Comment.objects.filter(
        Q(created_at__lt=top["created_at"]) | Q(created_at=top["created_at"], pk__lt=top_id),
        content_type_id=top["content_type_id"],
        object_id=top["object_id"],
        parent__isnull=True,
    )
    position = earlier.count()
    if position < size:
        return None
    start = position - position % size
    before = earlier.order_by(*THREAD_ORDERING).values_list("created_at", "pk")[start - 1 : start].first()
    return encode_cursor(list(before)) if before else None


def comment_count(*, obj: Any, limit: int = 1000) -> tuple[int, bool]:
    """How many comments `obj` has (replies included), counted up to `limit` (an index-only scan)."""
    content_type = ContentType.objects.get_for_model(type(obj))
    return bounded_count(Comment.objects.filter(content_type=content_type, object_id=obj.pk), limit=limit)


# --- Notifications --------------------------------------------------------------------------------


UNREAD_COUNT_LIMIT = 99


class BoundedCount(int):
    """A count that stopped at its limit: compares and pluralises as the limit, shows as "99+"."""

    more: bool = False

    def __new__(cls, value: int, more: bool = False) -> "BoundedCount":
        count = super().__new__(cls, value)
        count.more = more
        return count

    def __str__(self) -> str:
        return f"{int(self)}+" if self.more else str(int(self))


def notification_unread_count(*, user: User) -> BoundedCount:
    """Unread notifications up to 99 ("99+" beyond): at most 100 entries of the partial unread
    index, however many thousands a member has."""
    count, more = bounded_count(
        Notification.objects.filter(recipient=user, read_at__isnull=True), limit=UNREAD_COUNT_LIMIT
    )
    return BoundedCount(count, more)


NOTIFICATION_ORDERING = ("-created_at", "-pk")


def notifications_for(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    notifications = Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications


# --- Activity feed ------------------------------------------------------------------------------


@dataclass
class Activity:
    when: datetime
    kind: str  # "comment" or "notification"
    actor: User | None
    target_title: str
    url: str
    text: str = ""
    comment: Comment | None = None
    extra: dict[str, Any] = field(default_factory=dict)


FEED_FOLLOWS = 500


def activity_feed(*, user: User, limit: int = 20) -> list[Activity]:
    """What happened in what the member follows: comments on followed targets and by followed
    members (only where the member may see the target), and their own notifications, newest first.

    Queries: follows, comments, notifications, plus one per kind of target for the permission check
    (`visible_objects`). The newest FEED_FOLLOWS follows count, so the feed stays one bounded query.
    """
    from community.notifications import notification_text

    follows = list(
        Follow.objects.filter(follower=user)
        .order_by("-created_at", "-pk")
        .values_list("content_type_id", "object_id")[:FEED_FOLLOWS]
    )
    user_type = ContentType.objects.get_for_model(User)
    followed_members = [object_id for content_type_id, object_id in follows if content_type_id == user_type.pk]
    # One condition per kind of target (`object_id = ANY(...)`), not one per follow: the SQL and
    # the Python that builds it stay small however many targets the member follows.
    followed_by_type: dict[int, list[int]] = {}
    for content_type_id, object_id in follows:
        if content_type_id != user_type.pk:
            followed_by_type.setdefault(content_type_id, []).append(object_id)
    on_targets = Q()
    for content_type_id, object_ids in followed_by_type.items():
        on_targets |= Q(content_type_id=content_type_id, object_id__in=object_ids)
    wanted = Q(author_id__in=followed_members) if followed_members else Q()
    if on_targets:
        wanted = wanted | on_targets if followed_members else on_targets
    items: list[Activity] = []
    if followed_members or on_targets:
        comments = list(
            Comment.objects.filter(wanted, is_hidden=False)
            .exclude(author=user)
            .select_related("author")
            .order_by("-created_at", "-pk")[:limit]
        )
        visible = visible_objects(user=user, pairs=[(c.content_type_id, c.object_id) for c in comments])
        for comment in comments:
            found = visible.get((comment.content_type_id, comment.object_id))
            if found is None:
                continue
            target, obj = found
            items.append(
                Activity(
                    when=comment.created_at,
                    kind="comment",
                    actor=comment.author,
                    target_title=target.title(obj),
                    url=f"{target.url(obj)}#comment-{comment.pk}",
                    comment=comment,
                )
            )
    seen_urls = {item.url for item in items}
    for notification in notifications_for(user=user)[:limit]:
        if notification.url and notification.url in seen_urls:
            continue
        items.append(
            Activity(
                when=notification.created_at,
                kind="notification",
                actor=None,
                target_title="",
                url=notification.url,
                text=notification_text(notification.kind, notification.context),
            )
        )
    items.sort(key=lambda item: item.when, reverse=True)
    return items[:limit]


# --- Personal API tokens ------------------------------------------------------------------------


def api_tokens_of(*, user: Any) -> QuerySet[ApiToken]:
    """The member's own tokens, newest first (active, expired and revoked alike)."""
    if not getattr(user, "pk", None):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user_id=user.pk).order_by("-created_at", "-pk")


def api_token_for_owner(*, user: Any, pk: int) -> ApiToken:
    """One of the member's own tokens; 404 for anyone else's, so their existence does not leak."""
    token = api_tokens_of(user=user).filter(pk=pk).first()
    if token is None:
        raise Http404
    return token


def api_token_by_prefix(*, prefix: str) -> ApiToken | None:
    """The token a presented secret names, with its member (for authentication only)."""
    return ApiToken.objects.select_related("user").filter(prefix=prefix).first()
