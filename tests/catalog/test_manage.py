"""Operator staff screens: edit a live service as a draft, compare, publish, discard.

Every page and POST refuses the wrong people; a mistake is reported at its line and
saves nothing; publishing retires the previous version and keeps it unchanged; a
repeated POST does not make a second identical draft."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import close_old_connections, connection
from django.urls import reverse
from django.utils import translation
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ekseva.accounts.models import Posting, Role, User
from ekseva.catalog import selectors, services, spec, yamlio
from ekseva.catalog.models import CatalogError, ServiceVersion
from ekseva.core.models import AuditEvent

PASSWORD = "right-password-42"
DEFINITIONS = Path(__file__).resolve().parents[2] / "definitions"
_seq = itertools.count(1)


@pytest.fixture(autouse=True)
def english():
    """reverse() outside a request uses the active language; pin it."""
    with translation.override("en"):
        yield


def make_staff(role: Role, department_code: str = "") -> User:
    user = User.objects.create_user(f"mgr{next(_seq)}", PASSWORD)
    Posting.objects.create(user=user, role=role, department_code=department_code)
    TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    return user


def sign_in(client, user: User) -> None:
    """The real staff sign-in: password and the current TOTP code (a verified session)."""
    device = TOTPDevice.objects.get(user=user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    response = client.post(
        "/en/account/staff/signin/",
        {"username": user.username, "password": PASSWORD, "token": f"{totp.token():06d}"},
    )
    assert response.status_code == 302, response.content.decode()[:300]


@pytest.fixture
def operator(db) -> User:
    return make_staff(Role.OPERATOR_STAFF)


@pytest.fixture
def staff(client, operator):
    """A client signed in as operator staff with a verified (TOTP) session."""
    sign_in(client, operator)
    return client


def url(name: str, *args) -> str:
    return reverse(f"catalog:manage:{name}", args=args)


def edited_text(service, old: str, new: str) -> str:
    text = selectors.editable_yaml(service.current_version.definition)
    assert text.count(old) == 1, old
    return text.replace(old, new)


def post_edit(client, service, text: str, number: int = 1, based_on_hash: str | None = None):
    version = service.versions.get(number=number)
    return client.post(
        url("edit", service.code, number),
        {"definition": text, "based_on_hash": based_on_hash or version.content_hash},
    )


# --- who may ---------------------------------------------------------------------------


def _requests(service):
    code = service.code
    return [
        ("get", url("index"), {}),
        ("get", url("service", code), {}),
        ("get", url("version", code, 1), {}),
        ("get", url("version", code, 1) + "?download=yaml", {}),
        ("get", url("edit", code, 1), {}),
        ("post", url("edit", code, 1), {"definition": "code: x", "based_on_hash": "x"}),
        ("get", url("draft", code), {}),
        ("post", url("publish", code, 2), {"confirm": "yes", "reviewed_hash": "x"}),
        ("post", url("discard", code, 2), {}),
    ]


@pytest.mark.parametrize("who", ["anonymous", "citizen", "unverified_staff", "officer"])
def test_wrong_people_are_refused_on_every_page_and_post(client, mini_loaded, who):
    service = mini_loaded
    draft = services.create_draft(service, {**service.current_version.definition, "note": None})
    before = list(service.versions.values_list("number", "status", "content_hash"))
    if who == "citizen":
        client.force_login(User.objects.create_citizen("9876543210"))
    elif who == "unverified_staff":  # password only: no TOTP step
        client.force_login(make_staff(Role.OPERATOR_STAFF))
    elif who == "officer":  # verified, but a department officer cannot configure services
        sign_in(client, make_staff(Role.DEPARTMENT_OFFICER, department_code="TST"))
    for method, address, data in _requests(service):
        response = getattr(client, method)(address, data)
        if who == "officer":
            assert response.status_code == 403, address
        else:
            assert response.status_code == 302, address
            assert "/account/staff/signin/" in response["Location"]
    assert list(service.versions.values_list("number", "status", "content_hash")) == before
    assert ServiceVersion.objects.filter(pk=draft.pk).exists()


# --- list and history ------------------------------------------------------------------


def test_the_list_shows_department_live_version_and_open_draft(staff, mini_loaded):
    page = staff.get(url("index")).content.decode()
    assert "tst-exam" in page and "Test Department" in page
    row = page.split('data-service="tst-exam"')[1].split("</tr>")[0]
    assert "<td data-live>1</td>" in row and "<td data-draft>—</td>" in row
    services.create_draft(mini_loaded, {**mini_loaded.current_version.definition, "note": None})
    row = staff.get(url("index")).content.decode().split('data-service="tst-exam"')[1]
    assert "version 2" in row.split("</tr>")[0]


def test_the_list_is_in_hindi_too(staff, mini_loaded):
    page = staff.get("/hi/services/manage/").content.decode()
    assert "सेवाओं का प्रबंधन" in page and "परीक्षण विभाग" in page


def test_the_edit_form_holds_the_version_as_yaml_in_a_large_monospace_box(staff, mini_loaded):
    page = staff.get(url("edit", "tst-exam", 1)).content.decode()
    assert 'class="definition-editor"' in page and 'rows="40"' in page
    assert "monospace" in page
    assert '"definition-editor" rows="40"' in page
    # a newline after the tag, so that a leading blank line survives the browser
    assert 'spellcheck="false" autocapitalize="off" lang="en">\ncode: tst-exam' in page
    assert "convenience: &#x27;40.00&#x27;" in page


def test_the_version_page_and_its_yaml_download(staff, mini_loaded):
    page = staff.get(url("version", "tst-exam", 1))
    assert page.status_code == 200 and "department: TST" in page.content.decode()
    download = staff.get(url("version", "tst-exam", 1) + "?download=yaml")
    assert download["Content-Disposition"] == 'attachment; filename="tst-exam.yaml"'
    definition, issues = spec.check_service(yamlio.load(download.content.decode()))
    assert issues == [] and definition == mini_loaded.current_version.definition
    assert staff.get(url("version", "tst-exam", 9)).status_code == 404
    assert staff.get(url("service", "no-such-service")).status_code == 404


# --- edit: mistakes --------------------------------------------------------------------


def test_a_mistake_is_shown_at_its_line_and_nothing_is_saved(staff, mini_loaded):
    text = edited_text(mini_loaded, "convenience: '40.00'", "convenience: 40.5")
    text = text.replace("type: yesno", "type: yesnoo", 1)
    lines = text.splitlines()
    fee_line = next(i for i, line in enumerate(lines, 1) if "convenience: 40.5" in line)
    type_line = next(i for i, line in enumerate(lines, 1) if "type: yesnoo" in line)
    response = post_edit(staff, mini_loaded, text)
    assert response.status_code == 400
    page = response.content.decode()
    assert f"Line {fee_line}, field fees.convenience: write the amount as quoted rupees" in page
    assert f"Line {type_line}, field pwd:" in page and "yesnoo" in page
    assert "convenience: 40.5" in page  # the operator's text is kept to correct
    assert mini_loaded.versions.count() == 1
    assert not AuditEvent.objects.filter(action="catalog.version.draft", actor_id__isnull=False)


def test_broken_yaml_is_reported_at_its_line_in_hindi(staff, mini_loaded):
    text = selectors.editable_yaml(mini_loaded.current_version.definition)
    lines = text.splitlines()
    at = next(i for i, s in enumerate(lines) if s.startswith("channels:")) + 1
    lines.insert(at, "category: citizen")  # a second 'category:' key
    response = staff.post(
        "/hi/services/manage/tst-exam/v1/edit/",
        {"definition": "\n".join(lines), "based_on_hash": mini_loaded.current_version.content_hash},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert f"पंक्ति {at + 1}: मान्य YAML नहीं: duplicate key &#x27;category&#x27;" in page
    assert mini_loaded.versions.count() == 1


def test_the_code_and_department_cannot_change_on_the_screen(staff, mini_loaded):
    text = edited_text(mini_loaded, "code: tst-exam", "code: tst-other")
    response = post_edit(staff, mini_loaded, text)
    assert response.status_code == 400
    assert "Line 1, field code: the code must stay tst-exam" in response.content.decode()
    text = edited_text(mini_loaded, "department: TST", "department: ESB")
    assert "the department must stay TST" in post_edit(staff, mini_loaded, text).content.decode()
    assert mini_loaded.versions.count() == 1


# --- edit → draft → compare → publish ------------------------------------------------------


def test_edit_compare_publish_retires_the_old_version_and_keeps_it(staff, mini_loaded, operator):
    service = mini_loaded
    v1 = service.current_version
    v1_hash, v1_definition = v1.content_hash, v1.definition
    text = edited_text(service, "convenience: '40.00'", "convenience: '45.50'")
    response = post_edit(staff, service, text)
    assert response.status_code == 302 and response["Location"] == url("draft", "tst-exam")
    draft = service.versions.get(number=2)
    assert draft.status == "draft" and draft.created_by_id == operator.pk
    assert draft.definition["fees"]["convenience_paise"] == 4550
    service.refresh_from_db()
    assert service.current_version == v1  # nothing live changed yet
    assert AuditEvent.objects.filter(action="catalog.version.draft", actor_id=operator.pk).exists()

    page = staff.get(url("draft", "tst-exam")).content.decode()
    row = page.split('data-path="fees.convenience_paise"')[1].split("</tr>")[0]
    assert "₹40.00" in row and "₹45.50" in row
    assert "1 change" in page and "Publish version 2" in page and "csrfmiddlewaretoken" in page

    response = staff.post(
        url("publish", "tst-exam", 2), {"confirm": "yes", "reviewed_hash": draft.content_hash}
    )
    assert response.status_code == 302
    service.refresh_from_db()
    v1.refresh_from_db()
    assert service.current_version.number == 2
    assert service.current_version.published_by == operator
    assert v1.status == "retired" and v1.retired_at is not None
    assert (v1.content_hash, v1.definition) == (v1_hash, v1_definition)
    history = staff.get(url("service", "tst-exam")).content.decode()
    assert 'data-version="2" data-status="published"' in history
    assert 'data-version="1" data-status="retired"' in history
    assert staff.get(url("version", "tst-exam", 1)).status_code == 200
    assert AuditEvent.objects.filter(action="catalog.version.publish", actor_id=operator.pk)


def test_publishing_twice_is_refused_cleanly(staff, mini_loaded):
    draft = services.create_draft(mini_loaded, {**mini_loaded.current_version.definition, "x": 1})
    hindi = staff.get("/hi/services/manage/tst-exam/draft/").content.decode()
    assert "संस्करण 2 प्रकाशित करें" in hindi and "1 बदलाव" in hindi
    translation.activate("en")  # the /hi/ request left Hindi active for reverse()
    data = {"confirm": "yes", "reviewed_hash": draft.content_hash}
    assert staff.post(url("publish", "tst-exam", 2), data).status_code == 302
    response = staff.post(url("publish", "tst-exam", 2), data, follow=True)
    assert response.status_code == 200
    assert "Only a draft can be published." in response.content.decode()
    assert AuditEvent.objects.filter(action="catalog.version.publish").count() == 2  # v1, v2
    mini_loaded.refresh_from_db()
    assert mini_loaded.current_version.number == 2


def test_publish_needs_the_confirmation_and_the_draft_as_compared(staff, mini_loaded):
    draft = services.create_draft(mini_loaded, {**mini_loaded.current_version.definition, "x": 1})
    response = staff.post(url("publish", "tst-exam", 2), {"reviewed_hash": draft.content_hash})
    assert response.status_code == 302
    assert ServiceVersion.objects.get(pk=draft.pk).status == "draft"
    # the draft is replaced in place after the operator compared it
    services.create_draft(mini_loaded, {**mini_loaded.current_version.definition, "x": 2})
    response = staff.post(
        url("publish", "tst-exam", 2),
        {"confirm": "yes", "reviewed_hash": draft.content_hash},
        follow=True,
    )
    assert "The draft changed after you compared it" in response.content.decode()
    assert ServiceVersion.objects.get(pk=draft.pk).status == "draft"
    assert staff.get(url("publish", "tst-exam", 2)).status_code == 405


# --- duplicates and lost updates -------------------------------------------------------


def test_a_repeated_post_of_the_same_edit_makes_one_draft(staff, mini_loaded):
    text = edited_text(mini_loaded, "convenience: '40.00'", "convenience: '41.00'")
    assert post_edit(staff, mini_loaded, text).status_code == 302
    again = post_edit(staff, mini_loaded, text)
    assert again.status_code == 409
    assert "Draft version 2 already holds exactly this definition." in again.content.decode()
    assert list(mini_loaded.versions.values_list("number", flat=True)) == [2, 1]
    assert (
        AuditEvent.objects.filter(action="catalog.version.draft", actor_id__isnull=False).count()
        == 1
    )


def test_an_edit_identical_to_the_published_version_is_refused(staff, mini_loaded):
    text = selectors.editable_yaml(mini_loaded.current_version.definition)
    response = post_edit(staff, mini_loaded, "# only a comment\n" + text)
    assert response.status_code == 409
    assert "Nothing changed: this is the published version 1." in response.content.decode()
    hindi = staff.post(
        "/hi/services/manage/tst-exam/v1/edit/",
        {"definition": text, "based_on_hash": mini_loaded.current_version.content_hash},
    )
    assert "कोई बदलाव नहीं" in hindi.content.decode()
    assert mini_loaded.versions.count() == 1


def test_an_edit_does_not_overwrite_a_draft_it_did_not_start_from(staff, mini_loaded):
    first = edited_text(mini_loaded, "convenience: '40.00'", "convenience: '41.00'")
    assert post_edit(staff, mini_loaded, first).status_code == 302
    draft = mini_loaded.versions.get(number=2)
    # another edit started from the published version 1 would replace draft 2
    second = edited_text(mini_loaded, "convenience: '40.00'", "convenience: '42.00'")
    response = post_edit(staff, mini_loaded, second)
    assert response.status_code == 409 and "Draft version 2 is open" in response.content.decode()
    # editing the draft itself, as last seen, replaces it
    text = selectors.editable_yaml(draft.definition).replace("'41.00'", "'43.00'")
    assert post_edit(staff, mini_loaded, text, number=2).status_code == 302
    draft.refresh_from_db()
    assert draft.definition["fees"]["convenience_paise"] == 4300
    # ... but not with a stale view of it
    stale = text.replace("'43.00'", "'44.00'")
    response = post_edit(staff, mini_loaded, stale, number=2, based_on_hash="0" * 64)
    assert response.status_code == 409
    draft.refresh_from_db()
    assert draft.definition["fees"]["convenience_paise"] == 4300


def _race(n: int, work: Callable[[], object]) -> list[str]:
    """Run ``work`` in ``n`` threads at once; "ok" or the refusal's class name each."""
    results: list[str] = []
    barrier = threading.Barrier(n)

    def run() -> None:
        try:
            barrier.wait()
            work()
            results.append("ok")
        except CatalogError as exc:
            results.append(type(exc).__name__)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_identical_edits_make_one_draft(mini_loaded, operator):
    live = mini_loaded.current_version
    definition = {**live.definition, "x": 1}
    results = _race(
        6,
        lambda: services.draft_from_edit(
            mini_loaded, definition, operator, based_on=live, based_on_hash=live.content_hash
        ),
    )
    assert sorted(results) == ["CatalogError"] * 5 + ["ok"]
    assert mini_loaded.versions.filter(status="draft").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_publishes_of_one_draft_publish_it_once(mini_loaded, operator):
    draft = services.create_draft(mini_loaded, {**mini_loaded.current_version.definition, "x": 1})
    results = _race(
        4, lambda: services.publish_reviewed(draft, operator, reviewed_hash=draft.content_hash)
    )
    assert sorted(results) == ["CatalogError"] * 3 + ["ok"]
    assert AuditEvent.objects.filter(action="catalog.version.publish").count() == 2  # v1, v2
    assert list(mini_loaded.versions.values_list("number", "status")) == [
        (2, "published"),
        (1, "retired"),
    ]


# --- discard ---------------------------------------------------------------------------


def test_a_draft_can_be_discarded_a_published_version_never(staff, mini_loaded, operator):
    draft = services.create_draft(mini_loaded, {**mini_loaded.current_version.definition, "x": 1})
    assert staff.post(url("discard", "tst-exam", 2)).status_code == 302
    assert not ServiceVersion.objects.filter(pk=draft.pk).exists()
    assert AuditEvent.objects.filter(
        action="catalog.version.discard", actor_id=operator.pk, object_id=str(draft.pk)
    ).exists()
    response = staff.post(url("discard", "tst-exam", 1), follow=True)
    assert "Only a draft can be discarded" in response.content.decode()
    assert mini_loaded.versions.get(number=1).status == "published"
    assert staff.get(url("draft", "tst-exam")).status_code == 404  # no open draft


def test_the_services_refuse_people_who_may_not_configure(mini_loaded):
    citizen = User.objects.create_citizen("9876543211")
    live = mini_loaded.current_version
    definition = {**live.definition, "x": 1}
    with pytest.raises(CatalogError):
        services.draft_from_edit(
            mini_loaded, definition, citizen, based_on=live, based_on_hash=live.content_hash
        )
    draft = services.create_draft(mini_loaded, definition)
    with pytest.raises(CatalogError):
        services.discard_draft(draft, citizen)
    with pytest.raises(CatalogError):
        services.publish_reviewed(draft, citizen, reviewed_hash=draft.content_hash)
    assert ServiceVersion.objects.get(pk=draft.pk).status == "draft"


# --- the YAML shown for editing reads back to the same definition ----------------------


def test_every_catalogue_service_round_trips_through_the_editor():
    """Checked from the files (no database): the module-scoped catalogue fixture would
    hold a transaction open under the PostgreSQL race tests above."""
    files = [p for p in DEFINITIONS.rglob("*.yaml") if p.name != "department.yaml"]
    assert len(files) >= 40
    for path in files:
        stored, issues = spec.check_service(yamlio.load(path.read_text(encoding="utf-8")))
        assert issues == [], path
        text = selectors.editable_yaml(stored)
        definition, issues = spec.check_service(yamlio.load(text))
        assert issues == [], path
        assert definition == stored, path


# --- Django admin ----------------------------------------------------------------------


def test_admin_lists_and_shows_the_catalogue_but_changes_nothing(admin_client, mini_loaded):
    version = mini_loaded.current_version
    for model, obj in (
        ("department", mini_loaded.department),
        ("service", mini_loaded),
        ("serviceversion", version),
    ):
        changelist = admin_client.get(reverse(f"admin:catalog_{model}_changelist"))
        assert changelist.status_code == 200
        detail = admin_client.get(reverse(f"admin:catalog_{model}_change", args=[obj.pk]))
        assert detail.status_code == 200
        assert admin_client.get(reverse(f"admin:catalog_{model}_add")).status_code == 403
        delete = reverse(f"admin:catalog_{model}_delete", args=[obj.pk])
        assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    change = reverse("admin:catalog_serviceversion_change", args=[version.pk])
    assert admin_client.post(change, {"category": "citizen"}).status_code == 403
    version.refresh_from_db()
    assert version.category == "recruitment" and version.status == "published"
