"""Demo data (idempotent, processed for real) and the staff admin."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse

from blueprints import demo, services, storage
from blueprints.models import Blueprint, File, FileStatus, RejectionCode
from blueprints.tests import samples
from blueprints.tests.conftest import draft_of, upload_file
from tests.sign_in import sign_in

pytestmark = pytest.mark.django_db


def test_demo_blueprints_load_once_with_processed_files_and_a_fork(monkeypatch):
    # The completed Sahel ambulance and its dossier are loaded and checked in dossiers/tests/test_demo.py.
    monkeypatch.setattr("dossiers.demo.load", lambda out: None)
    call_command("load_demo_data", stdout=StringIO())
    first = sorted(Blueprint.objects.values_list("slug", "latest_revision__number", "fork_count"))
    out = StringIO()
    demo.load(out)

    assert sorted(Blueprint.objects.values_list("slug", "latest_revision__number", "fork_count")) == first
    assert "already there" in out.getvalue()
    assert first == [("sahel-ambulance-concept", 1, 1), ("sahel-ambulance-lower-roof", 1, 0)]
    files = File.objects.filter(revision__blueprint__slug="sahel-ambulance-concept")
    assert set(files.values_list("status", flat=True)) == {FileStatus.READY}
    model = files.get(original_name="body-low-poly.stl")
    assert model.triangle_count == 84
    assert storage.object_size(model.storage_key) == model.size
    assert storage.object_size(model.preview_key)
    fork = Blueprint.objects.get(slug="sahel-ambulance-lower-roof")
    assert fork.lineage == [Blueprint.objects.get(slug="sahel-ambulance-concept").pk]
    assert fork.owner.email == "jonas@demo.coachworks.test"


def test_staff_see_blueprints_revisions_and_files_with_rejection_reasons(client, published, staff, owner):
    draft = services.revision_create(blueprint=published, user=owner)
    rejected = upload_file(draft, owner, "plan.pdf", samples.png())
    sign_in(client, staff)

    pages = [
        reverse("admin:blueprints_blueprint_changelist"),
        reverse("admin:blueprints_blueprint_change", args=[published.pk]),
        reverse("admin:blueprints_revision_changelist"),
        reverse("admin:blueprints_file_changelist") + "?status=rejected",
        reverse("admin:blueprints_file_change", args=[rejected.pk]),
    ]

    for path in pages:
        assert client.get(path).status_code == 200, path
    assert "does not match the declared file type" in client.get(pages[-1]).text


def test_the_rerun_action_refuses_refused_content_and_requeues_failed_processing(client, blueprint, owner, staff):
    draft = draft_of(blueprint)
    refused = upload_file(draft, owner, "x.png", samples.pdf())  # content refused: its bytes are deleted
    sign_in(client, staff)

    with TestCase.captureOnCommitCallbacks(execute=False) as enqueued:
        response = client.post(
            reverse("admin:blueprints_file_changelist"),
            {"action": "reprocess", "_selected_action": [refused.pk]},
            follow=True,
        )

    assert "its bytes are gone" in response.text
    assert enqueued == []
    refused.refresh_from_db()
    assert refused.rejection_code == RejectionCode.CONTENT_MISMATCH


def test_staff_hide_from_the_admin_and_nothing_is_deleted(client, published, staff):
    sign_in(client, staff)

    client.post(
        reverse("admin:blueprints_blueprint_changelist"),
        {"action": "hide_selected", "_selected_action": [published.pk]},
    )

    published.refresh_from_db()
    assert published.is_hidden
    assert published.revisions.filter(is_published=True).exists()
