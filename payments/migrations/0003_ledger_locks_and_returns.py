"""Payouts the bank returns after they were paid (`payout_return`), batches the bank rejected, and
two more ledger invariants held by PostgreSQL:

- `payments_account_floor` now locks the account row (FOR UPDATE) before it sums the entries, so
  two transactions taking money from the same account are serialised at commit even when no
  service locked the account: the second waits, then sees the first's entries and is refused;
- `payments_account_fixed_once_used`: an account with entries keeps its kind, currency, floor and
  owner (challenge, member or provider); its entries would otherwise change meaning.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


FLOOR_LOCKED_SQL = r"""
CREATE OR REPLACE FUNCTION payments_check_account_floor() RETURNS trigger AS $$
DECLARE
    floored boolean;
    balance numeric;
BEGIN
    SELECT has_floor INTO floored FROM payments_account WHERE id = NEW.account_id;
    IF floored THEN
        -- Serialise with every other transaction checking this account: a concurrent one that
        -- passed its check commits before we sum (each statement of this function sees the
        -- newest committed entries under READ COMMITTED).
        PERFORM 1 FROM payments_account WHERE id = NEW.account_id FOR UPDATE;
        SELECT coalesce(sum(amount), 0) INTO balance FROM payments_entry WHERE account_id = NEW.account_id;
        IF balance < 0 THEN
            RAISE EXCEPTION 'ledger account % would end below zero (%)', NEW.account_id, balance
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION payments_check_account_fixed() RETURNS trigger AS $$
BEGIN
    IF (NEW.kind, NEW.currency, NEW.has_floor, NEW.challenge_id, NEW.owner_id, NEW.provider)
            IS DISTINCT FROM (OLD.kind, OLD.currency, OLD.has_floor, OLD.challenge_id, OLD.owner_id, OLD.provider)
        AND EXISTS (SELECT 1 FROM payments_entry WHERE account_id = OLD.id) THEN
        RAISE EXCEPTION 'ledger account % has entries: its kind, currency, floor and owner are fixed', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payments_account_fixed_once_used
    BEFORE UPDATE ON payments_account
    FOR EACH ROW EXECUTE FUNCTION payments_check_account_fixed();
"""

FLOOR_LOCKED_REVERSE_SQL = r"""
DROP TRIGGER IF EXISTS payments_account_fixed_once_used ON payments_account;
DROP FUNCTION IF EXISTS payments_check_account_fixed();
CREATE OR REPLACE FUNCTION payments_check_account_floor() RETURNS trigger AS $$
DECLARE
    floored boolean;
    balance numeric;
BEGIN
    SELECT has_floor INTO floored FROM payments_account WHERE id = NEW.account_id;
    IF floored THEN
        SELECT coalesce(sum(amount), 0) INTO balance FROM payments_entry WHERE account_id = NEW.account_id;
        IF balance < 0 THEN
            RAISE EXCEPTION 'ledger account % would end below zero (%)', NEW.account_id, balance
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('challenges', '0001_initial'),
        ('payments', '0002_ledger_triggers'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='ledgertransaction',
            name='payments_transaction_kind_valid',
        ),
        migrations.RemoveConstraint(
            model_name='payoutbatch',
            name='payments_batch_status_valid',
        ),
        migrations.AddField(
            model_name='payout',
            name='returns',
            field=models.PositiveSmallIntegerField(default=0, verbose_name='returns'),
        ),
        migrations.AddField(
            model_name='payoutbatch',
            name='rejected_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='rejected'),
        ),
        migrations.AddField(
            model_name='payoutbatch',
            name='rejected_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='payoutbatch',
            name='rejection_reason',
            field=models.CharField(blank=True, max_length=500, verbose_name='why the bank rejected it'),
        ),
        migrations.AlterField(
            model_name='ledgertransaction',
            name='kind',
            field=models.CharField(choices=[('funding', 'Funding received'), ('award', 'Award to payable'), ('payout', 'Payout paid'), ('refund', 'Refund of escrow'), ('return', 'Payout returned by the bank')], max_length=10, verbose_name='kind'),
        ),
        migrations.AlterField(
            model_name='payoutbatch',
            name='status',
            field=models.CharField(choices=[('exported', 'Exported'), ('paid', 'Paid'), ('rejected', 'Rejected by the bank')], default='exported', max_length=10, verbose_name='status'),
        ),
        migrations.AddConstraint(
            model_name='ledgertransaction',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['funding', 'award', 'payout', 'refund', 'return'])), name='payments_transaction_kind_valid'),
        ),
        migrations.AddConstraint(
            model_name='payoutbatch',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['exported', 'paid', 'rejected'])), name='payments_batch_status_valid'),
        ),
        migrations.RunSQL(FLOOR_LOCKED_SQL, FLOOR_LOCKED_REVERSE_SQL),
    ]
