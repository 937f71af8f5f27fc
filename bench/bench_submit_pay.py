"""Bench 1 of issue 8: a kiosk operator's application submitted and paid from the
wallet over HTTP, on PostgreSQL, against two floors measured in the same run.

    .venv/bin/python bench/bench_submit_pay.py            # 64 kiosks, 32 clients, 20 s
    .venv/bin/python bench/bench_submit_pay.py --kiosks 64 --clients 32 --seconds 20 \
        --workers 3 --threads 4

One operation is what the operator's browser sends at the end of a walk-in's
application (``bench/fleet.py`` makes the kiosks and the complete drafts first):

1. ``POST /en/applications/draft/<pk>/preview/`` with ``declaration=yes``: the
   application is submitted, its number issued; the answer redirects to the
   console's page of the application (the number is in ``Location``);
2. ``POST /en/kiosks/console/app/<number>/pay/`` with a fresh ``token``: the fee is
   paid from the kiosk's wallet (one payment, one ledger entry per token).

Many kiosks (64 by default), so no wallet is hot. The floors:

- **empty view**: ``GET /livez`` twice per operation with the operator's cookies
  (the framework's limit on this server: routing, middleware, the session);
- **raw SQL**: the rows one submit + pay writes, found with the query log
  (``--show-queries`` prints it), written through psycopg with the same number of
  transactions from 32 connections (the database's limit).

What one operation costs, without load: ``--show-queries`` runs it in this process
(Django's test client, the operator's session) and prints its query log request by
request with the CPU time it took; ``--profile`` adds pyinstrument's profile.

After the run every application submitted is checked to be paid exactly once, and
every wallet's balance row against the sum of its postings: a benchmark that loses
money is worthless. Figures are saved in var/bench/submit_pay.json.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import secrets
import sys
import threading
import time
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Bench, Load, Request, Response, post

NUMBER = re.compile(r"/console/app/([A-Z0-9]+)/")


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kiosks", type=int, default=64)
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--floor-seconds", type=float, default=8.0)
    p.add_argument("--drafts", type=int, default=0, help="drafts to have ready (0: a guess)")
    p.add_argument("--workers", type=int, default=0, help="gunicorn workers (0: ekseva serve's)")
    p.add_argument("--threads", type=int, default=0, help="threads per worker (0: its default)")
    p.add_argument("--raw-only", action="store_true", help="only the raw-SQL floor")
    p.add_argument("--show-queries", action="store_true", help="print one op's query log")
    p.add_argument("--profile", action="store_true", help="with --show-queries: pyinstrument")
    p.add_argument("--fresh", action="store_true", help="remake the bench database")
    return p.parse_args()


# --------------------------------------------------------------------------- the operation


def make_ops(drafts: deque) -> callable:
    lock = threading.Lock()

    def make(_i: int) -> Request | None:
        with lock:
            if not drafts:
                return None
            draft = drafts.popleft()
        browser = draft.browser

        def pay(response: Response) -> Request | None:
            match = NUMBER.search(response.headers.get("location", ""))
            if not match:
                where = raw(response.headers.get("location", ""))
                return Request("GET", f"/no-number-in-location/{where}", expect=(200,))
            return post(
                f"/en/kiosks/console/app/{match.group(1)}/pay/",
                {"token": secrets.token_urlsafe(18)},
                cookies=browser.cookies,
                csrf=browser.csrf,
                expect=(302,),
            )

        return post(
            f"/en/applications/draft/{draft.pk}/preview/",
            {"declaration": "yes"},
            cookies=browser.cookies,
            csrf=browser.csrf,
            expect=(302,),
            then=pay,
        )

    return make


def raw(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", text)[:40]


def empty_view(fleet: list) -> callable:
    def make(i: int) -> Request:
        headers = fleet[i % len(fleet)].browser.headers()
        return Request(
            "GET",
            "/livez",
            headers=headers,
            expect=(200,),
            then=lambda _r: Request("GET", "/livez", headers=headers, expect=(200,)),
        )

    return make


# --------------------------------------------------------------------------- the raw-SQL floor

# What one submit + pay writes (from the query log of one operation, ``--show-queries``):
#   submit    (1 transaction): the application locked, a number (nextval), 2 status
#             rows (one INSERT), the application row, an audit event; SMS + in-app
#             message (one INSERT) and their audit events (one INSERT)
#   payment   (1 transaction): a number (nextval), the payment, its event, an audit event
#   wallet    (1 transaction): the payment locked, its event, the wallet balance row
#             locked, a journal entry, 5 postings, the balance row, an audit event, the
#             daily rollups (upsert), the payment's effect key, a status row, the
#             back-office case and its first action, an audit event, the application
#             row, an audit event, 2 messages and their audit events (one INSERT each),
#             the payment row, an audit event
#   session   (2 transactions): the session row, once after each POST (the messages)
# The floor writes rows of the same width (copies of the last rows the HTTP run
# wrote, unique columns made fresh) into copies of those tables with the same
# indexes (``CREATE TABLE ... (LIKE ... INCLUDING ALL)``, no foreign keys: a floor a
# little faster than the real tables, so the ratio errs against ekseva), in the
# same 5 transactions.

RAW_TABLES = (
    "applications_application",
    "applications_statuschange",
    "core_auditevent",
    "notifications_message",
    "payments_payment",
    "payments_paymentevent",
    "ledger_journalentry",
    "ledger_posting",
    "ledger_walletbalance",
    "ledger_dailyrollup",
    "workflow_case",
    "workflow_action",
    "django_session",
)


class _Raw:
    def __init__(self, url: str) -> None:
        import psycopg

        self.url = url
        self.templates: dict[str, dict] = {}
        self.unique: dict[str, list[str]] = {}
        self.types: dict[str, dict[str, str]] = {}
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP SCHEMA IF EXISTS bench_raw CASCADE")
            conn.execute("CREATE SCHEMA bench_raw")
            for table in RAW_TABLES:
                conn.execute(f"CREATE TABLE bench_raw.{table} (LIKE public.{table} INCLUDING ALL)")
                cur = conn.execute(f"SELECT * FROM public.{table} ORDER BY 1 DESC LIMIT 1")
                cols = [d.name for d in cur.description]
                row = cur.fetchone()
                self.templates[table] = dict(zip(cols, row, strict=True))
                self.types[table] = dict(
                    conn.execute(
                        "SELECT column_name, data_type FROM information_schema.columns "
                        "WHERE table_schema = 'public' AND table_name = %s",
                        [table],
                    ).fetchall()
                )
                self.unique[table] = [
                    r[0]
                    for r in conn.execute(
                        "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
                        "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                        "WHERE i.indrelid = %s::regclass AND i.indisunique "
                        "AND NOT i.indisprimary",
                        [f"public.{table}"],
                    ).fetchall()
                ]
            conn.execute("CREATE SEQUENCE bench_raw.numbers")
        self.n = itertools.count(1)
        self.lock = threading.Lock()

    def fresh(self) -> int:
        with self.lock:
            return next(self.n)

    def row(self, table: str, n: int, **override) -> tuple[str, list]:
        values = dict(self.templates[table])
        pk = "session_key" if table == "django_session" else "id"
        if pk == "id":
            values.pop("id", None)
        for col in self.unique[table]:
            kind = self.types[table][col]
            if col in override:
                continue
            if "char" in kind or kind == "text":
                values[col] = f"R{n}-{col}"[:20]
            elif kind in ("integer", "bigint"):
                values[col] = 10**9 + n
        values.update(override)
        from psycopg.types.json import Jsonb

        params = [Jsonb(v) if isinstance(v, dict | list) else v for v in values.values()]
        cols = ", ".join(f'"{c}"' for c in values)
        marks = ", ".join(["%s"] * len(values))
        return f"INSERT INTO bench_raw.{table} ({cols}) VALUES ({marks}) RETURNING 1", params

    def insert(self, cur, table: str, n: int, **override) -> None:
        sql, params = self.row(table, n, **override)
        cur.execute(sql, params)

    def insert_many(self, cur, table: str, ns: list[int]) -> None:
        """Several rows in one INSERT (as ekseva writes a person's messages, their
        audit events and an application's history rows at submission)."""
        sql, params = self.row(table, ns[0])
        head, _, marks = sql.partition(" VALUES ")
        marks = marks.removesuffix(" RETURNING 1")
        for n in ns[1:]:
            params += self.row(table, n)[1]
        cur.execute(f"{head} VALUES {', '.join([marks] * len(ns))}", params)

    def update(self, cur, table: str, key: str, value) -> None:
        skip = {key, "id", *self.unique[table]}  # the row keeps its own keys
        values = {k: v for k, v in self.templates[table].items() if k not in skip}
        from psycopg.types.json import Jsonb

        sets = ", ".join(f'"{c}" = %s' for c in values)
        params = [Jsonb(v) if isinstance(v, dict | list) else v for v in values.values()]
        cur.execute(f'UPDATE bench_raw.{table} SET {sets} WHERE "{key}" = %s', [*params, value])

    def seed(self, ops: int, wallets: int) -> None:
        """Rows the operations update: applications, payments, wallets, sessions."""
        import psycopg

        with psycopg.connect(self.url) as conn, conn.cursor() as cur:
            for i in range(ops):
                self.insert(cur, "applications_application", i, id=i + 1)
                self.insert(cur, "django_session", i, session_key=f"s{i}")
            for i in range(wallets):
                self.insert(cur, "ledger_walletbalance", i, account_id=i + 1)

    def op(self, conn, i: int, wallet: int) -> None:
        n = self.fresh()
        with conn.transaction(), conn.cursor() as cur:  # submit
            cur.execute(
                "SELECT id FROM bench_raw.applications_application WHERE id = %s FOR UPDATE",
                [i + 1],
            )
            cur.execute("SELECT nextval('bench_raw.numbers')")
            self.insert_many(cur, "applications_statuschange", [n, n])
            self.update(cur, "applications_application", "id", i + 1)
            self.insert(cur, "core_auditevent", n * 10)
            self.insert_many(cur, "notifications_message", [n * 10 + 1, n * 10 + 2])
            self.insert_many(cur, "core_auditevent", [n * 10 + 1, n * 10 + 2])
        with conn.cursor() as cur:
            self.update(cur, "django_session", "session_key", f"s{i}")  # autocommit
        with conn.transaction(), conn.cursor() as cur:  # the payment
            cur.execute("SELECT nextval('bench_raw.numbers')")
            cur.execute(*self.row("payments_payment", n, id=n))
            self.insert(cur, "payments_paymentevent", n * 10)
            self.insert(cur, "core_auditevent", n * 10 + 3)
        with conn.transaction(), conn.cursor() as cur:  # paid from the wallet
            cur.execute("SELECT id FROM bench_raw.payments_payment WHERE id = %s FOR UPDATE", [n])
            self.insert(cur, "payments_paymentevent", n * 10 + 1)
            cur.execute(
                "SELECT balance FROM bench_raw.ledger_walletbalance WHERE account_id = %s "
                "FOR UPDATE",
                [wallet],
            )
            self.insert(cur, "ledger_journalentry", n)
            for k in range(5):
                self.insert(cur, "ledger_posting", n * 10 + k)
            cur.execute(
                "UPDATE bench_raw.ledger_walletbalance SET balance = balance - 56720, "
                "version = version + 1 WHERE account_id = %s",
                [wallet],
            )
            self.insert(cur, "core_auditevent", n * 10 + 4)
            t = self.templates["ledger_dailyrollup"]
            cur.execute(
                "INSERT INTO bench_raw.ledger_dailyrollup (day, account_id, dimensions, shard, "
                "debits, credits, count) SELECT %s, a, %s, %s, 0, 100, 1 "
                "FROM unnest(%s::int[]) a ON CONFLICT (day, account_id, dimensions, shard) "
                "DO UPDATE SET credits = bench_raw.ledger_dailyrollup.credits + 100, "
                "count = bench_raw.ledger_dailyrollup.count + 1",
                [t["day"], t["dimensions"], n % 8, [1, 2, 3, 4, wallet + 10]],
            )
            self.update(cur, "payments_payment", "id", n)
            self.insert(cur, "applications_statuschange", n * 10 + 1)
            self.insert(cur, "workflow_case", n, application_id=10**9 + n)
            self.insert(cur, "workflow_action", n)
            self.insert(cur, "core_auditevent", n * 10 + 5)
            self.update(cur, "applications_application", "id", i + 1)
            self.insert(cur, "core_auditevent", n * 10 + 6)
            self.insert_many(cur, "notifications_message", [n * 10 + 3, n * 10 + 4])
            self.insert_many(cur, "core_auditevent", [n * 10 + 7, n * 10 + 8])
            self.update(cur, "payments_payment", "id", n)
            self.insert(cur, "core_auditevent", n * 10 + 9)
        with conn.cursor() as cur:
            self.update(cur, "django_session", "session_key", f"s{i}")

    def drop(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("DROP SCHEMA IF EXISTS bench_raw CASCADE")


def raw_floor(url: str, *, clients: int, seconds: float, wallets: int = 64) -> Load:
    """The rows of submit + pay written by raw SQL from ``clients`` threads, each
    with its own connection (autocommit; explicit transactions as Django's)."""
    import psycopg

    raw = _Raw(url)
    slots = 200_000
    raw.seed(min(slots, 20_000), wallets)
    latencies: list[float] = []
    errors: list[str] = []
    done = [0]
    counter = itertools.count()
    stop = time.perf_counter() + 1.0 + seconds
    measure_from = time.perf_counter() + 1.0
    cpu0 = time.process_time()

    def client(c: int) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            while (now := time.perf_counter()) < stop:
                i = next(counter) % 20_000
                try:
                    raw.op(conn, i, 1 + (i % wallets))
                except Exception as exc:
                    errors.append(repr(exc)[:200])
                    continue
                if now >= measure_from:
                    latencies.append((time.perf_counter() - now) * 1000)
                    done[0] += 1

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    raw.drop()
    return Load(
        name="raw SQL",
        ops=done[0],
        errors=len(errors),
        seconds=seconds,
        latencies_ms=latencies,
        requests=done[0] * 5,
        clients=clients,
        cpu_seconds=time.process_time() - cpu0,
        error_samples=errors[:5],
    )


# --------------------------------------------------------------------------- money


def money_mark() -> int:
    from ekseva.applications.models import Application

    last = Application.objects.order_by("-pk").values_list("pk", flat=True).first()
    return last or 0


def money_check(since: int, kiosks: list[str]) -> dict:
    """Every application of the fleet's kiosks submitted during the run (drafts made
    before it, so: submitted at or after the run began) is paid exactly once, and
    the ledger's invariants hold (``ekseva ledger check``: every wallet's balance row
    equals the sum of its postings, every entry balances)."""
    from django.db.models import Count, Q

    from ekseva.applications.models import Application, Status
    from ekseva.ledger.verify import verify
    from ekseva.payments.models import PAID_STATUSES, Payment

    started = RUN_STARTED[0]
    submitted = Application.objects.filter(kiosk_code__in=kiosks, submitted_at__gte=started)
    unpaid = submitted.exclude(paid_at__isnull=False).count()
    paid_twice = (
        Payment.objects.filter(
            purpose="application_fee",
            target__in=submitted.values("number"),
            status__in=PAID_STATUSES,
        )
        .values("target")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    not_received = submitted.filter(~Q(status=Status.RECEIVED)).count()
    problems = verify()
    return {
        "ok": unpaid == 0 and paid_twice == 0 and not problems,
        "submitted": submitted.count(),
        "unpaid": unpaid,
        "paid_twice": paid_twice,
        "not_received": not_received,
        "ledger_problems": [str(p) for p in problems[:5]],
    }


RUN_STARTED: list = [None]


# --------------------------------------------------------------------------- one op's queries


def show_queries(
    fleet: list, drafts: deque, *, verbose: bool = True, profile: bool = False
) -> dict[str, int]:
    """Run one operation in this process (Django's test client, the same middleware,
    the operator's session cookie) and print its query log, request by request:
    what each query is, and how many there were. Returns the counts per request.
    Two operations run first, unlogged (the first of a process loads modules and
    templates); ``profile`` prints pyinstrument's profile of the logged one."""
    for _ in range(2):
        _one_op(drafts.popleft(), quiet=True)
    return _one_op(drafts.popleft(), verbose=verbose, profile=profile)


def _one_op(draft, *, verbose: bool = True, quiet: bool = False, profile: bool = False):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    for part in draft.browser.cookies.split("; "):
        name, _, value = part.partition("=")
        client.cookies[name] = value
    counts: dict[str, int] = {}

    def run(label: str, path: str, data: dict[str, str]) -> str:
        profiler = None
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            profiler.start()
        with CaptureQueriesContext(connection) as log:
            started = time.perf_counter()
            cpu = time.process_time()
            response = client.post(path, data, HTTP_X_CSRFTOKEN=draft.browser.csrf)
            took = (time.perf_counter() - started) * 1000
            cpu = (time.process_time() - cpu) * 1000
        if profiler is not None:
            profiler.stop()
            print(profiler.output_text(unicode=False, color=False, show_all=False))
        counts[label] = len(log.captured_queries)
        if quiet:
            return response.headers.get("Location", "")
        print(
            f"\n== {label}: POST {path} -> {response.status_code} "
            f"{response.headers.get('Location', '')}  {len(log)} queries, {took:.0f} ms "
            f"({cpu:.0f} ms CPU in this process)"
        )
        if verbose:
            for n, q in enumerate(log.captured_queries, 1):
                sql = re.sub(r"\s+", " ", q["sql"])
                print(f"{n:4d} {float(q['time']) * 1000:6.1f} ms  {sql[:220]}")
        return response.headers.get("Location", "")

    location = run("submit", f"/en/applications/draft/{draft.pk}/preview/", {"declaration": "yes"})
    match = NUMBER.search(location)
    if match:
        run(
            "pay",
            f"/en/kiosks/console/app/{match.group(1)}/pay/",
            {"token": secrets.token_urlsafe(18)},
        )
    if not quiet:
        print(f"\nqueries per op: {counts} = {sum(counts.values())}")
    return counts


# --------------------------------------------------------------------------- main


def main() -> None:
    args = parse()
    database = os.environ.get("BENCH_DATABASE", "ekseva_bench_sp")
    bench = Bench("submit_pay", database=database, fresh=args.fresh)
    bench.prepare()
    bench.django()
    import fleet as fleetmod

    if args.raw_only:
        load = raw_floor(bench.url, clients=args.clients, seconds=args.seconds)
        print(f"raw SQL floor: {load.rate:.1f}/s p50 {load.pct(50):.1f} ms p99 {load.pct(99):.1f}")
        print(load.errors, load.error_samples)
        return

    started = time.perf_counter()
    fleet = fleetmod.make_fleet(args.kiosks, fund_paise=200_000_00, prefix="bench")
    wanted = args.drafts or 2400
    per_kiosk = -(-wanted // len(fleet))
    lists = fleetmod.ready_drafts_many([(fk, per_kiosk) for fk in fleet])
    # Interleave the kiosks so that consecutive operations are at different kiosks.
    drafts = deque(d for group in zip(*lists, strict=False) for d in group)
    seeded = time.perf_counter() - started
    print(f"[submit_pay] {len(fleet)} kiosks, {len(drafts)} drafts ready in {seeded:.0f} s")
    if args.show_queries:
        show_queries(fleet, drafts, profile=args.profile)
        return
    since = money_mark()

    from ekseva.core import clock

    RUN_STARTED[0] = clock.now()
    with bench.server(workers=args.workers or None, threads=args.threads or None) as server:
        floor = server.load(
            empty_view(fleet),
            name="empty view x2",
            clients=args.clients,
            seconds=args.floor_seconds,
        )
        sp = server.load(
            make_ops(drafts), name="submit + pay", clients=args.clients, seconds=args.seconds
        )
        workers = len(server.workers())
    if drafts:
        print(f"[submit_pay] {len(drafts)} drafts left over (reused by the next run)")
    else:
        print("[submit_pay] WARNING: ran out of drafts before the time was up: raise --drafts")
    rawload = raw_floor(bench.url, clients=args.clients, seconds=args.floor_seconds)
    check = money_check(since, [fk.kiosk.code for fk in fleet])
    rows: list[tuple[str, Load]] = [
        ("floor: empty view x2", floor),
        ("floor: raw SQL (psycopg)", rawload),
        ("submit + pay", sp),
    ]
    result = bench.report(
        rows,
        floor=floor,
        extra={
            "raw_sql_floor_per_s": round(rawload.rate, 1),
            "ratio_to_raw_sql": round(sp.rate / rawload.rate, 4) if rawload.rate else None,
            "ratio_to_empty_view": round(sp.rate / floor.rate, 4) if floor.rate else None,
            "kiosks": len(fleet),
            "server_workers": workers,
            "server_threads": args.threads or None,
            "money_check": check,
        },
    )
    print(
        f"submit + pay: {sp.rate:.1f}/s = {result['ratio_to_raw_sql']:.3f} x raw SQL "
        f"({rawload.rate:.1f}/s), {result['ratio_to_empty_view']:.3f} x empty view "
        f"({floor.rate:.1f}/s); p99 {sp.pct(99):.1f} ms at {args.clients} clients; "
        f"errors {sp.errors}"
    )
    print(f"money check: {check}")
    if not check["ok"]:
        sys.exit("MONEY CHECK FAILED")


if __name__ == "__main__":
    main()
