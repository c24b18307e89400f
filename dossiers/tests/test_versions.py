"""A dossier version on every award and on completion: pinned parts in graph order, made once however
often it is asked for, older versions unchanged, placements carried over to the next version."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from challenges.models import PhaseStatus
from challenges.services import phase_transition
from challenges.tests.factories import make_challenge
from core.actors import Actor
from dossiers.models import Dossier, DossierPart, DossierVersion, PartPlacement
from dossiers.selectors import dossier_view, dossier_view_for_version, phase_graph_order
from dossiers.services import dossier_version_record, dossiers_behind, dossiers_catch_up
from dossiers.tests.factories import PAYOUTS_DONE, award_next_phase, completed_challenge_with_dossier
from tests.support import UserFactory

pytestmark = pytest.mark.django_db


def test_a_completed_challenge_has_a_version_per_award_and_one_for_completion():
    scenario = completed_challenge_with_dossier()

    assert [version.number for version in scenario.versions] == [1, 2, 3, 4, 5]
    assert [version.is_complete for version in scenario.versions] == [False, False, False, False, True]
    assert scenario.dossier.latest_number == 5
    view = dossier_view(user=None, slug=scenario.slug)
    assert (view.number, view.is_complete, view.is_latest) == (5, True, True)
    assert [section.kind for section in view.phases] == ["concept", "front", "wheels_tyres", "drivetrain"]
    assert len(view.parts) == 8
    assert [version.part_count for version in view.versions] == [2, 4, 6, 8, 8]


def test_each_part_pins_the_awarded_entry_revision_licence_and_credits():
    scenario = completed_challenge_with_dossier(phases=("concept", "front"), files_per_entry=2)
    view = dossier_view(user=None, slug=scenario.slug)
    concept = view.phases[0]
    first, second = concept.parts
    entry = scenario.entries[concept.phase_id][0]

    assert (first.rank, second.rank) == (1, 2)
    assert (first.entry_id, first.revision_id) == (entry.pk, entry.revision_id)
    assert first.licence == "CC-BY-SA-4.0"
    assert [(author.name, author.is_lead, author.share_percent) for author in first.authors] == [
        ("Designer 1", True, Decimal("70.00")),
        ("Co-author", False, Decimal("30.00")),
    ]
    assert first.author_ids == {scenario.entrants[0].pk, scenario.co_author.pk}
    assert [(credit.generation, credit.owner_name) for credit in first.upstream] == [(1, "Upstream author")]
    assert {share.kind for share in first.shares} == {"author", "co_author", "lineage"}
    assert sum(share.amount for share in first.shares) == first.prize_amount
    assert second.upstream == ()
    assert [file.name for file in first.files] == ["drawing-1.pdf", "part-1-0.stl", "part-1-1.stl", "render-1.png"]
    assert [file.is_mesh for file in first.files] == [False, True, True, False]
    assert all(len(file.sha256) == 64 and file.size > 0 for file in first.files)
    assert [line.name for line in first.bom] == ["Part 1-1", "Part 1-2"]
    assert first.bom[0].unit_cost == Decimal("40.00")
    assert first.bom[1].unit_cost is None


def test_an_older_version_stays_as_it_was_and_reachable():
    scenario = completed_challenge_with_dossier(phases=("concept", "front"))

    first = dossier_view(user=None, slug=scenario.slug, number=1)

    assert (first.number, first.is_latest, first.is_complete) == (1, False, False)
    assert [len(section.parts) for section in first.phases] == [2, 0]
    assert DossierPart.objects.filter(version__number=1, version__dossier=scenario.dossier).count() == 2


def test_asking_again_with_the_same_awards_makes_no_new_version():
    scenario = completed_challenge_with_dossier(phases=("concept", "front"), awarded_phases=1, complete=False)
    first = scenario.versions[-1]

    again = dossier_version_record(challenge_id=scenario.challenge.pk)

    assert again == first
    assert DossierVersion.objects.filter(dossier__challenge=scenario.challenge).count() == 1


def test_a_challenge_without_awards_has_no_dossier():
    owner = UserFactory.create()
    challenge = make_challenge(owner)

    assert dossier_version_record(challenge_id=challenge.pk) is None
    assert dossier_version_record(challenge_id=0) is None
    assert not Dossier.objects.filter(challenge=challenge).exists()


def test_the_award_signal_records_a_version_once_the_award_commits(django_capture_on_commit_callbacks):
    scenario = completed_challenge_with_dossier(phases=("concept", "front"), awarded_phases=1, complete=False)

    with django_capture_on_commit_callbacks(execute=True):
        award_next_phase(scenario, record=False)
    with django_capture_on_commit_callbacks(execute=True):
        again = dossier_version_record(challenge_id=scenario.challenge.pk)

    versions = list(DossierVersion.objects.filter(dossier__challenge=scenario.challenge).order_by("number"))
    assert [version.number for version in versions] == [1, 2]
    assert again == versions[1]
    assert versions[1].parts.count() == 4


def test_completion_records_a_complete_version_and_announces_it(django_capture_on_commit_callbacks):
    from dossiers.signals import version_recorded

    scenario = completed_challenge_with_dossier(phases=("concept",), complete=False)
    heard: list[dict[str, int]] = []

    def listener(sender: object, **kwargs: int) -> None:
        heard.append({"version_id": kwargs["version_id"], "challenge_id": kwargs["challenge_id"]})

    version_recorded.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            phase_transition(phase=scenario.phases[0], to=PhaseStatus.CLOSED, actor=Actor.system(PAYOUTS_DONE))
    finally:
        version_recorded.disconnect(listener)

    latest = DossierVersion.objects.filter(dossier__challenge=scenario.challenge).order_by("-number").first()
    assert latest is not None
    assert (latest.number, latest.is_complete) == (2, True)
    assert heard == [{"version_id": latest.pk, "challenge_id": scenario.challenge.pk}]


def test_the_sweep_records_the_versions_whose_award_or_completion_was_lost():
    # No on-commit callback runs here: the receivers never hear of the second award or of the completion,
    # as when a worker is killed between the commit and the receiver.
    scenario = completed_challenge_with_dossier(phases=("concept", "front"), awarded_phases=1, complete=False)
    untouched = completed_challenge_with_dossier(phases=("concept",), title="Up to date")
    make_challenge(scenario.owner, title="Not awarded yet")
    assert dossiers_behind() == []

    award_next_phase(scenario, record=False)
    assert dossiers_behind() == [scenario.challenge.pk]
    assert dossiers_catch_up() == 1
    assert dossiers_behind() == []
    latest = DossierVersion.objects.filter(dossier__challenge=scenario.challenge).order_by("-number").first()
    assert latest is not None
    assert (latest.number, latest.is_complete, latest.parts.count()) == (2, False, 4)

    for phase in scenario.phases:
        phase_transition(phase=phase, to=PhaseStatus.CLOSED, actor=Actor.system(PAYOUTS_DONE))
    assert dossiers_behind() == [scenario.challenge.pk]
    assert dossiers_catch_up() == 1
    assert dossiers_catch_up() == 0
    numbers = list(
        DossierVersion.objects.filter(dossier__challenge=scenario.challenge)
        .order_by("number")
        .values_list("number", "is_complete")
    )
    assert numbers == [(1, False), (2, False), (3, True)]
    assert DossierVersion.objects.filter(dossier__challenge=untouched.challenge).count() == len(untouched.versions)


def test_the_sweep_records_the_first_version_of_an_awarded_challenge_without_a_dossier(django_assert_num_queries):
    scenario = completed_challenge_with_dossier(phases=("concept",), awarded_phases=0, complete=False)
    award_next_phase(scenario, record=False)
    assert not Dossier.objects.filter(challenge=scenario.challenge).exists()

    with django_assert_num_queries(1):
        behind = dossiers_behind()

    assert behind == [scenario.challenge.pk]
    assert dossiers_catch_up() == 1
    assert Dossier.objects.get(challenge=scenario.challenge).latest_number == 1


def test_placements_are_carried_over_to_the_next_version():
    scenario = completed_challenge_with_dossier(phases=("concept", "front"), awarded_phases=1, complete=False)
    part = DossierPart.objects.filter(version=scenario.versions[0]).order_by("position").first()
    assert part is not None
    PartPlacement.objects.create(
        part=part, position=[1.0, 2.0, 3.0], rotation=[0.0, 90.0, 0.0], scale=2.0, updated_by=scenario.owner
    )

    award_next_phase(scenario)

    carried = DossierPart.objects.get(version=scenario.versions[1], award=part.award)
    assert carried.pk != part.pk
    assert (carried.placement.position, carried.placement.rotation, carried.placement.scale) == (
        [1.0, 2.0, 3.0],
        [0.0, 90.0, 0.0],
        2.0,
    )
    assert carried.placement.updated_by == scenario.owner
    view = dossier_view_for_version(scenario.versions[1].pk)
    assert view.parts[0].placement.position == (1.0, 2.0, 3.0)
    assert view.parts[2].placement.scale == 1.0  # a new part starts where the scene puts it


def test_phases_come_in_graph_order_then_by_position():
    # 1 concept; 2 depends on 3; 3 depends on 1; 4 free.
    order = phase_graph_order([(10, 1, []), (20, 2, [30]), (30, 3, [10]), (40, 4, [])])

    assert order == [10, 30, 20, 40]


def test_a_cycle_or_unknown_dependency_falls_back_to_position_order():
    assert phase_graph_order([(1, 1, [2]), (2, 2, [1]), (3, 3, [99])]) == [3, 1, 2]


@pytest.mark.django_db(transaction=True)
def test_recording_from_several_workers_at_once_makes_one_dossier_and_one_version():
    scenario = completed_challenge_with_dossier(phases=("concept",), entries_per_phase=1, complete=False)
    Dossier.objects.filter(challenge=scenario.challenge).delete()  # as before the award receiver ran
    start_together = threading.Barrier(4, timeout=15)
    made: list[int] = []
    errors: list[BaseException] = []

    def record() -> None:
        try:
            start_together.wait()
            version = dossier_version_record(challenge_id=scenario.challenge.pk)
            assert version is not None
            made.append(version.pk)
        except BaseException as error:  # reported by the assertions below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=record) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    versions = list(DossierVersion.objects.filter(dossier__challenge=scenario.challenge))
    assert [version.number for version in versions] == [1]
    assert made == [versions[0].pk] * 4
    assert scenario.dossier.latest_number == 1
