"""Member-facing pages: library, blueprint, revision, compare, upload, download and 3D view."""

import json
from urllib.parse import unquote

import pytest
import requests
from django.test import TestCase
from django.urls import reverse

from blueprints import services
from blueprints.tests import samples
from blueprints.tests.conftest import draft_of, make_published, upload_file

pytestmark = pytest.mark.django_db


def test_the_library_lists_published_blueprints_and_searches(client, owner):
    make_published(owner, "Gull-wing door hinge", category="body_side", tags=["door"])
    make_published(owner, "Roll cage", category="chassis")
    services.blueprint_create(owner=owner, title="Unpublished door")

    everything = client.get("/blueprints/")
    doors = client.get("/blueprints/", {"q": "door"})
    partial = client.get("/blueprints/", {"q": "cage"}, HTTP_HX_REQUEST="true")

    assert everything.status_code == 200
    assert "Gull-wing door hinge" in everything.text
    assert "Unpublished door" not in everything.text
    assert "Roll cage" not in doors.text
    assert "Gull-wing door hinge" in doors.text
    assert "<html" not in partial.text
    assert "Roll cage" in partial.text


def test_the_blueprint_page_shows_files_previews_licence_and_lineage(client, published, other):
    fork = services.blueprint_fork(blueprint=published, user=other, title="Wider chassis")
    first = fork.revisions.get()
    services.file_remove(file=first.files.get(original_name="sketch.png"), user=other)
    services.revision_publish(revision=first, user=other)

    page = client.get(f"/blueprints/{fork.slug}/")
    parent_page = client.get(f"/blueprints/{published.slug}/")

    assert page.status_code == 200
    assert "Based on" in page.text
    assert "Desert buggy chassis" in page.text
    assert "CC BY-SA 4.0" in page.text
    assert "https://creativecommons.org/licenses/by-sa/4.0/" in page.text
    assert "Original authors" in page.text
    assert "Wider chassis" in parent_page.text  # a descendant in the lineage tree
    assert 'data-testid="preview"' in parent_page.text
    assert "Sign in to download" in parent_page.text
    assert 'data-testid="download"' not in parent_page.text


def test_the_description_is_sanitised_markdown(client, owner):
    blueprint = make_published(
        owner, "Hood", description="**Strong** [site](https://example.com) <script>alert(1)</script>"
    )

    page = client.get(f"/blueprints/{blueprint.slug}/")

    assert "<strong>Strong</strong>" in page.text
    assert 'rel="nofollow noopener"' in page.text
    assert "<script>alert(1)</script>" not in page.text


def test_a_never_published_blueprint_is_only_for_its_owner(client, blueprint, owner, other):
    assert client.get(f"/blueprints/{blueprint.slug}/").status_code == 404
    client.force_login(other)
    assert client.get(f"/blueprints/{blueprint.slug}/").status_code == 404
    client.force_login(owner)
    assert client.get(f"/blueprints/{blueprint.slug}/").status_code == 200


def test_the_upload_page_is_for_the_owner_and_carries_the_upload_settings(client, blueprint, owner, other):
    path = reverse("blueprints:upload", kwargs={"slug": blueprint.slug, "number": 1})
    assert client.get(path).status_code == 302  # to sign in
    client.force_login(other)
    assert client.get(path).status_code == 404
    client.force_login(owner)

    page = client.get(path)

    assert page.status_code == 200
    assert 'id="bp-upload-config"' in page.text
    assert "/api/v1/blueprints/desert-buggy-chassis/revisions/1/uploads/" in page.text
    assert 'data-testid="file-input"' in page.text


def test_a_member_downloads_an_attachment_with_its_original_name_from_s3(client, blueprint, owner, other):
    draft = draft_of(blueprint)
    file = upload_file(draft, owner, "Kühler–Grill ✓.stl", samples.binary_stl())
    services.revision_publish(revision=draft, user=owner)
    client.force_login(other)

    response = client.get(reverse("blueprints:download", kwargs={"pk": file.pk}))
    fetched = requests.get(response["Location"], timeout=10)

    assert response.status_code == 302
    assert fetched.status_code == 200
    assert fetched.content == samples.binary_stl()
    disposition = fetched.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Kuhler_Grill _.stl"')
    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == "Kühler–Grill ✓.stl"
    assert fetched.headers["Content-Type"] == "model/stl"
    blueprint.refresh_from_db()
    assert blueprint.download_count == 1


def test_anonymous_visitors_cannot_download(client, published):
    file = published.latest_revision.files.first()

    response = client.get(reverse("blueprints:download", kwargs={"pk": file.pk}))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_previews_are_our_own_png_or_jpeg(published):
    for file in published.latest_revision.files.all():
        preview = requests.get(services.files.storage.preview_url(file.preview_key), timeout=10)
        assert preview.headers["Content-Type"] in {"image/png", "image/jpeg"}


def test_members_fork_from_the_page_and_land_on_their_draft(client, published, other):
    client.force_login(other)

    response = client.post(reverse("blueprints:fork", kwargs={"slug": published.slug}), {"licence": "CC-BY-SA-4.0"})

    fork = other.blueprints.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("blueprints:upload", kwargs={"slug": fork.slug, "number": 1})


def test_the_owner_publishes_from_the_upload_page(client, blueprint, owner):
    upload_file(draft_of(blueprint), owner, "frame.stl", samples.binary_stl())
    client.force_login(owner)

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse("blueprints:publish", kwargs={"slug": blueprint.slug, "number": 1}), {"change_notes": "Done."}
        )

    assert response.status_code == 302
    blueprint.refresh_from_db()
    assert blueprint.latest_revision.change_notes == "Done."


def test_the_compare_page_shows_changes_side_by_side(client, published, owner):
    second = services.revision_create(blueprint=published, user=owner)
    services.file_remove(file=second.files.get(original_name="sketch.png"), user=owner)
    services.revision_publish(revision=second, user=owner)

    page = client.get(reverse("blueprints:compare", kwargs={"old": published.latest_revision_id, "new": second.pk}))

    assert page.status_code == 200
    assert "0 added, 1 removed, 0 changed, 1 unchanged" in page.text
    assert 'data-change="removed"' in page.text


def test_the_3d_viewer_needs_a_member_and_loads_three_from_static(client, published, other):
    stl = published.latest_revision.files.get(original_name="frame.stl")
    path = reverse("blueprints:viewer", kwargs={"pk": stl.pk})
    assert client.get(path).status_code == 302
    client.force_login(other)

    page = client.get(path)

    assert page.status_code == 200
    assert 'data-type="stl"' in page.text
    # The import map is inline, so it carries the request's CSP nonce (tests/test_csp.py).
    tag_and_rest = page.text.split('<script type="importmap" nonce="', 1)[1]
    importmap = json.loads(tag_and_rest.split(">", 1)[1].split("</script>", 1)[0])
    three, addons = importmap["imports"]["three"], importmap["imports"]["three/addons/"]
    # Served from the collected static files (three.js installed from the npm registry).
    for path in (three, addons + "loaders/STLLoader.js", addons + "controls/OrbitControls.js",
                 "/static/vendor/three/build/three.core.js", "/static/blueprints/viewer.js"):  # fmt: skip
        assert client.get(path).status_code == 200, path


def test_pages_are_translated_to_german(client, published):
    client.cookies["django_language"] = "de"

    page = client.get("/blueprints/", HTTP_ACCEPT_LANGUAGE="de")

    assert "Bauplan-Bibliothek" in page.text


# --- Query counts ------------------------------------------------------------------------------
# A failure here means a change added queries per row: justify it or fetch in bulk.


@pytest.mark.parametrize("rows", [2, 12])
def test_the_library_page_costs_the_same_queries_for_any_number_of_rows(client, owner, rows,
                                                                        django_assert_num_queries):  # fmt: skip
    for number in range(rows):
        make_published(owner, f"Panel {number}", files=2)

    with django_assert_num_queries(2):  # the count, the page
        response = client.get("/blueprints/")

    assert response.text.count('data-testid="blueprint-card"') == rows


@pytest.mark.parametrize("files", [1, 9])
def test_the_blueprint_page_costs_the_same_queries_for_any_number_of_files(client, owner, other, files,
                                                                           django_assert_num_queries):  # fmt: skip
    blueprint = make_published(owner, "Panel", files=files)
    for _ in range(2):
        fork = services.blueprint_fork(blueprint=blueprint, user=other)
        services.revision_publish(revision=fork.revisions.get(), user=other)
    client.force_login(other)
    client.get(f"/blueprints/{blueprint.slug}/")  # the session and user are loaded once per request

    with django_assert_num_queries(10):
        # session, user, blueprint, revision, its files, revisions, descendants (no ancestors: no
        # query); the unread-notification count, whether the member follows it, its discussion
        response = client.get(f"/blueprints/{blueprint.slug}/")

    assert response.text.count('data-testid="file"') == files


@pytest.mark.parametrize("rows", [1, 8])
def test_my_blueprints_page_costs_the_same_for_any_number_of_rows(client, owner, rows, django_assert_max_num_queries):
    for number in range(rows):
        make_published(owner, f"Panel {number}")
    client.force_login(owner)

    with django_assert_max_num_queries(4):  # (session,) user, page (keyset: no count), unread notifications
        client.get("/blueprints/mine/")


def test_a_design_made_on_the_way_to_an_entry_leads_back_to_it_and_nowhere_else(client, published, other):
    """The "enter this phase" page sends members to make a design with `?next=`; creating it keeps
    that address, publishing returns there; an address on another site is ignored."""
    client.force_login(other)
    created = client.post(
        "/blueprints/new/?next=/entries/phases/7/enter/",
        {"title": "Roof rack", "category": "other", "licence": "CC-BY-SA-4.0"},
    )
    assert created.status_code == 302
    assert created["Location"].endswith("/upload/?next=%2Fentries%2Fphases%2F7%2Fenter%2F")
    fork = services.blueprint_fork(blueprint=published, user=other, title="Wider chassis")
    narrow = services.blueprint_fork(blueprint=published, user=other, title="Narrow chassis")
    publish_url = "/blueprints/{}/r/1/publish/"

    back = client.post(publish_url.format(fork.slug), {"next": "/entries/phases/7/enter/"})
    elsewhere = client.post(publish_url.format(narrow.slug), {"next": "https://evil.example/steal"})

    assert back["Location"] == "/entries/phases/7/enter/"
    assert elsewhere["Location"] == narrow.get_absolute_url()
