"""Pages of the challenges app: the list, a challenge, posting one in four steps, the dashboard,
and the judges' invitation pages. Views read through selectors and write through services."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from challenges import charts, selectors, services
from challenges.forms import (
    BriefForm,
    ChallengeFilterForm,
    ConflictForm,
    CriterionFormSet,
    EmailListForm,
    PhaseForm,
    PhaseMoveForm,
    PrizeFormSet,
    criteria_data,
    prize_amounts,
)
from challenges.lifecycle import CHALLENGE, PHASE, Role
from challenges.models import (
    Challenge,
    ChallengeInvitation,
    ChallengeStatus,
    JudgeAssignment,
    JudgeStatus,
    Phase,
    PhaseStatus,
)
from challenges.panels import render_challenge_panels, render_phase_panels
from challenges.services.phases import phase_editable_fields
from community.http import AuthenticatedHttpRequest
from core.actors import Actor
from core.exceptions import ApplicationError
from core.forms import add_application_error
from core.pagination import bounded_count, keyset_page, query_without_cursor

PAGE_SIZE = 12
INVITATIONS_PAGE_SIZE = 50

# The steps of posting a challenge, in order: (url name, label).
STEPS = [
    ("challenges:edit_brief", "brief"),
    ("challenges:edit_phases", "phases"),
    ("challenges:edit_judges", "judges"),
    ("challenges:review", "review"),
]


def challenge_list(request: HttpRequest) -> HttpResponse:
    form = ChallengeFilterForm(request.GET)
    filters = form.filters() if form.is_valid() else selectors.ChallengeFilters()
    challenges = selectors.challenge_list(user=request.user, filters=filters)
    page = keyset_page(
        challenges, ordering=selectors.challenge_list_order(filters), cursor=request.GET.get("cursor"), size=PAGE_SIZE
    )
    total, more = bounded_count(challenges.select_related(None).prefetch_related(None))
    context = {"form": form, "page": page, "query": query_without_cursor(request), "total": total, "more": more}
    template = "challenges/_results.html" if getattr(request, "htmx", False) else "challenges/list.html"
    return render(request, template, context)


def challenge_detail(request: HttpRequest, slug: str) -> HttpResponse:
    challenge = selectors.challenge_detail(user=request.user, slug=slug)
    roles = selectors.challenge_roles(user=request.user, challenge=challenge)
    phases = list(challenge.phases.all())
    now = timezone.now()
    editor = bool(roles & {Role.OWNER, Role.STAFF})
    assignments = list(challenge.judge_assignments.all())
    context = {
        "challenge": challenge,
        "phases": phases,
        "budget_split": charts.budget_split(challenge, phases),
        "timeline": charts.phase_timeline(phases, now),
        "judges": [a for a in assignments if a.status == JudgeStatus.ACCEPTED],
        "assignments": assignments if editor else [],
        "is_editor": editor,
        "is_owner": Role.OWNER in roles,
        "phase_rows": [
            (
                phase,
                [(target, PhaseStatus(target).label) for target in PHASE.targets(phase.status, roles)],
                render_phase_panels(request, phase),
            )
            for phase in phases
        ],
        "challenge_panels": render_challenge_panels(request, challenge),
        "challenge_moves": [
            ChallengeStatus(target) for target in CHALLENGE.targets(challenge.status, roles & {Role.OWNER, Role.STAFF})
        ],
        "now": now,
    }
    return render(request, "challenges/detail.html", context)


def phase_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """One phase on its own page: its brief, prizes, entries and winners, and its discussion."""
    challenge = selectors.challenge_detail(user=request.user, slug=slug)
    phase = next((phase for phase in challenge.phases.all() if phase.pk == pk), None)
    if phase is None:
        raise Http404
    context = {"challenge": challenge, "phase": phase, "phase_panels": render_phase_panels(request, phase)}
    return render(request, "challenges/phase_detail.html", context)


def _step_context(challenge: Challenge, current: str) -> dict[str, Any]:
    return {"challenge": challenge, "steps": STEPS, "current_step": current}


def _editable_challenge(request: AuthenticatedHttpRequest, slug: str) -> Challenge:
    return selectors.challenge_for_editor(user=request.user, slug=slug)


@login_required
def challenge_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Step 1 of posting a challenge: the brief. Saving it creates the draft."""
    form = BriefForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = {name: value for name, value in form.cleaned_data.items() if name != "change_note"}
        if not data.get("cover_image"):
            data.pop("cover_image", None)
        try:
            challenge = services.challenge_create(owner=request.user, **data)
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            messages.success(request, _("Draft saved. Now add the phases."))
            return redirect("challenges:edit_phases", slug=challenge.slug)
    return render(request, "challenges/edit_brief.html", {"form": form, "steps": STEPS, "current_step": "brief"})


@login_required
def edit_brief(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    challenge = _editable_challenge(request, slug)
    form = BriefForm(request.POST or None, request.FILES or None, instance=Challenge.objects.get(pk=challenge.pk))
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name != "change_note"}
        if changes.get("cover_image") is False:  # the "clear" box
            changes["cover_image"] = ""
        try:
            services.challenge_update(
                challenge=challenge, by=request.user, change_note=form.cleaned_data.get("change_note", ""), **changes
            )
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            messages.success(request, _("The brief has been saved."))
            if challenge.status == ChallengeStatus.DRAFT:
                return redirect("challenges:edit_phases", slug=challenge.slug)
            return redirect(challenge)
    return render(request, "challenges/edit_brief.html", {"form": form, **_step_context(challenge, "brief")})


def _bind_phase_forms(
    request: HttpRequest, challenge: Challenge, phase: Phase | None
) -> tuple[PhaseForm, Any, Any, set[str] | None]:
    """The phase form with its prize and criteria rows, bound to the POST if there is one."""
    editable = phase_editable_fields(phase, challenge) if phase is not None else None
    data = request.POST if request.method == "POST" else None
    initial_prizes = [{"amount": prize.amount} for prize in phase.prizes.all()] if phase else None
    initial_criteria = (
        [{"name": c.name, "weight": c.weight, "description": c.description} for c in phase.criteria.all()]
        if phase
        else None
    )
    form = PhaseForm(data, instance=phase, challenge=challenge, editable=editable)
    # Fixed tables are shown, not posted: their formsets stay unbound.
    prizes_post = data if editable is None or "prizes" in editable else None
    criteria_post = data if editable is None or "criteria" in editable else None
    prizes = PrizeFormSet(prizes_post, prefix="prizes", initial=initial_prizes)
    criteria = CriterionFormSet(criteria_post, prefix="criteria", initial=initial_criteria)
    return form, prizes, criteria, editable


def _save_phase(
    request: AuthenticatedHttpRequest,
    challenge: Challenge,
    phase: Phase | None,
    form: PhaseForm,
    prizes: Any,
    criteria: Any,
) -> Phase | None:
    """Create or update the phase through the services; on refusal, put the errors on the forms."""
    valid = [form.is_valid(), not prizes.is_bound or prizes.is_valid(), not criteria.is_bound or criteria.is_valid()]
    if not all(valid):
        return None
    data = {name: value for name, value in form.cleaned_data.items() if name != "depends_on"}
    depends_on = list(form.cleaned_data.get("depends_on") or [])
    try:
        if phase is None:
            return services.phase_create(
                challenge=challenge,
                by=request.user,
                depends_on=depends_on,
                prizes=prize_amounts(prizes),
                criteria=criteria_data(criteria),
                **data,
            )
        editable = phase_editable_fields(phase, challenge)
        changes = {name: value for name, value in data.items() if name in editable}
        return services.phase_update(
            phase=phase,
            by=request.user,
            depends_on=depends_on if "depends_on" in editable and "depends_on" in form.fields else None,
            prizes=prize_amounts(prizes) if prizes.is_bound else None,
            criteria=criteria_data(criteria) if criteria.is_bound else None,
            **changes,
        )
    except ApplicationError as error:
        add_application_error(form, error)
        # A refusal about the whole table (over the budget, duplicate names) shows above its rows.
        if "prizes" in error.extra:
            prizes._non_form_errors = prizes.error_class(error.extra["prizes"])
        if "criteria" in error.extra:
            criteria._non_form_errors = criteria.error_class(error.extra["criteria"])
        return None


@login_required
def edit_phases(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Step 2: the phases, each with its dates, prizes and criteria."""
    challenge = _editable_challenge(request, slug)
    form, prizes, criteria, _editable = _bind_phase_forms(request, challenge, None)
    if request.method == "POST":
        phase = _save_phase(request, challenge, None, form, prizes, criteria)
        if phase is not None:
            messages.success(request, _("Phase “%(title)s” added.") % {"title": phase.title})
            return redirect("challenges:edit_phases", slug=challenge.slug)
    phases = list(selectors.phases_with_details().filter(challenge=challenge))
    context = {
        **_step_context(challenge, "phases"),
        "phases": phases,
        "form": form,
        "prizes": prizes,
        "criteria": criteria,
        "budget_split": charts.budget_split(challenge, phases),
        "can_add": challenge.status in (ChallengeStatus.DRAFT, ChallengeStatus.OPEN),
    }
    return render(request, "challenges/edit_phases.html", context)


@login_required
def edit_phase(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    challenge = _editable_challenge(request, slug)
    phase = selectors.phases_with_details().filter(challenge=challenge, pk=pk).first()
    if phase is None:
        raise Http404
    form, prizes, criteria, editable = _bind_phase_forms(request, challenge, phase)
    if request.method == "POST" and _save_phase(request, challenge, phase, form, prizes, criteria) is not None:
        messages.success(request, _("Phase “%(title)s” saved.") % {"title": phase.title})
        if challenge.status == ChallengeStatus.DRAFT:
            return redirect("challenges:edit_phases", slug=challenge.slug)
        return redirect(challenge)
    context = {
        **_step_context(challenge, "phases"),
        "phase": phase,
        "form": form,
        "prizes": prizes,
        "criteria": criteria,
        "prizes_editable": editable is None or "prizes" in editable,
        "criteria_editable": editable is None or "criteria" in editable,
    }
    return render(request, "challenges/edit_phase.html", context)


@login_required
@require_POST
def delete_phase(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    challenge = _editable_challenge(request, slug)
    phase = Phase.objects.filter(challenge=challenge, pk=pk).first()
    if phase is None:
        raise Http404
    try:
        services.phase_delete(phase=phase, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Phase removed."))
    return redirect("challenges:edit_phases", slug=challenge.slug)


@login_required
def edit_judges(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Step 3: judges by e-mail invitation (and, for invite-only challenges, the members invited)."""
    challenge = _editable_challenge(request, slug)
    which = request.POST.get("which") if request.method == "POST" else None
    judges_form = EmailListForm(request.POST if which == "judges" else None, prefix="judges")
    members_form = EmailListForm(request.POST if which == "members" else None, prefix="members")
    bound = judges_form if which == "judges" else members_form if which == "members" else None
    if bound is not None and bound.is_valid():
        invite = services.judge_invite if which == "judges" else services.challenge_invite_member
        invited, refused = [], []
        for email in bound.cleaned_data["emails"]:
            try:
                invite(challenge=challenge, by=request.user, email=email)
            except ApplicationError as error:
                refused.append(error.message)
            else:
                invited.append(email)
        if invited:
            messages.success(request, _("Invited: %(emails)s") % {"emails": ", ".join(invited)})
        for message in refused:
            messages.error(request, message)
        return redirect("challenges:edit_judges", slug=challenge.slug)
    context = {
        **_step_context(challenge, "judges"),
        "judges_form": judges_form,
        "members_form": members_form,
        "assignments": JudgeAssignment.objects.filter(challenge=challenge)
        .select_related("judge")
        .order_by("created_at"),
        # An invite-only challenge may invite thousands: a keyset page of them, by address.
        "invitations": keyset_page(
            ChallengeInvitation.objects.filter(challenge=challenge),
            ordering=("email", "pk"),
            cursor=request.GET.get("cursor"),
            size=INVITATIONS_PAGE_SIZE,
        ),
        "query": query_without_cursor(request),
    }
    return render(request, "challenges/edit_judges.html", context)


@login_required
@require_POST
def remove_judge(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    challenge = _editable_challenge(request, slug)
    assignment = JudgeAssignment.objects.filter(challenge=challenge, pk=pk).first()
    if assignment is None:
        raise Http404
    services.judge_uninvite(assignment=assignment, by=request.user)
    messages.success(request, _("Invitation withdrawn."))
    return redirect("challenges:edit_judges", slug=challenge.slug)


@login_required
@require_POST
def remove_invitation(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    challenge = _editable_challenge(request, slug)
    invitation = ChallengeInvitation.objects.filter(challenge=challenge, pk=pk).first()
    if invitation is None:
        raise Http404
    services.challenge_uninvite_member(invitation=invitation, by=request.user)
    messages.success(request, _("Invitation withdrawn."))
    return redirect("challenges:edit_judges", slug=challenge.slug)


@login_required
def review(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Step 4: everything at a glance, and the button that submits the draft for funding."""
    challenge = _editable_challenge(request, slug)
    if request.method == "POST":
        try:
            services.challenge_submit_for_funding(challenge=challenge, by=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("Submitted for funding. The challenge opens as soon as the budget has been received.")
            )
            return redirect("challenges:dashboard")
    detailed = selectors.challenge_detail(user=request.user, slug=slug)
    phases = list(detailed.phases.all())
    context = {
        **_step_context(detailed, "review"),
        "phases": phases,
        "budget_split": charts.budget_split(detailed, phases),
        "timeline": charts.phase_timeline(phases, timezone.now()),
        "assignments": list(detailed.judge_assignments.all()),
        "problems": _review_problems(detailed, phases),
    }
    return render(request, "challenges/review.html", context)


def _review_problems(challenge: Challenge, phases: list[Phase]) -> list[str]:
    """What would stop the submission, said before the client presses the button."""
    problems = []
    if not any(phase.prizes.all() for phase in phases):
        problems.append(_("Add at least one phase with at least one prize."))
    now = timezone.now()
    problems += [
        _("Phase “%(title)s” closes before now; give it new dates.") % {"title": phase.title}
        for phase in phases
        if phase.closes_at <= now
    ]
    return problems


@login_required
@require_POST
def withdraw(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    challenge = _editable_challenge(request, slug)
    try:
        services.challenge_withdraw_from_funding(challenge=challenge, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The challenge is a draft again."))
    return redirect("challenges:edit_brief", slug=challenge.slug)


@login_required
@require_POST
def cancel(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    challenge = _editable_challenge(request, slug)
    try:
        services.challenge_cancel(
            challenge=challenge, actor=Actor.user(request.user), reason=request.POST.get("reason", "")[:500]
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The challenge has been cancelled."))
    return redirect(challenge)


@login_required
@require_POST
def move_phase(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """Open early, close early, award or cancel a phase: whatever the member's role allows."""
    challenge = selectors.challenge_visible(user=request.user, slug=slug)
    phase = Phase.objects.filter(challenge=challenge, pk=pk).first()
    if phase is None:
        raise Http404
    form = PhaseMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Unknown move."))
        return redirect(challenge)
    if not selectors.challenge_roles(user=request.user, challenge=challenge):
        raise PermissionDenied
    try:
        services.phase_transition(
            phase=phase, to=form.cleaned_data["to"], actor=Actor.user(request.user), reason=form.cleaned_data["reason"]
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Phase “%(title)s” moved.") % {"title": phase.title})
    return redirect(challenge)


@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "challenges/dashboard.html", {"dashboard": selectors.dashboard_for(user=request.user)})


@login_required
def judge_invitation(request: AuthenticatedHttpRequest, token: str) -> HttpResponse:
    """The page the invitation e-mail links to: which challenge, who invites, to which address. Only
    a member who has confirmed that address (or whom it is bound to) may accept or decline; anyone
    else holding the link is told so, and is sent to confirm the address if it is theirs."""
    assignment = selectors.judge_invitation_by_token(token=token)
    may_answer = selectors.judge_may_answer(user=request.user, assignment=assignment)
    status = 200
    if request.method == "POST":
        accept = request.POST.get("answer") == "accept"
        try:
            services.judge_respond(assignment=assignment, user=request.user, accept=accept)
        except ApplicationError as error:
            messages.error(request, error.message)
            status = error.status
        else:
            if accept:
                messages.success(request, _("Thank you! Please declare any conflicts of interest."))
                return redirect("challenges:conflicts", pk=assignment.pk)
            messages.success(request, _("You have declined the invitation."))
            return redirect("challenges:dashboard")
    context = {"assignment": assignment, "challenge": assignment.challenge, "may_answer": may_answer}
    return render(request, "challenges/invitation.html", context, status=status)


@login_required
def judge_conflicts(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.judge_assignment_of(user=request.user, pk=pk)
    form = ConflictForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.judge_declare_conflicts(
                assignment=assignment,
                user=request.user,
                has_conflict=form.cleaned_data["has_conflict"],
                statement=form.cleaned_data["statement"],
            )
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            messages.success(request, _("Your declaration has been recorded."))
            return redirect(assignment.challenge)
    return render(request, "challenges/conflicts.html", {"assignment": assignment, "form": form})
