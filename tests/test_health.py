"""/healthz reports each component, and each dead component by name (real servers, no mocks)."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.test import override_settings

from devtools import devservices

ROOT = Path(__file__).resolve().parent.parent
S3_CREDENTIALS = ("S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY")  # each SeaweedFS started has its own


@pytest.fixture
def closed_port() -> int:
    port = devservices.free_port()
    assert not devservices.port_is_open("127.0.0.1", port)
    return port


def test_healthz_answers_200_when_database_redis_and_storage_answer(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok", "storage": "ok"}}


def test_healthz_answers_503_naming_redis_when_redis_is_down(client, db, closed_port):
    with override_settings(REDIS_URL=f"redis://127.0.0.1:{closed_port}/0"):
        response = client.get("/healthz")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["redis"].startswith("error: ConnectionError")
    assert checks["database"] == checks["storage"] == "ok"


def test_healthz_answers_503_naming_storage_when_the_s3_server_was_stopped(client, db, tmp_path, s3_bucket):
    seaweed = devservices.start_seaweedfs(tmp_path / "s3", tmp_path / "s3.log")
    try:
        endpoint = seaweed.env["S3_ENDPOINT_URL"]
        devservices.wait_for_bucket_api(endpoint)
        with override_settings(S3_ENDPOINT_URL=endpoint, **{name: seaweed.env[name] for name in S3_CREDENTIALS}):
            from core.s3 import bucket_ensure

            bucket_ensure()
            assert client.get("/healthz").status_code == 200
            seaweed.stop()

            response = client.get("/healthz")
    finally:
        seaweed.stop()

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["storage"].startswith("error:")
    assert checks["database"] == checks["redis"] == "ok"


def test_health_report_names_the_database_when_its_port_is_closed(closed_port):
    env = {**os.environ, "DATABASE_URL": f"postgres://postgres@127.0.0.1:{closed_port}/coachworks"}
    script = (
        "import json, django; django.setup(); from core.health import health_report; print(json.dumps(health_report()))"
    )

    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )

    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["database"].startswith("error: OperationalError")
    assert report["redis"] == report["storage"] == "ok"


def test_liveness_answers_200_without_touching_the_database(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz/live")

    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]


def test_liveness_refuses_anything_but_get(client, db):
    assert client.post("/healthz/live").status_code == 405


def test_liveness_answers_200_while_readiness_reports_every_component_down(closed_port):
    """An outage of PostgreSQL, Redis or S3 takes web pods out of the load balancer (readiness), but must not
    make Kubernetes restart every one of them (liveness): liveness reads nothing but the process."""
    nowhere = f"127.0.0.1:{closed_port}"
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@{nowhere}/coachworks",
        "REDIS_URL": f"redis://{nowhere}/0",
        "S3_ENDPOINT_URL": f"http://{nowhere}",
        "ALLOWED_HOSTS": "localhost",
    }
    script = (
        "import json, django; django.setup(); from django.test import Client; c = Client(HTTP_HOST='localhost'); "
        "live = c.get('/healthz/live'); ready = c.get('/healthz'); "
        "print(json.dumps([live.status_code, ready.status_code, ready.json()['checks']]))"
    )

    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=120
    )

    live, ready, checks = json.loads(result.stdout.strip().splitlines()[-1])
    assert live == 200
    assert ready == 503
    assert all(state.startswith("error:") for state in checks.values()), checks


def _wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_a_worker_keeps_its_liveness_file_fresh_and_removes_it_when_it_stops(tmp_path):
    """What the workers' Kubernetes probes read (`find FILE -mmin -N`): the worker's own loop touches the file."""
    alive = tmp_path / "worker-alive"
    queue = f"liveness-{os.getpid()}-{time.monotonic_ns()}"  # an empty queue of its own: it takes no test's tasks
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork", "--concurrency", "1",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-Q", queue, "-n", f"{queue}@%h",
         "--liveness-file", str(alive), "--liveness-interval", "1"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        _wait_for(alive.exists, 60, "the liveness file")
        long_ago = time.time() - 3600
        os.utime(alive, (long_ago, long_ago))

        _wait_for(lambda: alive.stat().st_mtime > time.time() - 30, 10, "the worker to touch its file again")

        worker.terminate()
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        log.close()

    assert not alive.exists(), "a stopped worker must not look alive"
