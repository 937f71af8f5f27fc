"""Bench 4 (issue 8): the catalogue page and a service page, rendered for an
anonymous visitor in English and in Hindi, against the empty view, on the
production server (``ekseva serve``) and PostgreSQL.

    .venv/bin/python bench/bench_pages.py [--seconds 8] [--clients 32]

Rows, each driven by 32 keep-alive clients for ``--seconds`` after a 1 s warm-up:

- floor: ``GET /livez`` (the empty view) on the same server, in the same run;
- ``/en/services/`` and ``/hi/services/``: the whole catalogue (45 services in the
  demo), with its category, department and district filters;
- ``/en/services/?q=…`` and ``?category=…``: a search and a filter (the queries
  rotate over a few words and categories, English and Hindi);
- ``/en/services/<code>/`` and ``/hi/services/<code>/``: a service's page (the
  codes rotate over every live service).

Then, unless ``--inprocess 0``, the same pages (and the home page) inside this
process through Django's WSGI handler (bench/inprocess.py): CPU ms per request
and the ratio to ``/livez``, the figure that a busy shared machine moves least.

The figures print as ratios to the floor and are saved in var/bench/pages.json.
Environment: BENCH_DATABASE, BENCH_PORT, REDIS_URL (harness.Bench).
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Bench, Request, http_parser

SEARCHES = ["certificate", "प्रमाण", "bill", "exam", "licence", "छात्रवृत्ति", "birth", "revaluation"]
CATEGORIES = ["citizen", "educational", "recruitment", "business", "bill_payment"]


def main() -> None:
    args = http_parser(__doc__, seconds=8.0).parse_args()

    with Bench("pages", fresh=args.fresh) as bench:
        bench.django()
        from ekseva.catalog import selectors

        codes = list(selectors.live_services().order_by("code").values_list("code", flat=True))
        if not codes:
            raise SystemExit("the demo data has no live service")
        print(f"[pages] {len(codes)} live services", flush=True)

        def get(path: str) -> Request:
            return Request("GET", path, expect=(200,))

        pages = [
            ("GET /en/services/", lambda i: get("/en/services/")),
            ("GET /hi/services/", lambda i: get("/hi/services/")),
            (
                "GET /en/services/?q=<words>",
                lambda i: get(f"/en/services/?q={quote(SEARCHES[i % len(SEARCHES)])}"),
            ),
            (
                "GET /hi/services/?category=<c>",
                lambda i: get(f"/hi/services/?category={CATEGORIES[i % len(CATEGORIES)]}"),
            ),
            ("GET /en/services/<code>/", lambda i: get(f"/en/services/{codes[i % len(codes)]}/")),
            ("GET /hi/services/<code>/", lambda i: get(f"/hi/services/{codes[i % len(codes)]}/")),
        ]
        load = {"clients": args.clients, "seconds": args.seconds}
        rows = []
        with bench.server() as server:
            floor = server.load(lambda i: Request("GET", "/livez"), name="floor", **load)
            rows.append(("floor: GET /livez (empty view)", floor))
            for label, make in pages:
                rows.append((label, server.load(make, name=label, **load)))
            rows.append(
                (
                    "floor again (drift check)",
                    server.load(lambda i: Request("GET", "/livez"), name="floor again", **load),
                )
            )
        inprocess = {}
        if args.inprocess:
            from inprocess import cpu_per_request

            def here(make):
                return lambda i: ("GET", make(i).path, None)

            inprocess = cpu_per_request(
                {
                    "floor: GET /livez": lambda i: ("GET", "/livez", None),
                    "GET /en/ (home)": lambda i: ("GET", "/en/", None),
                    **{label: here(make) for label, make in pages},
                },
                n=args.inprocess,
            )
        bench.report(rows, floor=floor, extra={"services": len(codes), "inprocess_cpu": inprocess})


if __name__ == "__main__":
    main()
