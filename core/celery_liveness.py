"""A worker's liveness as a file its main process touches: what a Kubernetes exec probe can read for nothing.

`celery worker --liveness-file /tmp/worker-alive` touches the file every 15 s (`--liveness-interval`) from the
worker's own timer, which the main process's event loop runs (the pool's children run the tasks, so a long task never
stops it), and deletes it on a clean stop. The probe only asks whether the file changed lately
(`find FILE -mmin -N`): no Python start, no broker round trip. `celery inspect ping` would cost a Python
process with Celery imported per probe and would fail whenever the broker does, restarting every worker
during a Redis outage; this file goes stale only when the worker's loop stops turning. While the worker
reconnects to a lost broker its loop waits too, so the probe's window (README "Deploying on Kubernetes")
is minutes, longer than a broker failover.
"""

from pathlib import Path
from typing import Any

import click
from celery import Celery, bootsteps

TOUCH_SECONDS = 15.0


class LivenessFile(bootsteps.StartStopStep):
    requires = ("celery.worker.components:Timer",)

    def __init__(
        self, parent: Any, liveness_file: str | None = None, liveness_interval: float | None = None, **kwargs: Any
    ) -> None:
        super().__init__(parent, **kwargs)
        self.path = Path(liveness_file) if liveness_file else None
        self.interval = liveness_interval or TOUCH_SECONDS
        self.tref: Any = None

    def include_if(self, parent: Any) -> bool:
        return self.path is not None

    def start(self, parent: Any) -> None:
        self.touch()
        self.tref = parent.timer.call_repeatedly(self.interval, self.touch, priority=10)

    def stop(self, parent: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None
        if self.path is not None:
            self.path.unlink(missing_ok=True)

    def touch(self) -> None:
        assert self.path is not None  # noqa: S101 - include_if leaves the step out without a path
        self.path.touch()


def install(app: Celery) -> None:
    """Offer `--liveness-file` and `--liveness-interval` on `celery worker`, and the step that keeps the file fresh."""
    app.user_options["worker"].add(
        click.Option(
            ["--liveness-file"],
            default=None,
            help="Touch this file while the worker's loop runs (a liveness probe reads its age).",
        )
    )
    app.user_options["worker"].add(
        click.Option(
            ["--liveness-interval"],
            type=float,
            default=TOUCH_SECONDS,
            show_default=True,
            help="Seconds between two touches of the liveness file.",
        )
    )
    app.steps["worker"].add(LivenessFile)
