"""Reads of the submissions app, with their permission checks.

`entries_visible_to` is the one visibility rule (sealing) every page and API goes through:

- staff see every entry;
- the authors of an entry see it in every state;
- the accepted judges of the challenge see its submitted and disqualified entries;
- everyone who may read the challenge sees a submitted entry once it is public: at once in an
  unsealed challenge, once the phase has left `open` (judging, awarded, closed, cancelled) in a
  sealed one (the default).
"""

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from blueprints.models import Blueprint, File, FileStatus, Revision
from challenges.lifecycle import Role
from challenges.models import (
    Challenge,
    ChallengeStatus,
    Criterion,
    JudgeAssignment,
    JudgeStatus,
    Phase,
    PhaseDependency,
    PhaseStatus,
    Prize,
)
from challenges.selectors import challenge_roles, challenges_visible_to, judge_may_score
from community.models import User
from community.selectors import AnyUser, claimed_emails_of, signed_in_member
from core.exceptions import ApplicationError
from core.models import subquery_count
from core.pagination import KeysetPage, decode_cursor, encode_cursor, keyset_page
from submissions.lineage import entry_ancestors
from submissions.models import (
    Acceptance,
    Award,
    AwardedBy,
    AwardShare,
    Entry,
    EntryAuthor,
    EntryRevision,
    EntryStatus,
    JudgingRules,
    PhaseJudgingRules,
    Recusal,
    Score,
    ShareKind,
    UnscoredConfirmation,
    Vote,
)
from submissions.ranking import EntryFacts, Ranked, ScoreFacts, rank_entries
from submissions.splits import AuthorShare, Line, prize_lines, split_exactly

SEALED_WHILE = (PhaseStatus.SCHEDULED, PhaseStatus.OPEN)
# Statuses whose entries count towards a member's limit (withdrawn ones and drafts do not).
COUNTED_STATUSES = (EntryStatus.SUBMITTED, EntryStatus.DISQUALIFIED)
# Authorships that count towards a member's limit: a declined co-authorship is no authorship.
COUNTED_ACCEPTANCES = (Acceptance.ACCEPTED, Acceptance.INVITED)


# --- Rules ------------------------------------------------------------------------------------


def judging_rules_for(challenge: Challenge) -> JudgingRules:
    """The challenge's declared rules, or the defaults (an unsaved row) when it declared none."""
    return JudgingRules.objects.filter(challenge=challenge).first() or JudgingRules(challenge=challenge)


def phase_rules_for(phase: Phase) -> PhaseJudgingRules:
    return PhaseJudgingRules.objects.filter(phase=phase).first() or PhaseJudgingRules(phase=phase)


# --- Visibility -------------------------------------------------------------------------------


def entries_visible_to(user: AnyUser | None) -> QuerySet[Entry]:
    entries = Entry.objects.all()
    member = signed_in_member(user)
    if member is not None and member.is_staff:
        return entries
    public = (
        Q(status=EntryStatus.SUBMITTED)
        & (Q(phase__challenge__sealed_entries=False) | ~Q(phase__status__in=SEALED_WHILE))
        & Q(phase__challenge__in=challenges_visible_to(member))
    )
    if member is None:
        return entries.filter(public)
    authored = Exists(EntryAuthor.objects.filter(entry=OuterRef("pk"), user=member))
    judging = Exists(
        JudgeAssignment.objects.filter(
            challenge=OuterRef("phase__challenge"), judge=member, status=JudgeStatus.ACCEPTED
        )
    )
    judged = judging & Q(status__in=[EntryStatus.SUBMITTED, EntryStatus.DISQUALIFIED])
    return entries.filter(public | authored | judged)


def is_sealed(phase: Phase) -> bool:
    """Whether the phase's entries are sealed now (only their authors, the judges and staff see them)."""
    return phase.challenge.sealed_entries and phase.status in SEALED_WHILE


def entry_visible(*, user: AnyUser | None, pk: int) -> Entry:
    """The entry if `user` may see it; 404 otherwise (a sealed entry looks absent)."""
    entry = (
        entries_visible_to(user)
        .select_related("phase__challenge__owner", "lead_author", "revision__blueprint__owner")
        .filter(pk=pk)
        .first()
    )
    if entry is None:
        raise Http404
    return entry


def entry_can_view(user: AnyUser | None, entry: Entry) -> bool:
    return entries_visible_to(user).filter(pk=entry.pk).exists()


def entry_author_ids(entry: Entry) -> list[int]:
    return list(EntryAuthor.objects.filter(entry=entry).order_by("-is_lead", "pk").values_list("user_id", flat=True))


@dataclass(frozen=True)
class EntryDetail:
    """An entry as its page shows it: the entry and what was read about it for `user`."""

    entry: Entry
    authors: list[EntryAuthor]  # the lead first
    files: list[File]  # of the entry's current revision, by name
    history: list[EntryRevision]  # the revisions it pointed at, oldest first
    vote_count: int
    voted: bool  # `user` voted for it
    is_author: bool  # `user` is one of its authors
    awards: list[Award]
    builds_on: list[Entry]


def entry_detail(*, user: AnyUser | None, pk: int) -> EntryDetail:
    """A visible entry with its authors, files, history, votes, awards and the entries it builds on,
    in a fixed number of queries."""
    entry = entry_visible(user=user, pk=pk)
    authors = list(entry.authors.select_related("user").order_by("-is_lead", "pk"))
    member = signed_in_member(user)
    return EntryDetail(
        entry=entry,
        authors=authors,
        files=list(File.objects.filter(revision=entry.revision).order_by("original_name")),
        history=list(entry.revision_history.select_related("revision__blueprint", "set_by").order_by("set_at", "pk")),
        vote_count=entry.votes.count(),
        voted=bool(member and entry.votes.filter(voter=member).exists()),
        is_author=bool(member and any(author.user_id == member.pk for author in authors)),
        awards=list(entry.awards.all()),
        builds_on=list(entry.builds_on.select_related("lead_author")),
    )


def vote_count() -> Coalesce:
    """The entry's votes as a correlated subquery (`core.models.subquery_count`): PostgreSQL evaluates it
    for the rows a page returns (after LIMIT), where `Count("votes")` would join and group every entry first."""
    return subquery_count(Vote.objects.filter(entry=OuterRef("pk")))


def _authors_prefetch() -> Prefetch:
    # An explicit order: `EntryAuthor`'s Meta.ordering starts with `entry`, which would join entry,
    # phase and challenge (their default orderings) only to sort a handful of author rows.
    return Prefetch(
        "authors", queryset=EntryAuthor.objects.select_related("user").order_by("entry_id", "-is_lead", "pk")
    )


def _with_listing(entries: QuerySet[Entry]) -> QuerySet[Entry]:
    """What an API row shows of an entry: its authors, blueprint and vote count (no files)."""
    return (
        entries.select_related("lead_author", "revision__blueprint")
        .prefetch_related(_authors_prefetch())
        .annotate(vote_count=vote_count())
    )


def _with_cards(entries: QuerySet[Entry]) -> QuerySet[Entry]:
    """What an entry card shows: the listing and the files of its revision (the cover preview)."""
    return _with_listing(entries).prefetch_related(
        Prefetch("revision__files", queryset=File.objects.order_by("revision_id", "original_name"))
    )


# The order of a phase's gallery (submitted entries only, so `submitted_at` is set): the index
# `submissions_entry_phase_idx` (phase, status, submitted_at) serves it.
GALLERY_ORDER = ("submitted_at", "pk")
# Lists across phases, newest first. Drafts have no `submitted_at`: they sort by their creation.
LIST_ORDER = ("-listed_at", "-pk")
PAGE_SIZE = 24


def with_listed_at(entries: QuerySet[Entry]) -> QuerySet[Entry]:
    """`listed_at` = submitted (or, for a draft, created): the NOT NULL key of `LIST_ORDER`, the
    expression of the index `submissions_entry_listed_idx`."""
    return entries.annotate(listed_at=Coalesce("submitted_at", "created_at"))


def phase_gallery(*, user: AnyUser | None, phase: Phase) -> QuerySet[Entry]:
    """The submitted entries of a phase `user` may see, with what a card shows, in constant queries
    (page it: `keyset_page(..., ordering=GALLERY_ORDER)`)."""
    entries = entries_visible_to(user).filter(phase=phase, status=EntryStatus.SUBMITTED)
    return _with_cards(entries).order_by(*GALLERY_ORDER)


def phase_gallery_page(*, user: AnyUser | None, phase: Phase, cursor: str | None, size: int = PAGE_SIZE) -> KeysetPage:
    return keyset_page(phase_gallery(user=user, phase=phase), ordering=GALLERY_ORDER, cursor=cursor, size=size)


def entries_of_member_page(*, user: User, cursor: str | None, size: int = PAGE_SIZE) -> KeysetPage:
    """A page of the entries `user` is an author of, drafts and withdrawn ones included, each with
    `user`'s authorship (`my_authorship`: to answer a co-author invitation) and its waiting co-authors."""
    mine = Entry.objects.filter(Exists(EntryAuthor.objects.filter(entry=OuterRef("pk"), user=user)))
    mine = (
        _with_listing(mine)
        .select_related("phase__challenge")
        .defer("statement", "phase__brief", "phase__challenge__description", "phase__challenge__duties")
    )
    page = keyset_page(mine, ordering=("-created_at", "-pk"), cursor=cursor, size=size)
    for entry in page:
        authors = list(entry.authors.all())
        entry.my_authorship = next(a for a in authors if a.user_id == user.pk)
        entry.co_author_problems = co_author_problems(authors=authors)
    return page


def entries_of_member(*, user: User) -> list[Entry]:
    """The first page of `entries_of_member_page` (for tools and tests)."""
    return list(entries_of_member_page(user=user, cursor=None, size=1000))


def entry_list(*, user: AnyUser | None, phase_id: int | None = None, mine: bool = False) -> QuerySet[Entry]:
    """Entries `user` may see, newest first (page it: `keyset_page(..., ordering=LIST_ORDER)`)."""
    member = signed_in_member(user)
    entries = entries_visible_to(user)
    if mine:
        entries = (
            entries.filter(Exists(EntryAuthor.objects.filter(entry=OuterRef("pk"), user=member)))
            if member
            else entries.none()
        )
    if phase_id is not None:
        entries = entries.filter(phase_id=phase_id)
    return with_listed_at(_with_listing(entries)).order_by(*LIST_ORDER)


# --- Eligibility ------------------------------------------------------------------------------


@dataclass
class Eligibility:
    """Whether a member may enter a phase (with a revision), and if not, every reason why."""

    reasons: dict[str, str] = field(default_factory=dict)
    entries_left: int = 0

    @property
    def ok(self) -> bool:
        return not self.reasons

    def refuse(self, code: str, message: str) -> None:
        self.reasons.setdefault(code, message)


def _is_judge_of(user: User, challenge_id: int) -> bool:
    """Invited or accepted (a declined invitation is not a judge). This only refuses, so an invitation
    to any address the member claims counts, confirmed or not (one they confirm later would make them
    a judge of a phase they entered)."""
    claimed = Q(email=user.email.lower()) | Q(email__in=claimed_emails_of(user))
    return (
        JudgeAssignment.objects.filter(challenge_id=challenge_id)
        .filter(Q(judge=user) | (Q(judge__isnull=True) & claimed))
        .exclude(status=JudgeStatus.DECLINED)
        .exists()
    )


def counted_entries(*, user: User, phase: Phase) -> QuerySet[Entry]:
    """The entries that use up the member's limit in the phase: those they lead or co-author (unless
    they declined), submitted or disqualified, upload not rejected. Each entry once."""
    rejected = Exists(File.objects.filter(revision=OuterRef("revision"), status=FileStatus.REJECTED))
    # From the member's authorships (a handful), not from the phase's entries (thousands).
    authored = EntryAuthor.objects.filter(user=user, acceptance__in=COUNTED_ACCEPTANCES).values("entry_id")
    return Entry.objects.filter(pk__in=authored, phase=phase, status__in=COUNTED_STATUSES).exclude(rejected)


def revision_problems(*, revision: Revision, lead: User) -> dict[str, str]:
    """What keeps `revision` from being entered by `lead`: it must be a published revision of a
    blueprint the lead author owns (co-authors agree to an entry; they do not lend their designs)."""
    problems: dict[str, str] = {}
    blueprint = revision.blueprint
    if not revision.is_published or revision.is_hidden or blueprint.is_hidden:
        problems["revision_not_published"] = _("Only a published revision can be entered.")
    if blueprint.owner_id != lead.pk:
        problems["revision_not_yours"] = _("The blueprint must be one of your own (the lead author's).")
    statuses = list(File.objects.filter(revision=revision).values_list("status", flat=True))
    if not statuses or any(status != FileStatus.READY for status in statuses):
        problems["files_not_ready"] = _("Every file of the revision must be checked and ready.")
    return problems


def co_author_problems(*, authors: list[EntryAuthor]) -> dict[str, str]:
    """What keeps an entry with these authors (users loaded) from being submitted: every co-author
    must have accepted it and its shares."""
    problems: dict[str, str] = {}
    declined = [a.user.public_name for a in authors if a.acceptance == Acceptance.DECLINED]
    waiting = [a.user.public_name for a in authors if a.acceptance == Acceptance.INVITED]
    if declined:
        problems["co_author_declined"] = _(
            "%(names)s declined to be a co-author. Change the co-authors before you submit the entry."
        ) % {"names": ", ".join(declined)}
    if waiting:
        problems["co_authors_pending"] = _(
            "The entry can be submitted once every co-author has accepted it (still waiting for %(names)s)."
        ) % {"names": ", ".join(waiting)}
    return problems


def builds_on_choices(*, phase: Phase) -> list[Entry]:
    """The winning entries of the phases this one depends on that an entry may build on.

    The owner may name them (`PhaseDependency.builds_on_entries`); otherwise every awarded entry of
    the required phases counts.
    """
    requirements = list(PhaseDependency.objects.filter(phase=phase))
    if not requirements:
        return []
    named = {pk for requirement in requirements for pk in requirement.builds_on_entries}
    awarded = Entry.objects.filter(
        awards__phase_id__in=[requirement.required_id for requirement in requirements]
    ).select_related("lead_author", "phase")
    if named:
        awarded = awarded.filter(pk__in=named)
    return list(awarded.order_by("phase__position", "awards__rank"))


def entry_eligibility(
    *,
    user: AnyUser | None,
    phase: Phase,
    revision: Revision | None = None,
    co_authors: list[User] | None = None,
    builds_on_ids: list[int] | None = None,
    now: datetime | None = None,
) -> Eligibility:
    """Every rule for entering `phase`, checked at once; the pages show the reasons before a member tries.

    Without a revision (or builds-on choice) only the rules about the member and the phase are checked.
    """
    result = Eligibility()
    member = signed_in_member(user)
    if member is None:
        result.refuse("sign_in", _("Sign in to enter this phase."))
        return result
    now = now or timezone.now()
    challenge = phase.challenge
    if not challenges_visible_to(member).filter(pk=challenge.pk).exists():
        result.refuse("not_visible", _("This challenge is not open to you."))
        return result
    if phase.status != PhaseStatus.OPEN or phase.closes_at <= now or challenge.status != ChallengeStatus.OPEN:
        result.refuse("phase_not_open", _("This phase is not taking entries."))
    authors = [member, *(co_authors or [])]
    for author in authors:
        is_self = author.pk == member.pk
        if author.pk == challenge.owner_id:
            result.refuse(
                "owner" if is_self else "co_author_owner",
                _("The challenge's owner cannot enter it.")
                if is_self
                else _("The challenge's owner cannot be a co-author."),
            )
        elif _is_judge_of(author, challenge.pk):
            result.refuse(
                "judge" if is_self else "co_author_judge",
                _("Judges of a challenge cannot enter it.") if is_self else _("A judge cannot be a co-author."),
            )
    used = counted_entries(user=member, phase=phase).count()
    result.entries_left = max(phase.entry_limit - used, 0)
    if used >= phase.entry_limit:
        result.refuse("limit", _("You have used all %(limit)s entries of this phase.") % {"limit": phase.entry_limit})
    for co_author in co_authors or []:
        if counted_entries(user=co_author, phase=phase).count() >= phase.entry_limit:
            result.refuse(
                "co_author_limit",
                _("%(name)s has used all %(limit)s entries of this phase.")
                % {"name": co_author.public_name, "limit": phase.entry_limit},
            )
    if revision is not None:
        for code, message in revision_problems(revision=revision, lead=member).items():
            result.refuse(code, message)
    if builds_on_ids is not None:
        choices = {entry.pk for entry in builds_on_choices(phase=phase)}
        if choices and not builds_on_ids:
            result.refuse("builds_on_missing", _("Say which winning entry of the earlier phase this one builds on."))
        elif set(builds_on_ids) - choices:
            result.refuse("builds_on_invalid", _("An entry can only build on the winners of the phases it depends on."))
    return result


def revisions_enterable_by(*, user: User) -> list[Revision]:
    """The member's published revisions, newest first, with their files (to show which are ready)."""
    return list(
        Revision.objects.filter(blueprint__owner=user, is_published=True, is_hidden=False, blueprint__is_hidden=False)
        .select_related("blueprint")
        .prefetch_related(Prefetch("files", queryset=File.objects.order_by("original_name")))
        .order_by("-published_at", "-pk")
    )


# --- Judging ----------------------------------------------------------------------------------


def may_rank(*, user: AnyUser | None, challenge: Challenge) -> bool:
    """Judges, the owner and staff see scores, progress and the ranking (of the entries they may see:
    the owner sees none of a sealed phase while it is open)."""
    return bool(challenge_roles(user=user, challenge=challenge) & {Role.JUDGE, Role.OWNER, Role.STAFF})


def award_refusal(*, user: AnyUser | None, challenge: Challenge, rules: JudgingRules | None = None) -> str | None:
    """Why `user` may not award the challenge's prizes, or None if they may.

    Staff always may; the owner and the judges as the challenge's rules say, a judge only after
    declaring no conflict of interest (as for scoring).
    """
    roles = challenge_roles(user=user, challenge=challenge)
    rules = rules or judging_rules_for(challenge)
    if Role.STAFF in roles:
        return None
    if Role.OWNER in roles and rules.awarded_by in (AwardedBy.OWNER, AwardedBy.BOTH):
        return None
    member = signed_in_member(user)
    if member is not None and Role.JUDGE in roles and rules.awarded_by in (AwardedBy.JUDGES, AwardedBy.BOTH):
        if judge_may_score(user=member, challenge_id=challenge.pk):
            return None
        return _("Only judges who declared no conflict of interest may award the prizes.")
    return _("You may not award the prizes of this phase.")


def may_award(*, user: AnyUser | None, challenge: Challenge, rules: JudgingRules | None = None) -> bool:
    return award_refusal(user=user, challenge=challenge, rules=rules) is None


def phases_to_judge(*, user: User) -> list[Phase]:
    """The phases of challenges `user` judges (accepted) that are taking entries or being judged."""
    submitted = Entry.objects.filter(phase=OuterRef("pk"), status=EntryStatus.SUBMITTED)
    judged = JudgeAssignment.objects.filter(challenge=OuterRef("challenge"), judge=user, status=JudgeStatus.ACCEPTED)
    return list(
        Phase.objects.filter(Exists(judged), status__in=[PhaseStatus.OPEN, PhaseStatus.JUDGING])
        .select_related("challenge")
        .defer("brief", "challenge__description", "challenge__duties")
        .annotate(entry_count=subquery_count(submitted))
        .order_by("closes_at", "pk")
    )


@dataclass
class QueueItem:
    entry: Entry
    scored: int
    criteria: int
    recused: bool
    own: bool

    @property
    def done(self) -> bool:
        return self.recused or self.own or self.scored >= self.criteria


@dataclass
class JudgeProgress:
    judge: User
    scored: int  # entries with every criterion scored
    recused: int
    total: int

    @property
    def remaining(self) -> int:
        return max(self.total - self.scored - self.recused, 0)


QUEUE_SIZE = 50


def judge_queue(*, user: User, phase: Phase, size: int = QUEUE_SIZE) -> list[QueueItem]:
    """The first `size` of the phase's submitted entries for one judge, unscored first.

    The order needs every entry's state (ids and counts only, three narrow queries); the entries
    themselves are loaded for the items listed."""
    criteria = Criterion.objects.filter(phase=phase).count()
    ids = list(_ranked_entries(user, phase).order_by("pk").values_list("pk", flat=True))
    scored: dict[int, int] = dict(
        Score.objects.filter(judge=user, entry__phase=phase)
        .order_by()
        .values("entry_id")
        .annotate(n=Count("pk"))
        .values_list("entry_id", "n")
    )
    recused = set(Recusal.objects.filter(judge=user, entry__phase=phase).values_list("entry_id", flat=True))
    own = set(EntryAuthor.objects.filter(user=user, entry__phase=phase).values_list("entry_id", flat=True))

    def done(pk: int) -> bool:
        return pk in recused or pk in own or scored.get(pk, 0) >= criteria

    listed = sorted(ids, key=lambda pk: (done(pk), pk))[:size]
    entries = Entry.objects.only("pk", "title").in_bulk(listed)
    return [
        QueueItem(
            entry=entries[pk],
            scored=scored.get(pk, 0),
            criteria=criteria,
            recused=pk in recused,
            own=pk in own,
        )
        for pk in listed
    ]


def _ranked_entries(user: AnyUser | None, phase: Phase) -> QuerySet[Entry]:
    """The phase's submitted entries `user` may see: all for judges and staff, none of a sealed
    phase for its owner while it is open."""
    return entries_visible_to(user).filter(phase=phase, status=EntryStatus.SUBMITTED)


def panel_progress_for_viewer(*, user: AnyUser | None, phase: Phase) -> list[JudgeProgress]:
    """The panel's progress over the entries `user` may see (pages and APIs use this one)."""
    return _panel_progress(phase, _ranked_entries(user, phase))


def panel_progress(*, phase: Phase) -> list[JudgeProgress]:
    """Every accepted judge's progress over every submitted entry, sealed or not (no viewer: for tools)."""
    return _panel_progress(phase, Entry.objects.filter(phase=phase, status=EntryStatus.SUBMITTED))


def _panel_progress(phase: Phase, submitted: QuerySet[Entry]) -> list[JudgeProgress]:
    """Every accepted judge's progress on the `submitted` entries: fully scored, recused from, in total."""
    criteria = Criterion.objects.filter(phase=phase).count()
    total = submitted.count()
    judges = [
        assignment.judge
        for assignment in JudgeAssignment.objects.filter(challenge_id=phase.challenge_id, status=JudgeStatus.ACCEPTED)
        .select_related("judge")
        .order_by("created_at")
        if assignment.judge is not None
    ]
    per_entry = (
        Score.objects.filter(entry__in=submitted.values("pk")).values("judge_id", "entry_id").annotate(n=Count("pk"))
    )
    complete: dict[int, int] = defaultdict(int)
    for row in per_entry:
        if criteria and row["n"] >= criteria:
            complete[row["judge_id"]] += 1
    recused: dict[int, int] = defaultdict(int)
    for judge_id in Recusal.objects.filter(entry__in=submitted.values("pk")).values_list("judge_id", flat=True):
        recused[judge_id] += 1
    return [
        JudgeProgress(judge=judge, scored=complete[judge.pk], recused=recused[judge.pk], total=total)
        for judge in judges
    ]


def scores_of_judge(*, user: User, entry: Entry) -> dict[int, Score]:
    return {score.criterion_id: score for score in Score.objects.filter(judge=user, entry=entry)}


@dataclass
class RankedEntry:
    entry: Entry
    ranked: Ranked
    shortlisted: bool

    @property
    def total(self) -> Decimal | None:
        return _decimal(self.ranked.total)

    @property
    def judges_score(self) -> Decimal | None:
        return _decimal(self.ranked.judges_score)

    @property
    def vote_score(self) -> Decimal | None:
        return _decimal(self.ranked.vote_score)


def _decimal(value: Fraction | None) -> Decimal | None:
    if value is None:
        return None
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.001"))


def phase_ranking_for_viewer(*, user: AnyUser | None, phase: Phase) -> list[RankedEntry]:
    """The ranking of the entries `user` may see (pages and APIs use this one)."""
    return _phase_ranking(phase, _ranked_entries(user, phase))


def phase_ranking(*, phase: Phase) -> list[RankedEntry]:
    """The ranking of every submitted entry, sealed or not (no viewer: for services and tools)."""
    return _phase_ranking(phase, Entry.objects.filter(phase=phase, status=EntryStatus.SUBMITTED))


def _phase_ranking(phase: Phase, submitted: QuerySet[Entry]) -> list[RankedEntry]:
    """The `submitted` entries of the phase in ranking order (see `submissions.ranking`), in constant queries.

    Exact, so it reads every submitted entry's scores and votes, but only narrow columns: each
    entry as (id, title, times, vote count), no authors, files or challenge rows."""
    rules = phase_rules_for(phase)
    entries = {
        entry.pk: entry
        for entry in submitted.order_by()
        .only("pk", "title", "submitted_at", "created_at", "phase_id")
        .annotate(vote_count=vote_count())
    }
    weights = dict(Criterion.objects.filter(phase=phase).values_list("pk", "weight"))
    recused = set(Recusal.objects.filter(entry__phase=phase).values_list("judge_id", "entry_id"))
    scores = [
        ScoreFacts(judge_id=judge_id, entry_id=entry_id, criterion_id=criterion_id, value=value)
        for judge_id, entry_id, criterion_id, value in Score.objects.filter(entry__phase=phase)
        .order_by()
        .values_list("judge_id", "entry_id", "criterion_id", "value")
        if (judge_id, entry_id) not in recused and criterion_id in weights and entry_id in entries
    ]
    facts = [
        EntryFacts(entry_id=entry.pk, submitted_at=entry.submitted_at or entry.created_at, votes=entry.vote_count)
        for entry in entries.values()
    ]
    ranked = rank_entries(facts, scores, weights, Fraction(rules.vote_share_percent, 100))
    return [
        RankedEntry(entry=entries[row.entry_id], ranked=row, shortlisted=row.position <= rules.shortlist_size)
        for row in ranked
    ]


RANKING_PAGE_SIZE = 50
AWARD_CHOICES = 100


def ranking_page(rows: list[RankedEntry], *, cursor: str | None, size: int = RANKING_PAGE_SIZE) -> KeysetPage:
    """A page of a computed ranking: the cursor is the last position shown (the ranking is exact,
    so it is computed whole; what is listed is one page)."""
    decoded = decode_cursor(cursor, width=1)
    start = 0
    backwards = False
    if decoded and isinstance(decoded[0][0], int) and decoded[0][0] >= 0:
        start, backwards = decoded[0][0], decoded[1]
        if backwards:
            start = max(start - size, 0)
    listed = rows[start : start + size]
    page = KeysetPage(object_list=listed, has_previous=start > 0, has_next=start + size < len(rows))
    if page.has_next:
        page.next_cursor = encode_cursor([start + size])
    if page.has_previous and start > 0:
        page.previous_cursor = encode_cursor([start], backwards=True)
    return page


# --- Awards -----------------------------------------------------------------------------------


def awards_of_phases(*, phase_ids: list[int]) -> dict[int, list[Award]]:
    """The awards of the phases with their entries and splits, in two queries."""
    awards = (
        Award.objects.filter(phase_id__in=phase_ids)
        .select_related("entry__lead_author", "entry__revision__blueprint")
        .prefetch_related(
            Prefetch(
                "shares",
                queryset=AwardShare.objects.select_related("recipient", "source_blueprint").order_by(
                    "generation", "pk"
                ),
            )
        )
        .order_by("phase_id", "rank")
    )
    by_phase: dict[int, list[Award]] = defaultdict(list)
    for award in awards:
        by_phase[award.phase_id].append(award)
    return by_phase


def awards_visible_to(user: AnyUser | None) -> QuerySet[Award]:
    """Awards are public wherever the challenge is (an awarded phase has left `open`)."""
    return Award.objects.filter(phase__challenge__in=challenges_visible_to(user))


def votes_of(*, user: AnyUser | None, entry_ids: list[int]) -> set[int]:
    member = signed_in_member(user)
    if member is None or not entry_ids:
        return set()
    return set(Vote.objects.filter(voter=member, entry_id__in=entry_ids).values_list("entry_id", flat=True))


# --- Safe judging: readiness, the split of a prize, and the confirmation of awards -------------


@dataclass
class Readiness:
    """Whether the phase may be awarded: every eligible entry scored by the panel, or the entries
    still unscored covered by a confirmation (who, when, why)."""

    total: int
    unscored: list[Entry]
    confirmation: UnscoredConfirmation | None

    @property
    def scored(self) -> int:
        return self.total - len(self.unscored)

    @property
    def covered(self) -> bool:
        """The entries unscored now are all in the latest confirmation."""
        if self.confirmation is None:
            return False
        confirmed = set(self.confirmation.entry_ids)
        return all(entry.pk in confirmed for entry in self.unscored)

    @property
    def ready(self) -> bool:
        return not self.unscored or self.covered

    @property
    def unscored_ids(self) -> list[int]:
        return sorted(entry.pk for entry in self.unscored)


def judging_readiness(*, phase: Phase) -> Readiness:
    """Which submitted entries the panel has not finished scoring, in constant queries.

    The panel is every accepted judge who has not declared a conflict with the challenge. An entry
    is scored when each of them scored every criterion of it, is recused from it or wrote it, and
    at least one of them scored it (an entry no one may judge is unscored)."""
    entries = list(
        Entry.objects.filter(phase=phase, status=EntryStatus.SUBMITTED).only("pk", "title", "phase_id").order_by("pk")
    )
    criteria = Criterion.objects.filter(phase=phase).count()
    panel = set(
        JudgeAssignment.objects.filter(
            challenge_id=phase.challenge_id, status=JudgeStatus.ACCEPTED, has_conflict=False, judge__isnull=False
        ).values_list("judge_id", flat=True)
    )
    complete = {
        (judge_id, entry_id)
        for judge_id, entry_id, n in Score.objects.filter(entry__phase=phase, entry__status=EntryStatus.SUBMITTED)
        .order_by()
        .values("judge_id", "entry_id")
        .annotate(n=Count("pk"))
        .values_list("judge_id", "entry_id", "n")
        if criteria and n >= criteria
    }
    excused = set(Recusal.objects.filter(entry__phase=phase).values_list("judge_id", "entry_id"))
    excused |= set(EntryAuthor.objects.filter(entry__phase=phase, user_id__in=panel).values_list("user_id", "entry_id"))
    unscored = []
    for entry in entries:
        judged = [judge for judge in panel if (judge, entry.pk) in complete]
        pending = [judge for judge in panel if (judge, entry.pk) not in complete and (judge, entry.pk) not in excused]
        if pending or not judged:
            unscored.append(entry)
    confirmation = (
        UnscoredConfirmation.objects.filter(phase=phase).select_related("confirmed_by").order_by("-confirmed_at", "-pk")
    ).first()
    return Readiness(total=len(entries), unscored=unscored, confirmation=confirmation)


def may_confirm_unscored(*, user: AnyUser | None, challenge: Challenge) -> bool:
    """A judge of the panel (conflicts declared, none found), the owner or staff may confirm that
    entries stay unscored."""
    roles = challenge_roles(user=user, challenge=challenge)
    if roles & {Role.OWNER, Role.STAFF}:
        return True
    member = signed_in_member(user)
    return member is not None and Role.JUDGE in roles and judge_may_score(user=member, challenge_id=challenge.pk)


@dataclass(frozen=True)
class PreviewShare:
    recipient: User
    kind: str
    generation: int
    source_blueprint: Blueprint | None
    amount: Decimal

    @property
    def kind_label(self) -> str:
        return str(ShareKind(self.kind).label)


@dataclass(frozen=True)
class PreviewPrize:
    rank: int
    amount: Decimal
    currency: str
    entry: Entry | None  # None: not awarded, the money stays in the budget
    shares: list[PreviewShare]


@dataclass(frozen=True)
class AwardPreview:
    """Exactly what awarding these choices would do, and a fingerprint of it (with the ranking and
    the unscored entries it was decided on): the confirmation carries it, the award refuses if it differs."""

    phase: Phase
    prizes: list[PreviewPrize]
    readiness: Readiness
    fingerprint: str

    @property
    def awarded(self) -> list[PreviewPrize]:
        return [prize for prize in self.prizes if prize.entry is not None]

    @property
    def kept(self) -> list[PreviewPrize]:
        return [prize for prize in self.prizes if prize.entry is None]


def prize_split(*, entry: Entry, rules: JudgingRules, amount: Decimal) -> list[tuple[Line, Decimal]]:
    """Who would receive what of `amount` won by `entry`: its authors by their shares, and the
    lineage share to the authors of the revisions it was forked from (`submissions.splits`)."""
    authors = [
        AuthorShare(user_id=author.user_id, percent=author.share, is_lead=author.is_lead)
        for author in entry.authors.order_by("-is_lead", "pk")
    ]
    ancestors = (
        entry_ancestors(entry=entry, generations=rules.lineage_generations) if rules.lineage_share_percent else []
    )
    lines = prize_lines(
        authors=authors,
        ancestors=ancestors,
        lineage_percent=rules.lineage_share_percent,
        generations=rules.lineage_generations,
    )
    return split_exactly(amount, lines)


def check_award_choices(choices: Sequence[tuple[int, int]], prizes: dict[int, Prize]) -> None:
    """(rank, entry id) pairs: at least one, each rank and entry once, ranks of the prize table."""
    if not choices:
        raise ApplicationError(_("Assign at least one prize."), {"awards": [_("Assign at least one prize.")]})
    ranks = [rank for rank, _entry in choices]
    entries = [entry for _rank, entry in choices]
    if len(set(ranks)) != len(ranks):
        message = _("Each prize rank is awarded once.")
        raise ApplicationError(message, {"awards": [message]})
    if len(set(entries)) != len(entries):
        message = _("An entry wins at most one prize of a phase.")
        raise ApplicationError(message, {"awards": [message]})
    beyond = sorted(rank for rank in ranks if rank not in prizes)
    if beyond:
        message = _("This phase's prize table has no rank %(ranks)s.") % {"ranks": ", ".join(map(str, beyond))}
        raise ApplicationError(message, {"awards": [message]})


def award_entries(*, phase: Phase, entry_ids: Sequence[int]) -> dict[int, Entry]:
    """The submitted entries of the phase among `entry_ids`; any other id is refused."""
    entries = Entry.objects.filter(pk__in=list(entry_ids), phase=phase, status=EntryStatus.SUBMITTED).select_related(
        "revision"
    )
    found = {entry.pk: entry for entry in entries}
    missing = [pk for pk in entry_ids if pk not in found]
    if missing:
        message = _("Only submitted entries of this phase can win its prizes.")
        raise ApplicationError(message, {"awards": [message], "entries": missing})
    return found


def award_preview(*, phase: Phase, choices: Sequence[tuple[int, int]]) -> AwardPreview:
    """What awarding `choices` ((rank, entry id) pairs) would do: each prize's winner and split, the
    prizes kept in the budget, and the fingerprint of it all. Refuses choices the award would refuse."""
    prizes = {prize.rank: prize for prize in Prize.objects.filter(phase=phase)}
    check_award_choices(choices, prizes)
    entries = award_entries(phase=phase, entry_ids=[entry for _rank, entry in choices])
    rules = judging_rules_for(phase.challenge)
    currency = phase.challenge.currency
    winner_of = dict(choices)
    splits: dict[int, list[tuple[Line, Decimal]]] = {
        rank: prize_split(entry=entries[winner_of[rank]], rules=rules, amount=prizes[rank].amount) for rank in winner_of
    }
    lines = [line for split in splits.values() for line, _amount in split]
    users = User.objects.in_bulk({line.recipient_id for line in lines})
    blueprints = Blueprint.objects.in_bulk({line.source_blueprint_id for line in lines if line.source_blueprint_id})
    rows = [
        PreviewPrize(
            rank=rank,
            amount=prizes[rank].amount,
            currency=currency,
            entry=entries[winner_of[rank]] if rank in winner_of else None,
            shares=[
                PreviewShare(
                    recipient=users[line.recipient_id],
                    kind=line.kind,
                    generation=line.generation,
                    source_blueprint=blueprints.get(line.source_blueprint_id) if line.source_blueprint_id else None,
                    amount=amount,
                )
                for line, amount in splits.get(rank, [])
            ],
        )
        for rank in sorted(prizes)
    ]
    readiness = judging_readiness(phase=phase)
    ranking = [(row.entry.pk, str(row.ranked.total)) for row in phase_ranking(phase=phase)]
    content = {
        "phase": phase.pk,
        "currency": currency,
        "prizes": [
            [
                prize.rank,
                str(prize.amount),
                prize.entry.pk if prize.entry else None,
                [[s.recipient.pk, s.kind, s.generation, str(s.amount)] for s in prize.shares],
            ]
            for prize in rows
        ],
        "ranking": ranking,
        "unscored": readiness.unscored_ids,
        "confirmation": readiness.confirmation.pk if readiness.confirmation else None,
    }
    fingerprint = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:40]
    return AwardPreview(phase=phase, prizes=rows, readiness=readiness, fingerprint=fingerprint)
