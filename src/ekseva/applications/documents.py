"""The citizen's document locker: uploads checked once by content, kept under
generated names outside the web root, reused across applications.

A file is accepted only if its first bytes say it is one of the kinds the
document allows (a ``.pdf`` that is really an executable is refused), it is
within the size limit, a PDF carries no scripts or attachments, and an image is
within the document's pixel dimensions (``core.files.check_upload``). The same
file uploaded twice by one person is stored once (SHA-256).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from ekseva.core import audit, clock
from ekseva.core.files import UploadRefused, check_upload

from .models import ApplicationError, LockerDocument

EXTENSIONS = {"pdf": "pdf", "jpeg": "jpg", "png": "png", "webp": "webp", "gif": "gif"}
MAX_LABEL = 200


def _allowed(rule: dict[str, Any]) -> set[str]:
    return {"jpeg" if f in ("jpg", "jpeg") else f for f in rule.get("formats", [])}


def _dims(rule: dict[str, Any], side: str, missing: int) -> tuple[int, int] | None:
    dims = rule.get("dims") or {}
    width, height = dims.get(f"{side}_width"), dims.get(f"{side}_height")
    if width is None and height is None:
        return None
    return (width or missing, height or missing)


def _refused(exc: UploadRefused, field: str) -> ApplicationError:
    return ApplicationError(exc.message_en, exc.message_hi, field=field)


def store(
    owner: Any,
    upload: Any,
    *,
    label: str,
    purpose: str,
    rule: dict[str, Any],
    actor: Any,
) -> LockerDocument:
    """Check ``upload`` against ``rule`` (formats, max_kb, dims) and keep it in
    ``owner``'s locker; the same bytes again return the stored document."""
    try:
        info = check_upload(
            upload,
            allowed=_allowed(rule),
            max_bytes=int(rule.get("max_kb", 5120)) * 1024,
            min_dims=_dims(rule, "min", 1),
            max_dims=_dims(rule, "max", 10**6),
        )
    except UploadRefused as exc:
        raise _refused(exc, purpose) from None
    existing = LockerDocument.objects.filter(owner=owner, sha256=info.sha256).first()
    if existing is not None:
        return existing
    upload.seek(0)
    data = upload.read()
    name = f"{secrets.token_hex(16)}.{EXTENSIONS[info.kind]}"
    original = str(getattr(upload, "name", "") or name)[-200:]
    try:
        with transaction.atomic():
            document = LockerDocument(
                owner=owner,
                label=(label or original)[:MAX_LABEL],
                purpose=purpose[:60],
                kind=LockerDocument.Kind.PDF if info.kind == "pdf" else LockerDocument.Kind.IMAGE,
                original_name=original,
                content_type=info.mime,
                size=info.size,
                sha256=info.sha256,
                width=info.width,
                height=info.height,
                uploaded_at=clock.now(),
                uploaded_by=actor if getattr(actor, "pk", None) else None,
            )
            document.file.save(name, ContentFile(data), save=False)
            document.save()
            audit.record(
                "applications.locker.stored",
                actor=actor,
                obj=document,
                after={"kind": info.kind, "size": info.size, "sha256": info.sha256},
            )
    except IntegrityError:
        # The same file uploaded twice at once: the first one is kept.
        return LockerDocument.objects.get(owner=owner, sha256=info.sha256)
    return document


def check_against_rule(document: LockerDocument, rule: dict[str, Any]) -> None:
    """A locker document reused for another service must meet that service's rule."""
    kind = (
        "pdf" if document.kind == LockerDocument.Kind.PDF else document.content_type.split("/")[-1]
    )
    if kind not in _allowed(rule):
        shown = ", ".join(f.upper() for f in rule.get("formats", []))
        raise ApplicationError(
            f"This document must be one of: {shown}.",
            f"यह दस्तावेज़ इनमें से किसी प्रकार का होना चाहिए: {shown}।",
            field=rule["id"],
        )
    if document.size > int(rule.get("max_kb", 5120)) * 1024:
        raise ApplicationError(
            f"This document must be at most {rule.get('max_kb')} KB.",
            f"यह दस्तावेज़ अधिकतम {rule.get('max_kb')} KB का होना चाहिए।",
            field=rule["id"],
        )
    low, high = _dims(rule, "min", 1), _dims(rule, "max", 10**6)
    if document.width and low and (document.width < low[0] or document.height < low[1]):
        raise ApplicationError(
            f"The image must be at least {low[0]}×{low[1]} pixels.",
            f"चित्र कम से कम {low[0]}×{low[1]} पिक्सेल का होना चाहिए।",
            field=rule["id"],
        )
    if document.width and high and (document.width > high[0] or document.height > high[1]):
        raise ApplicationError(
            f"The image must be at most {high[0]}×{high[1]} pixels.",
            f"चित्र अधिकतम {high[0]}×{high[1]} पिक्सेल का होना चाहिए।",
            field=rule["id"],
        )


def remove(document: LockerDocument, *, actor: Any) -> None:
    """Remove a document from its owner's locker, file included, unless it is
    attached to an application (an application keeps its documents for ever).
    Only the owner removes their documents."""
    with transaction.atomic():
        locked = LockerDocument.objects.select_for_update().filter(pk=document.pk).first()
        if locked is None or actor is None or locked.owner_id != getattr(actor, "pk", None):
            raise ApplicationError("No such document.", "ऐसा कोई दस्तावेज़ नहीं है।")
        attached = ApplicationError(
            "This document is attached to an application, so it cannot be removed.",
            "यह दस्तावेज़ किसी आवेदन से जुड़ा है, इसलिए हटाया नहीं जा सकता।",
        )
        if locked.attachments.exists():
            raise attached
        name, storage = locked.file.name, locked.file.storage
        audit.record(
            "applications.locker.removed",
            actor=actor,
            obj=locked,
            before={"label": locked.label, "kind": locked.kind, "sha256": locked.sha256},
        )
        try:
            locked.delete()
        except ProtectedError:  # attached in the meantime
            raise attached from None
        # The file goes only once the row is gone for good.
        transaction.on_commit(lambda: storage.delete(name) if name else None)
