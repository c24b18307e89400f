"""Staff's view of members, comments and moderation. Members' own records (profiles are edited on the
user page; comments, reports, notifications, reputation and follows are read here) change only through
the services: hiding a comment, dismissing a report, revoking a token, each written to the audit trail."""

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
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
from core.admin import ObjectAction, ReadOnlyMixin, StaffAdminMixin, audit_trail_url, register_todo, run_action
from core.audit import Concerns, record_staff_action


@admin.register(User)
class UserAdmin(StaffAdminMixin, BaseUserAdmin):
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
        (_("Staff actions"), {"fields": ("staff_actions",)}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    readonly_fields = ("last_login", "date_joined", "reputation", "staff_actions")

    def concerns(self, obj: User) -> Concerns:
        return Concerns(member_id=obj.pk)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:  # saved (Django logs it; the trail too)
            user = self.get_object(request, unquote(id))
            if user is not None:
                record_staff_action(
                    actor=request.user,
                    action="community.user.password",
                    summary=f"Set a new password: {user}",
                    target=user,
                    concerns=self.concerns(user),
                    admin_log=False,
                )
        return response

    def audit_trail_link(self, obj: User) -> str:
        return audit_trail_url(member=obj.pk)

    @admin.display(description=_("staff actions"))
    def staff_actions(self, user: User) -> str:
        if user.pk is None:
            return "–"
        about = format_html('<a href="{}">{}</a>', audit_trail_url(member=user.pk), _("concerning this member"))
        if not user.is_staff:
            return about
        by = format_html('<a href="{}">{}</a>', audit_trail_url(actor=user.pk), _("taken by this staff member"))
        return format_html("{} · {}", about, by)


class OpenReportFilter(admin.SimpleListFilter):
    title = _("reports")
    parameter_name = "reported"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("open", _("With open reports"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Comment]) -> QuerySet[Comment]:
        if self.value() == "open":
            return queryset.filter(reports__status=ReportStatus.OPEN).distinct()
        return queryset


def _hide(comment: Comment, by: Any, reason: str) -> object:
    return services.comment_hide(comment_id=comment.pk, by=by, reason=reason)


COMMENT_ACTIONS = (
    ObjectAction(
        name="hide",
        label=_("Hide the comment"),
        explain=_("The comment stays stored but nobody sees it any more; its open reports are resolved."),
        reason=_("Why is it hidden? (its author reads this)"),
        run=_hide,
        when=lambda comment: not comment.is_hidden,
    ),
)


@admin.register(Comment)
class CommentAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("pk", "author", "content_type", "object_id", "created_at", "edited_at", "is_hidden")
    list_filter = (OpenReportFilter, "is_hidden", "content_type")
    search_fields = ("body", "author__display_name", "author__email")
    list_select_related = ("author", "content_type")
    readonly_fields = [field.name for field in Comment._meta.fields]
    actions = ["hide_comments"]
    object_actions = COMMENT_ACTIONS  # moderation hides, it never deletes

    def concerns(self, obj: Comment) -> Concerns:
        return Concerns(member_id=obj.author_id)

    @admin.action(description=_("Hide the selected comments (reason: violates the community rules)"))
    def hide_comments(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        reason = str(_("Violates the community rules."))
        run_action(self, request, queryset, lambda comment: _hide(comment, request.user, reason), reason=reason)


REPORT_ACTIONS = (
    ObjectAction(
        name="hide-comment",
        label=_("Hide the reported comment"),
        explain=_(
            "The comment is hidden with the report's reason (its author reads it); its open reports are resolved."
        ),
        run=lambda report, by, reason: services.comment_hide(comment_id=report.comment_id, by=by, reason=report.reason),
        when=lambda report: report.status == ReportStatus.OPEN,
    ),
    ObjectAction(
        name="dismiss",
        label=_("Dismiss the report"),
        explain=_("The comment stays as it is; the report leaves the queue."),
        run=lambda report, by, reason: services.comment_report_dismiss(report_id=report.pk, by=by),
        when=lambda report: report.status == ReportStatus.OPEN,
    ),
)


@admin.register(CommentReport)
class CommentReportAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    """The moderation queue: open reports first, oldest first."""

    object_actions = REPORT_ACTIONS

    list_display = ("pk", "comment_excerpt", "comment_author", "reporter", "reason", "status", "created_at")
    list_filter = ("status",)
    list_select_related = ("comment", "comment__author", "reporter")
    readonly_fields = ("comment", "reporter", "reason", "status", "created_at", "resolved_by", "resolved_at")
    actions = ["hide_reported_comments", "dismiss_reports"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CommentReport]:
        # "open" sorts last alphabetically: descending puts the open reports first.
        return super().get_queryset(request).order_by("-status", "created_at")

    def concerns(self, obj: CommentReport) -> Concerns:
        return Concerns(member_id=obj.comment.author_id)

    @admin.display(description=_("comment"))
    def comment_excerpt(self, report: CommentReport) -> str:
        return report.comment.body[:80]

    @admin.display(description=_("author"))
    def comment_author(self, report: CommentReport) -> str:
        return report.comment.author.public_name

    @admin.action(description=_("Hide the reported comments, giving the report's reason"))
    def hide_reported_comments(self, request: HttpRequest, queryset: QuerySet[CommentReport]) -> None:
        if run_action(
            self,
            request,
            queryset.select_related("comment"),
            lambda report: services.comment_hide(comment_id=report.comment_id, by=request.user, reason=report.reason),  # type: ignore[arg-type]
        ):
            self.message_user(request, _("Comments hidden."), messages.SUCCESS)

    @admin.action(description=_("Dismiss the selected reports"))
    def dismiss_reports(self, request: HttpRequest, queryset: QuerySet[CommentReport]) -> None:
        if run_action(
            self,
            request,
            queryset,
            lambda report: services.comment_report_dismiss(report_id=report.pk, by=request.user),  # type: ignore[arg-type]
        ):
            self.message_user(request, _("Reports dismissed."), messages.SUCCESS)


@admin.register(Notification)
class NotificationAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("pk", "recipient", "kind", "event_key", "created_at", "read_at", "email_state")
    list_filter = ("kind", "email_state")
    search_fields = ("event_key", "recipient__email")
    list_select_related = ("recipient",)
    readonly_fields = [field.name for field in Notification._meta.fields]


@admin.register(ReputationEntry)
class ReputationEntryAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("pk", "user", "reason", "points", "amount", "currency", "source_key", "created_at")
    list_filter = ("reason",)
    search_fields = ("source_key", "user__email", "user__display_name")
    list_select_related = ("user",)
    readonly_fields = [field.name for field in ReputationEntry._meta.fields]


@admin.register(Follow)
class FollowAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("pk", "follower", "content_type", "object_id", "created_at")
    list_select_related = ("follower", "content_type")
    list_filter = ("content_type",)


@admin.register(ApiToken)
class ApiTokenAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    """Members' personal API tokens: staff see who holds which (never a secret: only its hash is
    stored) and revoke a leaked one."""

    list_display = ("pk", "user", "name", "prefix", "scope", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("scope",)
    search_fields = ("prefix", "name", "user__email")
    list_select_related = ("user",)
    exclude = ("secret_hash",)
    actions = ["revoke_tokens"]
    object_actions = (
        ObjectAction(
            name="revoke",
            label=_("Revoke the token"),
            explain=_("The token stops working at once, wherever it is used; its member can make a new one."),
            run=lambda token, by, reason: services.api_token_revoke(user=by, token=token),
            when=lambda token: token.revoked_at is None,
        ),
    )

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        run_action(self, request, queryset, lambda token: services.api_token_revoke(user=request.user, token=token))  # type: ignore[arg-type]


register_todo(
    "community.reports",
    label=_("Reported comments to moderate"),
    queryset=lambda: CommentReport.objects.filter(status=ReportStatus.OPEN),
    url=lambda: reverse("admin:community_commentreport_changelist") + "?status__exact=open",
    order=5,
)
