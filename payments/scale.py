"""Community-scale data of the payments app (`manage.py seed_scale`): the money behind the challenges.

Written as the services write it, and checked by the ledger's triggers at commit (balanced
transactions, floors, currencies): an open or completed challenge was opened by its funding (a
receipt staff recorded, clearing → escrow for the whole budget); some challenges awaiting funding
have a partial receipt; every award share moved escrow → the recipient's payable (`award-share:<id>`)
with its payout, paid (payable → clearing, `payout:<id>`) once the phase is closed, accepted by
the manual provider (`submitted`) while it is only awarded. What a completed challenge did not
award went back to its client (a refund). Recipients have a SEPA payout method.
"""

import json
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Any

from core.scale import Plan
from payments.models import (
    Account,
    Entry,
    FundingReceipt,
    FundingRequest,
    LedgerTransaction,
    Payout,
    PayoutMethod,
    PayoutTransition,
)
from payments.providers import manual
from payments.providers.sepa import masked_iban

BANK_IBAN = "DE89370400440532013000"
# The JSON the manual provider keeps for a bank account (`payments.providers.sepa.sepa_destination`).
BANK_DESTINATION = json.dumps({"iban": BANK_IBAN, "bic": "COBADEFFXXX", "country": "DE"})


class _Ledger:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.accounts: dict[tuple[str, str, Any], int] = {}
        self.account_rows: list[tuple[Any, ...]] = []
        self.transactions: list[tuple[Any, ...]] = []
        self.entries: list[tuple[Any, ...]] = []
        self.next_account = 0
        self.next_transaction = 0

    def account(self, kind: str, currency: str, owner: Any) -> int:
        key = (kind, currency, owner)
        if key not in self.accounts:
            pk = self.next_account
            self.next_account += 1
            self.accounts[key] = pk
            challenge = owner if kind == "escrow" else None
            member = owner if kind == "payable" else None
            provider = owner if kind == "clearing" else ""
            self.account_rows.append((pk, kind, currency, challenge, member, provider, kind != "clearing"))
        return self.accounts[key]

    def post(self, kind: str, key: str, challenge: Any, memo: str, by: Any, task: str, at: Any, legs: list) -> int:
        pk = self.next_transaction
        self.next_transaction += 1
        self.transactions.append((pk, kind, key, challenge, memo[:300], by, task, at))
        for account, amount, currency in legs:
            self.entries.append((pk, account, amount, currency))
        return pk


def seed(plan: Plan) -> None:
    rng = plan.rng
    staff = plan.shared["staff_id"]
    names = plan.shared["member_names"]
    provider = manual.NAME
    ledger = _Ledger(plan)
    challenges = plan.shared["challenges"]
    requests, receipts_pending = [], []
    # Funding.
    for challenge in challenges:
        if challenge["status"] not in ("funding", "open", "completed"):
            continue
        pk, currency, budget = challenge["id"], challenge["currency"], challenge["budget"]
        reference = manual.creditor_reference(pk)
        requests.append((pk, manual.NAME, reference, challenge["submitted_at"]))
        if challenge["status"] == "funding":
            if rng.random() >= 0.3:
                continue
            amount, at = (budget / 2).quantize(Decimal("0.01")), challenge["submitted_at"] + timedelta(days=2)
        else:
            amount, at = budget, challenge["funded_at"] - timedelta(hours=1)
        line = f"BANK-{pk:08d}"
        clearing = ledger.account("clearing", currency, manual.NAME)
        escrow = ledger.account("escrow", currency, pk)
        payer = f"{names[challenge['owner']]}"
        txn = ledger.post(
            "funding", f"funding:{line}", pk, f"{reference} {payer}", staff, "", at,
            [(clearing, -amount, currency), (escrow, amount, currency)],
        )  # fmt: skip
        receipts_pending.append((pk, amount, currency, reference, line, payer, "", txn, staff, at.date(), at))

    # Awards: escrow → payable, and the payouts.
    payouts: list[dict[str, Any]] = []
    awarded: dict[int, Decimal] = defaultdict(Decimal)
    for share in plan.shared.get("award_shares", []):
        currency, challenge = share["currency"], share["challenge"]
        escrow = ledger.account("escrow", currency, challenge)
        payable = ledger.account("payable", currency, share["recipient"])
        at = share["awarded_at"] + timedelta(minutes=1)
        txn = ledger.post(
            "award", f"award-share:{share['share']}", challenge, share["description"], None,
            "payments.award_payables", at, [(escrow, -share["amount"], currency), (payable, share["amount"], currency)],
        )  # fmt: skip
        awarded[challenge] += share["amount"]
        payouts.append(
            {
                "kind": "award", "recipient": share["recipient"], "account": payable, "payable": txn,
                "challenge": challenge, "phase": share["phase"], "description": share["description"],
                "amount": share["amount"], "currency": currency, "at": at,
                "paid": share["phase_status"] == "closed",
            }
        )  # fmt: skip
    # What a completed challenge did not award goes back to its client.
    for challenge in challenges:
        leftover = challenge["budget"] - awarded[challenge["id"]]
        if challenge["status"] != "completed" or leftover <= 0:
            continue
        currency, owner = challenge["currency"], challenge["owner"]
        escrow = ledger.account("escrow", currency, challenge["id"])
        payable = ledger.account("payable", currency, owner)
        at = plan.now - timedelta(days=1)
        description = f"Refund: {challenge['title']}"[:140]
        txn = ledger.post(
            "refund", f"refund:{challenge['id']}:1", challenge["id"], description, None, "payments.refunds", at,
            [(escrow, -leftover, currency), (payable, leftover, currency)],
        )  # fmt: skip
        payouts.append(
            {
                "kind": "refund", "recipient": owner, "account": payable, "payable": txn, "challenge": challenge["id"],
                "phase": None, "description": description, "amount": leftover, "currency": currency, "at": at,
                "paid": True,
            }
        )  # fmt: skip

    # Payout methods of everyone paid, then the payouts (paid ones with their ledger payment).
    first_payout = plan.reserve_ids(Payout, len(payouts))
    methods: dict[int, tuple[int, Any]] = {}
    for payout in payouts:
        known = methods.get(payout["recipient"])
        if known is None or payout["at"] < known[1]:
            methods[payout["recipient"]] = (0, payout["at"])
    method_first = plan.reserve_ids(PayoutMethod, len(methods))
    method_rows = []
    for index, (recipient, (_zero, first_at)) in enumerate(sorted(methods.items())):
        usable = first_at - timedelta(days=2)
        methods[recipient] = (method_first + index, usable)
        method_rows.append(
            (method_first + index, recipient, provider, names[recipient][:70], BANK_DESTINATION, masked_iban(BANK_IBAN),
             True, usable, usable - timedelta(days=2), None)
        )  # fmt: skip
    payout_rows, transitions = [], []
    for offset, payout in enumerate(payouts):
        pk = first_payout + offset
        at = payout["at"]
        method = methods[payout["recipient"]][0]
        claimed = at + timedelta(minutes=5)
        paid_txn, paid_at, status = None, None, "submitted"
        transitions += [
            (pk, "pending", "processing", None, "payments.payout_execute", "", claimed),
            (pk, "processing", "submitted", None, "payments.payout_execute", "", claimed + timedelta(seconds=2)),
        ]
        if payout["paid"]:
            paid_at = at + timedelta(days=2)
            clearing = ledger.account("clearing", payout["currency"], provider)
            paid_txn = ledger.post(
                "payout", f"payout:{pk}", payout["challenge"], payout["description"], staff, "", paid_at,
                [(payout["account"], -payout["amount"], payout["currency"]),
                 (clearing, payout["amount"], payout["currency"])],
            )  # fmt: skip
            status = "paid"
            transitions.append((pk, "submitted", "paid", staff, "", "", paid_at))
        payout_rows.append(
            [
                pk, payout["kind"], payout["recipient"], payout["account"], payout["payable"], payout["challenge"],
                payout["phase"], payout["description"], payout["amount"], payout["currency"], None, provider,
                "", status, method, None, 1, None, claimed, None, "", "", 0, paid_txn, paid_at, at,
                paid_at or claimed,
            ]
        )  # fmt: skip

    # Ids for accounts and transactions, now that their numbers are known.
    account_first = plan.reserve_ids(Account, len(ledger.account_rows))
    txn_first = plan.reserve_ids(LedgerTransaction, len(ledger.transactions))
    plan.copy(
        Account,
        ["id", "kind", "currency", "challenge_id", "owner_id", "provider", "has_floor", "created_at"],
        ((account_first + row[0], *row[1:], plan.ago(1000)) for row in ledger.account_rows),
    )
    plan.copy(
        LedgerTransaction,
        ["id", "kind", "idempotency_key", "challenge_id", "memo", "created_by_id", "task", "created_at"],
        ((txn_first + row[0], *row[1:]) for row in ledger.transactions),
    )
    plan.copy(
        Entry,
        ["transaction_id", "account_id", "amount", "currency"],
        (
            (txn_first + txn, account_first + account, amount, currency)
            for txn, account, amount, currency in ledger.entries
        ),
    )
    plan.copy(FundingRequest, ["challenge_id", "provider", "reference", "created_at"], requests)
    plan.copy(
        FundingReceipt,
        [
            "challenge_id", "amount", "currency", "reference", "bank_transaction_id", "payer_name", "note",
            "transaction_id", "recorded_by_id", "received_on", "created_at",
        ],
        ((*row[:7], txn_first + row[7], *row[8:]) for row in receipts_pending),
    )  # fmt: skip
    plan.copy(
        PayoutMethod,
        [
            "id", "owner_id", "provider", "holder_name", "destination", "shown_as", "is_active", "usable_from",
            "created_at", "removed_at",
        ],
        method_rows,
    )  # fmt: skip
    for row in payout_rows:
        row[3] = account_first + row[3]
        row[4] = txn_first + row[4]
        row[10] = f"cw-payout-{row[4]}"
        row[12] = row[10]  # the provider's reference: the manual provider answers with the key
        row[23] = txn_first + row[23] if row[23] is not None else None
    plan.copy(
        Payout,
        [
            "id", "kind", "recipient_id", "account_id", "payable_transaction_id", "challenge_id", "phase_id",
            "description", "amount", "currency", "idempotency_key", "provider", "provider_reference", "status",
            "method_id", "batch_id", "attempts", "next_attempt_at", "claimed_at", "swept_at", "claim_token",
            "last_error", "returns", "paid_transaction_id", "paid_at", "created_at", "updated_at",
        ],
        payout_rows,
    )  # fmt: skip
    plan.copy(
        PayoutTransition,
        ["payout_id", "from_status", "to_status", "actor_id", "task", "reason", "created_at"],
        transitions,
    )
