"""Demo money for `make run`: every open demo challenge gets the bank transfer that funds its budget
(recorded by the demo staff member, as staff would from the bank statement), and the demo members
and client get a bank account that is already past its change hold. Idempotent."""

from datetime import timedelta
from typing import TextIO

from django.utils import timezone

from challenges.models import Challenge, ChallengeStatus
from community.demo import DEMO_ACCOUNTS, demo_user
from community.models import User
from payments.models import FundingReceipt, PayoutMethod
from payments.selectors import challenge_budget
from payments.services import funding_receipt_record, funding_request_ensure, payout_method_set

# Example accounts (valid check digits, not real people's).
DEMO_BANK_ACCOUNTS = {
    "ada@demo.coachworks.test": ("Ada Okafor", "NL91ABNA0417164300", ""),
    "jonas@demo.coachworks.test": ("Jonas Berg", "DE02120300000000202051", ""),
    "client@demo.coachworks.test": ("Alpine Logistics AG", "CH9300762011623852957", "UBSWCHZH80A"),
}


def _fund_open_demo_challenges(staff: User, out: TextIO) -> None:
    client = demo_user("client")
    for challenge in Challenge.objects.filter(owner=client, status=ChallengeStatus.OPEN).order_by("pk"):
        line = f"DEMO-FUNDING-{challenge.pk}"
        if FundingReceipt.objects.filter(bank_transaction_id=line).exists():
            continue
        missing = challenge.budget - challenge_budget(challenge=challenge).escrow
        if missing <= 0:
            continue
        funding_receipt_record(
            reference=funding_request_ensure(challenge=challenge).reference,
            amount=missing,
            currency=challenge.currency,
            bank_transaction_id=line,
            received_on=timezone.localdate(),
            by=staff,
            payer_name=challenge.organisation_name or client.public_name,
            note="Demo data",
        )
        out.write(f"Demo funding: {missing} {challenge.currency} into the escrow of “{challenge.title}”\n")


def _bank_accounts(out: TextIO) -> None:
    passwords = {account.email: account.password for account in DEMO_ACCOUNTS}
    long_ago = timezone.now() - timedelta(days=7)
    for email, (holder, iban, bic) in DEMO_BANK_ACCOUNTS.items():
        user = User.objects.filter(email__iexact=email).first()
        if user is None or PayoutMethod.objects.filter(owner=user, is_active=True).exists():
            continue
        payout_method_set(user=user, password=passwords[email], holder_name=holder, iban=iban, bic=bic, now=long_ago)
        out.write(f"Demo payout method: {email}\n")


def load(out: TextIO) -> None:
    _fund_open_demo_challenges(demo_user("staff"), out)
    _bank_accounts(out)
