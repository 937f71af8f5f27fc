"""Fixtures for the outbox tests: a recording backend, a private template registry."""

from __future__ import annotations

import threading

import pytest

from ekseva.notifications import services, templates
from ekseva.notifications.backends import DeliveryError


class RecordingBackend:
    """Stands in for a provider: records every hand-over; fails while ``failing`` is set."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []
        self.failing: str | None = None
        self.permanent = False
        self._lock = threading.Lock()

    def send(self, message, reference: str) -> str:
        with self._lock:
            if self.failing:
                raise DeliveryError(self.failing, permanent=self.permanent)
            self.sent.append((message.pk, reference))
        return f"prov-{reference}"


@pytest.fixture
def backend(monkeypatch) -> RecordingBackend:
    fake = RecordingBackend()
    monkeypatch.setattr(services, "get_backend", lambda channel: fake)
    return fake


@pytest.fixture
def registry():
    """Templates registered in a test vanish after it."""
    saved = dict(templates._registry)
    yield templates
    templates._registry.clear()
    templates._registry.update(saved)


@pytest.fixture
def no_dispatch(monkeypatch) -> list[int]:
    """Keep the after-commit delivery of newly queued rows from running (as if the
    process died right after commit); returns the ids it would have dispatched."""
    dispatched: list[int] = []
    monkeypatch.setattr(services, "_deliver_soon", dispatched.append)
    return dispatched


def ping(**overrides):
    """Queue the platform's test.ping SMS."""
    kwargs = {
        "channel": "sms",
        "template": "test.ping",
        "recipient": "9876543210",
        "params": {"nonce": "N1"},
        **overrides,
    }
    return services.queue(**kwargs)
