"""Shared test fixtures. Tests talk to real PostgreSQL, Redis and S3 (see scripts/test.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from config.celery_routes import queues_arg

ROOT = Path(__file__).resolve().parent


@pytest.fixture(scope="session", autouse=True)
def s3_bucket(django_db_blocker: Any) -> str:
    """The run's own bucket on the real S3 server, created once."""
    from core.s3 import bucket_ensure

    bucket_ensure()
    return settings.S3_BUCKET


@pytest.fixture
def password() -> str:
    from tests.support import PASSWORD

    return PASSWORD


@pytest.fixture
def member(db: None, password: str) -> Any:
    from community.services import user_create
    from tests.accounts import confirm_account

    return confirm_account(user_create(email="ada@example.com", password=password, display_name="Ada"))


def database_url_for_tests() -> str:
    """The URL of the test database pytest-django created, for processes started by a test."""
    from django.db import connection

    params = connection.settings_dict
    host = params.get("HOST") or params.get("OPTIONS", {}).get("host", "")
    port = params.get("PORT") or ""
    if host.startswith("/"):
        return f"postgres://{params['USER']}@/{params['NAME']}?host={host}"
    return f"postgres://{params['USER']}:{params.get('PASSWORD') or ''}@{host}:{port}/{params['NAME']}"


@pytest.fixture
def celery_worker_process(transactional_db: None) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker process on this run's queue, reading the test database.

    Tests using it must commit their data (they get `transactional_db`).
    """
    env = dict(os.environ)
    env["DATABASE_URL"] = database_url_for_tests()
    env["DATABASE_CONN_MAX_AGE"] = "0"
    log_path = Path(env.get("COACHWORKS_TEST_WORKDIR", "/tmp")) / f"worker-{os.getpid()}-{time.monotonic_ns()}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO",
             "--concurrency", "2", "--pool", "prefork", "--without-gossip", "--without-mingle",
             "-Q", queues_arg(), "-n", f"test-{os.getpid()}-{time.monotonic_ns()}@%h"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.returncode not in (0, -15):
            sys.stderr.write(log_path.read_text(errors="replace")[-4000:])


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright (its own browser download is not used)."""
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any, live_server: Any, settings: Any) -> Iterator[Any]:
    """A fresh browser tab; `page.base_url` is the live server's address.

    The live server serves static files through the finders, which know no hashed (manifest)
    names, so pages rendered for it link the plain names.
    """
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    context = chromium.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.base_url = live_server.url
    yield page
    context.close()


@pytest.fixture
def signed_in_page(page: Any, member: Any, password: str) -> Any:
    """The browser tab of `member`, signed in through the sign-in form (e-mail verified)."""
    from tests.accounts import confirm_account

    confirm_account(member)
    sign_in(page, member.email, password)
    return page


def sign_in(page: Any, email: str, password: str, code: str | None = None) -> None:
    """Sign in through the form; accounts with an authenticator app (every test staff account,
    `tests.accounts.confirm_account`) then enter a code from it, as people do."""
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_selector("[data-testid=signed-in-as], input[name=code]")
    if page.locator("input[name=code]").count():
        from tests.accounts import totp_code

        page.fill("input[name=code]", code or totp_code())
        page.click("form button[type=submit]")
        page.wait_for_selector("[data-testid=signed-in-as]")
