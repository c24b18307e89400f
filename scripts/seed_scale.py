"""`make seed-scale`: two databases of community-scale data for the page benchmarks.

    scripts/seed_scale.py [--scale F] [--seed N] [extra seed_scale arguments]

(Re)creates `coachworks_scale` (scale F, default 1: 25,000 members) and `coachworks_scale_tenth`
(F/10), migrates them, fills each with `manage.py seed_scale`, and writes
`var/scale/<database>.json`: scale, seed, row counts, the showcase objects (ids, slugs, e-mail
addresses) and the password of every seeded account (`scale-password`: benchmark data, never
production), plus the database URL.

PostgreSQL as `scripts/test.py` finds it: DATABASE_URL (its server; the database name is
replaced), else the server on 127.0.0.1:5432, else an embedded one with its data in var/postgres
(as `make run`; it is stopped again at the end, the data stays). Seeding needs neither Redis nor
S3: nothing is cached, queued or uploaded (seeded files are rows without objects). If Redis answers,
the public page cache is reset at the end (its pages may show data seeded before).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devtools import devservices  # noqa: E402
from devtools.devservices import RunningService, ServiceError  # noqa: E402

VAR = ROOT / "var"
OUTPUT = VAR / "scale"
DATABASES = ("coachworks_scale", "coachworks_scale_tenth")


def server_url() -> tuple[str, list[RunningService]]:
    """A URL of the PostgreSQL server to use (any database name), and the services started for it."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"], []
    url = devservices.postgres_url_if_reachable()
    if url:
        print(f"PostgreSQL: using the server on 127.0.0.1:5432 ({url})", flush=True)
        return url, []
    print("PostgreSQL: none on 127.0.0.1:5432, starting an embedded one (data in var/postgres) ...", flush=True)
    service = devservices.start_postgres(VAR / "postgres")
    return service.env["DATABASE_URL"], [service]


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


class InUse(Exception):
    pass


def refuse_if_in_use(url: str, names: tuple[str, ...]) -> None:
    """Drop nothing while a server (a benchmark) still uses either database."""
    import psycopg

    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        used = conn.execute(
            "SELECT DISTINCT datname FROM pg_stat_activity WHERE datname = ANY(%s) AND pid <> pg_backend_pid()",
            [list(names)],
        ).fetchall()
    if used:
        listed = ", ".join(sorted(name for (name,) in used))
        raise InUse(f"{listed} in use (a benchmark server?); stop what uses it and run again. Nothing was dropped.")


def recreate(url: str, name: str, *, template: str | None = None) -> None:
    import psycopg
    from psycopg import errors, sql

    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        try:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        except errors.ObjectInUse as error:
            raise InUse(f"{name} is in use (a benchmark server?); stop what uses it and run again.") from error
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
        conn.execute(statement)


def manage(url: str, *args: str) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        # System checks refuse the development secrets unless DEBUG is on; nothing is served here.
        "DEBUG": "1",
        # Never contacted while seeding (no cache, no task queue); set so settings need nothing else.
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    }
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)  # noqa: S603


def forget_cached_pages(url: str) -> None:
    """The public page cache (Redis) may hold pages of data seeded before: start every topic afresh.
    Only if Redis answers; seeding itself never needs it."""
    host = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    if not devservices.port_is_open(host.hostname or "127.0.0.1", host.port or 6379):
        return
    code = "from core.caching import bump_now, all_topics; bump_now(*all_topics())"
    try:
        manage(url, "shell", "-c", code)
    except subprocess.CalledProcessError:
        print("Note: the page cache could not be reset; cached pages expire after PUBLIC_CACHE_SECONDS.")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=None)
    options, extra = parser.parse_known_args(argv)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    try:
        url, services = server_url()
    except ServiceError as error:
        print(f"Could not start PostgreSQL: {error}", file=sys.stderr)
        return 1
    started = time.monotonic()
    try:
        full, tenth = DATABASES
        refuse_if_in_use(url, DATABASES)
        print(f"Creating and migrating {full} ...", flush=True)
        recreate(url, full)
        manage(with_database(url, full), "migrate", "--no-input", "-v", "0")
        # The tenth starts as a copy of the migrated empty database: one migration run for both.
        recreate(url, tenth, template=full)
        for name, factor in ((full, options.scale), (tenth, options.scale / 10)):
            summary = OUTPUT / f"{name}.json"
            print(f"Seeding {name} at scale {factor:g} ...", flush=True)
            args = ["seed_scale", "--scale", str(factor), "--summary", str(summary), *extra]
            if options.seed is not None:
                args += ["--seed", str(options.seed)]
            manage(with_database(url, name), *args)
            data = json.loads(summary.read_text(encoding="utf-8"))
            data.update(database=name, database_url=with_database(url, name))
            summary.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
            print(f"Wrote {summary.relative_to(ROOT)}", flush=True)
        forget_cached_pages(with_database(url, full))
    except subprocess.CalledProcessError as error:
        print(f"Seeding failed: {error}", file=sys.stderr)
        return 1
    except InUse as error:
        print(f"Seeding refused: {error}", file=sys.stderr)
        return 1
    finally:
        for service in reversed(services):
            service.stop()
    print(f"Both databases seeded in {time.monotonic() - started:.0f} s.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
