"""The citizen's journey in HTML: start (eligibility first), the form's steps,
documents, preview and submit, pay — in English and Hindi, and 404 for anyone else."""

from __future__ import annotations

import io
import os
import re

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from PIL import Image

from ekseva.applications import documents as locker
from ekseva.applications import services
from ekseva.applications.models import Application, ApplicationDocument, LockerDocument, Status
from ekseva.catalog import loader
from ekseva.catalog.models import Service
from ekseva.payments import purposes
from ekseva.payments import services as payments
from ekseva.payments.gateways import GatewayResult
from ekseva.payments.models import Payment
from tests.catalog.conftest import write_definitions
from tests.web.a11y import problems as a11y_problems

from .conftest import ANSWERS, OPEN_SERVICE, jpeg, pdf

pytestmark = pytest.mark.django_db

ELIGIBLE = {
    "date_of_birth": "2000-01-15",
    "gender": "M",
    "social_category": "GEN",
    "graduate": "yes",
}


def url(name: str, *args, lang: str = "en") -> str:
    with translation.override(lang):
        return reverse(f"applications:{name}", args=args)


def page(response) -> str:
    return response.content.decode()


def accessible(response) -> None:
    assert a11y_problems(page(response)) == []


@pytest.fixture
def signed_in(client, citizen):
    client.force_login(citizen)
    return client


def draft(service, citizen, answers=None):
    app = services.start(citizen, service)
    if answers:
        services.save_step(app, "about", answers, actor=citizen)
        app.refresh_from_db()
    return app


def filled(service, citizen):
    app = draft(service, citizen, ANSWERS)
    services.attach_upload(app, "photo", jpeg(), actor=citizen)
    return app


def submitted(service, citizen):
    return services.submit(filled(service, citizen), declaration=True, actor=citizen)


def noisy_jpeg(side: int = 500) -> SimpleUploadedFile:
    """A photo far over the test service's 100 KB (noise does not compress)."""
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return SimpleUploadedFile("big.jpg", buffer.getvalue(), content_type="image/jpeg")


# --------------------------------------------------------------------------- start


def test_start_sends_a_visitor_to_sign_in_first(client, service):
    response = client.get(url("start", "tst-exam"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:signin"))
    assert "next=" in response.url and "start/tst-exam" in response.url
    assert client.post(url("start", "tst-exam"), ELIGIBLE).status_code == 302
    assert not Application.objects.exists()


def test_start_of_an_unknown_service_is_404(signed_in, service):
    assert signed_in.get(url("start", "no-such")).status_code == 404


def test_start_shows_what_it_needs_the_window_and_the_eligibility_questions(signed_in, service):
    response = signed_in.get(url("start", "tst-exam"))
    assert response.status_code == 200
    html = page(response)
    assert "Apply: Test Examination" in html
    assert "Photo: JPG, up to 100 KB" in html
    assert "₹0.00 – ₹500.00" in html and "₹40.00" in html  # the exam fee depends on the answers
    assert "Kiosk service charge" not in html  # this journey is online
    assert "Applications are open until 30-06-2026 23:59:59." in html
    assert "After that, until 05-07-2026 23:59:59, only with a late fee of ₹100.00." in html
    # the fields the eligibility rules read (age, its relaxations, the graduate rule)
    for field in ("date_of_birth", "gender", "social_category", "graduate"):
        assert f'name="{field}"' in html
    assert 'name="pwd"' not in html  # asked in the form, not needed to decide eligibility
    accessible(response)


def test_an_eligible_citizen_gets_a_draft_with_the_answers_given(signed_in, service, citizen):
    response = signed_in.post(url("start", "tst-exam"), ELIGIBLE)
    app = Application.objects.get()
    assert response.status_code == 302
    assert response.url == url("step", app.pk, "about")
    assert app.applicant == citizen and app.status == Status.DRAFT
    assert app.answers["date_of_birth"] == "2000-01-15"
    assert app.answers["graduate"] is True and app.answers["gender"] == "M"
    assert app.step == "about"  # "pwd" is still to answer
    follow = signed_in.get(response.url)
    assert 'value="2000-01-15"' in page(follow)


@pytest.mark.parametrize(
    ("lang", "graduates_only", "age"),
    [
        ("en", "Graduates only", "Age must be 18 to 40 (you are 58)"),
        ("hi", "केवल स्नातक", "आयु 18 से 40 (आप 58)"),
    ],
)
def test_an_ineligible_citizen_is_told_why_and_no_draft_is_made(
    signed_in, service, lang, graduates_only, age
):
    answers = {**ELIGIBLE, "date_of_birth": "1967-03-01", "graduate": "no"}
    response = signed_in.post(url("start", "tst-exam", lang=lang), answers)
    assert response.status_code == 200
    html = page(response)
    assert graduates_only in html and age in html
    assert not Application.objects.exists()
    accessible(response)


def test_relaxations_count_in_the_eligibility_check(signed_in, service):
    # 43 on the cut-off date: too old in general, within the limit for SC (+5)
    too_old = {**ELIGIBLE, "date_of_birth": "1982-06-01"}
    assert signed_in.post(url("start", "tst-exam"), too_old).status_code == 200
    assert not Application.objects.exists()
    response = signed_in.post(url("start", "tst-exam"), {**too_old, "social_category": "SC"})
    assert response.status_code == 302 and Application.objects.count() == 1


def test_a_wrong_eligibility_answer_is_shown_on_its_field(signed_in, service):
    response = signed_in.post(url("start", "tst-exam"), {**ELIGIBLE, "date_of_birth": "31-02-2000"})
    html = page(response)
    assert response.status_code == 200
    assert 'href="#id_date_of_birth"' in html  # the summary links to the field
    assert 'aria-describedby="id_date_of_birth-error"' in html
    assert 'aria-invalid="true"' in html
    assert 'value="31-02-2000"' in html  # what was typed stays
    assert not Application.objects.exists()


def test_an_existing_draft_is_offered_instead_of_a_new_one(signed_in, service, citizen):
    app = draft(service, citizen)
    response = signed_in.get(url("start", "tst-exam"))
    html = page(response)
    assert "You have already started this application" in html
    assert f'href="{url("step", app.pk, "about")}"' in html
    assert "Check and start" not in html
    again = signed_in.post(url("start", "tst-exam"), ELIGIBLE)
    assert again.url == url("step", app.pk, "about")
    assert Application.objects.count() == 1


def test_start_when_the_window_is_closed_or_not_yet_open(signed_in, service, frozen_clock):
    frozen_clock.advance(days=21)  # 2026-07-06: after the late window
    response = signed_in.get(url("start", "tst-exam"))
    html = page(response)
    assert "Applications closed at 05-07-2026 23:59:59." in html
    assert "Check and start" not in html
    refused = signed_in.post(url("start", "tst-exam"), ELIGIBLE)
    assert "Applications closed at 05-07-2026 23:59:59" in page(refused)
    assert not Application.objects.exists()
    frozen_clock.advance(days=-40)  # 2026-05-27
    response = signed_in.get(url("start", "tst-exam", lang="hi"))
    assert "01-06-2026 00:00:00" in page(response) and "Check and start" not in page(response)


def test_the_late_window_is_said_with_its_fee(signed_in, service, frozen_clock):
    frozen_clock.advance(days=16)  # 2026-07-01
    html = page(signed_in.get(url("start", "tst-exam")))
    assert "Late applications are taken until 05-07-2026 23:59:59." in html
    assert "A late fee of ₹100.00 is added." in html


def test_the_service_page_links_to_apply_online_only_while_open(client, service, frozen_clock):
    with translation.override("en"):
        detail = reverse("catalog:detail", args=["tst-exam"])
    html = page(client.get(detail))
    assert f'href="{url("start", "tst-exam")}"' in html and "Apply online" in html
    frozen_clock.advance(days=21)
    assert url("start", "tst-exam") not in page(client.get(detail))


# --------------------------------------------------------------------------- steps


def test_a_step_keeps_the_good_answers_when_one_is_wrong(signed_in, service, citizen):
    app = draft(service, citizen)
    response = signed_in.post(
        url("step", app.pk, "about"),
        {**ANSWERS, "date_of_birth": "31-02-2000", "gender": "F", "action": "next"},
    )
    assert response.status_code == 200
    html = page(response)
    assert "Step 1 of 3" in html
    assert 'value="31-02-2000"' in html and 'href="#id_date_of_birth"' in html
    app.refresh_from_db()
    assert app.answers["gender"] == "F" and app.answers["social_category"] == "GEN"
    assert "date_of_birth" not in app.answers
    accessible(response)


def test_a_complete_step_goes_on_to_the_documents(signed_in, service, citizen):
    app = draft(service, citizen)
    response = signed_in.post(url("step", app.pk, "about"), {**ANSWERS, "action": "next"})
    assert response.status_code == 302 and response.url == url("documents", app.pk)
    app.refresh_from_db()
    assert app.answers["pwd"] is False and app.step == "preview"


def test_save_and_finish_later(signed_in, service, citizen):
    app = draft(service, citizen)
    response = signed_in.post(
        url("step", app.pk, "about"), {"gender": "F", "date_of_birth": "", "action": "later"}
    )
    # a required answer left empty is reported; the rest is kept, and the page says so
    assert response.status_code == 200
    assert "Your other answers are saved" in page(response)
    app.refresh_from_db()
    assert app.answers["gender"] == "F"
    response = signed_in.post(url("step", app.pk, "about"), {**ANSWERS, "action": "later"})
    assert response.url == url("saved", app.pk)
    saved = signed_in.get(response.url)
    html = page(saved)
    assert "Your draft is saved" in html and "any other device" in html
    assert f'href="{url("mine")}"' in html
    assert f'href="{url("documents", app.pk)}"' in html  # continue where it stopped
    accessible(saved)


def test_an_unknown_step_is_404(signed_in, service, citizen):
    app = draft(service, citizen)
    assert signed_in.get(url("step", app.pk, "nope")).status_code == 404


def test_a_submitted_draft_goes_to_its_page(signed_in, service, citizen):
    app = submitted(service, citizen)
    for name, args in (
        ("step", (app.pk, "about")),
        ("documents", (app.pk,)),
        ("preview", (app.pk,)),
        ("saved", (app.pk,)),
    ):
        response = signed_in.get(url(name, *args))
        assert response.status_code == 302 and response.url == url("detail", app.number)
    response = signed_in.post(url("step", app.pk, "about"), {**ANSWERS, "gender": "F"})
    assert response.url == url("detail", app.number)
    app.refresh_from_db()
    assert app.answers["gender"] == "M"


TWO_STEPS = OPEN_SERVICE.replace(
    "        - {id: pwd, type: yesno,",
    "    - id: more\n"
    "      title: {en: More about you, hi: आपके बारे में और}\n"
    "      fields:\n"
    "        - {id: pwd, type: yesno,",
)


@pytest.fixture
def two_step_service(service, tmp_path):
    write_definitions(
        tmp_path / "defs2", service=TWO_STEPS.replace("tst-exam", "tst-two"), name="tst-two.yaml"
    )
    _changes, problems = loader.load_paths([tmp_path / "defs2"])
    assert problems == []
    return Service.objects.get(code="tst-two")


def test_a_form_of_several_steps(signed_in, two_step_service, citizen):
    # the eligibility answers fill the first step and part of the second: the draft
    # resumes at the second, the first one not complete
    response = signed_in.post(url("start", "tst-two"), ELIGIBLE)
    app = Application.objects.get()
    assert response.url == url("step", app.pk, "more")
    assert app.answers["graduate"] is True and app.answers["gender"] == "M"
    html = page(signed_in.get(response.url))
    assert "Step 2 of 4" in html and "More about you" in html
    assert 'id="id_graduate-0" name="graduate" value="yes" checked' in html
    assert f'href="{url("step", app.pk, "about")}"' in html  # back
    html = page(signed_in.get(url("step", app.pk, "about")))
    assert "Step 1 of 4" in html and 'value="2000-01-15"' in html
    response = signed_in.post(url("step", app.pk, "about"), {**ELIGIBLE, "action": "next"})
    assert response.url == url("step", app.pk, "more")
    response = signed_in.post(url("step", app.pk, "more"), {"pwd": "no", "action": "next"})
    assert response.url == url("documents", app.pk)


def test_a_draft_closed_unsubmitted_goes_to_my_applications(
    signed_in, service, citizen, frozen_clock
):
    app = draft(service, citizen, ANSWERS)
    frozen_clock.advance(days=21)
    assert services.close_lapsed() == 1
    response = signed_in.get(url("step", app.pk, "about"))
    assert response.status_code == 302 and response.url == url("mine")


@pytest.fixture
def kiosk_only_service(service, tmp_path):
    definition = OPEN_SERVICE.replace("tst-exam", "tst-kiosk").replace(
        "channels: [online, kiosk]", "channels: [kiosk]"
    )
    write_definitions(tmp_path / "defs3", service=definition, name="tst-kiosk.yaml")
    _changes, problems = loader.load_paths([tmp_path / "defs3"])
    assert problems == []
    return Service.objects.get(code="tst-kiosk")


def test_a_service_not_applied_for_online(signed_in, kiosk_only_service):
    html = page(signed_in.get(url("start", "tst-kiosk")))
    assert "any kiosk applies for you" in html and "Check and start" not in html
    assert signed_in.post(url("start", "tst-kiosk"), ELIGIBLE).status_code == 200
    assert not Application.objects.exists()


# --------------------------------------------------------------------------- documents


def test_the_documents_page_says_what_each_needs(signed_in, service, citizen):
    app = draft(service, citizen, ANSWERS)
    response = signed_in.get(url("documents", app.pk))
    html = page(response)
    assert response.status_code == 200
    assert "Step 2 of 3" in html
    assert 'accept=".jpg,.jpeg,image/jpeg"' in html
    assert "JPG, up to 100 KB" in html
    assert 'enctype="multipart/form-data"' in html
    assert 'data-document="pwd_cert"' in html and "optional" in html  # pwd is no
    accessible(response)


def test_upload_a_document(signed_in, service, citizen):
    app = draft(service, citizen, ANSWERS)
    response = signed_in.post(
        url("documents", app.pk), {"document": "photo", "action": "upload", "file": jpeg()}
    )
    assert response.status_code == 302
    assert response.url == url("documents", app.pk) + "#doc-photo"
    attached = ApplicationDocument.objects.get(application=app)
    assert attached.document_id == "photo" and attached.locker_document.owner == citizen
    html = page(signed_in.get(url("documents", app.pk)))
    assert "photo.jpg" in html and "Attached" in html


@pytest.mark.parametrize(
    ("upload", "lang"),
    [
        (SimpleUploadedFile("photo.jpg", pdf().read(), content_type="image/jpeg"), "en"),
        (
            SimpleUploadedFile("photo.jpg", b"just some text\n" * 20, content_type="image/jpeg"),
            "hi",
        ),
    ],
    ids=["pdf-named-jpg", "text-named-jpg-in-hindi"],
)
def test_a_file_that_lies_about_its_type_is_refused(signed_in, service, citizen, upload, lang):
    app = draft(service, citizen, ANSWERS)
    response = signed_in.post(
        url("documents", app.pk, lang=lang),
        {"document": "photo", "action": "upload", "file": upload},
    )
    assert response.status_code == 200
    html = page(response)
    assert 'id="doc-photo-error"' in html and 'aria-invalid="true"' in html
    assert 'href="#file-photo"' in html
    error = re.search(r'id="doc-photo-error" role="alert">([^<]+)<', html).group(1)
    assert (
        ("JPEG" in error or "JPG" in error) if lang == "en" else re.search("[\u0900-\u097f]", error)
    )
    assert not ApplicationDocument.objects.exists() and not LockerDocument.objects.exists()
    accessible(response)


def test_an_oversized_file_is_refused(signed_in, service, citizen):
    app = draft(service, citizen, ANSWERS)
    big = noisy_jpeg()
    assert big.size > 100 * 1024
    response = signed_in.post(
        url("documents", app.pk), {"document": "photo", "action": "upload", "file": big}
    )
    assert response.status_code == 200
    assert "100 KB" in re.search(
        r'id="doc-photo-error" role="alert">([^<]+)<', page(response)
    ).group(1)
    assert not ApplicationDocument.objects.exists()


def test_no_file_chosen_is_said_on_the_document(signed_in, service, citizen):
    app = draft(service, citizen, ANSWERS)
    response = signed_in.post(url("documents", app.pk), {"document": "photo", "action": "upload"})
    assert "Choose a file to upload." in page(response)


def test_pick_a_document_from_the_locker(signed_in, service, citizen, other_citizen):
    rule = {"id": "photo", "formats": ["jpg"], "max_kb": 100}
    photo = locker.store(citizen, jpeg(), label="Photo", purpose="photo", rule=rule, actor=citizen)
    certificate = locker.store(
        citizen, pdf(), label="Cert", purpose="pwd_cert", rule={"formats": ["pdf"]}, actor=citizen
    )
    theirs = locker.store(
        other_citizen,
        jpeg(200, 300),
        label="Photo",
        purpose="photo",
        rule=rule,
        actor=other_citizen,
    )
    app = draft(service, citizen, ANSWERS)
    html = page(signed_in.get(url("documents", app.pk)))
    photo_card = html.split('data-document="photo"')[1].split("</section>")[0]
    assert f'<option value="{photo.pk}">' in photo_card
    assert f'value="{certificate.pk}"' not in photo_card  # a PDF is no photo
    assert f'value="{theirs.pk}"' not in html
    refused = signed_in.post(
        url("documents", app.pk), {"document": "photo", "action": "locker", "locker": theirs.pk}
    )
    assert "Choose a document from your locker." in page(refused)
    response = signed_in.post(
        url("documents", app.pk), {"document": "photo", "action": "locker", "locker": photo.pk}
    )
    assert response.status_code == 302
    assert ApplicationDocument.objects.get(application=app).locker_document == photo


# --------------------------------------------------------------------------- preview, submit


def test_the_preview_lists_what_stops_submission_with_links(signed_in, service, citizen):
    app = draft(service, citizen, {"gender": "M"})
    response = signed_in.get(url("preview", app.pk))
    html = page(response)
    assert response.status_code == 200
    assert "Step 3 of 3" in html and "Before you can submit" in html
    assert f'href="{url("step", app.pk, "about")}#id_date_of_birth"' in html
    assert f'href="{url("documents", app.pk)}"' in html and "Upload: Photo" in html
    assert 'name="declaration"' not in html  # nothing to submit yet
    accessible(response)


def test_the_preview_reads_the_answers_back_with_the_fee(signed_in, service, citizen):
    app = filled(service, citizen)
    html = page(signed_in.get(url("preview", app.pk)))
    assert re.search(r'data-answer="date_of_birth">15-01-2000<', html)
    assert re.search(r'data-answer="gender">Male<', html)
    assert re.search(r'data-answer="social_category">General<', html)
    assert re.search(r'data-answer="graduate">Yes<', html)
    assert re.search(r'data-answer="pwd">No<', html)
    assert "photo.jpg" in html
    for amount in ("₹500.00", "₹40.00", "₹7.20"):
        assert amount in html
    assert re.search(r"data-total><strong>₹547.20<", html)
    assert "Before you can submit" not in html and 'name="declaration"' in html
    hindi = page(signed_in.get(url("preview", app.pk, lang="hi")))
    assert re.search(r'data-answer="gender">पुरुष<', hindi)
    assert re.search(r'data-answer="graduate">हाँ<', hindi)
    assert "पोर्टल सुविधा शुल्क" in hindi


def test_the_late_fee_is_in_the_preview_in_the_late_window(
    signed_in, service, citizen, frozen_clock
):
    app = filled(service, citizen)
    frozen_clock.advance(days=16)
    html = page(signed_in.get(url("preview", app.pk)))
    assert "Late fee" in html and "₹100.00" in html
    assert re.search(r"data-total><strong>₹647.20<", html)


def test_the_declaration_is_required(signed_in, service, citizen):
    app = filled(service, citizen)
    response = signed_in.post(url("preview", app.pk), {})
    html = page(response)
    assert response.status_code == 200
    assert 'id="declaration-error"' in html and "Confirm the declaration to submit." in html
    assert 'aria-describedby="declaration-error"' in html
    app.refresh_from_db()
    assert app.status == Status.DRAFT and app.number is None
    hindi = page(signed_in.post(url("preview", app.pk, lang="hi"), {}))
    assert "जमा करने के लिए घोषणा की पुष्टि करें।" in hindi


def test_submit_issues_the_number_once_even_when_pressed_twice(signed_in, service, citizen):
    app = filled(service, citizen)
    first = signed_in.post(url("preview", app.pk), {"declaration": "yes"})
    app.refresh_from_db()
    assert app.number and app.status == Status.FEE_PENDING
    assert first.status_code == 302 and first.url == url("detail", app.number)
    shown = [str(m) for m in get_messages(first.wsgi_request)]
    assert any(app.number in m for m in shown)
    second = signed_in.post(url("preview", app.pk), {"declaration": "yes"})
    assert second.url == url("detail", app.number)
    assert Application.objects.exclude(number=None).count() == 1
    assert app.history.filter(to_status=Status.SUBMITTED).count() == 1


def test_a_draft_cannot_be_submitted_after_the_close(signed_in, service, citizen, frozen_clock):
    app = filled(service, citizen)
    frozen_clock.advance(days=21)  # 2026-07-06 10:00
    html = page(signed_in.get(url("preview", app.pk)))
    assert "Applications closed at 05-07-2026 23:59:59. A draft can no longer be submitted." in html
    assert 'name="declaration"' not in html
    response = signed_in.post(url("preview", app.pk), {"declaration": "yes"})
    assert response.status_code == 200
    assert "Applications closed at 05-07-2026 23:59:59" in page(response)
    app.refresh_from_db()
    assert app.status == Status.DRAFT and app.number is None


# --------------------------------------------------------------------------- pay


def token() -> str:
    return "t" * 10 + "0123456789abcdef"


def test_pay_goes_to_the_gateway_and_one_token_makes_one_payment(signed_in, service, citizen):
    app = submitted(service, citizen)
    response = signed_in.post(url("pay", app.number), {"token": token()})
    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response.url == f"https://fake.example/pay/{payment.gateway_order_id}"
    assert payment.purpose == "application_fee" and payment.target == app.number
    assert payment.amount == app.fee_total and payment.payer == citizen
    again = signed_in.post(url("pay", app.number), {"token": token()})
    assert again.url == response.url and Payment.objects.count() == 1


def test_paying_a_paid_application_is_refused_in_the_users_language(signed_in, service, citizen):
    app = submitted(service, citizen)
    payment = services.start_payment(app, idempotency_key="first", actor=citizen)
    payments.start_checkout(payment, return_url="/r/")
    payment.refresh_from_db()
    payments.apply_result(
        payment,
        GatewayResult(
            status="succeeded",
            order_id=payment.gateway_order_id,
            payment_id="p1",
            amount=payment.amount,
        ),
        source="webhook",
    )
    for lang, text in (
        ("en", "The fee of this application has already been paid."),
        ("hi", "इस आवेदन का शुल्क पहले ही जमा हो चुका है।"),
    ):
        response = signed_in.post(url("pay", app.number, lang=lang), {"token": token()})
        assert response.url == url("detail", app.number, lang=lang)
        assert [str(m) for m in get_messages(response.wsgi_request)][-1] == text
    assert Payment.objects.count() == 1


def test_pay_without_a_good_token_or_after_the_close_is_refused(
    signed_in, service, citizen, frozen_clock
):
    app = submitted(service, citizen)
    response = signed_in.post(url("pay", app.number), {"token": "short"})
    assert response.url == url("detail", app.number)
    assert not Payment.objects.exists()
    frozen_clock.advance(days=21)
    response = signed_in.post(url("pay", app.number), {"token": token()})
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("Applications closed at 05-07-2026 23:59:59" in m for m in shown)
    assert not Payment.objects.exists()


def test_pay_is_post_only_and_asks_a_visitor_to_sign_in(client, service, citizen):
    app = submitted(service, citizen)
    assert client.post(url("pay", app.number), {"token": token()}).status_code == 302
    assert not Payment.objects.exists()
    client.force_login(citizen)
    assert client.get(url("pay", app.number)).status_code == 405


def test_the_pay_button_carries_a_fresh_token(service, citizen):
    app = submitted(service, citizen)
    request = RequestFactory().get("/")
    request.user = citizen
    with translation.override("en"):
        first = render_to_string("applications/journey/_pay_button.html", {"app": app}, request)
        second = render_to_string("applications/journey/_pay_button.html", {"app": app}, request)
    assert f'action="{url("pay", app.number)}"' in first and "Pay ₹547.20" in first
    tokens = [re.search(r'name="token" value="([^"]+)"', html).group(1) for html in (first, second)]
    assert tokens[0] != tokens[1] and all(len(t) >= 16 for t in tokens)


def test_the_payment_page_links_back_to_the_application(service, citizen):
    app = submitted(service, citizen)
    payment = services.start_payment(app, idempotency_key="k", actor=citizen)
    with translation.override("hi"):
        assert purposes.get("application_fee").link(payment) == url("detail", app.number, lang="hi")


# --------------------------------------------------------------------------- others, Hindi


def test_someone_elses_draft_or_application_is_404_everywhere(
    client, service, citizen, other_citizen
):
    app = filled(service, citizen)
    client.force_login(other_citizen)
    for name, args in (
        ("step", (app.pk, "about")),
        ("documents", (app.pk,)),
        ("preview", (app.pk,)),
        ("saved", (app.pk,)),
    ):
        assert client.get(url(name, *args)).status_code == 404, name
    assert client.post(url("step", app.pk, "about"), {**ANSWERS, "gender": "F"}).status_code == 404
    assert (
        client.post(
            url("documents", app.pk), {"document": "photo", "action": "upload", "file": jpeg()}
        ).status_code
        == 404
    )
    assert client.post(url("preview", app.pk), {"declaration": "yes"}).status_code == 404
    app.refresh_from_db()
    assert app.status == Status.DRAFT and app.answers["gender"] == "M"
    app = services.submit(app, declaration=True, actor=citizen)
    assert client.post(url("pay", app.number), {"token": token()}).status_code == 404
    assert not Payment.objects.exists()


def test_a_visitor_is_sent_to_sign_in_from_every_draft_page(client, service, citizen):
    app = draft(service, citizen)
    for name, args in (
        ("step", (app.pk, "about")),
        ("documents", (app.pk,)),
        ("preview", (app.pk,)),
        ("saved", (app.pk,)),
    ):
        response = client.get(url(name, *args))
        assert response.status_code == 302 and response.url.startswith(reverse("accounts:signin"))


def test_every_page_in_hindi(signed_in, service, citizen):
    checks = [
        (url("start", "tst-exam", lang="hi"), "आवेदन: परीक्षण परीक्षा"),
    ]
    app = draft(service, citizen, ANSWERS)
    checks += [
        (url("step", app.pk, "about", lang="hi"), "चरण 1 / 3"),
        (url("documents", app.pk, lang="hi"), "चरण 2 / 3"),
        (url("preview", app.pk, lang="hi"), "चरण 3 / 3"),
        (url("saved", app.pk, lang="hi"), "आपका प्रारूप सहेजा गया है"),
    ]
    for address, text in checks:
        response = signed_in.get(address)
        assert response.status_code == 200, address
        html = page(response)
        assert '<html lang="hi">' in html and text in html, address
        assert "Step " not in html and "Save and" not in html and "Documents" not in html, address
        accessible(response)
    # the form engine's words come in Hindi too
    assert "जन्म तिथि" in page(signed_in.get(url("step", app.pk, "about", lang="hi")))
