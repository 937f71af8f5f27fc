"""What every HTTP benchmark shares: a PostgreSQL database of its own, the production
server (``ekseva serve``: gunicorn, docs/deployment.md) started on it, a load
generator, and the figures printed as ratios to a floor measured in the same run.

    from harness import Bench, Request

    with Bench("status") as bench:            # database ekseva_bench, demo data loaded once
        bench.django()                        # this process may now use the ORM (seeding)
        with bench.server() as server:        # gunicorn on 127.0.0.1:8765
            floor = server.load(lambda i: Request("GET", "/livez"), clients=32, seconds=10)
            rows = server.load(lambda i: Request("GET", "/en/track/"), clients=32, seconds=10)
        bench.report([("floor: empty view", floor), ("status page", rows)], floor=floor)

The load generator is one Python process of asyncio connections that keep alive
(HTTP/1.1), on the same machine as the server, as the issue asks: it takes CPU
from the server, which the figures include. ``Load.cpu_seconds`` says how much.

Peak memory: the server's workers' peak resident set (``VmHWM`` in /proc) is read
before they stop, with the load generator's own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "var" / "bench"
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


# --------------------------------------------------------------------------- requests


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    # 2xx and 3xx count as success unless ``expect`` names the statuses that do.
    expect: tuple[int, ...] = ()
    # Called with the response (status, headers, body): return a further Request
    # to send on the same connection as part of the same operation, or None.
    then: Callable[[Response], Request | None] | None = None


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


def form(fields: dict[str, str]) -> bytes:
    from urllib.parse import urlencode

    return urlencode(fields).encode()


def post(path: str, fields: dict[str, str], *, cookies: str, csrf: str, **kw) -> Request:
    """A form POST with a session cookie and the CSRF token, as a browser sends it."""
    return Request(
        "POST",
        path,
        headers={
            "Cookie": cookies,
            "X-CSRFToken": csrf,
            "Content-Type": "application/x-www-form-urlencoded",
        },
        body=form(fields),
        **kw,
    )


# --------------------------------------------------------------------------- the load


@dataclass
class Load:
    """What one run of the load generator saw. Latencies are per operation (an
    operation may be several requests on one connection, see Request.then)."""

    name: str
    ops: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    requests: int
    clients: int
    cpu_seconds: float
    error_samples: list[str] = field(default_factory=list)
    rss_mb: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.ops / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        data = sorted(self.latencies_ms)
        k = min(len(data) - 1, max(0, round(p / 100 * len(data)) - 1))
        return data[k]

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "ops": self.ops,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "per_second": round(self.rate, 1),
            "requests": self.requests,
            "clients": self.clients,
            "p50_ms": round(self.pct(50), 2),
            "p95_ms": round(self.pct(95), 2),
            "p99_ms": round(self.pct(99), 2),
            "max_ms": round(max(self.latencies_ms, default=0), 2),
            "mean_ms": round(statistics.fmean(self.latencies_ms), 2) if self.latencies_ms else 0,
            "loadgen_cpu_s": round(self.cpu_seconds, 2),
            "error_samples": self.error_samples[:5],
            "rss_mb": self.rss_mb,
        }


class _Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, request: Request) -> Response:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        headers = {"Host": f"{self.host}:{self.port}", "Connection": "keep-alive"}
        headers.update(request.headers)
        if request.body or request.method == "POST":
            headers["Content-Length"] = str(len(request.body))
        head = f"{request.method} {request.path} HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers.items()
        )
        self.writer.write(head.encode("latin-1") + b"\r\n" + request.body)
        try:
            return await self._read()
        except (asyncio.IncompleteReadError, ConnectionError):
            self.close()
            raise

    async def _read(self) -> Response:
        assert self.reader is not None
        line = await self.reader.readuntil(b"\r\n")
        status = int(line.split(b" ", 2)[1])
        headers: dict[str, str] = {}
        while True:
            line = await self.reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                chunks.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            body = b"".join(chunks)
        elif "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        else:
            body = await self.reader.read()
            self.close()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return Response(status, headers, body)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _ok(request: Request, response: Response) -> bool:
    if request.expect:
        return response.status in request.expect
    return 200 <= response.status < 400


async def _drive(
    host: str,
    port: int,
    make: Callable[[int], Request | None],
    clients: int,
    seconds: float | None,
    count: int | None,
    warmup: float,
) -> tuple[int, int, int, list[float], list[str], float]:
    counter = iter(range(10**12))
    latencies: list[float] = []
    errors = 0
    requests = 0
    samples: list[str] = []
    start = time.perf_counter()
    measure_from = start + warmup
    stop_at = measure_from + seconds if seconds is not None else None
    done = 0

    async def client() -> None:
        nonlocal errors, requests, done
        connection = _Connection(host, port)
        while True:
            now = time.perf_counter()
            if stop_at is not None and now >= stop_at:
                break
            if count is not None and done >= count:
                break
            request = make(next(counter))
            if request is None:
                break
            began = time.perf_counter()
            failed = ""
            while request is not None:
                try:
                    response = await connection.send(request)
                except (OSError, asyncio.IncompleteReadError) as exc:
                    failed = f"{request.method} {request.path}: {exc!r}"
                    break
                requests += 1
                if not _ok(request, response):
                    failed = f"{request.method} {request.path}: {response.status} " + (
                        response.body[:200].decode("utf-8", "replace").replace("\n", " ")
                    )
                    break
                request = request.then(response) if request.then else None
            ended = time.perf_counter()
            if began < measure_from:
                continue  # warming up: connections, caches, the first plan of each query
            done += 1
            if failed:
                errors += 1
                if len(samples) < 20:
                    samples.append(failed)
            else:
                latencies.append((ended - began) * 1000)
        connection.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - max(measure_from, start)
    return done, errors, requests, latencies, samples, elapsed


def run_load(
    base: str,
    name: str,
    make: Callable[[int], Request | None],
    *,
    clients: int = 32,
    seconds: float | None = 10.0,
    count: int | None = None,
    warmup: float = 1.0,
) -> Load:
    """Send ``make(i)`` from ``clients`` connections for ``seconds`` (after ``warmup``)
    or until ``count`` operations are done or ``make`` returns None."""
    url = urlsplit(base)
    cpu0 = time.process_time()
    done, errors, requests, latencies, samples, elapsed = asyncio.run(
        _drive(url.hostname or "127.0.0.1", url.port or 80, make, clients, seconds, count, warmup)
    )
    return Load(
        name=name,
        ops=done,
        errors=errors,
        seconds=elapsed,
        latencies_ms=latencies,
        requests=requests,
        clients=clients,
        cpu_seconds=time.process_time() - cpu0,
        error_samples=samples,
    )


# --------------------------------------------------------------------------- in one process


def cpu_ms(fn: Callable[[], object], n: int, repeat: int = 3) -> tuple[float, float]:
    """(CPU, wall) milliseconds per call of ``fn``: the medians of ``repeat`` rounds of
    ``n`` calls, after one call to warm up (fonts parsed, keys opened, plans cached).

    CPU time of this process (``time.process_time``) is the figure a shared machine
    moves least; the wall time (which counts the moments another process had the
    core) is kept beside it."""
    fn()
    cpu, wall = [], []
    for _ in range(repeat):
        started, began = time.process_time(), time.perf_counter()
        for _ in range(n):
            fn()
        cpu.append((time.process_time() - started) * 1000 / n)
        wall.append((time.perf_counter() - began) * 1000 / n)
    return statistics.median(cpu), statistics.median(wall)


def http_parser(doc: str, *, seconds: float) -> argparse.ArgumentParser:
    """The options every HTTP bench takes."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=seconds)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--fresh", action="store_true", help="remake the bench database")
    parser.add_argument(
        "--inprocess",
        type=int,
        default=300,
        help="requests per round of the in-process CPU figures (0: skip them)",
    )
    return parser


# --------------------------------------------------------------------------- the server


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry.name))
    return found


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Server:
    """``ekseva serve`` (gunicorn, the production configuration) in a subprocess."""

    def __init__(self, env: dict[str, str], port: int, workers: int | None, threads: int | None):
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.env = dict(env)
        self.env["WEB_BIND"] = f"127.0.0.1:{port}"
        if workers:
            self.env["WEB_WORKERS"] = str(workers)
        if threads:
            self.env["WEB_THREADS"] = str(threads)
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(BIN / "ekseva"), "serve"], env=self.env, cwd=ROOT, start_new_session=True
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(self.base + "/livez", timeout=2) as response:
                    if response.status == 200 and len(self.workers()) >= int(
                        self.env.get("WEB_WORKERS", "1")
                    ):
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the server did not answer /livez within 60 s")

    def workers(self) -> list[int]:
        return _children(self.process.pid) if self.process else []

    def peak_rss_mb(self) -> dict[str, float]:
        """Peak resident memory (VmHWM) of the master and of each worker, in MB."""
        out = {"master": _status_kb(self.process.pid, "VmHWM") / 1024} if self.process else {}
        for n, pid in enumerate(sorted(self.workers()), 1):
            out[f"worker{n}"] = round(_status_kb(pid, "VmHWM") / 1024, 1)
        out["master"] = round(out.get("master", 0), 1)
        return out

    def load(self, make: Callable[[int], Request | None], *, name: str = "", **kw) -> Load:
        result = run_load(self.base, name, make, **kw)
        result.rss_mb = self.peak_rss_mb()
        return result

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


# --------------------------------------------------------------------------- the bench


class Bench:
    """One benchmark: its database (``ekseva_bench``, or $BENCH_DATABASE), made and
    loaded with the demo data on first use (``fresh`` remakes it). The server listens
    on $BENCH_PORT (8765); the cache is Redis database 11 ($REDIS_URL overrides)."""

    def __init__(self, name: str, *, database: str = "", fresh: bool = False):
        self.name = name
        self.database = database or os.environ.get("BENCH_DATABASE", "ekseva_bench")
        self.url = f"{PG}/{self.database}"
        self.fresh = fresh
        self.env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "DJANGO_SETTINGS_MODULE": "ekseva.settings",
            "LOG_LEVEL": "WARNING",
            # A benchmark measures requests, not the logging of them.
            "WEB_LOG_LEVEL": "warning",
        }
        self.env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/11")
        self._django = False

    def __enter__(self) -> Bench:
        self.prepare()
        return self

    def __exit__(self, *exc) -> None:
        return None

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(sql)

    def exists(self) -> bool:
        import psycopg

        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            row = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [self.database]
            ).fetchone()
        return row is not None

    def prepare(self) -> None:
        """Create the database, migrate it and load the demo (once; ``fresh`` redoes it)."""
        ready = RESULTS / f"{self.database}.ready"
        if self.fresh or not self.exists() or not ready.exists():
            ready.unlink(missing_ok=True)
            self._admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            self._admin(f'CREATE DATABASE "{self.database}"')
            started = time.perf_counter()
            print(f"[{self.name}] preparing {self.database}: migrate + demo data ...", flush=True)
            for command in (["migrate", "--no-input", "-v", "0"], ["demo"]):
                subprocess.run(
                    [str(BIN / "ekseva"), *command],
                    env=self.env,
                    cwd=ROOT,
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
            RESULTS.mkdir(parents=True, exist_ok=True)
            ready.write_text(time.strftime("%Y-%m-%d %H:%M:%S"))
            print(f"[{self.name}] prepared in {time.perf_counter() - started:.0f} s", flush=True)
        # Redis database 11 is the benchmarks' own: start each run with an empty cache
        # (rate-limit counters of an earlier run would refuse requests).
        try:
            import redis

            redis.Redis.from_url(self.env["REDIS_URL"]).flushdb()
        except Exception as exc:
            print(f"[{self.name}] note: Redis not flushed ({exc})", flush=True)

    def django(self) -> None:
        """Set up Django in this process on the bench database (for seeding, checks)."""
        if self._django:
            return
        os.environ.update(
            {
                k: v
                for k, v in self.env.items()
                if k not in os.environ
                or k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "REDIS_URL")
            }
        )
        sys.path.insert(0, str(ROOT / "src"))
        import django

        django.setup()
        self._django = True

    @contextmanager
    def server(
        self,
        *,
        port: int = 0,
        workers: int | None = None,
        threads: int | None = None,
        env: dict[str, str] | None = None,
    ) -> Iterator[Server]:
        port = port or int(os.environ.get("BENCH_PORT", "8765"))
        server = Server({**self.env, **(env or {})}, port, workers, threads)
        server.start()
        try:
            yield server
        finally:
            server.stop()

    def report(
        self, rows: list[tuple[str, Load]], *, floor: Load, extra: dict | None = None
    ) -> dict:
        """Print the table (per second, latency, ratio to the floor) and save it as JSON
        in var/bench/<name>.json."""
        print()
        print(f"== {self.name}  ({machine()})")
        header = (
            f"{'':34} {'per s':>9} {'x floor':>8} {'p50 ms':>8} {'p95 ms':>8} "
            f"{'p99 ms':>8} {'errors':>7} {'ops':>7}"
        )
        print(header)
        for label, load in rows:
            ratio = load.rate / floor.rate if floor.rate else float("nan")
            print(
                f"{label[:34]:34} {load.rate:9.1f} {ratio:8.3f} {load.pct(50):8.1f} "
                f"{load.pct(95):8.1f} {load.pct(99):8.1f} {load.errors:7d} {load.ops:7d}"
            )
            for sample in load.error_samples[:3]:
                print(f"    error: {sample}")
        rss = {label: load.rss_mb for label, load in rows}
        worst = max((v for d in rss.values() for k, v in d.items() if k != "master"), default=0)
        print(f"peak RSS per server worker: {worst:.0f} MB; load generator: {own_peak_mb():.0f} MB")
        result = {
            "bench": self.name,
            "at": time.strftime("%Y-%m-%d %H:%M:%S"),
            "machine": machine(),
            "rows": {label: load.as_dict() for label, load in rows},
            "floor": floor.name,
            "worker_peak_rss_mb": worst,
            "loadgen_peak_rss_mb": round(own_peak_mb(), 1),
            **(extra or {}),
        }
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"{self.name}.json").write_text(json.dumps(result, indent=2))
        return result


def own_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> str:
    cores = os.cpu_count()
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = "?"
    return f"{cores} cores, {model}, Python {sys.version.split()[0]}"
