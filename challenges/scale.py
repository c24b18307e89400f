"""Community-scale data of the challenges app (`manage.py seed_scale`): challenges in every status,
their phases with prize tables, criteria, judges, invitations, brief versions and recorded moves.

Statuses follow `challenges.lifecycle` and the dates: a completed challenge's phases are all
closed; an open one has closed (or awarded) phases behind the current one (open or judging) and
scheduled ones ahead, each with `next_transition_at` as `phase_deadline` computes it; drafts and
challenges awaiting funding have scheduled phases only; cancelled ones (cancelled before any money
came in) cancelled phases. The prizes of a challenge add up to its budget, so once every prize is
paid its escrow is empty. The money itself (funding, prizes) is written by `payments.scale`.

Puts into `plan.shared["phases"]` what the submissions app needs to enter, judge and award.
"""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils.text import slugify
from psycopg.types.json import Jsonb

from challenges.models import (
    BRIEF_FIELDS,
    BriefVersion,
    Challenge,
    ChallengeInvitation,
    ChallengeTransition,
    Criterion,
    JudgeAssignment,
    Phase,
    PhaseTransition,
    Prize,
)
from core.scale import SHOWCASE_SLUG, Plan, split_evenly

STATUS_WEIGHTS = (("draft", 8), ("funding", 6), ("open", 40), ("completed", 38), ("cancelled", 8))
VEHICLES = ("car", "van", "truck", "bus", "motorcycle", "off_road", "agricultural", "special", "other")
TERRAINS = ("city", "road", "gravel", "off_road", "mountain", "mixed")
CLIMATES = ("temperate", "hot_dry", "hot_humid", "cold", "alpine", "varied")
REGIONS = ("Lagos", "Berlin", "Andes foothills", "Nairobi", "Oslo", "Outback", "Mumbai", "Detroit", "Sahel")
KINDS = ("front", "rear", "side", "wheels_tyres", "materials", "interior", "drivetrain", "other")
CRITERIA = (
    "Design quality", "Feasibility", "Fit to the brief", "Innovation", "Manufacturability",
    "Presentation", "Sustainability", "Cost",
)  # fmt: skip
CURRENCIES = ("EUR", "EUR", "EUR", "USD", "GBP", "CHF")
SWEEP = "challenges.sweep"


def seed(plan: Plan) -> None:
    rng = plan.rng
    members = plan.shared["members"]
    emails = plan.shared["member_emails"]
    client, judge_showcase = plan.shared["client_id"], plan.shared["judge_id"]
    count = max(plan.size("challenges"), 2)
    phase_total = max(plan.size("phases"), count * 2)
    first = plan.reserve_ids(Challenge, count)
    phase_sizes = split_evenly(phase_total, count, rng, low=2, spread=1.0)
    phase_first = plan.reserve_ids(Phase, sum(phase_sizes))
    clients = rng.sample(members[4:], k=max(1, min(len(members) - 4, count // 3)))
    judges_pool = rng.sample(members[4:], k=max(4, min(len(members) - 4, count // 2)))
    statuses = [status for status, _w in STATUS_WEIGHTS]
    weights = [weight for _s, weight in STATUS_WEIGHTS]
    url_of = reverse("challenges:detail", kwargs={"slug": "SLUG"})
    challenge_type = ContentType.objects.get_for_model(Challenge).pk

    Row = tuple[Any, ...]
    challenges: list[Row] = []
    phases: list[Row] = []
    prizes: list[Row] = []
    criteria: list[Row] = []
    judges: list[Row] = []
    invitations: list[Row] = []
    briefs: list[Row] = []
    phase_moves: list[Row] = []
    invites: list[tuple[Any, ...]] = []
    challenge_moves: list[Row] = []
    shared_phases: list[dict[str, Any]] = []
    shared_challenges: list[dict[str, Any]] = []
    phase_pk = phase_first
    judge_token = rng.getrandbits(64)
    for index in range(count):
        pk = first + index
        showcase = index == 0
        status = "open" if showcase else rng.choices(statuses, weights)[0]
        owner = client if index < max(6, count // 150) else rng.choice(clients)
        vehicle = rng.choice(VEHICLES)
        title = "Scale showcase: a rugged electric utility chassis" if showcase else _title(plan, vehicle)
        slug = SHOWCASE_SLUG if showcase else f"{slugify(title)[:140]}-{pk}"
        currency = "EUR" if showcase else rng.choice(CURRENCIES)
        invite_only = not showcase and status in ("open", "completed") and rng.random() < 0.05
        sealed = not showcase and rng.random() < 0.5
        created = plan.ago(rng.uniform(60, 900))
        size = phase_sizes[index]
        # The timeline: the phases run one after the other, each ~5 weeks plus judging.
        step = timedelta(days=rng.randint(28, 42))
        if status == "completed":
            start = plan.now - step * (size + 1) - timedelta(days=rng.randint(5, 300))
            current = size  # all behind
        elif status == "open":
            current = 0 if showcase else rng.randrange(size)
            start = plan.now - step * current - timedelta(days=rng.randint(2, 25))
        else:
            current = -1
            start = plan.now + timedelta(days=rng.randint(10, 60))
        submitted_at = published_at = funded_at = None
        if status in ("funding", "open", "completed") or (status == "cancelled" and rng.random() < 0.5):
            submitted_at = min(created + timedelta(days=2), start - timedelta(days=3))
        if status in ("open", "completed"):
            funded_at = published_at = start - timedelta(days=1)
        budget = Decimal(0)
        phase_rows_of_challenge = []
        for position in range(1, size + 1):
            opens = start + step * (position - 1)
            closes = opens + timedelta(days=rng.randint(21, 27))
            judging_ends = closes + timedelta(days=rng.randint(4, 8))
            if showcase:  # the concept phase in judging, the others ahead
                opens = plan.now - timedelta(days=40) if position == 1 else plan.now + step * (position - 1)
                closes = plan.now - timedelta(days=5) if position == 1 else opens + timedelta(days=24)
                judging_ends = plan.now + timedelta(days=9) if position == 1 else closes + timedelta(days=6)
            phase_status = _phase_status(status, position - 1, current, plan, opens, closes, judging_ends)
            if phase_status in ("awarded", "closed"):  # awarded and paid in the past
                judging_ends = min(judging_ends, max(closes, plan.now - timedelta(days=5)))
            kind = "concept" if position == 1 else rng.choice(KINDS)
            phase_title = f"{kind.replace('_', ' ').capitalize()} phase {position}"
            due = None
            if status == "open" and phase_status == "scheduled":
                due = opens
            elif status == "open" and phase_status == "open":
                due = closes
            phases.append(
                (
                    phase_pk, pk, position, kind, phase_title, plan.sentence(10, 30), opens, closes, judging_ends,
                    1, phase_status, due, None, "", None, created, created,
                )
            )  # fmt: skip
            amounts = [Decimal(rng.choice((500, 1000, 1500, 2000, 3000, 5000, 8000)))]
            for _rank in range(rng.choice((0, 1, 1, 2))):
                amounts.append((amounts[-1] / 2).quantize(Decimal("1")))
            for rank, amount in enumerate(amounts, start=1):
                prizes.append((phase_pk, rank, amount))
                budget += amount
            names = rng.sample(CRITERIA, k=rng.randint(3, 6))
            criterion_first = len(criteria)
            for name in names:
                criteria.append((phase_pk, name, plan.sentence(4, 10), rng.randint(1, 5)))
            info = {
                "id": phase_pk, "challenge": pk, "status": phase_status, "kind": kind, "title": phase_title,
                "opens": opens, "closes": closes, "judging_ends": judging_ends, "currency": currency,
                "prizes": list(enumerate(amounts, start=1)), "criteria_index": (criterion_first, len(criteria)),
                "owner": owner, "challenge_title": title, "slug": slug, "invite_only": invite_only,
                "sealed": sealed, "showcase": showcase and position == 1, "judges": [], "invited": [],
            }  # fmt: skip
            phase_rows_of_challenge.append(info)
            phase_moves.extend(_phase_moves(phase_pk, phase_status, opens, closes, judging_ends, owner))
            phase_pk += 1
        # Judges: accepted and declared for challenges that run; invitations pending on drafts.
        assigned: list[int] = []
        if status in ("open", "completed"):
            panel = rng.sample(judges_pool, k=min(len(judges_pool), rng.randint(3, 4)))
            if showcase:
                panel = [judge_showcase, *[judge for judge in panel if judge != judge_showcase]][:4]
            for judge in panel:
                if judge == owner:
                    continue
                assigned.append(judge)
                judge_token += 1
                accepted_at = (published_at or created) + timedelta(days=1)
                judges.append(
                    (pk, emails[judge], judge, "accepted", f"{judge_token:064x}", owner, accepted_at, accepted_at,
                     False, "", created, accepted_at)
                )  # fmt: skip
        elif status in ("draft", "funding") and rng.random() < 0.5:
            judge_token += 1
            judges.append(
                (pk, f"judge-{pk}@example.org", None, "invited", f"{judge_token:064x}", owner, None, None, False, "",
                 created, created)
            )  # fmt: skip
        invited: list[int] = []
        if invite_only:
            invited = rng.sample(members, k=min(len(members), 60))
            invitations.extend((pk, emails[member], owner, created) for member in invited)
        for info in phase_rows_of_challenge:
            info["judges"] = assigned
            info["invited"] = invited
        shared_phases.extend(phase_rows_of_challenge)
        brief = {
            "title": title, "summary": plan.sentence(8, 20)[:300],
            "organisation_name": f"{rng.choice(REGIONS)} Mobility",
            "vehicle_type": vehicle, "terrain": rng.choice(TERRAINS), "climate": rng.choice(CLIMATES),
            "region": rng.choice(REGIONS), "duties": plan.sentence(), "payload_kg": rng.choice((None, 300, 800, 1500)),
            "range_km": rng.choice((None, 150, 300, 600)), "passengers": rng.choice((None, 1, 2, 5)),
            "top_speed_kmh": rng.choice((None, 80, 120)), "regulations": "", "budget_per_unit": None,
            "materials_to_avoid": "", "description": " ".join(plan.sentence() for _ in range(rng.randint(3, 8))),
        }  # fmt: skip
        challenges.append(
            (
                pk, owner, brief["organisation_name"], title, slug, brief["summary"], vehicle, brief["terrain"],
                brief["climate"], brief["region"], brief["duties"], brief["payload_kg"], brief["range_km"],
                brief["passengers"], brief["top_speed_kmh"], "", None, "", brief["description"], "", budget, currency,
                sealed, invite_only, status, 1 if published_at else 0, submitted_at, published_at, funded_at,
                created, published_at or created,
            )
        )  # fmt: skip
        if published_at:
            briefs.append((pk, 1, Jsonb({field: brief[field] for field in BRIEF_FIELDS}), "", owner, published_at))
        ended = start + step * size + timedelta(days=10)
        challenge_moves.extend(_challenge_moves(pk, status, owner, submitted_at, funded_at, created, ended))
        shared_challenges.append(
            {
                "id": pk,
                "status": status,
                "budget": budget,
                "currency": currency,
                "owner": owner,
                "title": title,
                "submitted_at": submitted_at,
                "funded_at": funded_at,
                "showcase": showcase,
            }
        )
        if status in ("open", "completed") and not invite_only:
            url = url_of.replace("SLUG", slug)
            plan.shared["comment_targets"].append((challenge_type, pk, title, url, published_at))
            plan.shared["follow_targets"].append((challenge_type, pk))
        if showcase:
            plan.shared["showcase_comments"][(challenge_type, pk)] = plan.size("showcase_challenge_comments")
            plan.shared["showcase"]["challenge"] = {"id": pk, "slug": slug, "concept_phase_id": phase_first}
        for judge in assigned:
            invites.append((len(judges) - len(assigned) + assigned.index(judge), judge, title, slug, owner,
                            published_at or created))  # fmt: skip

    plan.copy(
        Challenge,
        [
            "id", "owner_id", "organisation_name", "title", "slug", "summary", "vehicle_type", "terrain", "climate",
            "region", "duties", "payload_kg", "range_km", "passengers", "top_speed_kmh", "regulations",
            "budget_per_unit", "materials_to_avoid", "description", "cover_image", "budget", "currency",
            "sealed_entries", "invite_only", "status", "brief_version", "submitted_at", "published_at", "funded_at",
            "created_at", "updated_at",
        ],
        challenges,
    )  # fmt: skip
    plan.copy(
        Phase,
        [
            "id", "challenge_id", "position", "kind", "title", "brief", "opens_at", "closes_at", "judging_ends_at",
            "entry_limit", "status", "next_transition_at", "armed_for", "hold", "held_since", "created_at",
            "updated_at",
        ],
        phases,
    )  # fmt: skip
    plan.copy(Prize, ["phase_id", "rank", "amount"], prizes)
    criterion_first = plan.reserve_ids(Criterion, len(criteria))
    plan.copy(
        Criterion,
        ["id", "phase_id", "name", "description", "weight"],
        ((criterion_first + n, *row) for n, row in enumerate(criteria)),
    )
    for info in shared_phases:
        low, high = info.pop("criteria_index")
        info["criteria"] = list(range(criterion_first + low, criterion_first + high))
    judge_first = plan.reserve_ids(JudgeAssignment, len(judges))
    for index, judge, title, slug, owner, at in invites:
        plan.shared["notices"].append(
            (judge, "judge_invited", f"judge-invited:{judge_first + index}", {"challenge": title},
             url_of.replace("SLUG", slug), owner, at)
        )  # fmt: skip
    plan.copy(
        JudgeAssignment,
        [
            "id",
            "challenge_id", "email", "judge_id", "status", "token", "invited_by_id", "responded_at",
            "conflict_declared_at", "has_conflict", "conflict_statement", "created_at", "updated_at",
        ],
        ((judge_first + index, *row) for index, row in enumerate(judges)),
    )  # fmt: skip
    plan.copy(ChallengeInvitation, ["challenge_id", "email", "invited_by_id", "created_at"], invitations)
    plan.copy(BriefVersion, ["challenge_id", "number", "brief", "change_note", "created_by_id", "created_at"], briefs)
    plan.copy(
        PhaseTransition,
        ["phase_id", "from_status", "to_status", "actor_id", "task", "reason", "created_at", "due_at"],
        phase_moves,
    )
    plan.copy(
        ChallengeTransition,
        ["challenge_id", "from_status", "to_status", "actor_id", "task", "reason", "created_at"],
        challenge_moves,
    )
    plan.shared["phases"] = shared_phases
    plan.shared["challenges"] = shared_challenges
    showcase_client = plan.shared["showcase"]
    showcase_client["client_challenges"] = [row[4] for row in challenges if row[1] == client]


def _title(plan: Plan, vehicle: str) -> str:
    rng = plan.rng
    adjective = rng.choice(("Rugged", "Lightweight", "Modular", "Electric", "Urban", "Affordable", "Rural"))
    noun = vehicle.replace("_", "-")
    return f"{adjective} {noun} for {rng.choice(REGIONS)}: {rng.choice(('chassis', 'body', 'cab', 'platform'))}"


def _phase_status(status: str, index: int, current: int, plan: Plan, opens: Any, closes: Any, ends: Any) -> str:
    if status in ("draft", "funding"):
        return "scheduled"
    if status == "cancelled":
        return "cancelled"
    if status == "completed" or index < current:
        # The phase just before the current one may still be paying its prizes.
        return "awarded" if status == "open" and index == current - 1 and plan.rng.random() < 0.5 else "closed"
    if index > current:
        return "scheduled"
    if plan.now < opens:
        return "scheduled"
    return "open" if plan.now < closes else "judging"


def _phase_moves(pk: int, status: str, opens: Any, closes: Any, ends: Any, owner: int) -> list[tuple[Any, ...]]:
    chain = ["scheduled", "open", "judging", "awarded", "closed"]
    if status == "cancelled":
        return [
            (pk, "scheduled", "cancelled", owner, "", "The challenge was withdrawn.", opens - timedelta(days=20), None)
        ]
    moves = []
    when = {"open": (opens, SWEEP), "judging": (closes, SWEEP), "awarded": (ends, ""), "closed": (ends, "")}
    for before, after in zip(chain, chain[1:], strict=False):
        if chain.index(after) > chain.index(status):
            break
        at, task = when[after]
        if after == "awarded":
            moves.append((pk, before, after, None, "submissions.award", "", ends - timedelta(hours=6), None))
        elif after == "closed":
            moves.append(
                (pk, before, after, None, "payments.payouts", "Every prize is paid.", ends + timedelta(days=3), None)
            )
        else:
            moves.append((pk, before, after, None, task, "", at, at))
    return moves


def _challenge_moves(
    pk: int, status: str, owner: int, submitted: Any, funded: Any, created: Any, ended: Any
) -> list[tuple[Any, ...]]:
    moves: list[tuple[Any, ...]] = []
    if submitted:
        moves.append((pk, "draft", "funding", owner, "", "", submitted))
    if funded:
        moves.append((pk, "funding", "open", None, "payments.funding", "", funded))
    if status == "completed":
        moves.append((pk, "open", "completed", None, "challenges.phases", "Every phase is closed.", ended))
    if status == "cancelled":
        moves.append((pk, "funding" if submitted else "draft", "cancelled", owner, "", "", created + timedelta(days=5)))
    return moves
