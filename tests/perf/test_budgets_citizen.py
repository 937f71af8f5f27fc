"""Query budgets of the citizen's pages in a deadline surge: home, the catalogue
(and its search), a service page, the journey (start, a step, documents, preview,
submit, pay), my applications and one of them, the receipt and public tracking.

Each test runs with ``n`` = 1 and 30 (applications of the citizen, documents in
their locker, services in the catalogue): the budget is the same for both."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from ekseva.applications import documents, services
from ekseva.applications.models import Application, Status
from ekseva.catalog import loader
from tests.applications import conftest as applications_fixtures
from tests.applications.conftest import ANSWERS, OPEN_SERVICE, jpeg
from tests.applications.test_services import pay
from tests.catalog.conftest import write_definitions

# The applications' fixtures (tests/applications/conftest.py), used as they are.
_fake_gateway = applications_fixtures._fake_gateway
fake_gateway = applications_fixtures.fake_gateway
citizen = applications_fixtures.citizen
service = applications_fixtures.service

pytestmark = pytest.mark.django_db
MANY = [1, 30]
CAPTCHA = {"captcha_0": "x", "captcha_1": "PASSED"}  # CAPTCHA_TEST_MODE accepts "PASSED"
ELIGIBLE = {k: v for k, v in ANSWERS.items() if k != "pwd"}


def ok(response, status: int = 200):
    assert response.status_code == status, (response.status_code, response.content[:300])
    return response


def filled(service, person) -> Application:
    app = services.start(person, service)
    result = services.save_step(app, "about", ANSWERS, actor=person)
    assert result.ok, result.errors
    app.refresh_from_db()
    services.attach_upload(app, "photo", jpeg(), actor=person)
    return app


def paid(service, person, n: int) -> Application:
    app = services.submit(filled(service, person), declaration=True, actor=person)
    pay(app, key=f"perf-{person.pk}-{n}", payment_id=f"pay_perf_{person.pk}_{n}")
    app.refresh_from_db()
    return app


def more_services(tmp_path, n: int) -> None:
    """``n`` - 1 more services of the test department, open like tst-exam."""
    for i in range(1, n):
        text = OPEN_SERVICE.replace("code: tst-exam", f"code: tst-exam-{i}").replace(
            "Test Examination", f"Test Examination {i}"
        )
        write_definitions(tmp_path / "defs", service=text, name=f"tst-exam-{i}.yaml")
    _changes, problems = loader.load_paths([tmp_path / "defs"])
    assert problems == []


@pytest.fixture(params=MANY, ids=lambda n: f"n{n}")
def crowd(request, service, citizen, tmp_path):
    """``n`` + 1 services in the catalogue, ``n`` paid applications of the citizen in
    other services (tst-exam stays free for the journey) and ``n`` documents in
    their locker."""
    n = request.param
    more_services(tmp_path, n + 1)
    from ekseva.catalog.models import Service

    others = list(Service.objects.exclude(code="tst-exam").order_by("code"))
    for i in range(n):
        documents.store(
            citizen,
            jpeg(200 + i, 300),
            label=f"Photo {i}",
            purpose="photo",
            rule={"formats": ["jpg"], "max_kb": 100},
            actor=citizen,
        )
    for i, other in enumerate(others):
        paid(other, citizen, i)
    return n


@pytest.fixture
def signed_in(client, citizen):
    client.force_login(citizen)
    return client


# --------------------------------------------------------------------------- public pages


def test_home(client, crowd, within):
    within(2, lambda: ok(client.get("/en/")))


def test_home_signed_in(signed_in, crowd, within):
    within(5, lambda: ok(signed_in.get("/en/")))


def test_catalogue(client, crowd, within):
    html = within(7, lambda: ok(client.get("/en/services/"))).content.decode()
    assert html.count("Test Examination") >= crowd


def test_catalogue_search(client, crowd, within):
    within(7, lambda: ok(client.get("/en/services/?q=examination")))


def test_service_page(client, crowd, within):
    within(4, lambda: ok(client.get("/en/services/tst-exam/")))


# --------------------------------------------------------------------------- the journey


def test_start_get_and_post(signed_in, crowd, within):
    within(8, lambda: ok(signed_in.get("/en/applications/start/tst-exam/")))
    response = within(
        20, lambda: ok(signed_in.post("/en/applications/start/tst-exam/", ELIGIBLE), 302)
    )
    assert "/step/" in response.url


def test_step_get_and_post(signed_in, service, citizen, crowd, within):
    app = services.start(citizen, service)
    step = f"/en/applications/draft/{app.pk}/step/about/"
    within(7, lambda: ok(signed_in.get(step)))
    within(10, lambda: ok(signed_in.post(step, ANSWERS), 302))


def test_documents(signed_in, service, citizen, crowd, within):
    app = services.start(citizen, service)
    services.save_step(app, "about", ANSWERS, actor=citizen)
    within(9, lambda: ok(signed_in.get(f"/en/applications/draft/{app.pk}/documents/")))


def test_preview_and_submit(signed_in, service, citizen, crowd, within):
    app = filled(service, citizen)
    preview = f"/en/applications/draft/{app.pk}/preview/"
    within(9, lambda: ok(signed_in.get(preview)))
    within(22, lambda: ok(signed_in.post(preview, {"declaration": "yes"}), 302))
    app.refresh_from_db()
    assert app.status == Status.FEE_PENDING


def test_pay_page(signed_in, service, citizen, crowd, within):
    app = services.submit(filled(service, citizen), declaration=True, actor=citizen)
    detail = f"/en/applications/{app.number}/"
    html = within(11, lambda: ok(signed_in.get(detail))).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    pay_url = f"/en/applications/{app.number}/pay/"
    within(24, lambda: ok(signed_in.post(pay_url, {"token": token}), 302))


# --------------------------------------------------------------------------- my applications


def test_my_applications(signed_in, crowd, within):
    html = within(8, lambda: ok(signed_in.get("/en/applications/"))).content.decode()
    assert html.count("/en/applications/MP") >= crowd or crowd == 1


def test_one_application_and_its_receipt(signed_in, service, citizen, crowd, within):
    app = paid(service, citizen, 999)
    within(11, lambda: ok(signed_in.get(f"/en/applications/{app.number}/")))
    receipt = within(9, lambda: ok(signed_in.get(f"/en/applications/{app.number}/receipt.pdf")))
    assert receipt["Content-Type"] == "application/pdf"


# --------------------------------------------------------------------------- public tracking


def test_track(client, service, citizen, crowd, within):
    app = paid(service, citizen, 999)
    # The form writes nothing (the captcha is a signed key: core.captcha).
    within(0, lambda: ok(client.get(f"/en/track/?number={app.number}")))
    cache.clear()
    query = {**CAPTCHA, "number": app.number, "mobile": "9876500001"}
    # The application with its service, applicant and profile's columns; its timeline.
    found = within(2, lambda: ok(client.post("/en/track/", query)))
    assert f'data-found="{app.number}"' in found.content.decode()
