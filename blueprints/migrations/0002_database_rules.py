"""Rules the database keeps even when code forgets them.

- A published revision is immutable: its identity fields never change, it is never deleted (staff
  hide it instead), files are never added to it, removed from it or changed in what they are.
  Derived data (previews and extracted facts) may be rebuilt.
- `search_vector` follows title (weight A), tags (B) and description (C).

Each refusal raises SQLSTATE 23514 (check_violation), which Django reports as an IntegrityError.
"""

from django.db import migrations

REVISION_GUARD = """
CREATE OR REPLACE FUNCTION blueprints_revision_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.is_published THEN
            RAISE EXCEPTION 'revision % is published and cannot be deleted (hide it instead)', OLD.id
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.is_published AND (
        NEW.blueprint_id, NEW.number, NEW.change_notes, NEW.author_id, NEW.based_on_id, NEW.is_published,
        NEW.published_at, NEW.created_at
    ) IS DISTINCT FROM (
        OLD.blueprint_id, OLD.number, OLD.change_notes, OLD.author_id, OLD.based_on_id, OLD.is_published,
        OLD.published_at, OLD.created_at
    ) THEN
        RAISE EXCEPTION 'revision % is published and cannot change', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER blueprints_revision_guard
BEFORE UPDATE OR DELETE ON blueprints_revision
FOR EACH ROW EXECUTE FUNCTION blueprints_revision_guard();
"""

FILE_GUARD = """
CREATE OR REPLACE FUNCTION blueprints_file_guard() RETURNS trigger AS $$
DECLARE
    old_published boolean;
    new_published boolean;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT is_published INTO old_published FROM blueprints_revision WHERE id = OLD.revision_id;
        IF old_published THEN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'file % belongs to a published revision and cannot be removed', OLD.id
                    USING ERRCODE = 'check_violation';
            END IF;
            IF (
                NEW.revision_id, NEW.original_name, NEW.file_type, NEW.kind, NEW.content_type, NEW.size,
                NEW.sha256, NEW.status, NEW.storage_key
            ) IS DISTINCT FROM (
                OLD.revision_id, OLD.original_name, OLD.file_type, OLD.kind, OLD.content_type, OLD.size,
                OLD.sha256, OLD.status, OLD.storage_key
            ) THEN
                RAISE EXCEPTION 'file % belongs to a published revision and cannot change', OLD.id
                    USING ERRCODE = 'check_violation';
            END IF;
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'INSERT' OR NEW.revision_id IS DISTINCT FROM OLD.revision_id THEN
        -- FOR SHARE waits for a concurrent publish to commit, then sees it.
        SELECT is_published INTO new_published FROM blueprints_revision WHERE id = NEW.revision_id FOR SHARE;
        IF new_published THEN
            RAISE EXCEPTION 'revision % is published: files cannot be added to it', NEW.revision_id
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER blueprints_file_guard
BEFORE INSERT OR UPDATE OR DELETE ON blueprints_file
FOR EACH ROW EXECUTE FUNCTION blueprints_file_guard();
"""

SEARCH_VECTOR = """
CREATE OR REPLACE FUNCTION blueprints_search_vector() RETURNS trigger AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A')
        || setweight(to_tsvector('english', coalesce(array_to_string(NEW.tags, ' '), '')), 'B')
        || setweight(to_tsvector('english', coalesce(NEW.description, '')), 'C');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER blueprints_search_vector
BEFORE INSERT OR UPDATE OF title, tags, description, search_vector ON blueprints_blueprint
FOR EACH ROW EXECUTE FUNCTION blueprints_search_vector();
"""


class Migration(migrations.Migration):
    dependencies = [("blueprints", "0001_initial")]

    operations = [
        migrations.RunSQL(
            REVISION_GUARD,
            reverse_sql="DROP TRIGGER IF EXISTS blueprints_revision_guard ON blueprints_revision;"
            "DROP FUNCTION IF EXISTS blueprints_revision_guard();",
        ),
        migrations.RunSQL(
            FILE_GUARD,
            reverse_sql="DROP TRIGGER IF EXISTS blueprints_file_guard ON blueprints_file;"
            "DROP FUNCTION IF EXISTS blueprints_file_guard();",
        ),
        migrations.RunSQL(
            SEARCH_VECTOR,
            reverse_sql="DROP TRIGGER IF EXISTS blueprints_search_vector ON blueprints_blueprint;"
            "DROP FUNCTION IF EXISTS blueprints_search_vector();",
        ),
    ]
