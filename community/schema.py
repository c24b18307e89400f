"""How the OpenAPI schema describes the API's ways in (imported from `CommunityConfig.ready`)."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema  # imported with the URL conf, after every app is ready


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "community.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "cw_<prefix>_<secret>",
            "description": (
                "A personal API token, created on the member's settings page or with `POST /api/v1/tokens/`. "
                "Read tokens may only use GET, HEAD and OPTIONS."
            ),
        }


class ConfirmedSessionScheme(OpenApiAuthenticationExtension):
    target_class = "community.authentication.ConfirmedSessionAuthentication"
    name = "cookieAuth"
    match_subclasses = True
    priority = 1

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "The browser's session; unsafe methods also need the CSRF token (`X-CSRFToken`).",
        }
