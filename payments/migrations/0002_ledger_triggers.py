"""The ledger's invariants, held by PostgreSQL itself so that no code path (ORM, admin, raw SQL,
`bulk_create`, a bug) can break them:

- `payments_transaction_balanced`: at commit, every ledger transaction touched has at least two
  entries and its entries sum to zero per currency (a DEFERRABLE INITIALLY DEFERRED constraint
  trigger, the approach of django-hordak);
- `payments_account_floor`: at commit, every account with a floor touched is not below zero;
- `payments_entry_currency`: an entry's currency is its account's currency;
- `payments_ledger_append_only`: entries and transactions are never updated or deleted.
"""

from django.db import migrations

SQL = r"""
CREATE FUNCTION payments_check_transaction_balanced() RETURNS trigger AS $$
DECLARE
    txn bigint;
    legs integer;
    unbalanced record;
BEGIN
    IF TG_TABLE_NAME = 'payments_ledgertransaction' THEN
        txn := NEW.id;
    ELSE
        txn := NEW.transaction_id;
    END IF;
    SELECT count(*) INTO legs FROM payments_entry WHERE transaction_id = txn;
    IF legs < 2 THEN
        RAISE EXCEPTION 'ledger transaction % has % entries; a transaction has at least two', txn, legs
            USING ERRCODE = 'check_violation';
    END IF;
    FOR unbalanced IN
        SELECT currency, sum(amount) AS total FROM payments_entry
        WHERE transaction_id = txn GROUP BY currency HAVING sum(amount) <> 0
    LOOP
        RAISE EXCEPTION 'ledger transaction % does not balance in %: entries sum to %',
            txn, unbalanced.currency, unbalanced.total USING ERRCODE = 'check_violation';
    END LOOP;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER payments_transaction_balanced
    AFTER INSERT ON payments_entry DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payments_check_transaction_balanced();
CREATE CONSTRAINT TRIGGER payments_transaction_has_entries
    AFTER INSERT ON payments_ledgertransaction DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payments_check_transaction_balanced();

CREATE FUNCTION payments_check_account_floor() RETURNS trigger AS $$
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

CREATE CONSTRAINT TRIGGER payments_account_floor
    AFTER INSERT ON payments_entry DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payments_check_account_floor();

CREATE FUNCTION payments_check_entry_currency() RETURNS trigger AS $$
BEGIN
    IF NEW.currency IS DISTINCT FROM (SELECT currency FROM payments_account WHERE id = NEW.account_id) THEN
        RAISE EXCEPTION 'entry in % on an account kept in another currency', NEW.currency
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payments_entry_currency
    BEFORE INSERT ON payments_entry
    FOR EACH ROW EXECUTE FUNCTION payments_check_entry_currency();

CREATE FUNCTION payments_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER payments_entry_append_only
    BEFORE UPDATE OR DELETE ON payments_entry
    FOR EACH ROW EXECUTE FUNCTION payments_refuse_change();
CREATE TRIGGER payments_transaction_append_only
    BEFORE UPDATE OR DELETE ON payments_ledgertransaction
    FOR EACH ROW EXECUTE FUNCTION payments_refuse_change();
"""

REVERSE_SQL = r"""
DROP TRIGGER IF EXISTS payments_transaction_append_only ON payments_ledgertransaction;
DROP TRIGGER IF EXISTS payments_entry_append_only ON payments_entry;
DROP TRIGGER IF EXISTS payments_entry_currency ON payments_entry;
DROP TRIGGER IF EXISTS payments_account_floor ON payments_entry;
DROP TRIGGER IF EXISTS payments_transaction_has_entries ON payments_ledgertransaction;
DROP TRIGGER IF EXISTS payments_transaction_balanced ON payments_entry;
DROP FUNCTION IF EXISTS payments_refuse_change();
DROP FUNCTION IF EXISTS payments_check_entry_currency();
DROP FUNCTION IF EXISTS payments_check_account_floor();
DROP FUNCTION IF EXISTS payments_check_transaction_balanced();
"""


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [migrations.RunSQL(SQL, REVERSE_SQL)]
