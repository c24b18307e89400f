"""A revision's bill of materials: declared on the draft, frozen with it, carried into new drafts and forks."""

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from blueprints import bom, services
from blueprints.models import Blueprint, Revision, RevisionPart
from blueprints.tests.conftest import draft_of, ready_file
from core.exceptions import ApplicationError, Conflict

pytestmark = pytest.mark.django_db

WHEEL = {"name": "Wheel hub", "quantity": 4, "material": "6061-T6", "mass_kg": "1.250", "unit_cost": "85.00",
         "currency": "eur", "supplier_note": "Any CNC shop"}  # fmt: skip
FRAME = {"name": "Space frame", "quantity": 1, "material": "S355 tube", "mass_kg": None, "unit_cost": None}


def lines_of(revision: Revision) -> list[tuple[Any, ...]]:
    return list(
        revision.bom_parts.order_by("position").values_list(
            "position", "name", "quantity", "material", "mass_kg", "unit_cost", "currency", "supplier_note"
        )
    )


@pytest.fixture
def with_lines(blueprint: Blueprint, owner: Any) -> Revision:
    draft = draft_of(blueprint)
    bom.revision_bom_set(revision=draft, by=owner, lines=[WHEEL, FRAME])
    return draft


@pytest.fixture
def published_with_lines(with_lines: Revision, owner: Any) -> Revision:
    ready_file(with_lines, "frame.stl")
    return services.revision_publish(revision=with_lines, user=owner)


# --- Setting the lines --------------------------------------------------------------------------


def test_the_owner_replaces_the_draft_s_lines_in_the_order_given(with_lines, owner):
    assert lines_of(with_lines) == [
        (1, "Wheel hub", 4, "6061-T6", Decimal("1.250"), Decimal("85.00"), "EUR", "Any CNC shop"),
        (2, "Space frame", 1, "S355 tube", None, None, "", ""),
    ]

    bom.revision_bom_set(revision=with_lines, by=owner, lines=[{"name": "Seat", "quantity": "2"}, WHEEL])

    assert [(line[0], line[1], line[2]) for line in lines_of(with_lines)] == [(1, "Seat", 2), (2, "Wheel hub", 4)]


def test_an_empty_list_clears_the_bill(with_lines, owner):
    bom.revision_bom_set(revision=with_lines, by=owner, lines=[])

    assert lines_of(with_lines) == []


def test_a_currency_without_a_cost_is_dropped_and_a_missing_quantity_is_one(blueprint, owner):
    draft = draft_of(blueprint)
    bom.revision_bom_set(revision=draft, by=owner, lines=[{"name": "Bolt", "currency": "EUR", "quantity": ""}])

    assert lines_of(draft) == [(1, "Bolt", 1, "", None, None, "", "")]


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ({"name": "Hub", "quantity": 0}, "quantity", "At least 1."),
        ({"name": "Hub", "quantity": "2.5"}, "quantity", "A whole number of at least 1."),
        ({"name": "Hub", "quantity": "٣"}, "quantity", "A whole number of at least 1."),
        ({"name": "", "quantity": 1}, "name", "Required."),
        ({"name": "x" * 201}, "name", "At most 200 characters."),
        ({"name": "Hub", "mass_kg": "-1"}, "mass_kg", "Must not be negative."),
        ({"name": "Hub", "mass_kg": "1,5"}, "mass_kg", "Write the number with the digits 0-9"),
        ({"name": "Hub", "mass_kg": "1.2345"}, "mass_kg", "At most 3 decimals."),
        ({"name": "Hub", "mass_kg": "NaN"}, "mass_kg", "Write the number with the digits 0-9"),
        ({"name": "Hub", "unit_cost": "12.50"}, "currency", "A cost needs its currency"),
        ({"name": "Hub", "unit_cost": "12.50", "currency": "EU"}, "currency", "A cost needs its currency"),
        ({"name": "Hub", "unit_cost": "12.50", "currency": "€€€"}, "currency", "A cost needs its currency"),
        ({"name": "Hub", "unit_cost": "1.005", "currency": "EUR"}, "unit_cost", "At most 2 decimals."),
        ({"name": "Hub", "unit_cost": "1e3", "currency": "EUR"}, "unit_cost", "Write the number"),
        ({"name": "Hub", "supplier_note": "a\x00b"}, "supplier_note", "not allowed"),
    ],
)
def test_a_bad_line_is_refused_naming_its_field_and_nothing_changes(with_lines, owner, line, field, message):
    before = lines_of(with_lines)

    with pytest.raises(ApplicationError) as refused:
        bom.revision_bom_set(revision=with_lines, by=owner, lines=[FRAME, line])

    fields = refused.value.extra["fields"]
    assert list(fields) == [f"lines.1.{field}"]
    assert message in fields[f"lines.1.{field}"][0]
    assert lines_of(with_lines) == before


def test_every_bad_field_of_every_line_is_named_at_once(blueprint, owner):
    with pytest.raises(ApplicationError) as refused:
        bom.revision_bom_set(
            revision=draft_of(blueprint), by=owner, lines=[{"name": "", "quantity": -1}, FRAME, {"name": "Hub"}]
        )

    assert set(refused.value.extra["fields"]) == {"lines.0.name", "lines.0.quantity"}


def test_at_most_two_hundred_lines(blueprint, owner):
    draft = draft_of(blueprint)
    bom.revision_bom_set(revision=draft, by=owner, lines=[{"name": f"Part {n}"} for n in range(200)])
    assert draft.bom_parts.count() == 200

    with pytest.raises(ApplicationError, match="at most 200 lines"):
        bom.revision_bom_set(revision=draft, by=owner, lines=[{"name": f"Part {n}"} for n in range(201)])
    assert draft.bom_parts.count() == 200


def test_only_the_owner_sets_the_lines(blueprint, other, staff):
    for user in (other, staff):
        with pytest.raises(PermissionDenied):
            bom.revision_bom_set(revision=draft_of(blueprint), by=user, lines=[FRAME])
    assert lines_of(draft_of(blueprint)) == []


def test_a_published_revision_s_lines_never_change_in_the_service(published_with_lines, owner):
    with pytest.raises(Conflict, match="published and cannot change"):
        bom.revision_bom_set(revision=published_with_lines, by=owner, lines=[])

    assert len(lines_of(published_with_lines)) == 2


# --- The database keeps the rule ------------------------------------------------------------------


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda revision: revision.bom_parts.update(quantity=9), id="update"),
        pytest.param(lambda revision: revision.bom_parts.all().delete(), id="delete"),
        pytest.param(
            lambda revision: RevisionPart.objects.create(revision=revision, position=9, name="Sneaked"), id="insert"
        ),
    ],
)
def test_the_database_refuses_changes_to_a_published_revision_s_lines(published_with_lines, write):
    with pytest.raises(IntegrityError, match="published"), transaction.atomic():
        write(published_with_lines)

    assert len(lines_of(published_with_lines)) == 2


def test_the_database_refuses_moving_a_line_into_or_out_of_a_published_revision(published_with_lines, owner):
    draft = services.revision_create(blueprint=published_with_lines.blueprint, user=owner)
    bom.revision_bom_set(revision=draft, by=owner, lines=[FRAME])
    draft_line = draft.bom_parts.get()
    published_line = published_with_lines.bom_parts.first()

    with pytest.raises(IntegrityError, match="published"), transaction.atomic():
        RevisionPart.objects.filter(pk=draft_line.pk).update(revision=published_with_lines, position=50)
    with pytest.raises(IntegrityError, match="published"), transaction.atomic():
        RevisionPart.objects.filter(pk=published_line.pk).update(revision=draft, position=50)


def test_the_database_lets_a_draft_s_lines_change(with_lines):
    with_lines.bom_parts.update(quantity=3)
    with_lines.bom_parts.all().delete()

    assert lines_of(with_lines) == []


# --- New drafts and forks carry the lines -------------------------------------------------------------


def test_copying_carries_every_line_into_a_draft(published_with_lines, owner):
    draft = Revision.objects.create(blueprint=published_with_lines.blueprint, number=2, author=owner)

    bom.revision_bom_copy(source=published_with_lines, target=draft)

    assert lines_of(draft) == lines_of(published_with_lines)


def test_a_new_draft_starts_with_the_lines_of_the_latest_revision(published_with_lines, owner):
    draft = services.revision_create(blueprint=published_with_lines.blueprint, user=owner)

    assert lines_of(draft) == lines_of(published_with_lines)


def test_a_fork_starts_with_the_lines_of_the_revision_it_forks(published_with_lines, other):
    fork = services.blueprint_fork(blueprint=published_with_lines.blueprint, user=other)

    assert lines_of(draft_of(fork)) == lines_of(published_with_lines)


# --- The parts-list page ----------------------------------------------------------------------------


def rows(**fields: Any) -> dict[str, str]:
    """A formset POST: `rows(**{"0-name": "Hub", "add_row": "1"})` with the management form."""
    total = 1 + max((int(key.split("-")[0]) for key in fields if key[0].isdigit()), default=0)
    data = {"form-TOTAL_FORMS": str(total), "form-INITIAL_FORMS": "0"}
    data.update({f"form-{key}" if key[0].isdigit() else key: str(value) for key, value in fields.items()})
    return data


def edit_url(revision: Revision) -> str:
    return f"/blueprints/{revision.blueprint.slug}/r/{revision.number}/parts/"


def test_the_owner_edits_the_draft_s_lines_on_a_page(client, blueprint, owner):
    draft = draft_of(blueprint)
    client.force_login(owner)

    page = client.get(edit_url(draft))
    assert page.status_code == 200
    assert page.content.count(b'data-testid="bom-row"') == 1

    saved = client.post(
        edit_url(draft),
        rows(
            **{
                "0-name": "Hub",
                "0-quantity": "4",
                "0-mass_kg": "1.25",
                "0-unit_cost": "85",
                "0-currency": "eur",
                "1-name": "",
                "2-name": "Frame",
            }
        ),  # fmt: skip
    )

    assert saved.status_code == 302
    assert saved["Location"] == f"/blueprints/{blueprint.slug}/r/1/upload/"
    assert lines_of(draft) == [
        (1, "Hub", 4, "", Decimal("1.250"), Decimal("85.00"), "EUR", ""),
        (2, "Frame", 1, "", None, None, "", ""),
    ]
    again = client.get(edit_url(draft))
    assert again.content.count(b'data-testid="bom-row"') == 3  # the two lines and an empty one
    assert b'value="Hub"' in again.content


def test_add_a_row_keeps_what_was_typed_and_saves_nothing(client, blueprint, owner):
    draft = draft_of(blueprint)
    client.force_login(owner)

    page = client.post(edit_url(draft), rows(**{"0-name": "Hub", "add_row": "1"}))

    assert page.status_code == 200
    assert page.content.count(b'data-testid="bom-row"') == 2
    assert b'value="Hub"' in page.content
    assert lines_of(draft) == []


def test_the_page_puts_each_refusal_on_its_row_and_saves_nothing(client, with_lines, owner):
    client.force_login(owner)
    before = lines_of(with_lines)

    page = client.post(edit_url(with_lines), rows(**{"0-name": "Hub", "1-name": "Seat", "1-quantity": "0"}))

    assert page.status_code == 200
    assert page.context["formset"].forms[1].errors == {"quantity": ["At least 1."]}
    assert b"error-summary" in page.content
    assert lines_of(with_lines) == before


def test_a_deleted_row_is_dropped(client, with_lines, owner):
    client.force_login(owner)

    client.post(edit_url(with_lines), rows(**{"0-name": "Hub", "1-name": "Seat", "1-DELETE": "on"}))

    assert [line[1] for line in lines_of(with_lines)] == ["Hub"]


def test_a_published_revision_s_page_sends_the_owner_back(client, published_with_lines, owner):
    client.force_login(owner)

    response = client.post(edit_url(published_with_lines), rows(**{"0-name": "Hub"}))

    assert response.status_code == 302
    assert response["Location"] == f"/blueprints/{published_with_lines.blueprint.slug}/r/1/"
    assert len(lines_of(published_with_lines)) == 2


def test_only_the_owner_opens_the_page(client, published_with_lines, other):
    client.force_login(other)

    assert client.get(edit_url(published_with_lines)).status_code == 403


def test_the_revision_page_shows_the_lines_read_only(client, published_with_lines, other):
    client.force_login(other)
    slug = published_with_lines.blueprint.slug

    page = client.get(f"/blueprints/{slug}/r/1/")

    assert page.content.count(b'data-testid="bom-line"') == 2
    assert b"Wheel hub" in page.content
    assert b'data-testid="bom-edit"' not in page.content


def test_the_draft_page_links_its_owner_to_the_parts_list(client, with_lines, owner):
    client.force_login(owner)

    page = client.get(f"/blueprints/{with_lines.blueprint.slug}/r/1/upload/")

    assert page.content.count(b'data-testid="bom-line"') == 2
    assert edit_url(with_lines).encode() in page.content


def test_the_page_speaks_german(client, blueprint, owner):
    client.force_login(owner)
    client.cookies["django_language"] = "de"

    page = client.get(edit_url(draft_of(blueprint)), HTTP_ACCEPT_LANGUAGE="de")

    assert "Stückliste" in page.text
    assert "Zeile hinzufügen" in page.text
    assert "Lieferantenhinweis" in page.text


# --- The API ---------------------------------------------------------------------------------------------


def api_url(revision: Revision) -> str:
    return f"/api/v1/blueprints/{revision.blueprint.slug}/revisions/{revision.number}/bom/"


def test_anyone_reads_a_published_revision_s_lines(client, published_with_lines):
    response = client.get(api_url(published_with_lines))

    assert response.status_code == 200
    body = response.json()
    assert (body["number"], body["is_published"]) == (1, True)
    assert body["lines"][0] == {
        "position": 1, "name": "Wheel hub", "quantity": 4, "material": "6061-T6", "mass_kg": "1.250",
        "unit_cost": "85.00", "currency": "EUR", "supplier_note": "Any CNC shop",
    }  # fmt: skip


def test_the_owner_replaces_a_draft_s_lines_through_the_api(client, with_lines, owner):
    client.force_login(owner)

    response = client.put(
        api_url(with_lines),
        {"lines": [{"name": "Seat", "quantity": 2, "unit_cost": "120.50", "currency": "usd"}]},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    assert [line["name"] for line in response.json()["lines"]] == ["Seat"]
    assert lines_of(with_lines) == [(1, "Seat", 2, "", None, Decimal("120.50"), "USD", "")]


def test_the_api_names_each_bad_field_by_its_path(client, with_lines, owner):
    client.force_login(owner)
    before = lines_of(with_lines)

    response = client.put(
        api_url(with_lines),
        {"lines": [FRAME, {"name": "Seat", "unit_cost": "10"}]},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert list(response.json()["extra"]["fields"]) == ["lines.1.currency"]
    assert lines_of(with_lines) == before


def test_the_api_refuses_a_published_revision_and_a_stranger(client, published_with_lines, owner, other):
    client.force_login(owner)
    body: dict[str, list[Any]] = {"lines": []}
    assert client.put(api_url(published_with_lines), body, content_type="application/json").status_code == 409

    client.force_login(other)
    assert client.put(api_url(published_with_lines), body, content_type="application/json").status_code == 403
    assert len(lines_of(published_with_lines)) == 2


def test_a_draft_s_lines_are_hidden_from_others(client, with_lines, other):
    client.force_login(other)

    assert client.get(api_url(with_lines)).status_code == 404


def test_the_revision_page_costs_one_query_for_its_lines_however_many(client, blueprint, owner):
    def queries_with(count: int) -> int:
        draft = draft_of(Blueprint.objects.get(pk=blueprint.pk))
        bom.revision_bom_set(revision=draft, by=owner, lines=[{"name": f"Part {n}"} for n in range(count)])
        client.get(f"/blueprints/{blueprint.slug}/r/1/")
        with CaptureQueriesContext(connection) as captured:
            page = client.get(f"/blueprints/{blueprint.slug}/r/1/")
        assert page.content.count(b'data-testid="bom-line"') == count
        return len(captured)

    client.force_login(owner)
    assert queries_with(2) == queries_with(60)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_member_fills_the_parts_list_on_a_phone_without_javascript_help(signed_in_page, member):
    blueprint = services.blueprint_create(owner=member, title="Phone buggy", category="chassis")
    page = signed_in_page
    page.set_viewport_size({"width": 320, "height": 640})

    page.goto(edit_url(draft_of(blueprint)))
    page.fill("[name=form-0-name]", "Wheel hub")
    page.fill("[name=form-0-quantity]", "4")
    page.fill("[name=form-0-unit_cost]", "85.50")
    page.fill("[name=form-0-currency]", "EUR")
    page.click("[data-testid=bom-add-row]")
    page.fill("[name=form-1-name]", "Seat")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    page.click("[data-testid=bom-save]")

    page.wait_for_url(f"**/blueprints/{blueprint.slug}/r/1/upload/")
    assert page.locator("[data-testid=bom-line]").count() == 2
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert [line[1:4] for line in lines_of(draft_of(blueprint))] == [("Wheel hub", 4, ""), ("Seat", 1, "")]
