"""Community-scale data of the submissions app (`manage.py seed_scale`): entries of published
blueprint revisions into the phases that have opened, their authors and history, judges' scores,
community votes, and the awards of awarded and closed phases with their split.

As the services keep them: an entry's revision is its blueprint's latest published one and its
lead author owns the blueprint, one entry per member and phase (the default entry limit), only
submitted entries are scored, by the challenge's accepted judges on the phase's criteria, and
only after the phase closed; votes go to submitted entries others can see (not sealed while open,
not invite-only), never by an author. Every prize of an awarded or closed phase is awarded (its
shares sum to the award), so a completed challenge's escrow ends empty once the money moved
(`payments.scale`).
"""

import math
from collections import defaultdict
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.urls import reverse

from core.scale import Plan, split_evenly
from submissions.models import (
    Award,
    AwardShare,
    Entry,
    EntryAuthor,
    EntryRevision,
    EntryStatusChange,
    Score,
    Vote,
)

ENTERED = ("open", "judging", "awarded", "closed")
JUDGED = ("judging", "awarded", "closed")
PAID_OUT = ("awarded", "closed")
CENT = Decimal("0.01")


def seed(plan: Plan) -> None:
    rng = plan.rng
    phases = [phase for phase in plan.shared["phases"] if phase["status"] in ENTERED]
    by_owner = plan.shared["blueprints_by_owner"]
    owners = sorted(by_owner)
    members = plan.shared["members"]
    url_of = reverse("submissions:detail", kwargs={"pk": 987654321})
    plan.defer_indexes(Entry, EntryAuthor, EntryRevision, EntryStatusChange, Score, Vote)
    total = plan.size("entries")
    showcase = next((phase for phase in phases if phase["showcase"]), None)
    gallery = min(plan.size("showcase_gallery_entries"), len(owners)) if showcase else 0
    others = [phase for phase in phases if not phase["showcase"]]
    sizes = split_evenly(max(0, total - gallery), len(others), rng, low=1, spread=1.6) if others else []
    wanted = {phase["id"]: size for phase, size in zip(others, sizes, strict=True)}
    if showcase:
        wanted[showcase["id"]] = gallery
    for phase in others:
        if phase["status"] in PAID_OUT:  # enough submitted entries for every prize
            wanted[phase["id"]] = max(wanted[phase["id"]], len(phase["prizes"]) + 1)

    entries, authors, history, moves = [], [], [], []
    submitted_by_phase: dict[int, list[tuple[int, list[tuple[int, Decimal]], Any]]] = defaultdict(list)
    first = plan.reserve_ids(Entry, sum(wanted.values()))
    pk = first
    for phase in phases:
        invited = set(phase["invited"])
        barred = {phase["owner"], *phase["judges"]}  # the owner and the judges cannot enter
        pool = [owner for owner in owners if owner not in barred and (not phase["invite_only"] or owner in invited)]
        leads = rng.sample(pool, k=min(wanted[phase["id"]], len(pool)))
        # One entry per member and phase (the default entry limit), co-authorships included.
        used = set(leads) | barred
        end = min(phase["closes"], plan.now)
        for position, lead in enumerate(leads):
            blueprint_id, revision_id, _published, blueprint_title = rng.choice(by_owner[lead])
            if phase["showcase"] or (phase["status"] in PAID_OUT and position <= len(phase["prizes"])):
                status = "submitted"
            elif phase["status"] == "open":
                status = rng.choices(("submitted", "draft", "withdrawn"), (85, 10, 5))[0]
            else:
                status = rng.choices(("submitted", "withdrawn", "disqualified"), (94, 4, 2))[0]
            submitted = plan.between(phase["opens"], end)
            created = submitted - timedelta(hours=rng.randint(1, 72))
            created = max(created, phase["opens"])
            reason = "Entered a revision that copies another member's work." if status == "disqualified" else ""
            entries.append(
                (
                    pk, phase["id"], lead, revision_id, f"{blueprint_title} for {phase['challenge_title']}"[:200],
                    plan.sentence(10, 40), status, reason, None if status == "draft" else submitted, created,
                    submitted if status != "draft" else created,
                )
            )  # fmt: skip
            shares = [(lead, Decimal(100))]
            if rng.random() < 0.08:
                co = rng.choice(phase["invited"] if phase["invite_only"] else members)
                if co not in used:
                    used.add(co)
                    shares = [(lead, Decimal(60)), (co, Decimal(40))]
            for index, (user, share) in enumerate(shares):
                authors.append((pk, user, share, index == 0, "accepted", None if index == 0 else created))
            history.append((pk, revision_id, lead, created))
            if status != "draft":
                moves.append((pk, "draft", "submitted", lead, "", "", submitted))
            if status == "withdrawn":
                moves.append((pk, "submitted", "withdrawn", lead, "", "", submitted + timedelta(hours=3)))
            if status == "disqualified":
                moves.append((pk, "submitted", "disqualified", phase["owner"], "", reason, phase["closes"]))
            if status == "submitted":
                submitted_by_phase[phase["id"]].append((pk, shares, submitted))
                for user, _share in shares:
                    plan.shared["reputation"].append((user, "entry", f"entry:{pk}", 2, None, "", submitted))
            pk += 1
    plan.copy(
        Entry,
        [
            "id", "phase_id", "lead_author_id", "revision_id", "title", "statement", "status", "status_reason",
            "submitted_at", "created_at", "updated_at",
        ],
        entries,
    )  # fmt: skip
    plan.copy(EntryAuthor, ["entry_id", "user_id", "share", "is_lead", "acceptance", "responded_at"], authors)
    plan.copy(EntryRevision, ["entry_id", "revision_id", "set_by_id", "set_at"], history)
    plan.copy(
        EntryStatusChange, ["entry_id", "from_status", "to_status", "actor_id", "task", "reason", "created_at"], moves
    )
    plan.shared["showcase"]["gallery_entries"] = len(submitted_by_phase.get(showcase["id"], [])) if showcase else 0

    plan.shared["entry_titles"] = {row[0]: row[4] for row in entries}
    totals = _scores(plan, phases, submitted_by_phase, url_of)
    _votes(plan, phases, submitted_by_phase)
    _awards(plan, phases, submitted_by_phase, totals, url_of)


def _scores(
    plan: Plan, phases: list[dict[str, Any]], submitted: dict[int, list[tuple[Any, ...]]], url_of: str
) -> dict[int, int]:
    """Write the scores (`plan.size("scores")` at most); returns each scored entry's total."""
    rng = plan.rng
    target = plan.size("scores")
    titles = plan.shared["entry_titles"]
    # Awarded and closed phases are fully scored; judging ones partly, as far as the target allows.
    full: list[tuple[Any, ...]] = []
    partial: list[tuple[Any, ...]] = []
    for phase in phases:
        if phase["status"] not in JUDGED or not phase["judges"]:
            continue
        for entry, shares, _at in submitted.get(phase["id"], []):
            for judge in phase["judges"]:
                if all(judge != user for user, _share in shares):
                    (full if phase["status"] in PAID_OUT else partial).append((phase, entry, shares, judge))
    rng.shuffle(full)
    rng.shuffle(partial)
    chosen, rows = [], 0
    for pair in full + partial[: len(partial) // 2] + partial[len(partial) // 2 :]:
        if rows + len(pair[0]["criteria"]) > target:
            continue
        chosen.append(pair)
        rows += len(pair[0]["criteria"])
    totals: dict[int, int] = defaultdict(int)
    told: set[tuple[int, int]] = set()

    def score_rows() -> Any:
        for phase, entry, shares, judge in chosen:
            at = plan.between(phase["closes"], min(phase["judging_ends"], plan.now))
            quality = rng.randint(2, 9)
            for criterion in phase["criteria"]:
                value = max(0, min(10, quality + rng.randint(-2, 2)))
                totals[entry] += value
                yield (judge, entry, criterion, value, "", at, at)
            if (entry, judge) not in told:
                told.add((entry, judge))
                for user, _share in shares:
                    plan.shared["notices"].append(
                        (user, "entry_scored", f"entry-scored:{entry}:{judge}",
                         {"entry": titles[entry], "challenge": phase["challenge_title"], "phase": phase["title"]},
                         url_of.replace("987654321", str(entry)), None, at)
                    )  # fmt: skip

    plan.copy(
        Score, ["judge_id", "entry_id", "criterion_id", "value", "comment", "created_at", "updated_at"], score_rows()
    )
    return totals


def _votes(plan: Plan, phases: list[dict[str, Any]], submitted: dict[int, list[tuple[Any, ...]]]) -> None:
    rng = plan.rng
    members = plan.shared["members"]
    target = plan.size("votes")
    visible = [
        (entry, shares, at, phase)
        for phase in phases
        if not phase["invite_only"] and not (phase["sealed"] and phase["status"] == "open")
        for entry, shares, at in submitted.get(phase["id"], [])
    ]
    if not visible:
        return
    weights = [rng.paretovariate(1.5) for _ in visible]
    votes: dict[tuple[int, int], Any] = {}
    rounds = 0
    while len(votes) < target and rounds < 20:
        rounds += 1
        need = target - len(votes)
        picks = rng.choices(range(len(visible)), weights, k=need)
        for index in picks:
            entry, shares, at, phase = visible[index]
            voter = rng.choice(members)
            if (voter, entry) in votes or any(voter == user for user, _share in shares):
                continue
            if voter == phase["owner"] or voter in phase["judges"]:
                continue  # the owner and the judges do not vote
            # Cast once others can see the entry (a sealed phase shows its entries once it closed),
            # until the phase is awarded.
            start = max(at, phase["closes"]) if phase["sealed"] else at
            end = phase["judging_ends"] - timedelta(hours=6) if phase["status"] in PAID_OUT else plan.now
            moment = plan.between(start, max(start, end))
            votes[(voter, entry)] = moment
            for user, _share in shares:
                plan.shared["reputation"].append((user, "vote", f"vote:{entry}:{voter}", 1, None, "", moment))
        # A small community cannot cast every vote: the distinct pairs run out.
        if rounds > 3 and need == target - len(votes):
            break
    plan.copy(Vote, ["voter_id", "entry_id", "created_at"], ((v, e, at) for (v, e), at in sorted(votes.items())))


def _awards(
    plan: Plan,
    phases: list[dict[str, Any]],
    submitted: dict[int, list[tuple[Any, ...]]],
    totals: dict[int, int],
    url_of: str,
) -> None:
    awards, shares_rows, shared = [], [], []
    titles = plan.shared["entry_titles"]
    award_pk = plan.reserve_ids(Award, sum(len(p["prizes"]) for p in phases if p["status"] in PAID_OUT))
    share_pk = plan.reserve_ids(AwardShare, 2 * sum(len(p["prizes"]) for p in phases if p["status"] in PAID_OUT))
    for phase in phases:
        if phase["status"] not in PAID_OUT:
            continue
        ranked = sorted(submitted.get(phase["id"], []), key=lambda item: (-totals.get(item[0], 0), item[0]))
        awarded_at = phase["judging_ends"] - timedelta(hours=6)
        for (rank, amount), (entry, entry_shares, _at) in zip(phase["prizes"], ranked, strict=False):
            awards.append((award_pk, phase["id"], rank, entry, amount, phase["currency"], phase["owner"], awarded_at))
            remaining = amount
            for index, (user, percent) in enumerate(entry_shares):
                part = (
                    remaining if index == len(entry_shares) - 1 else (amount * percent / 100).quantize(CENT, ROUND_DOWN)
                )
                remaining -= part
                kind = "author" if index == 0 else "co_author"
                shares_rows.append((share_pk, award_pk, user, part, phase["currency"], kind, 0, None))
                shared.append(
                    {
                        "share": share_pk, "award": award_pk, "recipient": user, "amount": part,
                        "currency": phase["currency"], "challenge": phase["challenge"], "phase": phase["id"],
                        "phase_status": phase["status"], "awarded_at": awarded_at, "rank": rank,
                        "description": f"Prize: {phase['challenge_title']} · {phase['title']} · #{rank}"[:140],
                    }
                )  # fmt: skip
                points = min(25 + math.floor(part / 100), 500)
                plan.shared["reputation"].append(
                    (user, "award", f"award-share:{share_pk}", points, part, phase["currency"], awarded_at)
                )
                plan.shared["notices"].append(
                    (user, "entry_awarded", f"entry-awarded:{award_pk}",
                     {"entry": titles[entry], "challenge": phase["challenge_title"], "amount": str(part),
                      "currency": phase["currency"]}, url_of.replace("987654321", str(entry)), None, awarded_at)
                )  # fmt: skip
                share_pk += 1
            award_pk += 1
    plan.copy(
        Award, ["id", "phase_id", "rank", "entry_id", "amount", "currency", "awarded_by_id", "awarded_at"], awards
    )
    plan.copy(
        AwardShare,
        ["id", "award_id", "recipient_id", "amount", "currency", "kind", "generation", "source_blueprint_id"],
        shares_rows,
    )
    plan.shared["award_shares"] = shared
