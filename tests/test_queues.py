"""Queues per concern: each task goes to its concern's queue (`config/celery_routes.py`), so a flood of
file processing never waits in front of a payout."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from amqp.exceptions import ChannelError
from django.utils import timezone

from config.celery import app
from config.celery_routes import (
    CONCERNS,
    DEFAULT,
    FILES,
    MAIL,
    NOTIFICATIONS,
    PAYOUTS,
    PHASES,
    all_queues,
    queue_for,
    queue_name,
    queues_arg,
)
from tests import nodes

# Every task of the project and the queue it must go to (the spec; a new task needs a line here).
EXPECTED = {
    "payments.payout_execute": PAYOUTS,
    "payments.sweep": PAYOUTS,
    "payments.reconcile": DEFAULT,
    "payments.notify_payout_method_changed": MAIL,
    "challenges.sweep": PHASES,
    "challenges.sweep_batch": PHASES,
    "challenges.phase_advance": PHASES,
    "challenges.notify_owner_phase_held": MAIL,
    "challenges.send_judge_invitation": MAIL,
    "challenges.notify_closing_phases": NOTIFICATIONS,
    "blueprints.process_file": FILES,
    "blueprints.refresh_file": FILES,
    "blueprints.sweep_stale_uploads": FILES,
    "community.send_notification_email": MAIL,
    "community.send_digest": MAIL,
    "community.send_digests": NOTIFICATIONS,
    "community.comment_followers_notify": NOTIFICATIONS,
    "dossiers.build_package": FILES,
    "dossiers.render_still": FILES,
    "dossiers.sweep": FILES,
    "core.worker_probe": DEFAULT,
}


def project_tasks() -> list[str]:
    app.loader.import_default_modules()
    return sorted(name for name in app.tasks if not name.startswith("celery."))


def test_every_task_of_the_project_is_in_the_routing_spec():
    assert project_tasks() == sorted(EXPECTED)


@pytest.mark.parametrize(("task", "concern"), sorted(EXPECTED.items()))
def test_each_task_is_routed_to_its_concerns_queue(task, concern, settings):
    route = app.amqp.router.route({}, task)

    assert route["queue"].name == queue_name(concern)
    assert route["queue"].name == f"{settings.CELERY_TASK_DEFAULT_QUEUE}.{concern}".rstrip(".")


@pytest.mark.parametrize(
    ("task", "concern"),
    [
        ("payments.refund_execute", PAYOUTS),
        ("challenges.phase_reopen", PHASES),
        ("submissions.rank_refresh", PHASES),
        ("blueprints.render_turntable", FILES),
        ("community.send_welcome_mail", MAIL),
        ("submissions.send_award_letter", MAIL),
        ("payments.notify_batch_due", NOTIFICATIONS),
        ("community.follow_suggestions", NOTIFICATIONS),
        ("core.cleanup", DEFAULT),
    ],
)
def test_a_new_task_lands_on_its_concerns_queue_by_its_name_alone(task, concern):
    assert queue_for(task, prefix="cw") == queue_name(concern, prefix="cw")


def test_an_explicit_queue_given_when_sending_wins_over_the_route():
    route = app.amqp.router.route({"queue": "elsewhere"}, "payments.payout_execute")

    assert route["queue"].name == "elsewhere"


def test_the_queues_carry_the_deployments_prefix_so_test_runs_never_meet(settings):
    prefix = settings.CELERY_TASK_DEFAULT_QUEUE

    assert all_queues() == [prefix, *(f"{prefix}.{concern}" for concern in CONCERNS)]
    assert queues_arg() == ",".join(all_queues())
    assert queues_arg(PAYOUTS, MAIL) == f"{prefix}.payouts,{prefix}.mail"
    assert [queue.name for queue in app.conf.task_queues] == all_queues()
    assert queue_for("payments.payout_execute", prefix="other") == "other.payouts"


def message_counts(names: list[str]) -> dict[str, int]:
    counts = {}
    with app.connection_for_write() as connection:
        channel: Any = connection.default_channel
        for name in names:
            try:
                counts[name] = channel.queue_declare(queue=name, passive=True).message_count
            except ChannelError:  # Redis keeps no empty queue
                counts[name] = 0
    return counts


def backlog(concern: str) -> int:
    return message_counts([queue_name(concern)])[queue_name(concern)]


def purge(names: list[str]) -> None:
    with app.connection_for_write() as connection:
        channel: Any = connection.default_channel
        for name in names:
            channel.queue_purge(name)


def test_sent_tasks_wait_in_their_concerns_queue_on_the_real_broker(settings):
    # A prefix no worker of this run consumes: the messages stay where the router put them.
    settings.CELERY_TASK_DEFAULT_QUEUE = f"routing-{uuid.uuid4().hex[:8]}"
    queues = all_queues()
    sent = {
        "payments.payout_execute": (10**9,),
        "challenges.phase_advance": (10**9, timezone.now().isoformat()),
        "blueprints.process_file": (10**9,),
        "community.comment_followers_notify": (10**9,),
        "community.send_notification_email": (10**9,),
        "core.worker_probe": ("routing",),
    }
    try:
        for name, args in sent.items():
            app.tasks[name].apply_async(args=args)

        counts = message_counts(queues)
    finally:
        purge(queues)

    assert counts == {queue_name(DEFAULT): 1, **{queue_name(concern): 1 for concern in CONCERNS}}


@pytest.fixture
def fakebank_everywhere(tmp_path: Path, settings: Any, monkeypatch: Any) -> dict[str, str]:
    """The pretend bank as payout provider, in this process and in the workers' environment."""
    from payments.tests import fakebank
    from tests.support import FAST_PASSWORD_HASHERS

    root = tmp_path / "fakebank"
    env = {
        "FAKEBANK_DIR": str(root),
        "PAYMENTS_PAYOUT_PROVIDER": fakebank.NAME,
        "PAYMENTS_EXTRA_PROVIDERS": f"{fakebank.NAME}={fakebank.PATH}",
    }
    settings.PAYMENTS_PAYOUT_PROVIDERS = {**settings.PAYMENTS_PAYOUT_PROVIDERS, fakebank.NAME: fakebank.PATH}
    settings.PAYMENTS_PAYOUT_PROVIDER = fakebank.NAME
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS
    monkeypatch.setenv("FAKEBANK_DIR", str(root))
    fakebank.bank_dir()
    return env


FLOOD = 1000


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_flood_of_file_processing_does_not_delay_a_payout(fakebank_everywhere):
    from blueprints.tasks import process_file
    from payments.models import Payout, PayoutStatus
    from payments.tests.factories import bank_account, funded_challenge, prize
    from tests.support import UserFactory

    owner, staff, winner = UserFactory.create(), UserFactory.create(is_staff=True), UserFactory.create()
    challenge = funded_challenge(owner, staff=staff)
    bank_account(winner)
    env = nodes.node_env(**fakebank_everywhere)
    files_worker = nodes.worker("files", queue_name(FILES), env, concurrency=1)
    payouts_worker = nodes.worker("payouts", queue_name(PAYOUTS), env, concurrency=1)
    with nodes.running([files_worker, payouts_worker]):
        nodes.workers_ready([files_worker, payouts_worker])
        # Files that do not exist: each task is quick, but they are many and one worker takes them in turn.
        for n in range(FLOOD):
            process_file.apply_async(args=(10**9 + n,))
        assert backlog(FILES) > 0

        payout = prize(challenge, winner, "250.00")  # committed: its task goes to the broker

        nodes.wait_for(
            lambda: Payout.objects.get(pk=payout.pk).status == PayoutStatus.PAID, 60, "the payout to be paid"
        )
        waiting_when_paid = backlog(FILES)
        purge([queue_name(FILES)])

    # Paid while file tasks were still waiting: it never queued behind them.
    assert waiting_when_paid > 0, "the payout waited until every file task was done"
    assert Payout.objects.get(pk=payout.pk).status == PayoutStatus.PAID
