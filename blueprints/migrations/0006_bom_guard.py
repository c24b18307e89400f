"""A published revision's bill of materials never changes, like its files (migration 0002).

Lines of a published revision cannot be added, changed or removed, and a line cannot be moved into
or out of one. Each refusal raises SQLSTATE 23514 (check_violation), an IntegrityError in Django.
"""

from django.db import migrations

BOM_GUARD = """
CREATE OR REPLACE FUNCTION blueprints_bom_guard() RETURNS trigger AS $$
DECLARE
    published boolean;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT is_published INTO published FROM blueprints_revision WHERE id = OLD.revision_id FOR SHARE;
        IF published THEN
            RAISE EXCEPTION 'bill of materials line % belongs to a published revision and cannot change', OLD.id
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'INSERT' OR NEW.revision_id IS DISTINCT FROM OLD.revision_id THEN
        -- FOR SHARE waits for a concurrent publish to commit, then sees it.
        SELECT is_published INTO published FROM blueprints_revision WHERE id = NEW.revision_id FOR SHARE;
        IF published THEN
            RAISE EXCEPTION 'revision % is published: its bill of materials cannot change', NEW.revision_id
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER blueprints_bom_guard
BEFORE INSERT OR UPDATE OR DELETE ON blueprints_revisionpart
FOR EACH ROW EXECUTE FUNCTION blueprints_bom_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("blueprints", "0005_revisionpart")]

    operations = [
        migrations.RunSQL(
            BOM_GUARD,
            reverse_sql="DROP TRIGGER IF EXISTS blueprints_bom_guard ON blueprints_revisionpart;"
            "DROP FUNCTION IF EXISTS blueprints_bom_guard();",
        ),
    ]
