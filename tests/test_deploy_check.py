"""A public deployment cannot start on development values, and `make deploy-check` passes.

The attack these guard against: a site deployed with DEBUG off but the development SECRET_KEY
(readable in config/settings.py) lets anyone sign e-mail confirmations, password-reset links and
session cookies for any account; a site left with the example IBAN tells clients to pay their
budgets into a stranger's bank account.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import CheckMessage

from core.checks import platform_bank_account_is_real, secret_key_is_not_for_development

ROOT = Path(__file__).resolve().parent.parent
REAL_ACCOUNT = {"PAYMENTS_BANK_IBAN": "DE65100700000123456789", "PAYMENTS_BANK_BIC": "DEUTDEBBXXX"}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DJANGO_SETTINGS_MODULE": "config.settings"}
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, check=False
    )


def ids(messages: list[CheckMessage]) -> list[str]:
    return [message.id or "" for message in messages]


@pytest.mark.parametrize("command", [["check"], ["compile_translations"]])
def test_with_debug_off_every_command_refuses_the_development_secret_key(command):
    """Deploys with DEBUG=0 and no SECRET_KEY (the development default): the command stops before it runs."""
    result = manage(*command, env={"DEBUG": "0", **REAL_ACCOUNT})

    assert result.returncode != 0
    assert "core.E001" in result.stderr
    assert "development default" in result.stderr


def test_with_debug_off_every_command_refuses_the_example_iban():
    """Deploys with a good key but the example bank account that every IBAN tutorial prints."""
    result = manage("check", env={"DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(64)})

    assert result.returncode != 0
    assert "core.E003" in result.stderr
    assert "core.E001" not in result.stderr


def test_development_with_debug_on_keeps_the_defaults():
    result = manage("check", env={"DEBUG": "1"})

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("dev-only-insecure-key-change-me-in-production-0123456789", "development default"),
        ("django-insecure-" + "x1y2z3" * 10, "django-insecure"),
        ("change-me-in-production-please-0123456789abcdef", "fewer than 50"),
        ("ab" * 40, "different characters"),
    ],
)
def test_weak_secret_keys_are_errors_when_debug_is_off(settings, key, why):
    settings.DEBUG = False
    settings.SECRET_KEY = key

    messages = list(secret_key_is_not_for_development(None))

    assert ids(messages) == ["core.E001"]
    assert why in messages[0].msg


def test_a_weak_fallback_key_still_verifies_signatures_and_is_an_error(settings):
    """A rotated-out development key left in SECRET_KEY_FALLBACKS would still accept forged links."""
    settings.DEBUG = False
    settings.SECRET_KEY = secrets.token_urlsafe(64)
    settings.SECRET_KEY_FALLBACKS = [settings.DEVELOPMENT_SECRET_KEY]

    assert ids(list(secret_key_is_not_for_development(None))) == ["core.E002"]


def test_a_long_random_key_passes(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = secrets.token_urlsafe(64)
    settings.SECRET_KEY_FALLBACKS = []

    assert list(secret_key_is_not_for_development(None)) == []


@pytest.mark.parametrize(
    ("iban", "bic", "expected"),
    [
        ("DE89370400440532013000", "COBADEFFXXX", "core.E003"),
        ("DE89 3704 0044 0532 0130 00", "COBADEFFXXX", "core.E003"),
        ("DE65100700000123456789", "COBADEFFXXX", "core.E004"),  # the example BIC left with a real IBAN
        ("DE65100700000123456789", "BKAUATWW", "core.E004"),  # a bank in another country
        ("DE00100700000123456789", "DEUTDEBBXXX", "core.E004"),  # a typing error (check digits)
    ],
)
def test_the_example_or_an_inconsistent_bank_account_is_an_error_when_debug_is_off(settings, iban, bic, expected):
    settings.DEBUG = False
    settings.PAYMENTS_BANK_IBAN, settings.PAYMENTS_BANK_BIC = iban, bic

    assert ids(list(platform_bank_account_is_real(None))) == [expected]


def test_a_real_bank_account_passes_and_development_may_use_the_example(settings):
    settings.DEBUG = False
    settings.PAYMENTS_BANK_IBAN, settings.PAYMENTS_BANK_BIC = REAL_ACCOUNT.values()
    assert list(platform_bank_account_is_real(None)) == []

    settings.DEBUG = True
    settings.PAYMENTS_BANK_IBAN, settings.PAYMENTS_BANK_BIC = "DE89370400440532013000", "COBADEFFXXX"
    assert list(platform_bank_account_is_real(None)) == []


def test_make_deploy_check_passes_under_the_documented_production_environment():
    """`make deploy-check`: `check --deploy --fail-level WARNING` with deploy/production.env.example."""
    result = subprocess.run(  # noqa: S603
        [sys.executable, "scripts/deploy_check.py"], cwd=ROOT, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout + result.stderr


def test_deploy_check_fails_on_an_environment_without_https(tmp_path):
    """The same command on a production file that forgot HTTPS fails, naming Django's warnings."""
    example = (ROOT / "deploy" / "production.env.example").read_text()
    insecure = tmp_path / "insecure.env"
    insecure.write_text(
        example.replace("SECURE_SSL_REDIRECT=1", "SECURE_SSL_REDIRECT=0")
        .replace("SECURE_HSTS_SECONDS=31536000", "SECURE_HSTS_SECONDS=0")
        .replace("SECRET_KEY=", f"SECRET_KEY={secrets.token_urlsafe(64)}")
        .replace("PAYMENTS_BANK_IBAN=", f"PAYMENTS_BANK_IBAN={REAL_ACCOUNT['PAYMENTS_BANK_IBAN']}")
        .replace("PAYMENTS_BANK_BIC=", f"PAYMENTS_BANK_BIC={REAL_ACCOUNT['PAYMENTS_BANK_BIC']}")
    )

    result = subprocess.run(  # noqa: S603
        [sys.executable, "scripts/deploy_check.py", str(insecure)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "security.W004" in result.stderr
    assert "security.W008" in result.stderr


def test_deploy_check_of_a_real_file_does_not_fill_in_a_missing_secret_key():
    result = subprocess.run(  # noqa: S603
        [sys.executable, "scripts/deploy_check.py", "/dev/null"], cwd=ROOT, capture_output=True, text=True, check=False
    )

    assert result.returncode != 0
    assert "core.E001" in result.stderr
