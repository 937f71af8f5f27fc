"""The deadline surge (issue 8): the last day of an application window, as locust users.

Run by ``bench/surge.py`` (which seeds the database, starts the production server and
drives this file at a series of user counts); by hand, after a ``surge.py`` run has
written the seed file::

    .venv/bin/locust -f bench/locustfile.py --headless -u 32 -r 32 -t 60s \\
        --host http://127.0.0.1:8775

Four kinds of people, weighted like the last day of a recruitment window:

- ``Browsing`` (weight 30): anonymous; home, the catalogue, a search, a service
  page, in English and in Hindi.
- ``Applying`` (weight 30): a signed-in citizen applies online from start to paid:
  start page, start (POST: a draft), the form's step (GET, POST valid answers),
  preview, submit (declaration=yes), the application's page, Pay (POST: a payment
  and the sandbox gateway's order), the sandbox's own checkout page (GET, then POST
  a UPI handle that succeeds), back to ekseva's return URL, the payment's status.
- ``Kiosk`` (weight 15): an operator serves a walk-in: the console, submits a draft
  prepared for the walk-in (its preview, POST declaration=yes), the application on
  the console, Pay from the wallet (POST with a fresh token), the receipt PDF.
- ``Tracking`` (weight 25): the public tracking form (GET, then POST number +
  mobile + captcha: a signed key made before the load, answered, single-use), and a certificate
  checked by its number (``/en/verify/<number>/``).

Every user keeps its cookies and sends the CSRF token (cookie + X-CSRFToken
header). A step that does not answer as a browser expects (a redirect where the
view redirects on success, the page's marker where it renders) is a failure.

The seed file ($SURGE_SEED, default var/bench/surge-seed.json) holds the signed-in
sessions, the kiosks' prepared drafts, the captchas and the numbers to look up.
$SURGE_OFFSETS says how many drafts and captchas earlier runs used; this run writes
what it used and the journeys it completed to $SURGE_OUT (JSON) when it stops.
$SURGE_WAIT ("min,max" seconds, default "0.5,2") is the think time between pages.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import secrets
import threading
from pathlib import Path
from urllib.parse import urlsplit

from locust import HttpUser, between, events, task

ROOT = Path(__file__).resolve().parent.parent
SEED = json.loads(
    Path(os.environ.get("SURGE_SEED", ROOT / "var" / "bench" / "surge-seed.json")).read_text()
)
OFFSETS = json.loads(os.environ.get("SURGE_OFFSETS", "{}") or "{}")
_wait = [float(x) for x in os.environ.get("SURGE_WAIT", "0.5,2").split(",")]
WAIT = between(_wait[0], _wait[-1])

_lock = threading.Lock()
_counts = {"applying": 0, "kiosk": 0, "tracking": 0, "browsing": 0}
_used = {"drafts": 0, "captchas": 0, "kiosk_dry": 0}

_drafts_by_kiosk: dict[int, list[dict]] = {}
for d in SEED.get("drafts", []):
    _drafts_by_kiosk.setdefault(d["kiosk"], []).append(d)
_kiosk_start = OFFSETS.get("drafts_by_kiosk", {})
_draft_iters = {k: iter(v[int(_kiosk_start.get(str(k), 0)) :]) for k, v in _drafts_by_kiosk.items()}
_used_by_kiosk: dict[str, int] = dict(_kiosk_start)
# Tracking captchas: signed keys made just before this load ($SURGE_CAPTCHAS, from
# surge.py), or the seed's.
_captchas = iter(
    json.loads(Path(os.environ["SURGE_CAPTCHAS"]).read_text())
    if os.environ.get("SURGE_CAPTCHAS")
    else SEED.get("captchas", [])[int(OFFSETS.get("captchas", 0)) :]
)
_citizens = iter(SEED.get("citizens", [])[int(OFFSETS.get("citizens", 0)) :])
_kiosks = itertools.cycle(sorted(_drafts_by_kiosk) or [None])
_tracks = itertools.cycle(SEED.get("tracks", []) or [None])
_certificates = itertools.cycle(SEED.get("certificates", []) or [None])

SERVICE = SEED.get("service", {})
SERVICES = SEED.get("catalogue", []) or ["rgpv-revaluation"]
SEARCHES = ["certificate", "revaluation", "exam", "प्रमाण पत्र", "bill", "licence"]
STEP_URL = re.compile(r"/applications/draft/(\d+)/step/([a-z0-9_-]+)/$")
NUMBER_URL = re.compile(r"/applications/([A-Z0-9]{8,24})/$")


def _count(kind: str) -> None:
    with _lock:
        _counts[kind] += 1


def _next_draft(kiosk: int) -> dict | None:
    with _lock:
        it = _draft_iters.get(kiosk)
        draft = next(it, None) if it else None
        if draft is None:
            _used["kiosk_dry"] += 1
            return None
        _used["drafts"] += 1
        _used_by_kiosk[str(kiosk)] = _used_by_kiosk.get(str(kiosk), 0) + 1
        return draft


def _next_captcha() -> list | None:
    with _lock:
        captcha = next(_captchas, None)
        if captcha is not None:
            _used["captchas"] += 1
        return captcha


# Latencies of answered requests once every user has spawned (as --reset-stats
# counts): all of them, and the pages alone (the receipt PDF left out), so that
# surge.py can say what the PDF does to the p99.
_latencies: dict[str, list[float]] = {"all": [], "pages": []}


@events.spawning_complete.add_listener
def _spawned(**_kw) -> None:
    with _lock:
        for values in _latencies.values():
            values.clear()


@events.request.add_listener
def _answered(name: str, response_time: float, exception=None, **_kw) -> None:
    if exception is not None:
        return
    _latencies["all"].append(response_time)
    if "PDF" not in name:
        _latencies["pages"].append(response_time)


def _pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    data = sorted(values)
    return round(data[min(len(data) - 1, max(0, round(p / 100 * len(data)) - 1))], 1)


@events.quitting.add_listener
def _write_out(environment, **_kw) -> None:
    out = os.environ.get("SURGE_OUT")
    if not out:
        return
    Path(out).write_text(
        json.dumps(
            {
                "journeys": dict(_counts),
                "used": dict(_used),
                "drafts_by_kiosk": dict(_used_by_kiosk),
                "latency_ms": {
                    kind: {f"p{p}": _pct(values, p) for p in (50, 95, 99)}
                    for kind, values in _latencies.items()
                },
            }
        )
    )


def _path(location: str) -> str:
    """A Location header as a path on this host (the return URL comes absolute)."""
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class Person(HttpUser):
    abstract = True
    wait_time = WAIT

    def sign_in(self, browser: dict | None) -> None:
        """Take the browser's cookies (a session made by bench/sessions.py, or only
        the CSRF cookie) and send its CSRF token on every request."""
        self.client.cookies.clear()
        csrf = secrets.token_hex(16)
        if browser:
            for pair in browser["cookies"].split(";"):
                name, _, value = pair.strip().partition("=")
                self.client.cookies.set(name, value)
            csrf = browser["csrf"]
        else:
            self.client.cookies.set("csrftoken", csrf)
        self.client.headers["X-CSRFToken"] = csrf

    def page(self, path: str, name: str, *, marker: bytes = b"", status: int = 200):
        with self.client.get(path, name=name, catch_response=True, allow_redirects=False) as r:
            if r.status_code != status or (marker and marker not in r.content):
                why = r.error if r.status_code == 0 else f"{len(r.content)} bytes"
                r.failure(f"{r.status_code}, {why!r}")
                return None
            r.success()
            return r

    def send(self, path: str, data: dict, name: str, *, redirect: bool = True):
        """A form POST; ``redirect``: success is a redirect (the views redirect after
        a successful POST, and render the form again with its errors)."""
        with self.client.post(
            path, data=data, name=name, catch_response=True, allow_redirects=False
        ) as r:
            if redirect and r.status_code not in (301, 302, 303):
                why = r.error if r.status_code == 0 else r.text[:160]  # 0: no answer
                r.failure(f"expected a redirect, got {r.status_code}: {why!r}")
                return None
            r.success()
            return r


class Browsing(Person):
    weight = 30

    def on_start(self) -> None:
        self.sign_in(None)
        self.lang = "hi" if secrets.randbelow(3) == 0 else "en"  # a third read Hindi

    @task(2)
    def home(self) -> None:
        self.page(f"/{self.lang}/", "browse: home")

    @task(3)
    def catalogue(self) -> None:
        self.page(f"/{self.lang}/services/", "browse: catalogue")

    @task(2)
    def search(self) -> None:
        q = SEARCHES[secrets.randbelow(len(SEARCHES))]
        self.client.get(f"/{self.lang}/services/", params={"q": q}, name="browse: search")

    @task(4)
    def service(self) -> None:
        code = SERVICES[secrets.randbelow(len(SERVICES))]
        self.page(f"/{self.lang}/services/{code}/", "browse: service page")
        _count("browsing")


class Applying(Person):
    weight = 30

    def on_start(self) -> None:
        with _lock:
            citizen = next(_citizens, None)
        if citizen is None:
            raise RuntimeError("no signed-in citizen left in the seed (surge.py makes them)")
        self.sign_in(citizen)

    @task
    def apply_and_pay(self) -> None:
        code = SERVICE["code"]
        start = f"/en/applications/start/{code}/"
        if not self.page(start, "apply: start page"):
            return
        self.wait()
        r = self.send(start, {}, "apply: start (POST, draft)")
        if r is None:
            return
        step = _path(r.headers["Location"])
        if not STEP_URL.search(step):
            r.failure(f"the draft went to {step}")
            return
        if not self.page(step, "apply: step page"):
            return
        self.wait()
        r = self.send(step, SERVICE["answers"], "apply: step (POST)")
        if r is None:
            return
        preview = _path(r.headers["Location"])
        if not self.page(preview, "apply: preview"):
            return
        self.wait()
        r = self.send(preview, {"declaration": "yes"}, "apply: submit (POST)")
        if r is None:
            return
        detail = _path(r.headers["Location"])
        match = NUMBER_URL.search(detail)
        if not match:
            r.failure(f"submitting went to {detail}")
            return
        number = match.group(1)
        if not self.page(detail, "apply: application page"):
            return
        self.wait()
        token = secrets.token_urlsafe(24)
        r = self.send(f"/en/applications/{number}/pay/", {"token": token}, "apply: pay (POST)")
        if r is None:
            return
        checkout = _path(r.headers["Location"])
        if "/sandbox/checkout/" not in checkout:
            r.failure(f"pay went to {checkout}")
            return
        if not self.page(checkout, "apply: sandbox checkout page"):
            return
        self.wait()
        r = self.send(
            checkout,
            {"method": "upi", "upi-upi_handle": "success@sandbox"},
            "apply: sandbox pays (POST)",
        )
        if r is None:
            return
        r = self.page(_path(r.headers["Location"]), "apply: gateway return", status=302)
        if r is None:
            return
        if self.page(
            _path(r.headers["Location"]), "apply: payment status", marker=b'data-status="succeeded"'
        ):
            _count("applying")


class Kiosk(Person):
    weight = 15

    def on_start(self) -> None:
        self.kiosk = next(_kiosks)
        drafts = _drafts_by_kiosk.get(self.kiosk) or []
        self.sign_in(
            {"cookies": drafts[0]["cookies"], "csrf": drafts[0]["csrf"]} if drafts else None
        )

    @task
    def assisted(self) -> None:
        if not self.page("/en/kiosks/console/", "kiosk: console"):
            return
        draft = _next_draft(self.kiosk)
        if draft is None:
            return  # this kiosk's prepared drafts are used up (surge.py --drafts)
        preview = f"/en/applications/draft/{draft['pk']}/preview/"
        if not self.page(preview, "kiosk: preview"):
            return
        self.wait()
        r = self.send(preview, {"declaration": "yes"}, "kiosk: submit (POST)")
        if r is None:
            return
        app = _path(r.headers["Location"])
        match = re.search(r"/console/app/([A-Z0-9]{8,24})/$", app)
        if not match:
            r.failure(f"submitting went to {app}")
            return
        number = match.group(1)
        if not self.page(app, "kiosk: application"):
            return
        self.wait()
        token = secrets.token_urlsafe(24)
        r = self.send(app + "pay/", {"token": token}, "kiosk: pay from wallet (POST)")
        if r is None:
            return
        if not self.page(app, "kiosk: application (paid)", marker=b"data-receipt"):
            return
        if self.page(f"/en/applications/{number}/receipt.pdf?lang=en", "kiosk: receipt PDF"):
            _count("kiosk")


class Tracking(Person):
    weight = 25

    def on_start(self) -> None:
        self.sign_in(None)

    @task(3)
    def track(self) -> None:
        if not self.page("/en/track/", "track: form"):
            return
        captcha = _next_captcha()
        target = next(_tracks)
        if captcha is None or target is None:
            return
        self.wait()
        with self.client.post(
            "/en/track/",
            data={
                "number": target["number"],
                "mobile": target.get("mobile", ""),
                "date_of_birth": target.get("date_of_birth", ""),
                "captcha_0": captcha[0],
                "captcha_1": captcha[1],
            },
            name="track: lookup (POST)",
            catch_response=True,
            allow_redirects=False,
        ) as r:
            if r.status_code != 200 or b"data-found=" not in r.content:
                r.failure(f"{r.status_code}: not found")
                return
            r.success()
        _count("tracking")

    @task(1)
    def verify(self) -> None:
        number = next(_certificates)
        if number and self.page(f"/en/verify/{number}/", "track: verify certificate"):
            _count("tracking")


if not _drafts_by_kiosk:
    Kiosk.abstract = True  # no kiosk in the seed (surge.py --kiosks 0): no kiosk users
