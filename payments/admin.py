"""Staff run the money here: a read-only ledger with filters, funding receipts (recorded through the
service), payouts (retry, mark paid by hand, mark failed, record a return after payment) and SEPA
batches (export, download, mark paid or rejected). Nothing is edited in place; every change goes
through `payments.services`."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from challenges.models import Challenge, ChallengeStatus, Currency
from community.http import request_member
from core.actors import Actor
from core.admin import (
    ObjectAction,
    ReadOnlyMixin,
    StaffAdminMixin,
    may_act,
    register_object_action,
    register_todo,
    run_action,
    run_action_with_reason,
)
from core.audit import ADDITION, Concerns, record_staff_action, snapshot
from core.exceptions import ApplicationError
from core.forms import add_application_error
from core.money import MoneyFormField
from payments import services
from payments.models import (
    Account,
    BatchStatus,
    Entry,
    FundingReceipt,
    LedgerTransaction,
    Payout,
    PayoutBatch,
    PayoutMethod,
    PayoutStatus,
    PayoutTransition,
    ReconciliationRun,
)
from payments.providers import manual
from payments.selectors import money_state

ENTRY_FIELDS: tuple[str, ...] = ("account", "amount", "currency")
TRANSITION_FIELDS: tuple[str, ...] = ("created_at", "from_status", "to_status", "actor", "task", "reason")
METHOD_FIELDS: tuple[str, ...] = (
    "owner",
    "provider",
    "holder_name",
    "shown_as",
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
class LedgerTransactionAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "idempotency_key", "challenge", "memo", "created_by", "task"]
    list_filter = ["kind", "created_at", "entries__currency"]
    search_fields = ["idempotency_key", "memo", "challenge__title"]
    list_select_related = ["challenge", "created_by"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in LedgerTransaction._meta.fields]
    inlines = [EntryInline]


@admin.register(Entry)
class EntryAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["transaction", "account", "amount", "currency"]
    list_filter = ["account__kind", "currency", "transaction__kind"]
    search_fields = ["transaction__idempotency_key", "account__challenge__title", "account__owner__email"]
    list_select_related = ["transaction", "account"]
    readonly_fields = [field.name for field in Entry._meta.fields]


@admin.register(Account)
class AccountAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
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


def _receipt_record_url(challenge: Challenge | None = None) -> str:
    url = reverse("admin:payments_fundingreceipt_record")
    return f"{url}?challenge={challenge.pk}" if challenge is not None else url


@admin.register(FundingReceipt)
class FundingReceiptAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    """Receipts are recorded once, from the bank statement, and never changed: the record page is a
    button above the list (and on a challenge waiting for its budget), not "Add"."""

    list_display = ["received_on", "reference", "challenge", "amount", "currency", "payer_name", "recorded_by"]
    list_filter = ["currency", "received_on"]
    search_fields = ["reference", "bank_transaction_id", "challenge__title", "payer_name"]
    list_select_related = ["challenge", "recorded_by"]
    readonly_fields = [field.name for field in FundingReceipt._meta.fields]

    def concerns(self, obj: FundingReceipt) -> Concerns:
        return Concerns(
            challenge_id=obj.challenge_id, challenge_label=obj.challenge.title, member_id=obj.challenge.owner_id
        )

    def changelist_links(self, request: HttpRequest) -> list[tuple[Any, str]]:
        return [(_("Record a bank transfer received"), _receipt_record_url())]

    def get_urls(self) -> list[URLPattern]:
        record = path("record/", self.admin_site.admin_view(self.record_view), name="payments_fundingreceipt_record")
        return [record, *super().get_urls()]

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Old bookmarks of "Add" lead to the record page.
        return HttpResponseRedirect(_receipt_record_url())

    def record_view(self, request: HttpRequest) -> HttpResponse:
        if not may_act(request, FundingReceipt):
            raise PermissionDenied
        challenge = None
        initial: dict[str, Any] = {}
        if (challenge_id := request.GET.get("challenge", "")).isdigit():
            challenge = Challenge.objects.filter(pk=int(challenge_id)).first()
        if challenge is not None:
            initial = {"reference": services.funding_request_ensure(challenge=challenge).reference}
            initial["currency"] = challenge.currency
        form = ReceiptForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                receipt = services.funding_receipt_record(by=request_member(request), **form.cleaned_data)
            except ApplicationError as error:
                add_application_error(form, error, message_on_top=True)
            else:
                receipt.challenge.refresh_from_db()
                summary = _("Recorded %(amount)s %(currency)s for “%(challenge)s” (now %(status)s).") % {
                    "amount": receipt.amount,
                    "currency": receipt.currency,
                    "challenge": receipt.challenge.title,
                    "status": receipt.challenge.get_status_display(),
                }
                record_staff_action(
                    actor=request.user,
                    action="payments.fundingreceipt.record",
                    summary=summary,
                    target=receipt,
                    after=snapshot(receipt),
                    concerns=self.concerns(receipt),
                    flag=ADDITION,
                )
                self.message_user(request, summary, messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:payments_fundingreceipt_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Record a bank transfer received"),
            "form": form,
            "challenge": challenge,
        }
        return TemplateResponse(request, "admin/payments/record_receipt.html", context)


# A challenge waiting for its budget gets the button on its own page: the transfer opens it once its
# escrow covers the budget.
register_object_action(
    Challenge,
    ObjectAction(
        name="record-transfer",
        label=gettext_lazy("Record a bank transfer (opens the challenge once the budget is in)"),
        link=_receipt_record_url,
        when=lambda challenge: challenge.status == ChallengeStatus.FUNDING,
    ),
)


# --- Payouts ----------------------------------------------------------------------------------


class PayoutTransitionInline(ReadOnlyMixin, admin.TabularInline):
    model = PayoutTransition
    extra = 0
    fields = readonly_fields = TRANSITION_FIELDS


def _at_the_bank(payout: Payout) -> bool:
    """In an exported SEPA file: settled only with the whole file (on the batch's page)."""
    return payout.batch_id is not None and payout.batch is not None and payout.batch.status == BatchStatus.EXPORTED


PAYOUT_ACTIONS = (
    ObjectAction(
        name="retry",
        label=gettext_lazy("Retry"),
        explain=gettext_lazy("The payout goes back to pending with fresh attempts and is sent again."),
        run=lambda payout, by, reason: services.payout_retry(payout=payout, actor=Actor.user(by)),
        when=lambda payout: payout.status == PayoutStatus.FAILED,
    ),
    ObjectAction(
        name="mark-paid",
        label=gettext_lazy("Mark paid"),
        explain=gettext_lazy(
            "The transfer was made by hand outside a SEPA batch and left the bank: the payment is written to "
            "the ledger. This cannot be undone (a transfer the bank returns later is recorded as returned)."
        ),
        run=lambda payout, by, reason: services.payout_mark_paid(payout=payout, actor=Actor.user(by)),
        when=lambda payout: payout.status == PayoutStatus.SUBMITTED and not _at_the_bank(payout),
    ),
    ObjectAction(
        name="mark-failed",
        label=gettext_lazy("Mark failed"),
        explain=gettext_lazy(
            "The bank refused this transfer (made by hand, outside a SEPA batch): the money stays payable "
            "and the payout can be retried."
        ),
        reason=gettext_lazy("Why did the bank refuse it?"),
        run=lambda payout, by, reason: services.payout_mark_failed(payout=payout, actor=Actor.user(by), reason=reason),
        when=lambda payout: payout.status == PayoutStatus.SUBMITTED and not _at_the_bank(payout),
    ),
    ObjectAction(
        name="mark-returned",
        label=gettext_lazy("Returned by the bank"),
        explain=gettext_lazy(
            "The bank sent the money back after paying it: the payment is reversed in the ledger, the payout "
            "fails with your reason and can be retried into a new file."
        ),
        reason=gettext_lazy("Why did the bank return it?"),
        run=lambda payout, by, reason: services.payout_return(payout=payout, actor=Actor.user(by), reason=reason),
        when=lambda payout: payout.status == PayoutStatus.PAID,
    ),
)


@admin.register(Payout)
class PayoutAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "pk",
        "recipient",
        "kind",
        "amount",
        "currency",
        "money_state",
        "status",
        "provider",
        "attempts",
        "batch",
        "created_at",
    ]
    list_filter = ["status", "kind", "currency", "provider"]
    search_fields = ["recipient__email", "idempotency_key", "challenge__title", "description"]
    list_select_related = ["recipient", "batch"]
    readonly_fields = ["money_state", *[field.name for field in Payout._meta.fields]]
    inlines = [PayoutTransitionInline]
    actions = ["retry", "mark_paid", "mark_failed", "mark_returned"]
    object_actions = PAYOUT_ACTIONS

    @admin.display(description=gettext_lazy("where the money is"))
    def money_state(self, payout: Payout) -> str:
        return money_state(payout).label

    @admin.action(description=gettext_lazy("Retry (failed payouts)"))
    def retry(self, request: HttpRequest, queryset: QuerySet[Payout]) -> None:
        run_action(
            self,
            request,
            queryset,
            lambda p: services.payout_retry(payout=p, actor=Actor.user(request_member(request))),
        )

    @admin.action(description=gettext_lazy("Mark paid (sent by hand, outside a SEPA batch)"))
    def mark_paid(self, request: HttpRequest, queryset: QuerySet[Payout]) -> None:
        run_action(
            self,
            request,
            queryset,
            lambda p: services.payout_mark_paid(payout=p, actor=Actor.user(request_member(request))),
        )

    @admin.action(description=gettext_lazy("Mark failed (sent by hand, refused by the bank; not in a SEPA batch)"))
    def mark_failed(self, request: HttpRequest, queryset: QuerySet[Payout]) -> TemplateResponse | None:
        return run_action_with_reason(
            self,
            request,
            queryset,
            lambda p, reason: services.payout_mark_failed(
                payout=p, actor=Actor.user(request_member(request)), reason=reason
            ),
            title=_("Why did the bank refuse these payouts?"),
        )

    @admin.action(description=gettext_lazy("Returned by the bank after it was paid (reverses the payment)"))
    def mark_returned(self, request: HttpRequest, queryset: QuerySet[Payout]) -> TemplateResponse | None:
        return run_action_with_reason(
            self,
            request,
            queryset,
            lambda p, reason: services.payout_return(
                payout=p, actor=Actor.user(request_member(request)), reason=reason
            ),
            title=_("Why did the bank return these payouts?"),
        )


BATCH_ACTIONS = (
    ObjectAction(
        name="mark-paid",
        label=gettext_lazy("Mark paid"),
        explain=gettext_lazy(
            "The bank executed this file: every payout in it is paid and written to the ledger. "
            "This cannot be undone (a single transfer the bank returns later is recorded on its payout)."
        ),
        run=lambda batch, by, reason: services.payout_batch_mark_paid(batch=batch, by=by),
        when=lambda batch: batch.status == BatchStatus.EXPORTED,
    ),
    ObjectAction(
        name="mark-rejected",
        label=gettext_lazy("Rejected by the bank"),
        explain=gettext_lazy(
            "The bank refused the whole file: nothing in it was paid. Every payout in it fails with your "
            "reason and stays payable; retry them into a new file."
        ),
        reason=gettext_lazy("Why did the bank reject the file?"),
        run=lambda batch, by, reason: services.payout_batch_reject(batch=batch, by=by, reason=reason),
        when=lambda batch: batch.status == BatchStatus.EXPORTED,
    ),
    ObjectAction(
        name="download",
        label=gettext_lazy("Download the pain.001 file"),
        link=lambda batch: reverse("admin:payments_payoutbatch_file", args=[batch.pk]),
    ),
)


@admin.register(PayoutBatch)
class PayoutBatchAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    """SEPA files: exported with the button above the list (not "Add"), settled with the buttons on
    the file's page (or the list's actions)."""

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
    object_actions = BATCH_ACTIONS

    def changelist_links(self, request: HttpRequest) -> list[tuple[Any, str]]:
        return [(_("Export a SEPA batch"), reverse("admin:payments_payoutbatch_export"))]

    def get_urls(self) -> list[URLPattern]:
        admin_view = self.admin_site.admin_view
        return [
            path("<int:pk>/file/", admin_view(self.file_view), name="payments_payoutbatch_file"),
            path("export/", admin_view(self.export_view), name="payments_payoutbatch_export"),
            *super().get_urls(),
        ]

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
        # Old bookmarks of "Add" lead to the export page.
        return HttpResponseRedirect(reverse("admin:payments_payoutbatch_export"))

    def export_view(self, request: HttpRequest) -> HttpResponse:
        """The confirmation page of the export: what waits, and the button that writes the file."""
        if not may_act(request, PayoutBatch):
            raise PermissionDenied
        waiting = services.payouts_waiting_for_batch()
        if request.method == "POST":
            try:
                batch = services.payout_batch_create(by=request_member(request))
            except ApplicationError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                summary = _(
                    "Exported %(count)d payouts (%(total)s EUR). "
                    "Download the file, send it to the bank, then mark the batch paid."
                ) % {"count": batch.count, "total": batch.total}
                record_staff_action(
                    actor=request.user,
                    action="payments.payoutbatch.export",
                    summary=summary,
                    target=batch,
                    after=snapshot(batch),
                    flag=ADDITION,
                )
                self.message_user(request, summary, messages.SUCCESS)
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
        run_action(
            self, request, queryset, lambda b: services.payout_batch_mark_paid(batch=b, by=request_member(request))
        )

    @admin.action(description=gettext_lazy("Mark rejected (the bank refused the whole file; its payouts fail)"))
    def mark_rejected(self, request: HttpRequest, queryset: QuerySet[PayoutBatch]) -> TemplateResponse | None:
        return run_action_with_reason(
            self,
            request,
            queryset,
            lambda b, reason: services.payout_batch_reject(batch=b, by=request_member(request), reason=reason),
            title=_("Why did the bank reject these files?"),
        )


# --- What waits for staff (the admin index) ----------------------------------------------------

register_todo(
    "payments.receipts",
    label=gettext_lazy("Challenges waiting for their budget (bank transfers to record)"),
    queryset=lambda: Challenge.objects.filter(status=ChallengeStatus.FUNDING),
    url=lambda: reverse("admin:challenges_challenge_changelist") + "?status__exact=funding",
    order=10,
)
register_todo(
    "payments.to_batch",
    label=gettext_lazy("Payouts waiting for a SEPA batch (export one)"),
    queryset=lambda: Payout.objects.filter(
        provider=manual.NAME, status=PayoutStatus.SUBMITTED, currency="EUR", batch__isnull=True
    ),
    url=lambda: reverse("admin:payments_payoutbatch_export"),
    order=20,
)
register_todo(
    "payments.at_the_bank",
    label=gettext_lazy("SEPA batches at the bank (mark paid or rejected)"),
    queryset=lambda: PayoutBatch.objects.filter(status=BatchStatus.EXPORTED),
    url=lambda: reverse("admin:payments_payoutbatch_changelist") + "?status__exact=exported",
    order=30,
)
register_todo(
    "payments.failed",
    label=gettext_lazy("Failed payouts (retry, or ask the member for a new account)"),
    queryset=lambda: Payout.objects.filter(status=PayoutStatus.FAILED),
    url=lambda: reverse("admin:payments_payout_changelist") + "?status__exact=failed",
    order=40,
)


@admin.register(PayoutMethod)
class PayoutMethodAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["owner", "provider", "holder_name", "shown_as", "is_active", "usable_from", "created_at"]
    list_filter = ["is_active", "provider"]
    search_fields = ["owner__email", "holder_name"]
    list_select_related = ["owner"]
    fields = readonly_fields = METHOD_FIELDS


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(StaffAdminMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["started_at", "checked_payouts", "mismatch_count"]
    readonly_fields = ["started_at", "checked_payouts", "mismatches"]

    @admin.display(description=gettext_lazy("mismatches"))
    def mismatch_count(self, run: ReconciliationRun) -> int:
        return len(run.mismatches)
