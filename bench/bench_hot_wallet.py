"""One hot wallet (issue 8, bench 3): how many debits a second ONE kiosk's wallet
takes, with no lost update, on PostgreSQL.

    .venv/bin/python bench/bench_hot_wallet.py                 # both parts (~2 min)
    .venv/bin/python bench/bench_hot_wallet.py --part lock     # (b) only
    .venv/bin/python bench/bench_hot_wallet.py --part http     # (a) only

Environment as for every bench (bench/harness.py): BENCH_DATABASE, BENCH_PORT,
REDIS_URL.

(b) **lock** — the wallet's row lock on its own: debits of one wallet from
``--procs`` processes at once (Django in each, as a server worker runs it), for
``--seconds`` each, against a floor measured in the same run with the same
concurrency: the same rows written with raw SQL through psycopg (lock the balance
row FOR UPDATE, insert the entry and its four postings, update the balance,
commit). Rows: the floor; ``ledger.post`` with a wallet line; ``pay_from_wallet``
(a purpose that does nothing on success) on one wallet; the same spread over one
wallet per process (the ratio of the last two is the cost of contention).

(a) **http** — the kiosk console's pay button, ``POST /en/kiosks/console/app/<n>/pay/``
through the production server (gunicorn, ``ekseva serve``) at ``--clients``
connections: applications of ONE kiosk, then the same load spread over many
kiosks, against the empty view (/livez) in the same run.

After every row: no lost update — the wallet's balance row equals its funding less
the successful debits, and equals the ledger's balance of the account.
Saved as var/bench/hot_wallet_lock.json and var/bench/hot_wallet_http.json.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import secrets
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Bench, Load, Request

DEBIT = 12360  # paise: ₹100 fee + ₹20 charge + ₹3.60 GST, as bench_payments
LINES = [
    {"code": "government", "label_en": "Fee", "label_hi": "शुल्क", "amount_paise": 10000,
     "rule": "r"},
    {"code": "convenience", "label_en": "C", "label_hi": "स", "amount_paise": 2000, "rule": "p"},
    {"code": "gst", "label_en": "GST", "label_hi": "जी", "amount_paise": 360, "rule": "g"},
]  # fmt: skip
DATABASE = os.environ.get("BENCH_DATABASE", "ekseva_bench")
FUND = 10**13  # far more than any run spends


# --------------------------------------------------------------------------- (b) the lock


HOLDS: list[float] = []  # ms from taking a wallet's row lock to the commit, this process


def _watch_wallet_lock(execute, sql, params, many, context):
    """Django's execute wrapper: note when a statement takes a wallet's row lock
    (SELECT .. FOR UPDATE or UPDATE of ledger_walletbalance) and, at the commit,
    how long the transaction held it."""
    from django.db import connection, transaction

    result = execute(sql, params, many, context)  # the lock is held once this returns
    if "ledger_walletbalance" in sql and (
        sql.lstrip().upper().startswith("UPDATE") or "FOR UPDATE" in sql.upper()
    ):
        conn = context["connection"]
        if getattr(conn, "_hw_lock_at", None) is None and connection.in_atomic_block:
            conn._hw_lock_at = time.perf_counter()

            def done(conn=conn) -> None:
                HOLDS.append((time.perf_counter() - conn._hw_lock_at) * 1000)
                conn._hw_lock_at = None

            transaction.on_commit(done)
    return result


def _child(work, items, barrier, seconds, out) -> None:
    """One process: wait for the others, then ``work(item)`` until the time is up."""
    from django.db import connection

    lat: list[float] = []
    errors = 0
    samples: list[str] = []
    done = 0
    try:
        connection.ensure_connection()
        barrier.wait()
        stop = time.perf_counter() + seconds
        with connection.execute_wrapper(_watch_wallet_lock):
            for item in items:
                if time.perf_counter() >= stop:
                    break
                began = time.perf_counter()
                try:
                    ok = work(item)
                except Exception as exc:
                    ok = False
                    connection._hw_lock_at = None
                    if len(samples) < 3:
                        samples.append(f"{type(exc).__name__}: {exc}"[:200])
                if ok:
                    lat.append((time.perf_counter() - began) * 1000)
                    done += 1
                else:
                    errors += 1
            else:
                samples.append("ran out of prepared items before the time was up")
    except Exception:
        samples.append(traceback.format_exc()[-300:])
    finally:
        connection.close()
    out.put((done, errors, lat, samples, HOLDS))


HOLD_STATS: dict[str, dict] = {}


def _race(name: str, work, per_proc: list[list], seconds: float) -> Load:
    """Run ``work`` over each process's items in ``len(per_proc)`` forked processes."""
    from django.db import connections

    connections.close_all()
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(len(per_proc))
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_child, args=(work, items, barrier, seconds, out)) for items in per_proc
    ]
    cpu0 = os.times()
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    cpu1 = os.times()
    lat = [x for r in results for x in r[2]]
    holds = sorted(x for r in results for x in r[4])
    if holds:
        mean = sum(holds) / len(holds)
        HOLD_STATS[name] = {
            "lock_held_mean_ms": round(mean, 2),
            "lock_held_p50_ms": round(holds[len(holds) // 2], 2),
            "lock_held_p95_ms": round(holds[int(len(holds) * 0.95)], 2),
            "lock_allows_per_s": round(1000 / mean, 1),
        }
    return Load(
        name=name,
        ops=sum(r[0] + r[1] for r in results),
        errors=sum(r[1] for r in results),
        seconds=seconds,
        latencies_ms=lat,
        requests=sum(r[0] + r[1] for r in results),
        clients=len(per_proc),
        cpu_seconds=(cpu1.children_user + cpu1.children_system)
        - (cpu0.children_user + cpu0.children_system),
        error_samples=[s for r in results for s in r[3]],
    )


class Wallet:
    """A bench kiosk's wallet (a kiosk code no kiosk has: the wallet guard lets it
    pay), funded once; ``check`` proves no update was lost."""

    def __init__(self, code: str) -> None:
        from ekseva.ledger import accounts
        from ekseva.ledger import services as ledger

        self.code = code
        self.account = accounts.get_or_open("kiosk_wallet", code)
        ledger.post(
            "bench.fund",
            [(accounts.get_or_open("bank"), FUND), (self.account, -FUND)],
            idempotency_key=f"bench-fund:{code}:{secrets.token_hex(6)}",
        )
        self.mark()

    def mark(self) -> None:
        from ekseva.ledger.models import WalletBalance

        self.before = WalletBalance.objects.get(account=self.account).balance

    def check(self, debits: int, amount: int = DEBIT) -> dict:
        from ekseva.ledger import selectors
        from ekseva.ledger.models import WalletBalance

        row = WalletBalance.objects.get(account=self.account).balance
        ledger_balance = selectors.balance(self.account)
        expected = self.before - debits * amount
        ok = row == expected == ledger_balance
        return {
            "wallet": self.code,
            "debits": debits,
            "expected": expected,
            "row": row,
            "ledger": ledger_balance,
            "no_lost_update": ok,
        }


def lock_part(bench: Bench, procs: int, seconds: float) -> dict:
    import psycopg
    from django.conf import settings
    from django.db import connection

    from ekseva.core import clock
    from ekseva.ledger import accounts
    from ekseva.ledger import services as ledger
    from ekseva.payments import purposes, services
    from ekseva.payments.models import Payment

    purposes.register(
        purposes.Purpose(
            kind="bench_hot_wallet",
            label_en="Bench",
            label_hi="बेंच",
            once_per_target=False,
            gateways=frozenset({"wallet"}),
        )
    )
    run = secrets.token_hex(3)
    dept = accounts.get_or_open("department_payable", "BENCH")
    revenue = accounts.get_or_open("operator_revenue")
    gst = accounts.get_or_open("gst_payable")
    checks: dict[str, dict] = {}
    rows: list[tuple[str, Load]] = []

    # The floor: the same rows with raw SQL, the same concurrency.
    floor_wallet = Wallet(f"KHWF{run}")
    dsn = settings.DATABASES["default"]
    conninfo = bench.url
    now = connection.ops.adapt_datetimefield_value(clock.now())
    day = connection.ops.adapt_datefield_value(clock.today())
    wallet_id = floor_wallet.account.pk
    raw_conn: dict[str, psycopg.Connection] = {}

    def raw(item: int) -> bool:
        conn = raw_conn.get("c")
        if conn is None:
            conn = raw_conn["c"] = psycopg.connect(conninfo)
        with conn.transaction():
            balance = conn.execute(
                "SELECT balance FROM ledger_walletbalance WHERE account_id = %s FOR UPDATE",
                [wallet_id],
            ).fetchone()[0]
            raw_conn["at"] = time.perf_counter()
            if balance < DEBIT:
                return False
            entry = conn.execute(
                "INSERT INTO ledger_journalentry (created_at, day, kind, memo, reference, "
                "idempotency_key, lines_digest, dimensions) VALUES (%s, %s, 'raw', '', '', %s, "
                "'', '') RETURNING id",
                [now, day, f"hwraw-{run}-{item}"],
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO ledger_posting (entry_id, account_id, amount) VALUES "
                "(%s, %s, %s), (%s, %s, %s), (%s, %s, %s), (%s, %s, %s)",
                [entry, wallet_id, DEBIT, entry, dept.pk, -10000, entry, revenue.pk, -2000,
                 entry, gst.pk, -360],
            )  # fmt: skip
            conn.execute(
                "UPDATE ledger_walletbalance SET balance = balance - %s, version = version + 1 "
                "WHERE account_id = %s",
                [DEBIT, wallet_id],
            )
        HOLDS.append((time.perf_counter() - raw_conn["at"]) * 1000)
        return True

    del dsn
    big = 100_000
    items = [list(range(p, big, procs)) for p in range(procs)]
    floor = _race("floor: raw SQL debit", raw, items, seconds)
    checks["floor"] = floor_wallet.check(floor.ops - floor.errors)
    rows.append(("floor: raw SQL lock+entry+4 post.", floor))

    # ledger.post with the wallet line.
    post_wallet = Wallet(f"KHWL{run}")

    def ledger_post(item: int) -> bool:
        ledger.post(
            "wallet.debit",
            [(post_wallet.account, DEBIT), (dept, -10000), (revenue, -2000), (gst, -360)],
            idempotency_key=f"hwpost-{run}-{item}",
            dimensions={"department": "BENCH", "service": "bench", "channel": "kiosk"},
        )
        return True

    load = _race("ledger.post, wallet line", ledger_post, items, seconds)
    checks["ledger.post"] = post_wallet.check(load.ops - load.errors)
    rows.append(("ledger.post (wallet line)", load))

    # pay_from_wallet on prepared payments: one wallet, then one wallet per process.
    def prepare(tag: str, codes: list[str], per: int) -> list[list[int]]:
        template = services.create_payment(
            purpose="bench_hot_wallet",
            target=f"HW{run}-t",
            lines=LINES,
            description_en="Bench",
            description_hi="बेंच",
            idempotency_key=f"hw-{run}-template-{codes[0]}",
            gateway="wallet",
            department_code="BENCH",
            service_code="bench",
            channel="kiosk",
            kiosk_code=codes[0],
        )
        out = []
        for p, code in enumerate(codes * (procs // len(codes))):
            batch = []
            for i in range(per):
                clone = Payment.objects.get(pk=template.pk)
                clone.pk = None
                clone.reference = f"PB{tag}{run}{p:02d}{i:05d}"
                clone.idempotency_key = f"hw-{run}-{code}-{p}-{i}"
                clone.target = f"HW{run}-{p}-{i}"
                clone.kiosk_code = code
                batch.append(clone)
            Payment.objects.bulk_create(batch, batch_size=500)
            out.append(
                list(
                    Payment.objects.filter(idempotency_key__startswith=f"hw-{run}-{code}-{p}-")
                    .order_by("pk")
                    .values_list("pk", flat=True)
                )
            )
        return out

    def pay(pk: int) -> bool:
        payment = services.pay_from_wallet(Payment.objects.get(pk=pk))
        return payment.is_paid

    per = max(200, int(seconds * 600 / procs))  # more than the fastest run can use
    hot = Wallet(f"KHWP{run}")
    load = _race("pay_from_wallet, one wallet", pay, prepare("H", [hot.code], per), seconds)
    checks["pay one wallet"] = hot.check(load.ops - load.errors)
    rows.append(("pay_from_wallet: ONE wallet", load))

    spread = [Wallet(f"KHWS{run}{p}") for p in range(procs)]
    load = _race(
        "pay_from_wallet, a wallet per process",
        pay,
        prepare("S", [w.code for w in spread], per),
        seconds,
    )
    # Each process had its own wallet: count its successes from the ledger's side.
    from ekseva.ledger.models import Posting

    spread_ok = True
    for w in spread:
        n = Posting.objects.filter(account=w.account, amount=DEBIT).count()
        spread_ok &= w.check(n)["no_lost_update"]
    checks["pay spread"] = {"wallets": len(spread), "no_lost_update": spread_ok}
    rows.append((f"pay_from_wallet: {procs} wallets", load))

    result = bench.report(
        rows,
        floor=floor,
        extra={"checks": checks, "procs": procs, "debit_paise": DEBIT, "lock": HOLD_STATS},
    )
    _print_checks(checks)
    _print_holds()
    return result


def _print_holds() -> None:
    print("  the wallet's row lock, from taking it to the commit:")
    for label, stats in HOLD_STATS.items():
        print(
            f"    {label[:40]:40} held mean {stats['lock_held_mean_ms']:6.2f} ms, "
            f"p50 {stats['lock_held_p50_ms']:6.2f}, p95 {stats['lock_held_p95_ms']:6.2f}"
            f"  -> the lock alone allows {stats['lock_allows_per_s']:7.1f} debits/s"
        )


def _print_checks(checks: dict) -> None:
    for label, check in checks.items():
        state = "ok" if check["no_lost_update"] else "LOST UPDATE"
        print(f"  no lost update, {label}: {state}  {check}")


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=["lock", "http", "both"], default="both")
    parser.add_argument("--procs", type=int, default=4, help="(b) processes at once")
    parser.add_argument("--clients", type=int, default=32, help="(a) connections at once")
    parser.add_argument("--seconds", type=float, default=8.0, help="per row")
    parser.add_argument("--kiosks", type=int, default=16, help="(a) kiosks of the spread row")
    parser.add_argument(
        "--apps", type=int, default=200, help="(a) applications paid per row (seeded, reused)"
    )
    args = parser.parse_args()

    if args.part in ("lock", "both"):
        # (the database named explicitly: Bench("x").url ignores $BENCH_DATABASE)
        bench = Bench("hot_wallet_lock", database=DATABASE)
        bench.prepare()
        bench.django()
        lock_part(bench, args.procs, args.seconds)
    if args.part in ("http", "both"):
        bench = Bench("hot_wallet_http", database=DATABASE)
        bench.prepare()
        bench.django()
        http_part(bench, args.clients, args.seconds, args.kiosks, args.apps)


def _pending(fk, count: int) -> list[str]:
    """``count`` applications at ``fk``'s kiosk waiting for their fee: those an earlier
    run left first, then new ones (bench/fleet.py)."""
    from fleet import ready_submitted

    from ekseva.applications.models import Application, Status

    numbers = list(
        Application.objects.filter(kiosk_code=fk.kiosk.code, status=Status.FEE_PENDING)
        .order_by("pk")
        .values_list("number", flat=True)[:count]
    )
    if len(numbers) < count:
        numbers += ready_submitted(fk, count - len(numbers))
    return numbers


def _http_check(fleet_kiosks, before: dict[str, int], numbers: list[str]) -> dict:
    """No lost update at each kiosk: balance row == before − the fees paid == ledger."""
    from django.db.models import Sum

    from ekseva.kiosks import services
    from ekseva.ledger import selectors
    from ekseva.payments.models import Payment

    ok = True
    paid_total = 0
    for fk in fleet_kiosks:
        paid = (
            Payment.objects.filter(
                kiosk_code=fk.kiosk.code, target__in=numbers, status="succeeded"
            ).aggregate(total=Sum("amount"))["total"]
            or 0
        )
        paid_total += paid
        account = services.wallet_account(fk.kiosk)
        row = selectors.wallet_balance(account)
        ok &= row == before[fk.kiosk.code] - paid == selectors.balance(account)
    paid_count = Payment.objects.filter(target__in=numbers, status="succeeded").count()
    # a pay that redirected without paying (the wallet refused it) is an error too
    failed = Payment.objects.filter(target__in=numbers, status="failed").count()
    return {
        "kiosks": len(fleet_kiosks),
        "paid": paid_count,
        "failed_payments": failed,
        "no_lost_update": ok,
    }


def http_part(bench: Bench, clients: int, seconds: float, kiosks: int, apps: int) -> dict:
    """(a) The console's pay button over HTTP: ONE kiosk, then ``kiosks`` kiosks."""
    import time as _time

    from fleet import make_fleet
    from harness import post

    from ekseva.kiosks import services

    started = _time.perf_counter()
    fleet = make_fleet(1 + kiosks, fund_paise=10**10, prefix="hw")
    hot, spread = fleet[0], fleet[1:]
    hot_numbers = _pending(hot, apps)
    per = -(-apps // kiosks)
    # interleaved: the clients at any moment pay for many kiosks
    columns = [_pending(fk, per) for fk in spread]
    spread_numbers = [
        (fk, numbers[i])
        for i in range(per)
        for fk, numbers in zip(spread, columns, strict=True)
        if i < len(numbers)
    ]
    print(f"[hot_wallet_http] seeded in {_time.perf_counter() - started:.0f} s", flush=True)

    def pay(fk, number: str):
        return post(
            f"/en/kiosks/console/app/{number}/pay/",
            {"token": secrets.token_urlsafe(24)},
            cookies=fk.browser.cookies,
            csrf=fk.browser.csrf,
            expect=(302,),
        )

    def balances(fks) -> dict[str, int]:
        return {fk.kiosk.code: services.wallet_balance(fk.kiosk) for fk in fks}

    checks = {}
    with bench.server() as server:
        floor = server.load(
            lambda i: Request("GET", "/livez"), name="floor", clients=clients, seconds=seconds
        )
        before = balances([hot])
        one = server.load(
            lambda i: pay(hot, hot_numbers[i]) if i < len(hot_numbers) else None,
            name="one kiosk",
            clients=clients,
            seconds=seconds * 4,
        )
        checks["one kiosk"] = _http_check([hot], before, hot_numbers)
        before = balances(spread)
        many = server.load(
            lambda i: pay(*spread_numbers[i]) if i < len(spread_numbers) else None,
            name="many kiosks",
            clients=clients,
            seconds=seconds * 4,
        )
        checks["many kiosks"] = _http_check(spread, before, [n for _, n in spread_numbers])
    result = bench.report(
        [
            ("floor: empty view /livez", floor),
            ("pay: ONE kiosk's wallet", one),
            (f"pay: {kiosks} kiosks", many),
        ],
        floor=floor,
        extra={
            "checks": checks,
            "contention_ratio": round(one.rate / many.rate, 3) if many.rate else None,
        },
    )
    _print_checks(checks)
    if many.rate:
        print(f"  one kiosk / {kiosks} kiosks: {one.rate / many.rate:.2f}")
    return result


if __name__ == "__main__":
    main()
