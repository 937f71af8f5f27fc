"""The staff payments console: who may see what, the list's filters and counts,
one payment's history, refunds (exact rupees, a double submit refunds once), the
poll button and the test payment page, in English and Hindi."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from ekseva.accounts.models import Posting, Role, User
from ekseva.core import clock
from ekseva.geo.models import AdminUnit
from ekseva.payments import services
from ekseva.payments.gateways import GatewayResult
from ekseva.payments.models import Payment, Refund, RefundStatus, Status

from .conftest import make_payment, succeed

pytestmark = pytest.mark.django_db
_seq = itertools.count(1)


# --------------------------------------------------------------------------- people


def make_staff(role: Role, *, department_code: str = "", admin_unit=None, kiosk_code="") -> User:
    user = User.objects.create_user(f"pay{next(_seq)}", "right-password-42", full_name="Staff")
    Posting.objects.create(
        user=user,
        role=role,
        department_code=department_code,
        admin_unit=admin_unit,
        kiosk_code=kiosk_code,
    )
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def verified_login(client, user: User) -> None:
    """A session as the staff sign-in leaves it: password and TOTP both passed."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()


def as_staff(client, role: Role = Role.OPERATOR_STAFF, **scope) -> User:
    user = make_staff(role, **scope)
    verified_login(client, user)
    return user


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def operator(client, fake_gateway, effects) -> User:
    return as_staff(client)


def url(name: str, *args, lang: str = "en") -> str:
    with translation.override(lang):
        return reverse(f"payments:{name}", args=args)


def paid(target="APP1", **extra) -> Payment:
    payment = succeed(make_payment(target=target, **extra), payment_id=f"pay_{target}")
    payment.refresh_from_db()
    return payment


def errors_of(response, field: str) -> str:
    """The error text shown on ``field`` (the _field.html partial)."""
    match = re.search(
        rf'<p class="error" id="id_{field}_error" role="alert">(.*?)</p>',
        response.content.decode(),
        re.S,
    )
    return match.group(1) if match else ""


def token_of(response, form_id: str | None = None) -> str:
    html = response.content.decode()
    if form_id:
        html = html[html.index(f'id="{form_id}"') :]
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


# --------------------------------------------------------------------------- access


def _every_request(reference: str):
    return [
        ("get", url("manage_list"), {}),
        ("get", url("manage_detail", reference), {}),
        (
            "post",
            url("manage_refund", reference),
            {"amount": "1", "reason": "x", "token": "t" * 20},
        ),
        ("post", url("manage_poll", reference), {}),
        ("get", url("test_payment"), {}),
        ("post", url("test_payment"), {"gateway": "fake", "amount": "1", "token": "t" * 20}),
    ]


@pytest.mark.parametrize("who", ["anonymous", "unverified_staff", "citizen"])
def test_outsiders_are_sent_to_sign_in_or_refused(client, fake_gateway, effects, who):
    payment = paid()
    if who == "citizen":
        client.force_login(User.objects.create_citizen("9876543210"))
    elif who == "unverified_staff":  # password only, no TOTP step
        client.force_login(make_staff(Role.OPERATOR_STAFF))
    for method, address, data in _every_request(payment.reference):
        response = getattr(client, method)(address, data)
        if who == "citizen":
            assert response.status_code == 403, address
        else:
            assert response.status_code == 302, address
            assert "/account/staff/signin/" in response["Location"]
    assert not Refund.objects.exists()
    assert Payment.objects.count() == 1


def test_the_payer_who_is_a_citizen_is_refused_the_console(client, fake_gateway, effects):
    citizen = User.objects.create_citizen("9876543219")
    payment = paid(payer=citizen)
    client.force_login(citizen)
    assert client.get(url("manage_detail", payment.reference)).status_code == 403


def test_a_kiosk_operator_is_refused(client, fake_gateway, effects):
    payment = paid(kiosk_code="K0001")
    as_staff(client, Role.KIOSK_OPERATOR, kiosk_code="K0001")
    for method, address, data in _every_request(payment.reference):
        assert getattr(client, method)(address, data).status_code == 403, address


@pytest.mark.parametrize(
    "role,scope", [(Role.DEPARTMENT_OFFICER, {"department_code": "LSG"}), (Role.AUDITOR, {})]
)
def test_officers_and_auditors_read_but_cannot_act(client, fake_gateway, effects, role, scope):
    payment = paid()
    as_staff(client, role, **scope)
    assert client.get(url("manage_list")).status_code == 200
    page = client.get(url("manage_detail", payment.reference))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="refund"' not in html and 'id="poll"' not in html
    assert "Make a test payment" not in client.get(url("manage_list")).content.decode()
    refund = client.post(
        url("manage_refund", payment.reference),
        {"amount": "1", "reason": "x", "token": "t" * 20},
    )
    assert refund.status_code == 403
    assert client.post(url("manage_poll", payment.reference)).status_code == 403
    assert client.get(url("test_payment")).status_code == 403
    assert client.post(url("test_payment"), {"gateway": "fake", "amount": "1"}).status_code == 403
    assert not Refund.objects.exists() and Payment.objects.count() == 1


def test_a_department_officer_sees_only_their_department(client, fake_gateway, effects):
    mine = paid("A1", department_code="LSG")
    theirs = paid("A2", department_code="ESB")
    as_staff(client, Role.DEPARTMENT_OFFICER, department_code="LSG")
    listing = client.get(url("manage_list")).content.decode()
    assert mine.reference in listing and theirs.reference not in listing
    assert client.get(url("manage_detail", theirs.reference)).status_code == 403
    assert client.get(url("manage_detail", mine.reference)).status_code == 200
    # the counts count only what the officer may see
    assert 'data-status="succeeded"' in listing
    assert re.search(r'data-status="succeeded">.*?data-count>1<', listing, re.S)


def test_a_district_posting_covers_the_payments_of_its_district(client, fake_gateway, effects):
    state = AdminUnit.objects.create(code="state:t1", kind="state", name_en="State")
    bhopal = AdminUnit.objects.create(
        code="district:t-bpl", kind="district", name_en="Bhopal", parent=state
    )
    AdminUnit.objects.create(code="district:t-ind", kind="district", name_en="Indore", parent=state)
    here = paid("A1", district_code="t-bpl")
    there = paid("A2", district_code="t-ind")
    as_staff(client, Role.DEPARTMENT_OFFICER, department_code="LSG", admin_unit=bhopal)
    listing = client.get(url("manage_list")).content.decode()
    assert here.reference in listing and there.reference not in listing
    assert client.get(url("manage_detail", here.reference)).status_code == 200
    assert client.get(url("manage_detail", there.reference)).status_code == 403


def test_unknown_reference_is_404(client, operator):
    assert client.get(url("manage_detail", "PY2600000001Z")).status_code == 404
    # the reconciliation and settlement screens under manage/ are never taken for a payment
    for address in ("/en/payments/manage/reconciliation/", "/en/payments/manage/settlements/"):
        try:
            match = resolve(address)
        except Resolver404:
            continue
        assert match.url_name != "manage_detail"


# --------------------------------------------------------------------------- the list


def test_list_filters_counts_and_search(client, frozen_clock, operator):
    first = paid("A1")
    frozen_clock.advance(days=2)
    second = paid("A2", department_code="ESB")
    pending = make_payment(target="A3")
    services.start_checkout(pending, return_url="/r/")
    pending.refresh_from_db()
    failed = make_payment(target="A4")
    services.apply_result(failed, GatewayResult(status="failed", order_id=""), source="poll")
    topup = make_payment(
        purpose="wallet_topup",
        target="K0009",
        key="t1",
        lines=[
            {"code": "topup", "label_en": "T", "label_hi": "T", "amount_paise": 500, "rule": "t"}
        ],
    )

    def shown(**params):
        html = client.get(url("manage_list"), params).content.decode()
        return {p.reference for p in Payment.objects.all() if p.reference in html}

    assert shown() == {
        first.reference,
        second.reference,
        pending.reference,
        failed.reference,
        topup.reference,
    }
    assert shown(status="succeeded") == {first.reference, second.reference}
    assert shown(status="pending") == {pending.reference}
    assert shown(purpose="wallet_topup") == {topup.reference}
    assert shown(department="ESB") == {second.reference}
    assert shown(gateway="fake", status="failed") == {failed.reference}
    today = clock.today()
    assert shown(date_from=today.isoformat()) == {
        second.reference,
        pending.reference,
        failed.reference,
        topup.reference,
    }
    assert shown(date_to=(today - dt.timedelta(days=1)).isoformat()) == {first.reference}
    assert shown(q=first.reference.lower()) == {first.reference}
    assert shown(q="pay_A2") == {second.reference}  # the gateway's payment id
    assert shown(q=pending.gateway_order_id) == {pending.reference}
    assert shown(q="k0009") == {topup.reference}  # the target
    refund = services.refund(first, 100, reason="r", idempotency_key="r1")
    assert shown(q=refund.reference) == {first.reference}

    page = client.get(url("manage_list"), {"purpose": "test_fee"}).content.decode()
    counts = dict(re.findall(r'data-status="(\w+)">.*?data-count>(\d+)<', page, re.S))
    assert counts == {
        "created": "0",
        "pending": "1",
        "succeeded": "1",
        "failed": "1",
        "expired": "0",
        "partly_refunded": "1",
        "refunded": "0",
    }


def test_bad_dates_are_reported_on_their_field(client, operator):
    response = client.get(url("manage_list"), {"date_from": "2026-06-20", "date_to": "2026-06-01"})
    assert response.status_code == 200
    assert "must not be before" in errors_of(response, "date_to")
    response = client.get(url("manage_list", lang="hi"), {"date_from": "kal"})
    assert errors_of(response, "date_from")
    assert "Enter a valid date" not in errors_of(response, "date_from")  # Hindi


def test_list_pages_and_keeps_the_filters(client, operator, django_assert_max_num_queries):
    for n in range(27):
        make_payment(target=f"T{n}")
    with django_assert_max_num_queries(12):
        first = client.get(url("manage_list"), {"status": "created"})
    html = first.content.decode()
    assert "Page 1 of 2" in html
    assert "?status=created&amp;page=2" in html
    second = client.get(url("manage_list"), {"status": "created", "page": 2}).content.decode()
    assert second.count('data-reference="') == 2


def test_list_is_in_hindi_on_hi(client, operator):
    paid()
    html = client.get(url("manage_list", lang="hi")).content.decode()
    assert "भुगतान" in html and "सफल" in html
    assert 'class="stack"' in html and 'data-label="' in html


# --------------------------------------------------------------------------- one payment


def test_detail_shows_lines_timeline_callbacks_ledger_and_refunds(client, operator, committed):
    import json

    payment = make_payment()
    services.start_checkout(payment, return_url="/r/")
    payment.refresh_from_db()
    body = json.dumps(
        {
            "id": "evt_77",
            "kind": "payment.captured",
            "status": "succeeded",
            "order_id": payment.gateway_order_id,
            "payment_id": "pay_77",
            "amount": payment.amount,
        }
    ).encode()
    services.handle_webhook("fake", body, {"X-Sig": "ok"})
    with committed():
        services.refund(payment, 6180, reason="half back", idempotency_key="r1")
    html = client.get(url("manage_detail", payment.reference)).content.decode()
    for text in (
        "Fee",
        "Conv",
        "GST",
        "₹123.60",
        "evt_77",
        "payment.captured",
        "half back",
        "Paid back",
        "dept_payable:LSG",
        "gateway:fake",
        "refunds_payable",
        "payment.success",
        "refund.owed",
        "refund.paid",
        "Partly refunded",
    ):
        assert text in html, text
    timeline = html[html.index('id="timeline"') :]
    assert timeline.index("Created") < timeline.index("Pending") < timeline.index("Succeeded")
    assert html.count('class="entry"') == 3
    hindi = client.get(url("manage_detail", payment.reference, lang="hi")).content.decode()
    assert "शुल्क" in hindi and "सुविधा" in hindi and "धनवापसी" in hindi


def test_refund_in_rupees_once_for_a_double_submit(client, operator):
    payment = paid()
    page = client.get(url("manage_detail", payment.reference))
    token = token_of(page, "refund")
    data = {"amount": "61.80", "reason": "Asked twice", "token": token}
    first = client.post(url("manage_refund", payment.reference), data)
    assert first.status_code == 302 and first["Location"] == url("manage_detail", payment.reference)
    again = client.post(url("manage_refund", payment.reference), data)
    assert again.status_code == 302
    refund = Refund.objects.get()
    assert (refund.amount, refund.reason, refund.requested_by) == (6180, "Asked twice", operator)
    payment.refresh_from_db()
    assert payment.status == Status.PARTLY_REFUNDED and payment.refunded_amount == 6180
    follow = client.get(url("manage_detail", payment.reference)).content.decode()
    assert "was already recorded" in follow or refund.reference in follow
    # a new page view means a new token: a second refund is a new request
    token2 = token_of(client.get(url("manage_detail", payment.reference)), "refund")
    assert token2 != token
    client.post(
        url("manage_refund", payment.reference),
        {"amount": "61.80", "reason": "rest", "token": token2},
    )
    payment.refresh_from_db()
    assert payment.status == Status.REFUNDED and Refund.objects.count() == 2
    assert 'id="refund"' not in client.get(url("manage_detail", payment.reference)).content.decode()


@pytest.mark.parametrize(
    "amount,message",
    [
        ("1.005", "at most two digits after the decimal point"),
        ("123.61", "At most ₹123.60"),
        ("0", "more than ₹0"),
        ("12abc", "Enter an amount in rupees"),
        ("", "This field is required"),
    ],
)
def test_refund_amount_errors_are_on_the_amount(client, operator, amount, message):
    payment = paid()
    token = token_of(client.get(url("manage_detail", payment.reference)), "refund")
    response = client.post(
        url("manage_refund", payment.reference), {"amount": amount, "reason": "x", "token": token}
    )
    assert response.status_code == 400
    assert message.lower() in errors_of(response, "amount").lower()
    assert not Refund.objects.exists()


def test_refund_errors_in_hindi_and_reason_required(client, operator):
    payment = paid()
    token = token_of(client.get(url("manage_detail", payment.reference, lang="hi")), "refund")
    response = client.post(
        url("manage_refund", payment.reference, lang="hi"),
        {"amount": "1.234", "reason": "  ", "token": token},
    )
    assert response.status_code == 400
    assert "दशमलव" in errors_of(response, "amount")
    assert errors_of(response, "reason")
    assert "required" not in errors_of(response, "reason")
    assert token_of(response, "refund") == token  # nothing was done: the same token stands


def test_same_token_other_figures_is_a_conflict_with_a_new_token(client, operator):
    payment = paid()
    token = token_of(client.get(url("manage_detail", payment.reference)), "refund")
    client.post(
        url("manage_refund", payment.reference), {"amount": "1", "reason": "a", "token": token}
    )
    response = client.post(
        url("manage_refund", payment.reference), {"amount": "2", "reason": "a", "token": token}
    )
    assert response.status_code == 409
    assert "already sent with other figures" in response.content.decode()
    fresh = token_of(response, "refund")
    assert fresh != token
    ok = client.post(
        url("manage_refund", payment.reference), {"amount": "2", "reason": "a", "token": fresh}
    )
    assert ok.status_code == 302
    assert sorted(Refund.objects.values_list("amount", flat=True)) == [100, 200]


def test_a_tampered_token_is_refused_and_replaced(client, operator):
    payment = paid()
    response = client.post(
        url("manage_refund", payment.reference), {"amount": "1", "reason": "a", "token": "x"}
    )
    assert response.status_code == 400
    assert "out of date" in response.content.decode()
    assert len(token_of(response, "refund")) >= 16
    assert not Refund.objects.exists()


def test_poll_now_applies_what_the_gateway_says(client, operator, fake_gateway):
    payment = make_payment()
    services.start_checkout(payment, return_url="/r/")
    payment.refresh_from_db()
    html = client.get(url("manage_detail", payment.reference)).content.decode()
    assert 'id="poll"' in html
    response = client.post(url("manage_poll", payment.reference))
    assert response.status_code == 302
    assert "still" in client.get(response["Location"]).content.decode()
    fake_gateway.status[payment.gateway_order_id] = GatewayResult(
        status="succeeded",
        order_id=payment.gateway_order_id,
        payment_id="p9",
        amount=payment.amount,
    )
    client.post(url("manage_poll", payment.reference))
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED
    assert 'id="poll"' not in client.get(url("manage_detail", payment.reference)).content.decode()
    assert client.get(url("manage_poll", payment.reference)).status_code == 405


# --------------------------------------------------------------------------- test payment


def test_test_payment_is_made_once_and_goes_to_the_payers_page(client, operator):
    page = client.get(url("test_payment"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="fake"' in html and 'value="wallet"' not in html
    data = {"gateway": "fake", "amount": "25.50", "token": token_of(page)}
    first = client.post(url("test_payment"), data)
    assert first.status_code == 302
    payment = Payment.objects.get()
    assert first["Location"] == f"/en/payments/{payment.reference}/"
    assert (payment.purpose, payment.amount, payment.gateway, payment.payer) == (
        "gateway_test",
        2550,
        "fake",
        operator,
    )
    assert client.post(url("test_payment"), data)["Location"] == first["Location"]
    assert Payment.objects.count() == 1
    hindi = client.get(url("test_payment", lang="hi"))
    data = {"gateway": "fake", "amount": "2", "token": token_of(hindi)}
    assert client.post(url("test_payment", lang="hi"), data)["Location"].startswith("/hi/payments/")


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"gateway": "fake", "amount": "0.99"}, "amount", "between ₹1 and ₹100"),
        ({"gateway": "fake", "amount": "100.01"}, "amount", "between ₹1 and ₹100"),
        ({"gateway": "fake", "amount": "1.001"}, "amount", "two digits"),
        ({"gateway": "wallet", "amount": "1"}, "gateway", "enabled gateways"),
        ({"gateway": "nope", "amount": "1"}, "gateway", "enabled gateways"),
    ],
)
def test_test_payment_errors_are_on_their_field(client, operator, data, field, message):
    token = token_of(client.get(url("test_payment")))
    response = client.post(url("test_payment"), {**data, "token": token})
    assert response.status_code == 400
    assert message in errors_of(response, field)
    assert not Payment.objects.exists()


def test_test_payment_errors_in_hindi(client, operator):
    token = token_of(client.get(url("test_payment", lang="hi")))
    response = client.post(
        url("test_payment", lang="hi"), {"gateway": "fake", "amount": "500", "token": token}
    )
    assert response.status_code == 400
    assert "₹1 से ₹100" in errors_of(response, "amount")


def test_test_payment_token_reused_for_other_figures_is_a_conflict(client, operator):
    token = token_of(client.get(url("test_payment")))
    client.post(url("test_payment"), {"gateway": "fake", "amount": "1", "token": token})
    response = client.post(url("test_payment"), {"gateway": "fake", "amount": "2", "token": token})
    assert response.status_code == 409
    assert token_of(response) != token
    assert Payment.objects.count() == 1


def test_a_refund_the_gateway_refused_is_shown(client, operator, fake_gateway, committed):
    payment = paid()
    fake_gateway.refund_ok = False
    with committed():
        services.refund(payment, 12360, reason="x", idempotency_key="r")
    assert Refund.objects.get().status == RefundStatus.FAILED
    html = client.get(url("manage_detail", payment.reference)).content.decode()
    assert "Gateway refused; will be retried" in html and "gateway refused" in html


def test_a_payment_whose_purpose_is_not_registered_here_is_not_refunded(client, operator):
    from ekseva.payments import purposes

    payment = paid()
    purposes.unregister("test_fee")  # e.g. demo data of a purpose this server lacks
    html = client.get(url("manage_detail", payment.reference)).content.decode()
    assert 'id="refund"' not in html and "test_fee" in html
    token = "t" * 20
    response = client.post(
        url("manage_refund", payment.reference), {"amount": "1", "reason": "x", "token": token}
    )
    assert response.status_code == 302
    assert "is not registered on this server" in client.get(response["Location"]).content.decode()
    assert not Refund.objects.exists()
