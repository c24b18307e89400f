"""Writes of the payments app; views, APIs, admin actions, commands and tasks all call these.

Lock order everywhere: the challenge row (`challenges.services.lock_challenge`), then payouts (by
primary key), then ledger accounts with a floor (by primary key). No provider is called while any
of them is held.
"""

from payments.services.awards import (
    award_payables_create,
    award_share_key,
    award_shares_sweep,
    paid_phases_close_sweep,
)
from payments.services.batches import (
    payout_batch_create,
    payout_batch_mark_paid,
    payout_batch_reject,
    payouts_waiting_for_batch,
    sepa_file,
)
from payments.services.funding import funding_receipt_record, funding_request_ensure
from payments.services.ledger import (
    InsufficientFunds,
    Leg,
    account_balance,
    accounts_lock,
    clearing_account,
    escrow_account,
    ledger_post,
    payable_account,
)
from payments.services.methods import payout_method_choose, payout_method_remove, payout_method_set
from payments.services.payouts import (
    ExecuteResult,
    Outcome,
    SweepReport,
    payable_create,
    payout_execute,
    payout_mark_failed,
    payout_mark_paid,
    payout_move_allowed,
    payout_retry,
    payout_return,
    payouts_sweep,
)
from payments.services.reconciliation import reconcile
from payments.services.refunds import escrow_refund

__all__ = [
    "ExecuteResult",
    "InsufficientFunds",
    "Leg",
    "Outcome",
    "SweepReport",
    "account_balance",
    "accounts_lock",
    "award_payables_create",
    "award_share_key",
    "award_shares_sweep",
    "clearing_account",
    "escrow_account",
    "escrow_refund",
    "funding_receipt_record",
    "funding_request_ensure",
    "ledger_post",
    "paid_phases_close_sweep",
    "payable_account",
    "payable_create",
    "payout_batch_create",
    "payout_batch_mark_paid",
    "payout_batch_reject",
    "payout_execute",
    "payout_mark_failed",
    "payout_mark_paid",
    "payout_method_choose",
    "payout_method_remove",
    "payout_method_set",
    "payout_move_allowed",
    "payout_retry",
    "payout_return",
    "payouts_sweep",
    "payouts_waiting_for_batch",
    "reconcile",
    "sepa_file",
]
