"""Many nodes on one machine: 2 web processes (gunicorn) behind a round-robin proxy, 3 Celery workers and
2 beats against one PostgreSQL, Redis and S3 (the test run's). The core loop is driven over HTTP through
the proxy with personal API tokens: members upload files straight to S3 with presigned POSTs and
complete them, publish their revisions and enter phases that all open and close at the same moment
(moved by the beats' sweeps and armed tasks); a judge scores every entry, the judge awards, and the
workers pay every prize through a pretend bank. Meanwhile one worker and one web process are killed
with SIGKILL and started again.

Afterwards: each phase moved once per step, each payout paid once (at the bank and in the ledger),
the ledger balanced, every upload ready with its bytes in S3. The figures go to
var/bench/many-nodes.json.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from django.db.models import Sum
from django.utils import timezone

from config.celery_routes import queues_arg
from conftest import ROOT
from tests import nodes

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CHALLENGES = 3
MEMBERS = 3
PRIZES = ("3000", "1500", "500")
ENTRY_SECONDS = 30  # how long the phases stay open for the entries
BENCH = ROOT / "var" / "bench" / "many-nodes.json"


class Api:
    """Calls through the proxy as one member (a new TCP connection per request, so requests spread
    over the web processes); connection failures (a web process just died) are tried again."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.headers = {"Authorization": f"Bearer {token}"}
        self.retried = 0

    def call(self, method: str, path: str, body: Any = None, expect: tuple[int, ...] = (200, 201)) -> Any:
        for attempt in range(5):
            try:
                response = requests.request(
                    method, self.base + path, json=body, headers=self.headers, timeout=60, allow_redirects=False
                )
            except requests.ConnectionError:
                if method != "GET" and attempt:
                    raise
                self.retried += 1
                time.sleep(0.5)
                continue
            if response.status_code == 502:  # noqa: PLR2004
                self.retried += 1
                continue
            assert response.status_code in expect, (method, path, response.status_code, response.text[:800])
            return response.json() if response.content else None
        raise AssertionError(f"{method} {path}: no web process answered")


def fakebank_env(tmp_path: Path, settings: Any, monkeypatch: Any) -> tuple[Path, dict[str, str]]:
    from payments.tests import fakebank

    root = tmp_path / "fakebank"
    monkeypatch.setenv("FAKEBANK_DIR", str(root))
    settings.PAYMENTS_PAYOUT_PROVIDERS = {**settings.PAYMENTS_PAYOUT_PROVIDERS, fakebank.NAME: fakebank.PATH}
    settings.PAYMENTS_PAYOUT_PROVIDER = fakebank.NAME
    fakebank.bank_dir()
    return root, {
        "FAKEBANK_DIR": str(root),
        "PAYMENTS_PAYOUT_PROVIDER": fakebank.NAME,
        "PAYMENTS_EXTRA_PROVIDERS": f"{fakebank.NAME}={fakebank.PATH}",
    }


def test_many_nodes_move_each_phase_once_pay_each_prize_once_and_lose_no_upload(tmp_path, settings, monkeypatch):
    from blueprints import services as blueprint_services
    from blueprints.models import File, FileStatus
    from blueprints.tests import samples
    from challenges import services as challenge_services
    from challenges.models import Phase, PhaseStatus, PhaseTransition
    from challenges.tests.factories import make_challenge, publish
    from community.services import api_token_create
    from core.s3 import internal_client
    from payments.models import Entry, LedgerTransaction, Payout, PayoutStatus, TransactionKind
    from payments.tests import fakebank
    from payments.tests.factories import bank_account, receive
    from submissions.tests.factories import accept_judge
    from tests.support import FAST_PASSWORD_HASHERS, UserFactory

    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS
    bank, bank_vars = fakebank_env(tmp_path, settings, monkeypatch)
    env = nodes.node_env(
        **bank_vars,
        CHALLENGES_SWEEP_SECONDS="2",
        CHALLENGES_ARM_AHEAD_SECONDS="6",
        PAYMENTS_SWEEP_SECONDS="2",
        PAYMENTS_STALE_CLAIM_SECONDS="5",
        # A task held by a killed worker goes to another one after this (production: an hour).
        CELERY_VISIBILITY_TIMEOUT="30",
    )
    ports = [nodes.free_port(), nodes.free_port()]
    webs = [nodes.web(f"web-{n}", port, env) for n, port in enumerate(ports)]
    workers = [nodes.worker(f"worker-{n}", queues_arg(), env, concurrency=2) for n in range(3)]
    beats = [nodes.beat(f"beat-{n}", env) for n in range(2)]
    figures: dict[str, Any] = {"web": len(webs), "workers": len(workers), "beats": len(beats), "kills": []}
    began = time.monotonic()

    def logs() -> str:
        return "\n".join(f"--- {n.name}\n{n.log_tail(2500)}" for n in [*webs, *workers, *beats])

    # The people: a client, staff, a judge and members with payout accounts and API tokens.
    owner, staff, judge = UserFactory.create(), UserFactory.create(is_staff=True), UserFactory.create()
    members = [UserFactory.create() for _ in range(MEMBERS)]
    for member in members:
        bank_account(member)

    def token(user: Any) -> str:
        return api_token_create(user=user, name="many nodes", scope="read-write", expires_in_days=1)[1]

    with nodes.running(workers[:1] + webs), nodes.RoundRobinProxy(ports) as proxy:
        apis = {member.pk: Api(proxy.url, token(member)) for member in members}
        judge_api = Api(proxy.url, token(judge))
        nodes.wait_for(lambda: all(nodes.port_answers(p) for p in ports), 60, lambda: f"the web processes\n{logs()}")
        with nodes.running(workers[1:] + beats):
            nodes.workers_ready(workers)

            # 1. Uploads: a slot from the API, the bytes straight to S3, "complete"; a worker checks each.
            files = {}
            for n, member in enumerate(members):
                blueprint = blueprint_services.blueprint_create(
                    owner=member, title=f"Node design {n}", description="Many nodes.", category="chassis", tags=[]
                )
                data = samples.png(colour=f"#{40 * n + 10:02x}4010")
                slot = apis[member.pk].call(
                    "POST",
                    f"/api/v1/blueprints/{blueprint.slug}/revisions/1/uploads/",
                    {"name": f"design-{n}.png", "size": len(data), "content_type": "image/png"},
                )
                assert requests.post(
                    slot["upload"]["url"], data=slot["upload"]["fields"], files={"file": ("d.png", data)}, timeout=30
                ).status_code in (200, 204)
                apis[member.pk].call("POST", f"/api/v1/blueprints/files/{slot['file']['id']}/complete/")
                files[member.pk] = (blueprint.slug, slot["file"]["id"])
                if n == 0:
                    # A worker dies just after the first upload was completed; the other uploads go on.
                    figures["files_not_ready_at_kill"] = File.objects.filter(
                        pk=slot["file"]["id"], status=FileStatus.PENDING
                    ).count()
                    workers[0].kill()
                    figures["kills"].append("worker-0 during the uploads")
            workers[0].start()
            nodes.wait_for(
                lambda: (
                    File.objects.filter(pk__in=[f for _, f in files.values()], status=FileStatus.READY).count()
                    == MEMBERS
                ),
                120,
                lambda: f"every upload to be ready\n{logs()}",
            )
            revisions = {
                member.pk: apis[member.pk].call(
                    "POST", f"/api/v1/blueprints/{files[member.pk][0]}/revisions/1/publish/", {}
                )["id"]
                for member in members
            }

            # 2. Challenges whose phases all open at one moment and close at another.
            opens = timezone.now() + timedelta(seconds=6)
            phases = []
            for n in range(CHALLENGES):
                challenge = make_challenge(owner, title=f"Many nodes {n}", budget="50000")
                phases.append(
                    challenge_services.phase_create(
                        challenge=challenge,
                        by=owner,
                        kind="concept",
                        title="Concept",
                        opens_at=opens,
                        closes_at=opens + timedelta(seconds=ENTRY_SECONDS),
                        judging_ends_at=opens + timedelta(days=7),
                        entry_limit=1,
                        prizes=[Decimal(p) for p in PRIZES],
                        criteria=[challenge_services.CriterionData("Design", 1)],
                        now=timezone.now(),
                    )
                )
                accept_judge(challenge, judge)
                publish(challenge, staff=staff)
                receive(challenge, "50000.00", staff=staff)
            phase_ids = [p.pk for p in phases]

            def phases_in(status: str) -> bool:
                return Phase.objects.filter(pk__in=phase_ids, status=status).count() == CHALLENGES

            def phase_statuses() -> dict[int, str]:
                return dict(Phase.objects.filter(pk__in=phase_ids).values_list("pk", "status"))

            nodes.wait_for(lambda: phases_in(PhaseStatus.OPEN), 60, lambda: f"the phases to open\n{logs()}")

            # 3. Entries, while a web process dies and comes back.
            webs[0].kill()
            figures["kills"].append("web-0 during the entries")
            entries: dict[int, list[int]] = {}
            for phase in phases:
                for member in members:
                    entry = apis[member.pk].call(
                        "POST",
                        "/api/v1/entries/",
                        {"phase": phase.pk, "revision": revisions[member.pk], "title": f"Entry {member.pk}"},
                    )
                    entries.setdefault(phase.pk, []).append(entry["id"])
                if phase is phases[0]:
                    webs[0].start()
            nodes.wait_for(lambda: nodes.port_answers(ports[0]), 60, lambda: f"web-0 to come back\n{logs()}")
            nodes.wait_for(lambda: phases_in(PhaseStatus.JUDGING), ENTRY_SECONDS + 60, lambda: f"judging\n{logs()}")

            (bank / "crash-after").write_text("")  # see 5.

            # 4. The judge scores every entry and awards every phase (through the proxy).
            for phase in phases:
                (criterion,) = judge_api.call("GET", f"/api/v1/phases/{phase.pk}/criteria/")
                for rank, entry_id in enumerate(entries[phase.pk]):
                    judge_api.call(
                        "PUT",
                        f"/api/v1/entries/{entry_id}/scores/",
                        [{"criterion": criterion["id"], "value": 9 - rank}],
                    )
                choices = [{"rank": rank + 1, "entry": entry_id} for rank, entry_id in enumerate(entries[phase.pk])]
                preview = judge_api.call("POST", f"/api/v1/phases/{phase.pk}/awards/preview/", {"awards": choices})
                judge_api.call(
                    "POST",
                    f"/api/v1/phases/{phase.pk}/awards/",
                    {"awards": choices, "fingerprint": preview["fingerprint"]},
                )

            # 5. Payouts, while the worker paying one dies between the bank's answer and the ledger write
            # (the bank pays it, then the worker stops there until it is killed) and comes back.
            expected_payouts = CHALLENGES * MEMBERS
            crashed = bank / "reached-after"
            nodes.wait_for(crashed.exists, 60, lambda: f"a worker paying\n{logs()}", interval=0.05)
            paying = os.getpgid(int(crashed.read_text()))
            (victim,) = [node for node in workers if node.process is not None and node.process.pid == paying]
            victim.kill()
            figures["kills"].append(f"{victim.name} between the bank's answer and the ledger write")
            victim.start()
            nodes.wait_for(
                lambda: Payout.objects.filter(status=PayoutStatus.PAID).count() == expected_payouts,
                120,
                lambda: f"every payout to be paid\n{logs()}",
            )
            # A phase closes after its last payout commits; when the kill fell between that commit and the close
            # (the killed worker's other process), the payments sweep closes it.
            nodes.wait_for(
                lambda: phases_in(PhaseStatus.CLOSED),
                120,
                lambda: f"the paid phases to close: {phase_statuses()}\n{logs()}",
            )
            for node in [*webs, *workers, *beats]:
                assert node.alive, f"{node.name} died\n{logs()}"
        figures["proxy_connections"] = {str(port): count for port, count in proxy.connections.items()}
        figures["proxy_refused"] = proxy.refused
        figures["client_retries"] = sum(api.retried for api in [*apis.values(), judge_api])

    # Each phase made each move once.
    moves = Counter(PhaseTransition.objects.filter(phase__in=phase_ids).values_list("phase_id", "to_status"))
    expected_moves = {(pk, status) for pk in phase_ids for status in ("open", "judging", "awarded", "closed")}
    assert set(moves) == expected_moves
    duplicated_moves = sum(count - 1 for count in moves.values())
    assert duplicated_moves == 0

    # Each prize paid once: at the bank, in the payouts and in the ledger; the books balance.
    paid = list(Payout.objects.filter(status=PayoutStatus.PAID))
    assert len(paid) == expected_payouts
    assert fakebank.payments_made(bank) == sorted(p.idempotency_key for p in paid)
    # The killed worker's payout is asked again (under load a slow one may be too); every repeated call is
    # answered with its first result, so no payment is made twice (checked just above).
    duplicated_payments = len(fakebank.calls(bank)) - len(set(fakebank.calls(bank)))
    assert duplicated_payments >= 1
    assert LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT).count() == expected_payouts
    assert sum((p.amount for p in paid), Decimal(0)) == CHALLENGES * sum(Decimal(p) for p in PRIZES)
    balances = {row["currency"]: row["total"] for row in Entry.objects.values("currency").annotate(total=Sum("amount"))}
    assert all(total == 0 for total in balances.values()), balances

    # No upload lost: every file ready, its bytes under their content address in S3.
    s3 = internal_client()
    ready = list(File.objects.filter(pk__in=[f for _, f in files.values()]))
    assert [f.status for f in ready] == [FileStatus.READY] * MEMBERS
    for file in ready:
        assert s3.head_object(Bucket=settings.S3_BUCKET, Key=file.storage_key)["ContentLength"] == file.size

    figures.update(
        {
            "phases": CHALLENGES,
            "phase_moves": sum(moves.values()),
            "duplicate_moves": duplicated_moves,
            "payouts_paid": len(paid),
            "bank_calls": len(fakebank.calls(bank)),
            "duplicate_payments": len(fakebank.payments_made(bank)) - len(set(fakebank.payments_made(bank))),
            "bank_calls_repeated_after_the_kill": duplicated_payments,
            "ledger_balance": {currency: str(total) for currency, total in balances.items()},
            "uploads": MEMBERS,
            "uploads_lost": MEMBERS - len(ready),
            "kills_survived": len(figures["kills"]),
            "seconds": round(time.monotonic() - began, 1),
        }
    )
    BENCH.parent.mkdir(parents=True, exist_ok=True)
    BENCH.write_text(json.dumps(figures, indent=2) + "\n")
