"""Random sequences of postings, reversals, replays and snapshots: after every
step each balance equals the sum of its postings (and a plain model of the
ledger), no wallet is negative, and at the end ``ledger check`` finds nothing."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ekseva.ledger import accounts, selectors, services
from ekseva.ledger.models import Posting
from ekseva.ledger.services import InsufficientFunds
from ekseva.ledger.verify import verify

NAMES = ["gateway", "dept", "revenue", "wallet_a", "wallet_b"]

operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("post"),
            st.sampled_from(NAMES),
            st.sampled_from(NAMES),
            st.integers(min_value=1, max_value=5000),
        ).filter(lambda op: op[1] != op[2]),
        st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=50)),
        st.tuples(st.just("replay"), st.integers(min_value=0, max_value=50)),
        st.tuples(st.just("snapshot")),
        st.tuples(st.just("tick"), st.integers(min_value=1, max_value=30)),
    ),
    max_size=25,
)


@pytest.fixture
def book(db):
    return {
        "gateway": accounts.get_or_open("gateway_clearing", "sandbox"),
        "dept": accounts.get_or_open("department_payable", "LSG"),
        "revenue": accounts.get_or_open("operator_revenue"),
        "wallet_a": accounts.get_or_open("kiosk_wallet", "KA"),
        "wallet_b": accounts.get_or_open("kiosk_wallet", "KB"),
    }


class Model:
    """What the ledger should say, kept without the ledger's code."""

    def __init__(self, book):
        self.book = book
        self.signed = dict.fromkeys(book, 0)
        self.entries = []  # (entry, lines by name, key)
        self.reversed = set()

    def fits(self, lines) -> bool:
        after = dict(self.signed)
        for name, amount in lines:
            after[name] += amount
        return all(-after[name] >= 0 for name in after if name.startswith("wallet"))

    def apply(self, lines) -> None:
        for name, amount in lines:
            self.signed[name] += amount


def run(book, ops) -> None:
    model = Model(book)
    for step, op in enumerate(ops):
        if op[0] == "post":
            _, src, dst, amount = op
            lines = [(src, amount), (dst, -amount)]
            key = f"k{step}"
            post = [(book[name], paise) for name, paise in lines]
            if model.fits(lines):
                entry = services.post("test.move", post, idempotency_key=key)
                model.apply(lines)
                model.entries.append((entry, lines, key))
            else:
                with pytest.raises(InsufficientFunds):
                    services.post("test.move", post, idempotency_key=key)
        elif op[0] == "reverse" and model.entries:
            entry, lines, _ = model.entries[op[1] % len(model.entries)]
            opposite = [(name, -paise) for name, paise in lines]
            if entry.pk in model.reversed:
                again = services.reverse(entry, "again")
                assert again.reverses_id == entry.pk
            elif model.fits(opposite):
                services.reverse(entry, "property test")
                model.apply(opposite)
                model.reversed.add(entry.pk)
            else:
                with pytest.raises(InsufficientFunds):
                    services.reverse(entry, "property test")
        elif op[0] == "replay" and model.entries:
            entry, lines, key = model.entries[op[1] % len(model.entries)]
            post = [(book[name], paise) for name, paise in reversed(lines)]
            assert services.post("test.move", post, idempotency_key=key).pk == entry.pk
        elif op[0] == "snapshot":
            services.snapshot_balances()
        elif op[0] == "tick":
            from ekseva.core import clock

            clock.advance(hours=op[1])
        for name, account in book.items():
            stored = Posting.objects.filter(account=account).aggregate(t=Sum("amount"))["t"] or 0
            assert stored == model.signed[name]
            assert selectors.balance(account) == account.sign * stored
            if not account.may_go_negative:
                assert selectors.wallet_balance(account) == account.sign * stored >= 0
    assert verify() == []


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_random_sequences_keep_every_invariant(book, frozen_clock, ops):
    with transaction.atomic():
        run(book, ops)
        transaction.set_rollback(True)  # each example starts from empty accounts
