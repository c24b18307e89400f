"""The permission matrix: every route of the URL conf and every operation of the OpenAPI schema,
requested by every role, gives the outcome written in `tests/permission_matrix.py`.

One small world is built once for the module (inside a transaction that is rolled back at the
end); every request runs in a savepoint that is rolled back after it, so a request that is
allowed and changes something leaves the world as it was for the next one.

A route or an operation with no entry in the table fails `test_every_route_has_an_entry` /
`test_every_schema_operation_has_an_entry`: add one to `tests/permission_matrix.py`.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter
from typing import Any

import pytest
from django.contrib import admin
from django.db import transaction
from django.test import Client, TestCase, override_settings
from django.urls import URLPattern, URLResolver, get_resolver

from tests import permission_matrix as table
from tests.permission_matrix import ROLES, Case
from tests.support import FAST_PASSWORD_HASHERS

# The per-test transaction nests inside the module's (and asks pytest-django to create the test database).
pytestmark = pytest.mark.django_db

# --- the URL conf and the schema ------------------------------------------------------------


def url_conf_routes() -> list[tuple[str, URLPattern]]:
    """Every route of the URL conf as `/prefix/<conv:name>/...`, the way the table names it."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[tuple[str, URLPattern]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern), pattern

    return list(walk(get_resolver().url_patterns, "/"))


def api_methods(pattern: URLPattern) -> list[str]:
    """The HTTP methods a DRF view class implements (HEAD and OPTIONS aside)."""
    from rest_framework.views import APIView

    view_class = getattr(pattern.callback, "cls", None)
    if view_class is None or not issubclass(view_class, APIView):
        return []
    return [method for method in ("get", "post", "put", "patch", "delete") if hasattr(view_class, method)]


def schema_operations() -> list[tuple[str, str]]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method, path)
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]


def shape(route: str) -> str:
    """A route or schema path with its parameters blanked: `/api/v1/phases/{}/`."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", route)


# --- the world -------------------------------------------------------------------------------


@dataclass
class World:
    users: dict[str, Any]
    objects: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.objects[name] if name in self.objects else self.users[name]
        except KeyError:
            raise AttributeError(name) from None


def build_world() -> World:
    from blueprints import services as blueprint_services
    from challenges import services as challenge_services
    from challenges.tests.factories import add_phase, make_challenge
    from community import services as community_services
    from payments.services import payout_batch_create, payout_execute
    from payments.tests.factories import IBANS, bank_account, funded_challenge, prize
    from submissions.tests.factories import enter, open_phase, published_blueprint, ready_file
    from tests.support import UserFactory

    def user(name: str, **extra: Any) -> Any:
        return UserFactory.create(email=f"{name.replace('_', '-')}@example.com", display_name=name.title(), **extra)

    users = {name: user(name) for name in ("member", "other_member", "client", "other_client", "judge", "other_judge")}
    users["staff"] = user("staff", is_staff=True)
    users["author"] = user("author")
    users["invitee"] = user("invitee")
    w = World(users=users)
    staff, client, author = users["staff"], users["client"], users["author"]

    # Challenges: open and sealed (with its judge), invite-only, a draft, another client's.
    phase = open_phase(client, staff, judges=[users["judge"]], title="Desert ambulance")
    challenge = phase.challenge
    private_phase = open_phase(client, staff, title="Invite-only van", invite_only=True)
    draft = make_challenge(client, title="Secret draft")
    draft_phase = add_phase(draft)
    other_phase = open_phase(users["other_client"], staff, judges=[users["other_judge"]], title="Other client's bus")
    w.objects.update(
        challenge=challenge,
        phase=phase,
        criterion=phase.criteria.order_by("pk").first(),
        assignment=challenge.judge_assignments.get(judge=users["judge"]),
        pending=challenge_services.judge_invite(challenge=challenge, by=client, email=users["invitee"].email),
        private=private_phase.challenge,
        private_phase=private_phase,
        invitation=challenge_services.challenge_invite_member(
            challenge=private_phase.challenge, by=client, email="guest@example.com"
        ),
        draft=draft,
        draft_phase=draft_phase,
        other=other_phase.challenge,
        other_phase=other_phase,
    )

    # Blueprints: the author's with r1 and r2 published and r3 a draft; a rival's.
    blueprint = published_blueprint(author, "Van concept")
    r2 = blueprint_services.revision_create(blueprint=blueprint, user=author)
    file = ready_file(r2, "body.stl")
    blueprint_services.revision_publish(revision=r2, user=author)
    r3 = blueprint_services.revision_create(blueprint=blueprint, user=author)
    draft_file = ready_file(r3, "draft-body.stl")
    blueprint.refresh_from_db()
    rival_blueprint = published_blueprint(users["other_member"], "Rival van")
    w.objects.update(
        blueprint=blueprint,
        r1=blueprint.revisions.get(number=1),
        r2=r2,
        r3=r3,
        file=file,
        draft_file=draft_file,
        rival_blueprint=rival_blueprint,
    )

    # Entries of the sealed open phase: the author's and a rival's.
    w.objects["entry"] = enter(phase, author, blueprint=blueprint)
    w.objects["rival_entry"] = enter(phase, users["other_member"], blueprint=rival_blueprint)

    # Community: a comment, a follow, a notification, an API token and an unsubscribe link of the author.
    comment = community_services.comment_create(
        author=author, label="challenges.challenge", object_id=challenge.pk, body="Which ground clearance?"
    )
    follow = community_services.follow_create(user=author, label="challenges.challenge", object_id=challenge.pk)
    community_services.notify(recipient_ids=[author.pk], kind="entry_scored", event_key="matrix", context={}, url="/")
    token, _secret = community_services.api_token_create(user=author, name="CI", scope="read-write")
    w.objects.update(
        comment=comment,
        follow=follow,
        notification=author.notifications.get(),
        api_token=token,
        unsubscribe_token=community_services.unsubscribe_token(user_id=author.pk),
    )

    # Money: a funded challenge of the other client; the author's payout method and pending prize; the
    # rival's prize submitted to the manual provider and exported in a SEPA batch.
    with TestCase.captureOnCommitCallbacks(execute=True):
        funded = funded_challenge(users["other_client"], staff=staff, title="Funded truck")
    method = bank_account(author)
    bank_account(users["other_member"], iban=IBANS[2])
    exported = prize(funded, users["other_member"], Decimal("50.00"))
    payout_execute(payout_id=exported.pk)
    w.objects.update(
        funded=funded,
        payout_method=method,
        payout=prize(funded, author, Decimal("100.00")),
        batch=payout_batch_create(by=staff),
    )
    for model_user in users.values():
        model_user.refresh_from_db()
    return w


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_PASSWORD_HASHERS), transaction.atomic():
        built = build_world()
        yield built
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def clients(world: World) -> dict[str, Client]:
    signed_in: dict[str, Client] = {"anonymous": Client()}
    for name, user in world.users.items():
        client = Client()
        client.force_login(user)
        signed_in[name] = client
    return signed_in


@pytest.fixture(scope="module")
def staff_admin(world: World) -> Client:
    """A staff session that signed in with password and authenticator code, as the admin demands."""
    from tests.accounts import totp_code
    from tests.support import PASSWORD

    client = Client()
    client.post("/accounts/login/", {"login": world.staff.email, "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": totp_code()})
    assert "_auth_user_id" in client.session, "the staff member could not sign in with password and code"
    return client


# --- requests --------------------------------------------------------------------------------


def fill(route: str, case: Case, world: World) -> str:
    if "url" in case.kwargs:
        return case.kwargs["url"]

    def value(match: re.Match[str]) -> str:
        name = match.group("name")
        return str(attrgetter(case.kwargs[name])(world))

    return re.sub(r"<(?:\w+:)?(?P<name>\w+)>", value, route)


def outcome(response: Any) -> str:
    """The status as the table writes it; a redirect to a sign-in page is `login` / `admin-login`."""
    if response.status_code in (301, 302, 303):
        location = response.headers.get("Location", "")
        if location.startswith("/accounts/login/"):
            return "login"
        if location.startswith("/admin/login/"):
            return "admin-login"
        return "redirect"
    return str(response.status_code)


def resolve(body: Any, world: World) -> Any:
    """The case's body with every `"@path"` string read from the world."""
    if isinstance(body, str) and body.startswith("@"):
        return attrgetter(body[1:])(world)
    if isinstance(body, dict):
        return {key: resolve(value, world) for key, value in body.items()}
    if isinstance(body, list):
        return [resolve(value, world) for value in body]
    return body


def perform(client: Client, method: str, url: str, *, api: bool, body: Any = None) -> Any:
    """One request, undone afterwards: its writes roll back, and the client keeps its session cookie
    (signing out, for one, would otherwise sign the role out of every later request)."""
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        if method == "get":
            response = client.get(url)
        elif api:
            response = getattr(client, method)(url, data=body or {}, content_type="application/json")
        else:
            response = getattr(client, method)(url, data=body or {})
        transaction.set_rollback(True)
    client.cookies = cookies
    return response


def who(role: str, case: Case) -> str:
    return case.owner if role == "owner" else role


# --- the tests -------------------------------------------------------------------------------

CASES = [(route, number, case) for route, cases in table.MATRIX.items() for number, case in enumerate(cases)]


@pytest.mark.parametrize(("route", "number", "case"), CASES, ids=[f"{r} #{n}" for r, n, _c in CASES])
def test_route_outcomes_per_role(world: World, clients: dict[str, Client], route: str, number: int, case: Case) -> None:
    """Every role gets the outcome the table promises, for every method of the route."""
    url = fill(route, case, world)
    api = route.startswith("/api/")
    wrong = []
    for method, expected in case.methods.items():
        for role in ROLES:
            response = perform(clients[who(role, case)], method, url, api=api, body=resolve(case.body, world))
            got = outcome(response)
            if got != expected[role]:
                wrong.append(f"  {method.upper()} as {role}: expected {expected[role]}, got {got}")
    assert not wrong, f"{url} ({route}{' - ' + case.note if case.note else ''}):\n" + "\n".join(wrong)


@pytest.fixture(scope="module")
def tokens(world: World) -> dict[str, str]:
    """A read-write personal API token for every user of the world."""
    from community.services import api_token_create

    return {
        name: api_token_create(user=user, name="matrix", scope="read-write", expires_in_days=30)[1]
        for name, user in world.users.items()
    }


TOKEN_ROLES = ("member", "owner", "judge", "staff")
API_READS = [
    (route, number, case) for route, number, case in CASES if route.startswith("/api/") and "get" in case.methods
]


@pytest.mark.parametrize(("route", "number", "case"), API_READS, ids=[f"{r} #{n}" for r, n, _c in API_READS])
def test_api_reads_with_a_token_match_the_session(
    world: World, tokens: dict[str, str], route: str, number: int, case: Case
) -> None:
    """Programs signing in with a personal token see exactly what the same member sees in the browser."""
    url = fill(route, case, world)
    wrong = []
    for role in TOKEN_ROLES:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {tokens[who(role, case)]}")
        got = outcome(perform(client, "get", url, api=True))
        if got != case.methods["get"][role]:
            wrong.append(f"  GET as {role} (token): expected {case.methods['get'][role]}, got {got}")
    assert not wrong, f"{url} ({route}):\n" + "\n".join(wrong)


def test_every_route_has_an_entry() -> None:
    """A new route fails here until `tests/permission_matrix.py` says who may do what with it."""
    missing = []
    for route, pattern in url_conf_routes():
        if any(route.startswith(prefix) for prefix in table.GROUPS):
            continue
        cases = table.MATRIX.get(route)
        if not cases:
            missing.append(f"{route}: no entry")
            continue
        covered = {method for case in cases for method in case.methods}
        for method in api_methods(pattern):
            if method not in covered:
                missing.append(f"{method.upper()} {route}: no expected outcome")
    assert not missing, "Add these routes to tests/permission_matrix.py (who gets what):\n" + "\n".join(missing)


def test_every_entry_names_a_route() -> None:
    """An entry for a route that no longer exists is stale: remove it."""
    routes = {route for route, _pattern in url_conf_routes()}
    stale = [route for route in table.MATRIX if route not in routes]
    assert not stale, "Remove these entries from tests/permission_matrix.py (no such route):\n" + "\n".join(stale)


def test_every_schema_operation_has_an_entry() -> None:
    """Every operation of the OpenAPI schema has an expected outcome per role in the table."""
    covered = {(method, shape(route)) for route, cases in table.MATRIX.items() for c in cases for method in c.methods}
    missing = [f"{m.upper()} {path}" for m, path in schema_operations() if (m, shape(path)) not in covered]
    assert not missing, "Add these API operations to tests/permission_matrix.py:\n" + "\n".join(missing)


def test_every_admin_model_is_covered_by_the_admin_group(
    world: World, clients: dict[str, Client], staff_admin: Client
) -> None:
    """`/admin/` is one group: no one but staff (signed in with two factors) reaches its index or any
    model's list."""
    urls = ["/admin/"] + [f"/admin/{model._meta.app_label}/{model._meta.model_name}/" for model in admin.site._registry]
    wrong = []
    for url in urls:
        for role in ROLES:
            expected = table.ADMIN[role]
            client = staff_admin if role == "staff" else clients[who(role, Case(kwargs={}, methods={}))]
            got = outcome(perform(client, "get", url, api=False))
            if got != expected:
                wrong.append(f"  GET {url} as {role}: expected {expected}, got {got}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.skipif(not os.environ.get("MATRIX_DUMP"), reason="writes the observed outcomes for the table's author")
def test_dump_observed(world: World, clients: dict[str, Client]) -> None:
    lines = []
    for route, number, case in CASES:
        url = fill(route, case, world)
        for method in case.methods or {"get": {}}:
            got = {
                role: outcome(
                    perform(
                        clients[who(role, case)],
                        method,
                        url,
                        api=route.startswith("/api/"),
                        body=resolve(case.body, world),
                    )
                )
                for role in ROLES
            }
            lines.append(f"{route} #{number} {method}: {table.compact(got)}")
    with open(os.environ["MATRIX_DUMP"], "w") as out:
        out.write("\n".join(lines) + "\n")
