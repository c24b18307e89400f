"""Read replicas (`core.db_router`): which reads go to the replica, and the bounded-staleness rule.

No streaming replica here: the `replica` alias is what DATABASE_REPLICA_URL makes it in tests, a test mirror of
`default` reached through a connection of its own (so, like a replica, it sees only committed rows; the tests
commit: `transaction=True`). Which connection ran a query tells where the router sent it.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any, cast

import pytest
from django.core import signing
from django.db import connections, router, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from community.models import User
from core import db_router
from core.db_router import PRIMARY, REPLICA, STICKY_COOKIE
from tests.accounts import confirm_account
from tests.test_settings import ROOT, boot_settings

ROUTER = "core.db_router.ReplicaRouter"
MIDDLEWARE = "core.middleware.ReplicaRoutingMiddleware"

pytestmark = pytest.mark.django_db(transaction=True, databases=[PRIMARY, REPLICA])


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The `replica` alias of the settings with DATABASE_REPLICA_URL, made a test mirror as Django's test
    runner makes one: the test database, through a separate connection."""
    default = connections[PRIMARY].settings_dict
    connections.settings[REPLICA] = {**default, "TEST": {**default["TEST"], "MIRROR": PRIMARY}}
    connections[REPLICA].creation.set_as_test_mirror(default)
    try:
        yield
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]


@pytest.fixture(autouse=True)
def replica_routing(settings: Any) -> None:
    """The router and middleware as the settings install them with DATABASE_REPLICA_URL."""
    settings.DATABASE_ROUTERS = [ROUTER]
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(middleware.index("core.caching.PublicCacheMiddleware") + 1, MIDDLEWARE)
    settings.MIDDLEWARE = middleware
    settings.PUBLIC_CACHE_SECONDS = 0
    settings.REPLICA_STICKY_SECONDS = 5


@pytest.fixture
def ada(password: str) -> User:
    from community.services import user_create

    return confirm_account(user_create(email="ada@example.com", password=password, display_name="Ada Lovelace"))


def tables(queries: CaptureQueriesContext) -> str:
    return "\n".join(query["sql"] for query in queries.captured_queries)


class Where:
    """The queries each alias ran while the block ran."""

    def __init__(self) -> None:
        self.primary = CaptureQueriesContext(connections[PRIMARY])
        self.replica = CaptureQueriesContext(connections[REPLICA])

    def __enter__(self) -> Where:
        self.primary.__enter__()
        self.replica.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.replica.__exit__(*exc)
        self.primary.__exit__(*exc)


def sticky_cookie(*, age_seconds: int) -> str:
    """The signed cookie `remember_write` sets, as it reads `age_seconds` after it was set."""
    signer = signing.get_cookie_signer(salt=STICKY_COOKIE + db_router._STICKY_SALT)
    issued = signing.b62_encode(int(time.time()) - age_seconds)
    return signing.Signer.sign(signer, f"1{signer.sep}{issued}")


# --- Requests --------------------------------------------------------------------------------------------


def test_a_public_page_reads_its_rows_from_the_replica(client, ada):
    with Where() as where:
        response = client.get("/members/")

    assert response.status_code == 200
    assert "Ada Lovelace" in response.content.decode()  # the replica sees committed rows
    assert "community_user" in tables(where.replica)
    assert "community_user" not in tables(where.primary)
    assert STICKY_COOKIE not in response.cookies  # reading sends nobody to the primary


def test_a_signed_in_members_public_page_reads_the_replica_but_the_session_from_the_primary(client, ada):
    client.force_login(ada)

    with Where() as where:
        response = client.get("/members/")

    assert response.status_code == 200
    assert 'data-testid="signed-in-as"' in response.content.decode()
    assert "django_session" not in tables(where.replica)  # sessions: the cache, else the primary
    assert "community_user" in tables(where.replica)


def test_a_public_api_list_reads_the_replica(client, ada):
    with Where() as where:
        response = client.get("/api/v1/members/")

    assert response.status_code == 200
    assert "community_user" in tables(where.replica)
    assert "community_user" not in tables(where.primary)


def test_a_page_that_is_not_public_reads_the_primary(client, ada):
    client.force_login(ada)

    with Where() as where:
        response = client.get("/members/notifications/")

    assert response.status_code == 200
    assert where.replica.captured_queries == []
    assert "community_user" in tables(where.primary)


def test_a_page_that_fills_the_shared_cache_is_rendered_from_the_primary(client, ada, settings):
    # The cache's versions move when the primary commits: a page from a lagging replica would be kept
    # under the new version as if current.
    settings.PUBLIC_CACHE_SECONDS = 300

    with Where() as where:
        response = client.get("/members/", {"q": f"fill-{time.monotonic_ns()}"})

    assert response.status_code == 200
    assert where.replica.captured_queries == []
    assert "community_user" in tables(where.primary)


def test_a_signed_in_page_that_fills_the_personal_cache_is_rendered_from_the_primary(client, ada, settings):
    # The personal cache keys its entries by the same versions: what it stores must come from the primary.
    settings.PUBLIC_CACHE_SECONDS = 300
    client.force_login(ada)

    with Where() as where:
        response = client.get("/members/", {"q": f"fill-{time.monotonic_ns()}"})

    assert response.status_code == 200
    assert where.replica.captured_queries == []
    assert "community_user" in tables(where.primary)


def test_a_post_reads_and_writes_the_primary_and_sends_the_client_to_the_primary_for_the_sticky_window(
    client, ada, password
):
    with Where() as where:
        response = client.post("/accounts/login/", {"login": ada.email, "password": password})

    assert response.status_code == 302  # signed in
    assert where.replica.captured_queries == []
    cookie = response.cookies[STICKY_COOKIE]
    assert cookie["max-age"] == 5
    assert cookie["httponly"]

    with Where() as where:
        assert client.get("/members/").status_code == 200
    assert where.replica.captured_queries == []
    assert "community_user" in tables(where.primary)


def test_after_the_sticky_window_the_client_reads_the_replica_again(client, ada):
    client.cookies[STICKY_COOKIE] = sticky_cookie(age_seconds=4)
    with Where() as where:
        client.get("/members/")
    assert where.replica.captured_queries == []

    client.cookies[STICKY_COOKIE] = sticky_cookie(age_seconds=6)
    with Where() as where:
        client.get("/members/")
    assert "community_user" in tables(where.replica)


def test_a_forged_sticky_cookie_changes_nothing(client, ada):
    client.cookies[STICKY_COOKIE] = "1:forged:signature"

    with Where() as where:
        assert client.get("/members/").status_code == 200

    assert "community_user" in tables(where.replica)


def test_an_api_token_that_wrote_reads_the_primary_for_the_sticky_window(client, ada, password):
    from community.models import ApiToken
    from community.services import api_token_create, user_create

    _token, raw = api_token_create(user=ada, name="script", scope="read-write")
    bob = confirm_account(user_create(email="bob@example.com", password=password, display_name="Bob"))
    bobs_token, bobs_raw = api_token_create(user=bob, name="script", scope="read")
    ApiToken.objects.filter(pk=bobs_token.pk).update(last_used_at=timezone.now())  # no write on use for a while
    ada_calls = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    bob_calls = {"HTTP_AUTHORIZATION": f"Bearer {bobs_raw}"}

    # A write by Ada's script (an unsafe method), which keeps no cookies ...
    client.post("/api/v1/members/", {}, **ada_calls)
    client.cookies.clear()

    # ... sends Ada's script to the primary, and nobody else.
    with Where() as where:
        assert client.get("/api/v1/members/", **ada_calls).status_code == 200
    assert where.replica.captured_queries == []
    with Where() as where:
        assert client.get("/api/v1/members/", **bob_calls).status_code == 200
    assert "community_user" in tables(where.replica)


# --- The router itself -------------------------------------------------------------------------------------


def test_reads_after_a_write_in_the_same_request_go_to_the_primary(ada):
    with db_router.request_routing(replica_allowed=True), Where() as where:
        assert User.objects.filter(pk=ada.pk).exists()
        ada.display_name = "Ada King"
        ada.save(update_fields=["display_name"])
        assert User.objects.get(pk=ada.pk).display_name == "Ada King"

    assert len(where.replica.captured_queries) == 1  # the read before the write
    assert "UPDATE" in tables(where.primary)
    assert where.primary.captured_queries[-1]["sql"].startswith("SELECT")  # the read after it


def test_reads_inside_a_transaction_go_to_the_primary(ada):
    with db_router.request_routing(replica_allowed=True), Where() as where:
        with transaction.atomic():
            User.objects.get(pk=ada.pk)
        User.objects.get(pk=ada.pk)

    assert "community_user" in tables(where.primary)  # inside
    assert len(where.replica.captured_queries) == 1  # after


def test_reads_outside_a_request_go_to_the_primary(ada):
    # Celery tasks, commands and the shell: no request marked them.
    with Where() as where:
        User.objects.get(pk=ada.pk)

    assert where.replica.captured_queries == []
    assert len(where.primary.captured_queries) == 1


def test_money_sessions_and_tokens_are_always_read_from_the_primary():
    from django.contrib.sessions.models import Session

    from community.models import ApiToken
    from payments.models import Payout

    with db_router.request_routing(replica_allowed=True):
        assert router.db_for_read(Payout) == PRIMARY
        assert router.db_for_read(Session) == PRIMARY
        assert router.db_for_read(ApiToken) == PRIMARY
        assert router.db_for_read(User) == REPLICA


def test_writes_and_migrations_go_to_the_primary_only_and_objects_of_both_may_relate(ada):
    with db_router.request_routing(replica_allowed=True):
        assert router.db_for_write(User) == PRIMARY
        from_replica = User.objects.using(REPLICA).get(pk=ada.pk)

    assert router.allow_migrate(PRIMARY, "community") is True
    assert router.allow_migrate(REPLICA, "community") is False
    assert router.allow_relation(from_replica, ada) is True


# --- Settings ----------------------------------------------------------------------------------------------


def boot(env: dict[str, str]) -> dict[str, Any]:
    """The databases, routers and middleware a fresh process reads from `env` alone."""
    return cast(dict[str, Any], boot_settings(env, PRINT_DATABASES))


PRINT_DATABASES = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'databases': s.DATABASES, 'routers': s.DATABASE_ROUTERS, 'middleware': s.MIDDLEWARE}))"
)


@pytest.mark.django_db(databases=[])
def test_without_a_replica_url_there_is_no_replica_and_no_router():
    values = boot({})

    assert set(values["databases"]) == {"default"}
    assert values["routers"] == []
    assert MIDDLEWARE not in values["middleware"]


@pytest.mark.django_db(databases=[])
def test_a_replica_url_adds_the_replica_as_a_test_mirror_with_the_router_and_middleware():
    values = boot({"DATABASE_REPLICA_URL": "postgres://reader@replica.internal:5432/coachworks"})

    replica = values["databases"]["replica"]
    assert replica["HOST"] == "replica.internal"
    assert replica["TEST"]["MIRROR"] == "default"
    assert values["routers"] == [ROUTER]
    middleware = values["middleware"]
    assert middleware.index(MIDDLEWARE) == middleware.index("core.caching.PublicCacheMiddleware") + 1


@pytest.mark.django_db(databases=[])
def test_transaction_pooling_turns_off_server_side_cursors_and_prepared_statements():
    session = boot({})["databases"]["default"]
    pooled = boot(
        {"DATABASE_POOL_MODE": "transaction", "DATABASE_REPLICA_URL": "postgres://reader@replica.internal/cw"}
    )["databases"]

    assert session.get("DISABLE_SERVER_SIDE_CURSORS", False) is False
    for alias in ("default", "replica"):
        assert pooled[alias]["DISABLE_SERVER_SIDE_CURSORS"] is True
        assert pooled[alias]["OPTIONS"]["prepare_threshold"] is None
        assert pooled[alias]["CONN_MAX_AGE"] == 60


@pytest.mark.django_db(databases=[])
def test_an_unknown_pool_mode_stops_every_process_at_start():
    # PgBouncer's "statement" mode cannot run transactions at all; a typo must not pass for "session" either.
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_POOL_MODE": "statement"},
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "DATABASE_POOL_MODE must be 'session' or 'transaction', not 'statement'" in result.stderr
