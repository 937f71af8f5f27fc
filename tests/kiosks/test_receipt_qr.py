"""The receipt of a kiosk application carries a second QR code: the official
charges page of that application (a signed token, in the receipt's language);
an online application's receipt does not."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from django.urls import resolve, reverse
from django.utils import translation
from pypdf import PdfReader

from ekseva.applications import receipts
from ekseva.kiosks import feedback, services
from tests.applications.test_mine_views import paid as paid_online
from tests.applications.test_receipt import modules, segno_matrix, squeezed, text_of

from .conftest import assisted_submitted, fund

LINE = "Scan to see the official charges and report overcharging"


@pytest.fixture
def kiosk_app(operator, kiosk, citizen, service):
    fund(kiosk, 200_000)
    app = assisted_submitted(operator, citizen, service)
    assert services.pay_assisted(operator, app, idempotency_key="qr-1").is_paid
    app.refresh_from_db()
    return app


def images(data: bytes) -> list:
    return [image.image for page in PdfReader(io.BytesIO(data)).pages for image in page.images]


def charges_url(app, language: str) -> str:
    with translation.override(language):
        path = reverse("kiosks:charges", args=[feedback.charges_token(app.number, app.kiosk_code)])
    return f"https://portal.example.gov.in{path}"


def test_a_kiosk_receipt_carries_the_charges_qr_code(kiosk_app, settings, client):
    settings.PUBLIC_BASE_URL = "https://portal.example.gov.in"
    data = receipts.receipt_pdf(kiosk_app, language="en", track_url="https://x.example/en/track/")
    text = text_of(data)
    assert LINE in text
    _tracking, charges = images(data)
    url = charges_url(kiosk_app, "en")
    expected = segno_matrix(url, mask=receipts.QR_MASK)  # the mask receipts use
    assert modules(charges, len(expected)) == expected  # the code is exactly that URL
    parts = urlsplit(url)
    assert parts.path.startswith("/en/kiosks/charges/")
    assert resolve(parts.path).view_name == "kiosks:charges"
    page = client.get(parts.path).content.decode()
    assert kiosk_app.number in page and "Total you should have paid" in page
    token = resolve(parts.path).kwargs["token"]
    assert feedback.read_token(token) == (kiosk_app.number, kiosk_app.kiosk_code)


def test_the_hindi_receipt_points_at_the_hindi_charges_page(kiosk_app, settings):
    settings.PUBLIC_BASE_URL = "https://portal.example.gov.in"
    data = receipts.receipt_pdf(kiosk_app, language="hi", track_url="https://x.example/hi/track/")
    text = text_of(data)
    assert squeezed(feedback.QR_TEXT[1]) in squeezed(text)
    assert LINE not in text
    url = charges_url(kiosk_app, "hi")
    assert "/hi/kiosks/charges/" in url
    expected = segno_matrix(url, mask=receipts.QR_MASK)  # the mask receipts use
    assert modules(images(data)[1], len(expected)) == expected


def test_the_applicant_downloads_it_from_their_page(kiosk_app, citizen, client):
    client.force_login(citizen)
    response = client.get(f"/en/applications/{kiosk_app.number}/receipt.pdf")
    assert response.status_code == 200
    assert LINE in text_of(response.content) and len(images(response.content)) == 2


def test_an_online_receipt_has_no_charges_code(service, citizen):
    app = paid_online(service, citizen)
    data = receipts.receipt_pdf(app, language="en", track_url="https://x.example/en/track/")
    assert LINE not in text_of(data)
    assert len(images(data)) == 1
    assert feedback.receipt_extra(app) is None


def test_the_extra_is_registered_once(db):
    assert receipts._extras.count(feedback.receipt_extra) == 1
    feedback.register()  # ready() may run twice
    assert receipts._extras.count(feedback.receipt_extra) == 1
