"""Reads of the challenges app, with their permission checks.

Views and APIs fetch challenges only through these: `challenges_visible_to` decides who reads
what, `challenge_for_editor` who writes.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Sum, prefetch_related_objects
from django.http import Http404
from django.utils import timezone

from challenges.lifecycle import Role
from challenges.models import (
    BriefVersion,
    Challenge,
    ChallengeInvitation,
    ChallengeStatus,
    JudgeAssignment,
    JudgeStatus,
    Phase,
    PhaseDependency,
    PhaseHold,
    PhaseStatus,
    PhaseTransition,
    Prize,
)
from community.models import User
from community.selectors import (
    AnyUser,
    claimed_emails_of,
    confirmed_emails_of,
    has_confirmed_email,
    signed_in_member,
)


def challenge_roles(*, user: AnyUser | None, challenge: Challenge) -> set[Role]:
    """What `user` is to `challenge`: owner, accepted judge and/or staff."""
    member = signed_in_member(user)
    roles: set[Role] = set()
    if member is None:
        return roles
    if member.is_staff:
        roles.add(Role.STAFF)
    if challenge.owner_id == member.pk:
        roles.add(Role.OWNER)
    if JudgeAssignment.objects.filter(challenge=challenge, judge=member, status=JudgeStatus.ACCEPTED).exists():
        roles.add(Role.JUDGE)
    return roles


def challenges_visible_to(user: AnyUser | None) -> QuerySet[Challenge]:
    """Everyone reads published challenges, except invite-only ones; those only invited members.

    Owners read their own at every stage; judges read the challenges they are invited to (to
    decide whether to accept); staff read everything. An invitation counts only through an address
    the member has confirmed (or, for a judge, once it is bound to them).
    """
    challenges = Challenge.objects.all()
    member = signed_in_member(user)
    public = Q(published_at__isnull=False, invite_only=False)
    if member is None:
        return challenges.filter(public)
    if member.is_staff:
        return challenges
    invited = Exists(
        ChallengeInvitation.objects.filter(challenge=OuterRef("pk"), email__in=confirmed_emails_of(member))
    )
    judging = Exists(
        JudgeAssignment.objects.filter(challenge=OuterRef("pk"))
        .filter(sent_to_member(member))
        .exclude(status=JudgeStatus.DECLINED)
    )
    return challenges.filter(public | Q(owner=member) | (Q(published_at__isnull=False) & invited) | judging)


def sent_to_member(member: User) -> Q:
    """Judge assignments of `member`: bound to them, or still unbound and sent to an address they
    have confirmed. An address someone merely typed in at sign-up binds nothing (the services store
    invited addresses lower-cased, as `confirmed_emails_of` yields them)."""
    return Q(judge=member) | Q(judge__isnull=True, email__in=confirmed_emails_of(member))


def challenge_visible(*, user: AnyUser | None, pk: int | None = None, slug: str | None = None) -> Challenge:
    """The challenge if `user` may read it; 404 otherwise (its existence stays private)."""
    lookup: dict[str, object] = {"pk": pk} if pk is not None else {"slug": slug}
    challenge = challenges_visible_to(user).select_related("owner").filter(**lookup).first()
    if challenge is None:
        raise Http404
    return challenge


def challenge_for_editor(*, user: AnyUser | None, pk: int | None = None, slug: str | None = None) -> Challenge:
    """The challenge if `user` may edit it (its owner or staff): 404 if unseen, 403 if only readable."""
    challenge = challenge_visible(user=user, pk=pk, slug=slug)
    if not challenge_roles(user=user, challenge=challenge) & {Role.OWNER, Role.STAFF}:
        raise PermissionDenied
    return challenge


def phase_visible(*, user: AnyUser | None, pk: int) -> Phase:
    phase = Phase.objects.select_related("challenge", "challenge__owner").filter(pk=pk).first()
    if phase is None or not challenges_visible_to(user).filter(pk=phase.challenge_id).exists():
        raise Http404
    return phase


def phases_with_details() -> QuerySet[Phase]:
    """Phases with everything a page or API shows of them, in a fixed number of queries."""
    return Phase.objects.order_by("position").prefetch_related(
        Prefetch("prizes", queryset=Prize.objects.order_by("rank")),
        "criteria",
        Prefetch("requirements", queryset=PhaseDependency.objects.select_related("required")),
    )


# --- Lists ------------------------------------------------------------------------------------


@dataclass
class ChallengeFilters:
    status: str = ""
    vehicle_type: str = ""
    open_phase_kind: str = ""
    budget_min: Decimal | None = None
    budget_max: Decimal | None = None
    currency: str = ""
    q: str = ""
    mine: bool = False


def challenge_list(
    *, user: AnyUser | None, filters: ChallengeFilters, published_only: bool = True
) -> QuerySet[Challenge]:
    """Challenges `user` may read, filtered; each with its owner and phases in constant queries."""
    challenges = challenges_visible_to(user)
    member = signed_in_member(user)
    if filters.mine:
        challenges = challenges.filter(owner=member) if member else challenges.none()
    elif published_only:
        challenges = challenges.filter(published_at__isnull=False)
    if filters.status:
        challenges = challenges.filter(status=filters.status)
    if filters.vehicle_type:
        challenges = challenges.filter(vehicle_type=filters.vehicle_type)
    if filters.open_phase_kind:
        challenges = challenges.filter(
            Exists(
                Phase.objects.filter(challenge=OuterRef("pk"), kind=filters.open_phase_kind, status=PhaseStatus.OPEN)
            )
        )
    if filters.currency:
        challenges = challenges.filter(currency=filters.currency)
    if filters.budget_min is not None:
        challenges = challenges.filter(budget__gte=filters.budget_min)
    if filters.budget_max is not None:
        challenges = challenges.filter(budget__lte=filters.budget_max)
    if filters.q.strip():
        # The same expression as the GIN index `challenges_search_idx`, so the index serves it.
        vector = SearchVector("title", "summary", "region", "description", config="simple")
        challenges = challenges.annotate(search=vector).filter(
            search=SearchQuery(filters.q.strip(), config="simple", search_type="websearch")
        )
    return (
        challenges.select_related("owner")
        .prefetch_related(Prefetch("phases", queryset=Phase.objects.order_by("challenge_id", "position")))
        .order_by(*challenge_list_order(filters))
    )


# Published challenges, newest first (index `challenges_published_idx`); my own, drafts included
# (no `published_at` yet), by creation (index `challenges_owner_created_idx`).
PUBLISHED_ORDER = ("-published_at", "-pk")
MINE_ORDER = ("-created_at", "-pk")


def challenge_list_order(filters: ChallengeFilters) -> tuple[str, ...]:
    """The keyset ordering of `challenge_list` (NOT NULL fields, ending with pk)."""
    return MINE_ORDER if filters.mine else PUBLISHED_ORDER


def challenge_detail(*, user: AnyUser | None, slug: str | None = None, pk: int | None = None) -> Challenge:
    """A readable challenge with its phases, prizes, criteria, judges and history prefetched (not its
    member invitations: an invite-only challenge may have thousands; they are a keyset page of
    their own API and of the judges step)."""
    challenge = challenge_visible(user=user, slug=slug, pk=pk)
    prefetch_related_objects(
        [challenge],
        Prefetch("phases", queryset=phases_with_details()),
        Prefetch("judge_assignments", queryset=JudgeAssignment.objects.select_related("judge").order_by("created_at")),
        Prefetch("brief_versions", queryset=BriefVersion.objects.order_by("-number")),
    )
    return challenge


def challenge_prize_sum(*, challenge_id: int) -> Decimal:
    total = Prize.objects.filter(phase__challenge_id=challenge_id).aggregate(total=Sum("amount"))["total"]
    return total or Decimal("0.00")


def phase_transitions_visible_to(user: AnyUser | None) -> QuerySet[PhaseTransition]:
    return (
        PhaseTransition.objects.filter(phase__challenge__in=challenges_visible_to(user))
        .select_related("phase", "actor")
        .order_by("created_at", "pk")
    )


# --- Judges -----------------------------------------------------------------------------------


def judge_invitation_by_token(*, token: str) -> JudgeAssignment:
    """The invitation behind the link in the invitation e-mail (whoever opens it: see `judge_may_answer`)."""
    assignment = (
        JudgeAssignment.objects.select_related("challenge", "challenge__owner", "invited_by", "judge")
        .filter(token=token)
        .first()
    )
    if assignment is None:
        raise Http404
    return assignment


def judge_may_answer(*, user: User, assignment: JudgeAssignment) -> bool:
    """Whether `user` answers this invitation: it is bound to them, or unbound and sent to an address
    they have confirmed. Holding the link, or having typed the address in at sign-up, is not enough."""
    if assignment.judge_id is not None:
        return assignment.judge_id == user.pk
    return has_confirmed_email(user, assignment.email)


def judge_invitation_addressed_to(*, user: User, assignment: JudgeAssignment) -> bool:
    """Whether the invitation names `user` by any address they claim, confirmed or not: such a member
    is told to confirm the address (a 403), everyone else learns nothing (a 404)."""
    if assignment.judge_id == user.pk:
        return True
    claimed = {user.email.lower(), *claimed_emails_of(user)}
    return assignment.email.lower() in claimed


def judge_assignment_of(*, user: User, pk: int) -> JudgeAssignment:
    """An assignment of `user` as judge (bound to them, or sent to an address they confirmed)."""
    assignment = (
        JudgeAssignment.objects.select_related("challenge", "challenge__owner")
        .filter(sent_to_member(user), pk=pk)
        .first()
    )
    if assignment is None:
        raise Http404
    return assignment


def judge_may_score(*, user: User, challenge_id: int) -> bool:
    """Whether `user` may score entries of the challenge: accepted, conflicts declared, none declared."""
    return JudgeAssignment.objects.filter(
        challenge_id=challenge_id,
        judge=user,
        status=JudgeStatus.ACCEPTED,
        conflict_declared_at__isnull=False,
        has_conflict=False,
    ).exists()


# --- Dashboard --------------------------------------------------------------------------------


@dataclass
class ActionItem:
    """Something a member should do (or know), with where to do it."""

    kind: str
    challenge: Challenge
    phase: Phase | None = None
    assignment: JudgeAssignment | None = None


@dataclass
class Dashboard:
    challenges: list[Challenge] = field(default_factory=list)
    actions: list[ActionItem] = field(default_factory=list)
    judging: list[JudgeAssignment] = field(default_factory=list)


DASHBOARD_SIZE = 50


def dashboard_for(*, user: User, now: datetime | None = None) -> Dashboard:
    """A member's challenges and what needs their action, in a fixed number of queries."""
    now = now or timezone.now()
    # The newest DASHBOARD_SIZE of each (the challenge list's "mine" filter pages through all).
    mine = list(
        Challenge.objects.filter(owner=user)
        .defer("description", "duties", "regulations", "materials_to_avoid")
        .prefetch_related(
            Prefetch("phases", queryset=Phase.objects.defer("brief").order_by("challenge_id", "position"))
        )
        .order_by(*MINE_ORDER)[:DASHBOARD_SIZE]
    )
    assignments = list(
        JudgeAssignment.objects.filter(sent_to_member(user))
        .exclude(status=JudgeStatus.DECLINED)
        .exclude(challenge__status__in=[ChallengeStatus.COMPLETED, ChallengeStatus.CANCELLED])
        .select_related("challenge")
        .defer("challenge__description", "challenge__duties", "challenge__regulations")
        .order_by("-created_at", "-pk")[:DASHBOARD_SIZE]
    )
    dashboard = Dashboard(challenges=mine, judging=assignments)
    for challenge in mine:
        if challenge.status == ChallengeStatus.DRAFT:
            dashboard.actions.append(ActionItem("finish_draft", challenge))
        elif challenge.status == ChallengeStatus.FUNDING:
            dashboard.actions.append(ActionItem("awaiting_funding", challenge))
        for phase in challenge.phases.all():
            if phase.hold == PhaseHold.DEPENDENCIES:
                dashboard.actions.append(ActionItem("phase_waiting", challenge, phase))
            elif phase.hold == PhaseHold.DATES_PASSED:
                dashboard.actions.append(ActionItem("phase_needs_dates", challenge, phase))
            elif phase.status == PhaseStatus.JUDGING and phase.judging_ends_at < now:
                dashboard.actions.append(ActionItem("judging_overdue", challenge, phase))
    for assignment in assignments:
        if assignment.status == JudgeStatus.INVITED:
            dashboard.actions.append(ActionItem("judge_invitation", assignment.challenge, assignment=assignment))
        elif assignment.conflict_declared_at is None:
            dashboard.actions.append(ActionItem("declare_conflicts", assignment.challenge, assignment=assignment))
    return dashboard
