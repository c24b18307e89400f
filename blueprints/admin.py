"""Staff's view of blueprints, revisions and files.

Published data is read-only here as everywhere: "delete" hides (through the services), files are
never edited by hand, and processing is re-run with an action rather than by changing fields.
"""

from typing import Any, cast

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from blueprints import services
from blueprints.models import Blueprint, File, FileStatusChange, Revision
from community.models import User
from core.actors import Actor
from core.admin import ObjectAction, StaffAdminMixin, run_action
from core.audit import Concerns


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RevisionInline(ReadOnlyInline):
    model = Revision
    fields = ("number", "is_published", "published_at", "is_hidden", "author", "change_notes")
    readonly_fields = fields


class FileInline(ReadOnlyInline):
    model = File
    fields = ("original_name", "file_type", "size", "status", "rejection_code", "rejection_detail", "sha256")
    readonly_fields = fields


class StatusChangeInline(ReadOnlyInline):
    model = FileStatusChange
    fields = ("created_at", "from_status", "to_status", "rejection_code", "actor", "task")
    readonly_fields = fields
    show_change_link = False


BLUEPRINT_ACTIONS = (
    ObjectAction(
        name="hide",
        label=_("Hide"),
        explain=_("The blueprint leaves every list and page; its published data stays intact."),
        run=lambda blueprint, by, reason: services.blueprint_hide(blueprint=blueprint, user=by),
        when=lambda blueprint: not blueprint.is_hidden,
    ),
    ObjectAction(
        name="unhide",
        label=_("Show again"),
        explain=_("The blueprint is listed and shown again."),
        run=lambda blueprint, by, reason: services.blueprint_unhide(blueprint=blueprint, user=by),
        when=lambda blueprint: blueprint.is_hidden,
    ),
)


@admin.register(Blueprint)
class BlueprintAdmin(StaffAdminMixin, admin.ModelAdmin):
    list_display = (
        "title",
        "owner",
        "category",
        "licence",
        "latest_revision",
        "download_count",
        "fork_count",
        "is_hidden",
    )
    list_filter = ("is_hidden", "category", "licence", "has_model")
    search_fields = ("title", "slug", "owner__email", "owner__display_name")
    list_select_related = ("owner", "latest_revision")
    readonly_fields = (
        "owner", "slug", "forked_from", "lineage", "latest_revision", "last_published_at", "has_model",
        "cover_key", "download_count", "fork_count", "is_hidden", "hidden_at", "hidden_by", "created_at",
        "updated_at",
    )  # fmt: skip
    fields = ("title", "description", "category", "tags", "licence", *readonly_fields)
    inlines = [RevisionInline]
    actions = ["hide_selected", "unhide_selected"]
    object_actions = BLUEPRINT_ACTIONS

    def concerns(self, obj: Blueprint) -> Concerns:
        return Concerns(member_id=obj.owner_id)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # members create blueprints (uploads happen in the browser)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # owners edit their own blueprints; staff hide

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # "delete" is the hide action

    @admin.action(description=_("Hide the selected blueprints"))
    def hide_selected(self, request: HttpRequest, queryset: QuerySet[Blueprint]) -> None:
        run_action(self, request, queryset, lambda b: services.blueprint_hide(blueprint=b, user=request.user))  # type: ignore[arg-type]

    @admin.action(description=_("Show the selected blueprints again"))
    def unhide_selected(self, request: HttpRequest, queryset: QuerySet[Blueprint]) -> None:
        run_action(self, request, queryset, lambda b: services.blueprint_unhide(blueprint=b, user=request.user))  # type: ignore[arg-type]


@admin.register(Revision)
class RevisionAdmin(StaffAdminMixin, admin.ModelAdmin):
    list_display = ("blueprint", "number", "is_published", "published_at", "is_hidden", "author")
    list_filter = ("is_published", "is_hidden")
    search_fields = ("blueprint__title", "blueprint__slug")
    list_select_related = ("blueprint", "author")
    readonly_fields = (
        "blueprint", "number", "change_notes", "author", "based_on", "is_published", "published_at",
        "is_hidden", "hidden_at", "hidden_by", "created_at",
    )  # fmt: skip
    fields = readonly_fields
    inlines = [FileInline]
    actions = ["hide_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Hide the selected published revisions"))
    def hide_selected(self, request: HttpRequest, queryset: QuerySet[Revision]) -> None:
        run_action(
            self,
            request,
            queryset.filter(is_published=True),
            lambda revision: services.revision_hide(revision=revision, user=request.user),  # type: ignore[arg-type]
        )

    def concerns(self, obj: Revision) -> Concerns:
        return Concerns(member_id=obj.author_id)


@admin.register(File)
class FileAdmin(StaffAdminMixin, admin.ModelAdmin):
    list_display = ("original_name", "revision", "file_type", "size", "status", "rejection_code", "created_at")
    list_filter = ("status", "rejection_code", "kind", "file_type")
    search_fields = ("original_name", "sha256", "revision__blueprint__title")
    list_select_related = ("revision__blueprint",)
    readonly_fields = [field.name for field in File._meta.fields] + ["rejection_reason"]
    inlines = [StatusChangeInline]
    actions = ["reprocess"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("Why it was rejected"))
    def rejection_reason(self, file: File) -> str:
        return file.rejection_reason

    @admin.action(description=_("Re-run processing"))
    def reprocess(self, request: HttpRequest, queryset: QuerySet[File]) -> None:
        run_action(
            self,
            request,
            queryset.select_related("revision"),
            lambda file: services.file_reprocess(file=file, actor=Actor.user(cast(User, request.user))),
        )
