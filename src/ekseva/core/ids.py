"""Human-facing identifiers: fixed format, check character, never repeated.

Format (documented in docs/identifiers.md)::

    <PREFIX><SEQUENCE zero-padded to width><CHECK>
    e.g. application  MP 26 PEB 0001234 X  -> "MP26PEB0001234X"

The check character is ISO 7064 MOD 37,36 (the hybrid system
used by e.g. GS1 GMN), computed over prefix + sequence, so that any single
character typo and most transpositions are caught.

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

from django.db import ProgrammingError, connection, transaction
from stdnum.iso7064 import mod_37_36

from .models import IdentifierSequence

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_KEY_RE = re.compile(r"^[A-Z0-9_-]{1,60}$")


class IdentifierError(ValueError):
    pass


def check_character(body: str) -> str:
    return mod_37_36.calc_check_digit(body.upper())


def is_valid(identifier: str) -> bool:
    identifier = identifier.strip().upper()
    if len(identifier) < 2 or any(ch not in _ALPHABET for ch in identifier):
        return False
    return check_character(identifier[:-1]) == identifier[-1]


def _sequence_name(key: str) -> str:
    digest = hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:16]
    return f"ekseva_id_{digest}"


def next_value(key: str) -> int:
    """The next number in sequence ``key`` (starting at 1), race-free."""
    if not _KEY_RE.match(key):
        raise IdentifierError(f"bad sequence key {key!r}")
    if connection.vendor == "postgresql":
        name = _sequence_name(key)
        with connection.cursor() as cursor:
            # nextval is not transactional: no lock is held to commit.
            try:
                with transaction.atomic():
                    cursor.execute("SELECT nextval(%s)", [name])
                    return int(cursor.fetchone()[0])
            except ProgrammingError:  # the sequence does not exist yet
                pass
            with transaction.atomic():
                cursor.execute(f'CREATE SEQUENCE IF NOT EXISTS "{name}"')
                # Record the key so operators can see which sequences exist.
                IdentifierSequence.objects.get_or_create(key=key)
            cursor.execute("SELECT nextval(%s)", [name])
            return int(cursor.fetchone()[0])
    table = IdentifierSequence._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, last_value) VALUES (%s, 1) "  # noqa: S608
            f"ON CONFLICT (key) DO UPDATE SET last_value = {table}.last_value + 1 "
            "RETURNING last_value",
            [key],
        )
        return int(cursor.fetchone()[0])


def compose(prefix: str, number: int, width: int) -> str:
    prefix = prefix.upper()
    if any(ch not in _ALPHABET for ch in prefix):
        raise IdentifierError(f"prefix {prefix!r} must be letters and digits")
    body = f"{prefix}{number:0{width}d}"
    if len(body) != len(prefix) + width:
        raise IdentifierError(f"sequence {number} overflows width {width} for {prefix}")
    return body + check_character(body)


def issue(prefix: str, *, width: int = 7, key: str | None = None) -> str:
    """Issue the next identifier for ``prefix``, e.g. ``issue("MP26PEB")``."""
    return compose(prefix, next_value(key or prefix.upper()), width)
