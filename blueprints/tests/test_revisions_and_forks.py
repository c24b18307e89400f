"""Published revisions never change; forks share keys and record their lineage."""

import threading
import time

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.test import TestCase

from blueprints import selectors, services, signals
from blueprints.models import Blueprint, File, FileStatus, Revision
from blueprints.tests import samples
from blueprints.tests.conftest import draft_of, make_member, ready_file, upload_file
from core.exceptions import ApplicationError

pytestmark = pytest.mark.django_db


# --- Immutability -------------------------------------------------------------------------------


def test_a_new_blueprint_has_an_empty_draft_revision_one(blueprint, owner):
    draft = draft_of(blueprint)

    assert (draft.number, draft.is_published, draft.author) == (1, False, owner)
    assert blueprint.latest_revision is None
    assert blueprint.slug == "desert-buggy-chassis"


def test_publishing_needs_files_all_checked(blueprint, owner):
    draft = draft_of(blueprint)
    with pytest.raises(ApplicationError, match="at least one file"):
        services.revision_publish(revision=draft, user=owner)

    services.upload_start(revision=draft, user=owner, name="frame.stl", size=684, content_type="")
    with pytest.raises(ApplicationError, match="Wait until this file has been checked: frame.stl"):
        services.revision_publish(revision=draft, user=owner)


def test_publishing_updates_what_the_library_shows(published):
    revision = published.latest_revision

    assert revision.number == 1
    assert revision.is_published
    assert revision.change_notes == "First release."
    assert published.has_model is True
    assert published.cover_key == revision.files.get(original_name="sketch.png").preview_key
    assert published.last_published_at == revision.published_at


def test_a_published_revision_refuses_uploads_and_removals_in_services(published, owner):
    revision = published.latest_revision
    file = revision.files.first()

    with pytest.raises(ApplicationError, match="published and cannot change"):
        services.upload_start(revision=revision, user=owner, name="more.png", size=10, content_type="")
    with pytest.raises(ApplicationError, match="published and cannot change"):
        services.file_remove(file=file, user=owner)
    with pytest.raises(ApplicationError, match="published and cannot change"):
        services.revision_update(revision=revision, user=owner, change_notes="rewritten")
    with pytest.raises(ApplicationError, match="published and cannot change"):
        services.revision_publish(revision=revision, user=owner)


@pytest.mark.parametrize(
    "write",
    [
        lambda revision: Revision.objects.filter(pk=revision.pk).update(change_notes="rewritten"),
        lambda revision: Revision.objects.filter(pk=revision.pk).update(is_published=False, published_at=None),
        lambda revision: Revision.objects.filter(pk=revision.pk).update(number=7),
        lambda revision: Revision.objects.filter(pk=revision.pk).delete(),
        lambda revision: File.objects.filter(revision=revision).update(storage_key="blobs/sha256/other"),
        lambda revision: File.objects.filter(revision=revision).update(sha256="0" * 64),
        lambda revision: File.objects.filter(revision=revision).update(original_name="renamed.stl"),
        lambda revision: File.objects.filter(revision=revision).update(status=FileStatus.PENDING),
        lambda revision: File.objects.filter(revision=revision).delete(),
        lambda revision: File.objects.create(
            revision=revision,
            original_name="sneaked.stl",
            file_type="stl",
            kind="cad_model",
            content_type="model/stl",
            size=1,
        ),  # fmt: skip
    ],
    ids=["notes", "unpublish", "renumber", "delete", "key", "hash", "rename", "status", "remove-file", "add-file"],
)
def test_the_database_refuses_every_change_to_a_published_revision(published, write):
    revision = published.latest_revision

    with pytest.raises(IntegrityError, match="published"), transaction.atomic():
        write(revision)


def test_derived_data_of_a_published_file_may_be_rebuilt(published):
    file = published.latest_revision.files.get(original_name="frame.stl")

    File.objects.filter(pk=file.pk).update(preview_key="previews/v2/new.png", triangle_count=12)

    file.refresh_from_db()
    assert file.preview_key == "previews/v2/new.png"


def test_staff_hide_a_published_revision_instead_of_deleting_it(published, owner, staff):
    revision = published.latest_revision
    with pytest.raises(PermissionDenied):
        services.revision_hide(revision=revision, user=owner)

    services.revision_hide(revision=revision, user=staff)

    revision.refresh_from_db()
    published.refresh_from_db()
    assert revision.is_hidden
    assert Revision.objects.filter(pk=revision.pk).exists()
    assert published.latest_revision is None
    assert published not in selectors.listed_blueprints()


def test_a_new_revision_starts_from_the_latest_files_with_the_same_keys(published, owner):
    first = published.latest_revision

    second = services.revision_create(blueprint=published, user=owner)

    assert (second.number, second.based_on) == (2, first)
    assert sorted(second.files.values_list("original_name", "storage_key")) == sorted(
        first.files.values_list("original_name", "storage_key")
    )
    with pytest.raises(ApplicationError, match="same files as revision 1"):
        services.revision_publish(revision=second, user=owner)
    with pytest.raises(ApplicationError, match="still a draft"):
        services.revision_create(blueprint=published, user=owner)


def test_a_second_revision_with_a_changed_file_is_published_and_compared(published, owner):
    second = services.revision_create(blueprint=published, user=owner)
    services.file_remove(file=second.files.get(original_name="frame.stl"), user=owner)
    upload_file(second, owner, "frame.stl", samples.binary_stl(scale=2))
    upload_file(second, owner, "plan.pdf", samples.pdf())
    services.file_remove(file=second.files.get(original_name="sketch.png"), user=owner)
    services.revision_publish(revision=second, user=owner, change_notes="Twice the size.")

    comparison = selectors.revision_compare(
        old=selectors.revision_by_id_for_viewer(pk=published.latest_revision_id, user=owner),
        new=selectors.revision_by_id_for_viewer(pk=second.pk, user=owner),
    )

    assert [change.name for change in comparison.added] == ["plan.pdf"]
    assert [change.name for change in comparison.removed] == ["sketch.png"]
    assert [change.name for change in comparison.changed] == ["frame.stl"]
    assert comparison.unchanged == []
    published.refresh_from_db()
    assert published.latest_revision == second


def test_only_the_owner_adds_revisions_and_uploads(published, other):
    with pytest.raises(PermissionDenied):
        services.revision_create(blueprint=published, user=other)
    with pytest.raises(PermissionDenied):
        services.upload_start(revision=published.latest_revision, user=other, name="a.png", size=5, content_type="")


def test_the_licence_is_fixed_once_a_revision_is_published(blueprint, published, owner):
    with pytest.raises(ApplicationError, match="cannot change once a revision is published"):
        services.blueprint_update(blueprint=published, user=owner, licence="CC0-1.0")

    services.blueprint_update(
        blueprint=published, user=owner, title="Desert buggy chassis Mk II", tags=["Dune ", "dune"]
    )

    published.refresh_from_db()
    assert (published.title, published.tags) == ("Desert buggy chassis Mk II", ["dune"])


def test_only_open_licences_exist(owner):
    with pytest.raises(ApplicationError) as refused:
        services.blueprint_create(owner=owner, title="Closed", licence="All rights reserved")

    assert "licence" in refused.value.extra["fields"]


# --- Forks and lineage -------------------------------------------------------------------------


def test_a_fork_shares_keys_records_lineage_and_credits_the_original(published, other):
    received = []
    signals.blueprint_forked.connect(lambda **kwargs: received.append(kwargs), weak=False, dispatch_uid="t")
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            fork = services.blueprint_fork(blueprint=published, user=other)
    finally:
        signals.blueprint_forked.disconnect(dispatch_uid="t")

    first = fork.revisions.get()
    parent_revision = published.latest_revision
    assert fork.owner == other
    assert fork.forked_from == parent_revision
    assert fork.lineage == [published.pk]
    assert (first.number, first.is_published, first.based_on) == (1, False, parent_revision)
    assert "by Grace" in first.change_notes
    assert sorted(first.files.values_list("original_name", "storage_key", "sha256", "status")) == sorted(
        parent_revision.files.values_list("original_name", "storage_key", "sha256", "status")
    )
    published.refresh_from_db()
    assert published.fork_count == 1
    assert received == [
        {
            "signal": signals.blueprint_forked,
            "sender": Blueprint,
            "blueprint_id": fork.pk,
            "owner_id": other.pk,
            "parent_blueprint_id": published.pk,
            "parent_revision_id": parent_revision.pk,
        }
    ]


def test_a_fork_of_a_share_alike_blueprint_keeps_its_licence(published, other):
    with pytest.raises(ApplicationError, match="may only use: CC-BY-SA-4.0"):
        services.blueprint_fork(blueprint=published, user=other, licence="CC0-1.0")


def test_a_draft_cannot_be_forked(blueprint, other):
    with pytest.raises(ApplicationError, match="Only published blueprints"):
        services.blueprint_fork(blueprint=blueprint, user=other)


def _publish_fork(parent, user, title):
    fork = services.blueprint_fork(blueprint=parent, user=user, title=title)
    first = fork.revisions.get()
    upload_file(first, user, f"{fork.slug}.png", samples.png(colour="#123456"))
    services.revision_publish(revision=first, user=user)
    fork.refresh_from_db()
    return fork


def test_the_lineage_tree_has_ancestors_and_descendants_at_any_depth(published, other, django_assert_max_num_queries):
    third = make_member("third@example.com", "Third")
    child = _publish_fork(published, other, "Child")
    grandchild = _publish_fork(child, third, "Grandchild")
    sibling = _publish_fork(published, third, "Sibling")
    _unpublished = services.blueprint_fork(blueprint=child, user=other, title="Unpublished")

    with django_assert_max_num_queries(2):
        tree = selectors.blueprint_lineage(blueprint=published)
        names = [(node.blueprint.title, [kid.blueprint.title for kid in node.children]) for node in tree.descendants]
    lineage = selectors.blueprint_lineage(blueprint=grandchild)

    assert names == [("Child", ["Grandchild"]), ("Sibling", [])]
    assert tree.descendant_count == 3
    assert [ancestor.title for ancestor in lineage.ancestors] == ["Desert buggy chassis", "Child"]
    assert grandchild.lineage == [published.pk, child.pk]
    assert sibling.lineage == [published.pk]


def test_publish_announces_on_commit_only(blueprint, owner):
    draft = draft_of(blueprint)
    upload_file(draft, owner, "frame.stl", samples.binary_stl())
    received = []
    signals.revision_published.connect(lambda **kwargs: received.append(kwargs), weak=False, dispatch_uid="t")
    try:
        with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
            services.revision_publish(revision=draft, user=owner)
        assert received == []
        for callback in callbacks:
            callback()
    finally:
        signals.revision_published.disconnect(dispatch_uid="t")

    assert received[0]["revision_id"] == draft.pk
    assert received[0]["number"] == 1


def test_an_unpublished_blueprint_can_be_discarded_by_its_owner(blueprint, owner, other):
    with pytest.raises(PermissionDenied):
        services.blueprint_discard(blueprint=blueprint, user=other)

    services.blueprint_discard(blueprint=blueprint, user=owner)

    assert not Blueprint.objects.filter(pk=blueprint.pk).exists()


def test_a_published_blueprint_cannot_be_discarded(published, owner):
    with pytest.raises(ApplicationError, match="cannot be deleted"):
        services.blueprint_discard(blueprint=published, user=owner)


@pytest.mark.django_db(transaction=True)
def test_a_file_added_while_its_revision_is_being_published_is_refused_by_the_database():
    owner = make_member("race@example.com", "Race")
    blueprint = services.blueprint_create(owner=owner, title="Race")
    draft = draft_of(blueprint)
    ready_file(draft, "first.stl")
    locked = threading.Event()

    def publish() -> None:
        try:
            with transaction.atomic():
                services.revision_publish(revision=draft, user=owner)
                locked.set()
                time.sleep(0.5)  # the revision row stays locked while the other connection inserts
        finally:
            connection.close()

    publisher = threading.Thread(target=publish)
    publisher.start()
    assert locked.wait(10)
    try:
        # Passed every service check before the publish; the trigger waits for the publish to commit.
        with pytest.raises(IntegrityError, match="published: files cannot be added"):
            ready_file(draft, "late.stl")
    finally:
        publisher.join()

    assert list(draft.files.values_list("original_name", flat=True)) == ["first.stl"]
