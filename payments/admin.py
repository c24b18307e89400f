"""Staff run the money here: a read-only ledger with filters, funding receipts (recorded through the
service), payouts (retry, mark paid by hand, mark failed, record a return after payment) and SEPA
batches (export, download, mark paid or rejected). Nothing is edited in place; every change goes
through `payments.services`."""

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from challenges.models import Currency
from community.models import User
from core.admin import ReadOnlyMixin, run_action
from core.exceptions import ApplicationError
from core.money import MoneyFormField
from payments import services
from payments.forms import add_application_error
from payments.models import (
    Account,
    Entry,
    FundingReceipt,
    LedgerTransaction,
    Payout,
    PayoutBatch,
    PayoutMethod,
    PayoutTransition,
    ReconciliationRun,
)


def _staff(request: HttpRequest) -> User:
    return cast(User, request.user)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )


def _run_with_reason(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    objects: QuerySet[Any],
    action: Callable[[Any, str], object],
    *,
    title: str,
) -> TemplateResponse | None:
    """An action that needs a reason: a page asks for it, then the action runs on every selected row."""
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        reason = form.cleaned_data["reason"]
        run_action(model_admin, request, objects, lambda obj: action(obj, reason))
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
    return TemplateResponse(request, "admin/payments/action_reason.html", context)


ENTRY_FIELDS: tuple[str, ...] = ("account", "amount", "currency")
TRANSITION_FIELDS: tuple[str, ...] = ("created_at", "from_status", "to_status", "actor", "task", "reason")
METHOD_FIELDS: tuple[str, ...] = (
    "owner",
    "holder_name",
    "masked_iban",
    "bic",
    "country",
    "is_active",
    "usable_from",
    "created_at",
    "removed_at",
)


# --- Ledger -----------------------------------------------------------------------------------


class EntryInline(ReadOnlyMixin, admin.TabularInline):
    model = Entry
    extra = 0
    fields = readonly_fields = ENTRY_FIELDS


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "idempotency_key", "challenge", "memo", "created_by", "task"]
    list_filter = ["kind", "created_at", "entries__currency"]
    search_fields = ["idempotency_key", "memo", "challenge__title"]
    list_select_related = ["challenge", "created_by"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in LedgerTransaction._meta.fields]
    inlines = [EntryInline]


@admin.register(Entry)
class EntryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["transaction", "account", "amount", "currency"]
    list_filter = ["account__kind", "currency", "transaction__kind"]
    search_fields = ["transaction__idempotency_key", "account__challenge__title", "account__owner__email"]
    list_select_related = ["transaction", "account"]
    readonly_fields = [field.name for field in Entry._meta.fields]


@admin.register(Account)
class AccountAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["__str__", "kind", "currency", "challenge", "owner", "provider", "balance"]
    list_filter = ["kind", "currency", "provider"]
    search_fields = ["challenge__title", "owner__email"]
    list_select_related = ["challenge", "owner"]
    readonly_fields = [*[field.name for field in Account._meta.fields], "balance"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Account]:
        return super().get_queryset(request).annotate(total=Sum("entries__amount"))

    @admin.display(description=gettext_lazy("balance"), ordering="total")
    def balance(self, account: Account) -> object:
        return getattr(account, "total", None) or 0


# --- Funding ----------------------------------------------------------------------------------


class ReceiptForm(forms.Form):
    reference = forms.CharField(label=gettext_lazy("Payment reference"), max_length=40)
    amount = MoneyFormField(label=gettext_lazy("Amount"), max_digits=14, decimal_places=2)
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=Currency.choices)
    bank_transaction_id = forms.CharField(
        label=gettext_lazy("Bank transaction id"),
        max_length=80,
        help_text=gettext_lazy("From the bank statement line."),
    )
    received_on = forms.DateField(label=gettext_lazy("Received on"), initial=timezone.localdate)
    payer_name = forms.CharField(label=gettext_lazy("Payer"), max_length=140, required=False)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)


@admin.register(FundingReceipt)
class FundingReceiptAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["received_on", "reference", "challenge", "amount", "currency", "payer_name", "recorded_by"]
    list_filter = ["currency", "received_on"]
    search_fields = ["reference", "bank_transaction_id", "challenge__title", "payer_name"]
    list_select_related = ["challenge", "recorded_by"]
    readonly_fields = [field.name for field in FundingReceipt._meta.fields]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_staff)

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        form = ReceiptForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                receipt = services.funding_receipt_record(by=_staff(request), **form.cleaned_data)
            except ApplicationError as error:
                add_application_error(form, error)
            else:
                receipt.challenge.refresh_from_db()
                self.message_user(
                    request,
                    _("Recorded %(amount)s %(currency)s for “%(challenge)s” (now %(status)s).")
                    % {
                        "amount": receipt.amount,
                        "currency": receipt.currency,
                        "challenge": receipt.challenge.title,
                        "status": receipt.challenge.get_status_display(),
                    },
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:payments_fundingreceipt_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Record a bank transfer received"),
            "form": form,
        }
        return TemplateResponse(request, "admin/payments/record_receipt.html", context)


# --- Payouts ----------------------------------------------------------------------------------


class PayoutTransitionInline(ReadOnlyMixin, admin.TabularInline):
    model = PayoutTransition
    extra = 0
    fields = readonly_fields = TRANSITION_FIELDS


@admin.register(Payout)
class PayoutAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "pk",
        "recipient",
        "kind",
        "amount",
        "currency",
        "status",
        "provider",
        "attempts",
        "batch",
        "created_at",
    ]
    list_filter = ["status", "kind", "currency", "provider"]
    search_fields = ["recipient__email", "idempotency_key", "challenge__title", "description"]
    list_select_related = ["recipient", "batch"]
    readonly_fields = [field.name for field in Payout._meta.fields]
    inlines = [PayoutTransitionInline]
    actions = ["retry", "mark_paid", "mark_failed", "mark_returned"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return admin.ModelAdmin.has_change_permission(self, request, obj)  # for the actions; fields stay read-only

    @admin.action(description=gettext_lazy("Retry (failed payouts)"))
    def retry(self, request: HttpRequest, queryset: QuerySet[Payout]) -> None:
        run_action(self, request, queryset, lambda p: services.payout_retry(payout=p, by=_staff(request)))

    @admin.action(description=gettext_lazy("Mark paid (sent by hand, outside a SEPA batch)"))
    def mark_paid(self, request: HttpRequest, queryset: QuerySet[Payout]) -> None:
        run_action(self, request, queryset, lambda p: services.payout_mark_paid(payout=p, by=_staff(request)))

    @admin.action(description=gettext_lazy("Mark failed (sent by hand, refused by the bank; not in a SEPA batch)"))
    def mark_failed(self, request: HttpRequest, queryset: QuerySet[Payout]) -> TemplateResponse | None:
        return _run_with_reason(
            self,
            request,
            queryset,
            lambda p, reason: services.payout_mark_failed(payout=p, by=_staff(request), reason=reason),
            title=_("Why did the bank refuse these payouts?"),
        )

    @admin.action(description=gettext_lazy("Returned by the bank after it was paid (reverses the payment)"))
    def mark_returned(self, request: HttpRequest, queryset: QuerySet[Payout]) -> TemplateResponse | None:
        return _run_with_reason(
            self,
            request,
            queryset,
            lambda p, reason: services.payout_return(payout=p, by=_staff(request), reason=reason),
            title=_("Why did the bank return these payouts?"),
        )


@admin.register(PayoutBatch)
class PayoutBatchAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["message_id", "currency", "count", "total", "status", "created_at", "paid_at", "download"]
    list_filter = ["status", "currency"]
    readonly_fields = [
        "message_id",
        "currency",
        "count",
        "total",
        "status",
        "created_by",
        "created_at",
        "paid_by",
        "paid_at",
        "rejected_by",
        "rejected_at",
        "rejection_reason",
        "download",
    ]
    exclude = ["xml"]
    actions = ["mark_paid", "mark_rejected"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_staff)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return admin.ModelAdmin.has_change_permission(self, request, obj)

    def get_urls(self) -> list[URLPattern]:
        download = path("<int:pk>/file/", self.admin_site.admin_view(self.file_view), name="payments_payoutbatch_file")
        return [download, *super().get_urls()]

    @admin.display(description=gettext_lazy("pain.001 file"))
    def download(self, batch: PayoutBatch) -> str:
        url = reverse("admin:payments_payoutbatch_file", args=[batch.pk])
        return format_html('<a href="{}" data-testid="batch-download">{}</a>', url, _("Download"))

    def file_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = get_object_or_404(PayoutBatch, pk=pk)
        response = HttpResponse(batch.xml, content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{batch.message_id}.xml"'
        return response

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        waiting = services.payouts_waiting_for_batch()
        if request.method == "POST":
            try:
                batch = services.payout_batch_create(by=_staff(request))
            except ApplicationError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    _(
                        "Exported %(count)d payouts (%(total)s EUR). "
                        "Download the file, send it to the bank, then mark the batch paid."
                    )
                    % {"count": batch.count, "total": batch.total},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:payments_payoutbatch_change", args=[batch.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Export a SEPA batch"),
            "waiting": waiting,
        }
        return TemplateResponse(request, "admin/payments/export_batch.html", context)

    @admin.action(description=gettext_lazy("Mark paid (the bank executed the file)"))
    def mark_paid(self, request: HttpRequest, queryset: QuerySet[PayoutBatch]) -> None:
        run_action(self, request, queryset, lambda b: services.payout_batch_mark_paid(batch=b, by=_staff(request)))

    @admin.action(description=gettext_lazy("Mark rejected (the bank refused the whole file; its payouts fail)"))
    def mark_rejected(self, request: HttpRequest, queryset: QuerySet[PayoutBatch]) -> TemplateResponse | None:
        return _run_with_reason(
            self,
            request,
            queryset,
            lambda b, reason: services.payout_batch_reject(batch=b, by=_staff(request), reason=reason),
            title=_("Why did the bank reject these files?"),
        )


@admin.register(PayoutMethod)
class PayoutMethodAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["owner", "holder_name", "masked_iban", "bic", "country", "is_active", "usable_from", "created_at"]
    list_filter = ["is_active", "country"]
    search_fields = ["owner__email", "holder_name"]
    list_select_related = ["owner"]
    fields = readonly_fields = METHOD_FIELDS


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["started_at", "checked_payouts", "mismatch_count"]
    readonly_fields = ["started_at", "checked_payouts", "mismatches"]

    @admin.display(description=gettext_lazy("mismatches"))
    def mismatch_count(self, run: ReconciliationRun) -> int:
        return len(run.mismatches)
