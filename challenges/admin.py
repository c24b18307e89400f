"""Staff's view of challenges. Everything is read-only here: every change goes through the services
(actions below, or the challenge's own edit pages, open to staff), so the budget, status and brief
version rules hold no matter who edits."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from challenges import services
from challenges.lifecycle import PHASE, Role
from challenges.models import (
    BriefVersion,
    Challenge,
    ChallengeInvitation,
    ChallengeStatus,
    ChallengeTransition,
    Criterion,
    JudgeAssignment,
    Phase,
    PhaseStatus,
    PhaseTransition,
    Prize,
)
from community.http import request_member
from core.actors import Actor
from core.admin import (
    ObjectAction,
    ReadOnlyMixin,
    ReadOnlyTabularInline,
    StaffAdminMixin,
    audit_trail_url,
    run_action,
)
from core.audit import Concerns


class PhaseInline(ReadOnlyTabularInline):
    model = Phase
    fields = readonly_fields = (
        "position", "kind", "title", "status", "hold", "opens_at", "closes_at", "judging_ends_at", "prize_total",
    )  # fmt: skip
    show_change_link = True

    @admin.display(description=_("prizes"))
    def prize_total(self, phase: Phase) -> str:
        return ", ".join(str(prize.amount) for prize in phase.prizes.all())

    def get_queryset(self, request: HttpRequest) -> QuerySet[Phase]:
        return super().get_queryset(request).prefetch_related("prizes")


class PrizeInline(ReadOnlyTabularInline):
    model = Prize
    fields = readonly_fields = ("rank", "amount")


class CriterionInline(ReadOnlyTabularInline):
    model = Criterion
    fields = readonly_fields = ("name", "weight", "description")


class PhaseTransitionInline(ReadOnlyTabularInline):
    model = PhaseTransition
    fields = readonly_fields = ("created_at", "from_status", "to_status", "actor", "task", "reason", "due_at")


class ChallengeTransitionInline(ReadOnlyTabularInline):
    model = ChallengeTransition
    fields = readonly_fields = ("created_at", "from_status", "to_status", "actor", "task", "reason")


class BriefVersionInline(ReadOnlyTabularInline):
    model = BriefVersion
    fields = readonly_fields = ("number", "created_at", "created_by", "change_note")


class JudgeAssignmentInline(ReadOnlyTabularInline):
    model = JudgeAssignment
    fields = readonly_fields = ("email", "judge", "status", "responded_at", "conflict_declared_at", "has_conflict")


class InvitationInline(ReadOnlyTabularInline):
    model = ChallengeInvitation
    fields = readonly_fields = ("email", "invited_by", "created_at")


CHALLENGE_FINAL = (ChallengeStatus.CANCELLED, ChallengeStatus.COMPLETED)

CHALLENGE_ACTIONS = (
    ObjectAction(
        name="cancel",
        label=_("Cancel the challenge"),
        explain=_(
            "The challenge and every phase not yet awarded are cancelled; awarded phases are still paid and "
            "what stays in escrow goes back to the client. This cannot be undone."
        ),
        reason=_("Why is it cancelled? (the members and the client read this)"),
        run=lambda challenge, by, reason: services.challenge_cancel(
            challenge=challenge, actor=Actor.user(by), reason=reason
        ),
        when=lambda challenge: challenge.status not in CHALLENGE_FINAL,
    ),
)


@admin.register(Challenge)
class ChallengeAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["title", "owner", "status", "budget", "currency", "invite_only", "published_at", "created_at"]
    list_filter = ["status", "vehicle_type", "currency", "invite_only", "sealed_entries"]
    search_fields = ["title", "slug", "summary", "owner__email", "organisation_name"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    readonly_fields = ["edit_links", *[field.name for field in Challenge._meta.fields]]
    inlines = [
        PhaseInline,
        JudgeAssignmentInline,
        InvitationInline,
        BriefVersionInline,
        ChallengeTransitionInline,
    ]
    # Funding is recorded by the payments app (a bank receipt moves money into escrow and opens the
    # challenge once it covers the budget); there is no "mark funded" without money.
    actions = ["cancel_challenges"]
    object_actions = CHALLENGE_ACTIONS

    def concerns(self, obj: Challenge) -> Concerns:
        return Concerns(challenge_id=obj.pk, challenge_label=obj.title, member_id=obj.owner_id)

    def audit_trail_link(self, obj: Challenge) -> str:
        return audit_trail_url(challenge_id=obj.pk)

    @admin.display(description=_("edit"))
    def edit_links(self, challenge: Challenge) -> str:
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("challenges:detail", args=[challenge.slug]),
            _("page"),
            reverse("challenges:edit_brief", args=[challenge.slug]),
            _("brief"),
            reverse("challenges:edit_phases", args=[challenge.slug]),
            _("phases"),
        )

    @admin.action(description=_("Cancel (with every phase not yet awarded)"))
    def cancel_challenges(self, request: HttpRequest, queryset: QuerySet[Challenge]) -> None:
        run_action(
            self,
            request,
            queryset.exclude(status=ChallengeStatus.CANCELLED),
            lambda c: services.challenge_cancel(
                challenge=c, actor=Actor.user(request_member(request)), reason="Cancelled by staff."
            ),
        )


PHASE_MOVE_LABELS = {
    PhaseStatus.OPEN: (_("Open now"), _("The phase opens for entries now, before its opening time.")),
    PhaseStatus.JUDGING: (_("Close entries now (to judging)"), _("No more entries: the judges start now.")),
    PhaseStatus.AWARDED: (
        _("Mark awarded without prizes"),
        _(
            "Judging ends with no prize given (the unawarded money stays in the budget). Awards are given on the "
            "judging page, not here."
        ),
    ),
    PhaseStatus.CLOSED: (_("Close (payouts done)"), _("The phase is finished: every prize of it has been paid.")),
    PhaseStatus.CANCELLED: (_("Cancel the phase"), _("The phase is cancelled; its entries stay, no prize is given.")),
}


def _phase_move_action(to: PhaseStatus) -> ObjectAction:
    label, explain = PHASE_MOVE_LABELS[to]
    return ObjectAction(
        name=f"to-{to.value}",
        label=label,
        explain=explain,
        reason=_("Reason (recorded with the move)"),
        run=lambda phase, by, reason: services.phase_transition(
            phase=phase, to=to, actor=Actor.user(by), reason=reason
        ),
        when=lambda phase: PHASE.allows(phase.status, to, {Role.STAFF}),
    )


@admin.register(Phase)
class PhaseAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "challenge",
        "position",
        "kind",
        "status",
        "hold",
        "opens_at",
        "closes_at",
        "next_transition_at",
    ]
    list_filter = ["status", "kind", "hold"]
    search_fields = ["title", "challenge__title"]
    list_select_related = ["challenge"]
    readonly_fields = [field.name for field in Phase._meta.fields]
    inlines = [PrizeInline, CriterionInline, PhaseTransitionInline]
    actions = ["open_now", "close_entries", "mark_awarded", "close_phase", "cancel_phase"]
    object_actions = tuple(_phase_move_action(to) for to in PHASE_MOVE_LABELS)

    def _move(self, request: HttpRequest, queryset: QuerySet[Phase], to: str, reason: str) -> None:
        run_action(
            self,
            request,
            queryset,
            lambda p: services.phase_transition(
                phase=p, to=to, actor=Actor.user(request_member(request)), reason=reason
            ),
        )

    @admin.action(description=_("Open now"))
    def open_now(self, request: HttpRequest, queryset: QuerySet[Phase]) -> None:
        self._move(request, queryset, PhaseStatus.OPEN, "Opened by staff.")

    @admin.action(description=_("Close entries now (to judging)"))
    def close_entries(self, request: HttpRequest, queryset: QuerySet[Phase]) -> None:
        self._move(request, queryset, PhaseStatus.JUDGING, "Closed early by staff.")

    @admin.action(description=_("Mark awarded"))
    def mark_awarded(self, request: HttpRequest, queryset: QuerySet[Phase]) -> None:
        self._move(request, queryset, PhaseStatus.AWARDED, "Awarded by staff.")

    @admin.action(description=_("Close (payouts done)"))
    def close_phase(self, request: HttpRequest, queryset: QuerySet[Phase]) -> None:
        self._move(request, queryset, PhaseStatus.CLOSED, "Closed by staff.")

    @admin.action(description=pgettext_lazy("call off a phase", "Cancel"))  # not "Cancel" as in abandon a form
    def cancel_phase(self, request: HttpRequest, queryset: QuerySet[Phase]) -> None:
        self._move(request, queryset, PhaseStatus.CANCELLED, "Cancelled by staff.")


@admin.register(PhaseTransition)
class PhaseTransitionAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["created_at", "phase", "from_status", "to_status", "actor", "task", "due_at", "reason"]
    list_filter = ["to_status", "task"]
    search_fields = ["phase__title", "phase__challenge__title", "reason"]
    list_select_related = ["phase", "actor"]
    date_hierarchy = "created_at"


@admin.register(ChallengeTransition)
class ChallengeTransitionAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["created_at", "challenge", "from_status", "to_status", "actor", "task", "reason"]
    list_filter = ["to_status"]
    search_fields = ["challenge__title", "reason"]
    list_select_related = ["challenge", "actor"]
    date_hierarchy = "created_at"


@admin.register(JudgeAssignment)
class JudgeAssignmentAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["email", "judge", "challenge", "status", "conflict_declared_at", "has_conflict"]
    list_filter = ["status", "has_conflict"]
    search_fields = ["email", "challenge__title"]
    list_select_related = ["judge", "challenge"]
    exclude = ["token"]
