"""Bench 2 (issue 8): the public lookups against the empty view, on the production
server (``ekseva serve``) and PostgreSQL.

    .venv/bin/python bench/bench_lookups.py [--seconds 10] [--clients 32]

Rows, each driven by 32 keep-alive clients for ``--seconds`` after a 1 s warm-up:

- floor: ``GET /livez`` (the empty view) on the same server, in the same run;
- ``GET /en/track/``: the tracking form (with a fresh signed captcha key, as for a
  person: ``core.captcha`` writes nothing);
- ``POST /en/track/``: number + applicant's mobile (or date of birth) + captcha,
  the answer page with the timeline. The captcha stays in the measured path: each
  request posts a fresh key and its answer (the load generator signs keys with
  the server's secret and reads the answer as a person reads the picture), and
  the server checks it and claims it in Redis (single use);
- ``GET /en/verify/<number>/``: the result-style lookup by number (a certificate
  checked by its number). The server runs with CERTIFICATE_VERIFY_PER_MINUTE set
  to 10^9: the per-address limit (30 a minute by default) stays in the measured
  path (one cache increment per lookup) but does not refuse the load generator,
  whose every request comes from 127.0.0.1.

Then, unless ``--inprocess 0``, the same requests inside this process through
Django's WSGI handler (bench/inprocess.py): CPU ms per request and the ratio to
``/livez``, the figure that a busy shared machine moves least.

Target (issue 8): each lookup >= 70% of the floor. The figures print as ratios to
the floor and are saved in var/bench/lookups.json. Environment: BENCH_DATABASE,
BENCH_PORT, REDIS_URL (harness.Bench).
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Bench, Request, http_parser, post
from sessions import anonymous


def _applications(limit: int) -> list[dict[str, str]]:
    """Submitted applications of the demo with what the public form takes: the
    number and the applicant's mobile, or (every third) the date of birth."""
    from ekseva.applications.models import Application, Status

    found = []
    rows = (
        Application.objects.exclude(status=Status.DRAFT)
        .exclude(number="")
        .select_related("applicant", "applicant__profile")
        .order_by("pk")[:limit]
    )
    for n, app in enumerate(rows):
        profile = getattr(app.applicant, "profile", None)
        dob = getattr(profile, "date_of_birth", None)
        if dob and n % 3 == 2:
            found.append({"number": app.number, "mobile": "", "date_of_birth": dob.isoformat()})
        elif app.applicant.mobile:
            found.append({"number": app.number, "mobile": app.applicant.mobile[-10:]})
    return found


def _captcha() -> tuple[str, str]:
    """A fresh captcha (key, answer), as the form would give it, solved as a person
    reads its picture: the key is signed with the server's secret (the same
    settings), and the answer is what the picture shows (core.captcha). Each key
    is single use: the server claims it in Redis at the check."""
    from ekseva.core import captcha

    key = captcha.new_key()
    return key, captcha.challenge_of(key) or ""


def _certificates() -> list[str]:
    from ekseva.certificates.models import Certificate

    return list(Certificate.objects.order_by("pk").values_list("number", flat=True)[:200])


def main() -> None:
    args = http_parser(__doc__, seconds=10.0).parse_args()

    with Bench("lookups", fresh=args.fresh) as bench:
        bench.django()
        apps = _applications(500)
        numbers = _certificates()
        if not apps or not numbers:
            raise SystemExit("the demo data has no submitted application or no certificate")
        browser = anonymous()
        print(
            f"[lookups] {len(apps)} applications, {len(numbers)} certificates",
            flush=True,
        )

        found_marker = b"data-found="
        app_cycle = itertools.cycle(apps)

        def track_post(i: int) -> Request:
            hashkey, answer = _captcha()
            app = next(app_cycle)
            fields = {
                "number": app["number"],
                "mobile": app.get("mobile", ""),
                "date_of_birth": app.get("date_of_birth", ""),
                "captcha_0": hashkey,
                "captcha_1": answer,
            }
            request = post("/en/track/", fields, cookies=browser.cookies, csrf=browser.csrf)
            request.expect = (200,)
            return request

        def verify(i: int) -> Request:
            return Request("GET", f"/en/verify/{numbers[i % len(numbers)]}/", expect=(200,))

        load = {"clients": args.clients, "seconds": args.seconds}
        rows = []
        with bench.server(env={"CERTIFICATE_VERIFY_PER_MINUTE": "1000000000"}) as server:
            floor = server.load(lambda i: Request("GET", "/livez"), name="floor", **load)
            rows.append(("floor: GET /livez (empty view)", floor))
            rows.append(
                (
                    "GET /en/track/ (form + captcha)",
                    server.load(
                        lambda i: Request("GET", "/en/track/", expect=(200,)),
                        name="track form",
                        **load,
                    ),
                )
            )
            # Check once that a lookup finds its application (not a "no match" page).
            sample = run_once(server.base, track_post(0))
            if found_marker not in sample:
                raise SystemExit(
                    "a track POST did not find its application: " + sample[:300].decode()
                )
            rows.append(
                (
                    "POST /en/track/ (status lookup)",
                    server.load(track_post, name="track lookup", **load),
                )
            )
            rows.append(
                (
                    "GET /en/verify/<number>/",
                    server.load(verify, name="verify by number", **load),
                )
            )
            rows.append(
                (
                    "floor again (drift check)",
                    server.load(lambda i: Request("GET", "/livez"), name="floor again", **load),
                )
            )
        inprocess = {}
        if args.inprocess:
            from django.conf import settings
            from inprocess import cpu_per_request

            settings.CERTIFICATE_VERIFY_PER_MINUTE = 10**9  # as the server's

            def track_post_here(i: int):
                request = track_post(i)
                from urllib.parse import parse_qsl

                return "POST", request.path, dict(parse_qsl(request.body.decode()))

            inprocess = cpu_per_request(
                {
                    "floor: GET /livez": lambda i: ("GET", "/livez", None),
                    "GET /en/track/": lambda i: ("GET", "/en/track/", None),
                    "POST /en/track/": track_post_here,
                    "GET /en/verify/<number>/": lambda i: (
                        "GET",
                        f"/en/verify/{numbers[i % len(numbers)]}/",
                        None,
                    ),
                },
                n=args.inprocess,
            )
        bench.report(
            rows,
            floor=floor,
            extra={
                "target": "each lookup >= 0.70 x floor",
                "server_env": {"CERTIFICATE_VERIFY_PER_MINUTE": "1000000000"},
                "inprocess_cpu": inprocess,
            },
        )


def run_once(base: str, request: Request) -> bytes:
    import urllib.request

    http = urllib.request.Request(
        base + request.path, data=request.body, headers=request.headers, method=request.method
    )
    with urllib.request.urlopen(http, timeout=10) as response:
        return response.read()


if __name__ == "__main__":
    main()
