"""`manage.py seed_scale`: community-scale data that keeps every rule of the platform.

Seeded at a five-hundredth of the full size (50 members, 2 challenges, 100 blueprints ...).
"""

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from core.scale import BASE_SIZES, PASSWORD, SHOWCASE_EMAILS, SHOWCASE_SLUG

SCALE = 0.002
NOW = "2026-11-30T04:00:00+00:00"
pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_scale", "--scale", str(SCALE), "--now", NOW, *args, stdout=out)
    return out.getvalue()


def scalar(sql: str, params: list[Any] | None = None) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def rows(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def expected(name: str) -> int:
    return max(1, round(BASE_SIZES[name] * SCALE))


@pytest.fixture
def seeded(fast_password_hashing: None) -> str:
    return seed()


def test_the_sizes_follow_the_scale(seeded: str) -> None:
    assert scalar("SELECT count(*) FROM community_user") == expected("members")
    assert scalar('SELECT count(*) FROM account_emailaddress WHERE verified AND "primary"') == expected("members")
    assert scalar("SELECT count(*) FROM challenges_challenge") == expected("challenges")
    assert scalar("SELECT count(*) FROM challenges_phase") == expected("phases")
    assert scalar("SELECT count(*) FROM blueprints_blueprint") == expected("blueprints")
    assert scalar("SELECT count(*) FROM blueprints_revision") == expected("revisions")
    assert scalar("SELECT count(*) FROM blueprints_file") == expected("files")
    assert scalar("SELECT count(*) FROM community_comment") == expected("comments")
    assert scalar("SELECT count(*) FROM community_notification") == expected("notifications")
    # Entries, scores and votes as far as the small community allows (every prize needs entries).
    assert abs(scalar("SELECT count(*) FROM submissions_entry") - expected("entries")) <= 10
    assert 0.8 * expected("scores") <= scalar("SELECT count(*) FROM submissions_score") <= expected("scores")
    assert 0.8 * expected("votes") <= scalar("SELECT count(*) FROM submissions_vote") <= expected("votes")
    assert "Rows per table:" in seeded
    assert "community_user" in seeded


def test_the_showcase_objects_exist(seeded: str) -> None:
    from community.models import Notification, User

    for email in SHOWCASE_EMAILS.values():
        assert User.objects.get(email=email).check_password(PASSWORD)
    assert User.objects.get(email=SHOWCASE_EMAILS["staff"]).is_staff
    challenge = rows(
        "SELECT id, owner_id, status, invite_only FROM challenges_challenge WHERE slug = %s", [SHOWCASE_SLUG]
    )[0]
    assert challenge[1] == User.objects.get(email=SHOWCASE_EMAILS["client"]).pk
    assert challenge[2:] == ("open", False)
    assert scalar("SELECT count(*) FROM challenges_challenge WHERE owner_id = %s", [challenge[1]]) >= 2
    assert scalar(
        "SELECT count(*) FROM challenges_judgeassignment "
        "WHERE challenge_id = %s AND judge_id = %s AND status = 'accepted'",
        [challenge[0], User.objects.get(email=SHOWCASE_EMAILS["judge"]).pk],
    )
    gallery = scalar(
        "SELECT count(*) FROM submissions_entry e JOIN challenges_phase p ON p.id = e.phase_id "
        "WHERE p.challenge_id = %s AND p.kind = 'concept' AND e.status = 'submitted'",
        [challenge[0]],
    )
    assert gallery == expected("showcase_gallery_entries")
    assert scalar(
        "SELECT count(*) FROM community_comment c JOIN django_content_type t ON t.id = c.content_type_id "
        "WHERE t.model = 'challenge' AND c.object_id = %s",
        [challenge[0]],
    ) == expected("showcase_challenge_comments")
    blueprint = scalar("SELECT id FROM blueprints_blueprint WHERE slug = %s", [SHOWCASE_SLUG])
    assert scalar("SELECT count(*) FROM blueprints_revision WHERE blueprint_id = %s", [blueprint]) == max(
        2, expected("showcase_blueprint_revisions")
    )
    member = User.objects.get(email=SHOWCASE_EMAILS["member"])
    assert Notification.objects.filter(recipient=member).count() == expected("showcase_member_notifications")
    assert member.follows.count() > 0


def test_the_ledger_balances_and_matches_the_challenges(seeded: str) -> None:
    assert (
        rows("SELECT transaction_id FROM payments_entry GROUP BY transaction_id, currency HAVING sum(amount) <> 0")
        == []
    )
    assert (
        rows(
            "SELECT a.id FROM payments_account a JOIN payments_entry e ON e.account_id = a.id "
            "WHERE a.has_floor GROUP BY a.id HAVING sum(e.amount) < 0"
        )
        == []
    )
    funded = dict(
        rows(
            "SELECT t.challenge_id, sum(e.amount) FROM payments_ledgertransaction t "
            "JOIN payments_entry e ON e.transaction_id = t.id JOIN payments_account a ON a.id = e.account_id "
            "WHERE t.kind = 'funding' AND a.kind = 'escrow' GROUP BY t.challenge_id"
        )
    )
    escrow = dict(
        rows(
            "SELECT a.challenge_id, sum(e.amount) FROM payments_account a JOIN payments_entry e ON e.account_id = a.id "
            "WHERE a.kind = 'escrow' GROUP BY a.challenge_id"
        )
    )
    for pk, status, budget in rows("SELECT id, status, budget FROM challenges_challenge"):
        if status in ("open", "completed"):
            assert funded[pk] >= budget  # only payments opens a challenge, once escrow covers the budget
        elif status in ("draft", "cancelled"):
            assert pk not in funded
        else:
            assert funded.get(pk, 0) < budget
        if status == "completed":
            assert escrow[pk] == 0  # every prize paid, the rest refunded
    # Every award share moved to a payable once, with its payout; paid payouts are in the ledger.
    assert (
        rows(
            "SELECT s.id FROM submissions_awardshare s LEFT JOIN payments_ledgertransaction t "
            "ON t.idempotency_key = 'award-share:' || s.id WHERE t.id IS NULL"
        )
        == []
    )
    assert rows("SELECT a.id FROM submissions_award a JOIN submissions_awardshare s ON s.award_id = a.id "
                "GROUP BY a.id, a.amount HAVING sum(s.amount) <> a.amount") == []  # fmt: skip
    assert scalar("SELECT count(*) FROM payments_payout WHERE status = 'paid' AND paid_transaction_id IS NULL") == 0


def test_statuses_follow_the_lifecycles(seeded: str) -> None:
    assert (
        rows(
            "SELECT p.id FROM challenges_phase p JOIN challenges_challenge c ON c.id = p.challenge_id "
            "WHERE (c.status = 'completed' AND p.status <> 'closed') "
            "OR (c.status IN ('draft', 'funding') AND p.status <> 'scheduled') "
            "OR (c.status = 'cancelled' AND p.status <> 'cancelled')"
        )
        == []
    )
    assert (
        rows("SELECT id FROM challenges_challenge WHERE status IN ('open', 'completed') AND published_at IS NULL") == []
    )
    # Entries only in phases that opened; their revisions published; scores only for submitted
    # entries, by the challenge's accepted judges, on the phase's criteria.
    assert (
        rows(
            "SELECT e.id FROM submissions_entry e JOIN challenges_phase p ON p.id = e.phase_id "
            "JOIN blueprints_revision r ON r.id = e.revision_id JOIN blueprints_blueprint b ON b.id = r.blueprint_id "
            "WHERE p.status IN ('scheduled', 'cancelled') OR NOT r.is_published OR b.owner_id <> e.lead_author_id"
        )
        == []
    )
    assert (
        rows(
            "SELECT s.id FROM submissions_score s JOIN submissions_entry e ON e.id = s.entry_id "
            "JOIN challenges_phase p ON p.id = e.phase_id JOIN challenges_criterion k ON k.id = s.criterion_id "
            "LEFT JOIN challenges_judgeassignment j ON j.challenge_id = p.challenge_id AND j.judge_id = s.judge_id "
            "AND j.status = 'accepted' AND j.conflict_declared_at IS NOT NULL AND NOT j.has_conflict "
            "WHERE e.status <> 'submitted' OR j.id IS NULL OR k.phase_id <> p.id "
            "OR p.status NOT IN ('judging', 'awarded', 'closed')"
        )
        == []
    )
    # Nobody enters or votes on their own challenge or one they judge, or votes on their own entry;
    # an entered revision has files, all ready; nothing was awarded or paid after the data's clock.
    entered_or_voted_by_owner_or_judge = (
        "SELECT a.id FROM submissions_entryauthor a JOIN submissions_entry e ON e.id = a.entry_id "
        "JOIN challenges_phase p ON p.id = e.phase_id JOIN challenges_challenge c ON c.id = p.challenge_id "
        "WHERE a.user_id = c.owner_id OR a.user_id IN "
        "(SELECT judge_id FROM challenges_judgeassignment j WHERE j.challenge_id = c.id AND judge_id IS NOT NULL) "
        "UNION ALL SELECT v.id FROM submissions_vote v JOIN submissions_entry e ON e.id = v.entry_id "
        "JOIN challenges_phase p ON p.id = e.phase_id JOIN challenges_challenge c ON c.id = p.challenge_id "
        "WHERE v.voter_id = c.owner_id OR v.voter_id IN (SELECT user_id FROM submissions_entryauthor "
        "WHERE entry_id = e.id) OR v.voter_id IN (SELECT judge_id FROM challenges_judgeassignment j "
        "WHERE j.challenge_id = c.id AND judge_id IS NOT NULL)"
    )
    assert rows(entered_or_voted_by_owner_or_judge) == []
    entries_without_ready_files = (
        "SELECT e.id FROM submissions_entry e LEFT JOIN blueprints_file f ON f.revision_id = e.revision_id "
        "GROUP BY e.id HAVING count(f.id) = 0 OR bool_or(f.status <> 'ready')"
    )
    assert rows(entries_without_ready_files) == []
    in_the_future = (
        "SELECT id FROM submissions_award WHERE awarded_at > %s UNION ALL "
        "SELECT id FROM payments_payout WHERE paid_at > %s UNION ALL "
        "SELECT id FROM submissions_vote WHERE created_at > %s"
    )
    assert rows(in_the_future, [NOW, NOW, NOW]) == []
    assert rows("SELECT id FROM blueprints_file WHERE status <> 'ready' OR storage_key = '' OR sha256 = ''") == []
    assert (
        rows(
            "SELECT b.id FROM blueprints_blueprint b LEFT JOIN blueprints_revision r ON r.id = b.latest_revision_id "
            "WHERE b.latest_revision_id IS NOT NULL AND (NOT r.is_published OR r.blueprint_id <> b.id)"
        )
        == []
    )
    assert scalar("SELECT sum(reputation) FROM community_user") == scalar(
        "SELECT sum(points) FROM community_reputationentry"
    )


def test_the_same_seed_gives_the_same_data(fast_password_hashing: None) -> None:
    columns = {
        "community_user": "display_name, country, date_joined",
        "blueprints_blueprint": "title, category, description, last_published_at",
        "submissions_entry": "title, status, submitted_at",
        "submissions_score": "value",
        "payments_entry": "amount",
        "community_comment": "body, created_at",
    }
    checksums = [
        f"SELECT md5(string_agg(concat_ws('|', {names}), ',' ORDER BY id)) FROM {table}"  # noqa: S608
        for table, names in columns.items()
    ]
    sums = []
    for _run in range(2):
        with transaction.atomic():
            seed("--seed", "7")
            sums.append([scalar(sql) for sql in checksums])
            transaction.set_rollback(True)
    assert sums[0] == sums[1]
    assert None not in sums[0]


def test_it_refuses_a_database_that_has_members(seeded: str) -> None:
    before = scalar("SELECT count(*) FROM community_user")
    with pytest.raises(CommandError, match="already has members"):
        seed()
    assert scalar("SELECT count(*) FROM community_user") == before
