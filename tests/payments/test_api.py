"""The payments API: who may see a payment, refunds and test payments under an
Idempotency-Key (replay 200, other body 409, create 201), errors in English and
Hindi, and the OpenAPI schema."""

from __future__ import annotations

import json

import pytest
from django.utils import translation

from ekseva.accounts.models import Role, User
from ekseva.core.models import AuditEvent
from ekseva.payments.models import Payment, Refund, Status

from .conftest import make_payment, succeed
from .test_manage_views import as_staff, make_staff, paid

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def staff(client, fake_gateway, effects) -> User:
    return as_staff(client)


def post(client, path: str, body, key: str | None = "k-1", **extra):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(
        path,
        json.dumps(body) if not isinstance(body, str) else body,
        content_type="application/json",
        headers=headers,
        **extra,
    )


def refunds_url(payment: Payment) -> str:
    return f"/api/v1/payments/{payment.reference}/refunds/"


def assert_error(response, status: int, code: str, field: str = "") -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert body["message_en"] and body["message_hi"]
    assert body["message_hi"] != body["message_en"]
    if field:
        assert body["field"] == field
    return body


# --------------------------------------------------------------------------- read


def test_payer_and_staff_see_a_payment_others_get_404(client, fake_gateway, effects):
    payer = User.objects.create_citizen("9876500001")
    payment = paid(payer=payer)
    address = f"/api/v1/payments/{payment.reference}/"
    assert_error(client.get(address), 404, "not_found")  # anonymous
    client.force_login(payer)
    body = client.get(address).json()
    assert body["reference"] == payment.reference
    assert body["amount_paise"] == 12360 and body["status"] == "succeeded"
    assert [line["code"] for line in body["lines"]] == ["government", "convenience", "gst"]
    assert [e["to_status"] for e in body["events"]] == ["created", "pending", "succeeded"]
    client.force_login(User.objects.create_citizen("9876500002"))
    assert_error(client.get(address), 404, "not_found")
    as_staff(client, Role.DEPARTMENT_OFFICER, department_code="ESB")
    assert_error(client.get(address), 404, "not_found")
    as_staff(client, Role.DEPARTMENT_OFFICER, department_code="LSG")
    assert client.get(address).status_code == 200
    client.force_login(make_staff(Role.OPERATOR_STAFF))  # no TOTP step
    assert_error(client.get(address), 404, "not_found")
    as_staff(client)
    assert client.get(address).status_code == 200
    assert_error(client.get("/api/v1/payments/PY2600009999Z/"), 404, "not_found")


# --------------------------------------------------------------------------- refunds


def test_refund_created_then_replayed_then_conflict(client, staff):
    payment = paid()
    body = {"amount_paise": 6180, "reason": "paid by mistake"}
    first = post(client, refunds_url(payment), body)
    assert first.status_code == 201, first.content
    assert first.json()["amount_paise"] == 6180 and first.json()["payment"] == payment.reference
    again = post(client, refunds_url(payment), body)
    assert again.status_code == 200
    assert again.json()["reference"] == first.json()["reference"]
    conflict = post(client, refunds_url(payment), {**body, "amount_paise": 100})
    assert_error(conflict, 409, "idempotency_conflict")
    assert Refund.objects.count() == 1
    payment.refresh_from_db()
    assert payment.refunded_amount == 6180 and payment.status == Status.PARTLY_REFUNDED
    assert AuditEvent.objects.filter(action="payments.refund.created").count() == 1


def test_a_key_belongs_to_its_user(client, staff):
    payment = paid()
    post(client, refunds_url(payment), {"amount_paise": 100, "reason": "a"}, key="same")
    as_staff(client)  # another operator, the same key, another body: a new refund
    other = post(client, refunds_url(payment), {"amount_paise": 200, "reason": "b"}, key="same")
    assert other.status_code == 201
    assert Refund.objects.count() == 2


def test_refund_needs_the_key(client, staff):
    payment = paid()
    body = {"amount_paise": 100, "reason": "x"}
    assert_error(
        post(client, refunds_url(payment), body, key=None), 400, "idempotency_key_required"
    )
    bad = post(client, refunds_url(payment), body, key="no spaces allowed")
    assert_error(bad, 400, "idempotency_key_invalid")
    assert_error(
        post(client, refunds_url(payment), body, key="x" * 65), 400, "idempotency_key_invalid"
    )
    assert not Refund.objects.exists()


@pytest.mark.parametrize(
    "body,field,hindi",
    [
        ({"reason": "x"}, "amount_paise", "राशि"),
        ({"amount_paise": 100.0, "reason": "x"}, "amount_paise", "पैसे"),
        ({"amount_paise": "100", "reason": "x"}, "amount_paise", "पैसे"),
        ({"amount_paise": True, "reason": "x"}, "amount_paise", "पैसे"),
        ({"amount_paise": 0, "reason": "x"}, "amount_paise", "0"),
        ({"amount_paise": 100}, "reason", "कारण"),
        ({"amount_paise": 100, "reason": "   "}, "reason", "कारण"),
        ({"amount_paise": 100, "reason": "x" * 301}, "reason", "300"),
    ],
)
def test_refund_body_errors_name_the_field_in_both_languages(client, staff, body, field, hindi):
    payment = paid()
    answer = assert_error(post(client, refunds_url(payment), body), 400, "invalid", field)
    assert hindi in answer["message_hi"]
    assert not Refund.objects.exists()


def test_refund_refusals_from_the_service(client, staff):
    unpaid = make_payment(target="U1")
    answer = post(client, refunds_url(unpaid), {"amount_paise": 100, "reason": "x"})
    assert_error(answer, 409, "invalid_transition")
    payment = paid()
    too_much = post(client, refunds_url(payment), {"amount_paise": 12361, "reason": "x"}, key="k2")
    body = assert_error(too_much, 400, "refused")
    assert "12360" in body["message_en"]
    assert_error(post(client, refunds_url(payment), "[1, 2", key="k3"), 400, "parse_error")
    assert_error(post(client, refunds_url(payment), [1, 2], key="k4"), 400, "invalid")
    form = client.post(refunds_url(payment), {"amount_paise": 1}, headers={"Idempotency-Key": "k5"})
    assert_error(form, 415, "unsupported_media_type")
    assert_error(client.get(refunds_url(payment)), 405, "method_not_allowed")
    assert not Refund.objects.exists()


@pytest.mark.parametrize("who", ["anonymous", "citizen_payer", "unverified", "officer", "auditor"])
def test_refund_wrong_people_are_refused(client, fake_gateway, effects, who):
    payer = User.objects.create_citizen("9876500003")
    payment = paid(payer=payer)
    if who == "citizen_payer":
        client.force_login(payer)
    elif who == "unverified":
        client.force_login(make_staff(Role.OPERATOR_STAFF))
    elif who == "officer":
        as_staff(client, Role.DEPARTMENT_OFFICER, department_code="LSG")
    elif who == "auditor":
        as_staff(client, Role.AUDITOR)
    answer = post(client, refunds_url(payment), {"amount_paise": 100, "reason": "x"})
    codes = {
        "anonymous": "not_signed_in",
        "citizen_payer": "forbidden",
        "unverified": "staff_verification_required",
        "officer": "forbidden",
        "auditor": "forbidden",
    }
    assert_error(answer, 403, codes[who])
    assert not Refund.objects.exists()


def test_refund_without_csrf_is_refused_for_a_browser_session(fake_gateway, effects):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    as_staff(client)
    payment = paid()
    answer = post(client, refunds_url(payment), {"amount_paise": 100, "reason": "x"})
    assert_error(answer, 403, "csrf_failed")


# --------------------------------------------------------------------------- test payments


def test_test_payment_created_replayed_conflict(client, staff):
    body = {"gateway": "fake", "amount_paise": 500}
    first = post(client, "/api/v1/payments/test/", body)
    assert first.status_code == 201, first.content
    data = first.json()
    assert (data["purpose"], data["amount_paise"], data["gateway"], data["status"]) == (
        "gateway_test",
        500,
        "fake",
        "created",
    )
    payment = Payment.objects.get()
    assert payment.payer == staff and payment.target == "fake"
    again = post(client, "/api/v1/payments/test/", body)
    assert again.status_code == 200 and again.json()["reference"] == data["reference"]
    other = post(client, "/api/v1/payments/test/", {**body, "amount_paise": 501})
    assert_error(other, 409, "idempotency_conflict")
    assert Payment.objects.count() == 1
    # the payer (the staff member) can read it back
    assert client.get(f"/api/v1/payments/{data['reference']}/").status_code == 200


@pytest.mark.parametrize(
    "body,field",
    [
        ({"gateway": "fake", "amount_paise": 99}, "amount_paise"),
        ({"gateway": "fake", "amount_paise": 10001}, "amount_paise"),
        ({"gateway": "fake", "amount_paise": 1.5}, "amount_paise"),
        ({"gateway": "fake"}, "amount_paise"),
        ({"gateway": "wallet", "amount_paise": 100}, "gateway"),
        ({"gateway": "razorpay", "amount_paise": 100}, "gateway"),  # registered, not enabled
        ({"amount_paise": 100}, "gateway"),
    ],
)
def test_test_payment_errors(client, staff, body, field):
    assert_error(post(client, "/api/v1/payments/test/", body), 400, "invalid", field)
    assert not Payment.objects.exists()


def test_test_payment_needs_key_and_permission(client, fake_gateway, effects):
    body = {"gateway": "fake", "amount_paise": 100}
    assert_error(post(client, "/api/v1/payments/test/", body), 403, "not_signed_in")
    as_staff(client, Role.DEPARTMENT_OFFICER, department_code="LSG")
    assert_error(post(client, "/api/v1/payments/test/", body), 403, "forbidden")
    client.force_login(User.objects.create_citizen("9876500004"))
    assert_error(post(client, "/api/v1/payments/test/", body), 403, "forbidden")
    as_staff(client)
    no_key = post(client, "/api/v1/payments/test/", body, key=None)
    assert_error(no_key, 400, "idempotency_key_required")
    assert not Payment.objects.exists()


def test_the_paths_do_not_swallow_each_other(client, staff):
    payment = succeed(make_payment())
    assert client.get("/api/v1/payments/test/").status_code == 405
    assert client.get(f"/api/v1/payments/{payment.reference}/").status_code == 200
    assert client.get("/api/v1/payments/nonsense/").status_code == 404


# --------------------------------------------------------------------------- schema


def test_schema_lists_the_payments_api(client, db):
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths["/api/v1/payments/{reference}/"]) == {"get"}
    refund = paths["/api/v1/payments/{reference}/refunds/"]["post"]
    headers = [p for p in refund["parameters"] if p["in"] == "header"]
    assert headers == [
        {
            "in": "header",
            "name": "Idempotency-Key",
            "schema": {"type": "string"},
            "description": headers[0]["description"],
            "required": True,
        }
    ]
    assert {"200", "201", "400", "403", "404", "409"} <= set(refund["responses"])
    assert "/api/v1/payments/test/" in paths


def test_schema_generates_without_payments_warnings(capsys):
    from drf_spectacular.generators import SchemaGenerator

    SchemaGenerator().get_schema(request=None, public=True)
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if "payments" in line.lower()] == []


def test_refund_of_a_payment_whose_purpose_is_not_registered_here(client, staff):
    from ekseva.payments import purposes

    payment = paid()
    purposes.unregister("test_fee")
    answer = post(client, refunds_url(payment), {"amount_paise": 100, "reason": "x"})
    assert_error(answer, 409, "unknown_purpose")
    assert not Refund.objects.exists()
