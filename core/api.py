"""The API's error contract: every error response of `/api/v1/` has one body,

    {"message": "<one sentence for a person>", "extra": {...}}

and its status says which kind of refusal it is:

- **400 invalid input.** `extra.fields` maps each field to its messages:
  `{"message": "Validation error", "extra": {"fields": {"budget": ["Use the digits 0-9."]}}}`.
  Errors not about one field are under `"non_field_errors"`; a nested field is named by its
  path (`"prizes.1.amount"`). A service's refusal that names no field puts its own message
  there. A malformed body (bad JSON, NUL bytes, lone surrogates, invalid UTF-8 anywhere in the
  request) is a 400 of the same shape with the message "Malformed request".
- **401 not signed in**, or credentials that are wrong, expired or belong to an account that
  may not sign in; the response has a `WWW-Authenticate` header.
- **403 not allowed:** signed in, but this actor may not do this to this object
  (`core.exceptions.NotAllowed`, DRF permission classes, CSRF failures).
- **404 not found or not visible** to this actor: the API does not tell the two apart.
- **405 / 406 / 415:** wrong method, unacceptable `Accept`, unsupported body type.
- **409 state conflict:** the object's state forbids the move now (`core.exceptions.Conflict`:
  "the phase is not open", "already paid"); another time or another object may work.
- **429 throttled:** a `Retry-After` header and `extra.retry_after` (seconds, an integer; `null`
  only when a DRF throttle cannot say how long).

What `extra` holds: for a 400, always `fields`; for a 403, 409 or 429 raised by a service,
`fields` too when the service named fields ("already recorded" on `bank_transaction_id`), else
not; next to `fields`, a service's machine-readable details (`"codes"`, `"missing_parts"`, the
keys in `DETAIL_KEYS`, and any key whose value is not a list, string or dict). Refusals that DRF or Django
raise (401, 403, 404, 405, 406, 415) have an empty `extra`, `{}`.

Services raise `core.exceptions.ApplicationError` (400) and its subclasses `NotAllowed` (403),
`Conflict` (409) and `RateLimited` (429); a service's `extra` is either `{"fields": {...}, ...}`
or, for field messages, `{"<field>": ["why", ...]}`; `exception_handler` below turns either into
the shape above. The serializers at the end describe these bodies in the OpenAPI schema as the
components `Error`, `ValidationError` and `ThrottledError`.
"""

import math
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from core.exceptions import ApplicationError, RateLimited

NON_FIELD_ERRORS = "non_field_errors"
# Keys of a service's `extra` that carry details for programs and pages, not messages about a field.
DETAIL_KEYS = frozenset(
    {"code", "codes", "eligibility", "entries", "missing_parts", "wrong_parts", "pending", "rejected", "status"}
)
# Sent when no authentication class of the view names a scheme (session-only views).
DEFAULT_AUTHENTICATE_HEADER = 'Bearer realm="api"'


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn every refusal into the contract's body and status (see the module docstring)."""
    if isinstance(exc, RateLimited):
        set_rollback()
        extra = {**application_error_extra(exc), "retry_after": exc.retry_after}
        return Response(
            {"message": exc.message, "extra": extra}, status=exc.status, headers={"Retry-After": str(exc.retry_after)}
        )
    if isinstance(exc, ApplicationError):
        set_rollback()
        return Response({"message": exc.message, "extra": application_error_extra(exc)}, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        # DRF answers 403 when the first authentication class names no scheme; not signed in is a 401.
        exc.status_code = 401
        exc.auth_header = authenticate_header(context.get("request"))  # type: ignore[union-attr]

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"message": _("Validation error"), "extra": {"fields": field_errors(response.data)}}
    elif isinstance(exc, exceptions.ParseError):
        response.data = {"message": _("Malformed request"), "extra": {"fields": {NON_FIELD_ERRORS: [str(exc.detail)]}}}
    elif isinstance(exc, exceptions.Throttled):
        wait = getattr(exc, "wait", None)
        retry_after = math.ceil(wait) if wait is not None else None
        if retry_after is not None:
            response["Retry-After"] = str(retry_after)
        response.data = {"message": str(exc.detail), "extra": {"retry_after": retry_after}}
    else:
        detail = response.data.get("detail", str(exc)) if isinstance(response.data, dict) else str(exc)
        response.data = {"message": str(detail), "extra": {}}
    return response


def application_error_extra(exc: ApplicationError) -> dict[str, Any]:
    """A service's `extra` in the contract's shape: field messages under `fields` (for a 400 always,
    with the message as the non-field error when no field is named; for 403 and 409 when there are any)."""
    extra = dict(exc.extra) if isinstance(exc.extra, dict) else {}
    if isinstance(extra.get("fields"), dict):
        fields = field_errors(extra.pop("fields"))
    else:
        fields = field_errors(
            {
                key: extra.pop(key)
                for key in list(extra)
                if key not in DETAIL_KEYS and isinstance(extra[key], list | tuple | str | dict)
            }
        )
    if exc.status == 400 and not fields:
        fields = {NON_FIELD_ERRORS: [exc.message]}
    return {"fields": fields, **extra} if fields else extra


def field_errors(data: object, prefix: str = "") -> dict[str, list[str]]:
    """Flatten (DRF or Django) error details into `{"field.path": ["message", ...]}`."""
    found: dict[str, list[str]] = {}

    def walk(value: object, path: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                name = NON_FIELD_ERRORS if key in ("__all__", NON_FIELD_ERRORS) and not path else str(key)
                walk(inner, f"{path}.{name}" if path else name)
        elif isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
            if value:
                found.setdefault(path or NON_FIELD_ERRORS, []).extend(str(item) for item in value)
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                walk(item, f"{path}.{index}" if path else str(index))
        elif value is not None:
            found.setdefault(path or NON_FIELD_ERRORS, []).append(str(value))

    walk(data, prefix)
    return found


def authenticate_header(request: Request | None) -> str:
    """The scheme of the first authentication class that names one (tokens), for `WWW-Authenticate`."""
    for authenticator in getattr(request, "authenticators", None) or ():
        header = authenticator.authenticate_header(request)
        if header:
            return str(header)
    return DEFAULT_AUTHENTICATE_HEADER


# --- The bodies, as OpenAPI components (referenced by every operation's documented responses) ---


class ErrorSerializer(serializers.Serializer):
    """Any refusal: 401, 403, 404, 405, 406, 409, 415 (and 429, see `ThrottledError`)."""

    message = serializers.CharField(help_text="One sentence for a person.")
    extra = serializers.DictField(help_text="Details for programs; keys depend on the operation.")


class ValidationErrorExtraSerializer(serializers.Serializer):
    fields = serializers.DictField(  # type: ignore[assignment]  # a body key, not the serializer's field map
        child=serializers.ListField(child=serializers.CharField()),
        help_text='Messages per field ("non_field_errors" for the whole input; nested fields as "a.0.b").',
    )


class ValidationErrorSerializer(serializers.Serializer):
    """Invalid input (400): messages per field under `extra.fields`."""

    message = serializers.CharField()
    extra = ValidationErrorExtraSerializer()


class ThrottledErrorExtraSerializer(serializers.Serializer):
    retry_after = serializers.IntegerField(allow_null=True, help_text="Seconds to wait, as in `Retry-After`.")


class ThrottledErrorSerializer(serializers.Serializer):
    """Too many requests (429)."""

    message = serializers.CharField()
    extra = ThrottledErrorExtraSerializer()


# Status code -> body serializer, for `@extend_schema(responses=...)` and schema hooks.
ERROR_RESPONSES: dict[int, type[serializers.Serializer]] = {
    400: ValidationErrorSerializer,
    401: ErrorSerializer,
    403: ErrorSerializer,
    404: ErrorSerializer,
    405: ErrorSerializer,
    406: ErrorSerializer,
    409: ErrorSerializer,
    415: ErrorSerializer,
    429: ThrottledErrorSerializer,
}
