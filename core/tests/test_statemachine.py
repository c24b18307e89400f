"""The one form of every lifecycle: a table of moves, who may make each, and the refusals said."""

import pytest
from django.utils.translation import override

from core.actors import Actor
from core.exceptions import Conflict, NotAllowed
from core.statemachine import Move, StateMachine

LABELS = {"new": "New", "done": "Done", "gone": "Gone"}

MACHINE = StateMachine(
    "task",
    [
        Move("new", "done", roles={"worker"}),
        Move("new", "gone", roles={"boss", "system"}, refusal="Only the boss removes it."),
    ],
    labels=LABELS.__getitem__,
    conflict="It cannot go from %(from)s to %(to)s.",
    refusal="You may not move it to %(to)s.",
)


def test_a_move_in_the_table_is_allowed_for_its_roles_only():
    assert MACHINE.allows("new", "done")
    assert MACHINE.allows("new", "done", {"worker"})
    assert not MACHINE.allows("new", "done", {"boss"})
    assert not MACHINE.allows("done", "new")
    assert ("new", "gone") in MACHINE


def test_targets_are_listed_in_the_order_declared_and_by_role():
    assert MACHINE.targets("new") == ["done", "gone"]
    assert MACHINE.targets("new", {"boss"}) == ["gone"]
    assert MACHINE.targets("done") == []


def test_check_returns_the_move_or_refuses_with_the_machines_messages():
    assert MACHINE.check("new", "done", {"worker"}).target == "done"
    with pytest.raises(Conflict, match="It cannot go from Done to New."):
        MACHINE.check("done", "new", {"worker", "boss"})
    with pytest.raises(NotAllowed, match="You may not move it to Done."):
        MACHINE.check("new", "done", {"boss"})
    with pytest.raises(NotAllowed, match="Only the boss removes it."):  # the move's own refusal first
        MACHINE.check("new", "gone", {"worker"})


def test_require_asks_who_may_act_before_the_state():
    MACHINE.require("gone", {"system"})
    with pytest.raises(NotAllowed, match="Only the boss removes it."):
        MACHINE.require("gone", {"worker"})
    MACHINE.require("new", set())  # no move leads there: nothing to refuse on roles


def test_a_message_may_be_a_function_of_the_two_statuses():
    machine = StateMachine(
        "answer",
        [Move("asked", "yes", roles={"them"})],
        conflict=lambda source, target: f"Already {source}, not {target}.",
    )
    with pytest.raises(Conflict, match="Already yes, not asked."):
        machine.check("yes", "asked", {"them"})


def test_messages_are_translated_when_raised():
    with override("de"), pytest.raises(Conflict) as refused:
        StateMachine("x", []).check("a", "b", set())
    assert refused.value.message == "Das kann nicht von „a“ nach „b“ wechseln."


def test_a_move_declared_twice_is_a_mistake():
    with pytest.raises(ValueError, match="declared twice"):
        StateMachine("twice", [Move("a", "b", roles={"r"}), Move("a", "b", roles={"s"})])


def test_authority_comes_from_the_actor_type_never_from_a_string():
    with pytest.raises(ValueError):
        Actor.system("  ")
    with pytest.raises(ValueError):
        Actor(member=None)
    system = Actor.system("payments.funding")
    assert (system.is_system, system.recorded_user, system.system_name) == (True, None, "payments.funding")
