"""The applicant's POSTs on a returned application, in the shapes the services take:
the corrected answers (the form engine reads the HTML form, as for a draft's step)
and a document attached by upload or from the locker. Nothing here decides what is
valid: the services and the pinned version's form do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from ekseva.applications import selectors as application_selectors
from ekseva.catalog.rules import form_of
from ekseva.forms import validation

from .models import WorkflowError


def answers_from_post(version: Any, post: Any) -> dict[str, Any]:
    """The answers the page posted (the fields asked for are the ones shown), in the
    shape ``services.resubmit`` takes. A field not shown is not posted, so it is not
    here (it keeps its answer); one posted although not asked for is passed on and
    refused by the service."""
    return validation.from_post(form_of(version), post)


@dataclass(frozen=True)
class DocumentPost:
    document_id: str
    how: str  # upload | locker
    upload: Any = None
    locker_document: Any = None


def document_from_post(app: Any, post: Any, files: Any, asked: list[str]) -> DocumentPost:
    """Which asked-for document the applicant attaches, and how. Refusals name the
    document (``field``) so the page shows them by it."""
    document_id = str(post.get("document", ""))[:60]
    if document_id not in asked:
        raise WorkflowError(_("The department did not ask for that document."), field="")
    if post.get("action") == "locker":
        chosen = str(post.get("locker", ""))
        document = (
            application_selectors.locker(app.applicant).filter(pk=int(chosen)).first()
            if chosen.isdigit()
            else None
        )
        if document is None:
            raise WorkflowError(_("Choose a document from your locker."), field=document_id)
        return DocumentPost(document_id, "locker", locker_document=document)
    upload = files.get("file")
    if upload is None:
        raise WorkflowError(_("Choose a file to upload."), field=document_id)
    return DocumentPost(document_id, "upload", upload=upload)
