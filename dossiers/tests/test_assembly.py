"""The assembled vehicle: who may place a part, what numbers are accepted, the default layout, the
rendered still (real meshes from S3, rendered and stored again only when the placements change) and
what the page gets for the scene (no query, signed mesh URLs only for members)."""

import hashlib
import io
import json
import math
import urllib.request
from typing import Any

import numpy as np
import pytest
from django.http import Http404
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from PIL import Image

from blueprints import storage
from core.exceptions import ApplicationError, NotAllowed
from dossiers import assembly
from dossiers.assembly import (
    ALTERNATIVE_SPACING,
    KIND_SPOTS,
    default_placement,
    effective_placements,
    page_context,
    placed_triangles,
    placement_rows,
    placement_set,
    placements_in_view,
    rotation_matrix,
    still_digest,
    still_key,
    still_render,
    transform_clean,
)
from dossiers.models import DossierVersion, PartPlacement
from dossiers.selectors import dossier_view
from dossiers.signals import version_recorded
from dossiers.snapshot import Placement
from dossiers.tests.factories import DossierScenario, completed_challenge_with_dossier

GOOD = {"position": [1.5, -0.25, 0.5], "rotation": [0, 90, -45], "scale": 2}


def small_scenario(**kwargs: Any) -> DossierScenario:
    kwargs.setdefault("phases", ("concept", "front", "wheels_tyres"))
    kwargs.setdefault("entries_per_phase", 1)
    return completed_challenge_with_dossier(**kwargs)


def latest_view(scenario: DossierScenario) -> Any:
    return dossier_view(user=None, slug=scenario.slug)


def part_of_phase(view: Any, kind: str) -> Any:
    return next(part for section in view.phases if section.kind == kind for part in section.parts)


# --- The default layout and the numbers (no database) --------------------------------------------


def test_the_default_layout_puts_each_kind_of_part_where_it_belongs_on_a_vehicle():
    assert default_placement(kind="concept", index=0) == Placement()
    front = default_placement(kind="front", index=0).position
    rear = default_placement(kind="rear", index=0).position
    assert front[0] > 0 > rear[0], "the front is ahead of the body, the rear behind it"
    assert default_placement(kind="side", index=0).position[1] != 0, "a side panel sits on a flank"
    assert (
        default_placement(kind="drivetrain", index=0).position[2]
        < default_placement(kind="interior", index=0).position[2]
    )
    assert set(KIND_SPOTS) >= {"concept", "front", "rear", "side", "wheels_tyres", "interior", "drivetrain"}


def test_later_ranked_parts_of_a_phase_stand_beside_the_vehicle_as_alternatives():
    first = default_placement(kind="front", index=0).position
    third = default_placement(kind="front", index=2).position

    assert third == (first[0], first[1] + 2 * ALTERNATIVE_SPACING, first[2])
    assert default_placement(kind="other", index=0).position != (0.0, 0.0, 0.0)


def test_a_clean_transform_is_numbers_within_their_limits():
    placement = transform_clean(position=["1,5", "-0", 100], rotation=[360, -360, "12.5"], scale="0.001")

    assert placement == Placement(position=(1.5, 0.0, 100.0), rotation=(360.0, -360.0, 12.5), scale=0.001)


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("position_x", {"position": [100.01, 0, 0]}),
        ("position_y", {"position": [0, float("nan"), 0]}),
        ("position_z", {"position": [0, 0, float("inf")]}),
        ("position_x", {"position": ["abc", 0, 0]}),
        ("position_x", {"position": [True, 0, 0]}),
        ("position", {"position": [1, 2]}),
        ("position", {"position": "1,2,3"}),
        ("rotation_y", {"rotation": [0, 360.5, 0]}),
        ("rotation_z", {"rotation": [0, 0, -720]}),
        ("scale", {"scale": 0}),
        ("scale", {"scale": -1}),
        ("scale", {"scale": 100.5}),
        ("scale", {"scale": "1e999"}),
        ("scale", {"scale": None}),
    ],
)
def test_a_bad_transform_is_refused_naming_the_field(field, changes):
    with pytest.raises(ApplicationError) as refused:
        transform_clean(**{**GOOD, **changes})

    assert field in refused.value.extra["fields"]


def test_rotations_compose_in_xyz_order_as_three_js_does():
    # three.js Euler (90°, 90°, 0°, "XYZ") turns x onto y: Ry takes x to -z, then Rx takes -z to y.
    turned = rotation_matrix((90, 90, 0)) @ np.array([1.0, 0.0, 0.0])

    assert np.allclose(turned, [0.0, 1.0, 0.0])
    assert np.allclose(rotation_matrix((0, 0, 90)) @ np.array([1.0, 0.0, 0.0]), [0.0, 1.0, 0.0])


def test_a_placement_scales_then_turns_then_moves_the_triangles():
    triangle = np.array([[[1, 0, 0], [0, 1, 0], [0, 0, 1]]], dtype=np.float32)

    moved = placed_triangles(triangle, Placement(position=(10, 0, 0), rotation=(0, 0, 90), scale=2))

    assert np.allclose(moved[0], [[10, 2, 0], [8, 0, 0], [10, 0, 2]])


# --- Placing parts ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_client_a_parts_author_and_staff_may_place_it_and_it_is_saved_in_that_version():
    scenario = small_scenario()
    view = latest_view(scenario)
    front = part_of_phase(view, "front")
    author = next(entry.lead_author for entry in scenario.entries[scenario.phases[1].pk])

    for user, x in ((scenario.owner, 1.0), (author, 2.0), (scenario.staff, 3.0)):
        row = placement_set(
            user=user, slug=scenario.slug, number=view.number, part_id=front.part_id, **{**GOOD, "position": [x, 0, 0]}
        )
        assert row.position == [x, 0.0, 0.0]
        assert row.updated_by == user
    assert PartPlacement.objects.filter(part_id=front.part_id).count() == 1
    again = dossier_view(user=None, slug=scenario.slug)
    assert part_of_phase(again, "front").placement == Placement(position=(3.0, 0, 0), rotation=(0, 90, -45), scale=2)


@pytest.mark.django_db
def test_anyone_else_may_not_place_a_part_and_nothing_changes():
    scenario = small_scenario(entries_per_phase=2)
    view = latest_view(scenario)
    front = part_of_phase(view, "front")  # ranked first: by the first entrant and the co-author
    second_entrant = scenario.entrants[1]  # the author of the front ranked second, not of this one

    for user in (scenario.outsider, scenario.judge, second_entrant):
        with pytest.raises(NotAllowed):
            placement_set(user=user, slug=scenario.slug, number=view.number, part_id=front.part_id, **GOOD)
    assert not PartPlacement.objects.exists()


@pytest.mark.django_db
def test_an_invisible_dossier_an_unknown_version_or_part_is_not_found():
    scenario = small_scenario(invite_only=True)
    view = dossier_view(user=scenario.owner, slug=scenario.slug)
    front = part_of_phase(view, "front")
    older = scenario.versions[0]
    older_part_ids = set(older.parts.values_list("pk", flat=True))

    with pytest.raises(Http404):
        placement_set(user=scenario.outsider, slug=scenario.slug, number=view.number, part_id=front.part_id, **GOOD)
    with pytest.raises(Http404):
        placement_set(user=scenario.owner, slug=scenario.slug, number=99, part_id=front.part_id, **GOOD)
    with pytest.raises(Http404):
        placement_set(user=scenario.owner, slug=scenario.slug, number=older.number, part_id=front.part_id, **GOOD)
    assert front.part_id not in older_part_ids
    assert not PartPlacement.objects.exists()


@pytest.mark.django_db
def test_bad_numbers_change_nothing(django_capture_on_commit_callbacks):
    scenario = small_scenario()
    view = latest_view(scenario)
    front = part_of_phase(view, "front")

    with django_capture_on_commit_callbacks(execute=False) as callbacks, pytest.raises(ApplicationError):
        placement_set(
            user=scenario.owner, slug=scenario.slug, number=view.number, part_id=front.part_id, **{**GOOD, "scale": 0}
        )

    assert not PartPlacement.objects.exists()
    assert not callbacks


@pytest.mark.django_db
def test_a_saved_placement_renders_the_still_again_once_committed(django_capture_on_commit_callbacks):
    scenario = small_scenario()
    view = latest_view(scenario)
    front = part_of_phase(view, "front")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        placement_set(user=scenario.owner, slug=scenario.slug, number=view.number, part_id=front.part_id, **GOOD)

    assert len(callbacks) == 1
    assert callbacks[0].__qualname__.startswith("placement_set")


@pytest.mark.django_db
def test_a_recorded_version_renders_its_still_once_committed(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        version_recorded.send(DossierVersion, version_id=123, challenge_id=456)

    assert [callback.__qualname__ for callback in callbacks] == ["on_version_recorded.<locals>.<lambda>"]


@pytest.mark.django_db
def test_parts_without_a_placement_row_take_the_default_layout():
    scenario = small_scenario()
    view = latest_view(scenario)
    front = part_of_phase(view, "front")
    placement_set(user=scenario.owner, slug=scenario.slug, number=view.number, part_id=front.part_id, **GOOD)

    placed = placement_rows(view.version_id)
    placements = effective_placements(latest_view(scenario), placed)

    assert set(placed) == {front.part_id}
    assert placements[front.part_id] == Placement(position=(1.5, -0.25, 0.5), rotation=(0, 90, -45), scale=2)
    wheels = part_of_phase(view, "wheels_tyres")
    assert placements[wheels.part_id] == default_placement(kind="wheels_tyres", index=0)
    assert placements_in_view(latest_view(scenario)) == {
        front.part_id: Placement(position=(1.5, -0.25, 0.5), rotation=(0, 90, -45), scale=2, is_set=True)
    }, "the page reads the same placements from the dossier view, without a query of its own"


# --- The still ---------------------------------------------------------------------------------------


def stored_png(key: str) -> Image.Image:
    return Image.open(io.BytesIO(b"".join(storage.object_chunks(key))))


@pytest.mark.django_db
def test_the_still_shows_every_mesh_in_place_and_is_rendered_once_per_placement():
    scenario = small_scenario()
    view = latest_view(scenario)

    still = still_render(version_id=view.version_id)

    assert still.rendered
    assert not still.left_out
    placements = effective_placements(view, {})
    assert still.digest == still_digest(view, placements)
    assert (
        still.key == still_key(view.version_id, still.digest) == f"dossiers/stills/{view.version_id}/{still.digest}.png"
    )
    version = DossierVersion.objects.get(pk=view.version_id)
    assert (version.still_key, version.still_digest) == (still.key, still.digest)
    assert stored_png(still.key).size == assembly.STILL_SIZE

    again = still_render(version_id=view.version_id)
    assert again == assembly.Still(still.key, still.digest, rendered=False)


@pytest.mark.django_db
def test_moving_a_part_gives_a_new_still_and_the_old_one_is_removed(django_capture_on_commit_callbacks):
    scenario = small_scenario()
    view = latest_view(scenario)
    first = still_render(version_id=view.version_id)
    front = part_of_phase(view, "front")
    placement_set(user=scenario.owner, slug=scenario.slug, number=view.number, part_id=front.part_id, **GOOD)

    with django_capture_on_commit_callbacks(execute=True):
        second = still_render(version_id=view.version_id)

    assert second.rendered
    assert second.digest != first.digest
    assert DossierVersion.objects.get(pk=view.version_id).still_key == second.key
    assert storage.object_size(first.key) is None
    assert storage.object_size(second.key)


@pytest.mark.django_db
def test_meshes_over_the_size_cap_are_left_out_of_the_still_and_the_page_says_so(monkeypatch):
    scenario = small_scenario(phases=("concept", "front"), file_size=4000)
    view = latest_view(scenario)
    meshes = [file for part in view.parts for file in part.files if file.is_mesh]
    monkeypatch.setattr(assembly, "STILL_MAX_MESH_BYTES", min(file.size for file in meshes) - 1)

    still = still_render(version_id=view.version_id)

    assert (still.key, still.rendered) == ("", False), "nothing left to draw"
    assert still.left_out == tuple(f"{file.name}: {file.size} bytes, too large for the still" for file in meshes)
    assert DossierVersion.objects.get(pk=view.version_id).still_key == ""
    context = page_context(request_of(None), dossier_view(user=None, slug=scenario.slug))
    assert context["left_out_of_still"] == [file.name for file in meshes]


@pytest.mark.django_db
def test_a_missing_mesh_does_not_stop_the_others_from_being_drawn():
    scenario = small_scenario(phases=("concept", "front"))
    view = latest_view(scenario)
    front_mesh = next(file for file in part_of_phase(view, "front").files if file.is_mesh)
    storage.object_delete(front_mesh.storage_key)

    still = still_render(version_id=view.version_id)

    assert still.rendered
    assert still.left_out == (f"{front_mesh.name}: missing from storage",)


@pytest.mark.django_db
def test_the_task_renders_the_still_and_ignores_a_version_that_is_gone():
    scenario = small_scenario(phases=("concept",))
    view = latest_view(scenario)

    key = assembly.render_still.run(view.version_id)

    assert key == DossierVersion.objects.get(pk=view.version_id).still_key
    assert assembly.render_still.run(10**9) == ""


# --- The page -------------------------------------------------------------------------------------


def request_of(user: Any) -> Any:
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = user or AnonymousUser()
    return request


@pytest.mark.django_db
def test_the_page_context_makes_no_query_and_signs_mesh_urls_only_for_members(django_assert_num_queries):
    scenario = small_scenario(phases=("concept", "front", "wheels_tyres", "drivetrain"), entries_per_phase=2)
    view = latest_view(scenario)
    still_render(version_id=view.version_id)
    view = latest_view(scenario)

    with django_assert_num_queries(0):
        anonymous = page_context(request_of(None), view)
    with django_assert_num_queries(0):
        member = page_context(request_of(scenario.outsider), view)

    assert len(anonymous["parts"]) == len(view.parts) == 8
    assert not anonymous["show_scene"]
    assert not any(part["meshes"] for part in anonymous["scene"]["parts"])
    assert anonymous["still_url"].startswith("http")
    assert view.still_key in anonymous["still_url"]
    assert member["show_scene"]
    assert not member["can_place"]
    mesh = member["scene"]["parts"][0]["meshes"][0]
    assert mesh["type"] == "stl"
    assert "X-Amz-Signature" in mesh["url"]
    with urllib.request.urlopen(mesh["url"]) as response:  # noqa: S310 - our own S3
        body = response.read()
    concept = part_of_phase(view, "concept")
    assert hashlib.sha256(body).hexdigest() == next(file.sha256 for file in concept.files if file.is_mesh)


@pytest.mark.django_db
def test_only_the_parts_a_member_may_place_get_a_form():
    scenario = small_scenario(phases=("concept", "front"), entries_per_phase=2)
    view = latest_view(scenario)
    author = scenario.entrants[1]  # of the entries ranked second in each phase

    by_author = page_context(request_of(author), view)
    by_owner = page_context(request_of(scenario.owner), view)

    assert [(part["kind"], part["rank"]) for part in by_author["parts"] if part["can_place"]] == [
        ("concept", 2),
        ("front", 2),
    ]
    assert all(part["can_place"] for part in by_owner["parts"])
    html = render_to_string(
        "dossiers/_assembly.html", {"assembly": by_author, "dossier": view, "request": request_of(author)}
    )
    assert html.count('data-testid="placement-form"') == 2
    assert html.count('data-testid="placement"') == len(view.parts) == 4


@pytest.mark.django_db
def test_the_form_keeps_numbers_unlocalised_in_german():
    scenario = small_scenario(phases=("concept", "front"))
    view = latest_view(scenario)
    front = part_of_phase(view, "front")
    placement_set(user=scenario.owner, slug=scenario.slug, number=view.number, part_id=front.part_id, **GOOD)
    context = page_context(request_of(scenario.owner), latest_view(scenario))

    with translation.override("de"):
        html = render_to_string(
            "dossiers/_assembly.html", {"assembly": context, "dossier": view, "request": request_of(scenario.owner)}
        )

    assert 'name="position_x" value="1.5"' in html
    assert 'name="position_y" value="-0.25"' in html


# --- The endpoint -----------------------------------------------------------------------------------


def placement_url(scenario: DossierScenario, number: int, part_id: int) -> str:
    return reverse("dossiers:placement", kwargs={"slug": scenario.slug, "number": number, "part_id": part_id})


@pytest.mark.django_db
def test_the_form_saves_and_returns_to_the_part_on_the_page(client):
    scenario = small_scenario()
    view = latest_view(scenario)
    front = part_of_phase(view, "front")
    client.force_login(scenario.owner)

    response = client.post(
        placement_url(scenario, view.number, front.part_id),
        {"position_x": "1.5", "position_y": "0", "position_z": "0.25", "rotation_x": "0", "rotation_y": "0",
         "rotation_z": "180", "scale": "1.2"},
    )  # fmt: skip

    assert response.status_code == 302
    assert response["Location"].endswith(f"#placement-{front.part_id}")
    row = PartPlacement.objects.get(part_id=front.part_id)
    assert (row.position, row.rotation, row.scale) == ([1.5, 0.0, 0.25], [0.0, 0.0, 180.0], 1.2)


@pytest.mark.django_db
def test_json_in_json_out_and_bad_numbers_get_field_messages(client):
    scenario = small_scenario()
    view = latest_view(scenario)
    front = part_of_phase(view, "front")
    url = placement_url(scenario, view.number, front.part_id)
    client.force_login(scenario.owner)

    saved = client.post(url, json.dumps(GOOD), content_type="application/json")
    refused = client.post(url, json.dumps({**GOOD, "rotation": [0, 0, 400]}), content_type="application/json")
    broken = client.post(url, "{not json", content_type="application/json")

    assert saved.status_code == 200
    assert saved.json() == {
        "part_id": front.part_id,
        "position": [1.5, -0.25, 0.5],
        "rotation": [0, 90, -45],
        "scale": 2,
    }
    assert refused.status_code == 400
    assert "rotation_z" in refused.json()["fields"]
    assert broken.status_code == 400
    assert PartPlacement.objects.get(part_id=front.part_id).rotation == [0.0, 90.0, -45.0]


@pytest.mark.django_db
def test_the_endpoint_refuses_others_with_403_hides_invisible_dossiers_and_wants_a_post(client):
    scenario = small_scenario(invite_only=True, entries_per_phase=2)
    view = dossier_view(user=scenario.owner, slug=scenario.slug)
    front = part_of_phase(view, "front")  # by the first entrant and the co-author
    url = placement_url(scenario, view.number, front.part_id)
    invited = scenario.entrants[1]  # sees the dossier, authored other parts

    anonymous_json = client.post(url, json.dumps(GOOD), content_type="application/json")
    anonymous_form = client.post(url, {"scale": "1"})
    client.force_login(invited)
    invited_json = client.post(url, json.dumps(GOOD), content_type="application/json")
    invited_form = client.post(url, {"scale": "1"})
    client.force_login(scenario.outsider)
    outsider = client.post(url, json.dumps(GOOD), content_type="application/json")
    client.force_login(scenario.owner)
    read = client.get(url)

    assert anonymous_json.status_code == 403
    assert anonymous_form.status_code == 302
    assert "/accounts/login/" in anonymous_form["Location"]
    assert invited_json.status_code == 403
    assert invited_form.status_code == 403
    assert outsider.status_code == 404
    assert read.status_code == 405
    assert not PartPlacement.objects.exists()


def test_the_demo_meshes_make_a_vehicle_in_the_default_layout():
    from dossiers import demo

    kinds = {
        "concept": demo.body_shell(),
        "front": demo.cab_front(),
        "rear": demo.rear_door(),
        "side": demo.side_panel(),
        "wheels_tyres": demo.wheel_set(),
        "interior": demo.interior(),
        "drivetrain": demo.drivetrain(),
    }
    placed = {kind: placed_triangles(mesh, default_placement(kind=kind, index=0)) for kind, mesh in kinds.items()}
    low = {kind: mesh.reshape(-1, 3).min(axis=0) for kind, mesh in placed.items()}
    high = {kind: mesh.reshape(-1, 3).max(axis=0) for kind, mesh in placed.items()}

    assert math.isclose(low["wheels_tyres"][2], 0.0, abs_tol=1e-6), "the wheels stand on the ground"
    assert high["front"][0] > high["concept"][0] - 1.5
    assert low["front"][0] >= high["concept"][0] - 1.3 - 1e-6
    assert low["rear"][0] < low["concept"][0], "the rear doors and step close the back of the body"
    assert low["side"][1] < low["concept"][1], "the side panel is on the outside of the body"
    assert low["interior"][2] >= low["concept"][2] - 1e-6
    assert high["interior"][2] < high["concept"][2]
    assert high["drivetrain"][2] <= 0.75 + 1e-6, "the drivetrain is under the floor"
    stl = demo.binary_stl(kinds["wheels_tyres"], "wheels")
    assert len(stl) == 84 + 50 * len(kinds["wheels_tyres"])
