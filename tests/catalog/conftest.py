"""Catalogue fixtures: a small valid department + service on disk, and loaders."""

from __future__ import annotations

from pathlib import Path

import pytest

DEPARTMENT = """\
code: TST
name: {en: Test Department, hi: परीक्षण विभाग}
kind: government
contact: {email: help@test.example.in, phone: "0755-1234567"}
bank: {account_name: Test, account_number: "123456789012", ifsc: SBIN0001234}
"""

# Line numbers matter: tests point at them (see test_loader.py).
SERVICE = """\
code: tst-exam
department: TST
name: {en: Test Examination, hi: परीक्षण परीक्षा}
keywords: {en: [sample exam], hi: [नमूना परीक्षा]}
category: recruitment
channels: [online, kiosk]
availability: {opens: "2026-06-01", closes: "2026-06-30", late_until: "2026-07-05"}
cutoff_date: "2026-01-01"
eligibility:
  age:
    date_of_birth: date_of_birth
    min: 18
    max: 40
    max_limit: 45
    relaxations:
      - {when: "social_category in ['SC', 'ST']", years: 5, label: {en: SC/ST, hi: अजा/अजजा}}
      - {when: "gender == 'F'", years: 3, label: {en: Women, hi: महिलाएँ}}
    message: {en: "Age must be {min} to {max} (you are {age})", hi: "आयु {min} से {max} (आप {age})"}
  rules:
    - {id: graduate, require: "graduate", message: {en: Graduates only, hi: केवल स्नातक}}
form:
  steps:
    - id: about
      title: {en: About you, hi: आपके बारे में}
      fields:
        - {id: date_of_birth, type: date, label: {en: Birth date, hi: जन्म तिथि}, required: true}
        - id: gender
          type: choice
          label: {en: Gender, hi: लिंग}
          required: true
          options:
            - {value: M, label: {en: Male, hi: पुरुष}}
            - {value: F, label: {en: Female, hi: महिला}}
        - id: social_category
          type: choice
          label: {en: Category, hi: वर्ग}
          required: true
          options:
            - {value: GEN, label: {en: General, hi: सामान्य}}
            - {value: SC, label: {en: SC, hi: अजा}}
            - {value: ST, label: {en: ST, hi: अजजा}}
        - {id: pwd, type: yesno, label: {en: Disabled, hi: दिव्यांग}, required: true}
        - {id: graduate, type: yesno, label: {en: Graduate, hi: स्नातक}, required: true}
documents:
  - {id: photo, label: {en: Photo, hi: फोटो}, formats: [jpg], max_kb: 100, mandatory: true}
  - id: pwd_cert
    label: {en: Certificate, hi: प्रमाणपत्र}
    formats: [pdf]
    max_kb: 500
    mandatory_if: "pwd"
fees:
  government:
    - {rule: sc-st, when: "social_category in ['SC', 'ST']", amount: "250.00"}
    - {rule: women, when: "gender == 'F'", amount: "300.00"}
    - {rule: pwd, when: "pwd", amount: "0"}
    - {rule: general, amount: "500.00"}
  convenience: "40.00"
  gst_on_convenience_bp: 1800
  kiosk_charge: "20.00"
  late_fee: "100.00"
  correction_fee: "50.00"
time_limit: {days: 30, kind: working}
workflow:
  - {stage: scrutiny, name: {en: Scrutiny, hi: जाँच}, role: department_officer}
deliverable: admit_card
"""


def write_definitions(
    root: Path, service: str = SERVICE, department: str = DEPARTMENT, name: str = "tst-exam.yaml"
) -> Path:
    folder = root / "TST"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "department.yaml").write_text(department, encoding="utf-8")
    path = folder / name
    path.write_text(service, encoding="utf-8")
    return path


@pytest.fixture
def mini_dir(tmp_path: Path) -> Path:
    write_definitions(tmp_path)
    return tmp_path


@pytest.fixture
def mini_loaded(db, mini_dir):
    from ekseva.catalog import loader
    from ekseva.catalog.models import Service

    _changes, problems = loader.load_paths([mini_dir])
    assert problems == []
    return Service.objects.get(code="tst-exam")


@pytest.fixture(scope="module")
def _catalogue_once(django_db_setup, django_db_blocker):
    """Load definitions/ once per module inside a transaction rolled back at the
    end of the module; each test runs in a savepoint within it (the ``db`` fixture)."""
    from django.db import transaction

    from ekseva.catalog import demo

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield demo.load_changes()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def catalogue(_catalogue_once, db):
    """The real catalogue under definitions/ (what the first load reported)."""
    return _catalogue_once
