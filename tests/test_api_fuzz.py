"""Every API operation, fuzzed by schemathesis as each role, answers as the OpenAPI schema says.

The schema is loaded from the app itself (`/api/v1/schema/`), then every operation is called with
generated input (valid and invalid bodies and queries, NUL bytes and odd text included) as an
anonymous caller, a member who entered the phase, the client who owns the challenge, a judge of it
and staff, against a small real world (a published open challenge with a phase, a judge, blueprints
with a ready revision, an entry, a comment, a follow, a payout method). Path parameters name that
world's objects, so requests reach the code behind the 404s.

Every response must be no server error, carry a documented status code and content type, and have
a body that matches the documented schema. Each request runs in a savepoint that is rolled back,
so one operation (a DELETE, a transition) never changes the world the next one sees.

Bounded for `make test` (FUZZ_EXAMPLES per operation and role, default 4; derandomized, no
shrinking); `make fuzz` runs the same with FUZZ_EXAMPLES=200.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
ROLES = ["anonymous", "member", "owner", "judge", "staff"]
ABSENT_ID = 999_999
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@dataclass
class World:
    users: dict[str, Any] = field(default_factory=dict)
    ids: dict[str, Any] = field(default_factory=dict)


def _confirmed(user: Any) -> Any:
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    return user


def _build_world() -> World:
    from blueprints import services as blueprint_services
    from challenges.models import JudgeAssignment
    from community import services as community_services
    from community.services import api_token_create
    from payments.tests.factories import bank_account
    from submissions.tests.factories import enter, latest, open_phase, published_blueprint
    from tests.support import UserFactory

    staff = _confirmed(UserFactory(is_staff=True, display_name="Staff"))
    owner = _confirmed(UserFactory(display_name="Client"))
    judge = _confirmed(UserFactory(display_name="Judge"))
    member = _confirmed(UserFactory(display_name="Entrant"))
    phase = open_phase(owner, staff, judges=[judge])
    challenge = phase.challenge
    blueprint = published_blueprint(member, "Fuzzed van", files=2)
    published = latest(blueprint)
    entry = enter(phase, member, blueprint=blueprint)
    draft = blueprint_services.revision_create(blueprint=blueprint, user=member)
    comment = community_services.comment_create(
        author=member, label="challenges.challenge", object_id=challenge.pk, body="Does it float?"
    )
    follow = community_services.follow_create(user=member, label="challenges.challenge", object_id=challenge.pk)
    method = bank_account(member)
    token, _secret = api_token_create(user=member, name="listed", scope="read", expires_in_days=30)
    assignment = JudgeAssignment.objects.get(challenge=challenge, judge=judge)
    return World(
        users={"staff": staff, "owner": owner, "judge": judge, "member": member},
        ids={
            "challenge": challenge.pk,
            "phase": phase.pk,
            "entry": entry.pk,
            "slug": blueprint.slug,
            "numbers": [published.number, draft.number],
            "revisions": [published.pk, draft.pk],
            "file": published.files.order_by("pk")[0].pk,
            "comment": comment.pk,
            "follow": follow.pk,
            "method": method.pk,
            "assignment": assignment.pk,
            "member": member.pk,
            "token": token.pk,
        },
    )


def _path_parameters(path: str, world: World) -> dict[str, Any]:
    """The world's object for every path parameter of `path` (spectacular names `pk` as `id`).

    Every parameter gets a value that matches its URL converter: negative examples then change the
    body and the query, not the path (an id of "-1" never reaches a view: Django's resolver answers)."""
    ids = world.ids
    by_prefix = {
        "/api/v1/blueprints/files/": ids["file"],
        "/api/v1/challenges/": ids["challenge"],
        "/api/v1/payments/challenges/": ids["challenge"],
        "/api/v1/comments/": ids["comment"],
        "/api/v1/entries/": ids["entry"],
        "/api/v1/follows/": ids["follow"],
        "/api/v1/judge-assignments/": ids["assignment"],
        "/api/v1/members/": ids["member"],
        "/api/v1/payments/payout-methods/": ids["method"],
        "/api/v1/phases/": ids["phase"],
        "/api/v1/tokens/": ids["token"],
    }
    params: dict[str, Any] = {}
    if "{slug}" in path:
        params["slug"] = ids["slug"]
    if "{number}" in path:
        params["number"] = ids["numbers"][1 if path.endswith(("/uploads/", "/publish/")) else 0]
    if "{old}" in path:
        params["old"], params["new"] = ids["revisions"]
    if "{id}" in path:
        for prefix, value in sorted(by_prefix.items(), key=lambda item: -len(item[0])):
            if path.startswith(prefix):
                params["id"] = value
                break
    # Objects the world does not hold (payouts, batches, invitations): an id that is valid but absent.
    for name in re.findall(r"{(\w+)}", path):
        params.setdefault(name, ABSENT_ID)
    return params


def _credentials(role: str, world: World) -> dict[str, str]:
    """The headers that sign `role` in: a personal API token (read-write)."""
    if role == "anonymous":
        return {}
    from community.services import api_token_create

    _token, secret = api_token_create(user=world.users[role], name="fuzz", scope="read-write", expires_in_days=30)
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture(scope="module")
def api_schema(django_db_setup: None, django_db_blocker: Any) -> Any:
    with django_db_blocker.unblock():
        return schemathesis.openapi.from_wsgi("/api/v1/schema/", WSGIHandler())


@pytest.fixture
def keep_connection() -> Iterator[None]:
    """Requests run inside the test's transaction: the handler must not close the connection after
    each one (Django's test client does the same)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _check_signed_in(schema: Any, role: str, world: World, headers: dict[str, str], environ: dict[str, str]) -> None:
    """The fuzz means nothing if the credentials do not work: `GET /api/v1/me/` answers as the role."""
    case = schema["/api/v1/me/"]["GET"].Case()
    response = case.call(headers=headers, environ_base=environ)
    if role == "anonymous":
        assert response.status_code == 401, response.text
    else:
        assert response.status_code == 200, response.text
        assert response.json()["email"] == world.users[role].email


def _operations(schema: Any) -> Iterator[Any]:
    for result in schema.get_all_operations():
        yield result.ok()


def _strategy(operation: Any, world: World) -> Any:
    fixed = _path_parameters(operation.path, world)
    return st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed),
        operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=fixed),
        operation.as_strategy(GenerationMode.POSITIVE),
    )


def _fuzz(
    operation: Any,
    world: World,
    headers: dict[str, str],
    environ: dict[str, str],
    record: Callable[..., None],
) -> None:
    @hypothesis_settings(
        max_examples=FUZZ_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_strategy(operation, world))
    def run(case: Any) -> None:
        with transaction.atomic():
            try:
                response = case.call(headers=headers, environ_base=environ)
                case.validate_response(response, checks=CHECKS, headers=headers)
            except FailureGroup as group:
                for failure in group.exceptions:
                    record(failure, response, case)
            finally:
                transaction.set_rollback(True)

    run()


@pytest.fixture
def no_token_lockout(settings: Any) -> None:
    """Anonymous runs send hundreds of made-up tokens (the schema's `apiToken` scheme): at the real limit
    their address would be locked out after 20 and every later answer would be the same 429."""
    settings.API_TOKEN_FAILURE_LIMIT = 10**9


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_as_documented(
    role: str, api_schema: Any, db: None, keep_connection: None, no_token_lockout: None
) -> None:
    """Fuzz every operation as `role`: no 500, and every answer documented (status, type, body)."""
    world = _build_world()
    headers = _credentials(role, world)
    # Each role calls from an address of its own (TEST-NET-1): per-address counters (throttles, token
    # failures) of one role never reach another role or the tests that run after this module.
    environ = {"REMOTE_ADDR": f"192.0.2.{ROLES.index(role) + 1}"}
    _check_signed_in(api_schema, role, world, headers, environ)
    # (operation, check, status) -> one example of what went wrong
    failures: dict[tuple[str, str, int], str] = {}

    def record(failure: Any, response: Any, case: Any) -> None:
        key = (case.operation.label, failure.title, response.status_code)
        if key not in failures:
            body = response.content[:300].decode("utf-8", "replace")
            detail = " ".join(str(failure.message).split())[:600]
            failures[key] = (
                f"{detail}\n      sent: {case.path_parameters} {case.query} {case.body!r:.200}\n      got: {body}"
            )

    for operation in _operations(api_schema):
        _fuzz(operation, world, headers, environ, record)

    report = "\n".join(
        f"  {label} -> {title} ({status}): {example}" for (label, title, status), example in sorted(failures.items())
    )
    assert not failures, f"As {role}: {len(failures)} failures (operation, check, status):\n{report}"
