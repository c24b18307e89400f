"""Liveness of the components the platform cannot work without."""

from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection

from core.s3 import internal_client


def database_check() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def redis_check() -> None:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


def storage_check() -> None:
    internal_client().head_bucket(Bucket=settings.S3_BUCKET)


HEALTH_CHECKS: dict[str, Callable[[], None]] = {
    "database": database_check,
    "redis": redis_check,
    "storage": storage_check,
}


def health_report() -> dict[str, str]:
    """`{"database": "ok", "redis": "error: ...", ...}` for every component."""
    report = {}
    for name, check in HEALTH_CHECKS.items():
        try:
            check()
        except Exception as error:  # noqa: BLE001 - any failure means the component is down
            report[name] = f"error: {type(error).__name__}: {error}"[:300]
        else:
            report[name] = "ok"
    return report
