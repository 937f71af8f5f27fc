"""A published (or retired) service version cannot be changed by any query.

Applications pin the version they were made under, so editing a published row
would silently change what people applied for. The model refuses in save() and
delete(); these triggers refuse in the database too. The one update allowed is
retiring a published version (status -> 'retired', retired_at set) with every
other column unchanged.

PostgreSQL refuses UPDATE and DELETE (TRUNCATE, used by the test flush, does not
fire row triggers). SQLite refuses UPDATE; a DELETE guard there would also fire on
Django's flush (DELETE FROM every table), which transactional and browser tests
rely on, so on SQLite deletion is refused by the model alone.
"""

from django.db import migrations

FROZEN = [
    "service_id", "number", "definition", "content_hash", "created_at", "created_by_id",
    "created_from", "source_hash", "published_at", "published_by_id", "category", "channels", "opens",
    "closes", "deliverable", "time_limit_days", "time_limit_kind", "district_codes",
]
TABLE = "catalog_serviceversion"
MESSAGE = "a published service version cannot be changed"

PG_CHANGED = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in FROZEN)
PG_FORWARD = f"""
CREATE OR REPLACE FUNCTION catalog_version_immutable() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status IN ('published', 'retired') THEN
      RAISE EXCEPTION '{MESSAGE} or deleted' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.status = 'retired'
     OR (OLD.status = 'published' AND (NEW.status <> 'retired' OR {PG_CHANGED})) THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER catalog_version_immutable BEFORE UPDATE OR DELETE ON {TABLE}
  FOR EACH ROW EXECUTE FUNCTION catalog_version_immutable();
"""
PG_REVERSE = f"""
DROP TRIGGER IF EXISTS catalog_version_immutable ON {TABLE};
DROP FUNCTION IF EXISTS catalog_version_immutable();
"""

SQLITE_CHANGED = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FROZEN)
SQLITE_FORWARD = f"""
CREATE TRIGGER catalog_version_immutable BEFORE UPDATE ON {TABLE}
FOR EACH ROW WHEN OLD.status = 'retired'
  OR (OLD.status = 'published' AND (NEW.status <> 'retired' OR {SQLITE_CHANGED}))
BEGIN
  SELECT RAISE(ABORT, '{MESSAGE}');
END;
"""
SQLITE_REVERSE = "DROP TRIGGER IF EXISTS catalog_version_immutable;"


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)


def reverse(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_REVERSE)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(forward, reverse)]
