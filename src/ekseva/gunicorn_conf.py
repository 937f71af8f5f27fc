"""The production server: gunicorn, loaded with ``gunicorn -c python:ekseva.gunicorn_conf``
(``ekseva serve`` does that). See docs/deployment.md.

Sized to the machine: ``WEB_WORKERS`` processes (default: one per core plus one)
of ``WEB_THREADS`` threads each (default 4). Threads let a worker overlap the
database's round trips; processes use the cores (Python runs one thread at a time
per process). Each thread keeps its database connection open (``DB_CONN_MAX_AGE``,
checked before reuse), so a request does not pay for a new PostgreSQL connection:
workers × threads connections in all, which must stay below PostgreSQL's
``max_connections`` (100 by default) summed over every server.

The application is loaded once before the workers fork (``preload_app``), so the
code and templates are shared copy-on-write; a worker is replaced after
``WEB_MAX_REQUESTS`` requests (with jitter, so they do not all restart at once),
which bounds what any slow leak can grow to.
"""

from __future__ import annotations

import os

_cores = os.cpu_count() or 1


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


bind = os.environ.get("WEB_BIND", "127.0.0.1:8000")
workers = _int("WEB_WORKERS", _cores + 1)
worker_class = "gthread"
threads = _int("WEB_THREADS", 4)
preload_app = True
# A kiosk's browser keeps its connection between pages.
keepalive = _int("WEB_KEEPALIVE", 5)
# Nothing a request does should take 30 s; a worker stuck longer is killed and replaced.
timeout = _int("WEB_TIMEOUT", 30)
graceful_timeout = 20
max_requests = _int("WEB_MAX_REQUESTS", 20000)
max_requests_jitter = max_requests // 10
# Requests queue in the kernel while every thread is busy; a surge waits, it is not refused.
backlog = _int("WEB_BACKLOG", 2048)
# Behind nginx/the load balancer: the request line and headers are bounded there too.
limit_request_line = 8190
accesslog = os.environ.get("WEB_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("WEB_LOG_LEVEL", "warning")
proc_name = "ekseva"
wsgi_app = "ekseva.wsgi:application"


def post_fork(server, worker):
    # Connections opened while preloading (none are, but be sure) must not be
    # shared with the parent: each worker opens its own.
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.close()
