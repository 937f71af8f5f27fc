"""The production server's configuration (src/ekseva/gunicorn_conf.py) and ``ekseva serve``."""

from __future__ import annotations

import importlib
import os

import pytest
from django.core.management import CommandError, call_command

from ekseva import gunicorn_conf


def _load(monkeypatch, **env):
    for name in [n for n in os.environ if n.startswith("WEB_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return importlib.reload(gunicorn_conf)


def test_defaults_are_sized_to_the_cores(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    conf = _load(monkeypatch)
    assert conf.workers == 3
    assert conf.threads == 4
    assert conf.worker_class == "gthread"  # keep-alive, and threads overlap database waits
    assert conf.preload_app is True
    assert conf.bind == "127.0.0.1:8000"
    assert conf.wsgi_app == "ekseva.wsgi:application"
    assert 0 < conf.max_requests_jitter < conf.max_requests


def test_environment_sizes_the_server(monkeypatch):
    conf = _load(monkeypatch, WEB_WORKERS="9", WEB_THREADS="2", WEB_BIND="0.0.0.0:9000")
    assert (conf.workers, conf.threads, conf.bind) == (9, 2, "0.0.0.0:9000")
    blank = _load(monkeypatch, WEB_WORKERS=" ")
    assert blank.workers == (os.cpu_count() or 1) + 1


def test_serve_execs_gunicorn_with_the_configuration(monkeypatch):
    calls = []
    monkeypatch.setattr(os, "execv", lambda path, argv: calls.append((path, argv)))
    for name in ("WEB_WORKERS", "WEB_THREADS", "WEB_BIND"):
        monkeypatch.setenv(name, "")  # recorded, so the command's writes are undone after
        monkeypatch.delenv(name)
    call_command("serve", "--workers", "5", "--threads", "3", "--bind", "127.0.0.1:9100")
    ((path, argv),) = calls
    assert path.endswith("gunicorn")
    assert argv[1:] == ["-c", "python:ekseva.gunicorn_conf"]
    assert os.environ["WEB_WORKERS"] == "5"
    assert os.environ["WEB_THREADS"] == "3"
    assert os.environ["WEB_BIND"] == "127.0.0.1:9100"


def test_serve_says_so_when_gunicorn_is_missing(monkeypatch, tmp_path):
    import shutil
    import sys

    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(CommandError, match="gunicorn is not installed"):
        call_command("serve")
