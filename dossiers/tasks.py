"""The dossiers app's Celery tasks (queue `files`: long S3 I/O), found here by Celery's autodiscovery.

`dossiers.build_package` is thin over `packaging.package_build`; `dossiers.render_still` lives beside the
scene it renders (`dossiers.assembly`) and is named here so that one module lists every task of the app.
"""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from dossiers import packaging, services
from dossiers.assembly import render_still

__all__ = ["beat_schedule", "build_package", "render_still", "sweep"]

SWEEP_TASK = "dossiers.sweep"


# A lost task would leave the package pending: acks_late. The limits stay under the broker's visibility
# timeout (an hour), after which a second worker would get the task; the claim makes that one a no-op anyway.
@shared_task(name="dossiers.build_package", acks_late=True, soft_time_limit=3000, time_limit=3300)
def build_package(package_id: int) -> str | None:
    package = packaging.package_build(package_id=package_id)
    return package.status if package else None


@shared_task(name=SWEEP_TASK, ignore_result=True, soft_time_limit=300, time_limit=330)
def sweep() -> int:
    """Beat runs this every `DOSSIERS_SWEEP_MINUTES`: versions whose award or completion was lost on the way."""
    return services.dossiers_catch_up()


def beat_schedule() -> dict[str, dict[str, object]]:
    """The periodic tasks of the dossiers app, as beat runs them (`config.celery.every_beat_schedule`)."""
    return {
        SWEEP_TASK: {
            "task": SWEEP_TASK,
            "schedule": timedelta(minutes=settings.DOSSIERS_SWEEP_MINUTES),
            # A sweep not started within its interval is dropped: the next one does the same work.
            "options": {"expire_seconds": settings.DOSSIERS_SWEEP_MINUTES * 60},
        },
    }
