"""How fast money moves: a fee payment's success and a kiosk wallet payment,
against a floor measured in the same run (the same ledger rows written with raw SQL).

    python bench/bench_payments.py [--n 300]            # SQLite in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/bench_payments.py

Each figure is the median of 5 rounds of ``n`` operations, in milliseconds per
operation, with its ratio to the floor. Figures go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def setup() -> None:
    if not os.environ.get("DATABASE_URL"):
        os.environ["EKSEVA_VAR_DIR"] = tempfile.mkdtemp(prefix="ekseva-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ekseva.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def rounds(fn, n: int, repeat: int = 5) -> float:
    """Median milliseconds per operation over ``repeat`` rounds of ``n``."""
    times = []
    for r in range(repeat):
        start = time.perf_counter()
        for i in range(n):
            fn(r, i)
        times.append((time.perf_counter() - start) * 1000 / n)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    args = parser.parse_args()
    setup()

    from django.conf import settings
    from django.db import connection, transaction

    from ekseva.core import clock
    from ekseva.ledger import accounts
    from ekseva.ledger import services as ledger
    from ekseva.payments import purposes, services
    from ekseva.payments.gateways import GatewayResult

    settings.PAYMENT_GATEWAYS = ["sandbox"]
    purposes.register(
        purposes.Purpose(kind="bench_fee", label_en="Bench", label_hi="बेंच", once_per_target=True)
    )
    purposes.register(
        purposes.Purpose(
            kind="bench_wallet",
            label_en="Bench",
            label_hi="बेंच",
            once_per_target=True,
            gateways=frozenset({"wallet"}),
        )
    )
    run_id = str(int(time.time() * 1000))
    lines = [
        {"code": "government", "label_en": "Fee", "label_hi": "शुल्क", "amount_paise": 10000,
         "rule": "r"},
        {"code": "convenience", "label_en": "C", "label_hi": "स", "amount_paise": 2000,
         "rule": "p"},
        {"code": "gst", "label_en": "GST", "label_hi": "जी", "amount_paise": 360, "rule": "g"},
    ]  # fmt: skip
    gateway = accounts.get_or_open("gateway_clearing", "sandbox")
    dept = accounts.get_or_open("department_payable", "BENCH")
    revenue = accounts.get_or_open("operator_revenue")
    gst = accounts.get_or_open("gst_payable")
    wallet = accounts.get_or_open("kiosk_wallet", "KBENCH")
    ledger.post(
        "wallet.topup",
        [(gateway, 10**12), (wallet, -(10**12))],
        idempotency_key=f"bench-topup-{run_id}",
    )
    now = connection.ops.adapt_datetimefield_value(clock.now())
    day = connection.ops.adapt_datefield_value(clock.today())

    def floor(r: int, i: int) -> None:
        """The rows of one fee split, written with raw SQL in one transaction."""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO ledger_journalentry (created_at, day, kind, memo, reference, "
                "idempotency_key, lines_digest, dimensions) VALUES (%s, %s, 'raw', '', '', %s, "
                "'', '') RETURNING id",
                [now, day, f"floor-{run_id}-{r}-{i}"],
            )
            entry = cursor.fetchone()[0]
            cursor.execute(
                "INSERT INTO ledger_posting (entry_id, account_id, amount) VALUES "
                "(%s, %s, %s), (%s, %s, %s), (%s, %s, %s), (%s, %s, %s)",
                [entry, gateway.pk, 12360, entry, dept.pk, -10000, entry, revenue.pk, -2000,
                 entry, gst.pk, -360],
            )  # fmt: skip

    def post(r: int, i: int) -> None:
        ledger.post(
            "payment.success",
            [(gateway, 12360), (dept, -10000), (revenue, -2000), (gst, -360)],
            idempotency_key=f"post-{run_id}-{r}-{i}",
            dimensions={"department": "BENCH", "service": "bench", "channel": "online"},
        )

    def pay(r: int, i: int) -> None:
        payment = services.create_payment(
            purpose="bench_fee",
            target=f"T{run_id}-{r}-{i}",
            lines=lines,
            description_en="Bench",
            description_hi="बेंच",
            idempotency_key=f"pay-{run_id}-{r}-{i}",
            gateway="sandbox",
            department_code="BENCH",
            service_code="bench",
        )
        started = services.start_checkout(payment, return_url="http://bench/return/")
        services.apply_result(
            started.payment,
            GatewayResult(
                status="succeeded",
                order_id=started.payment.gateway_order_id,
                payment_id=f"p{r}-{i}",
                amount=payment.amount,
                method="upi",
            ),
            source="webhook",
        )

    def wallet_pay(r: int, i: int) -> None:
        payment = services.create_payment(
            purpose="bench_wallet",
            target=f"W{run_id}-{r}-{i}",
            lines=lines,
            description_en="Bench",
            description_hi="बेंच",
            idempotency_key=f"wal-{run_id}-{r}-{i}",
            gateway="wallet",
            department_code="BENCH",
            service_code="bench",
            channel="kiosk",
            kiosk_code="KBENCH",
        )
        services.pay_from_wallet(payment)

    n = args.n
    results = {
        "floor: raw SQL entry + 4 postings": rounds(floor, n),
        "ledger.post (4-line split, rollups, audit)": rounds(post, n),
        "fee payment: create + checkout + success": rounds(pay, max(n // 3, 20)),
        "wallet payment: create + pay_from_wallet": rounds(wallet_pay, max(n // 3, 20)),
    }
    base = results["floor: raw SQL entry + 4 postings"]
    print(f"database: {connection.vendor}; n = {n}; median of 5 rounds")
    print(f"{'operation':50} {'ms/op':>8} {'× floor':>8}")
    for name, ms in results.items():
        print(f"{name:50} {ms:8.2f} {ms / base:8.1f}")


if __name__ == "__main__":
    main()
