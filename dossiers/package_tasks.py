"""The Celery task that builds a dossier package (queue `files`: long S3 I/O). Thin: `packaging.package_build`."""

from celery import shared_task

from dossiers import packaging


# A lost task would leave the package pending: acks_late. The limits stay under the broker's visibility
# timeout (an hour), after which a second worker would get the task; the claim makes that one a no-op anyway.
@shared_task(name="dossiers.build_package", acks_late=True, soft_time_limit=3000, time_limit=3300)
def build_package(package_id: int) -> str | None:
    package = packaging.package_build(package_id=package_id)
    return package.status if package else None
