"""Public tracking at /<lang>/track/: number + mobile or date of birth, behind a
captcha; status and timeline only, never personal data; a wrong number and a
wrong mobile get the same answer."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.utils import translation

from ekseva.applications import services, views_public
from ekseva.applications.models import Status

from .test_mine_views import paid, submitted

pytestmark = pytest.mark.django_db
CAPTCHA = {"captcha_0": "x", "captcha_1": "PASSED"}  # CAPTCHA_TEST_MODE accepts "PASSED"


@pytest.fixture(autouse=True)
def english_and_no_misses():
    """A clean miss counter (the cache outlives a test) and English for reverse()."""
    cache.clear()
    with translation.override("en"):
        yield
    cache.clear()


def track(client, language: str = "en", **data):
    return client.post(f"/{language}/track/", {**CAPTCHA, **data})


def error_summary(html: str) -> str:
    match = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    return match.group(0) if match else ""


def test_the_form_is_public_and_the_number_prefilled_from_the_qr_link(client):
    response = client.get("/en/track/?number=MP26TST0000001Q")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="MP26TST0000001Q"' in html
    assert 'name="captcha_1"' in html and 'name="mobile"' in html and 'name="date_of_birth"' in html
    assert "आवेदन की स्थिति देखें" in client.get("/hi/track/").content.decode()


def test_found_by_number_and_mobile_shows_status_and_timeline_only(client, service, citizen):
    app = paid(service, citizen)
    response = track(client, number=app.number, mobile="98765 00001")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-found="{app.number}"' in html
    assert "Test Examination" in html and "Received by the department" in html
    assert "Submitted; fee not yet paid" in html  # the timeline
    assert app.due_date.strftime("%-d %B %Y") in html
    for private in (
        "Asha",
        "Verma",
        "9876500001",
        "asha@example.in",
        "15-01-2000",
        "Birth date",
        "Male",
        "Photo",
        app.paid_payment,
        "₹",
        "/documents/",
    ):
        assert private not in html, private


def test_found_by_number_and_date_of_birth_in_hindi(client, service, citizen):
    app = submitted(service, citizen)
    html = track(client, "hi", number=app.number.lower(), date_of_birth="2000-01-15")
    html = html.content.decode()
    assert f'data-found="{app.number}"' in html
    assert "परीक्षण परीक्षा" in html and "जमा किया गया; शुल्क अभी बाकी है" in html


def test_a_wrong_mobile_and_a_wrong_number_get_the_same_answer(client, service, citizen):
    app = submitted(service, citizen)
    wrong_mobile = track(client, number=app.number, mobile="9876500002")
    wrong_number = track(client, number="MP26TST0000999Z", mobile="9876500001")
    wrong_birth = track(client, number=app.number, date_of_birth="2000-01-16")
    answers = [error_summary(r.content.decode()) for r in (wrong_mobile, wrong_number, wrong_birth)]
    assert "No application matches these details." in answers[0]
    assert answers[0] == answers[1] == answers[2]
    for response in (wrong_mobile, wrong_number, wrong_birth):
        assert response.status_code == 200
        assert "data-found" not in response.content.decode()


def test_the_captcha_is_required(client, service, citizen):
    app = submitted(service, citizen)
    response = client.post(
        "/en/track/", {"number": app.number, "mobile": "9876500001", "captcha_0": "x"}
    )
    html = response.content.decode()
    assert "data-found" not in html and 'id="id_captcha_error"' in html
    response = client.post(
        "/en/track/", {"number": app.number, "mobile": "9876500001", **CAPTCHA, "captcha_1": "NO"}
    )
    assert "data-found" not in response.content.decode()


def test_mobile_or_birth_date_is_required(client, service, citizen):
    app = submitted(service, citizen)
    html = track(client, number=app.number).content.decode()
    assert "data-found" not in html
    assert "Enter the applicant&#x27;s mobile number or date of birth." in html


def test_drafts_are_never_found(client, service, citizen):
    app = services.start(citizen, service)
    assert app.status == Status.DRAFT and app.number is None
    html = track(client, number=str(app.pk), mobile="9876500001").content.decode()
    assert "No application matches these details." in html


def test_an_address_that_keeps_missing_is_told_to_wait(client, service, citizen, frozen_clock):
    app = submitted(service, citizen)
    for _ in range(views_public.MISSES_PER_HOUR):
        assert track(client, number=app.number, mobile="9876500002").status_code == 200
    response = track(client, number=app.number, mobile="9876500001")  # right, but too late
    assert response.status_code == 429
    assert "data-found" not in response.content.decode()
    assert "Too many searches" in response.content.decode()
    frozen_clock.advance(hours=1)
    response = track(client, number=app.number, mobile="9876500001")
    assert f'data-found="{app.number}"' in response.content.decode()


def test_another_address_is_not_held_back(client, service, citizen):
    app = submitted(service, citizen)
    for _ in range(views_public.MISSES_PER_HOUR):
        track(client, number=app.number, mobile="9876500002")
    response = client.post(
        "/en/track/",
        {**CAPTCHA, "number": app.number, "mobile": "9876500001"},
        REMOTE_ADDR="10.0.0.9",
    )
    assert f'data-found="{app.number}"' in response.content.decode()


def test_found_by_the_birth_date_in_the_answers_when_the_profile_has_none(client, service, citizen):
    from ekseva.accounts.models import CitizenProfile

    app = submitted(service, citizen)
    CitizenProfile.objects.filter(user=citizen).update(date_of_birth=None)
    html = track(client, number=app.number, date_of_birth="2000-01-15").content.decode()
    assert f'data-found="{app.number}"' in html
    html = track(client, number=app.number, date_of_birth="2000-01-16").content.decode()
    assert "data-found" not in html
