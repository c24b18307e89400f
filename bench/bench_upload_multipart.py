"""Does a 1 GiB upload cross the web process? Targets: 0 file bytes through Django, < 10 MB RSS growth.

Serves the project with gunicorn in its own process (one worker, four threads) against this run's
database and S3, wrapped to count every request body byte it receives (`bench_upload_wsgi.py`).
A client then uploads a 1 GiB file the way the upload page does: it asks the API for a slot,
PUTs the parts (generated on the fly, four at a time) straight to S3 with the presigned URLs, and
says "complete". The web process's resident memory is sampled all along. Finally the worker's job
(streaming SHA-256, magic bytes, content-addressed copy) runs here and must find the same hash.

    .venv/bin/python scripts/test.py bench/bench_upload_multipart.py -s -o python_files='bench_*.py'

BENCH_UPLOAD_BYTES (default 1 GiB) sizes the file.
"""

import hashlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from blueprints import services
from blueprints.models import File, FileStatus
from community.services import user_create
from conftest import ROOT, database_url_for_tests
from devtools.devservices import free_port, wait_until

FILE_BYTES = int(os.environ.get("BENCH_UPLOAD_BYTES", str(1024**3)))
RSS_TARGET = 10 * 1000 * 1000
PASSWORD = "bench-Long-and-unusual-pw-2026"
BLOCK = os.urandom(1024 * 1024)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def web_process(transactional_db: None) -> Iterator[str]:
    """gunicorn serving the counting wrapper; yields its base URL."""
    port = free_port()
    env = dict(os.environ, DATABASE_URL=database_url_for_tests(), DATABASE_CONN_MAX_AGE="0")
    log_path = Path(env.get("COACHWORKS_TEST_WORKDIR", "/tmp")) / f"bench-web-{os.getpid()}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "bench.bench_upload_wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "--threads", "4", "--worker-class", "gthread", "--timeout", "120"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return requests.get(f"{base}/__bench__/stats", timeout=1).ok
        except requests.RequestException:
            return False

    try:
        wait_until(answers, timeout=30, what="gunicorn", process=process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def part_bytes(number: int, size: int) -> bytes:
    """Part `number` of the file, made on demand: a STEP header first, then incompressible filler."""
    start = (number - 1) * size
    data = bytearray()
    if number == 1:
        data += b"ISO-10303-21;\nHEADER;\n/* Coachworks upload benchmark */\n"
    while len(data) < size:
        data += BLOCK
    data = data[:size]
    data[-8:] = start.to_bytes(8, "big")  # every part differs
    return bytes(data)


class RssSampler(threading.Thread):
    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.peak = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, stats(self.base)["rss"])
            time.sleep(0.05)


def stats(base: str) -> dict[str, Any]:
    return dict(requests.get(f"{base}/__bench__/stats", timeout=5).json())


def test_a_1_gib_multipart_upload_never_crosses_the_web_process(web_process):
    base = web_process
    user_create(email="bench@example.com", password=PASSWORD, display_name="Bench")
    session = requests.Session()
    session.auth = ("bench@example.com", PASSWORD)
    from community.models import User

    owner = User.objects.get(email="bench@example.com")
    blueprint = services.blueprint_create(owner=owner, title="Upload benchmark")
    slots = f"{base}/api/v1/blueprints/{blueprint.slug}/revisions/1/uploads/"

    # Warm up: every module the upload path uses is imported before the baseline is taken.
    warm = session.post(slots, json={"name": "warm-up.step", "size": 10, "content_type": ""}, timeout=30)
    assert warm.status_code == 201, warm.text
    session.get(f"{base}/api/v1/blueprints/files/{warm.json()['file']['id']}/upload/", timeout=30)
    session.post(f"{base}/api/v1/blueprints/files/{warm.json()['file']['id']}/complete/", timeout=30)
    before = stats(base)
    sampler = RssSampler(base)
    sampler.start()
    started = time.monotonic()

    slot = session.post(slots, json={"name": "chassis.step", "size": FILE_BYTES, "content_type": ""}, timeout=30)
    assert slot.status_code == 201, slot.text
    file_id, upload = slot.json()["file"]["id"], slot.json()["upload"]
    assert upload["method"] == "multipart"
    digest = hashlib.sha256()
    parts = {part["number"]: part for part in upload["parts"]}

    def send(number: int) -> None:
        data = part_bytes(number, parts[number]["size"])
        response = requests.put(parts[number]["url"], data=data, timeout=300)
        response.raise_for_status()

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(send, sorted(parts)))
    for number in sorted(parts):
        digest.update(part_bytes(number, parts[number]["size"]))
    done = session.post(f"{base}/api/v1/blueprints/files/{file_id}/complete/", timeout=120)
    assert done.status_code == 200, done.text
    uploaded_in = time.monotonic() - started
    sampler.running = False
    sampler.join()
    after = stats(base)

    processing_started = time.monotonic()
    file = services.file_process(file_id=file_id)  # the worker's job, here
    processed_in = time.monotonic() - processing_started

    body_bytes = after["body_bytes"] - before["body_bytes"]
    largest = after["largest_body"]
    growth = max(sampler.peak, after["rss"]) - before["rss"]
    mib = 1024 * 1024
    print(
        f"\nMultipart upload of {FILE_BYTES / mib:.0f} MiB in {len(parts)} parts of {upload['part_size'] / mib:.0f} MiB"
    )
    print(f"  uploaded in {uploaded_in:.1f} s ({FILE_BYTES / mib / uploaded_in:.0f} MiB/s), "
          f"{after['requests'] - before['requests']} requests to the web process")  # fmt: skip
    print(f"  request body bytes that crossed Django: {body_bytes} B (JSON only; largest body {largest} B) "
          f"= {body_bytes / FILE_BYTES:.2e} of the file; file bytes through Django: 0 (target 0)")  # fmt: skip
    print(f"  web process RSS: {before['rss'] / mib:.1f} MiB before, peak {sampler.peak / mib:.1f} MiB, "
          f"growth {growth / 1e6:.2f} MB = {growth / RSS_TARGET:.2f} x target (10 MB)")  # fmt: skip
    print(f"  processing (streamed SHA-256, magic bytes, content-addressed copy): {processed_in:.1f} s")
    assert file is not None
    print(f"  status {file.status}, SHA-256 {'matches' if file.sha256 == digest.hexdigest() else 'DIFFERS'}")

    assert largest < 4096, "no request to the web process carries file bytes"
    assert body_bytes < 4096
    assert growth < RSS_TARGET
    assert file.status == FileStatus.READY
    assert file.sha256 == digest.hexdigest()
    assert File.objects.get(pk=file_id).storage_key == f"blobs/sha256/{digest.hexdigest()}"
