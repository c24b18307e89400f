"""Start again from a dossier: a new challenge (a second-generation vehicle) whose brief and phases
start from a dossier version, with the lineage kept both ways.

The client of the source challenge (or staff) posts it from the dossier page: the new challenge is a
draft of the same client, with the source's brief, the phases chosen (kinds, titles, briefs, entry
limits, prize tables, criteria and the dependencies among them, dates moved to start from today), and
a description that links the source dossier version and lists the winning blueprints to build on.
A `SecondGeneration` row keeps the link: the new challenge's page says where it comes from
(`origin_panel`), and the source dossier page lists its successors (`page_context`).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from challenges import services as challenge_services
from challenges.models import BRIEF_FIELDS, Challenge, Phase
from challenges.panels import register_challenge_panel
from challenges.selectors import challenge_for_editor, challenges_visible_to, phases_with_details
from challenges.services import CriterionData
from challenges.services.common import require_editor
from challenges.templatetags.challenges_tags import money
from community.http import AuthenticatedHttpRequest
from community.models import User
from core.exceptions import ApplicationError
from core.forms import add_application_error
from dossiers.attribution import markdown_text
from dossiers.forms import StartAgainForm, prize_total
from dossiers.models import DossierPart, DossierVersion, SecondGeneration
from dossiers.snapshot import DossierView

DESCRIPTION_MAX = 20000
SUCCESSORS_SHOWN = 20
# Copied from the source as they are (the title and description are new; summary and vehicle type are
# passed by name to `challenge_create`).
COPIED_FIELDS = (
    *(field for field in BRIEF_FIELDS if field not in ("title", "description", "summary", "vehicle_type")),
    "sealed_entries",
    "invite_only",
)


def dossier_version_url(*, slug: str, number: int) -> str:
    """The page of one version of a challenge's dossier."""
    return reverse("dossiers:version", kwargs={"slug": slug, "number": number})


def may_start_again(user: Any, *, owner_id: int) -> bool:
    """The client of the challenge or staff; decided without a query."""
    return bool(getattr(user, "is_authenticated", False) and (user.is_staff or user.pk == owner_id))


# --- Reads --------------------------------------------------------------------------------------


def start_again_source(*, user: Any, slug: str, number: int) -> tuple[Challenge, DossierVersion, list[Phase]]:
    """The challenge, its dossier version `number` and its phases (with prizes, criteria and dependencies),
    if `user` may start again from it: 404 if the challenge or version is unseen or unknown, 403 if the
    user may read the challenge but is neither its client nor staff."""
    challenge = challenge_for_editor(user=user, slug=slug)
    version = DossierVersion.objects.filter(dossier__challenge=challenge, number=number).first()
    if version is None:
        raise Http404
    phases = list(phases_with_details().filter(challenge=challenge))
    return challenge, version, phases


def _winning_parts(version: DossierVersion) -> list[DossierPart]:
    return list(
        DossierPart.objects.filter(version=version)
        .select_related("revision__blueprint", "phase", "award")
        .order_by("position")
    )


# --- The write ----------------------------------------------------------------------------------


def _origin_section(source: Challenge, version: DossierVersion, parts: Sequence[DossierPart]) -> str:
    link = dossier_version_url(slug=source.slug, number=version.number)
    lines = [
        "## " + _("Second generation"),
        "",
        _("This challenge starts from [the dossier of “%(title)s”, version %(number)d](%(url)s).")
        % {"title": markdown_text(source.title), "number": version.number, "url": link},
    ]
    if parts:
        lines += ["", _("The winning blueprints to build on:"), ""]
        for part in parts:
            blueprint = part.revision.blueprint
            url = reverse("blueprints:revision", kwargs={"slug": blueprint.slug, "number": part.revision.number})
            lines.append(
                "- "
                + _("[%(blueprint)s, revision %(revision)d](%(url)s): %(phase)s, rank %(rank)d")
                % {
                    "blueprint": markdown_text(blueprint.title),
                    "revision": part.revision.number,
                    "url": url,
                    "phase": markdown_text(part.phase.title),
                    "rank": part.award.rank,
                }
            )
    return "\n".join(lines)


def _description(source: Challenge, section: str) -> str:
    """The source's description followed by the origin section, cut to fit the field if it must."""
    room = DESCRIPTION_MAX - len(section) - 2
    kept = source.description.strip()
    if len(kept) > room:
        kept = kept[: max(0, room - 2)].rstrip() + " …"
    return f"{kept}\n\n{section}" if kept else section


@transaction.atomic
def second_generation_create(
    *,
    by: User,
    source_version: DossierVersion,
    title: str,
    budget: Decimal | str,
    currency: str,
    phase_ids: Sequence[int],
    starts_in_days: int = 14,
    now: datetime | None = None,
) -> Challenge:
    """A draft challenge of the source's client starting from `source_version` of its dossier.

    Only the client of the source challenge or staff may do it. The phases chosen (at least one, of the
    source challenge) are copied in their order; a dependency on a phase not chosen is dropped. The
    first phase opens `starts_in_days` days from now (on the hour); the others keep their offsets and
    lengths. Bad input raises `ApplicationError` with field messages and creates nothing.
    """
    now = now or timezone.now()
    source = Challenge.objects.select_related("owner").get(pk=source_version.dossier.challenge_id)
    require_editor(by=by, challenge=source)
    wanted = {int(pk) for pk in phase_ids}
    if not wanted:
        message = _("Choose at least one phase to carry over.")
        raise ApplicationError(message, {"phases": [message]})
    if not 1 <= starts_in_days <= 365:
        message = _("Between 1 and 365 days.")
        raise ApplicationError(message, {"starts_in_days": [message]})
    phases = [phase for phase in phases_with_details().filter(challenge=source) if phase.pk in wanted]
    if len(phases) != len(wanted):
        message = _("Choose phases of the challenge this dossier belongs to.")
        raise ApplicationError(message, {"phases": [message]})
    try:
        amount = Decimal(str(budget))
    except ArithmeticError as error:
        raise ApplicationError(_("Enter a valid budget."), {"budget": [_("Enter a valid budget.")]}) from error
    total = sum((prize_total(phase) for phase in phases), Decimal(0))
    if total > amount:
        message = _("The prizes of the chosen phases add up to %(total)s; the budget cannot be less.") % {
            "total": money(total)
        }
        raise ApplicationError(message, {"budget": [message]})

    parts = _winning_parts(source_version)
    challenge = challenge_services.challenge_create(
        owner=source.owner,
        title=title,
        summary=source.summary,
        vehicle_type=source.vehicle_type,
        budget=amount,
        currency=currency,
        description=_description(source, _origin_section(source, source_version, parts)),
        **{field: getattr(source, field) for field in COPIED_FIELDS},
    )
    start = (now + timedelta(days=starts_in_days)).replace(minute=0, second=0, microsecond=0)
    shift = start - min(phase.opens_at for phase in phases)
    copies: dict[int, Phase] = {}
    for phase in phases:  # in position order, so every dependency kept is copied before its dependant
        copies[phase.pk] = challenge_services.phase_create(
            challenge=challenge,
            by=by,
            kind=phase.kind,
            title=phase.title,
            brief=phase.brief,
            entry_limit=phase.entry_limit,
            opens_at=phase.opens_at + shift,
            closes_at=phase.closes_at + shift,
            judging_ends_at=phase.judging_ends_at + shift,
            depends_on=[copies[dep.required_id] for dep in phase.requirements.all() if dep.required_id in copies],
            prizes=[prize.amount for prize in phase.prizes.all()],
            criteria=[CriterionData(c.name, c.weight, c.description) for c in phase.criteria.all()],
            now=now,
        )
    SecondGeneration.objects.create(challenge=challenge, source_version=source_version, created_by=by)
    return challenge


# --- Pages --------------------------------------------------------------------------------------


@login_required
def start_again(request: AuthenticatedHttpRequest, slug: str, number: int) -> HttpResponse:
    """The form that starts a second-generation challenge from version `number` of the dossier."""
    source, version, phases = start_again_source(user=request.user, slug=slug, number=number)
    form = StartAgainForm(request.POST or None, source=source, phases=phases)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            challenge = second_generation_create(
                by=request.user,
                source_version=version,
                title=data["title"],
                budget=data["budget"],
                currency=data["currency"],
                phase_ids=[int(pk) for pk in data["phases"]],
                starts_in_days=data["starts_in_days"],
            )
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            messages.success(request, _("Draft saved: check the brief, then the phases and their dates."))
            return redirect("challenges:edit_brief", slug=challenge.slug)
    context = {
        "form": form,
        "source": source,
        "version": version,
        "version_url": dossier_version_url(slug=source.slug, number=version.number),
    }
    return render(request, "dossiers/start_again.html", context)


@dataclass(frozen=True, slots=True)
class Successor:
    title: str
    url: str
    from_number: int
    is_draft: bool


@dataclass(frozen=True, slots=True)
class StartAgain:
    may_start: bool
    url: str
    successors: tuple[Successor, ...]


def page_context(request: HttpRequest, dossier: DossierView) -> dict[str, Any]:
    """The "start again" part of the dossier page: the button for the client and staff (no query) and the
    challenges started from this dossier that the reader may see (one query, the newest first)."""
    user = request.user
    rows = (
        SecondGeneration.objects.filter(
            source_version__dossier_id=dossier.dossier_id, challenge__in=challenges_visible_to(user)
        )
        .select_related("challenge", "source_version")
        .only("challenge__title", "challenge__slug", "challenge__published_at", "source_version__number", "created_at")
        .order_by("-created_at", "-pk")[:SUCCESSORS_SHOWN]
    )
    successors = tuple(
        Successor(
            title=row.challenge.title,
            url=row.challenge.get_absolute_url(),
            from_number=row.source_version.number,
            is_draft=row.challenge.published_at is None,
        )
        for row in rows
    )
    may_start = may_start_again(user, owner_id=dossier.challenge_owner_id)
    url = reverse("dossiers:start_again", kwargs={"slug": dossier.challenge_slug, "number": dossier.number})
    return {"start_again": StartAgain(may_start=may_start, url=url if may_start else "", successors=successors)}


def origin_panel(request: HttpRequest, challenge: Challenge) -> str:
    """On a second-generation challenge's page: which dossier version it started from (one query; a
    second only when the source is not public and the reader is neither its client nor staff)."""
    origin = (
        SecondGeneration.objects.filter(challenge_id=challenge.pk)
        .select_related("source_version__dossier__challenge")
        .first()
    )
    if origin is None:
        return ""
    source = origin.source_version.dossier.challenge
    number = origin.source_version.number
    user = request.user
    visible = (
        (source.published_at is not None and not source.invite_only)
        or may_start_again(user, owner_id=source.owner_id)
        or challenges_visible_to(user).filter(pk=source.pk).exists()
    )
    context = {
        "source_title": source.title if visible else "",
        "source_url": dossier_version_url(slug=source.slug, number=number) if visible else "",
        "number": number,
    }
    return render_to_string("dossiers/_origin_panel.html", context, request=request)


def register_panels() -> None:
    """Show the origin of a second-generation challenge on its page (called from `DossiersConfig.ready`)."""
    register_challenge_panel(origin_panel)
