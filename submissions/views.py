"""Pages of the submissions app. Views read through selectors and write through services."""

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from challenges.lifecycle import Role
from challenges.models import Criterion, Phase, PhaseStatus, Prize
from challenges.selectors import challenge_for_editor, challenge_roles, phase_visible
from community.http import AuthenticatedHttpRequest
from community.models import User
from core.actors import Actor
from core.exceptions import ApplicationError
from core.forms import add_application_error
from core.pagination import query_without_cursor
from submissions import selectors, services
from submissions.forms import (
    AwardForm,
    CoAuthorsForm,
    EnterForm,
    JudgingRulesForm,
    PhaseRulesForm,
    ReasonForm,
    ReplaceRevisionForm,
    ScoreForm,
    UnscoredConfirmForm,
    co_authors_text,
)
from submissions.models import Entry, EntryStatus


def _phase(request: HttpRequest, pk: int) -> Phase:
    return phase_visible(user=request.user, pk=pk)


@login_required
def enter(request: AuthenticatedHttpRequest, phase_pk: int) -> HttpResponse:
    """Enter a phase: pick one of my published revisions (or upload a new design first), statement, co-authors."""
    phase = _phase(request, phase_pk)
    eligibility = selectors.entry_eligibility(user=request.user, phase=phase)
    revisions = selectors.revisions_enterable_by(user=request.user)
    choices = selectors.builds_on_choices(phase=phase)
    form = EnterForm(request.POST or None, revisions=revisions, builds_on=choices)
    if request.method == "POST" and form.is_valid():
        co_authors = form.cleaned_data["co_authors"]
        try:
            entry = services.entry_create(
                phase=phase,
                user=request.user,
                revision=form.cleaned_data["revision"],
                title=form.cleaned_data["title"],
                statement=form.cleaned_data["statement"],
                co_authors=co_authors,
                builds_on=[e.pk for e in form.cleaned_data.get("builds_on") or []],
                # With co-authors the entry waits for them as a draft, whichever button was pressed.
                submit="save_draft" not in request.POST and not co_authors,
            )
        except ApplicationError as error:
            add_application_error(form, error)
            for reason in error.extra.get("eligibility", [])[1:]:
                form.add_error(None, reason)
        else:
            if entry.status == EntryStatus.SUBMITTED:
                messages.success(request, _("Your entry “%(title)s” has been submitted.") % {"title": entry.title})
            elif co_authors:
                messages.success(
                    request,
                    _(
                        "Your draft has been saved and your co-authors have been asked to accept it. "
                        "You can submit it once they all have."
                    ),
                )
            else:
                messages.success(request, _("Your draft has been saved."))
            return redirect(entry)
    upload_url = reverse("blueprints:new") + "?next=" + request.path
    context = {
        "phase": phase,
        "challenge": phase.challenge,
        "eligibility": eligibility,
        "form": form,
        "has_revisions": bool(revisions),
        "upload_url": upload_url,
    }
    return render(request, "submissions/enter.html", context)


@login_required
def mine(request: AuthenticatedHttpRequest) -> HttpResponse:
    """My entries, with the co-author invitations I have to answer."""
    page = selectors.entries_of_member_page(user=request.user, cursor=request.GET.get("cursor"))
    context = {"entries": page.object_list, "page": page, "query": query_without_cursor(request)}
    return render(request, "submissions/mine.html", context)


@login_required
@require_POST
def answer_co_authorship(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A co-author accepts or declines being named on a draft (from "My entries")."""
    entry = selectors.entry_visible(user=request.user, pk=pk)
    accept = request.POST.get("answer") == "accept"
    try:
        services.entry_co_author_respond(entry=entry, user=request.user, accept=accept)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        if accept:
            messages.success(request, _("You are a co-author of “%(title)s”.") % {"title": entry.title})
        else:
            messages.success(request, _("You declined to be a co-author of “%(title)s”.") % {"title": entry.title})
    return redirect("submissions:mine")


def gallery(request: HttpRequest, phase_pk: int) -> HttpResponse:
    """The phase's entries that the visitor may see (while sealed: only their own, or all for judges)."""
    phase = _phase(request, phase_pk)
    page = selectors.phase_gallery_page(user=request.user, phase=phase, cursor=request.GET.get("cursor"))
    voted = selectors.votes_of(user=request.user, entry_ids=[e.pk for e in page])
    sealed = phase.challenge.sealed_entries and phase.status in selectors.SEALED_WHILE
    context = {
        "phase": phase,
        "challenge": phase.challenge,
        "entries": page.object_list,
        "page": page,
        "query": query_without_cursor(request),
        "voted": voted,
        "sealed": sealed,
    }
    return render(request, "submissions/gallery.html", context)


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    entry_detail = selectors.entry_detail(user=request.user, pk=pk)
    return render(request, "submissions/detail.html", _detail_context(request, entry_detail))


def _detail_context(
    request: HttpRequest,
    entry_detail: selectors.EntryDetail,
    *,
    replace_form: ReplaceRevisionForm | None = None,
    co_authors_form: CoAuthorsForm | None = None,
) -> dict[str, Any]:
    """What the entry page shows; a bound form (with its errors) replaces the empty one."""
    entry = entry_detail.entry
    challenge = entry.phase.challenge
    roles = challenge_roles(user=request.user, challenge=challenge)
    is_lead = request.user.is_authenticated and entry.lead_author_id == request.user.pk
    phase_open = entry.phase.status == PhaseStatus.OPEN
    if is_lead and replace_form is None and entry.status in (EntryStatus.DRAFT, EntryStatus.SUBMITTED) and phase_open:
        member = cast(User, request.user)
        replace_form = ReplaceRevisionForm(revisions=selectors.revisions_enterable_by(user=member))
    if is_lead and co_authors_form is None and entry.status == EntryStatus.DRAFT and phase_open:
        co_authors_form = CoAuthorsForm(initial={"co_authors": co_authors_text(entry_detail.authors)})
    return {
        "entry": entry,
        "detail": entry_detail,
        "phase": entry.phase,
        "challenge": challenge,
        "is_lead": is_lead,
        "co_author_problems": selectors.co_author_problems(authors=entry_detail.authors)
        if entry.status == EntryStatus.DRAFT
        else {},
        "is_judge": Role.JUDGE in roles,
        "may_disqualify": bool(roles & {Role.OWNER, Role.STAFF}) and entry.status == EntryStatus.SUBMITTED,
        "may_vote": (
            request.user.is_authenticated
            and not entry_detail.is_author
            and not roles - {Role.STAFF}
            and entry.status == EntryStatus.SUBMITTED
            and entry.phase.status in (PhaseStatus.OPEN, PhaseStatus.JUDGING)
        ),
        "replace_form": replace_form,
        "co_authors_form": co_authors_form,
        "reason_form": ReasonForm(),
    }


def _entry_action(request: AuthenticatedHttpRequest, pk: int, action: Any, success: str) -> HttpResponse:
    entry = selectors.entry_visible(user=request.user, pk=pk)
    try:
        action(entry)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)
    return redirect(entry)


@login_required
@require_POST
def vote(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    if request.POST.get("retract"):
        return _entry_action(
            request, pk, lambda e: services.vote_retract(voter=request.user, entry=e), _("Your vote was taken back.")
        )
    return _entry_action(
        request, pk, lambda e: services.vote_cast(voter=request.user, entry=e), _("Thank you for your vote.")
    )


@login_required
@require_POST
def submit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _entry_action(
        request, pk, lambda e: services.entry_submit(entry=e, user=request.user), _("Your entry has been submitted.")
    )


@login_required
@require_POST
def withdraw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _entry_action(
        request,
        pk,
        lambda e: services.entry_withdraw(entry=e, user=request.user, reason=reason),
        _("Your entry has been withdrawn."),
    )


@login_required
@require_POST
def disqualify(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _entry_action(
        request,
        pk,
        lambda e: services.entry_disqualify(entry=e, actor=Actor.user(request.user), reason=reason),
        _("The entry has been disqualified."),
    )


def _not_the_lead(request: HttpRequest, entry: Entry) -> HttpResponse:
    """The entry page's forms for the lead author are not shown to anyone else; say why nothing changed."""
    messages.error(request, _("Only the lead author can change this entry."))
    return redirect(entry)


@login_required
@require_POST
def replace_revision(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Point the entry at another of my published revisions; a bad choice is a form error on the entry page."""
    entry_detail = selectors.entry_detail(user=request.user, pk=pk)
    entry = entry_detail.entry
    if entry.lead_author_id != request.user.pk:
        return _not_the_lead(request, entry)
    form = ReplaceRevisionForm(request.POST, revisions=selectors.revisions_enterable_by(user=request.user))
    if form.is_valid():
        try:
            services.entry_replace_revision(entry=entry, user=request.user, revision=form.cleaned_data["revision"])
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            messages.success(request, _("The entry now shows the new revision; the old one stays in its history."))
            return redirect(entry)
    return render(request, "submissions/detail.html", _detail_context(request, entry_detail, replace_form=form))


@login_required
@require_POST
def change_co_authors(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The lead author changes a draft's co-authors or shares; every co-author is asked again."""
    entry_detail = selectors.entry_detail(user=request.user, pk=pk)
    entry = entry_detail.entry
    if entry.lead_author_id != request.user.pk:
        return _not_the_lead(request, entry)
    form = CoAuthorsForm(request.POST)
    if form.is_valid():
        try:
            services.entry_co_authors_set(entry=entry, user=request.user, co_authors=form.cleaned_data["co_authors"])
        except ApplicationError as error:
            add_application_error(form, error)
            for reason in error.extra.get("eligibility", [])[1:]:
                form.add_error(None, reason)
        else:
            messages.success(request, _("The co-authors are saved; each of them is asked to accept."))
            return redirect(entry)
    return render(request, "submissions/detail.html", _detail_context(request, entry_detail, co_authors_form=form))


# --- Judging ----------------------------------------------------------------------------------


@login_required
def judging(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "submissions/judging.html", {"phases": selectors.phases_to_judge(user=request.user)})


def _sealed_from(roles: set[Role], phase: Phase) -> bool:
    """Whether the sealing hides the phase's entries from this owner (judges and staff see them)."""
    sealed = phase.challenge.sealed_entries and phase.status in selectors.SEALED_WHILE
    return sealed and not roles & {Role.JUDGE, Role.STAFF}


def _rankable_phase(request: AuthenticatedHttpRequest, pk: int) -> Phase:
    phase = _phase(request, pk)
    if not selectors.may_rank(user=request.user, challenge=phase.challenge):
        raise PermissionDenied
    return phase


@login_required
def judge_phase(request: AuthenticatedHttpRequest, phase_pk: int) -> HttpResponse:
    """The judges' dashboard of a phase: my queue, the panel's progress, the ranking and shortlist."""
    phase = _rankable_phase(request, phase_pk)
    roles = challenge_roles(user=request.user, challenge=phase.challenge)
    ranking = selectors.ranking_page(
        selectors.phase_ranking_for_viewer(user=request.user, phase=phase), cursor=request.GET.get("cursor")
    )
    context = {
        "phase": phase,
        "challenge": phase.challenge,
        "queue": selectors.judge_queue(user=request.user, phase=phase) if Role.JUDGE in roles else [],
        "is_judge": Role.JUDGE in roles,
        "sealed_from_me": _sealed_from(roles, phase),
        "progress": selectors.panel_progress_for_viewer(user=request.user, phase=phase),
        "ranking": ranking,
        "page": ranking,
        "query": query_without_cursor(request),
        "rules": selectors.phase_rules_for(phase),
        "may_award": phase.status == PhaseStatus.JUDGING
        and selectors.may_award(user=request.user, challenge=phase.challenge),
        "readiness": selectors.judging_readiness(phase=phase) if phase.status == PhaseStatus.JUDGING else None,
        "may_confirm": selectors.may_confirm_unscored(user=request.user, challenge=phase.challenge),
        "confirm_form": UnscoredConfirmForm(),
    }
    return render(request, "submissions/judge_phase.html", context)


@login_required
def score(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The scoring form beside the entry's previews; a conflict is declared here too."""
    entry_detail = selectors.entry_detail(user=request.user, pk=pk)
    entry = entry_detail.entry
    if Role.JUDGE not in challenge_roles(user=request.user, challenge=entry.phase.challenge):
        raise PermissionDenied
    criteria = list(Criterion.objects.filter(phase=entry.phase).order_by("-weight", "name"))
    form = ScoreForm(
        request.POST or None,
        criteria=criteria,
        initial_scores=selectors.scores_of_judge(user=request.user, entry=entry),
    )
    recusal_form = ReasonForm(request.POST if "recuse" in request.POST else None)
    if request.method == "POST" and "recuse" in request.POST:
        if recusal_form.is_valid():
            try:
                services.entry_recuse(judge=request.user, entry=entry, reason=recusal_form.cleaned_data["reason"])
            except ApplicationError as error:
                add_application_error(recusal_form, error)
            else:
                messages.success(request, _("You are recused from this entry."))
                return redirect("submissions:judge_phase", phase_pk=entry.phase_id)
    elif request.method == "POST" and form.is_valid():
        try:
            services.entry_score(
                judge=request.user,
                entry=entry,
                scores=[services.ScoreInput(pk, value, comment) for pk, value, comment in form.scores()],
            )
        except ApplicationError as error:
            add_application_error(form, error)
        else:
            messages.success(request, _("Your scores of “%(title)s” are saved.") % {"title": entry.title})
            return redirect("submissions:judge_phase", phase_pk=entry.phase_id)
    context = {"entry": entry, "detail": entry_detail, "phase": entry.phase, "form": form, "recusal_form": recusal_form}
    return render(request, "submissions/score.html", context)


@login_required
@require_POST
def unscored_confirm(request: AuthenticatedHttpRequest, phase_pk: int) -> HttpResponse:
    """A judge, the owner or staff confirm that the entries not fully scored stay unscored, and why."""
    phase = _rankable_phase(request, phase_pk)
    form = UnscoredConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why these entries stay unscored."))
    else:
        try:
            services.phase_unscored_confirm(phase_id=phase.pk, by=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Recorded: the unscored entries stay unscored. The prizes can be awarded."))
    return redirect("submissions:judge_phase", phase_pk=phase.pk)


@login_required
def award(request: AuthenticatedHttpRequest, phase_pk: int) -> HttpResponse:
    """Awarding in two steps: choose an entry per prize rank (preset from the scored part of the
    ranking), then confirm what exactly that awards (winners, amounts, shares). Only the confirmed
    POST awards, with the fingerprint of what it showed. Before the panel has scored every entry
    (and no one confirmed that the rest stay unscored) the page says so instead."""
    phase = _rankable_phase(request, phase_pk)
    challenge = phase.challenge
    if not selectors.may_award(user=request.user, challenge=challenge):
        raise PermissionDenied
    roles = challenge_roles(user=request.user, challenge=challenge)
    judging = phase.status == PhaseStatus.JUDGING
    # Only while judging: before, a sealed phase's entries are hidden from its owner (and awarding is refused).
    readiness = selectors.judging_readiness(phase=phase) if judging else None
    context: dict[str, Any] = {
        "phase": phase,
        "challenge": challenge,
        "readiness": readiness,
        "sealed_from_me": _sealed_from(roles, phase),
        "may_confirm": selectors.may_confirm_unscored(user=request.user, challenge=challenge),
        "confirm_form": UnscoredConfirmForm(),
    }
    if readiness is not None and not readiness.ready:
        return render(request, "submissions/award.html", context)
    # The choices are the best-ranked entries (a select of 3,000 entries helps no one).
    ranking = selectors.phase_ranking_for_viewer(user=request.user, phase=phase)[: selectors.AWARD_CHOICES]
    prizes = list(Prize.objects.filter(phase=phase).order_by("rank"))
    # Only scored entries are suggested: an unscored ranking says nothing about who should win.
    suggested = [row for row in ranking if row.total is not None]
    initial = {f"rank_{prize.rank}": str(row.entry.pk) for prize, row in zip(prizes, suggested, strict=False)}
    form = AwardForm(
        request.POST or None,
        initial=initial,
        prizes=prizes,
        entries=[row.entry for row in ranking],
        currency=challenge.currency,
    )
    context.update({"form": form, "ranking": ranking})
    if request.method == "POST" and form.is_valid() and not judging:
        form.add_error(None, _("Prizes are awarded while the phase is being judged."))
    elif request.method == "POST" and form.is_valid():
        choices = form.choices()
        if "confirm" in request.POST:
            try:
                services.phase_award(
                    phase_id=phase.pk,
                    by=request.user,
                    choices=[services.AwardChoice(rank=rank, entry_id=entry) for rank, entry in choices],
                    fingerprint=request.POST.get("fingerprint", ""),
                )
            except services.AwardChanged as error:
                context["changed"] = error.message
            except ApplicationError as error:
                add_application_error(form, error)
                return render(request, "submissions/award.html", context)
            else:
                messages.success(request, _("The prizes of “%(title)s” are awarded.") % {"title": phase.title})
                return redirect(reverse("challenges:detail", kwargs={"slug": challenge.slug}) + f"#phase-{phase.pk}")
        try:
            context["preview"] = selectors.award_preview(phase=phase, choices=choices)
        except ApplicationError as error:
            add_application_error(form, error)
    return render(request, "submissions/award.html", context)


@login_required
def rules(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """The owner's judging rules: the challenge's (while a draft) and each phase's (before it opens)."""
    challenge = challenge_for_editor(user=request.user, slug=slug)
    current = selectors.judging_rules_for(challenge)
    posted = request.POST if request.method == "POST" else None
    challenge_form = JudgingRulesForm(
        posted if posted and "challenge_rules" in posted else None,
        initial={
            "lineage_share_percent": current.lineage_share_percent,
            "lineage_generations": current.lineage_generations,
            "awarded_by": current.awarded_by,
        },
    )
    phases = list(challenge.phases.order_by("position"))
    phase_forms = []
    for phase in phases:
        phase_rules = selectors.phase_rules_for(phase)
        bound = posted if posted and posted.get("phase") == str(phase.pk) else None
        phase_forms.append(
            (
                phase,
                PhaseRulesForm(
                    bound,
                    prefix=f"phase{phase.pk}",
                    initial={
                        "vote_share_percent": phase_rules.vote_share_percent,
                        "shortlist_size": phase_rules.shortlist_size,
                    },
                ),
            )
        )
    if posted is not None:
        try:
            if challenge_form.is_bound and challenge_form.is_valid():
                services.judging_rules_set(challenge=challenge, by=request.user, **challenge_form.cleaned_data)
                messages.success(request, _("The judging rules are saved."))
                return redirect("submissions:rules", slug=challenge.slug)
            for phase, form in phase_forms:
                if form.is_bound and form.is_valid():
                    services.phase_rules_set(phase=phase, by=request.user, **form.cleaned_data)
                    messages.success(request, _("The rules of “%(title)s” are saved.") % {"title": phase.title})
                    return redirect("submissions:rules", slug=challenge.slug)
        except ApplicationError as error:
            messages.error(request, error.message)
    context = {
        "challenge": challenge,
        "challenge_form": challenge_form,
        "challenge_editable": challenge.status == "draft",
        "phase_forms": phase_forms,
    }
    return render(request, "submissions/rules.html", context)
