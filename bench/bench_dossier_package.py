"""Packaging a 5 GB dossier: worker memory growth (target < 100 MB), bytes through the web process (target 0),
and the dossier page's queries (target < 15).

Builds a completed challenge through the services (`dossiers.tests.factories`): 8 phases x 3 awarded
entries, each entry's revision holding 10 STL meshes of 20 MB (every one its own bytes: 240 distinct
blobs in S3) plus a small PNG and PDF. The package of its latest dossier version is then built by the
task code (`dossiers.build_package`) in a separate Python process, which reports its resident memory
just before the build and its peak during it (`VmHWM`, reset before the build; `ru_maxrss` too).
Finally a member downloads it the way the page links it (a 302 to a presigned S3 URL; the zip is read
back from that URL and its SHA-256 checked), and the dossier page is fetched with its queries counted.

    make bench ARGS=bench/bench_dossier_package.py

DOSSIER_BENCH_FILE_MB (default 20) sizes each mesh; DOSSIER_BENCH_FILES (default 10) sets the meshes per
entry: `DOSSIER_BENCH_FILE_MB=1 DOSSIER_BENCH_FILES=2` tries it in a few minutes.
"""

import hashlib
import json
import math
import os
import subprocess
import sys
import time

import pytest
import requests
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import ROOT, database_url_for_tests
from dossiers.models import DossierPackage, PackageStatus
from dossiers.packaging import PART_SIZE, package_request, part_size_for
from dossiers.selectors import dossier_view_for_version
from dossiers.tests.factories import completed_challenge_with_dossier

FILE_MB = float(os.environ.get("DOSSIER_BENCH_FILE_MB", "20"))
FILES_PER_ENTRY = int(os.environ.get("DOSSIER_BENCH_FILES", "10"))
PHASES = ("concept", "front", "rear", "side", "wheels_tyres", "materials", "interior", "drivetrain")
ENTRIES_PER_PHASE = 3
RSS_TARGET = 100 * 1000 * 1000
PAGE_QUERY_TARGET = 15
MB = 1000 * 1000

pytestmark = pytest.mark.django_db(transaction=True)

# The worker: a fresh Python process that loads what a Celery pool process has loaded (Django, the task
# module, an S3 client, one dossier view) before taking its baseline, then runs the task's code.
WORKER = r"""
import json, resource, sys, time
import django
django.setup()
from core.s3 import internal_client
from django.conf import settings
from dossiers import packaging, tasks
from dossiers.models import DossierPackage
from dossiers.selectors import dossier_view_for_version

def status_bytes(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith(field + ":"))

package = DossierPackage.objects.get(pk=int(sys.argv[1]))
packaging.package_documents(dossier_view_for_version(package.version_id))
internal_client().head_bucket(Bucket=settings.S3_BUCKET)
try:  # the peak so far (start-up, imports) is not the build's: start the high-water mark again from here
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
except OSError:
    pass
rss_before = status_bytes("VmRSS")
maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
started = time.monotonic()
status = tasks.build_package(package.pk)
seconds = time.monotonic() - started
print(json.dumps({
    "status": status, "seconds": seconds, "rss_before": rss_before, "peak_after": status_bytes("VmHWM"),
    "maxrss_before": maxrss_before, "maxrss_after": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
}))
"""


def run_worker(package_id: int) -> dict[str, float]:
    env = dict(os.environ, DATABASE_URL=database_url_for_tests(), DATABASE_CONN_MAX_AGE="0")
    finished = subprocess.run(
        [sys.executable, "-c", WORKER, str(package_id)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600, check=False,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stderr[-4000:]
    return dict(json.loads(finished.stdout.strip().splitlines()[-1]))


def test_a_5_gb_dossier_is_packaged_in_bounded_memory_and_downloaded_past_the_web_process():
    made = time.monotonic()
    scenario = completed_challenge_with_dossier(
        phases=PHASES,
        entries_per_phase=ENTRIES_PER_PHASE,
        files_per_entry=FILES_PER_ENTRY,
        file_size=int(FILE_MB * MB),
        title="Benchmark rover",
    )
    number = scenario.versions[-1].number
    setup_seconds = time.monotonic() - made
    package = package_request(user=scenario.owner, slug=scenario.slug, number=number)  # commits; no worker listens

    figures = run_worker(package.pk)
    package.refresh_from_db()
    assert package.status == PackageStatus.READY, package.error
    assert package.size is not None
    # Growth: the build's peak over the resident memory just before it (the high-water mark was reset there);
    # ru_maxrss (the peak since the process started) is printed too.
    growth = figures["peak_after"] - figures["rss_before"]
    part_size = part_size_for(package.bytes_total)

    client = Client()
    client.force_login(scenario.entrants[0])
    download = client.get(reverse("dossiers:package", kwargs={"slug": scenario.slug, "number": number}))
    assert download.status_code == 302
    through_web = len(download.content)
    digest = hashlib.sha256()
    served = 0
    with requests.get(download["Location"], stream=True, timeout=600) as response:
        response.raise_for_status()
        for chunk in response.iter_content(1024 * 1024):
            digest.update(chunk)
            served += len(chunk)
    page_url = reverse("dossiers:version", kwargs={"slug": scenario.slug, "number": number})
    client.get(page_url)  # warm: the first request loads templates and translations
    with CaptureQueriesContext(connection) as queries:
        page = client.get(page_url)
    assert page.status_code == 200

    distinct = len({file.sha256 for file in dossier_view_for_version(package.version_id).files})
    rate = package.bytes_total / MB / figures["seconds"]
    lines = [
        f"Dossier package: {len(PHASES)} phases x {ENTRIES_PER_PHASE} awarded entries x {FILES_PER_ENTRY} meshes"
        f" of {FILE_MB:g} MB (+ a PNG and a PDF per entry): {package.files_total} files, {distinct} distinct"
        f" blobs, made through the services in {setup_seconds:.0f} s",
        f"  built by the task code in a separate process: {package.bytes_total / MB:,.0f} MB of files into a"
        f" {package.size / MB:,.0f} MB zip in {figures['seconds']:.1f} s = {rate:.0f} MB/s"
        " (read from S3, written to S3 in parts, copied to its final key in S3)",
        f"  multipart upload: {math.ceil(package.size / part_size)} parts of {part_size / 2**20:.0f} MiB"
        f" (configured {PART_SIZE / 2**20:.0f} MiB)",
        f"  worker RSS: {figures['rss_before'] / MB:.0f} MB before the build, peak during it"
        f" {figures['peak_after'] / MB:.0f} MB; growth {growth / MB:.1f} MB = {growth / RSS_TARGET:.2f} x target"
        f" (100 MB); ru_maxrss {figures['maxrss_before'] / MB:.0f} MB before,"
        f" {figures['maxrss_after'] / MB:.0f} MB after",
        f"  download: {download.status_code} to a presigned S3 URL; bytes of file content through the web"
        f" process: {through_web} (target 0); S3 served {served / MB:,.0f} MB, SHA-256"
        f" {'matches' if digest.hexdigest() == package.sha256 else 'DIFFERS'} ({package.sha256[:16]}...)",
        f"  dossier page (version {number}, {package.files_total} files): {len(queries)} queries"
        f" (target < {PAGE_QUERY_TARGET})",
    ]
    print("\n" + "\n".join(lines))

    assert DossierPackage.objects.get(pk=package.pk).sha256 == digest.hexdigest()
    assert served == package.size
    assert through_web == 0
    assert growth < RSS_TARGET
    assert len(queries) < PAGE_QUERY_TARGET
