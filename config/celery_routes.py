"""Which Celery queue each task goes to: the one place that decides it.

Every concern has its own queue, so that a flood of one kind of work (thousands of previews after
an import) never waits in front of another (a payout, a phase deadline). Queue names start with the
deployment's prefix, `CELERY_QUEUE` (`settings.CELERY_TASK_DEFAULT_QUEUE`); a test run has a prefix of
its own, so no other worker takes its tasks.

| queue | tasks |
| --- | --- |
| `<prefix>.payouts` | `payments.*` (executing payouts, the payments sweep) |
| `<prefix>.phases` | `challenges.*`, `submissions.*` (the phase clock: sweeps, ETA moves) |
| `<prefix>.files` | `blueprints.*` (uploads, previews, the stale-upload sweep), `dossiers.*` (packages, stills) |
| `<prefix>.notifications` | `community.*`, `*.notify_*` fan-out (who hears about what) |
| `<prefix>.mail` | every task that sends an e-mail: `*.send_*` and the named mail tasks |
| `<prefix>` | everything else (`core.worker_probe`, `payments.reconcile`) |

Rules are tried in order and the first that matches wins, so a new task lands on its concern's
queue by its name alone (`payments.refund_execute` on payouts, `community.send_welcome_mail` on
mail). Mail sent by allauth (sign-up, password reset) goes out inside the web request, not through
Celery.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from django.conf import settings

PAYOUTS = "payouts"
PHASES = "phases"
FILES = "files"
NOTIFICATIONS = "notifications"
MAIL = "mail"
DEFAULT = ""
CONCERNS = (PAYOUTS, PHASES, FILES, NOTIFICATIONS, MAIL)

# (task-name pattern, concern); the first match wins.
RULES: tuple[tuple[str, str], ...] = (
    # Fan-out tasks named send_* that mail nobody themselves: they enqueue one mail task per member.
    ("community.send_digests", NOTIFICATIONS),
    # Mail: any task whose name says it sends, and the ones named for what they tell.
    ("*.send_*", MAIL),
    ("challenges.notify_owner_phase_held", MAIL),
    ("payments.notify_payout_method_changed", MAIL),
    ("*.notify_*", NOTIFICATIONS),
    # A report that reads for minutes must not hold a payout worker.
    ("payments.reconcile", DEFAULT),
    ("payments.*", PAYOUTS),
    ("challenges.*", PHASES),
    ("submissions.*", PHASES),
    ("blueprints.*", FILES),
    ("dossiers.*", FILES),
    ("community.*", NOTIFICATIONS),
)


def queue_name(concern: str, prefix: str | None = None) -> str:
    """`<prefix>.<concern>`, or the prefix alone for the default queue."""
    prefix = prefix if prefix is not None else settings.CELERY_TASK_DEFAULT_QUEUE
    return f"{prefix}.{concern}" if concern else prefix


def concern_for(task_name: str) -> str:
    for pattern, concern in RULES:
        if fnmatchcase(task_name, pattern):
            return concern
    return DEFAULT


def queue_for(task_name: str, prefix: str | None = None) -> str:
    return queue_name(concern_for(task_name), prefix)


def all_queues(prefix: str | None = None) -> list[str]:
    """Every queue of this deployment, the default first: what a worker for everything consumes."""
    return [queue_name(DEFAULT, prefix), *(queue_name(concern, prefix) for concern in CONCERNS)]


def queues_arg(*concerns: str, prefix: str | None = None) -> str:
    """The `-Q` argument of a worker for these concerns (all of them when none are named)."""
    if not concerns:
        return ",".join(all_queues(prefix))
    return ",".join(queue_name(concern, prefix) for concern in concerns)


def route_task(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **kw: Any) -> dict[str, str]:
    """Celery router (`task_routes`): an explicit `queue=` given when sending still wins."""
    return {"queue": queue_for(name)}
