"""The API's error contract (`core.api`): one body `{"message", "extra"}` and one status per kind of
refusal, the same in every app: 400 invalid input (messages under `extra.fields`), 401 not signed in
(with `WWW-Authenticate`), 403 not allowed, 404 not found or not visible, 409 state conflict."""

from typing import Any

import pytest
from django.test import Client

from blueprints.services import blueprint_create
from challenges.models import Challenge
from challenges.tests.factories import add_phase, make_challenge, publish
from core.api import exception_handler
from core.exceptions import ApplicationError, Conflict, NotAllowed
from core.tests.clients import as_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(owner: Any) -> Challenge:
    challenge = make_challenge(owner)
    add_phase(challenge)
    return challenge


def put_json(client: Client, url: str, body: object) -> Any:
    return client.put(url, body, content_type="application/json")


def assert_contract(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"message", "extra"}, body
    assert isinstance(body["message"], str)
    assert body["message"]
    assert isinstance(body["extra"], dict)
    if status == 400:
        fields = body["extra"]["fields"]
        assert fields
        assert all(isinstance(m, str) for messages in fields.values() for m in messages), fields
    return body


# --- The shape, whatever raised the error ------------------------------------------------------


def test_a_service_refusal_with_field_messages_puts_them_under_extra_fields() -> None:
    response = exception_handler(ApplicationError("Too much.", {"budget": ["Too large."]}), {})
    assert response is not None
    assert (response.status_code, response.data) == (
        400,
        {"message": "Too much.", "extra": {"fields": {"budget": ["Too large."]}}},
    )


def test_a_service_refusal_about_no_field_is_a_non_field_error() -> None:
    response = exception_handler(ApplicationError("Add a phase first."), {})
    assert response is not None
    assert response.data == {
        "message": "Add a phase first.",
        "extra": {"fields": {"non_field_errors": ["Add a phase first."]}},
    }


def test_details_for_programs_stay_next_to_the_fields() -> None:
    refusal = ApplicationError("You have used all 3 entries.", {"eligibility": ["..."], "codes": ["limit"]})
    response = exception_handler(refusal, {})
    assert response is not None
    assert response.data["extra"]["codes"] == ["limit"]
    assert response.data["extra"]["fields"] == {"non_field_errors": ["You have used all 3 entries."]}


def test_not_allowed_is_403_and_conflict_is_409() -> None:
    forbidden = exception_handler(NotAllowed("Only the owner may."), {})
    conflict = exception_handler(Conflict("Already awarded."), {})
    assert forbidden is not None
    assert conflict is not None
    assert (forbidden.status_code, forbidden.data) == (403, {"message": "Only the owner may.", "extra": {}})
    assert (conflict.status_code, conflict.data) == (409, {"message": "Already awarded.", "extra": {}})


def test_a_conflict_about_fields_names_them_under_extra_fields_too() -> None:
    response = exception_handler(Conflict("The phase is open.", {"opens_at": ["No longer editable."]}), {})
    assert response is not None
    assert (response.status_code, response.data["extra"]) == (409, {"fields": {"opens_at": ["No longer editable."]}})


def test_serializer_errors_are_400_with_field_messages(owner: Any) -> None:
    response = as_member(owner).post("/api/v1/challenges/", {"title": "Bus"}, content_type="application/json")
    body = assert_contract(response, 400)
    assert {"summary", "vehicle_type", "budget"} <= set(body["extra"]["fields"])


def test_nested_field_errors_are_named_by_their_path(owner: Any, draft: Challenge) -> None:
    response = as_member(owner).post(
        f"/api/v1/challenges/{draft.pk}/phases/",
        {"kind": "concept", "title": "Concept", "opens_at": "2031-01-01T10:00:00Z",
         "closes_at": "2031-02-01T10:00:00Z", "judging_ends_at": "2031-02-15T10:00:00Z",
         "criteria": [{"name": "Looks", "weight": 1}, {"name": "Cold start", "weight": "heavy"}]},
        content_type="application/json",
    )  # fmt: skip
    body = assert_contract(response, 400)
    assert list(body["extra"]["fields"]) == ["criteria.1.weight"]


def test_a_body_that_is_not_json_is_a_400_of_the_same_shape(owner: Any) -> None:
    response = as_member(owner).post("/api/v1/challenges/", b'{"title": ', content_type="application/json")
    body = assert_contract(response, 400)
    assert list(body["extra"]["fields"]) == ["non_field_errors"]


# --- Who is asking ------------------------------------------------------------------------------


def test_not_signed_in_is_401_with_www_authenticate() -> None:
    """An anonymous write: DRF said 403 (its first authentication class named no scheme)."""
    response = Client().post("/api/v1/challenges/", {"title": "Bus"}, content_type="application/json")
    assert_contract(response, 401)
    assert response.headers["WWW-Authenticate"]


def test_a_non_owner_changing_a_challenge_is_refused_with_403_in_every_app(
    owner: Any, stranger: Any, staff: Any
) -> None:
    """Challenges answered 400 for "Only the owner ... may change it" while blueprints answered 403."""
    challenge = publish(add_phase(make_challenge(owner)).challenge, staff=staff)
    blueprint = blueprint_create(owner=owner, title="Bus body")
    client = as_member(stranger)

    challenge_move = client.post(
        f"/api/v1/challenges/{challenge.pk}/transitions/", {"to": "cancelled"}, content_type="application/json"
    )
    rules = put_json(
        client,
        f"/api/v1/challenges/{challenge.pk}/judging-rules/",
        {"lineage_share_percent": 10, "lineage_generations": 1, "awarded_by": "judges"},
    )
    blueprint_edit = client.patch(
        f"/api/v1/blueprints/{blueprint.slug}/", {"title": "Mine now"}, content_type="application/json"
    )

    for response in (challenge_move, rules, blueprint_edit):
        assert response.status_code in (403, 404), response.content
        assert_contract(response, response.status_code)
    assert challenge_move.status_code == rules.status_code == 403


def test_a_move_the_state_table_forbids_is_409(owner: Any, draft: Challenge) -> None:
    response = as_member(owner).post(
        f"/api/v1/challenges/{draft.pk}/transitions/", {"to": "completed"}, content_type="application/json"
    )
    assert_contract(response, 409)


def test_judging_rules_of_a_published_challenge_are_a_conflict(owner: Any, staff: Any) -> None:
    challenge = publish(add_phase(make_challenge(owner)).challenge, staff=staff)
    response = put_json(
        as_member(owner),
        f"/api/v1/challenges/{challenge.pk}/judging-rules/",
        {"lineage_share_percent": 10, "lineage_generations": 1, "awarded_by": "judges"},
    )
    assert_contract(response, 409)


def test_what_one_may_not_see_is_404() -> None:
    assert_contract(Client().get("/api/v1/challenges/999999/"), 404)


# --- Finding 4: a partial PUT of the judging rules was a 500 ------------------------------------


@pytest.mark.parametrize("body", [{}, {"lineage_share_percent": 10}, {"awarded_by": "judges"}])
def test_a_partial_put_of_the_challenges_judging_rules_is_400_with_the_missing_fields(
    owner: Any, draft: Challenge, body: dict[str, Any]
) -> None:
    """Attack: PUT half the rules. Was a TypeError (500): the serializer let missing fields through
    (the model has defaults) and the service was called without them."""
    response = put_json(as_member(owner), f"/api/v1/challenges/{draft.pk}/judging-rules/", body)
    fields = assert_contract(response, 400)["extra"]["fields"]
    assert set(fields) == {"lineage_share_percent", "lineage_generations", "awarded_by"} - set(body)


@pytest.mark.parametrize("body", [{}, {"shortlist_size": 5}, {"vote_share_percent": 10}])
def test_a_partial_put_of_a_phases_judging_rules_is_400_with_the_missing_fields(
    owner: Any, draft: Challenge, body: dict[str, Any]
) -> None:
    """Attack: the phase variant of the partial PUT (was a TypeError, 500)."""
    phase = draft.phases.get()
    response = put_json(as_member(owner), f"/api/v1/phases/{phase.pk}/judging-rules/", body)
    fields = assert_contract(response, 400)["extra"]["fields"]
    assert set(fields) == {"vote_share_percent", "shortlist_size"} - set(body)


@pytest.mark.parametrize("body", [{}, {"lineage_share_percent": 10}, [], "rules", {"awarded_by": "\x00"}])
def test_a_non_owner_is_refused_the_judging_rules_whatever_the_body(
    stranger: Any, owner: Any, staff: Any, body: object
) -> None:
    """Attack: a member who is not the owner PUTs rules, complete or not. The permission is checked
    before the body is read, so the answer is the same 403 (the challenge is public) for every body."""
    challenge = publish(add_phase(make_challenge(owner)).challenge, staff=staff)
    phase = challenge.phases.get()
    client = as_member(stranger)
    for url in (f"/api/v1/challenges/{challenge.pk}/judging-rules/", f"/api/v1/phases/{phase.pk}/judging-rules/"):
        assert_contract(put_json(client, url, body), 403)


def test_a_draft_stays_invisible_to_a_non_owner_putting_its_rules(stranger: Any, draft: Challenge) -> None:
    response = put_json(as_member(stranger), f"/api/v1/challenges/{draft.pk}/judging-rules/", {})
    assert_contract(response, 404)


def test_the_owner_still_sets_the_complete_rules(owner: Any, draft: Challenge) -> None:
    response = put_json(
        as_member(owner),
        f"/api/v1/challenges/{draft.pk}/judging-rules/",
        {"lineage_share_percent": 15, "lineage_generations": 2, "awarded_by": "both"},
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"lineage_share_percent": 15, "lineage_generations": 2, "awarded_by": "both"}


# --- The schema's components ------------------------------------------------------------------


def test_the_error_bodies_are_named_components_of_the_schema() -> None:
    from drf_spectacular.generators import SchemaGenerator

    from core.api import ErrorSerializer, ValidationErrorSerializer

    generator = SchemaGenerator()
    schema = generator.get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    assert {"Error", "ValidationError"} <= set(components), "error components: see core.api"
    assert set(components["Error"]["properties"]) == set(ErrorSerializer().fields) == {"message", "extra"}
    assert set(ValidationErrorSerializer().fields) == {"message", "extra"}


@pytest.mark.django_db
def test_an_api_url_that_matches_no_route_is_a_404_in_the_contract_shape(client):
    """Found by the fuzzer: `/api/v1/payments/batches/-1/file/` matched no route and got Django's HTML page."""
    response = client.get("/api/v1/payments/batches/-1/file/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"message": "Not found.", "extra": {}}
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


# --- Found by the page benchmark: an unexpected failure under /api/ answered Django's HTML page ---


def test_an_unexpected_failure_under_the_api_is_the_contracts_500() -> None:
    import json

    from django.test import RequestFactory

    from core.views import server_error

    response = server_error(RequestFactory().get("/api/v1/challenges/"))
    assert response.status_code == 500
    body = json.loads(response.content)
    assert set(body) == {"message", "extra"}
    assert body["message"]
    assert body["extra"] == {}


def test_an_unexpected_failure_on_a_page_is_the_sites_500_page() -> None:
    from django.test import RequestFactory

    from core.views import server_error

    response = server_error(RequestFactory().get("/challenges/"))
    assert response.status_code == 500
    assert not response["Content-Type"].startswith("application/json")
