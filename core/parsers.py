"""The API's JSON parser: DRF's, refusing strings no text column can hold.

JSON may spell a NUL (`"\\u0000"`) or a lone surrogate (`"\\ud800"`) inside any string, key or value;
Python decodes both, and they fail only when PostgreSQL (or the UTF-8 encoder) meets them, as a 500.
Refused here with a 400 naming where they were. Invalid UTF-8 is already a parse error in DRF's parser.
"""

import re
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# `core.api.NON_FIELD_ERRORS`; not imported, since DRF loads this module while core.api imports DRF's views.
NON_FIELD_ERRORS = "non_field_errors"


def unstorable_path(data: object, path: str = "") -> str | None:
    """The dotted path of the first string (key or value) with a NUL or a lone surrogate, or None."""
    if isinstance(data, str):
        return (path or NON_FIELD_ERRORS) if _UNSTORABLE.search(data) else None
    if isinstance(data, Mapping):
        for key, value in data.items():
            inner = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and _UNSTORABLE.search(key):
                return path or NON_FIELD_ERRORS
            found = unstorable_path(value, inner)
            if found:
                return found
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found = unstorable_path(value, f"{path}.{index}" if path else str(index))
            if found:
                return found
    return None


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        where = unstorable_path(data)
        if where is not None:
            raise exceptions.ValidationError(
                {where: [_("NUL characters and unpaired surrogates (U+0000, U+D800 to U+DFFF) are not allowed.")]}
            )
        return data
