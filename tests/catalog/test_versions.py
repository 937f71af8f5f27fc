"""Versions: immutable once published (model and database), drafts, publishing, compare."""

from __future__ import annotations

import copy

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction

from ekseva.accounts.models import Posting, Role, User
from ekseva.catalog import services
from ekseva.catalog.models import (
    CatalogError,
    Department,
    ImmutableVersionError,
    ServiceVersion,
    validate_ifsc,
)
from ekseva.core.models import AuditEvent


def _edited(service, **changes):
    definition = copy.deepcopy(service.current_version.definition)
    definition.update(changes)
    return definition


def test_a_published_version_cannot_be_saved_or_deleted(mini_loaded):
    version = mini_loaded.current_version
    version.definition["category"] = "citizen"
    with pytest.raises(ImmutableVersionError):
        version.save()
    with pytest.raises(ImmutableVersionError):
        version.delete()
    version.refresh_from_db()
    assert version.definition["category"] == "recruitment"


@pytest.mark.parametrize(
    "change",
    [{"content_hash": "x" * 64}, {"number": 9}, {"category": "citizen"}, {"status": "draft"}],
)
def test_the_database_refuses_to_update_a_published_version(mini_loaded, change):
    pk = mini_loaded.current_version.pk
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        ServiceVersion.objects.filter(pk=pk).update(**change)
    assert ServiceVersion.objects.get(pk=pk).status == ServiceVersion.Status.PUBLISHED


def test_the_database_allows_only_retiring_and_then_nothing(mini_loaded, frozen_clock):
    pk = mini_loaded.current_version.pk
    ServiceVersion.objects.filter(pk=pk).update(status="retired", retired_at=frozen_clock.now())
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        ServiceVersion.objects.filter(pk=pk).update(status="published")


@pytest.mark.postgres
def test_postgres_refuses_to_delete_a_published_version(mini_loaded):
    pk = mini_loaded.current_version.pk
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        ServiceVersion.objects.filter(pk=pk)._raw_delete(ServiceVersion.objects.db)
    assert ServiceVersion.objects.filter(pk=pk).exists()


def test_draft_publish_edit_makes_a_new_draft_and_keeps_history(mini_loaded):
    service = mini_loaded
    v1 = service.current_version
    draft = services.create_draft(service, _edited(service, category="citizen"))
    assert (draft.number, draft.status) == (2, ServiceVersion.Status.DRAFT)
    service.refresh_from_db()
    assert service.current_version == v1  # the live version is untouched by a draft
    # Editing the draft again replaces it rather than piling drafts up.
    again = services.create_draft(service, _edited(service, category="business"))
    assert again.pk == draft.pk and again.category == "business"
    services.publish(again)
    service.refresh_from_db()
    v1.refresh_from_db()
    assert service.current_version.number == 2
    assert v1.status == ServiceVersion.Status.RETIRED and v1.retired_at is not None
    assert list(service.versions.values_list("number", "status")) == [
        (2, "published"),
        (1, "retired"),
    ]
    assert AuditEvent.objects.filter(
        action="catalog.version.publish", object_id=str(again.pk)
    ).exists()


def test_only_a_draft_can_be_published(mini_loaded):
    with pytest.raises(CatalogError):
        services.publish(mini_loaded.current_version)


def test_compare_lists_each_change_with_old_and_new(mini_loaded):
    service = mini_loaded
    definition = _edited(service, category="citizen")
    definition["fees"]["government"][3]["amount_paise"] = 60000
    draft = services.create_draft(service, definition)
    changes = {c.path: (c.old, c.new) for c in services.compare(service.current_version, draft)}
    assert changes == {
        "category": ("recruitment", "citizen"),
        "fees.government[3].amount_paise": (50000, 60000),
    }


@pytest.fixture
def citizen(db):
    return User.objects.create_citizen("9876543210")


@pytest.fixture
def operator(db):
    user = User.objects.create_user("ops1", "a-long-password")
    Posting.objects.create(user=user, role=Role.OPERATOR_STAFF)
    return user


def test_a_citizen_or_department_officer_cannot_draft_or_publish(mini_loaded, citizen):
    officer = User.objects.create_user("officer", "a-long-password")
    Posting.objects.create(user=officer, role=Role.DEPARTMENT_OFFICER, department_code="TST")
    for actor in (citizen, officer):
        with pytest.raises(CatalogError):
            services.create_draft(mini_loaded, _edited(mini_loaded), actor)
    draft = services.create_draft(mini_loaded, _edited(mini_loaded, category="citizen"))
    with pytest.raises(CatalogError):
        services.publish(draft, citizen)
    assert ServiceVersion.objects.get(pk=draft.pk).status == ServiceVersion.Status.DRAFT


def test_operator_staff_publish_and_are_recorded(mini_loaded, operator):
    draft = services.create_draft(mini_loaded, _edited(mini_loaded, category="citizen"), operator)
    version = services.publish(draft, operator)
    assert version.published_by == operator
    event = AuditEvent.objects.get(action="catalog.version.publish", object_id=str(version.pk))
    assert event.actor_id == operator.pk


@pytest.mark.parametrize(
    ("ifsc", "ok"),
    [
        ("SBIN0001234", True),
        ("HDFC0ABC123", True),
        ("SBIN1001234", False),
        ("sbin0001234", False),
        ("QQQQ0001234", False),
        ("SBIN000123", False),
    ],
)
def test_ifsc_format_and_bank(ifsc, ok):
    if ok:
        validate_ifsc(ifsc)
    else:
        with pytest.raises(ValidationError):
            validate_ifsc(ifsc)


def test_department_with_a_bad_ifsc_is_refused(db):
    with pytest.raises(ValidationError):
        services.save_department(
            {
                "code": "X1",
                "name_en": "X",
                "name_hi": "एक्स",
                "kind": Department.Kind.UTILITY,
                "ifsc": "ABCD0123456",
            }
        )
    assert not Department.objects.exists()
