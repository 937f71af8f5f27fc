"""``ekseva payments reconcile FILE --gateway NAME``: the report and the exit codes
(0 all matched, 1 something needs attention, 2 the file could not be read)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from ekseva.ledger.models import JournalEntry
from ekseva.ledger.verify import verify
from ekseva.payments import services
from ekseva.payments.management.commands.payments import Command
from ekseva.payments.models import ReconciliationRun, Status

from .conftest import make_payment, settlement_csv, succeed
from .test_reconcile import AMOUNT, TODAY, row

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(frozen_clock):
    return frozen_clock


def run_command(*args: str) -> tuple[int, str]:
    """Run the command as the shell would: (exit code, stdout + the error line)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("payments", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue() + f"\nCommandError: {exc}"
    return 0, out.getvalue()


@pytest.fixture
def write(tmp_path):
    def write(text: str | bytes, name: str = "settlement.csv"):
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return str(path)

    return write


def test_everything_matched_exits_0(settling_gateway, effects, write):
    payment = succeed(make_payment(target="APP1"), payment_id="pay_1")
    code, out = run_command("reconcile", write(settlement_csv(row(payment))), "--gateway", "fake")
    assert code == 0, out
    assert "Reconciliation run #" in out and "settlement.csv" in out
    assert f"period {TODAY} to {TODAY}; 1 row(s)" in out
    assert "gross ₹123.60   fees ₹2.91   net ₹120.69" in out
    assert "matched" in out and "Everything matched." in out
    assert "Items to look at" not in out


def test_attention_exits_1_with_one_line_per_item(settling_gateway, effects, write):
    payment = succeed(make_payment(target="APP1"), payment_id="pay_1")
    missing = succeed(make_payment(target="APP2"), payment_id="pay_2")
    late = make_payment(target="APP3")
    services.start_checkout(late, return_url="/back/")
    late.refresh_from_db()
    services.expire(late)
    text = settlement_csv(
        row(payment, fee=500),
        ("setl_1", TODAY, "payment", "order_x", "pay_x", "", 5000, 118, 18),
        row(late, "pay_3"),
    )
    code, out = run_command("reconcile", write(text), "--gateway", "fake")
    assert code == 1
    lines = out.splitlines()
    fee_line = next(line for line in lines if line.strip().startswith("line 2"))
    assert "fee differs" in fee_line and payment.reference in fee_line
    assert "payment pay_1" in fee_line and "fee ₹5.00, expected ₹2.91" in fee_line
    unknown = next(line for line in lines if line.strip().startswith("line 3"))
    assert "in the file, not in the ledger" in unknown and "order order_x" in unknown
    assert "file ₹50.00, ours —" in unknown
    resolved = next(line for line in lines if line.strip().startswith("line 4"))
    assert "late success resolved" in resolved and late.reference in resolved
    gone = next(line for line in lines if line.strip().startswith("not in file"))
    assert missing.reference in gone and "ours ₹123.60" in gone
    assert "3 item(s) need attention." in out
    assert "CommandError: 3 item(s) of run #" in out
    late.refresh_from_db()
    assert late.status == Status.SUCCEEDED


def test_the_real_exit_status(settling_gateway, effects, write, capsys):
    payment = succeed(make_payment(target="APP1"), payment_id="pay_1")
    path = write(settlement_csv(row(payment, amount=AMOUNT - 1)))
    with pytest.raises(SystemExit) as exited:
        Command().run_from_argv(["ekseva", "payments", "reconcile", path, "--gateway", "fake"])
    assert exited.value.code == 1
    assert "amount differs" in capsys.readouterr().out


def test_same_file_again_says_so_and_reprints_the_first_report(settling_gateway, effects, write):
    payment = succeed(make_payment(target="APP1"), payment_id="pay_1")
    path = write(settlement_csv(row(payment)))
    code, first = run_command("reconcile", path, "--gateway", "fake")
    entries = JournalEntry.objects.count()
    code_again, again = run_command("reconcile", path, "--gateway", "fake")
    assert code == code_again == 0
    run = ReconciliationRun.objects.get()
    assert f"already imported as run #{run.pk}" in again
    assert "nothing was posted again" in again
    assert first.strip() in again
    assert JournalEntry.objects.count() == entries


def test_unreadable_files_exit_2_with_line_and_reason(settling_gateway, effects, write):
    payment = succeed(make_payment(target="APP1"), payment_id="pay_1")
    bad = settlement_csv(row(payment)) + "s,2026-06-15,payment,o,p,,lots,0,0\n"
    code, out = run_command("reconcile", write(bad), "--gateway", "fake")
    assert code == 2 and "Line 3" in out and "whole paise" in out
    code, out = run_command(
        "reconcile", write(b"settlement_id\n\xff\xfe", "latin.csv"), "--gateway", "fake"
    )
    assert code == 2 and "line 2: not UTF-8" in out
    code, out = run_command("reconcile", "/nonexistent/file.csv", "--gateway", "fake")
    assert code == 2 and "cannot read" in out
    code, out = run_command("reconcile", write(settlement_csv()), "--gateway", "nope")
    assert code == 2 and "unknown payment gateway" in out
    code, out = run_command(
        "reconcile", write(settlement_csv()), "--gateway", "fake", "--from", "15-06-2026"
    )
    assert code == 2 and "is not a date" in out
    assert not ReconciliationRun.objects.exists()
    assert verify() == []


def test_a_period_given_on_the_command_line(settling_gateway, effects, write, frozen_clock):
    frozen_clock.advance(days=-2)
    earlier = succeed(make_payment(target="APP1"), payment_id="pay_1")
    frozen_clock.advance(days=2)
    path = write(settlement_csv())
    code, out = run_command(
        "reconcile", path, "--gateway", "fake", "--from", "2026-06-13", "--to", "2026-06-15"
    )
    assert code == 1
    assert "period 2026-06-13 to 2026-06-15" in out
    assert earlier.reference in out and "not in file" in out
    assert "fee ₹" not in out  # a missing payment has no fee to print
