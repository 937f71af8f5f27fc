"""Every change to the catalogue: departments, services, drafts, publishing.

Each function is one transaction and writes one audit event. Publishing is the
only way a version becomes what people apply under; once published a version is
frozen (see models.ServiceVersion and migration 0002's trigger).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from ekseva.accounts.permissions import can
from ekseva.core import audit, clock

from .models import CatalogError, Department, Service, ServiceVersion


@dataclass(frozen=True)
class Change:
    """One difference between two versions: the dotted path, old and new values."""

    path: str
    old: Any
    new: Any


def content_hash(definition: dict) -> str:
    blob = json.dumps(definition, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def may_configure(actor: Any) -> bool:
    """Operator staff configure services; ``None`` is the system itself (the
    loader, run by an operator on the server)."""
    return actor is None or can(actor, "catalog.configure")


def _require_configure(actor: Any) -> None:
    if not may_configure(actor):
        raise CatalogError(
            "Only operator staff may change the service catalogue.",
            "सेवा सूची केवल संचालक कर्मचारी बदल सकते हैं।",
        )


def _snapshot_columns(definition: dict) -> dict[str, Any]:
    """The denormalised browsing columns of a version, read from its definition."""
    availability = definition.get("availability") or {}
    limit = definition.get("time_limit") or {}
    districts = definition.get("districts") or []
    return {
        "category": definition["category"],
        "channels": list(definition.get("channels") or []),
        "opens": dt.date.fromisoformat(availability["opens"]) if "opens" in availability else None,
        "closes": dt.date.fromisoformat(availability["closes"])
        if "closes" in availability
        else None,
        "deliverable": definition["deliverable"],
        "time_limit_days": limit.get("days"),
        "time_limit_kind": limit.get("kind", ""),
        "district_codes": "".join(f"|{code}" for code in districts) + ("|" if districts else ""),
    }


@transaction.atomic
def save_department(values: dict[str, Any], *, actor: Any = None) -> tuple[Department, bool]:
    """Create or update a department from checked values; returns (department, changed)."""
    _require_configure(actor)
    department = Department.objects.select_for_update().filter(code=values["code"]).first()
    if department is None:
        department = Department(**values)
        department.full_clean()
        department.save()
        audit.record("catalog.department.create", actor=actor, obj=department, after=values)
        return department, True
    before = {key: getattr(department, key) for key in values}
    if before == values:
        return department, False
    for key, value in values.items():
        setattr(department, key, value)
    department.full_clean()
    department.save()
    audit.record(
        "catalog.department.update", actor=actor, obj=department, before=before, after=values
    )
    return department, True


@transaction.atomic
def create_service(
    code: str, department: Department, definition: dict, *, actor: Any = None
) -> Service:
    """A new service (no version yet) named from its first definition."""
    _require_configure(actor)
    if Service.objects.filter(code=code).exists():
        raise CatalogError(
            f"A service with code {code} already exists.", f"कोड {code} वाली सेवा पहले से है।"
        )
    service = Service(code=code, department=department)
    _apply_names(service, definition)
    service.save()
    audit.record(
        "catalog.service.create",
        actor=actor,
        obj=service,
        after={"code": code, "department": department.code},
    )
    return service


def _apply_names(service: Service, definition: dict) -> None:
    service.name_en = definition["name"]["en"]
    service.name_hi = definition["name"]["hi"]
    keywords = definition.get("keywords") or {}
    service.keywords_en = list(keywords.get("en", []))
    service.keywords_hi = list(keywords.get("hi", []))
    service.refresh_search_text()


@transaction.atomic
def create_draft(
    service: Service,
    definition: dict,
    actor: Any = None,
    *,
    source: str = "",
    source_hash: str = "",
) -> ServiceVersion:
    """A draft holding ``definition`` (already checked). Editing a live service
    means this: the published version stays as it is until the draft is published.
    An existing draft is replaced rather than piling up drafts."""
    _require_configure(actor)
    Service.objects.select_for_update().filter(pk=service.pk).first()
    draft = service.versions.filter(status=ServiceVersion.Status.DRAFT).first()
    columns = _snapshot_columns(definition)
    digest = content_hash(definition)
    if draft is None:
        latest = service.versions.order_by("-number").values_list("number", flat=True).first()
        draft = ServiceVersion(service=service, number=(latest or 0) + 1)
    before = {"content_hash": draft.content_hash} if draft.pk else None
    draft.definition = definition
    draft.content_hash = digest
    draft.created_from = source
    draft.source_hash = source_hash
    draft.created_at = clock.now()
    draft.created_by_id = getattr(actor, "pk", None)
    for key, value in columns.items():
        setattr(draft, key, value)
    draft.save()
    audit.record(
        "catalog.version.draft",
        actor=actor,
        obj=draft,
        before=before,
        after={"service": service.code, "number": draft.number, "content_hash": digest},
    )
    return draft


@transaction.atomic
def publish(version: ServiceVersion, actor: Any = None) -> ServiceVersion:
    """Make a draft the live version: retire the previous one, freeze this one."""
    _require_configure(actor)
    service = Service.objects.select_for_update().get(pk=version.service_id)
    version = ServiceVersion.objects.get(pk=version.pk)
    if version.status != ServiceVersion.Status.DRAFT:
        raise CatalogError(
            "Only a draft can be published.", "केवल प्रारूप संस्करण प्रकाशित किया जा सकता है।"
        )
    now = clock.now()
    previous = service.versions.filter(status=ServiceVersion.Status.PUBLISHED).first()
    if previous is not None:
        # A queryset update touching only status and retired_at: the one change
        # the immutability trigger lets through.
        ServiceVersion.objects.filter(pk=previous.pk).update(
            status=ServiceVersion.Status.RETIRED, retired_at=now
        )
    version.status = ServiceVersion.Status.PUBLISHED
    version.published_at = now
    version.published_by = actor if getattr(actor, "pk", None) else None
    version.save()
    service.current_version = version
    _apply_names(service, version.definition)
    service.save()
    audit.record(
        "catalog.version.publish",
        actor=actor,
        obj=version,
        before={"published": previous.number if previous else None},
        after={
            "service": service.code,
            "published": version.number,
            "content_hash": version.content_hash,
        },
    )
    return version


def _diff(old: Any, new: Any, path: str, out: list[Change]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=str):
            _diff(old.get(key), new.get(key), f"{path}.{key}" if path else str(key), out)
    elif isinstance(old, list) and isinstance(new, list):
        for i in range(max(len(old), len(new))):
            _diff(
                old[i] if i < len(old) else None,
                new[i] if i < len(new) else None,
                f"{path}[{i}]",
                out,
            )
    elif old != new:
        out.append(Change(path, old, new))


def compare(version_a: ServiceVersion, version_b: ServiceVersion) -> list[Change]:
    """What changes from ``version_a`` to ``version_b``, leaf by leaf, for operator staff."""
    changes: list[Change] = []
    _diff(version_a.definition, version_b.definition, "", changes)
    return changes


@transaction.atomic
def draft_from_edit(
    service: Service,
    definition: dict,
    actor: Any,
    *,
    based_on: ServiceVersion,
    based_on_hash: str,
) -> ServiceVersion:
    """A draft made on the operator screen from an edit of ``based_on``.

    Unlike ``create_draft`` (which the loader uses and which replaces any draft), an
    edit on the screen is refused when it would change nothing (the same content as
    the live version or the open draft: a repeated POST lands here) or when it would
    overwrite an open draft the editor did not start from, or that changed since
    (``based_on_hash`` is the content the editor saw)."""
    _require_configure(actor)
    service = Service.objects.select_for_update().get(pk=service.pk)
    digest = content_hash(definition)
    live = service.versions.filter(status=ServiceVersion.Status.PUBLISHED).first()
    if live is not None and live.content_hash == digest:
        raise CatalogError(
            f"Nothing changed: this is the published version {live.number}.",
            f"कोई बदलाव नहीं: यह प्रकाशित संस्करण {live.number} ही है।",
        )
    draft = service.versions.filter(status=ServiceVersion.Status.DRAFT).first()
    if draft is not None and draft.content_hash == digest:
        raise CatalogError(
            f"Draft version {draft.number} already holds exactly this definition.",
            f"प्रारूप संस्करण {draft.number} में ठीक यही परिभाषा पहले से है।",
        )
    if draft is not None and (draft.pk != based_on.pk or draft.content_hash != based_on_hash):
        raise CatalogError(
            f"Draft version {draft.number} is open and was not what you edited (or it changed "
            "meanwhile): edit that draft, or discard it first.",
            f"प्रारूप संस्करण {draft.number} खुला है और आपने उसे संपादित नहीं किया (या वह इस बीच "
            "बदल गया): उसी प्रारूप को संपादित करें, या पहले उसे हटाएँ।",
        )
    return create_draft(
        service, definition, actor, source=f"operator screen, from version {based_on.number}"
    )


@transaction.atomic
def publish_reviewed(version: ServiceVersion, actor: Any, *, reviewed_hash: str) -> ServiceVersion:
    """Publish the draft only if it still holds what the operator compared
    (``reviewed_hash``): a draft is replaced in place, so its number alone is not enough."""
    _require_configure(actor)
    Service.objects.select_for_update().filter(pk=version.service_id).first()
    current = ServiceVersion.objects.filter(pk=version.pk).first()
    if current is None:
        raise CatalogError("This draft was discarded.", "यह प्रारूप हटा दिया गया था।")
    if current.status == ServiceVersion.Status.DRAFT and current.content_hash != reviewed_hash:
        raise CatalogError(
            "The draft changed after you compared it; compare it again.",
            "तुलना के बाद प्रारूप बदल गया; फिर से तुलना करें।",
        )
    return publish(current, actor)


@transaction.atomic
def discard_draft(version: ServiceVersion, actor: Any) -> None:
    """Delete a draft (drafts are proposals; published and retired versions are history)."""
    _require_configure(actor)
    Service.objects.select_for_update().filter(pk=version.service_id).first()
    current = ServiceVersion.objects.filter(pk=version.pk).select_related("service").first()
    if current is None or current.status != ServiceVersion.Status.DRAFT:
        raise CatalogError(
            "Only a draft can be discarded; published versions are kept.",
            "केवल प्रारूप हटाया जा सकता है; प्रकाशित संस्करण रखे जाते हैं।",
        )
    audit.record(
        "catalog.version.discard",
        actor=actor,
        obj=current,
        before={
            "service": current.service.code,
            "number": current.number,
            "content_hash": current.content_hash,
        },
    )
    current.delete()
