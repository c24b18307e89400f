"""The REST API: every endpoint for anonymous visitors, members, the owner and staff; query counts."""

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import TestCase
from rest_framework.test import APIClient

from blueprints import services
from blueprints.models import Blueprint, File, FileStatus
from blueprints.tests import samples
from blueprints.tests.conftest import draft_of, make_published, ready_file, send_like_a_browser

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "member", "owner", "staff")


@dataclass
class World:
    published: Blueprint
    unpublished: Blueprint
    draft_file: File
    published_file: File
    clients: dict[str, APIClient]


@pytest.fixture
def world(owner: Any, other: Any, staff: Any) -> World:
    published = make_published(owner, "Roof rack", files=2, tags=["roof"])
    services.revision_create(blueprint=published, user=owner)  # draft revision 2
    unpublished = services.blueprint_create(owner=owner, title="Secret sketch")
    draft_file, _ticket = services.upload_start(
        revision=draft_of(unpublished), user=owner, name="body.png", size=100, content_type="image/png"
    )
    clients = {"anonymous": APIClient()}
    for role, user in (("member", other), ("owner", owner), ("staff", staff)):
        clients[role] = APIClient()
        clients[role].force_authenticate(user)
    assert published.latest_revision is not None
    published_file = published.latest_revision.files.get(original_name="part-0.stl")
    return World(published, unpublished, draft_file, published_file, clients)


def _call(world: World, role: str, method: str, path: str, data: Any = None) -> Any:
    path = path.format(
        slug=world.published.slug,
        draft=world.unpublished.slug,
        file=world.published_file.pk,
        draft_file=world.draft_file.pk,
        r1=world.published.latest_revision_id,
        r2=world.published.revisions.get(number=2).pk,
    )
    client = world.clients[role]
    with TestCase.captureOnCommitCallbacks(execute=False):
        return getattr(client, method)(path, data, format="json")


# (method, path, body, expected status for anonymous (401: not signed in), member, owner, staff);
# 403 not allowed, 409 the state forbids it (a published revision, a file not ready), 400 bad input.
ENDPOINTS = [
    ("get", "/api/v1/blueprints/", None, (200, 200, 200, 200)),
    ("post", "/api/v1/blueprints/", {"title": "New"}, (401, 201, 201, 201)),
    ("get", "/api/v1/blueprints/{slug}/", None, (200, 200, 200, 200)),
    ("get", "/api/v1/blueprints/{draft}/", None, (404, 404, 200, 200)),
    ("patch", "/api/v1/blueprints/{slug}/", {"title": "Renamed"}, (401, 403, 200, 403)),
    ("delete", "/api/v1/blueprints/{slug}/", None, (401, 403, 403, 204)),
    ("post", "/api/v1/blueprints/{slug}/fork/", {}, (401, 201, 201, 201)),
    ("post", "/api/v1/blueprints/{draft}/fork/", {}, (401, 404, 409, 409)),
    ("get", "/api/v1/blueprints/{slug}/lineage/", None, (200, 200, 200, 200)),
    ("get", "/api/v1/blueprints/{slug}/revisions/", None, (200, 200, 200, 200)),
    ("post", "/api/v1/blueprints/{slug}/revisions/", None, (401, 403, 409, 403)),  # owner: a draft exists
    ("get", "/api/v1/blueprints/{slug}/revisions/1/", None, (200, 200, 200, 200)),
    ("get", "/api/v1/blueprints/{slug}/revisions/2/", None, (404, 404, 200, 200)),
    ("patch", "/api/v1/blueprints/{slug}/revisions/2/", {"change_notes": "x"}, (401, 404, 200, 403)),
    ("patch", "/api/v1/blueprints/{slug}/revisions/1/", {"change_notes": "x"}, (401, 403, 409, 403)),
    ("post", "/api/v1/blueprints/{slug}/revisions/2/publish/", {}, (401, 404, 409, 403)),  # same files
    ("delete", "/api/v1/blueprints/{slug}/revisions/1/", None, (401, 403, 403, 204)),
    ("delete", "/api/v1/blueprints/{slug}/revisions/2/", None, (401, 404, 204, 403)),
    ("post", "/api/v1/blueprints/{slug}/revisions/2/uploads/", {"name": "a.png", "size": 10}, (401, 404, 201, 403)),
    ("post", "/api/v1/blueprints/{slug}/revisions/1/uploads/", {"name": "a.png", "size": 10}, (401, 403, 409, 403)),
    ("get", "/api/v1/blueprints/files/{file}/", None, (200, 200, 200, 200)),
    ("get", "/api/v1/blueprints/files/{draft_file}/", None, (404, 404, 200, 200)),
    ("delete", "/api/v1/blueprints/files/{draft_file}/", None, (401, 404, 204, 403)),
    ("delete", "/api/v1/blueprints/files/{file}/", None, (401, 403, 409, 403)),
    ("get", "/api/v1/blueprints/files/{draft_file}/upload/", None, (401, 404, 200, 403)),
    ("post", "/api/v1/blueprints/files/{draft_file}/complete/", None, (401, 404, 409, 403)),  # nothing uploaded
    ("get", "/api/v1/blueprints/files/{file}/download/", None, (401, 302, 302, 302)),
    ("get", "/api/v1/blueprints/files/{draft_file}/download/", None, (401, 404, 409, 409)),  # not ready
    ("get", "/api/v1/blueprints/compare/{r1}/{r2}/", None, (404, 404, 200, 200)),  # r2 is a draft
    ("get", "/api/v1/blueprints/compare/{r1}/{r1}/", None, (200, 200, 200, 200)),
]


@pytest.mark.parametrize(("method", "path", "data", "expected"), ENDPOINTS, ids=[f"{e[0]} {e[1]}" for e in ENDPOINTS])
@pytest.mark.parametrize("role", ROLES)
def test_every_endpoint_checks_who_may_use_it(world, role, method, path, data, expected):
    response = _call(world, role, method, path, data)

    assert response.status_code == expected[ROLES.index(role)], getattr(response, "data", response)


def test_errors_have_the_shared_shape(world):
    response = _call(world, "owner", "post", "/api/v1/blueprints/{slug}/revisions/1/uploads/", {"name": "x.exe"})

    assert response.status_code == 400
    assert response.json()["message"] == "Validation error"
    assert "size" in response.json()["extra"]["fields"]


def test_an_upload_slot_through_the_api_then_the_bytes_then_complete(world, owner):
    data = samples.png()
    client = world.clients["owner"]
    with TestCase.captureOnCommitCallbacks(execute=False):
        slot = client.post(
            f"/api/v1/blueprints/{world.published.slug}/revisions/2/uploads/",
            {"name": "sketch.png", "size": len(data), "content_type": "image/png"},
            format="json",
        )
    assert slot.status_code == 201
    body = slot.json()
    assert body["file"]["status"] == "pending"
    assert body["upload"]["method"] == "post"

    assert send_like_a_browser(body["upload"], data).status_code == 204
    with TestCase.captureOnCommitCallbacks(execute=False) as enqueued:
        done = client.post(f"/api/v1/blueprints/files/{body['file']['id']}/complete/", format="json")

    assert done.status_code == 200
    assert done.json()["upload_completed_at"]
    assert len(enqueued) == 1


def test_download_redirects_to_a_presigned_attachment_and_counts(world):
    response = _call(world, "member", "get", "/api/v1/blueprints/files/{file}/download/")

    assert response.status_code == 302
    assert "response-content-disposition=attachment" in response["Location"]
    world.published.refresh_from_db()
    assert world.published.download_count == 1


def test_the_search_api_filters_sorts_and_pages(owner, other):
    make_published(owner, "Aluminium wheel rim", category="wheels_tyres", tags=["wheel"])
    make_published(other, "Carbon wheel cover", category="body_side", licence="CC0-1.0")
    response = APIClient().get("/api/v1/blueprints/", {"q": "wheel", "licence": "CC0-1.0"})

    assert response.status_code == 200
    assert [item["title"] for item in response.json()["results"]] == ["Carbon wheel cover"]
    assert response.json()["next"] is None


def test_the_api_schema_describes_blueprints(client):
    schema = client.get("/api/v1/schema/?format=json").json()

    assert "/api/v1/blueprints/{slug}/revisions/{number}/uploads/" in schema["paths"]
    assert "/api/v1/blueprints/files/{id}/complete/" in schema["paths"] or (
        "/api/v1/blueprints/files/{pk}/complete/" in schema["paths"]
    )


# --- Query counts ------------------------------------------------------------------------------
# A failure here means a change added queries per row: justify it or fetch in bulk.


@pytest.mark.parametrize("rows", [2, 12])
def test_the_list_api_costs_the_same_queries_for_any_number_of_rows(owner, rows, django_assert_num_queries):
    for number in range(rows):
        make_published(owner, f"Panel {number}", files=2)
    client = APIClient()
    client.force_authenticate(owner)

    with django_assert_num_queries(1):  # the page (keyset: no count)
        response = client.get("/api/v1/blueprints/")

    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("files", [1, 9])
def test_the_detail_and_revision_apis_cost_the_same_for_any_number_of_files(owner, other, files,
                                                                             django_assert_num_queries):  # fmt: skip
    blueprint = make_published(owner, "Panel", files=files)
    for number in range(3):
        ready_file(draft_of(services.blueprint_fork(blueprint=blueprint, user=other)), f"x{number}.stl")
    client = APIClient()
    client.force_authenticate(other)

    with django_assert_num_queries(2):  # the blueprint, its revisions
        client.get(f"/api/v1/blueprints/{blueprint.slug}/")
    with django_assert_num_queries(3):  # the blueprint, the revision, its files
        client.get(f"/api/v1/blueprints/{blueprint.slug}/revisions/1/")
    with django_assert_num_queries(3):  # the blueprint, the revisions, their files
        client.get(f"/api/v1/blueprints/{blueprint.slug}/revisions/")
    assert File.objects.filter(revision__blueprint=blueprint, status=FileStatus.READY).count() == files
