"""Human-facing identifiers: fixed format, check character, never repeated.

Format (documented in docs/identifiers.md)::

    <PREFIX><SEQUENCE zero-padded to width><CHECK>
    e.g. application  MP 26 PEB 0001234 X  -> "MP26PEB0001234X"

The check character is ISO 7064 MOD 37,36 (the hybrid system used by e.g. GS1
GMN), computed over prefix + sequence: every single-character typo is caught, and
every swap of two adjacent characters except a swap of two neighbours in the
alphabet (``12``/``21``, ``AB``/``BA``), which slips through in 1 of 36 positions.

Sequences are per *key* (usually the prefix: state + year + department). On
PostgreSQL each key is a database SEQUENCE: ``nextval`` takes no row lock, so
two departments (or two applicants of one department) never wait on each other;
a rolled-back transaction may leave a gap, a number is never issued twice.
Elsewhere (SQLite, whose writes are serialised anyway) a row per key is bumped
with an atomic ``INSERT .. ON CONFLICT DO UPDATE .. RETURNING``.
"""

from __future__ import annotations

import hashlib
import re

from django.db import IntegrityError, ProgrammingError, connection, transaction
from stdnum.iso7064 import mod_37_36

from .models import IdentifierSequence

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_KEY_RE = re.compile(r"^[A-Z0-9_-]{1,60}$")
_UNDEFINED_TABLE = "42P01"  # PostgreSQL: relation (here: the sequence) does not exist
_DUPLICATE_TABLE = "42P07"


class IdentifierError(ValueError):
    """A malformed prefix, key or number: a programming error, not user input."""


def normalise(identifier: str) -> str:
    """What a person typed ('mp26 peb-0001234 x') → the canonical form."""
    return re.sub(r"[\s-]", "", identifier).upper()


def check_character(body: str) -> str:
    """The ISO 7064 MOD 37,36 check character for ``body`` (letters and digits)."""
    body = body.upper()
    if not body or any(ch not in ALPHABET for ch in body):
        raise IdentifierError(f"{body!r} must be letters and digits")
    return mod_37_36.calc_check_digit(body)


def is_valid(identifier: str) -> bool:
    """True if the last character is the check character of the rest."""
    identifier = normalise(identifier)
    if len(identifier) < 2 or any(ch not in ALPHABET for ch in identifier):
        return False
    return check_character(identifier[:-1]) == identifier[-1]


def _sequence_name(key: str) -> str:
    digest = hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:16]
    return f"ekseva_id_{digest}"


def _sqlstate(exc: BaseException) -> str | None:
    return getattr(exc.__cause__, "sqlstate", None)


def _nextval(name: str) -> int:
    # A savepoint, so that a missing sequence does not poison the caller's transaction.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [name])
        return int(cursor.fetchone()[0])


def _nextval_after_create(name: str) -> int:
    """``nextval`` of a sequence another connection has just committed.

    Looked up by name in a fresh catalogue scan, not through ``regclass``: the
    failed lookup left a negative cache entry that this backend does not drop
    until it next takes a lock (or the caller's transaction ends).
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(c.oid::regclass) FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = %s AND n.nspname = current_schema()",
            [name],
        )
        row = cursor.fetchone()
    if row is None:
        raise IdentifierError(f"sequence {name} was not created")
    return int(row[0])


def _create_sequence(key: str, name: str) -> None:
    """Create the SEQUENCE for ``key`` on a connection of its own and commit it.

    Its own connection: created inside the caller's transaction, the sequence
    would vanish if that transaction rolled back, and the numbers already drawn
    from it would be issued again. Creators of one key queue on an advisory lock,
    so ``IF NOT EXISTS`` sees the winner's committed sequence instead of racing it
    on the catalogue's unique indexes; a unique violation from a creator that did
    not take the lock is harmless too.
    """
    other = connection.copy()
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])
            try:
                cursor.execute(f'CREATE SEQUENCE IF NOT EXISTS "{name}"')
            except (IntegrityError, ProgrammingError) as exc:
                if not isinstance(exc, IntegrityError) and _sqlstate(exc) != _DUPLICATE_TABLE:
                    raise
                other.rollback()
                return
            # The row only lists the key for operators; the count lives in the sequence.
            cursor.execute(
                f"INSERT INTO {IdentifierSequence._meta.db_table} (key, last_value) "  # noqa: S608
                "VALUES (%s, 0) ON CONFLICT (key) DO NOTHING",
                [key],
            )
        other.commit()
    finally:
        other.close()


def next_value(key: str) -> int:
    """The next number in sequence ``key`` (starting at 1), race-free."""
    if not _KEY_RE.match(key):
        raise IdentifierError(f"bad sequence key {key!r}")
    if connection.vendor == "postgresql":
        name = _sequence_name(key)
        try:
            return _nextval(name)
        except ProgrammingError as exc:
            if _sqlstate(exc) != _UNDEFINED_TABLE:
                raise
        _create_sequence(key, name)
        return _nextval_after_create(name)
    if connection.vendor != "sqlite":
        raise IdentifierError(f"identifier sequences are not implemented for {connection.vendor}")
    table = IdentifierSequence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, last_value) VALUES (%s, 1) "  # noqa: S608
            f"ON CONFLICT (key) DO UPDATE SET last_value = {table}.last_value + 1 "
            "RETURNING last_value",
            [key],
        )
        return int(cursor.fetchone()[0])


def _checked_prefix(prefix: str) -> str:
    prefix = prefix.upper()
    if not prefix or any(ch not in ALPHABET for ch in prefix):
        raise IdentifierError(f"prefix {prefix!r} must be letters and digits")
    return prefix


def compose(prefix: str, number: int, width: int) -> str:
    """``prefix`` + ``number`` zero-padded to ``width`` + check character."""
    prefix = _checked_prefix(prefix)
    if isinstance(number, bool) or not isinstance(number, int) or number < 0 or width < 1:
        raise IdentifierError(f"cannot write {number!r} in width {width}")
    body = f"{prefix}{number:0{width}d}"
    if len(body) != len(prefix) + width:
        raise IdentifierError(f"sequence {number} overflows width {width} for {prefix}")
    return body + check_character(body)


def issue(prefix: str, *, width: int = 7, key: str | None = None) -> str:
    """Issue the next identifier for ``prefix``, e.g. ``issue("MP26PEB")``.

    ``key`` names the sequence (default: the prefix itself).
    """
    prefix = _checked_prefix(prefix)  # refuse before a number is drawn
    return compose(prefix, next_value(key or prefix), width)
