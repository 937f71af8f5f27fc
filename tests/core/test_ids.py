"""Identifiers: the check character, the format's refusals, and race-free issuing."""

import threading
import uuid

import pytest
from django.db import connection, transaction
from hypothesis import given
from hypothesis import strategies as st

from ekseva.core import ids
from ekseva.core.models import IdentifierSequence

bodies = st.text(alphabet=ids.ALPHABET, min_size=1, max_size=24)


def _fresh_prefix() -> str:
    """A prefix nobody else uses: PostgreSQL sequences outlive a test's transaction."""
    return "T" + uuid.uuid4().hex[:12].upper()


def _neighbours(a: str, b: str) -> bool:
    gap = abs(ids.ALPHABET.index(a) - ids.ALPHABET.index(b))
    return gap in (1, len(ids.ALPHABET) - 1)


def test_documented_example():
    assert ids.compose("MP26PEB", 1234, 7) == "MP26PEB0001234Q"
    assert ids.is_valid("MP26PEB0001234Q")
    assert ids.is_valid(" mp26 peb-0001234 q ")
    assert not ids.is_valid("MP26PEB0001234X")


@given(body=bodies, data=st.data())
def test_every_single_substitution_is_caught(body, data):
    full = body + ids.check_character(body)
    assert ids.is_valid(full)
    pos = data.draw(st.integers(0, len(full) - 1))
    other = data.draw(st.sampled_from(ids.ALPHABET).filter(lambda ch: ch != full[pos]))
    assert not ids.is_valid(full[:pos] + other + full[pos + 1 :])


@given(body=st.text(alphabet=ids.ALPHABET, min_size=2, max_size=24), data=st.data())
def test_adjacent_transposition_of_non_neighbours_is_caught(body, data):
    full = body + ids.check_character(body)
    pos = data.draw(st.integers(0, len(full) - 2))
    a, b = full[pos], full[pos + 1]
    if a == b or _neighbours(a, b):
        return
    assert not ids.is_valid(full[:pos] + b + a + full[pos + 2 :])


def test_transpositions_missed_are_exactly_neighbour_swaps_one_state_in_36():
    """MOD 37,36 is a hybrid system: it misses a swap of alphabet neighbours in
    exactly one of its 36 states. Exhaustive over every state (a one-character
    lead reaches each) and every pair, the swap also hitting the check character."""
    missed = set()
    for lead in ids.ALPHABET:
        for a in ids.ALPHABET:
            for b in ids.ALPHABET:
                if a >= b:
                    continue
                full = lead + a + b
                full += ids.check_character(full)
                if ids.is_valid(lead + b + a + full[3]):
                    missed.add((lead, a, b))
    assert all(_neighbours(a, b) for _, a, b in missed)
    assert len(missed) == 36  # one neighbour pair per state
    assert len({lead for lead, _, _ in missed}) == 36


@pytest.mark.parametrize("junk", ["", "X", "MP26PEB0001234!", "मप26"])
def test_is_valid_refuses_junk(junk):
    assert not ids.is_valid(junk)


def test_width_overflow_is_refused():
    assert ids.compose("AB", 9_999_999, 7) == "AB9999999" + ids.check_character("AB9999999")
    with pytest.raises(ids.IdentifierError, match="overflows"):
        ids.compose("AB", 10_000_000, 7)


@pytest.mark.parametrize("number", [-1, True, 1.0])
def test_bad_numbers_are_refused(number):
    with pytest.raises(ids.IdentifierError):
        ids.compose("AB", number, 7)


@pytest.mark.parametrize("prefix", ["", "MP-26", "MP 26", "मप26", "MP26*"])
def test_bad_prefix_is_refused_before_a_number_is_drawn(db, prefix):
    # On PostgreSQL a sequence is registered on a connection of its own and
    # committed at once, so other tests' keys may be there: count, don't expect none.
    before = IdentifierSequence.objects.count()
    with pytest.raises(ids.IdentifierError):
        ids.issue(prefix)
    assert IdentifierSequence.objects.count() == before


def test_bad_key_is_refused(db):
    with pytest.raises(ids.IdentifierError):
        ids.next_value("mp26 peb")


def test_issue_counts_up_per_key(db):
    prefix, other = _fresh_prefix(), _fresh_prefix()
    issued = [ids.issue(prefix) for _ in range(5)]
    assert issued == [ids.compose(prefix, n, 7) for n in range(1, 6)]
    assert all(ids.is_valid(number) for number in issued)
    assert ids.issue(other, width=3) == ids.compose(other, 1, 3)
    # A shared key: two prefixes drawing from one sequence.
    key = _fresh_prefix()
    assert ids.issue(prefix, key=key) == ids.compose(prefix, 1, 7)
    assert ids.issue(other, key=key) == ids.compose(other, 2, 7)


def test_issue_overflowing_its_width_is_refused(db):
    prefix = _fresh_prefix()
    assert [ids.issue(prefix, width=1)[-2] for _ in range(9)] == list("123456789")
    with pytest.raises(ids.IdentifierError, match="overflows"):
        ids.issue(prefix, width=1)


def test_sqlite_issues_through_the_row_per_key(db):
    if connection.vendor != "sqlite":
        pytest.skip("the row-per-key path is SQLite's")
    prefix = _fresh_prefix()
    for _ in range(3):
        ids.issue(prefix)
    assert IdentifierSequence.objects.get(key=prefix).last_value == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_first_use_in_a_rolled_back_transaction_is_not_reissued():
    prefix = _fresh_prefix()
    with pytest.raises(RuntimeError), transaction.atomic():
        assert ids.issue(prefix) == ids.compose(prefix, 1, 7)
        raise RuntimeError("the application could not be saved")
    assert ids.issue(prefix) == ids.compose(prefix, 2, 7)
    assert IdentifierSequence.objects.filter(key=prefix).exists()


def _race(prefix: str, threads: int, each: int) -> tuple[list[str], list[BaseException]]:
    issued: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def work():
        try:
            start.wait()
            mine = [ids.issue(prefix) for _ in range(each)]
            with lock:
                issued.extend(mine)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return issued, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sixteen_threads_never_share_a_number():
    prefix = _fresh_prefix()
    ids.issue(prefix)  # the sequence exists: this test is about nextval
    issued, errors = _race(prefix, threads=16, each=50)
    assert errors == []
    numbers = sorted(int(number[len(prefix) : -1]) for number in issued)
    assert numbers == list(range(2, 802))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_first_use_of_a_new_key_racing_from_many_threads():
    """Every thread finds the sequence missing and creates it at once."""
    for _ in range(3):
        prefix = _fresh_prefix()
        issued, errors = _race(prefix, threads=16, each=2)
        assert errors == []
        numbers = sorted(int(number[len(prefix) : -1]) for number in issued)
        assert numbers == list(range(1, 33))
        assert IdentifierSequence.objects.filter(key=prefix).count() == 1
