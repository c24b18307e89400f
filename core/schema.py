"""The OpenAPI schema's view of every operation: its own responses plus the errors it can give.

`AutoSchema` (the project's `DEFAULT_SCHEMA_CLASS`) adds the error contract of `core.api` to every
operation, by rule rather than by hand per view:

- 400 `ValidationError` everywhere: a malformed request (bad JSON, NUL bytes, invalid text in the
  path, query, headers or body) is refused by any operation, and bodies and filters are checked;
- 401 `Error` everywhere: a wrong, expired or revoked token, or an account that may not sign in,
  is refused by any operation, public ones included;
- 403 `Error` on every write and on reads that need a role (reads of public objects answer 404
  for what one may not see, never 403);
- 404 `Error` on operations that name objects (path parameters, required query parameters, ids in
  the body of writes) and on paginated lists (a page past the end);
- 409 `Error` on every write: the object's state may forbid the move;
- 429 `ThrottledError` with a `Retry-After` header everywhere.

A view that documents one of these codes itself (`@extend_schema(responses={...})`) keeps its own.

Fields of a `ModelSerializer` are documented as their model field allows, also when they are read-only
(DRF drops `allow_blank`, and `allow_null` of non-editable fields, from read-only fields): a nullable
model field is nullable, and a blank-able choice lists `""` among its values.

Lists that a view paginates by hand are documented with the paginator's envelope when the view
names its `pagination_class` (`GenericAPIView`s have it from the settings already).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from drf_spectacular import openapi
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticatedOrReadOnly

from core.api import ERROR_RESPONSES

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Permission classes under which reading is open to everyone (refusals of reads are then 404s).
PUBLIC_READ_PERMISSIONS = (AllowAny, IsAuthenticatedOrReadOnly)
DESCRIPTIONS = {
    400: "Invalid input: messages per field under `extra.fields`.",
    401: "Not signed in, or the credentials are wrong, expired or belong to an account that may not sign in.",
    403: "Signed in, but not allowed to do this to this object.",
    404: "Not found, or not visible to the caller.",
    409: "The object's state forbids this move now.",
    429: "Too many requests: wait `Retry-After` seconds.",
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before trying again."}}


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation["responses"]
        for code in self.error_codes(operation):
            if str(code) in responses:
                continue
            response = self._get_response_for_code(ERROR_RESPONSES[code], str(code))
            response["description"] = DESCRIPTIONS[code]
            if code == 429:
                response["headers"] = {**response.get("headers", {}), **RETRY_AFTER}
            responses[str(code)] = response
        return operation

    def error_codes(self, operation: dict[str, Any]) -> list[int]:
        """The error statuses this operation can answer with (see the module docstring)."""
        codes = [400, 401]
        if self.method in WRITE_METHODS or not self._reads_are_public():
            codes.append(403)
        if self.method in WRITE_METHODS or self._names_objects(operation) or self._get_paginator():
            codes.append(404)
        if self.method in WRITE_METHODS:
            codes.append(409)
        codes.append(429)
        return codes

    def _reads_are_public(self) -> bool:
        permissions = getattr(self.view, "permission_classes", ())
        return all(isinstance(permission, type) and issubclass(permission, PUBLIC_READ_PERMISSIONS)
                   for permission in permissions)  # fmt: skip

    @staticmethod
    def _names_objects(operation: dict[str, Any]) -> bool:
        """Path parameters and required query parameters name objects (which may be invisible)."""
        return any(
            parameter["in"] == "path" or (parameter["in"] == "query" and parameter.get("required"))
            for parameter in operation.get("parameters", ())
        )

    def _get_paginator(self) -> Any:
        # `APIView`s that paginate by hand name their `pagination_class`; the others have none.
        pagination_class = getattr(self.view, "pagination_class", None)
        return pagination_class() if pagination_class else None

    def _map_serializer_field(self, field: Any, direction: Any, bypass_extensions: bool = False) -> Any:
        model_field = _model_field_of(field)
        if model_field is not None:
            if model_field.null:
                field.allow_null = True
            is_text = isinstance(model_field, models.CharField | models.TextField)
            if isinstance(field, serializers.ChoiceField) and model_field.blank and is_text:
                field.allow_blank = True
        return super()._map_serializer_field(field, direction, bypass_extensions)


def _model_field_of(field: Any) -> models.Field[Any, Any] | None:
    """The model field a `ModelSerializer` field reads directly (not through a relation or a method)."""
    parent = getattr(field, "parent", None)
    source = getattr(field, "source", None)
    if not isinstance(parent, serializers.ModelSerializer) or not source or "." in source or source == "*":
        return None
    if isinstance(field, serializers.SerializerMethodField | serializers.ReadOnlyField):
        return None
    try:
        model_field = getattr(parent.Meta, "model")._meta.get_field(source)  # noqa: B009 - untyped Meta
    except FieldDoesNotExist:
        return None
    return model_field if isinstance(model_field, models.Field) else None
