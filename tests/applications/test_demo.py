"""The applications demo: the demo citizen's applications in each promised state,
made through the services and the sandbox gateway; exams while their window is
open, services open all year otherwise; a second run writes nothing; the ledger
passes its check."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.management import call_command

from ekseva.accounts.models import User
from ekseva.applications import demo, services
from ekseva.applications.models import Application, LockerDocument, Status
from ekseva.catalog.models import Service
from ekseva.core import clock
from ekseva.ledger.verify import verify
from ekseva.payments.models import Payment, RefundStatus
from ekseva.payments.models import Status as PaymentStatus

IST = ZoneInfo("Asia/Kolkata")
EXAMS_OPEN = dt.datetime(2026, 12, 1, 11, 0, tzinfo=IST)  # group-4 and teachers open
EXAMS_CLOSED = dt.datetime(2027, 3, 1, 11, 0, tzinfo=IST)  # every 2026 exam has closed


@pytest.fixture(scope="module")
def _people_and_catalogue(django_db_setup, django_db_blocker):
    """Districts, the demo people and definitions/ once per module, inside a
    transaction rolled back at its end (each test runs in a savepoint within it)."""
    from django.db import transaction

    from ekseva.accounts import demo as accounts_demo
    from ekseva.catalog import demo as catalog_demo
    from ekseva.geo import demo as geo_demo

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            geo_demo.load()
            accounts_demo.load()
            catalog_demo.load()
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def world(_people_and_catalogue, db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PAYMENT_GATEWAYS = ["sandbox"]


def mine() -> dict[str, Application]:
    return {
        app.service.code: app
        for app in Application.objects.filter(applicant__mobile="9876543210").select_related(
            "service"
        )
    }


def test_every_promised_state_while_the_exams_are_open(world):
    with clock.frozen(EXAMS_OPEN):
        lines = demo.load()
    apps_ = mine()
    assert {code: app.status for code, app in apps_.items()} == {
        "esb-primary-teacher-2026": Status.DRAFT,
        "bu-duplicate-marksheet": Status.FEE_PENDING,
        "esb-group4-2026": Status.RECEIVED,
        "rgpv-provisional-degree": Status.WITHDRAWN,
    }

    draft = apps_["esb-primary-teacher-2026"]
    assert draft.number is None and draft.answers["name_hi"] == "आशा वर्मा"
    assert draft.step == "exam"  # "about you" done, the rest to do
    assert "exam_city" in services.check_complete(draft)

    waiting = apps_["bu-duplicate-marksheet"]
    assert waiting.fee_total == 50000 + 3000 + 540
    assert not Payment.objects.filter(target=waiting.number).exists()

    paid = apps_["esb-group4-2026"]
    payment = Payment.objects.get(reference=paid.paid_payment)
    assert (payment.gateway, payment.status, payment.method) == ("sandbox", "succeeded", "upi")
    assert payment.amount == paid.fee_total == 25000 + 4000 + 720  # MP OBC fee
    assert payment.district_code and ":" not in payment.district_code
    assert sorted(paid.documents.values_list("document_id", flat=True)) == [
        "caste_certificate",
        "photo",
        "signature",
    ]
    photo = paid.documents.get(document_id="photo").locker_document
    assert (photo.width, photo.height, photo.content_type) == (300, 400, "image/jpeg")
    assert paid.due_date is not None

    withdrawn = apps_["rgpv-provisional-degree"]
    refunded = Payment.objects.get(reference=withdrawn.paid_payment)
    assert refunded.status == PaymentStatus.REFUNDED  # the version refunds in full
    assert [r.status for r in refunded.refunds.all()] == [RefundStatus.PROCESSED]
    assert withdrawn.history.last().remark_en.startswith("Admitted to another university")

    # One identity proof in the locker, reused by both university applications.
    proofs = LockerDocument.objects.filter(owner=paid.applicant, purpose="id_proof")
    assert proofs.count() == 1 and proofs.get().attachments.count() == 2
    assert verify() == []
    assert lines == [
        "applications of 9876543210: draft: esb-primary-teacher-2026 | "
        f"fee pending: {waiting.number} | "
        f"paid: {paid.number} (receipt http://127.0.0.1:8000/en/applications/{paid.number}"
        "/receipt.pdf) | "
        f"withdrawn: {withdrawn.number} (receipt http://127.0.0.1:8000/en/applications/"
        f"{withdrawn.number}/receipt.pdf) (₹1,035.40 refunded) | "
        "see http://127.0.0.1:8000/en/applications/"
    ]


def test_when_the_exams_have_closed_services_open_all_year_stand_in(world):
    with clock.frozen(EXAMS_CLOSED):
        demo.load()
    assert {code: app.status for code, app in mine().items()} == {
        "mpbse-duplicate-marksheet": Status.DRAFT,
        "bu-duplicate-marksheet": Status.FEE_PENDING,
        "bu-migration-certificate": Status.RECEIVED,
        "rgpv-provisional-degree": Status.WITHDRAWN,
    }
    assert verify() == []


def test_a_second_run_writes_nothing_and_asks_little(world, django_assert_max_num_queries):
    def counts() -> dict[str, int]:
        return {m._meta.label: m._default_manager.count() for m in apps.get_models()}

    with clock.frozen(EXAMS_OPEN):
        first = demo.load()
        before = counts()
        with django_assert_max_num_queries(40):
            again = demo.load()
    assert counts() == before
    assert again == first


def test_what_the_citizen_did_since_is_kept(world):
    with clock.frozen(EXAMS_OPEN):
        demo.load()
        waiting = mine()["bu-duplicate-marksheet"]
        services.withdraw(waiting, reason="paid elsewhere", actor=waiting.applicant)
        line = demo.load()[0]
    assert f"fee pending: {waiting.number} (now withdrawn)" in line
    assert len(mine()) == 4


def test_later_runs_move_a_half_made_application_on(world):
    """A run cut short (here: only the draft made) is finished by the next one."""
    with clock.frozen(EXAMS_OPEN):
        citizen = User.objects.get(mobile="9876543210")
        services.start(citizen, Service.objects.get(code="rgpv-provisional-degree"))
        demo.load()
    assert mine()["rgpv-provisional-degree"].status == Status.WITHDRAWN
    assert Application.objects.filter(service__code="rgpv-provisional-degree").count() == 1


def test_without_the_demo_citizen_it_says_so(world, monkeypatch):
    monkeypatch.setattr(demo, "CITIZEN_MOBILE", "9000000009")  # nobody has this number
    assert demo.load() == ["applications: skipped (no citizen 9000000009: load the accounts demo)"]
    assert not Application.objects.exists()


@pytest.mark.django_db
def test_the_demo_command_runs_it(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    out = StringIO()
    call_command("demo", stdout=out)
    assert "[applications]" in out.getvalue()
    assert "applications of 9876543210: draft: " in out.getvalue()
    assert verify() == []
