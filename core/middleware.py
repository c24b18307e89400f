"""Refuse requests whose text no part of the platform can store or compare: a NUL byte or bytes that
are not UTF-8 in the path, the query string or a header value (PostgreSQL refuses NUL in text, and
such input otherwise surfaces as a 500 wherever it first meets the database). One check here, before
sessions, authentication and views, instead of one per form field, filter and header.

Request bodies are left to their parsers: Django's form fields refuse NUL, and the API's JSON parser
(`core.parsers.JSONParser`) refuses NUL and lone surrogates.
"""

import base64
import binascii
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

from core import db_router
from core.api import NON_FIELD_ERRORS

API_PREFIX = "/api/"


def invalid_text(raw: bytes) -> bool:
    """True if `raw` holds a NUL byte or is not UTF-8 (lone surrogates encoded as UTF-8 are not UTF-8)."""
    if b"\x00" in raw:
        return True
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _wsgi_bytes(value: str) -> bytes:
    """WSGI hands over bytes as latin-1 strings; test clients may hand over text already."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogatepass")


class RejectInvalidTextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = self.problem(request)
        if problem is not None:
            where, message = problem
            return self.refuse(request, where, message)
        return self.get_response(request)

    def problem(self, request: HttpRequest) -> tuple[str, str] | None:
        """(where, message) for the first part of the request with invalid text, or None."""
        meta = request.META
        # Django has already re-percent-encoded bytes of the path that are not UTF-8 ("%C3"): undo that
        # to see them. No route of ours has a literal "%" in it, so nothing valid is refused this way.
        if invalid_text(unquote_to_bytes(_wsgi_bytes(request.path))):
            return NON_FIELD_ERRORS, _("The address contains a NUL byte or bytes that are not UTF-8.")
        for pair in meta.get("QUERY_STRING", "").split("&"):
            raw_name, _sep, raw_value = pair.partition("=")
            name = unquote_to_bytes(_wsgi_bytes(raw_name).replace(b"+", b" "))
            value = unquote_to_bytes(_wsgi_bytes(raw_value).replace(b"+", b" "))
            if invalid_text(name) or invalid_text(value):
                field = name.decode("utf-8") if not invalid_text(name) else NON_FIELD_ERRORS
                return field, _("A NUL byte or bytes that are not UTF-8 are not allowed.")
        for key, value in meta.items():
            if not (key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH")) or not isinstance(value, str):
                continue
            header = key.removeprefix("HTTP_").replace("_", "-").title()
            if invalid_text(_wsgi_bytes(value)):
                return NON_FIELD_ERRORS, _("The header %(header)s contains a NUL byte or bytes that are not UTF-8.") % {
                    "header": header
                }
            if key == "HTTP_AUTHORIZATION" and _invalid_basic_credentials(value):
                return NON_FIELD_ERRORS, _("The credentials contain a NUL byte or bytes that are not UTF-8.")
        return None

    def refuse(self, request: HttpRequest, where: str, message: str) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            return JsonResponse({"message": message, "extra": {"fields": {where: [message]}}}, status=400)
        return HttpResponseBadRequest(
            _("Bad request: %(message)s") % {"message": message}, content_type="text/plain; charset=utf-8"
        )


def _invalid_basic_credentials(value: str) -> bool:
    """Basic credentials are base64 of "name:password": look inside, where a NUL hides from the header check."""
    scheme, _sep, token = value.strip().partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False  # not base64 at all: the authentication class answers 401
    return invalid_text(decoded)


class ReplicaRoutingMiddleware:
    """Lets the reads of public GET/HEAD requests go to the read replica, and sends a client that wrote to
    the primary for a few seconds after; the rules are `core.db_router`'s. Installed with DATABASE_REPLICA_URL."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with db_router.request_routing(replica_allowed=db_router.replica_allowed(request)) as routing:
            response = self.get_response(request)
        if routing.wrote or request.method not in db_router.SAFE_METHODS:
            db_router.remember_write(request, response)
        return response
