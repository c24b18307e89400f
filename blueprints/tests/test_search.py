"""PostgreSQL full-text search over title, tags and description, with filters and sorts."""

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection

from blueprints import selectors, services
from blueprints.models import Blueprint
from blueprints.selectors import SearchFilters, Sort
from blueprints.tests.conftest import make_published

pytestmark = pytest.mark.django_db


def titles(**filters) -> list[str]:
    return [blueprint.title for blueprint in selectors.blueprint_search(filters=SearchFilters(**filters))]


@pytest.fixture
def library(owner, other):
    make_published(owner, "Spoke wheel for rough tracks", category="wheels_tyres", tags=["rim"])
    make_published(other, "Dashboard", description="Room for a small wheel of cheese.", category="interior")
    make_published(owner, "Tyre tread", tags=["wheels", "rubber"], category="wheels_tyres", licence="CC0-1.0")
    make_published(other, "Battery tray", category="electrics", licence="CERN-OHL-S-2.0")


def test_a_title_match_ranks_above_a_tag_match_above_a_description_match(library):
    assert titles(query="wheel") == ["Spoke wheel for rough tracks", "Tyre tread", "Dashboard"]


def test_words_are_stemmed_and_web_search_syntax_works(library):
    assert titles(query="wheels") == titles(query="wheel")
    assert sorted(titles(query="wheel -cheese")) == ["Spoke wheel for rough tracks", "Tyre tread"]
    assert titles(query='"rough tracks"') == ["Spoke wheel for rough tracks"]
    assert titles(query="propeller") == []


def test_filters_narrow_the_results(library, owner):
    assert titles(category="wheels_tyres", sort=Sort.NEWEST) == ["Tyre tread", "Spoke wheel for rough tracks"]
    assert titles(licence="CC0-1.0") == ["Tyre tread"]
    assert titles(owner_id=owner.pk, query="wheel") == ["Spoke wheel for rough tracks", "Tyre tread"]
    assert titles(has_model=True, category="electrics") == ["Battery tray"]
    assert titles(tag="rubber") == ["Tyre tread"]
    assert titles(has_model=False) == []


def test_only_listed_blueprints_are_found(library, owner, staff):
    services.blueprint_create(owner=owner, title="Wheel arch (draft)")
    hidden = Blueprint.objects.get(title="Dashboard")
    services.blueprint_hide(blueprint=hidden, user=staff)

    assert titles(query="wheel") == ["Spoke wheel for rough tracks", "Tyre tread"]


def test_sorts_by_newest_most_forked_and_most_downloaded(library, other):
    dashboard = Blueprint.objects.get(title="Dashboard")
    tray = Blueprint.objects.get(title="Battery tray")
    services.blueprint_fork(blueprint=tray, user=other)
    services.blueprint_fork(blueprint=tray, user=other)
    services.blueprint_fork(blueprint=dashboard, user=other)
    Blueprint.objects.filter(pk=dashboard.pk).update(download_count=40)

    assert titles(sort=Sort.NEWEST)[0] == "Battery tray"
    assert titles(sort=Sort.MOST_FORKED)[:2] == ["Battery tray", "Dashboard"]
    assert titles(sort=Sort.MOST_DOWNLOADED)[0] == "Dashboard"
    assert titles(sort=Sort.RELEVANCE) == titles(sort=Sort.NEWEST)  # nothing to rank without words


def test_the_search_vector_follows_edits(library, owner):
    blueprint = Blueprint.objects.get(title="Spoke wheel for rough tracks")

    services.blueprint_update(blueprint=blueprint, user=owner, title="Hub", tags=["axle"], description="")

    assert titles(query="spoke") == []
    assert titles(query="axle") == ["Hub"]


def test_the_search_condition_uses_the_gin_index(library):
    query = SearchQuery("wheel", search_type="websearch", config=selectors.SEARCH_CONFIG)
    matching = Blueprint.objects.filter(search_vector=query).values("pk")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # as on a large table, where reading it all does not pay
        sql, params = matching.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "Bitmap Index Scan on blueprints_search_gin" in plan
