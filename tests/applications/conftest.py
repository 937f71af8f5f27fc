"""Applications fixtures: a small service on disk (the catalogue's test service,
open now, with a correction window and a withdrawal rule), a citizen, and files."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from ekseva.catalog import loader
from ekseva.catalog.models import Service
from tests.catalog.conftest import SERVICE, write_definitions

# The catalogue's test service, with dates around the frozen clock (2026-06-15),
# correctable fields and a full refund on withdrawal.
OPEN_SERVICE = SERVICE.replace(
    'availability: {opens: "2026-06-01", closes: "2026-06-30", late_until: "2026-07-05"}',
    'availability: {opens: "2026-06-01", closes: "2026-06-30", late_until: "2026-07-05",\n'
    '  correction: {opens: "2026-07-06", closes: "2026-07-10", fields: [gender]}}\n'
    "withdrawal: {refund: full}",
)

ANSWERS = {
    "date_of_birth": "2000-01-15",
    "gender": "M",
    "social_category": "GEN",
    "pwd": "no",
    "graduate": "yes",
}


def jpeg(width: int = 300, height: int = 400) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(buffer, "JPEG")
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")


def pdf() -> SimpleUploadedFile:
    body = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return SimpleUploadedFile("cert.pdf", body, content_type="application/pdf")


@pytest.fixture
def service(db, tmp_path, frozen_clock, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    write_definitions(tmp_path / "defs", service=OPEN_SERVICE)
    _changes, problems = loader.load_paths([tmp_path / "defs"])
    assert problems == []
    return Service.objects.get(code="tst-exam")


@pytest.fixture
def citizen(db):
    from ekseva.accounts.models import User

    return User.objects.create_citizen(
        "9876500001", full_name="Asha Verma", email="asha@example.in"
    )


@pytest.fixture
def other_citizen(db):
    from ekseva.accounts.models import User

    return User.objects.create_citizen("9876500002", full_name="Ravi Kumar")


from tests.payments.conftest import fake_gateway  # noqa: E402, F401  (a scriptable gateway)


@pytest.fixture(autouse=True)
def _fake_gateway(fake_gateway):  # noqa: F811
    return fake_gateway
