"""Escrow, the double-entry ledger, funding receipts, payout methods, payouts, batches and reconciliation.

Money is `Decimal(14, 2)` with a currency everywhere (every supported currency has cents). The
ledger is the only truth about balances: an account's balance is the sum of its entries.

Invariants the database holds by itself (migration `0002_ledger_triggers`):

- every ledger transaction's entries sum to zero per currency and it has at least two entries
  (a deferred constraint trigger, checked at commit, so the ORM cannot bypass it);
- an entry's currency is its account's currency;
- accounts with a floor (escrow, payable) never end a transaction below zero, checked with the
  account row locked so concurrent transactions are serialised (migration `0003`);
- ledger transactions and entries are append-only (updates and deletes are refused);
- an account with entries keeps its kind, currency, floor and owner (migration `0003`).

Everything spanning the ledger and other rows (a payout paid once, an award share moved once) is
an idempotency key with a unique constraint.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from challenges.models import Currency
from core.models import TransitionRecord, choices_check


class AccountKind(models.TextChoices):
    ESCROW = "escrow", _("Challenge escrow")
    PAYABLE = "payable", _("Member payable")
    PLATFORM = "platform", _("Platform")
    CLEARING = "clearing", _("External clearing")


# Accounts whose balance may never end a transaction below zero. Clearing accounts mirror money
# outside the ledger (a bank, a card processor): they go negative as money comes in.
FLOORED_KINDS = (AccountKind.ESCROW, AccountKind.PAYABLE, AccountKind.PLATFORM)


class Account(models.Model):
    """A ledger account: one per challenge (escrow), member (payable), provider (clearing) and currency."""

    kind = models.CharField(_("kind"), max_length=10, choices=AccountKind.choices)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    challenge = models.ForeignKey(
        "challenges.Challenge", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    provider = models.CharField(_("provider"), max_length=30, blank=True)
    has_floor = models.BooleanField(_("never below zero"), editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        ordering = ["kind", "currency", "pk"]
        constraints = [
            choices_check("kind", AccountKind, "payments_account_kind_valid"),
            choices_check("currency", Currency, "payments_account_currency_valid"),
            models.UniqueConstraint(
                fields=["challenge", "currency"], condition=Q(kind="escrow"), name="payments_account_one_escrow"
            ),
            models.UniqueConstraint(
                fields=["owner", "currency"], condition=Q(kind="payable"), name="payments_account_one_payable"
            ),
            models.UniqueConstraint(
                fields=["provider", "currency"], condition=Q(kind="clearing"), name="payments_account_one_clearing"
            ),
            models.UniqueConstraint(
                fields=["currency"], condition=Q(kind="platform"), name="payments_account_one_platform"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="escrow", challenge__isnull=False, owner__isnull=True, provider="")
                    | Q(kind="payable", challenge__isnull=True, owner__isnull=False, provider="")
                    | Q(kind="clearing", challenge__isnull=True, owner__isnull=True) & ~Q(provider="")
                    | Q(kind="platform", challenge__isnull=True, owner__isnull=True, provider="")
                ),
                name="payments_account_kind_fields",
            ),
            models.CheckConstraint(
                condition=Q(has_floor=True, kind__in=FLOORED_KINDS) | Q(has_floor=False, kind="clearing"),
                name="payments_account_floor_by_kind",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == AccountKind.ESCROW:
            return f"escrow:challenge-{self.challenge_id}:{self.currency}"
        if self.kind == AccountKind.PAYABLE:
            return f"payable:member-{self.owner_id}:{self.currency}"
        if self.kind == AccountKind.CLEARING:
            return f"clearing:{self.provider}:{self.currency}"
        return f"platform:{self.currency}"


class TransactionKind(models.TextChoices):
    FUNDING = "funding", _("Funding received")
    AWARD = "award", _("Award to payable")
    PAYOUT = "payout", _("Payout paid")
    REFUND = "refund", _("Refund of escrow")
    # A paid payout the bank sent back: provider clearing → the member's payable again.
    RETURN = "return", _("Payout returned by the bank")


class LedgerTransaction(models.Model):
    """One movement of money: entries that sum to zero per currency. Append-only."""

    kind = models.CharField(_("kind"), max_length=10, choices=TransactionKind.choices)
    # The request that caused it: `funding:<receipt>`, `award-share:<share>`, `payout:<payout>`,
    # `refund:<challenge>:<n>`, `payout-return:<payout>`. Unique: a request delivered twice moves money once.
    idempotency_key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    challenge = models.ForeignKey(
        "challenges.Challenge", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    memo = models.CharField(_("memo"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    task = models.CharField(_("task"), max_length=80, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        ordering = ["-created_at", "-pk"]
        constraints = [choices_check("kind", TransactionKind, "payments_transaction_kind_valid")]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key}"


class Entry(models.Model):
    """One leg of a transaction: a signed amount on an account (positive: the account's balance grows)."""

    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["transaction", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="payments_entry_not_zero"),
            choices_check("currency", Currency, "payments_entry_currency_valid"),
        ]
        indexes = [models.Index(fields=["account", "transaction"], name="payments_entry_account_idx")]

    def __str__(self) -> str:
        return f"{self.account}: {self.amount} {self.currency}"


class FundingRequest(models.Model):
    """How a client pays a challenge's budget: the bank-transfer reference of the manual provider."""

    challenge = models.OneToOneField("challenges.Challenge", on_delete=models.PROTECT, related_name="+")
    provider = models.CharField(_("provider"), max_length=30)
    reference = models.CharField(_("payment reference"), max_length=35, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("funding request")
        verbose_name_plural = _("funding requests")

    def __str__(self) -> str:
        return self.reference


class FundingReceipt(models.Model):
    """A payment staff saw arrive (a bank transfer), moved into the challenge's escrow."""

    challenge = models.ForeignKey("challenges.Challenge", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    reference = models.CharField(_("payment reference"), max_length=35)
    # The bank's own id of the credit (statement line): the same line recorded twice is one receipt.
    bank_transaction_id = models.CharField(_("bank transaction id"), max_length=80)
    payer_name = models.CharField(_("payer"), max_length=140, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    transaction = models.OneToOneField(LedgerTransaction, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    received_on = models.DateField(_("received on"))
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("funding receipt")
        verbose_name_plural = _("funding receipts")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["bank_transaction_id"], name="payments_receipt_bank_line_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_receipt_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.amount} {self.currency}"


class PayoutMethod(models.Model):
    """Where a member's money goes: a provider and the destination it pays to. Replaced, never edited;
    the newest active one is used.

    `destination` is opaque here: the provider (`payments.providers.provider_for(provider)`) cleaned
    it, reads it when it pays, and said how to show it (`shown_as`, masked: `NL91 •••• 4300`).
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payout_methods")
    provider = models.CharField(_("provider"), max_length=30)
    holder_name = models.CharField(_("account holder"), max_length=70)
    destination = models.JSONField(_("payout destination"), default=dict)
    shown_as = models.CharField(_("masked account"), max_length=60)
    is_active = models.BooleanField(_("active"), default=True)
    # A new or changed method pays nothing before this (`PAYMENTS_METHOD_CHANGE_HOLD_HOURS`).
    usable_from = models.DateTimeField(_("usable from"))
    created_at = models.DateTimeField(_("added"), auto_now_add=True)
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)

    class Meta:
        verbose_name = _("payout method")
        verbose_name_plural = _("payout methods")
        ordering = ["owner", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["owner"], condition=Q(is_active=True), name="payments_method_one_active"),
            models.CheckConstraint(
                condition=Q(is_active=True) | Q(removed_at__isnull=False), name="payments_method_removed_when"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.holder_name} {self.shown_as}"


class PayoutStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PROCESSING = "processing", _("Processing")
    SUBMITTED = "submitted", _("Sent to the bank")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")


class PayoutKind(models.TextChoices):
    AWARD = "award", _("Prize")
    REFUND = "refund", _("Refund")


class Payout(models.Model):
    """Money owed from a payable account to its owner, sent through a provider exactly once."""

    kind = models.CharField(_("kind"), max_length=10, choices=PayoutKind.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="payouts")
    # The ledger movement that made the money payable; one payout per payable.
    payable_transaction = models.OneToOneField(LedgerTransaction, on_delete=models.PROTECT, related_name="payout")
    challenge = models.ForeignKey("challenges.Challenge", on_delete=models.PROTECT, related_name="+")
    # The awarded phase a prize belongs to (none for refunds): the phase closes once all its prizes are paid.
    phase = models.ForeignKey("challenges.Phase", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    description = models.CharField(_("description"), max_length=140)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    # Sent to the provider with every request for this payout: the provider pays a key once.
    idempotency_key = models.CharField(_("idempotency key"), max_length=80, unique=True)
    # The provider of the member's payout method when a worker first claimed it (empty before).
    provider = models.CharField(_("provider"), max_length=30, blank=True)
    provider_reference = models.CharField(_("provider reference"), max_length=120, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=PayoutStatus.choices, default=PayoutStatus.PENDING)
    method = models.ForeignKey(PayoutMethod, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    batch = models.ForeignKey("PayoutBatch", on_delete=models.PROTECT, null=True, blank=True, related_name="payouts")
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    # When the sweep last sent it to the workers: not sent again before a claim could go stale.
    swept_at = models.DateTimeField(_("swept"), null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    # How often the bank sent it back after it was paid; each new payment has its own ledger and
    # provider keys (`payments.services.payouts.payout_return`).
    returns = models.PositiveSmallIntegerField(_("returns"), default=0)
    paid_transaction = models.OneToOneField(
        LedgerTransaction, on_delete=models.PROTECT, null=True, blank=True, related_name="paid_payout"
    )
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        ordering = ["-created_at", "-pk"]
        constraints = [
            choices_check("status", PayoutStatus, "payments_payout_status_valid"),
            choices_check("kind", PayoutKind, "payments_payout_kind_valid"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_payout_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(paid_transaction__isnull=False, paid_at__isnull=False),
                name="payments_payout_paid_in_ledger",
            ),
            models.CheckConstraint(
                condition=Q(status="paid") | Q(paid_transaction__isnull=True), name="payments_payout_ledger_only_paid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="payments_payout_due_idx",
                condition=Q(status__in=["pending", "processing"]),
            ),
            models.Index(fields=["recipient", "status"], name="payments_payout_recipient_idx"),
            # A member's payouts, newest first (earnings page and API).
            models.Index(fields=["recipient", "-created_at", "-id"], name="payments_payout_earnings_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.amount} {self.currency} → {self.recipient_id} ({self.status})"


class PayoutTransition(TransitionRecord):
    """Every status move of a payout: who or which task (or provider), when and why
    (written by `payments.services.payouts.payout_move` only)."""

    payout = models.ForeignKey(Payout, on_delete=models.CASCADE, related_name="transitions")

    class Meta:
        verbose_name = _("payout transition")
        verbose_name_plural = _("payout transitions")
        ordering = ["payout", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.payout_id}: {self.from_status} → {self.to_status}"


class BatchStatus(models.TextChoices):
    EXPORTED = "exported", _("Exported")
    PAID = "paid", _("Paid")
    REJECTED = "rejected", _("Rejected by the bank")


class PayoutBatch(models.Model):
    """A SEPA credit-transfer file (pain.001) of the manual provider's payouts, paid by staff at the bank."""

    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    message_id = models.CharField(_("message id"), max_length=35, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.EXPORTED)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2)
    count = models.PositiveIntegerField(_("payouts"))
    xml = models.TextField(_("pain.001 file"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("exported"), auto_now_add=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rejected_at = models.DateTimeField(_("rejected"), null=True, blank=True)
    rejection_reason = models.CharField(_("why the bank rejected it"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("payout batch")
        verbose_name_plural = _("payout batches")
        ordering = ["-created_at"]
        constraints = [
            choices_check("status", BatchStatus, "payments_batch_status_valid"),
            models.CheckConstraint(condition=Q(count__gt=0, total__gt=0), name="payments_batch_not_empty"),
        ]

    def __str__(self) -> str:
        return self.message_id


class ReconciliationRun(models.Model):
    """What the reconciliation task found when it compared the providers, the payouts and the ledger."""

    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    checked_payouts = models.PositiveIntegerField(_("payouts checked"), default=0)
    mismatches = models.JSONField(_("mismatches"), default=list)

    class Meta:
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} ({len(self.mismatches)})"


ZERO = Decimal("0.00")
