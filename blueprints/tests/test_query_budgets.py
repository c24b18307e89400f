"""Query budgets of the blueprints' list pages and list APIs: a page's queries do not grow with
the library, the revisions, the forks or the comments behind it (two data sizes, signed in and
anonymous). Each `grow` adds more rows than a page shows."""

from typing import Any

import pytest

from blueprints import services
from blueprints.models import Blueprint
from blueprints.tests.conftest import draft_of, make_published, ready_file
from community.tests.factories import make_comments
from tests.query_budget import assert_query_count_flat

pytestmark = pytest.mark.django_db


def more_blueprints(owner: Any, count: int = 26) -> None:
    start = Blueprint.objects.count()
    for number in range(count):
        make_published(owner, f"Tube chassis {start + number}", category="chassis", tags=["chassis"])


def more_revisions(blueprint: Blueprint, owner: Any, count: int = 22) -> None:
    for _ in range(count):
        revision = services.revision_create(blueprint=blueprint, user=owner)
        ready_file(revision, f"part-r{revision.number}.stl")
        services.revision_publish(revision=revision, user=owner, change_notes="Stiffer")


def more_forks(blueprint: Blueprint, member: Any, count: int = 3) -> None:
    for _ in range(count):
        fork = services.blueprint_fork(blueprint=blueprint, user=member, title=None, licence=blueprint.licence)
        services.revision_publish(revision=draft_of(fork), user=member)


@pytest.fixture(params=["anonymous", "signed in"])
def viewer(request: Any, client: Any, other: Any) -> Any:
    if request.param == "signed in":
        client.force_login(other)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/blueprints/",
        "/blueprints/?sort=forks",
        "/blueprints/?sort=downloads",
        "/blueprints/?q=chassis",
        "/blueprints/?q=chassis&sort=newest",
        "/blueprints/?category=chassis&has_model=1",
        "/api/v1/blueprints/",
        "/api/v1/blueprints/?q=chassis",
        "/api/v1/blueprints/?sort=forks",
    ],
)
def test_the_library_costs_a_page_however_large(viewer: Any, owner: Any, url: str) -> None:
    more_blueprints(owner)
    assert_query_count_flat(viewer, url, grow=lambda: more_blueprints(owner), budget=12)


def test_my_blueprints_cost_a_page_however_many(client: Any, owner: Any) -> None:
    client.force_login(owner)
    more_blueprints(owner)
    assert_query_count_flat(client, "/blueprints/mine/", grow=lambda: more_blueprints(owner), budget=12)


def test_a_blueprint_page_costs_the_same_however_many_revisions_forks_and_comments(
    viewer: Any, owner: Any, other: Any
) -> None:
    blueprint = make_published(owner, "Space frame")
    more_revisions(blueprint, owner)
    make_comments(blueprint, other, 35, replies=2)

    def grow() -> None:
        more_revisions(blueprint, owner)
        more_forks(blueprint, other)
        make_comments(blueprint, owner, 35, replies=3)

    assert_query_count_flat(viewer, f"/blueprints/{blueprint.slug}/", grow=grow, budget=30)


@pytest.mark.parametrize("path", ["revisions/", "lineage/", ""])
def test_a_blueprint_s_apis_cost_the_same_however_many_revisions_and_forks(
    viewer: Any, owner: Any, other: Any, path: str
) -> None:
    blueprint = make_published(owner, "Space frame")
    more_revisions(blueprint, owner)
    more_forks(blueprint, other)

    def grow() -> None:
        more_revisions(blueprint, owner)
        more_forks(blueprint, other)

    assert_query_count_flat(viewer, f"/api/v1/blueprints/{blueprint.slug}/{path}", grow=grow, budget=12)


def test_the_library_pages_forward_and_back_without_gaps(client: Any, owner: Any) -> None:
    more_blueprints(owner, 30)
    first = client.get("/api/v1/blueprints/?page_size=12").json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    seen = [b["slug"] for page in (first, second, third) for b in page["results"]]
    assert len(seen) == len(set(seen)) == 30
    assert third["next"] is None
    back = client.get(second["previous"]).json()
    assert [b["slug"] for b in back["results"]] == [b["slug"] for b in first["results"]]


def test_a_common_word_shows_a_bounded_count(client: Any, owner: Any, settings: Any) -> None:
    more_blueprints(owner, 3)
    page = client.get("/blueprints/?q=chassis")
    assert page.context["count"] == 3
    assert not page.context["count_more"]


def test_relevance_ranks_only_the_newest_candidates(owner: Any, monkeypatch: Any) -> None:
    from blueprints import selectors

    monkeypatch.setattr(selectors, "SEARCH_MATCH_LIMIT", 5)  # 6 matches: a common word
    monkeypatch.setattr(selectors, "SEARCH_CANDIDATES", 4)
    more_blueprints(owner, 6)
    listing = selectors.blueprint_library(filters=selectors.SearchFilters(query="chassis"))
    shown = list(listing.blueprints.order_by(*listing.ordering))
    newest = list(listing.matches.order_by("-last_published_at", "-pk")[:4])
    assert {b.pk for b in shown} == {b.pk for b in newest}
    assert listing.matches.count() == 6


def test_the_revisions_list_pages_with_its_own_cursor(client: Any, owner: Any) -> None:
    blueprint = make_published(owner, "Space frame")
    more_revisions(blueprint, owner, 24)
    page = client.get(f"/blueprints/{blueprint.slug}/")
    assert len(page.context["revisions"]) == 20
    older = client.get(f"/blueprints/{blueprint.slug}/{page.context['revisions_next'].split('#')[0]}")
    assert older.status_code == 200
    assert [r.number for r in older.context["revisions"]] == [5, 4, 3, 2, 1]


def test_a_long_thread_shows_a_page_and_links_to_the_next(client: Any, owner: Any, other: Any) -> None:
    blueprint = make_published(owner, "Space frame")
    make_comments(blueprint, other, 45, replies=1)
    page = client.get(f"/blueprints/{blueprint.slug}/")
    assert page.content.count(b'data-testid="comment"') == 60
    assert b'data-testid="comments-next"' in page.content
    assert b"90 comments" in page.content
    later = page.content.split(b'data-testid="comments-next"')[0].rsplit(b'href="', 1)[1].split(b'"')[0]
    rest = client.get(later.decode().replace("&amp;", "&").split("#")[0])
    assert rest.content.count(b'data-testid="comment"') == 30
    assert b'data-testid="comments-previous"' in rest.content


def test_a_comment_posted_to_a_long_thread_is_shown_on_its_page(client: Any, owner: Any, other: Any) -> None:
    blueprint = make_published(owner, "Space frame")
    make_comments(blueprint, other, 45)
    client.force_login(owner)
    response = client.post(
        "/members/comments/",
        {
            "target": "blueprints.blueprint",
            "object_id": blueprint.pk,
            "body": "Latest word",
            "next": blueprint.get_absolute_url(),
        },
    )
    assert response.status_code == 302
    assert "comments=" in response["Location"]
    shown = client.get(response["Location"].split("#")[0])
    assert b"Latest word" in shown.content
