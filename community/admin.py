from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from community import services
from community.models import (
    ApiToken,
    Comment,
    CommentReport,
    Follow,
    Notification,
    ReportStatus,
    ReputationEntry,
    User,
)
from core.admin import ReadOnlyMixin, run_action
from core.exceptions import ApplicationError


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = (
        "email",
        "display_name",
        "country",
        "experience",
        "reputation",
        "is_staff",
        "is_active",
        "date_joined",
    )
    list_filter = ("is_staff", "is_active", "experience", "country")
    search_fields = ("email", "display_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Profile"),
            {
                "fields": (
                    "display_name",
                    "country",
                    "skills",
                    "experience",
                    "bio",
                    "avatar",
                    "time_zone",
                    "preferred_language",
                )
            },
        ),
        (
            _("Notifications and privacy"),
            {"fields": ("email_frequency", "email_muted_kinds", "show_earnings", "listed_in_directory", "reputation")},
        ),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    readonly_fields = ("last_login", "date_joined", "reputation")


class OpenReportFilter(admin.SimpleListFilter):
    title = _("reports")
    parameter_name = "reported"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("open", _("With open reports"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Comment]) -> QuerySet[Comment]:
        if self.value() == "open":
            return queryset.filter(reports__status=ReportStatus.OPEN).distinct()
        return queryset


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("pk", "author", "content_type", "object_id", "created_at", "edited_at", "is_hidden")
    list_filter = (OpenReportFilter, "is_hidden", "content_type")
    search_fields = ("body", "author__display_name", "author__email")
    list_select_related = ("author", "content_type")
    readonly_fields = [field.name for field in Comment._meta.fields]
    actions = ["hide_comments"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # moderation hides, it never deletes

    @admin.action(description=_("Hide the selected comments (reason: violates the community rules)"))
    def hide_comments(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        reason = str(_("Violates the community rules."))
        for comment in queryset:
            services.comment_hide(comment_id=comment.pk, by=request.user, reason=reason)  # type: ignore[arg-type]
        self.message_user(request, _("%(count)d comment(s) hidden.") % {"count": queryset.count()}, messages.SUCCESS)


@admin.register(CommentReport)
class CommentReportAdmin(admin.ModelAdmin):
    """The moderation queue: open reports first, oldest first."""

    list_display = ("pk", "comment_excerpt", "comment_author", "reporter", "reason", "status", "created_at")
    list_filter = ("status",)
    list_select_related = ("comment", "comment__author", "reporter")
    readonly_fields = ("comment", "reporter", "reason", "status", "created_at", "resolved_by", "resolved_at")
    actions = ["hide_reported_comments", "dismiss_reports"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CommentReport]:
        # "open" sorts last alphabetically: descending puts the open reports first.
        return super().get_queryset(request).order_by("-status", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("comment"))
    def comment_excerpt(self, report: CommentReport) -> str:
        return report.comment.body[:80]

    @admin.display(description=_("author"))
    def comment_author(self, report: CommentReport) -> str:
        return report.comment.author.public_name

    @admin.action(description=_("Hide the reported comments, giving the report's reason"))
    def hide_reported_comments(self, request: HttpRequest, queryset: QuerySet[CommentReport]) -> None:
        for report in queryset.select_related("comment"):
            try:
                services.comment_hide(comment_id=report.comment_id, by=request.user, reason=report.reason)  # type: ignore[arg-type]
            except ApplicationError as error:
                self.message_user(request, error.message, messages.ERROR)
                return
        self.message_user(request, _("Comments hidden."), messages.SUCCESS)

    @admin.action(description=_("Dismiss the selected reports"))
    def dismiss_reports(self, request: HttpRequest, queryset: QuerySet[CommentReport]) -> None:
        for report in queryset:
            services.comment_report_dismiss(report_id=report.pk, by=request.user)  # type: ignore[arg-type]
        self.message_user(request, _("Reports dismissed."), messages.SUCCESS)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("pk", "recipient", "kind", "event_key", "created_at", "read_at", "email_state")
    list_filter = ("kind", "email_state")
    search_fields = ("event_key", "recipient__email")
    list_select_related = ("recipient",)
    readonly_fields = [field.name for field in Notification._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ReputationEntry)
class ReputationEntryAdmin(admin.ModelAdmin):
    list_display = ("pk", "user", "reason", "points", "amount", "currency", "source_key", "created_at")
    list_filter = ("reason",)
    search_fields = ("source_key", "user__email", "user__display_name")
    list_select_related = ("user",)
    readonly_fields = [field.name for field in ReputationEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ("pk", "follower", "content_type", "object_id", "created_at")
    list_select_related = ("follower", "content_type")
    list_filter = ("content_type",)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Members' personal API tokens: staff see who holds which (never a secret: only its hash is
    stored) and revoke a leaked one."""

    list_display = ("pk", "user", "name", "prefix", "scope", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("scope",)
    search_fields = ("prefix", "name", "user__email")
    list_select_related = ("user",)
    exclude = ("secret_hash",)
    actions = ["revoke_tokens"]

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        run_action(self, request, queryset, lambda token: services.api_token_revoke(user=request.user, token=token))  # type: ignore[arg-type]
