import re

import pytest
from django.urls import reverse
from django.utils import translation

from ekseva.notifications import services

from .conftest import ping

pytestmark = pytest.mark.django_db


def _url(language="en", **query):
    with translation.override(language):
        url = reverse("notifications:outbox")
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def _bodies(response):
    html = response.content.decode()
    return re.findall(r"<pre[^>]*data-message-body[^>]*>(.*?)</pre>", html, re.S)


def test_outbox_is_404_when_disabled(client, settings, no_dispatch):
    ping()
    settings.DEV_OUTBOX = False
    assert client.get(_url()).status_code == 404
    assert client.get(_url("hi")).status_code == 404


def test_outbox_lists_newest_first_with_rendered_text(
    client, backend, frozen_clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ping(params={"nonce": "OLD"})
    frozen_clock.advance(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.queue(
            channel="email",
            template="test.ping",
            recipient="asha@example.com",
            params={"nonce": "NEW"},
            language="hi",
        )
    response = client.get(_url())
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    bodies = _bodies(response)
    assert len(bodies) == 2
    assert "यह ई-सेवा का परीक्षण संदेश (NEW) है" in bodies[0]  # the email, in Hindi
    assert "OLD" in bodies[1]
    html = response.content.decode()
    assert 'data-recipient="asha@example.com"' in html
    assert 'data-status="sent"' in html
    assert "test.ping" in html
    assert 'name="viewport"' in html  # mobile-friendly layout from web/base.html


def test_outbox_filters_by_recipient_in_any_spelling(client, no_dispatch):
    ping(recipient="9876543210", params={"nonce": "MINE"})
    ping(recipient="9123456789", params={"nonce": "OTHER"})
    for spelling in ("9876543210", "%2B91%209876543210"):
        bodies = _bodies(client.get(_url(to=spelling)))
        assert len(bodies) == 1 and "MINE" in bodies[0]
    assert _bodies(client.get(_url(to="9000000000"))) == []


def test_outbox_shows_html_escaped_text(client, no_dispatch):
    ping(params={"nonce": "<script>alert(1)</script>"})
    html = client.get(_url()).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_outbox_in_hindi_shows_hindi_messages(client, no_dispatch):
    ping(params={"nonce": "HI1"}, language="hi")
    response = client.get(_url("hi"))
    assert response.status_code == 200
    assert response.content.decode().startswith('<!doctype html>\n<html lang="hi">')
    assert "ई-सेवा परीक्षण संदेश HI1" in _bodies(response)[0]
    html = response.content.decode()
    assert "स्थिति" in html and "कतार में" in html  # labels and status in Hindi
    assert "एसएमएस" in html
