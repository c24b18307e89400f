"""The OpenAPI schema at /api/v1/schema/ is valid, warning-free and documents what the API answers."""

from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator(api_version="v1").get_schema(request=None, public=True)


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_the_schema_validates_without_a_single_warning(tmp_path: Any) -> None:
    """`manage.py spectacular --validate --fail-on-warn` passes: no name clash (two `Reason`
    components were one), no unresolvable field, and the result is valid OpenAPI 3."""
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


@pytest.mark.django_db
def test_the_schema_is_served_to_everyone() -> None:
    response = Client().get("/api/v1/schema/")
    assert response.status_code == 200
    assert b"openapi: 3" in response.content


def test_the_two_reason_bodies_are_distinct_components(schema: dict[str, Any]) -> None:
    """Comments (report, hide) and entries (disqualify, recusal) each have their own reason body."""
    components = schema["components"]["schemas"]
    assert "CommentReason" in components
    assert "EntryReason" in components
    assert "Reason" not in components


@pytest.mark.parametrize(
    ("path", "component"),
    [
        ("/api/v1/blueprints/", "PaginatedBlueprintListList"),
        ("/api/v1/challenges/", "PaginatedChallengeList"),
        ("/api/v1/challenges/{id}/transitions/", "PaginatedChallengeTransitionList"),
        ("/api/v1/entries/", "PaginatedEntryList"),
        ("/api/v1/members/", "PaginatedPublicMemberList"),
        ("/api/v1/notifications/", "PaginatedNotificationList"),
        ("/api/v1/payments/batches/", "PaginatedBatchList"),
        ("/api/v1/payments/payouts/", "PaginatedPayoutList"),
        ("/api/v1/payments/receipts/", "PaginatedReceiptList"),
        ("/api/v1/transitions/", "PaginatedPhaseTransitionList"),
    ],
)
def test_paginated_lists_are_documented_with_their_envelope(schema: dict[str, Any], path: str, component: str) -> None:
    """A paginated list answers `{count, next, previous, results}` with `?page=`, or, for lists that
    grow (core.pagination.KeysetPagination), `{next, previous, results}` with `?cursor=`; never a bare array."""
    operation = schema["paths"][path]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": f"#/components/schemas/{component}"
    }
    envelope = schema["components"]["schemas"][component]
    parameters = {parameter["name"] for parameter in operation.get("parameters", [])}
    if "cursor" in parameters:
        assert set(envelope["properties"]) == {"next", "previous", "results"}
    else:
        assert set(envelope["properties"]) == {"count", "next", "previous", "results"}
        assert "page" in parameters


def test_every_operation_documents_the_error_contract(schema: dict[str, Any]) -> None:
    """400 (field errors), 401 and 429 (with Retry-After) everywhere; 404 wherever objects are named;
    403 and 409 on every write."""
    missing = []
    for method, path, operation in _operations(schema):
        responses = operation["responses"]
        expected = {"400": "ValidationError", "401": "Error", "429": "ThrottledError"}
        if "{" in path or method != "GET":
            expected["404"] = "Error"
        if method != "GET":
            expected |= {"403": "Error", "409": "Error"}
        for code, component in expected.items():
            content = responses.get(code, {}).get("content", {}).get("application/json", {})
            if content.get("schema") != {"$ref": f"#/components/schemas/{component}"}:
                missing.append(f"{method} {path}: {code}")
        if "Retry-After" not in responses.get("429", {}).get("headers", {}):
            missing.append(f"{method} {path}: Retry-After")
    assert not missing


def test_reads_of_public_objects_do_not_promise_a_403(schema: dict[str, Any]) -> None:
    """What one may not see is a 404 (its existence stays private), never a 403."""
    assert "403" not in schema["paths"]["/api/v1/challenges/{id}/"]["get"]["responses"]
    assert "403" not in schema["paths"]["/api/v1/entries/{id}/"]["get"]["responses"]
    assert "403" in schema["paths"]["/api/v1/phases/{id}/ranking/"]["get"]["responses"]


def test_error_bodies_are_the_contracts_components(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    assert set(components["Error"]["required"]) == {"message", "extra"}
    assert components["ValidationError"]["properties"]["extra"] == {"$ref": "#/components/schemas/ValidationErrorExtra"}
    assert "fields" in components["ValidationErrorExtra"]["properties"]


@pytest.mark.parametrize(
    ("method", "path", "status", "component"),
    [
        ("delete", "/api/v1/entries/{id}/vote/", "200", "Entry"),
        ("post", "/api/v1/entries/{id}/recusal/", "204", None),
        ("get", "/api/v1/phases/{id}/ranking/", "200", "PaginatedRankingRowList"),
        ("get", "/api/v1/phases/{id}/judging-progress/", "200", "JudgeProgress"),
        ("post", "/api/v1/notifications/read/", "200", "NotificationsMarkedRead"),
        ("post", "/api/v1/comments/{id}/report/", "201", "CommentReported"),
        ("get", "/api/v1/challenges/{id}/judges/", "200", "PaginatedJudgeListItemList"),
    ],
)
def test_success_responses_are_the_ones_the_views_send(
    schema: dict[str, Any], method: str, path: str, status: str, component: str | None
) -> None:
    """Each of these answered with a status or body its schema did not have (found by the fuzz)."""
    response = schema["paths"][path][method]["responses"][status]
    if component is None:
        assert "content" not in response
        return
    documented = response["content"]["application/json"]["schema"]
    assert f"#/components/schemas/{component}" in (documented.get("$ref"), documented.get("items", {}).get("$ref"))


def test_read_only_fields_keep_what_their_model_field_allows(schema: dict[str, Any]) -> None:
    """A read-only choice of a blank-able model field lists "" (DRF drops `allow_blank` from read-only
    fields), a nullable relation is nullable, a member without a country has `country: null`."""
    components = schema["components"]["schemas"]
    climate = components["Challenge"]["properties"]["climate"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in climate["oneOf"]
    assert components["JudgeAssignment"]["properties"]["judge"].get("nullable") is True
    assert components["PublicMember"]["properties"]["country"]["nullable"] is True


@pytest.mark.django_db
def test_a_member_without_a_country_is_listed_with_country_null() -> None:
    """The directory sent `"country": ""` where its schema promised an object (found by the fuzz)."""
    from community.services import user_create

    user_create(email="nowhere@example.com", password="a-Long-and-unusual-pw-2026", display_name="Nowhere")
    rows = Client().get("/api/v1/members/").json()["results"]
    assert [row["country"] for row in rows if row["name"] == "Nowhere"] == [None]
