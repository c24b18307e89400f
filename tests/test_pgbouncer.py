"""The platform behind PgBouncer in transaction pooling (README "Configuration", `DATABASE_POOL_MODE`).

A real PgBouncer (Debian's, installed by `scripts/ensure-pgbouncer.sh`) is started in front of the test
PostgreSQL with a small pool, so its clients share few server connections: session state (server-side
cursors, prepared statements, session settings, advisory locks) would break. Then a part of the suite that
covers money, phase moves, the API, real Celery workers and racing processes runs through it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from devtools.devservices import free_port, stop_process, wait_until, write_private
from devtools.devservices import port_is_open as answers

ROOT = Path(__file__).resolve().parent.parent

# Money (ledger, payouts, funding, workers killed mid-payout and restarted), phase moves (services, sweeps and
# due tasks racing in threads), awards (two at once) and the API: what must hold whatever sits between the
# platform and PostgreSQL. About two minutes on an idle machine. (Left out for time: the 18 payout-racing
# processes of payments/tests/test_concurrency.py and the phase clock's ETA test; both pass through it too.)
SUITE = [
    "payments/tests/test_ledger.py",
    "payments/tests/test_payouts.py",
    "payments/tests/test_funding.py",
    "payments/tests/test_worker.py",
    "challenges/tests/test_services.py",
    "challenges/tests/test_concurrency.py",
    "challenges/tests/test_api.py",
    "submissions/tests/test_awards.py",
]
# A hard stop for a hung run; the run itself stays within the 4-minute budget unless the machine is overloaded.
SUITE_TIMEOUT_SECONDS = 420
# Fewer server connections than the clients of the run (the test process, worker processes, racing
# processes and threads): clients take turns on them, as behind a production pooler.
POOL_SIZE = 6


def pgbouncer_executable() -> str | None:
    found = shutil.which("pgbouncer")
    if found:
        return found
    return "/usr/sbin/pgbouncer" if os.access("/usr/sbin/pgbouncer", os.X_OK) else None


@pytest.fixture(scope="module")
def pgbouncer_binary() -> str:
    found = pgbouncer_executable()
    if found is None:
        installer = subprocess.run(  # noqa: S603
            [str(ROOT / "scripts" / "ensure-pgbouncer.sh")], capture_output=True, text=True, check=False
        )
        found = pgbouncer_executable()
        if found is None:
            pytest.skip(
                "PgBouncer is not installed and scripts/ensure-pgbouncer.sh could not install it "
                f"(needs root or sudo and Debian's apt): {(installer.stdout + installer.stderr).strip()[-400:]}"
            )
    return found


@dataclass
class Bouncer:
    port: int
    log: Path
    user: str

    def url(self, database: str) -> str:
        return f"postgres://{self.user}@127.0.0.1:{self.port}/{database}"


@pytest.fixture(scope="module")
def pgbouncer(pgbouncer_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bouncer]:
    """PgBouncer in transaction mode in front of the test PostgreSQL, for every database name (`*`)."""
    database = settings.DATABASES["default"]
    host = database["HOST"] or database.get("OPTIONS", {}).get("host") or "127.0.0.1"
    server = f"host={host} port={database['PORT'] or 5432} user={database['USER']}"
    if database["PASSWORD"]:
        server += " password='{}'".format(database["PASSWORD"].replace("\\", "\\\\").replace("'", "\\'"))
    workdir = tmp_path_factory.mktemp("pgbouncer")
    port = free_port()
    config = workdir / "pgbouncer.ini"
    write_private(
        config,
        f"""[databases]
* = {server}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
pidfile =
logfile =
auth_type = any
pool_mode = transaction
default_pool_size = {POOL_SIZE}
max_client_conn = 200
; The run drops its test database at the end; PostgreSQL waits 5 s for other sessions to leave it.
server_idle_timeout = 1
""",
    )
    command = [pgbouncer_binary, str(config)]
    if os.geteuid() == 0:
        command[1:1] = ["-u", "nobody"]  # PgBouncer refuses to run as root; it reads its config first
    log = workdir / "pgbouncer.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        wait_until(lambda: answers("127.0.0.1", port), timeout=15, what="PgBouncer", process=process)
        yield Bouncer(port=port, log=log, user=database["USER"])
    finally:
        stop_process(process)


def test_the_money_phase_and_api_tests_pass_through_pgbouncer_in_transaction_mode(pgbouncer: Bouncer) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("PYTEST_", "COACHWORKS_"))}
    env.pop("DATABASE_REPLICA_URL", None)
    env["DATABASE_URL"] = pgbouncer.url(f"coachworks_pgbouncer_{os.getpid()}")
    env["DATABASE_POOL_MODE"] = "transaction"
    env.pop("DATABASE_CONN_MAX_AGE", None)

    # Its own process group: on a timeout the whole run (pytest, its workers) is interrupted, and
    # scripts/test.py still stops the servers it started.
    run = subprocess.Popen(  # noqa: S603
        [sys.executable, "scripts/test.py", *SUITE, "-q"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = run.communicate(timeout=SUITE_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGINT)
        try:
            output, _ = run.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            output, _ = run.communicate()
        pytest.fail(f"the run through PgBouncer took over {SUITE_TIMEOUT_SECONDS} s:\n{output[-4000:]}")

    assert run.returncode == 0, output[-6000:]
    summary = re.search(r"(\d+) passed", output)
    assert summary is not None, output[-3000:]
    assert int(summary.group(1)) >= 50, output[-3000:]  # not an empty collection
    assert not re.search(r"\d+ (failed|errors?)\b", output), output[-3000:]
    # It really went through PgBouncer: it created the run's test database behind it and used it.
    assert re.search(r"registered new auto-database: db=test_coachworks_pgbouncer_", pgbouncer.log.read_text())


# --- Why the transaction pool mode turns off server-side cursors and prepared statements -------------------
# Behind transaction pooling, each transaction of a client may run on another server connection. The other
# client below takes the server connection the first one just used, so its next statement runs on a fresh one.


def test_a_server_side_cursor_kept_past_its_transaction_is_lost_behind_pgbouncer(pgbouncer: Bouncer) -> None:
    # What Django's `.iterator()` does outside a transaction with server-side cursors on.
    url = pgbouncer.url("postgres")
    with psycopg.connect(url, autocommit=True) as reader, psycopg.connect(url, autocommit=True) as other:
        reader.execute("DECLARE numbers CURSOR WITH HOLD FOR SELECT generate_series(1, 100)")
        assert reader.execute("FETCH 10 FROM numbers").fetchall()[-1] == (10,)
        with other.transaction():
            other.execute("SELECT 1")
            with pytest.raises(psycopg.errors.InvalidCursorName):
                reader.execute("FETCH 10 FROM numbers")


def test_a_prepared_statement_is_lost_behind_pgbouncer(pgbouncer: Bouncer) -> None:
    # What psycopg does with a query run `prepare_threshold` times (0: at once); transaction mode sets None.
    url = pgbouncer.url("postgres")
    with psycopg.connect(url, autocommit=True, prepare_threshold=0) as reader, psycopg.connect(url) as other:
        assert reader.execute("SELECT %s::int + 1", [1]).fetchone() == (2,)
        with other.transaction():
            other.execute("SELECT 1")
            with pytest.raises(psycopg.errors.InvalidSqlStatementName):
                reader.execute("SELECT %s::int + 1", [1])
