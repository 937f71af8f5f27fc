"""The ledger's invariants, held by the database itself (docs/ledger.md).

PostgreSQL:
- a DEFERRABLE INITIALLY DEFERRED constraint trigger checks, at commit, that the
  postings of every entry written in the transaction sum to zero and that there
  are at least two of them; a raw INSERT that breaks this fails the COMMIT;
- journal entries and postings refuse UPDATE and DELETE (TRUNCATE, used by the
  test flush, fires no row trigger).

SQLite cannot defer a check to commit: the service checks the sum in the same
transaction and ``ekseva ledger check`` catches raw inserts. UPDATE is refused by
a trigger; a DELETE guard would also fire on Django's flush (DELETE FROM every
table) that tests rely on, so there deletion is refused by the model alone.
"""

from django.db import migrations

APPEND_ONLY = ["ledger_journalentry", "ledger_posting"]
MESSAGE = "journal entries and postings are never changed or deleted; post a reversing entry"

PG_FORWARD = f"""
CREATE OR REPLACE FUNCTION ledger_entry_balances() RETURNS trigger AS $$
DECLARE
  entry_pk bigint;
  total numeric;
  n bigint;
BEGIN
  IF TG_TABLE_NAME = 'ledger_posting' THEN
    entry_pk := NEW.entry_id;
  ELSE
    entry_pk := NEW.id;
  END IF;
  SELECT COALESCE(SUM(amount), 0), COUNT(*) INTO total, n
    FROM ledger_posting WHERE entry_id = entry_pk;
  IF total <> 0 THEN
    RAISE EXCEPTION 'journal entry % does not balance: its postings sum to % paise',
      entry_pk, total USING ERRCODE = 'check_violation';
  END IF;
  IF n < 2 THEN
    RAISE EXCEPTION 'journal entry % needs at least two postings, it has %', entry_pk, n
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER ledger_posting_balances AFTER INSERT ON ledger_posting
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_balances();
CREATE CONSTRAINT TRIGGER ledger_entry_balances AFTER INSERT ON ledger_journalentry
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_balances();

CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '{MESSAGE} (%)', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END
$$ LANGUAGE plpgsql;
""" + "".join(
    f"""
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
  FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
"""
    for table in APPEND_ONLY
)

PG_REVERSE = "".join(
    f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};\n" for table in APPEND_ONLY
) + """
DROP TRIGGER IF EXISTS ledger_posting_balances ON ledger_posting;
DROP TRIGGER IF EXISTS ledger_entry_balances ON ledger_journalentry;
DROP FUNCTION IF EXISTS ledger_append_only();
DROP FUNCTION IF EXISTS ledger_entry_balances();
"""

SQLITE_FORWARD = [
    f"""
CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table}
BEGIN
  SELECT RAISE(ABORT, '{MESSAGE}');
END;
"""
    for table in APPEND_ONLY
]
SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS {table}_append_only;" for table in APPEND_ONLY]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def reverse(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_REVERSE, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunPython(forward, reverse)]
