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

After the run every application submitted is checked to be paid exactly once, and
every wallet's balance row against the sum of its postings: a benchmark that loses
money is worthless. Figures are saved in var/bench/submit_pay.json.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
import threading
import time
from collections import deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Bench, Load, Request, Response, post  # noqa: E402

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


# --------------------------------------------------------------------------- main


def main() -> None:
    args = parse()
    database = os.environ.get("BENCH_DATABASE", "ekseva_bench_sp")
    bench = Bench("submit_pay", database=database, fresh=args.fresh)
    bench.prepare()
    bench.django()
    import fleet as fleetmod
    import raw_submit_pay
    import verify_money

    if args.show_queries:
        raw_submit_pay.show_queries()
        return
    if args.raw_only:
        load = raw_submit_pay.run(bench.url, clients=args.clients, seconds=args.seconds)
        print(f"raw SQL floor: {load.rate:.1f}/s p50 {load.pct(50):.1f} ms p99 {load.pct(99):.1f}")
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
    submitted_before = verify_money.paid_count(database)

    with bench.server(workers=args.workers or None, threads=args.threads or None) as server:
        floor = server.load(
            empty_view(fleet), name="empty view x2", clients=args.clients, seconds=args.floor_seconds
        )
        sp = server.load(
            make_ops(drafts), name="submit + pay", clients=args.clients, seconds=args.seconds
        )
        workers = len(server.workers())
    if drafts:
        print(f"[submit_pay] {len(drafts)} drafts left over (reused by the next run)")
    else:
        print("[submit_pay] WARNING: ran out of drafts before the time was up: raise --drafts")
    rawload = raw_submit_pay.run(bench.url, clients=args.clients, seconds=args.floor_seconds)
    check = verify_money.check(database, since_paid=submitted_before)
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
