"""Test data for the submissions app, made through the services of every app so every invariant holds."""

import hashlib
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from blueprints import services as blueprint_services
from blueprints.models import Blueprint, File, FileStatus, Revision
from challenges import services as challenge_services
from challenges.models import Challenge, Phase, PhaseStatus
from challenges.services import CriterionData
from challenges.tests.factories import make_challenge, publish
from community.models import User
from core.actors import Actor
from core.exceptions import ApplicationError
from submissions import selectors, services
from submissions.models import Entry
from submissions.services import AwardChoice, CoAuthor, ScoreInput

CRITERIA = (CriterionData("Design", 3), CriterionData("Practicality", 1))


def ready_file(revision: Revision, name: str, *, kind: str = "cad_model", file_type: str = "stl") -> File:
    """A file row as processing leaves it (no bytes in S3): for tests about rules, pages and counts."""
    digest = hashlib.sha256(f"{revision.pk}/{name}".encode()).hexdigest()
    return File.objects.create(
        revision=revision,
        original_name=name,
        file_type=file_type,
        kind=kind,
        content_type="model/stl" if file_type == "stl" else "image/png",
        size=1234,
        sha256=digest,
        storage_key=f"blobs/sha256/{digest}",
        preview_key=f"previews/v1/{digest}.png",
        status=FileStatus.READY,
        triangle_count=12 if kind == "cad_model" else None,
    )


def published_blueprint(owner: User, title: str = "Van concept", *, files: int = 1) -> Blueprint:
    """A blueprint of `owner` with revision 1 published and its files ready."""
    blueprint = blueprint_services.blueprint_create(owner=owner, title=title, category="whole_vehicle")
    draft = blueprint.revisions.get(is_published=False)
    for number in range(files):
        ready_file(draft, f"part-{number}.stl")
    blueprint_services.revision_publish(revision=draft, user=owner)
    blueprint.refresh_from_db()
    return blueprint


def fork_of(parent: Blueprint, owner: User, title: str | None = None) -> Blueprint:
    """A published fork of `parent`'s latest revision by `owner`, with one changed file."""
    fork = blueprint_services.blueprint_fork(blueprint=parent, user=owner, title=title or f"{parent.title} (fork)")
    draft = fork.revisions.get(is_published=False)
    ready_file(draft, f"changed-by-{owner.pk}-{fork.pk}.stl")
    blueprint_services.revision_publish(revision=draft, user=owner)
    fork.refresh_from_db()
    return fork


def latest(blueprint: Blueprint) -> Revision:
    blueprint.refresh_from_db()
    assert blueprint.latest_revision is not None
    return blueprint.latest_revision


def open_phase(
    owner: User,
    staff: User,
    *,
    judges: Sequence[User] = (),
    prizes: Sequence[str] = ("3000", "1500", "500"),
    criteria: Sequence[CriterionData] = CRITERIA,
    sealed: bool = True,
    lineage_percent: int = 0,
    lineage_generations: int = 5,
    awarded_by: str = "both",
    entry_limit: int = 1,
    vote_share: int = 0,
    title: str = "Desert ambulance",
    invite_only: bool = False,
) -> Phase:
    """A funded challenge whose one phase is open, with accepted judges who declared no conflict."""
    challenge = make_challenge(owner, title=title, budget="50000", sealed_entries=sealed, invite_only=invite_only)
    now = timezone.now()
    phase = challenge_services.phase_create(
        challenge=challenge,
        by=owner,
        kind="concept",
        title="Concept",
        opens_at=now + timedelta(hours=1),
        closes_at=now + timedelta(days=7),
        judging_ends_at=now + timedelta(days=14),
        entry_limit=entry_limit,
        prizes=[Decimal(p) for p in prizes],
        criteria=criteria,
        now=now,
    )
    if lineage_percent or awarded_by != "both" or lineage_generations != 5:
        services.judging_rules_set(
            challenge=challenge,
            by=owner,
            lineage_share_percent=lineage_percent,
            lineage_generations=lineage_generations,
            awarded_by=awarded_by,
        )
    if vote_share:
        services.phase_rules_set(phase=phase, by=owner, vote_share_percent=vote_share, shortlist_size=5)
    for judge in judges:
        accept_judge(challenge, judge)
    publish(challenge, staff=staff)
    challenge_services.phase_transition(phase=phase, to=PhaseStatus.OPEN, actor=Actor.user(owner))
    phase.refresh_from_db()
    return phase


def accept_judge(challenge: Challenge, judge: User) -> None:
    assignment = challenge_services.judge_invite(challenge=challenge, by=challenge.owner, email=judge.email)
    challenge_services.judge_respond(assignment=assignment, user=judge, accept=True)
    challenge_services.judge_declare_conflicts(assignment=assignment, user=judge, has_conflict=False)


def enter(
    phase: Phase,
    user: User,
    *,
    blueprint: Blueprint | None = None,
    title: str = "",
    co_authors: Sequence[tuple[User, str]] = (),
    submit: bool = True,
    **kwargs: Any,
) -> Entry:
    """`user` enters the phase; named co-authors accept before the entry is submitted (unless `submit=False`)."""
    blueprint = blueprint or published_blueprint(user, f"{user.public_name}'s design")
    entry = services.entry_create(
        phase=phase,
        user=user,
        revision=latest(blueprint),
        title=title or f"Entry by {user.public_name}",
        statement="Why it works.",
        co_authors=[CoAuthor(co_author, Decimal(share)) for co_author, share in co_authors],
        submit=submit and not co_authors,
        **kwargs,
    )
    if submit and co_authors:
        for co_author, _share in co_authors:
            services.entry_co_author_respond(entry=entry, user=co_author, accept=True)
        entry = services.entry_submit(entry=entry, user=user, now=kwargs.get("now"))
    return entry


def to_judging(phase: Phase) -> Phase:
    challenge_services.phase_transition(phase=phase, to=PhaseStatus.JUDGING, actor=Actor.user(phase.challenge.owner))
    phase.refresh_from_db()
    return phase


def score_all(judge: User, entry: Entry, values: Sequence[int]) -> None:
    """The judge scores every criterion of the entry's phase, in the phase's criterion order."""
    criteria = list(entry.phase.criteria.order_by("pk"))
    services.entry_score(
        judge=judge,
        entry=entry,
        scores=[ScoreInput(criterion.pk, value) for criterion, value in zip(criteria, values, strict=True)],
    )


UNSCORED_REASON = "Judged outside the platform (test data)."


def award(phase: Phase, by: User, *pairs: tuple[int, Entry], confirm_unscored: bool = True) -> list[Any]:
    """Award as a person would: confirm that unscored entries stay unscored (when `by` may and some
    are), look at the confirmation, and award with its fingerprint. Whatever is refused is refused
    by `phase_award` itself."""
    phase = Phase.objects.select_related("challenge").get(pk=phase.pk)
    if (
        confirm_unscored
        and phase.status == PhaseStatus.JUDGING
        and selectors.may_confirm_unscored(user=by, challenge=phase.challenge)
        and not selectors.judging_readiness(phase=phase).ready
    ):
        services.phase_unscored_confirm(phase_id=phase.pk, by=by, reason=UNSCORED_REASON)
    choices = [(rank, entry.pk) for rank, entry in pairs]
    try:
        fingerprint = selectors.award_preview(phase=phase, choices=choices).fingerprint
    except ApplicationError:
        fingerprint = ""  # the award refuses the same choices, with its own message
    return services.phase_award(
        phase_id=phase.pk,
        by=by,
        choices=[AwardChoice(rank=rank, entry_id=entry_id) for rank, entry_id in choices],
        fingerprint=fingerprint,
    )
