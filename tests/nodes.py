"""Many nodes on one machine, for tests: real web (gunicorn), Celery worker and beat processes against
the test run's PostgreSQL, Redis and S3, and a small round-robin TCP proxy in front of the web processes.

Each process runs in its own session (process group), so a test can SIGKILL it whole, as a node dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from conftest import ROOT, database_url_for_tests


def workdir() -> Path:
    return Path(os.environ.get("COACHWORKS_TEST_WORKDIR", "/tmp"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def node_env(**extra: str) -> dict[str, str]:
    """The environment of a node: this test run's settings, the test database (pytest-django's), no kept
    database connections (a killed node must not hold any)."""
    return dict(os.environ, DATABASE_URL=database_url_for_tests(), DATABASE_CONN_MAX_AGE="0", **extra)


class Node:
    """One started process (web, worker or beat) that can be killed and started again with the same command."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.log_paths: list[Path] = []
        self.celery_name = ""  # a worker's node name before the "@"

    def start(self) -> Node:
        log_path = workdir() / f"node-{self.name}-{os.getpid()}-{time.monotonic_ns()}.log"
        self.log_paths.append(log_path)
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603
                self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.starts += 1
        return self

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the whole process group: the node dies mid-work, as when its machine goes away."""
        if self.alive:
            assert self.process is not None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self, grace: float = 15) -> None:
        if not self.alive:
            return
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, chars: int = 3000) -> str:
        if not self.log_paths:
            return ""
        return self.log_paths[-1].read_text(errors="replace")[-chars:]


def worker(name: str, queues: str, env: dict[str, str], concurrency: int = 1) -> Node:
    celery_name = f"{name}-{os.getpid()}-{time.monotonic_ns()}"
    node = Node(
        name,
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO",
         "--concurrency", str(concurrency), "--pool", "prefork", "--without-gossip", "--without-mingle",
         "-Q", queues, "-n", f"{celery_name}@%h"],
        env,
    )  # fmt: skip
    node.celery_name = celery_name
    return node


def beat(name: str, env: dict[str, str]) -> Node:
    base = workdir() / f"{name}-{os.getpid()}-{time.monotonic_ns()}"
    return Node(
        name,
        [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
         "--pidfile", f"{base}.pid", "--schedule", f"{base}.schedule", "--max-interval", "1"],
        env,
    )  # fmt: skip


def web(name: str, port: int, env: dict[str, str], workers: int = 2) -> Node:
    """gunicorn as the Dockerfile runs it (fewer workers: a shared 2-core machine)."""
    return Node(
        name,
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--timeout", "60"],
        env,
    )  # fmt: skip


def wait_for(condition: Callable[[], Any], timeout: float, what: str | Callable[[], str], interval: float = 0.2) -> Any:
    """Poll `condition` until it is true. `what` names what is awaited; a callable is asked only on a
    timeout, so the logs it may carry are read when the wait failed, not when it began."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what() if callable(what) else what}")


def port_answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


def workers_ready(nodes: list[Node], timeout: float = 90) -> None:
    """Every worker answers a control ping (it consumes its queues)."""
    from config.celery import app

    def answered() -> bool:
        for node in nodes:
            if not node.alive:
                raise AssertionError(f"{node.name} exited:\n{node.log_tail()}")
        replies = app.control.ping(timeout=1.0) or []
        answering = {name.split("@")[0] for reply in replies for name in reply}
        return all(node.celery_name in answering for node in nodes)

    wait_for(answered, timeout, "the workers to answer a ping", interval=0.5)


class RoundRobinProxy:
    """A tiny TCP proxy: each new client connection goes to the next backend in turn; a backend that
    refuses (its process was killed) is skipped for the next one, as a load balancer's health check would.
    Runs its own asyncio loop in a thread; `port` is where clients connect."""

    def __init__(self, backends: list[int]) -> None:
        self.backends = backends
        self._turn = itertools.count()
        self.port = free_port()
        self.connections: dict[int, int] = dict.fromkeys(backends, 0)
        self.refused = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.base_events.Server | None = None
        self._thread = threading.Thread(target=self._run, name="round-robin-proxy", daemon=True)

    def __enter__(self) -> RoundRobinProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the proxy did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", self.port))
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._server.close()
            self._loop.close()

    async def _backend(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        for _ in range(len(self.backends) * 3):
            port = self.backends[next(self._turn) % len(self.backends)]
            try:
                streams = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                self.refused += 1
                continue
            self.connections[port] += 1
            return streams
        raise ConnectionError("no backend answers")

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await self._backend()
        except ConnectionError:
            writer.close()
            return

        async def pipe(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
            try:
                while chunk := await source.read(65536):
                    target.write(chunk)
                    await target.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                with contextlib.suppress(Exception):
                    target.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))


@contextlib.contextmanager
def running(nodes: list[Node]) -> Iterator[list[Node]]:
    """Start the nodes; stop every one at the end (killing what does not stop)."""
    try:
        for node in nodes:
            node.start()
        yield nodes
    finally:
        for node in nodes:
            node.stop()
