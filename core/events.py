"""Announcing what happened, once it is true: every app sends its domain signals with these."""

import logging
from typing import Any

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)


def send_robust(signal: Signal, sender: type, **kwargs: Any) -> None:
    """Send `signal` now; a receiver that fails is logged and does not stop the others or the sender."""
    for receiver, result in signal.send_robust(sender=sender, **kwargs):
        if isinstance(result, Exception):
            logger.error("Receiver %r of a %s signal failed", receiver, sender.__name__, exc_info=result)


def announce_on_commit(signal: Signal, sender: type, **kwargs: Any) -> None:
    """Send `signal` once the current transaction commits (at once outside one); nothing if it rolls back."""
    transaction.on_commit(lambda: send_robust(signal, sender, **kwargs))
