"""The audit trail is append-only, held by PostgreSQL itself: a staff action is never deleted and
never rewritten (no code path, admin, raw SQL or bug can clean up after itself). The one change
allowed is the one the foreign keys make: when a user is deleted, their id in `actor` or `member`
becomes NULL (the row keeps `actor_label`)."""

from django.db import migrations

SQL = r"""
CREATE FUNCTION core_staffaction_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'staff action % cannot be deleted: the audit trail is append-only', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF (NEW.id, NEW.at, NEW.actor_label, NEW.action, NEW.summary, NEW.reason, NEW.content_type_id,
        NEW.object_id, NEW.object_repr, NEW.challenge_id, NEW.challenge_label, NEW.before, NEW.after)
       IS DISTINCT FROM
       (OLD.id, OLD.at, OLD.actor_label, OLD.action, OLD.summary, OLD.reason, OLD.content_type_id,
        OLD.object_id, OLD.object_repr, OLD.challenge_id, OLD.challenge_label, OLD.before, OLD.after)
       OR (NEW.actor_id IS DISTINCT FROM OLD.actor_id AND NEW.actor_id IS NOT NULL)
       OR (NEW.member_id IS DISTINCT FROM OLD.member_id AND NEW.member_id IS NOT NULL) THEN
        RAISE EXCEPTION 'staff action % cannot be changed: the audit trail is append-only', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER core_staffaction_append_only
    BEFORE UPDATE OR DELETE ON core_staffaction
    FOR EACH ROW EXECUTE FUNCTION core_staffaction_append_only();
"""

REVERSE_SQL = r"""
DROP TRIGGER IF EXISTS core_staffaction_append_only ON core_staffaction;
DROP FUNCTION IF EXISTS core_staffaction_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("core", "0001_staff_actions")]

    operations = [migrations.RunSQL(SQL, REVERSE_SQL)]
