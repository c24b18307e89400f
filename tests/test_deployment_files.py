"""The deployment files stay valid, and the container setup cannot start on development secrets."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
needs_compose = pytest.mark.skipif(
    shutil.which("docker-compose") is None, reason="Debian's docker-compose is not installed"
)
PRODUCTION_VALUES = {
    "SECRET_KEY": "a-long-random-value-from-secrets-token-urlsafe-64-goes-here-0123456789",
    "PAYMENTS_BANK_IBAN": "DE65100700000123456789",
    "PAYMENTS_BANK_BIC": "DEUTDEBBXXX",
}
# The system check that stops a container when the variable is missing.
REFUSAL = {"SECRET_KEY": "core.E001", "PAYMENTS_BANK_IBAN": "core.E003", "PAYMENTS_BANK_BIC": "core.E004"}


def compose_config(env: dict[str, str], empty_env_file: Path) -> subprocess.CompletedProcess[str]:
    # Only PATH from the caller, and an empty env file instead of a developer's .env: a SECRET_KEY from
    # elsewhere must not satisfy compose.
    empty_env_file.write_text("")
    return subprocess.run(
        ["docker-compose", "--env-file", str(empty_env_file), "config", "-q"],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        capture_output=True,
        text=True,
        check=False,
    )


@needs_compose
def test_docker_compose_file_is_valid(tmp_path):
    result = compose_config(PRODUCTION_VALUES, tmp_path / ".env")

    assert result.returncode == 0, result.stderr


@needs_compose
def test_docker_compose_file_is_valid_before_anything_is_configured(tmp_path):
    """`docker-compose config -q` on a fresh checkout (no .env): the file itself is valid."""
    result = compose_config({}, tmp_path / ".env")

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("missing", sorted(PRODUCTION_VALUES))
def test_the_containers_refuse_to_start_without_a_secret_key_and_a_bank_account(missing):
    """Runs the containers' first command as docker-compose does for someone who never set a secret:
    compose passes the variable empty, and `manage.py check` (before migrate and gunicorn) stops
    instead of using the development key or the example bank account."""
    environment = {**PRODUCTION_VALUES, missing: ""}

    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DEBUG": "0", **environment},
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert REFUSAL[missing] in result.stderr


def test_the_image_runs_the_system_checks_before_serving():
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert "python manage.py check && exec gunicorn" in dockerfile


def test_ci_checks_the_code_then_runs_make_test():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
    assert ci.index("make lint") < ci.index("make test")


def test_the_layers_of_the_apps_hold():
    """An app imports only the apps below it (pyproject.toml [tool.importlinter]); tests may import any."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports")], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:]
