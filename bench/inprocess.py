"""CPU per request of a page inside one process: the request goes through Django's
WSGI handler (every middleware, the view, the template) as under gunicorn, without
the HTTP server and the load generator. On a shared, busy machine the HTTP figures
move with everyone else's load; this one moves far less (it counts this process's
CPU time only, ``time.process_time``), so it is the figure to compare before and
after a change. Database and Redis are the bench's (call after ``Bench.django()``).

    from inprocess import cpu_per_request
    rows = cpu_per_request({"floor: /livez": lambda i: ("GET", "/livez", None)}, n=300)
"""

from __future__ import annotations

import time
from collections.abc import Callable

Make = Callable[[int], tuple[str, str, dict[str, str] | None]]


def cpu_per_request(cases: dict[str, Make], *, n: int = 300, warmup: int = 30) -> dict[str, dict]:
    """For each case: CPU ms and wall ms per request (median of 3 rounds of ``n``),
    printed with the ratio to the first case (the floor)."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.test.client import RequestFactory

    handler = WSGIHandler()
    factory = RequestFactory()
    csrf = "b" * 32

    def send(method: str, path: str, data: dict[str, str] | None) -> tuple[str, bytes]:
        request = factory.post(path, data or {}) if method == "POST" else factory.get(path)
        environ = dict(request.environ)
        environ.update(
            {
                "HTTP_COOKIE": f"csrftoken={csrf}",
                "HTTP_X_CSRFTOKEN": csrf,
                "REMOTE_ADDR": "127.0.0.1",
            }
        )
        status: dict[str, str] = {}

        def start_response(line, headers, exc_info=None):
            status["line"] = line

        body = b"".join(handler(environ, start_response))
        return status["line"], body

    results: dict[str, dict] = {}
    floor_cpu = None
    print(
        f"\n{'in-process (one process, CPU time)':44} {'cpu ms':>8} {'x floor':>8} {'wall ms':>8}"
    )
    for label, make in cases.items():
        line, _ = send(*make(0))
        if not line.startswith("200"):
            raise SystemExit(f"{label}: {line}")
        for i in range(warmup):
            send(*make(i))
        rounds = []
        for _ in range(3):
            c0, w0 = time.process_time(), time.perf_counter()
            for i in range(n):
                send(*make(i))
            rounds.append(
                ((time.process_time() - c0) / n * 1000, (time.perf_counter() - w0) / n * 1000)
            )
        cpu = sorted(r[0] for r in rounds)[1]
        wall = sorted(r[1] for r in rounds)[1]
        floor_cpu = floor_cpu or cpu
        ratio = floor_cpu / cpu if cpu else float("nan")
        results[label] = {
            "cpu_ms": round(cpu, 3),
            "wall_ms": round(wall, 3),
            "floor_over_this": round(ratio, 3),
        }
        print(f"{label[:44]:44} {cpu:8.2f} {ratio:8.3f} {wall:8.2f}", flush=True)
    return results
