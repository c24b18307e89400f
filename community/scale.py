"""Community-scale data of the community app (`manage.py seed_scale`): members with confirmed
addresses first (`seed`); once the other apps have said what exists, comments, follows,
notifications and reputation (`finish`).

The apps above put into `plan.shared`:
- `comment_targets`: (content type id, object id, title, url, created) of what members comment on;
- `showcase_comments`: {(content type id, object id): number of comments} for the showcase objects;
- `follow_targets`: (content type id, object id) of what members may follow;
- `notices`: (recipient, kind, event key, context, url, actor, created) of events they announced;
- `reputation`: (member, reason, source key, points, amount, currency, created) of points granted.
"""

from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django_countries import countries
from psycopg.types.json import Jsonb

from community.models import Comment, Follow, Notification, ReputationEntry, User
from community.notifications import CommunityKind
from core.scale import FIRST_NAMES, LAST_NAMES, PASSWORD, SHOWCASE_EMAILS, Plan

SKILLS = (
    "CAD", "surfacing", "sketching", "rendering", "aerodynamics", "ergonomics", "composites",
    "electrics", "suspension", "packaging", "clay modelling", "FEA", "CFD", "prototyping",
)  # fmt: skip
TIME_ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "America/Sao_Paulo", "Africa/Lagos")


def seed(plan: Plan) -> None:
    rng = plan.rng
    count = max(plan.size("members"), 8)
    codes = sorted(code for code, _name in countries)
    chosen = rng.sample(codes, k=min(plan.size("countries"), count, len(codes)))
    # A few countries hold most members, as in any community (every chosen country has some).
    weights = [1 / (rank + 1) ** 0.9 for rank in range(len(chosen))]
    plan.defer_indexes(User)
    password = make_password(PASSWORD)
    first = plan.reserve_ids(User, count)
    specials = {
        first: ("staff", "Scale Staff"),
        first + 1: ("client", "Scale Client"),
        first + 2: ("judge", "Scale Judge"),
        first + 3: ("member", "Scale Member"),
    }
    ids = list(range(first, first + count))
    names: dict[int, str] = {}
    emails: dict[int, str] = {}
    rows: list[tuple[Any, ...]] = []
    for index, pk in enumerate(ids):
        country = chosen[index] if index < len(chosen) else rng.choices(chosen, weights)[0]
        if pk in specials:
            role, name = specials[pk]
            email = SHOWCASE_EMAILS[role]
        else:
            given, family = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            name = f"{given} {family}"
            email = f"{given.lower()}.{family.lower()}.{pk}@example.net"
        names[pk] = name
        emails[pk] = email
        joined = plan.between(plan.ago(4 * 365), plan.ago(400))
        is_staff = pk == first
        rows.append(
            (
                pk, password, None, is_staff, email, name, country,
                rng.sample(SKILLS, k=rng.randint(0, 4)), rng.choice(("professional", "enthusiast")),
                plan.sentence() if rng.random() < 0.4 else "", "", rng.choice(TIME_ZONES),
                rng.choice(("en", "en", "en", "de")), rng.choice(("immediate", "daily", "off")), [],
                rng.random() < 0.2, rng.random() < 0.95, 0, is_staff, True, joined,
            )
        )  # fmt: skip
    plan.copy(
        User,
        [
            "id", "password", "last_login", "is_superuser", "email", "display_name", "country", "skills",
            "experience", "bio", "avatar", "time_zone", "preferred_language", "email_frequency",
            "email_muted_kinds", "show_earnings", "listed_in_directory", "reputation", "is_staff", "is_active",
            "date_joined",
        ],
        rows,
    )  # fmt: skip
    plan.copy(
        "account_emailaddress",
        ["user_id", "email", "verified", "primary"],
        ((pk, emails[pk], True, True) for pk in ids),
    )
    plan.shared.update(
        members=ids,
        member_names=names,
        member_emails=emails,
        staff_id=first,
        client_id=first + 1,
        judge_id=first + 2,
        member_id=first + 3,
        comment_targets=[],
        showcase_comments={},
        follow_targets=[],
        notices=[],
        reputation=[],
        showcase={
            "password": PASSWORD,
            "emails": dict(SHOWCASE_EMAILS),
            "member_ids": {"staff": first, "client": first + 1, "judge": first + 2, "member": first + 3},
        },
    )


def finish(plan: Plan) -> None:
    plan.defer_indexes(Comment, Follow, Notification, ReputationEntry)
    comments_by_target = _comments(plan)
    follows = _follows(plan, comments_by_target)
    _notifications(plan, comments_by_target, follows)
    _write_follows(plan)
    _reputation(plan)


# --- Comments ---------------------------------------------------------------------------------


def _comments(plan: Plan) -> dict[tuple[int, int], list[tuple[int, int, Any, str]]]:
    """Write the comments; returns (comment id, author, created) per target, oldest first."""
    rng = plan.rng
    members = plan.shared["members"]
    staff = plan.shared["staff_id"]
    targets = plan.shared["comment_targets"]
    fixed: dict[tuple[int, int], int] = plan.shared["showcase_comments"]
    total = plan.size("comments")
    info = {(ct, pk): (title, url, created) for ct, pk, title, url, created in targets}
    counts: dict[tuple[int, int], int] = defaultdict(int)
    counts.update(fixed)
    rest = max(0, total - sum(fixed.values()))
    others = [(ct, pk) for ct, pk, *_rest in targets if (ct, pk) not in fixed]
    if others and rest:
        # Some targets are much discussed, none more than the showcase objects.
        weights = [min(rng.paretovariate(1.3), 40.0) for _ in others]
        for key in rng.choices(others, weights, k=rest):
            counts[key] += 1
    first = plan.reserve_ids(Comment, sum(counts.values()))
    by_target: dict[tuple[int, int], list[tuple[int, int, Any, str]]] = {}
    replies: list[tuple[int, tuple[int, int], tuple[int, int, Any, str]]] = []
    plan.shared["comment_info"] = info
    plan.shared["comment_replies"] = replies

    def rows() -> Any:
        pk = first
        for key in sorted(counts):
            number = counts[key]
            created_from = info[key][2]
            moments = sorted(plan.between(created_from, plan.now) for _ in range(number))
            written: list[tuple[int, int, Any, str]] = []
            top_level: list[tuple[int, int]] = []
            for moment in moments:
                author = rng.choice(members)
                parent, parent_author = rng.choice(top_level) if top_level and rng.random() < 0.25 else (None, None)
                body = plan.sentence(5, 30)
                hidden = rng.random() < 0.005
                yield (
                    pk, key[0], key[1], author, parent, body, f"<p>{body}</p>", moment, None, hidden,
                    "Off-topic advertising." if hidden else "", staff if hidden else None,
                    moment + timedelta(hours=2) if hidden else None,
                )  # fmt: skip
                if parent is None:
                    top_level.append((pk, author))
                elif parent_author is not None and parent_author != author and not hidden:
                    replies.append((parent_author, key, (pk, author, moment, body)))
                if not hidden:
                    written.append((pk, author, moment, body))
                pk += 1
            by_target[key] = written

    plan.copy(
        Comment,
        [
            "id", "content_type_id", "object_id", "author_id", "parent_id", "body", "body_html", "created_at",
            "edited_at", "is_hidden", "hidden_reason", "hidden_by_id", "hidden_at",
        ],
        rows(),
    )  # fmt: skip
    return by_target


# --- Follows ----------------------------------------------------------------------------------


def _follows(
    plan: Plan, comments: dict[tuple[int, int], list[tuple[int, int, Any, str]]]
) -> dict[tuple[int, int], list[int]]:
    """Write the follows; returns the followers of each target."""
    rng = plan.rng
    members = plan.shared["members"]
    member = plan.shared["member_id"]
    user_type = ContentType.objects.get_for_model(User).pk
    targets = plan.shared["follow_targets"]
    pairs: set[tuple[int, int, int]] = set()
    followers: dict[tuple[int, int], list[int]] = defaultdict(list)

    def add(follower: int, key: tuple[int, int]) -> None:
        if (follower, *key) not in pairs and not (key[0] == user_type and key[1] == follower):
            pairs.add((follower, *key))
            followers[key].append(follower)

    # The showcase member follows the showcase objects, then the most discussed targets until the
    # comments on what they follow make their notifications.
    quota = plan.size("showcase_member_notifications")
    followable = {(ct, pk) for ct, pk in targets}
    heard = 0
    showcase_keys = [key for key in plan.shared["showcase_comments"] if key in followable]
    ranked = showcase_keys + sorted(
        (key for key in comments if key in followable and key not in showcase_keys),
        key=lambda key: (-len(comments[key]), key),
    )
    for key in ranked:
        if heard >= quota and key not in showcase_keys:
            break
        add(member, key)
        heard += sum(1 for _pk, author, _at, _body in comments.get(key, ()) if author != member)
    for followed in rng.sample(members, k=min(50, len(members))):
        add(member, (user_type, followed))
    total = max(plan.size("follows"), len(pairs))
    attempts = 0
    while len(pairs) < total and attempts < total * 3:
        attempts += 1
        follower = rng.choice(members)
        if follower == member:
            continue
        if rng.random() < 0.4 or not targets:
            add(follower, (user_type, rng.choice(members)))
        else:
            add(follower, rng.choice(targets))
    plan.shared["user_type"] = user_type
    plan.shared["follow_pairs"] = pairs
    return followers


def _write_follows(plan: Plan) -> None:
    since = plan.ago(30)
    plan.copy(
        Follow,
        ["follower_id", "content_type_id", "object_id", "created_at"],
        ((follower, ct, pk, plan.between(since, plan.now)) for follower, ct, pk in sorted(plan.shared["follow_pairs"])),
    )


# --- Notifications ----------------------------------------------------------------------------


def _notifications(
    plan: Plan,
    comments: dict[tuple[int, int], list[tuple[int, int, Any, str]]],
    followers: dict[tuple[int, int], list[int]],
) -> None:
    rng = plan.rng
    names = plan.shared["member_names"]
    member = plan.shared["member_id"]
    info = plan.shared["comment_info"]
    user_type = plan.shared["user_type"]
    total = plan.size("notifications")
    quota = plan.size("showcase_member_notifications")
    seen: set[tuple[int, str]] = set()
    rows: list[tuple[Any, ...]] = []

    def add(recipient: int, kind: str, key: str, context: dict[str, Any], url: str, actor: Any, at: Any) -> None:
        if (recipient, key) in seen:
            return
        seen.add((recipient, key))
        read = rng.random() < 0.6
        emailed = rng.random() < 0.3
        rows.append(
            (
                recipient,
                kind,
                key,
                Jsonb(context),
                url,
                actor,
                at,
                at + timedelta(hours=5) if read else None,
                "sent" if emailed else "none",
                at + timedelta(minutes=2) if emailed else None,
            )
        )

    def comment_notice(
        recipient: int, key: tuple[int, int], comment: tuple[int, int, Any, str], reply: bool = False
    ) -> None:
        pk, author, at, body = comment
        title, url, _created = info[key]
        context = {"actor": names[author], "target": title, "excerpt": body[:200]}
        kind, event = (
            (CommunityKind.COMMENT_REPLY, "comment-reply") if reply else (CommunityKind.NEW_COMMENT, "comment")
        )
        add(recipient, kind, f"{event}:{pk}", context, f"{url}#comment-{pk}", author, at)

    # The showcase member's, exactly `quota` of them: comments on what they follow.
    mine = [
        (key, comment)
        for key, people in followers.items()
        if member in people
        for comment in comments.get(key, ())
        if comment[1] != member
    ]
    mine.sort(key=lambda item: item[1][0])
    for key, comment in mine[-quota:]:
        comment_notice(member, key, comment)
    # What the other apps announced, then new followers, then comments on followed targets.
    budget = total - len(rows)
    notices = [notice for notice in plan.shared["notices"] if notice[0] != member]
    rng.shuffle(notices)
    for recipient, kind, key, context, url, actor, at in notices[: budget // 3]:
        add(recipient, kind, key, context, url, actor, at)
    for parent_author, key, comment in plan.shared["comment_replies"]:
        if parent_author != member and len(rows) < total:
            comment_notice(parent_author, key, comment, reply=True)
    for (ct, pk), people in sorted(followers.items()):
        if ct != user_type or len(rows) >= total:
            continue
        for follower in people:
            if pk != member and len(rows) < total:
                add(pk, CommunityKind.NEW_FOLLOWER, f"follow:{follower}:{pk}", {"actor": names[follower]},
                    f"/members/{pk}/", follower, plan.ago(rng.randint(1, 30)))  # fmt: skip
    keys = sorted(key for key in comments if followers.get(key))
    rng.shuffle(keys)
    for key in keys:
        if len(rows) >= total:
            break
        people = [person for person in followers[key] if person != member]
        for comment in comments[key]:
            for person in people:
                if person != comment[1] and len(rows) < total:
                    comment_notice(person, key, comment)
    for recipient, kind, key, context, url, actor, at in notices[budget // 3 :]:
        if len(rows) >= total:
            break
        add(recipient, kind, key, context, url, actor, at)
    # Still short (a small community): more members follow discussed targets and hear of their comments.
    pairs = plan.shared["follow_pairs"]
    discussed = sorted(key for key, written in comments.items() if written)
    attempts = 0
    while len(rows) < total and discussed and attempts < 100 * total:
        attempts += 1
        person, key = rng.choice(plan.shared["members"]), rng.choice(discussed)
        if person == member or (person, *key) in pairs:
            continue
        pairs.add((person, *key))
        for comment in comments[key]:
            if person != comment[1] and len(rows) < total:
                comment_notice(person, key, comment)
    plan.copy(
        Notification,
        [
            "recipient_id", "kind", "event_key", "context", "url", "actor_id", "created_at", "read_at",
            "email_state", "emailed_at",
        ],
        rows,
    )  # fmt: skip


# --- Reputation -------------------------------------------------------------------------------


def _reputation(plan: Plan) -> None:
    seen: set[tuple[int, str]] = set()

    def rows() -> Any:
        for user, reason, key, points, amount, currency, created in plan.shared["reputation"]:
            if (user, key) not in seen:
                seen.add((user, key))
                yield (user, reason, key, points, amount, currency, created)

    plan.copy(
        ReputationEntry, ["user_id", "reason", "source_key", "points", "amount", "currency", "created_at"], rows()
    )
    plan.execute(
        "UPDATE community_user u SET reputation = r.total FROM "
        "(SELECT user_id, sum(points) AS total FROM community_reputationentry GROUP BY user_id) r "
        "WHERE u.id = r.user_id"
    )
