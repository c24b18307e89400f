"""Tasks that must not lose their work to one failure: the security notice of a changed payout method
is sent again with backoff when the mail server fails, and its last failure is logged."""

import logging
from smtplib import SMTPException
from typing import Any, ClassVar

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from payments.tasks import NOTIFY_MAX_RETRIES, notify_payout_method_changed
from payments.tests.factories import bank_account

pytestmark = pytest.mark.django_db


class FlakyMailServer(EmailBackend):
    """The e-mail provider, outside the machine: refuses the next `failures` messages, then delivers."""

    failures: ClassVar[int] = 0
    attempts: ClassVar[int] = 0

    def send_messages(self, messages: Any) -> int:
        FlakyMailServer.attempts += 1
        if FlakyMailServer.failures > 0:
            FlakyMailServer.failures -= 1
            raise SMTPException("421 4.3.2 Service not available, try again later")
        return super().send_messages(messages)


@pytest.fixture
def flaky_mail(settings: Any) -> type[FlakyMailServer]:
    settings.EMAIL_BACKEND = f"{__name__}.FlakyMailServer"
    FlakyMailServer.failures = FlakyMailServer.attempts = 0
    return FlakyMailServer


def test_a_payout_method_notice_is_sent_again_when_the_mail_server_fails(winner, flaky_mail):
    bank_account(winner)
    mail.outbox.clear()
    flaky_mail.failures = 2

    result = notify_payout_method_changed.apply(args=(winner.pk, "added"))

    assert result.successful()
    assert flaky_mail.attempts == 3
    assert [message.to for message in mail.outbox] == [[winner.email]]


def test_retries_of_the_notice_are_bounded_and_the_last_failure_is_logged(winner, flaky_mail, caplog):
    bank_account(winner)
    mail.outbox.clear()
    flaky_mail.failures = 100

    with caplog.at_level(logging.ERROR, logger="payments.tasks"):
        result = notify_payout_method_changed.apply(args=(winner.pk, "changed"))

    assert result.failed()
    assert isinstance(result.result, SMTPException)
    assert flaky_mail.attempts == NOTIFY_MAX_RETRIES + 1
    assert mail.outbox == []
    [logged] = [r for r in caplog.records if r.name == "payments.tasks"]
    assert f"Member {winner.pk} was not told their payout method was changed" in logged.getMessage()
