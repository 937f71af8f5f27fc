"""The fee receipt PDF (English and Hindi, shaped; a QR code of the tracking page)
and core.qr."""

from __future__ import annotations

import io
import re
import unicodedata

import pytest
import segno
from django.utils import translation
from PIL import Image
from pypdf import PdfReader

from ekseva.accounts.models import Role
from ekseva.applications import receipts
from ekseva.core import qr
from ekseva.payments.models import Payment

from .test_mine_views import make_staff, paid, submitted, verified_login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def receipt_url(app, language: str = "en", asked: str = "") -> str:
    query = f"?lang={asked}" if asked else ""
    return f"/{language}/applications/{app.number}/receipt.pdf{query}"


def text_of(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def squeezed(text: str) -> str:
    """Without white space: extractors guess word gaps from glyph positions (one
    puts a space after a below-base matra); the characters and their order are
    what the file holds (as in tests/core/test_pdf.py)."""
    return re.sub(r"\s+", "", text)


def modules(image: Image.Image, size: int) -> tuple[tuple[int, ...], ...]:
    """Read a QR symbol of ``size`` modules (plus the quiet zone of qr.QUIET_ZONE)
    back from an image: the colour at the centre of each module, 1 for dark."""
    image = image.convert("L")
    side = size + 2 * qr.QUIET_ZONE
    step = image.width / side
    assert abs(image.height / side - step) < 1e-6
    return tuple(
        tuple(
            1
            if image.getpixel(
                (int((qr.QUIET_ZONE + x + 0.5) * step), int((qr.QUIET_ZONE + y + 0.5) * step))
            )
            < 128
            else 0
            for x in range(size)
        )
        for y in range(size)
    )


def segno_matrix(data: str, mask: int | None = None) -> tuple[tuple[int, ...], ...]:
    """The symbol segno itself makes of ``data`` (with its best mask, or ``mask``):
    what the receipt's image must show, module for module."""
    symbol = segno.make(data, error="m", micro=False, boost_error=False, mask=mask)
    return tuple(tuple(int(bool(m)) for m in row) for row in symbol.matrix)


# --------------------------------------------------------------------------- the page


def test_no_receipt_before_the_fee_is_paid(client, service, citizen):
    app = submitted(service, citizen)
    client.force_login(citizen)
    assert client.get(receipt_url(app)).status_code == 404
    assert receipts.receipt_payment(app) is None
    with pytest.raises(ValueError):
        receipts.receipt_pdf(app, language="en", track_url="http://testserver/en/track/")


def test_the_english_receipt_says_who_paid_what_for_which_application(client, service, citizen):
    app = paid(service, citizen)
    client.force_login(citizen)
    response = client.get(receipt_url(app))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="receipt-{app.number}.pdf"'
    assert "no-store" in response["Cache-Control"]
    text = text_of(response.content)
    payment = Payment.objects.get(reference=app.paid_payment)
    assert payment.gateway_payment_id.startswith("pay_")
    for words in (
        "Fee receipt",
        f"Receipt for application {app.number}",
        "Test Examination",
        "Test Department",
        "Asha Verma",
        "Submitted at",
        "15-06-2026",
        payment.reference,
        payment.gateway_payment_id,
        "UPI",
        "Portal convenience fee",
        "GST 18% on convenience fee",
        "₹500.00",
        "₹40.00",
        "₹7.20",
        "₹547.20",
        f"/en/track/?number={app.number}",
    ):
        assert words in text, words
    assert "general" in text  # the fee rule that applied


def test_the_hindi_receipt_is_shaped_and_comes_back_as_text(client, service, citizen):
    app = paid(service, citizen)
    client.force_login(citizen)
    text = text_of(client.get(receipt_url(app, "hi")).content)
    strays = [c for c in text if unicodedata.category(c) == "Cc" and c not in "\n\t"]
    assert strays == []
    for words in (
        "शुल्क रसीद",  # fee receipt
        f"आवेदन {app.number} की रसीद",
        "परीक्षण परीक्षा",  # the service's Hindi name: a conjunct (क्ष) and matras
        "परीक्षण विभाग",
        "भुगतान संदर्भ",  # payment reference
        "पोर्टल सुविधा शुल्क",
        "सुविधा शुल्क पर 18% जीएसटी",
        "इस आवेदन की स्थिति देखें",  # track this application
    ):
        assert squeezed(words) in squeezed(text), words
    for word in ("रसीद", "विभाग", "परीक्षा"):  # whole words, as a reader copies them
        assert word in text, word
    assert "Fee receipt" not in text
    assert f"/hi/track/?number={app.number}" in text


def test_the_language_can_be_asked_for(client, service, citizen):
    app = paid(service, citizen)
    client.force_login(citizen)
    text = text_of(client.get(receipt_url(app, "en", asked="hi")).content)
    assert squeezed("शुल्क रसीद") in squeezed(text)
    text = text_of(client.get(receipt_url(app, "hi", asked="en")).content)
    assert "Fee receipt" in text


def test_the_receipt_carries_a_qr_code_of_the_public_tracking_page(client, service, citizen):
    app = paid(service, citizen)
    client.force_login(citizen)
    data = client.get(receipt_url(app)).content
    images = [image for page in PdfReader(io.BytesIO(data)).pages for image in page.images]
    assert len(images) == 1
    url = f"http://testserver/en/track/?number={app.number}"
    expected = segno_matrix(url, mask=receipts.QR_MASK)  # a fixed mask: core.qr
    assert modules(images[0].image, len(expected)) == expected
    assert expected == qr.matrix(url, mask=receipts.QR_MASK)


def test_only_those_who_may_see_the_application_get_its_receipt(
    client, service, citizen, other_citizen
):
    app = paid(service, citizen)
    client.force_login(other_citizen)
    assert client.get(receipt_url(app)).status_code == 404
    verified_login(client, make_staff(Role.DEPARTMENT_OFFICER, department_code="OTHER"))
    assert client.get(receipt_url(app)).status_code == 404
    client.logout()
    verified_login(client, make_staff(Role.DEPARTMENT_OFFICER, department_code="TST"))
    assert client.get(receipt_url(app)).status_code == 200


# --------------------------------------------------------------------------- core.qr


def test_qr_png_encodes_the_data(frozen_clock):
    url = "https://ekseva.example.in/hi/track/?number=MP26TST0000001Q"
    data = qr.png(url, scale=5)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    expected = segno_matrix(url)
    assert qr.matrix(url) == expected
    assert image.width == (len(expected) + 2 * qr.QUIET_ZONE) * 5
    assert modules(image, len(expected)) == expected
    assert qr.matrix(url.replace("Q", "X")) != expected
    with pytest.raises(ValueError):
        qr.png("")


def test_qr_image_with_a_fixed_mask_encodes_the_data():
    url = "https://ekseva.example.in/hi/track/?number=MP26TST0000001Q"
    for mask in range(8):
        expected = segno_matrix(url, mask=mask)
        symbol = segno.make(url, error="m", micro=False, boost_error=False, mask=mask)
        assert symbol.mask == mask
        assert qr.matrix(url, mask=mask) == expected
        image = qr.image(url, mask=mask, scale=3)
        assert image.mode == "1"
        assert image.width == image.height == (len(expected) + 2 * qr.QUIET_ZONE) * 3
        assert modules(image, len(expected)) == expected
    # Any mask is a valid symbol of the same data; segno's own choice differs from ours
    # only in the pattern, not in the size (version) of the code.
    assert len(qr.matrix(url, mask=qr.FAST_MASK)) == len(qr.matrix(url))


def test_the_payment_received_email_carries_the_receipt(db, service, citizen, settings):
    """The fee's email names the receipt; it is rendered as a PDF when sent."""
    from ekseva.applications import services as app_services
    from ekseva.notifications import attachments
    from ekseva.notifications.models import Message

    from .test_services import filled, pay

    settings.PUBLIC_BASE_URL = "https://portal.example.gov.in"
    app = app_services.submit(filled(service, citizen), declaration=True, actor=citizen)
    pay(app)
    email = Message.objects.get(template="applications.payment_received", channel="email")
    assert email.attachment == f"applications.receipt:{app.number}"
    document = attachments.render(email.attachment, "en")
    assert document.filename == f"receipt-{app.number}.pdf"
    assert document.data.startswith(b"%PDF")
