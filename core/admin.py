"""What every app's admin shares: read-only records that staff change only through actions, buttons
and forms that call the services; every staff action written to the admin log and the audit trail;
the index that leads with what needs doing.

- `StaffAdminMixin` goes on every `ModelAdmin`. It writes each save, delete, action and button to
  `core.audit` (who, what, when, before and after, the challenge and member concerned), shows the
  object's buttons (`object_actions`, plus those other apps register with `register_object_action`)
  each behind a confirmation page, and links to the object's audit trail.
- `ReadOnlyMixin` makes an object page a page to read: no Save, no Add, no Delete. Actions still run
  (they need only the view permission).
- `register_todo` lets an app put a count of work waiting on the admin index ("receipts to record").
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import models
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import translation
from django.utils.functional import Promise, cached_property
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import ADDITION, CHANGE, DELETION, Concerns, changed_fields, record_staff_action, snapshot
from core.exceptions import ApplicationError
from core.models import StaffAction
from core.pagination import bounded_count

Label = str | Promise

# Attributes naming the member an object concerns, in order of preference.
MEMBER_ATTRIBUTES = ("recipient_id", "owner_id", "lead_author_id", "author_id", "user_id", "judge_id", "voter_id")


def _always(obj: Any) -> bool:
    return True


@dataclass(frozen=True)
class ObjectAction:
    """A button on an object's admin page. `run(obj, staff, reason)` calls a service; the button opens a
    confirmation page that says `explain` and, when `reason` names a field, asks for the reason the
    service takes. `when(obj)` says whether the button applies to the object as it is now. An action
    with `link` instead of `run` is a plain link to a page of its own (a form)."""

    name: str
    label: Label
    run: Callable[[Any, Any, str], object] | None = None
    explain: Label = ""
    reason: Label | None = None
    when: Callable[[Any], bool] = _always
    link: Callable[[Any], str] | None = None
    done: Label = field(default_factory=lambda: gettext_lazy("Done."))


_registered_actions: dict[type[models.Model], list[ObjectAction]] = {}


def register_object_action(model: type[models.Model], action: ObjectAction) -> None:
    """A higher app adds a button to a lower app's object page (payments: "record a transfer" on a
    challenge), as `challenges.panels` lets it add to a page. Registering twice keeps one."""
    actions = _registered_actions.setdefault(model, [])
    actions[:] = [existing for existing in actions if existing.name != action.name]
    actions.append(action)


class ReasonForm(forms.Form):
    """The reason a staff action asks for (a button's confirmation page, `run_action_with_reason`)."""

    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )


class ConfirmForm(forms.Form):
    """A confirmation page's form: nothing to fill in, the POST (with its CSRF token) is the yes."""


def _in_site_language(label: Label) -> str:
    # The trail and the admin log read the same whatever language each staff member uses.
    with translation.override(settings.LANGUAGE_CODE):
        return str(label)


def _concerns(model_admin: Any, obj: Any) -> Concerns:
    concerns = getattr(model_admin, "concerns", None)
    return concerns(obj) if concerns is not None else default_concerns(obj)


def default_concerns(obj: Any) -> Concerns:
    """The challenge and member an object names by the usual field names."""
    challenge_id = getattr(obj, "challenge_id", None)
    label = str(getattr(obj, "challenge", "") or "") if challenge_id else ""
    member_id = next((getattr(obj, name) for name in MEMBER_ATTRIBUTES if getattr(obj, name, None)), None)
    return Concerns(challenge_id=challenge_id, challenge_label=label, member_id=member_id)


def audited_call(
    model_admin: Any,
    request: HttpRequest,
    obj: Any,
    *,
    action: str,
    summary: Label,
    call: Callable[[], object],
    reason: str = "",
) -> object:
    """Run `call` (a service call on `obj`) and, if it succeeds, record it with the object's fields
    before and after. A refusal (`ApplicationError`) records nothing and reaches the caller."""
    before = snapshot(obj)
    result = call()
    fresh = type(obj)._default_manager.filter(pk=obj.pk).first()
    record_staff_action(
        actor=request.user,
        action=f"{obj._meta.label_lower}.{action}",
        summary=f"{_in_site_language(summary)}: {obj}",
        target=fresh or obj,
        before=before,
        after=snapshot(fresh),
        reason=reason,
        concerns=_concerns(model_admin, fresh or obj),
        flag=CHANGE if fresh is not None else DELETION,
    )
    return result


def _action_label(model_admin: admin.ModelAdmin, request: HttpRequest) -> tuple[str, Label]:
    name = request.POST.get("action", "") or "action"
    found = model_admin.get_action(name) if name != "action" else None
    return name, found[2] if found else name


def may_act(request: HttpRequest, model: type[models.Model]) -> bool:
    """Whether the staff member may change objects of this kind (Django's change permission, which
    superusers have and groups give): the gate of every action, button and record page."""
    opts = model._meta
    return bool(request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}"))


def run_action(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    objects: QuerySet[Any],
    action: Callable[[Any], object],
    *,
    reason: str = "",
) -> int:
    """Apply `action` (a service call) to each object, telling staff what worked and what was
    refused and why: one refusal does not stop the others. Each success is written to the admin
    log and the audit trail. Returns how many succeeded."""
    name, label = _action_label(model_admin, request)
    if not may_act(request, model_admin.model):
        model_admin.message_user(request, _("You may not change these."), messages.ERROR)
        return 0
    done = 0
    for obj in objects:
        try:
            audited_call(
                model_admin, request, obj, action=name, summary=label, call=partial(action, obj), reason=reason
            )
        except ApplicationError as error:
            model_admin.message_user(request, f"{obj}: {error.message}", messages.ERROR)
        else:
            done += 1
    if done:
        model_admin.message_user(request, _("%(count)d done.") % {"count": done}, messages.SUCCESS)
    return done


def run_action_with_reason(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    objects: QuerySet[Any],
    action: Callable[[Any, str], object],
    *,
    title: Label,
) -> TemplateResponse | None:
    """An admin action that needs a reason: a page (titled `title`) asks for it, then `run_action`
    calls `action(obj, reason)` on every selected row. Returns the page while the reason is missing."""
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        reason = " ".join(form.cleaned_data["reason"].split())
        run_action(model_admin, request, objects, lambda obj: action(obj, reason), reason=reason)
        return None
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "form": form,
        "objects": objects,
        "action": request.POST.get("action", ""),
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/core/action_reason.html", context)


def audit_trail_url(**filters: str | int) -> str:
    return reverse("admin:core_staffaction_changelist") + "?" + urlencode(filters)


class StaffAdminMixin:
    """Put first in every `ModelAdmin`'s bases: audit of every change, buttons with confirmation."""

    object_actions: Sequence[ObjectAction] = ()
    change_form_template: ClassVar[Any] = "admin/core/change_form.html"
    change_list_template: ClassVar[Any] = "admin/core/change_list.html"

    # --- what an object concerns ----------------------------------------------------------------

    def concerns(self, obj: Any) -> Concerns:
        return default_concerns(obj)

    def audit_trail_link(self, obj: Any) -> str | None:
        """The audit trail of this object (its own rows); admins of challenges and members widen it."""
        admin_self: Any = self
        return audit_trail_url(content_type__id__exact=_content_type_id(admin_self.model), object_id=str(obj.pk))

    # --- buttons --------------------------------------------------------------------------------

    def get_object_actions(self, obj: Any) -> list[ObjectAction]:
        admin_self: Any = self
        return [*self.object_actions, *_registered_actions.get(admin_self.model, [])]

    def changelist_links(self, request: HttpRequest) -> list[tuple[Label, str]]:
        """Buttons above the list (export a batch, record a receipt): (label, url)."""
        return []

    def _action_url(self, obj: Any, action: ObjectAction) -> str:
        if action.link is not None:
            return action.link(obj)
        admin_self: Any = self
        opts = admin_self.model._meta
        return reverse(
            f"admin:{opts.app_label}_{opts.model_name}_object_action",
            args=[quote(obj.pk), action.name],
            current_app=admin_self.admin_site.name,
        )

    def get_urls(self) -> list[URLPattern]:
        admin_self: Any = self
        opts = admin_self.model._meta
        button = path(
            "<path:object_id>/do/<slug:action>/",
            admin_self.admin_site.admin_view(self.object_action_view),
            name=f"{opts.app_label}_{opts.model_name}_object_action",
        )
        return [button, *super().get_urls()]  # type: ignore[misc]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        admin_self: Any = self
        obj = admin_self.get_object(request, unquote(object_id))
        context = dict(extra_context or {})
        if obj is not None:
            allowed = may_act(request, admin_self.model)
            context["object_actions"] = [
                {"name": action.name, "label": action.label, "url": self._action_url(obj, action)}
                for action in self.get_object_actions(obj)
                if action.when(obj) and (allowed or action.link is not None)
            ]
            context["audit_trail_url"] = self.audit_trail_link(obj)
        return super().change_view(request, object_id, form_url, context)  # type: ignore[misc]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        context = {**(extra_context or {}), "changelist_links": self.changelist_links(request)}
        return super().changelist_view(request, context)  # type: ignore[misc]

    def object_action_view(self, request: HttpRequest, object_id: str, action: str) -> HttpResponse:
        """The confirmation page of a button; a POST that confirms runs the service."""
        admin_self: Any = self
        obj = admin_self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not may_act(request, admin_self.model):
            raise PermissionDenied
        found = next((each for each in self.get_object_actions(obj) if each.name == action), None)
        if found is None or found.run is None:
            raise Http404
        opts = admin_self.model._meta
        change_url = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change",
            args=[quote(obj.pk)],
            current_app=admin_self.admin_site.name,
        )
        if not found.when(obj):
            admin_self.message_user(request, _("That is not possible for this object any more."), messages.WARNING)
            return HttpResponseRedirect(change_url)
        form_class = ReasonForm if found.reason is not None else ConfirmForm
        form = form_class(request.POST if request.method == "POST" else None)
        if found.reason is not None:
            form.fields["reason"].label = str(found.reason)
        if request.method == "POST" and form.is_valid():
            reason = " ".join(form.cleaned_data.get("reason", "").split())
            run = found.run
            try:
                audited_call(
                    self,
                    request,
                    obj,
                    action=found.name,
                    summary=found.label,
                    call=lambda: run(obj, request.user, reason),
                    reason=reason,
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                admin_self.message_user(request, f"{found.done} {obj}", messages.SUCCESS)
                return HttpResponseRedirect(change_url)
        context = {
            **admin_self.admin_site.each_context(request),
            "opts": opts,
            "title": found.label,
            "object": obj,
            "action": found,
            "form": form,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/core/object_action_confirm.html", context)

    # --- Django's own saves and deletes (Django writes their admin log itself) ------------------

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = snapshot(type(obj)._default_manager.filter(pk=obj.pk).first()) if change and obj.pk else None
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        after = snapshot(obj)
        if change:
            summary = _in_site_language(gettext_lazy("Saved")) + f": {obj} ({', '.join(changed_fields(before, after))})"
        else:
            summary = _in_site_language(gettext_lazy("Added")) + f": {obj}"
        record_staff_action(
            actor=request.user,
            action=f"{obj._meta.label_lower}.{'change' if change else 'add'}",
            summary=summary,
            target=obj,
            before=before,
            after=after,
            concerns=self.concerns(obj),
            flag=CHANGE if change else ADDITION,
            admin_log=False,
        )

    def _record_deletion(self, request: HttpRequest, obj: Any, before: dict[str, Any] | None) -> None:
        record_staff_action(
            actor=request.user,
            action=f"{obj._meta.label_lower}.delete",
            summary=_in_site_language(gettext_lazy("Deleted")) + f": {obj}",
            target=obj,
            before=before,
            concerns=self.concerns(obj),
            flag=DELETION,
            admin_log=False,
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        before = snapshot(obj)
        super().delete_model(request, obj)  # type: ignore[misc]
        self._record_deletion(request, obj, before)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        doomed = [(obj, snapshot(obj)) for obj in queryset]
        super().delete_queryset(request, queryset)  # type: ignore[misc]
        for obj, before in doomed:
            self._record_deletion(request, obj, before)


def _content_type_id(model: type[models.Model]) -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(model, for_concrete_model=False).pk


class ReadOnlyMixin:
    """Staff read here; they change things through actions, buttons and forms that call the services.
    With no change permission the object page has no Save buttons (Django shows "Close")."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyTabularInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
    show_change_link = False


# --- What needs doing (the admin index) --------------------------------------------------------

TODO_LIMIT = 99


@dataclass(frozen=True)
class ToDo:
    label: Label
    count: int
    more: bool
    url: str


@dataclass(frozen=True)
class _ToDoSource:
    label: Label
    queryset: Callable[[], QuerySet[Any]]
    url: Callable[[], str]
    order: int


_todos: dict[str, _ToDoSource] = {}


def register_todo(
    key: str, *, label: Label, queryset: Callable[[], QuerySet[Any]], url: Callable[[], str], order: int = 50
) -> None:
    """An app announces work waiting for staff: the admin index counts `queryset()` (up to 99, so
    the index costs the same however much waits) and links to `url()`."""
    _todos[key] = _ToDoSource(label=label, queryset=queryset, url=url, order=order)


def staff_todos() -> list[ToDo]:
    """Every registered kind of work with its bounded count, the ones with work first."""
    todos = []
    for source in sorted(_todos.values(), key=lambda each: each.order):
        count, more = bounded_count(source.queryset(), limit=TODO_LIMIT)
        todos.append(ToDo(label=source.label, count=count, more=more, url=source.url()))
    return sorted(todos, key=lambda todo: todo.count == 0)


admin.site.index_template = "admin/core/index.html"


# --- The audit trail -----------------------------------------------------------------------------

TRAIL_COUNT_LIMIT = 10_000


class BoundedPaginator(Paginator):
    """Counts rows up to a bound, so a page of the trail costs the same however long the trail grows;
    rows further back are reached with the filters (challenge, member, date)."""

    @cached_property
    def count(self) -> int:
        rows: Any = self.object_list  # the admin pages querysets
        return bounded_count(rows, limit=TRAIL_COUNT_LIMIT)[0]


class _SelectedValueFilter(admin.SimpleListFilter):
    """A filter reached by links (from a challenge's or member's page): it offers only the value in
    use, so it costs nothing however many challenges or members there are."""

    field_name = ""

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        value = self.value()
        if not value or not value.isdigit():
            return []
        return [(value, self.describe(int(value)))]

    def describe(self, value: int) -> str:
        return str(value)

    def has_output(self) -> bool:
        return True

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(**{self.field_name: int(value)})
        return queryset


class ChallengeFilter(_SelectedValueFilter):
    title = gettext_lazy("challenge")
    parameter_name = field_name = "challenge_id"

    def describe(self, value: int) -> str:
        label = StaffAction.objects.filter(challenge_id=value).values_list("challenge_label", flat=True).first()
        return f"#{value} {label or ''}".strip()


class MemberFilter(_SelectedValueFilter):
    title = gettext_lazy("member")
    parameter_name = "member"
    field_name = "member_id"

    def describe(self, value: int) -> str:
        from django.contrib.auth import get_user_model

        email = get_user_model()._default_manager.filter(pk=value).values_list("email", flat=True).first()
        return str(email or f"#{value}")


class ActorFilter(MemberFilter):
    title = gettext_lazy("staff member")
    parameter_name = "actor"
    field_name = "actor_id"


@admin.register(StaffAction)
class StaffActionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The audit trail: read-only, newest first, filtered per challenge, member or staff member."""

    list_display = ["at", "actor_label", "what", "challenge_link", "member"]
    list_filter = [ChallengeFilter, MemberFilter, ActorFilter]
    search_fields = ["summary", "reason", "object_repr", "challenge_label", "actor_label", "member__email", "action"]
    list_select_related = ["member"]
    list_filter = [*list_filter, ("at", admin.DateFieldListFilter)]
    paginator = BoundedPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # counts per filter value would read the whole trail
    fields = readonly_fields = (
        "at",
        "actor",
        "actor_label",
        "action",
        "summary",
        "reason",
        "target_link",
        "challenge_link",
        "member",
        "before",
        "after",
        "changes",
    )

    @admin.display(description=gettext_lazy("what"))
    def what(self, row: StaffAction) -> str:
        return f"{row.summary} ({row.reason})" if row.reason else row.summary

    @admin.display(description=gettext_lazy("challenge"), ordering="challenge_id")
    def challenge_link(self, row: StaffAction) -> str:
        if row.challenge_id is None:
            return "–"
        url = audit_trail_url(challenge_id=row.challenge_id)
        return format_html('<a href="{}">{}</a>', url, row.challenge_label or f"#{row.challenge_id}")

    @admin.display(description=gettext_lazy("object"))
    def target_link(self, row: StaffAction) -> str:
        if row.content_type is None or not row.object_id:
            return row.object_repr or "–"
        try:
            url = reverse(f"admin:{row.content_type.app_label}_{row.content_type.model}_change", args=[row.object_id])
        except NoReverseMatch:  # a kind of object without an admin page shows as text
            return row.object_repr
        return format_html('<a href="{}">{}</a>', url, row.object_repr)

    @admin.display(description=gettext_lazy("changed fields"))
    def changes(self, row: StaffAction) -> str:
        return ", ".join(changed_fields(row.before, row.after)) or "–"
