"""The dossiers app's Celery tasks (queue `files`: long S3 I/O), found here by Celery's autodiscovery.

`dossiers.build_package` is thin over `packaging.package_build`; `dossiers.render_still` lives beside the
scene it renders (`dossiers.assembly`) and is named here so that one module lists every task of the app.
"""

from celery import shared_task

from dossiers import packaging
from dossiers.assembly import render_still

__all__ = ["build_package", "render_still"]


# A lost task would leave the package pending: acks_late. The limits stay under the broker's visibility
# timeout (an hour), after which a second worker would get the task; the claim makes that one a no-op anyway.
@shared_task(name="dossiers.build_package", acks_late=True, soft_time_limit=3000, time_limit=3300)
def build_package(package_id: int) -> str | None:
    package = packaging.package_build(package_id=package_id)
    return package.status if package else None
