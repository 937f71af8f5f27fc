"""RequestContextMiddleware hands ip, request id and user to audit.record()."""

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from ekseva.core import audit
from ekseva.core.middleware import RequestContextMiddleware
from ekseva.core.models import AuditEvent

PROXY = ("HTTP_X_FORWARDED_PROTO", "https")


def _recording_view(request):
    event = audit.record("test.view", object_type="test.page", object_id=1)
    return HttpResponse(str(event.pk))


def _run(request, view=_recording_view):
    response = RequestContextMiddleware(view)(request)
    return response, AuditEvent.objects.get(pk=int(response.content))


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("kiosk-op-7", password="not-a-real-pass-7")


def test_ip_request_id_and_user_reach_the_audit_event(user):
    request = RequestFactory().post(
        "/x/", REMOTE_ADDR="203.0.113.5", HTTP_X_REQUEST_ID="edge-abc.123"
    )
    request.user = user
    response, event = _run(request)
    assert (event.ip, event.request_id, event.actor_id) == ("203.0.113.5", "edge-abc.123", user.pk)
    assert event.actor_label == "kiosk-op-7"
    assert response["X-Request-ID"] == "edge-abc.123"


def test_a_request_id_is_made_when_none_or_a_bad_one_is_given(db):
    request = RequestFactory().get("/x/", REMOTE_ADDR="203.0.113.5", HTTP_X_REQUEST_ID="a b<c>")
    response, event = _run(request)
    assert len(event.request_id) == 32 and event.request_id.isalnum()
    assert response["X-Request-ID"] == event.request_id
    _, second = _run(RequestFactory().get("/x/"))
    assert second.request_id != event.request_id


def test_forwarded_for_is_ignored_unless_behind_the_proxy(db):
    forged = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.1"}
    _, event = _run(RequestFactory().get("/x/", **forged))
    assert event.ip == "10.0.0.2"


@override_settings(SECURE_PROXY_SSL_HEADER=PROXY)
def test_behind_the_proxy_the_last_forwarded_address_counts(db):
    headers = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "1.1.1.1, 198.51.100.7"}
    _, event = _run(RequestFactory().get("/x/", **headers))
    assert event.ip == "198.51.100.7"


@override_settings(SECURE_PROXY_SSL_HEADER=PROXY)
def test_a_garbled_forwarded_address_is_recorded_as_unknown(db):
    headers = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "unknown"}
    _, event = _run(RequestFactory().get("/x/", **headers))
    assert event.ip is None


def test_the_context_ends_with_the_request_even_on_error(db):
    def failing_view(request):
        raise RuntimeError("boom")

    request = RequestFactory().get("/x/", REMOTE_ADDR="203.0.113.5")
    with pytest.raises(RuntimeError):
        RequestContextMiddleware(failing_view)(request)
    after = audit.record("test.after")
    assert (after.ip, after.request_id, after.actor_id) == (None, "", None)
