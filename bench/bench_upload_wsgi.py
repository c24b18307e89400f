"""The project's WSGI application wrapped to count the request body bytes the web process receives.

Used by `bench_upload_multipart.py`, which serves it with gunicorn in its own process:

    gunicorn bench.bench_upload_wsgi:application

`GET /__bench__/stats` answers (outside Django) with the bytes and requests counted so far and
the process's resident memory. Nothing else differs from `config.wsgi`.
"""

import json
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

_lock = threading.Lock()
_stats = {"requests": 0, "body_bytes": 0, "largest_body": 0}
_django: Callable[..., Iterable[bytes]] | None = None


class _CountingInput:
    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def _count(self, data: bytes) -> bytes:
        with _lock:
            _stats["body_bytes"] += len(data)
        return data

    def read(self, *args: Any) -> bytes:
        return self._count(self.stream.read(*args))

    def readline(self, *args: Any) -> bytes:
        return self._count(self.stream.readline(*args))

    def readlines(self, *args: Any) -> list[bytes]:
        return [self._count(line) for line in self.stream.readlines(*args)]

    def __iter__(self) -> Any:
        return (self._count(line) for line in self.stream)


def _rss_bytes() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    global _django
    if environ.get("PATH_INFO") == "/__bench__/stats":
        with _lock:
            body = json.dumps({**_stats, "rss": _rss_bytes(), "pid": os.getpid()}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]
    declared = int(environ.get("CONTENT_LENGTH") or 0)
    with _lock:
        _stats["requests"] += 1
        _stats["largest_body"] = max(_stats["largest_body"], declared)
    environ["wsgi.input"] = _CountingInput(environ["wsgi.input"])
    if _django is None:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        from django.core.wsgi import get_wsgi_application

        _django = get_wsgi_application()
    return _django(environ, start_response)
