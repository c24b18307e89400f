"""Settings boot from the environment, with and without the optional variables."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRINT_SETTINGS = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'debug': s.DEBUG, 'db': s.DATABASES['default']['NAME'], "
    "'host': s.DATABASES['default']['HOST'], 'hosts': s.ALLOWED_HOSTS, 'bucket': s.S3_BUCKET, "
    "'endpoint': s.S3_ENDPOINT_URL, 'public_endpoint': s.S3_PUBLIC_ENDPOINT_URL, 'email': s.EMAIL_BACKEND, "
    "'email_host': s.EMAIL_HOST, 'tz': s.TIME_ZONE, 'redis': s.REDIS_URL, 'broker': s.CELERY_BROKER_URL, "
    "'acks_late': s.CELERY_TASK_ACKS_LATE, 'serializer': s.CELERY_TASK_SERIALIZER}))"
)


def boot_settings(env: dict[str, str], script: str = PRINT_SETTINGS) -> dict[str, object]:
    """The settings a fresh process reads from `env` alone, as `script` prints them."""
    base = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_settings_boot_with_no_optional_variables_use_development_defaults():
    values = boot_settings({})

    assert values["debug"] is False
    assert values["db"] == "coachworks"
    assert values["host"] == "127.0.0.1"
    assert values["email"] == "django.core.mail.backends.console.EmailBackend"
    assert values["tz"] == "UTC"
    assert values["broker"] == values["redis"] == "redis://127.0.0.1:6379/0"
    assert values["public_endpoint"] == values["endpoint"]
    assert values["acks_late"] is True
    assert values["serializer"] == "json"


def test_settings_boot_from_every_documented_variable():
    values = boot_settings(
        {
            "DEBUG": "1",
            "DATABASE_URL": "postgres://app:secret@db.internal:5433/coachworks_prod",
            "REDIS_URL": "redis://cache.internal:6380/2",
            "ALLOWED_HOSTS": "coachworks.example,www.coachworks.example",
            "S3_ENDPOINT_URL": "http://minio:9000",
            "S3_PUBLIC_ENDPOINT_URL": "https://files.coachworks.example",
            "S3_BUCKET": "prod-media",
            "EMAIL_URL": "smtp://mailer:pw@smtp.example.com:587/?tls=True",
            "TIME_ZONE": "Europe/Berlin",
        }
    )

    assert values["debug"] is True
    assert values["db"] == "coachworks_prod"
    assert values["host"] == "db.internal"
    assert values["hosts"] == ["coachworks.example", "www.coachworks.example"]
    assert values["bucket"] == "prod-media"
    assert values["endpoint"] == "http://minio:9000"
    assert values["public_endpoint"] == "https://files.coachworks.example"
    assert values["email"] == "django.core.mail.backends.smtp.EmailBackend"
    assert values["email_host"] == "smtp.example.com"
    assert values["tz"] == "Europe/Berlin"
    assert values["broker"] == "redis://cache.internal:6380/2"


def test_database_on_a_unix_socket_is_understood():
    values = boot_settings({"DATABASE_URL": "postgres://postgres@/coachworks?host=/var/run/postgresql"})

    assert values["db"] == "coachworks"


PRINT_SECURITY = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'ssl_redirect': s.SECURE_SSL_REDIRECT, 'exempt': s.SECURE_REDIRECT_EXEMPT, "
    "'hsts': s.SECURE_HSTS_SECONDS, 'subdomains': s.SECURE_HSTS_INCLUDE_SUBDOMAINS, 'preload': s.SECURE_HSTS_PRELOAD, "
    "'session_secure': s.SESSION_COOKIE_SECURE, 'csrf_secure': s.CSRF_COOKIE_SECURE, "
    "'proxy': s.SECURE_PROXY_SSL_HEADER, 'referrer': s.SECURE_REFERRER_POLICY, "
    "'coop': s.SECURE_CROSS_ORIGIN_OPENER_POLICY}))"
)


def boot_security(env: dict[str, str]) -> dict[str, object]:
    return boot_settings(env, PRINT_SECURITY)


def test_https_settings_are_off_for_development_and_come_from_the_environment_in_production():
    development = boot_security({})
    production = boot_security(
        {
            "SECURE_SSL_REDIRECT": "1",
            "SECURE_HSTS_SECONDS": "31536000",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
            "SECURE_HSTS_PRELOAD": "1",
            "SECURE_COOKIES": "1",
            "BEHIND_TLS_PROXY": "1",
        }
    )

    assert development["ssl_redirect"] is False
    assert development["hsts"] == 0
    assert development["session_secure"] is development["csrf_secure"] is False
    assert production["ssl_redirect"] is True
    assert production["hsts"] == 31536000
    assert production["subdomains"] is production["preload"] is True
    assert production["session_secure"] is production["csrf_secure"] is True
    assert production["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert production["exempt"] == development["exempt"] == ["^healthz$"]
    assert production["referrer"] == "same-origin"
    assert production["coop"] == "same-origin"


@pytest.mark.django_db
def test_with_ssl_redirect_pages_move_to_https_but_the_health_probe_answers_over_plain_http(client, settings):
    """A load balancer probes /healthz over plain HTTP: a redirect would read as "down"."""
    settings.SECURE_SSL_REDIRECT = True

    page = client.get("/challenges/")
    probe = client.get("/healthz")

    assert page.status_code == 301
    assert page["Location"] == "https://testserver/challenges/"
    assert probe.status_code == 200, probe.content
    assert probe.json()["status"] == "ok"


@pytest.mark.django_db
def test_https_responses_carry_hsts_from_the_settings(client, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True

    secure = client.get("/", secure=True)
    plain = client.get("/")

    assert secure["Strict-Transport-Security"] == "max-age=3600; includeSubDomains"
    assert "Strict-Transport-Security" not in plain  # browsers ignore it over HTTP; Django sends it over HTTPS only
    assert secure["Referrer-Policy"] == "same-origin"
    assert secure["Cross-Origin-Opener-Policy"] == "same-origin"
    assert secure["X-Frame-Options"] == "DENY"
