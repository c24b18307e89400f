"""Staff's view of entries, scores, votes and awards. Everything is read-only here: changes go
through the services (the disqualify action below, with its reason), so every rule holds."""

import csv
from typing import Any, cast

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from community.models import User
from core.actors import Actor
from core.admin import ObjectAction, ReadOnlyMixin, ReadOnlyTabularInline, StaffAdminMixin, run_action
from core.audit import Concerns
from core.spreadsheets import spreadsheet_cell
from submissions import services
from submissions.models import (
    Award,
    AwardShare,
    Entry,
    EntryAuthor,
    EntryRevision,
    EntryStatus,
    EntryStatusChange,
    JudgingRules,
    PhaseJudgingRules,
    Recusal,
    Score,
    Vote,
)


class AuthorInline(ReadOnlyTabularInline):
    model = EntryAuthor
    fields = readonly_fields = ("user", "share", "is_lead", "acceptance", "responded_at")


class RevisionHistoryInline(ReadOnlyTabularInline):
    model = EntryRevision
    fields = readonly_fields = ("revision", "set_by", "set_at")


class StatusChangeInline(ReadOnlyTabularInline):
    model = EntryStatusChange
    fields = readonly_fields = ("created_at", "from_status", "to_status", "actor", "reason")


class DisqualifyForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


ENTRY_ACTIONS = (
    ObjectAction(
        name="disqualify",
        label=_("Disqualify"),
        explain=_("The entry leaves the ranking and wins nothing; its authors see your reason."),
        reason=_("Why is it disqualified? (its authors read this)"),
        run=lambda entry, by, reason: services.entry_disqualify(entry=entry, actor=Actor.user(by), reason=reason),
        when=lambda entry: entry.status == EntryStatus.SUBMITTED,
    ),
)


@admin.register(Entry)
class EntryAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["title", "phase", "lead_author", "status", "submitted_at"]
    list_filter = ["status", "phase__status", "phase__kind", "phase__challenge"]
    search_fields = ["title", "lead_author__email", "phase__title", "phase__challenge__title"]
    list_select_related = ["phase", "lead_author"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Entry._meta.fields]
    inlines = [AuthorInline, RevisionHistoryInline, StatusChangeInline]
    actions = ["disqualify_entries"]
    object_actions = ENTRY_ACTIONS

    def concerns(self, obj: Entry) -> Concerns:
        challenge = obj.phase.challenge
        return Concerns(challenge_id=challenge.pk, challenge_label=challenge.title, member_id=obj.lead_author_id)

    @admin.action(description=_("Disqualify the selected entries (with a reason)"))
    def disqualify_entries(self, request: HttpRequest, queryset: QuerySet[Entry]) -> HttpResponse | None:
        """Asks for the reason first (an intermediate page), then calls the service for each entry."""
        form = DisqualifyForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            reason = " ".join(form.cleaned_data["reason"].split())
            by = cast(User, request.user)
            run_action(
                self,
                request,
                queryset,
                lambda entry: services.entry_disqualify(entry=entry, actor=Actor.user(by), reason=reason),
                reason=reason,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Disqualify entries"),
            "entries": queryset,
            "form": form,
            "action": "disqualify_entries",
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "submissions/admin/disqualify.html", context)


@admin.register(Score)
class ScoreAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["entry", "judge", "criterion", "value", "updated_at"]
    list_filter = ["entry__phase__challenge", "entry__phase", "judge"]
    search_fields = ["entry__title", "judge__email"]
    list_select_related = ["entry", "judge", "criterion"]
    actions = ["export_csv"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in Score._meta.fields]

    @admin.action(description=_("Export the selected scores as CSV"))
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Score]) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="scores.csv"'
        writer = csv.writer(response)
        writer.writerow(["challenge", "phase", "entry_id", "entry", "judge", "criterion", "weight", "value", "comment"])
        rows = queryset.select_related("entry__phase__challenge", "judge", "criterion").order_by(
            "entry__phase_id", "entry_id", "judge_id", "criterion_id"
        )
        for score in rows:
            writer.writerow(
                spreadsheet_cell(cell)
                for cell in [
                    score.entry.phase.challenge.title,
                    score.entry.phase.title,
                    score.entry_id,
                    score.entry.title,
                    score.judge.email,
                    score.criterion.name,
                    score.criterion.weight,
                    score.value,
                    score.comment,
                ]
            )
        return response


@admin.register(Recusal)
class RecusalAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["entry", "judge", "reason", "created_at"]
    list_select_related = ["entry", "judge"]


@admin.register(Vote)
class VoteAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["entry", "voter", "created_at"]
    list_filter = ["entry__phase"]
    list_select_related = ["entry", "voter"]


class ShareInline(ReadOnlyTabularInline):
    model = AwardShare
    fields = readonly_fields = ("recipient", "amount", "currency", "kind", "generation", "source_blueprint")


@admin.register(Award)
class AwardAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["phase", "rank", "entry", "amount", "currency", "awarded_by", "awarded_at"]
    list_filter = ["currency", "phase__challenge"]
    list_select_related = ["phase", "entry", "awarded_by"]
    readonly_fields = [field.name for field in Award._meta.fields]
    inlines = [ShareInline]


@admin.register(JudgingRules)
class JudgingRulesAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["challenge", "lineage_share_percent", "lineage_generations", "awarded_by"]


@admin.register(PhaseJudgingRules)
class PhaseJudgingRulesAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["phase", "vote_share_percent", "shortlist_size"]
