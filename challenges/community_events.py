"""Community hooks of the challenges app: what members can comment on and follow, and the
notifications challenge events cause. Imported by `ChallengesConfig.ready()`.

Event keys are built from the events' own ids (transition, assignment, phase and deadline), so an
event announced twice notifies nobody twice (`community.services.notify` is idempotent per key).
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from challenges import signals
from challenges.models import Challenge, JudgeAssignment, Phase, PhaseStatus
from challenges.selectors import challenges_visible_to
from community import targets
from community.models import User
from community.notifications import register_kind
from community.selectors import follower_ids, follower_ids_by_object, user_by_confirmed_email
from community.services import NotificationEvent, notify, notify_many

CHALLENGE_PUBLISHED = register_kind(
    "challenge_published",
    label=_("A followed member published a challenge"),
    sentence=_("%(actor)s published the challenge “%(challenge)s”."),
)
PUBLISHED_WITH_PHASES = _("“%(challenge)s” is published with %(phases)s phase(s).")
# A phase added to a challenge already published: the same kind (members who muted one muted both),
# told apart by its context naming the phase.
PHASE_ADDED = _("A new phase “%(phase)s” was added to “%(challenge)s”.")
PHASE_PUBLISHED = register_kind(
    "phase_published",
    label=_("A followed challenge published its phases"),
    sentence=lambda context: PHASE_ADDED if "phase" in context else PUBLISHED_WITH_PHASES,
)
PHASE_OPENED = register_kind(
    "phase_opened",
    label=_("A phase opened for entries"),
    sentence=_("The phase “%(phase)s” of “%(challenge)s” is open for entries."),
)
PHASE_CLOSING_SOON = register_kind(
    "phase_closing_soon",
    label=_("A phase closes in 24 hours"),
    sentence=_("The phase “%(phase)s” of “%(challenge)s” closes %(deadline)s."),
)
JUDGE_INVITED = register_kind(
    "judge_invited",
    label=_("An invitation to judge"),
    sentence=_("You are invited to judge “%(challenge)s”."),
)


def challenge_can_view(user: Any, challenge: Challenge) -> bool:
    return challenges_visible_to(user).filter(pk=challenge.pk).exists()


def phase_url(phase: Phase) -> str:
    return reverse("challenges:phase", kwargs={"slug": phase.challenge.slug, "pk": phase.pk})


def phase_can_view(user: Any, phase: Phase) -> bool:
    return challenges_visible_to(user).filter(pk=phase.challenge_id).exists()


targets.register(
    Challenge,
    can_view=challenge_can_view,
    url=lambda challenge: challenge.get_absolute_url(),
    title=lambda challenge: challenge.title,
    visible=challenges_visible_to,
)
targets.register(
    Phase,
    can_view=phase_can_view,
    url=lambda phase: phase_url(phase),
    title=lambda phase: f"{phase.challenge.title}: {phase.title}",
    followable=False,
    visible=lambda user: Phase.objects.filter(challenge__in=challenges_visible_to(user)).select_related("challenge"),
)


def _followers_who_see(challenge: Challenge, ids: list[int] | None = None) -> list[int]:
    """Followers of the challenge (`ids`, if already read) who may still read it (an invite-only
    one may have shut them out)."""
    ids = follower_ids(obj=challenge) if ids is None else ids
    if challenge.published_at is not None and not challenge.invite_only:
        return ids
    return [user.pk for user in User.objects.filter(pk__in=ids) if challenge_can_view(user, challenge)]


@receiver(signals.challenge_published, dispatch_uid="community.challenge_published")
def on_challenge_published(sender: Any, *, challenge_id: int, **kwargs: Any) -> None:
    challenge = Challenge.objects.select_related("owner").get(pk=challenge_id)
    context = {"challenge": challenge.title, "phases": challenge.phases.count(), "actor": challenge.owner.public_name}
    key = f"challenge-published:{challenge.pk}"
    url = challenge.get_absolute_url()
    notify(
        recipient_ids=_followers_who_see(challenge),
        kind=PHASE_PUBLISHED,
        event_key=key,
        context=context,
        url=url,
    )
    if not challenge.invite_only:
        notify(
            recipient_ids=follower_ids(obj=challenge.owner),
            kind=CHALLENGE_PUBLISHED,
            event_key=key,
            context=context,
            url=url,
            actor_id=challenge.owner_id,
        )


@receiver(signals.phase_added, dispatch_uid="community.phase_added")
def on_phase_added(sender: Any, *, phase_id: int, **kwargs: Any) -> None:
    """A phase added to a published challenge is news for its followers (the phases there at
    publication were announced with it)."""
    phase = Phase.objects.select_related("challenge__owner").get(pk=phase_id)
    challenge = phase.challenge
    notify(
        recipient_ids=_followers_who_see(challenge),
        kind=PHASE_PUBLISHED,
        event_key=f"phase-published:{phase.pk}",
        context={"challenge": challenge.title, "phase": phase.title, "actor": challenge.owner.public_name},
        url=phase_url(phase),
    )


@receiver(signals.phases_transitioned, dispatch_uid="community.phases_transitioned")
def on_phases_transitioned(sender: Any, *, moves: list[signals.PhaseMove], **kwargs: Any) -> None:
    """Followers are told when a phase opens; a whole batch of moves (the scheduler's) in three queries."""
    opened = {move.phase_id: move.transition_id for move in moves if move.to_status == PhaseStatus.OPEN}
    if not opened:
        return
    rows = list(
        Phase.objects.filter(pk__in=opened)
        .order_by("pk")
        .values_list("pk", "title", "closes_at", "challenge_id", "challenge__slug", "challenge__title",
                     "challenge__published_at", "challenge__invite_only")
    )  # fmt: skip
    followers = follower_ids_by_object(model=Challenge, object_ids={row[3] for row in rows})
    who_see: dict[int, list[int]] = {}
    events = []
    for pk, title, closes_at, challenge_id, slug, challenge_title, published_at, invite_only in rows:
        if challenge_id not in who_see:
            ids = followers.get(challenge_id, [])
            if published_at is None or invite_only:  # rare: each follower's access is checked
                ids = _followers_who_see(Challenge.objects.get(pk=challenge_id), ids)
            who_see[challenge_id] = ids
        events.append(
            NotificationEvent(
                recipient_ids=who_see[challenge_id],
                kind=PHASE_OPENED,
                event_key=f"phase-opened:{opened[pk]}",
                context={"challenge": challenge_title, "phase": title, "closes_at": closes_at.isoformat()},
                url=reverse("challenges:phase", kwargs={"slug": slug, "pk": pk}),
            )
        )
    notify_many(events=events)


@receiver(signals.judge_invited, dispatch_uid="community.judge_invited")
def on_judge_invited(sender: Any, *, assignment_id: int, challenge_id: int, email: str, **kwargs: Any) -> None:
    """Tell the member who has confirmed the invited address (an unconfirmed one is told nothing: the
    invitation e-mail reaches whoever reads that mailbox)."""
    assignment = JudgeAssignment.objects.select_related("challenge", "judge").filter(pk=assignment_id).first()
    if assignment is None:
        return  # withdrawn before this ran
    judge = assignment.judge or user_by_confirmed_email(email)
    if judge is None or not judge.is_active:
        return  # not a member yet, or not confirmed: the invitation e-mail of the challenges app reaches them
    notify(
        recipient_ids=[judge.pk],
        kind=JUDGE_INVITED,
        event_key=f"judge-invited:{assignment_id}",
        context={"challenge": assignment.challenge.title},
        url=reverse("challenges:invitation", kwargs={"token": assignment.token}),
        actor_id=assignment.invited_by_id,
    )


def phases_closing_soon_notify(*, now: Any = None) -> int:
    """Tell the followers of each open phase's challenge once that it closes within
    COMMUNITY_CLOSING_SOON_HOURS; keyed by phase and deadline (a moved deadline is a new event)."""
    now = now or timezone.now()
    horizon = now + timedelta(hours=settings.COMMUNITY_CLOSING_SOON_HOURS)
    phases = Phase.objects.filter(Q(status=PhaseStatus.OPEN), closes_at__gt=now, closes_at__lte=horizon).select_related(
        "challenge"
    )
    created = 0
    for phase in phases:
        created += notify(
            recipient_ids=_followers_who_see(phase.challenge),
            kind=PHASE_CLOSING_SOON,
            event_key=f"phase-closing:{phase.pk}:{int(phase.closes_at.timestamp())}",
            context={
                "challenge": phase.challenge.title,
                "phase": phase.title,
                "closes_at": phase.closes_at.isoformat(),
            },
            url=phase_url(phase),
        )
    return created
