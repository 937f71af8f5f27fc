"""The reconciliation screens: who may, the upload (good, bad, too big, not UTF-8,
the same file twice), a run's report with its filters, the CSV, both languages."""

from __future__ import annotations

import csv
import io
import itertools
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ekseva.accounts.models import Posting, Role, User
from ekseva.ledger.models import JournalEntry
from ekseva.ledger.verify import verify
from ekseva.payments import reconcile, views_reconcile
from ekseva.payments.models import ItemCategory, ReconciliationRun
from tests.web import a11y

from .conftest import make_payment, settlement_csv, succeed
from .test_reconcile import TODAY, row

pytestmark = pytest.mark.django_db

PASSWORD = "right-password-42"
_seq = itertools.count(1)


@pytest.fixture(autouse=True)
def english(frozen_clock):
    with translation.override("en"):
        yield


def make_staff(role: Role, department_code: str = "") -> User:
    user = User.objects.create_user(f"recon{next(_seq)}", PASSWORD)
    Posting.objects.create(user=user, role=role, department_code=department_code)
    TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    return user


def sign_in(client, user: User) -> None:
    """The real staff sign-in: password and the current TOTP code."""
    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    response = client.post(
        "/en/account/staff/signin/",
        {"username": user.username, "password": PASSWORD, "token": f"{totp.token():06d}"},
    )
    assert response.status_code == 302, response.content.decode()[:300]


@pytest.fixture
def staff(client):
    sign_in(client, make_staff(Role.OPERATOR_STAFF))
    return client


def url(name: str, *args) -> str:
    return reverse(f"payments:{name}", args=args)


def upload(client, text: str | bytes, name: str = "settle.csv", gateway: str = "fake", **extra):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return client.post(
        url("reconcile_list"),
        {"gateway": gateway, "file": SimpleUploadedFile(name, data, "text/csv"), **extra},
    )


@pytest.fixture
def mixed_run(settling_gateway, effects):
    """A run with one item of each kind that a file of two rows and a missing payment make."""
    payment = succeed(make_payment(target="APP1"), payment_id="pay_1")
    succeed(make_payment(target="APP2"), payment_id="pay_2")  # missing from the file
    text = settlement_csv(
        row(payment),
        ("setl_1", TODAY, "payment", "=cmd|calc", "pay_x", "", 5000, 118, 18),
    )
    return reconcile.import_file("fake", "mixed.csv", text)


# --- who may ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonymous", "citizen", "unverified_staff", "officer"])
def test_wrong_people_are_refused(client, mixed_run, who):
    if who == "citizen":
        client.force_login(User.objects.create_citizen("9876543210"))
    elif who == "unverified_staff":
        client.force_login(make_staff(Role.OPERATOR_STAFF))
    elif who == "officer":
        sign_in(client, make_staff(Role.DEPARTMENT_OFFICER, department_code="LSG"))
    requests = [
        ("get", url("reconcile_list")),
        ("get", url("reconcile_run", mixed_run.pk)),
        ("get", url("reconcile_run_csv", mixed_run.pk)),
    ]
    for method, address in requests:
        response = getattr(client, method)(address)
        if who == "officer":
            assert response.status_code == 403, address
        else:
            assert response.status_code == 302, address
            assert "/account/staff/signin/" in response["Location"]
    response = upload(client, settlement_csv())
    assert response.status_code == (403 if who == "officer" else 302)
    assert ReconciliationRun.objects.count() == 1


# --- upload ----------------------------------------------------------------------------


def test_list_shows_runs_and_the_upload_form(staff, mixed_run):
    response = staff.get(url("reconcile_list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert a11y.problems(page) == []
    assert '<option value="fake"' in page and '<option value="wallet"' not in page
    assert 'enctype="multipart/form-data"' in page
    line = page.split(f'data-run="{mixed_run.pk}"')[1].split("</tr>")[0]
    assert "mixed.csv" in line and "fake" in line
    assert 'data-attention="2"' in line
    assert "₹173.60" in line  # gross: 123.60 + 50.00
    assert url("reconcile_run", mixed_run.pk) in line


def test_upload_imports_and_shows_the_run(staff, settling_gateway, effects):
    payment = succeed(make_payment(target="APP1"), payment_id="pay_1")
    response = upload(staff, settlement_csv(row(payment)))
    run = ReconciliationRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("reconcile_run", run.pk)
    assert run.imported_by.username.startswith("recon")
    assert run.file_name == "settle.csv"
    page = staff.get(response["Location"]).content.decode()
    assert "Imported 1 row(s) as run" in page
    assert "Everything in this file matched our books." in page
    assert verify() == []


def test_the_same_file_twice_says_so(staff, settling_gateway, effects):
    payment = succeed(make_payment(target="APP1"), payment_id="pay_1")
    text = settlement_csv(row(payment))
    upload(staff, text)
    entries = JournalEntry.objects.count()
    response = upload(staff, text, name="again.csv")
    assert response.status_code == 302
    page = staff.get(response["Location"]).content.decode()
    assert "already imported" in page and "nothing was posted again" in page
    assert ReconciliationRun.objects.count() == 1
    assert JournalEntry.objects.count() == entries


def test_a_bad_line_is_shown_with_its_number_and_nothing_is_written(
    staff, settling_gateway, effects
):
    payment = succeed(make_payment(target="APP1"), payment_id="pay_1")
    text = settlement_csv(row(payment)) + "s,2026-06-15,payment,o,p,,12.5,0,0\n"
    response = upload(staff, text)
    assert response.status_code == 400
    page = response.content.decode()
    assert "The file was not imported" in page
    assert "Line 3: amounts must be whole paise" in page
    assert a11y.problems(page) == []
    assert not ReconciliationRun.objects.exists()
    assert not JournalEntry.objects.filter(kind=reconcile.SETTLEMENT_KIND).exists()


def test_a_bad_line_in_hindi(client, settling_gateway, effects):
    sign_in(client, make_staff(Role.OPERATOR_STAFF))
    data = settlement_csv(("s", "15/06/2026", "payment", "o", "p", "", 100, 0, 0)).encode()
    response = client.post(
        "/hi/payments/manage/reconciliation/",
        {"gateway": "fake", "file": SimpleUploadedFile("s.csv", data, "text/csv")},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "पंक्ति 2: निपटान तिथि" in page
    assert "फ़ाइल आयात नहीं हुई" in page


def test_not_utf8_binary_too_big_and_empty_are_refused(staff, settling_gateway, effects):
    response = upload(staff, "settlement_id\nनमस्ते".encode("utf-16"))
    assert response.status_code == 400
    assert "Line 1: the file is not UTF-8 text" in response.content.decode()
    response = upload(staff, b"a,b\nc,d\n\x00\x01")
    assert response.status_code == 400
    assert "This is not a text (CSV) file" in response.content.decode()
    big = b"x" * (views_reconcile.MAX_FILE_BYTES + 1)
    response = upload(staff, big)
    assert response.status_code == 400
    assert "larger than 10 MB" in response.content.decode()
    response = upload(staff, b"")
    assert response.status_code == 400
    assert "The submitted file is empty" in response.content.decode()
    response = upload(staff, settlement_csv(), gateway="wallet")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not ReconciliationRun.objects.exists()


def test_a_period_is_checked_and_passed_on(staff, settling_gateway, effects):
    response = upload(staff, settlement_csv(), period_from="2026-06-15", period_to="2026-06-14")
    assert response.status_code == 400
    assert "The last day cannot be before the first day." in response.content.decode()
    response = upload(staff, settlement_csv(), period_from="2026-06-14", period_to="2026-06-15")
    assert response.status_code == 302
    run = ReconciliationRun.objects.get()
    assert (str(run.period_start), str(run.period_end)) == ("2026-06-14", "2026-06-15")


def test_no_gateway_reads_settlement_files(staff, monkeypatch):
    monkeypatch.setattr(reconcile, "settlement_gateways", lambda: [])
    page = staff.get(url("reconcile_list")).content.decode()
    assert "No gateway here reads settlement files." in page
    assert 'enctype="multipart/form-data"' not in page


# --- a run -----------------------------------------------------------------------------


def test_run_page_shows_totals_counts_and_items(staff, mixed_run):
    response = staff.get(url("reconcile_run", mixed_run.pk))
    assert response.status_code == 200
    page = response.content.decode()
    assert a11y.problems(page) == []
    assert '<strong data-total="gross">₹173.60</strong>' in page
    assert '<strong data-total="fees">₹4.09</strong>' in page
    assert '<strong data-total="net">₹169.51</strong>' in page
    assert "2 items need attention." in page
    counts = page.split("Items by category")[1].split("</table>")[0]
    assert 'data-category="matched"' in counts and 'data-count="1"' in counts
    # every category is explained
    assert "Find the payer and refund it at the gateway" in counts
    table = page.split("data-items")[1]
    assert table.count("<tr data-item=") == 3
    matched = mixed_run.items.get(category=ItemCategory.MATCHED)
    link = f"/en/payments/manage/{matched.payment.reference}/"  # the payments console
    assert views_reconcile.payment_url(matched.payment) == link
    assert f'<a href="{link}">{matched.payment.reference}</a>' in table
    assert "&#x27;=cmd|calc" not in table and "=cmd|calc" in table  # shown as text
    assert "Download the items (CSV)" in page


def test_filter_by_category_plain_and_htmx(staff, mixed_run):
    address = url("reconcile_run", mixed_run.pk) + "?category=not_in_file"
    page = staff.get(address).content.decode()
    table = page.split("data-items")[1]
    assert table.count("<tr data-item=") == 1
    assert 'data-category="not_in_file"' in table
    partial = staff.get(address, headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert "<html" not in body and body.count("<tr data-item=") == 1
    assert "HX-Request" in partial["Vary"]
    restore = staff.get(
        address, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.content.decode()
    everything = staff.get(url("reconcile_run", mixed_run.pk) + "?category=nonsense")
    assert everything.content.decode().split("data-items")[1].count("<tr data-item=") == 3


def test_run_page_in_hindi_and_unknown_run(staff, mixed_run):
    page = staff.get(f"/hi/payments/manage/reconciliation/{mixed_run.pk}/").content.decode()
    assert 'lang="hi"' in page
    assert "मिलान हुआ" in page
    assert "हमारे खातों में" in page
    assert a11y.problems(page) == []
    assert staff.get(url("reconcile_run", 999999)).status_code == 404


def test_csv_of_the_items(staff, mixed_run):
    response = staff.get(url("reconcile_run_csv", mixed_run.pk))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"reconciliation-{mixed_run.pk}-fake.csv" in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r["category"] for r in rows] == ["matched", "not_in_ledger", "not_in_file"]
    assert rows[0]["file_amount_paise"] == "12360" and rows[0]["line"] == "2"
    assert rows[1]["order_id"] == "'=cmd|calc"  # never a formula in a spreadsheet
    assert rows[2]["line"] == "" and rows[2]["payment_reference"].startswith("PY")


def test_pages_do_not_query_per_item(
    staff, settling_gateway, effects, django_assert_max_num_queries
):
    payments = [succeed(make_payment(target=f"APP{i}"), payment_id=f"pay_{i}") for i in range(12)]
    runs = [
        reconcile.import_file(
            "fake", f"f{i}.csv", settlement_csv(*[row(p, sid=f"s{i}") for p in payments])
        )
        for i in range(3)
    ]
    staff.get(url("reconcile_run", runs[0].pk))  # warm the session and the caches
    with django_assert_max_num_queries(12):
        page = staff.get(url("reconcile_run", runs[0].pk)).content.decode()
    assert page.split("data-items")[1].count("<tr data-item=") == 12
    with django_assert_max_num_queries(12):
        assert staff.get(url("reconcile_list")).status_code == 200
    with django_assert_max_num_queries(12):
        assert staff.get(url("reconcile_run_csv", runs[0].pk)).status_code == 200
