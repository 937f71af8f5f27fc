"""Reading the back office, for the pages of several areas (the officer's inbox,
SLA, appeals, the applicant's side):

    case = case_or_404(request.user, number, hooks.VIEW)   # 404, never 403
    page = returned_for(app, language)                     # what the applicant must fix
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import Http404

from ekseva.accounts.permissions import can
from ekseva.applications import selectors as application_selectors
from ekseva.applications import services as applications
from ekseva.applications.documents import check_against_rule
from ekseva.applications.models import ApplicationError
from ekseva.core import ids

from .hooks import VIEW
from .models import Action, Case
from .services import fix_labels, fixable_ids, last_return


def case_or_404(user: Any, number: str, action: str = VIEW) -> Case:
    """The case of application ``number`` if ``user`` may ``action`` it; 404 otherwise
    (never 403, so that numbers cannot be probed)."""
    case = (
        Case.objects.select_related(
            "application",
            "application__version",
            "application__service",
            "application__applicant",
            "assignee",
            "designated_officer",
            "district",
        )
        .filter(application__number=ids.normalise(str(number or "")))
        .first()
    )
    if case is None or not can(user, action, case):
        raise Http404("no such case")
    return case


def case_of(app: Any) -> Case | None:
    return Case.objects.filter(application_id=app.pk).first()


# --------------------------------------------------------------------------- returns


@dataclass
class DocumentCard:
    id: str
    label: str
    formats: str
    accept: str
    max_kb: Any
    attached: Any  # the LockerDocument attached now, or None
    provided: bool  # attached since the return
    locker: list[Any] = field(default_factory=list)  # compatible documents to pick
    error: str = ""


@dataclass
class Returned:
    """What a returned application waits for: the return (who asked, when, the
    remark), the form fields and the documents to fix, with their labels in the
    page's language."""

    case: Case
    action: Action | None
    remark: str
    fields: list[str]  # form field ids
    documents: list[str]  # document ids
    labels: list[str]  # everything asked for, by its label


ACCEPT = {
    "pdf": ".pdf,application/pdf",
    "jpg": ".jpg,.jpeg,image/jpeg",
    "jpeg": ".jpg,.jpeg,image/jpeg",
    "png": ".png,image/png",
    "webp": ".webp,image/webp",
    "gif": ".gif,image/gif",
}


def returned_for(case: Case, language: str) -> Returned:
    action = last_return(case)
    asked = list(action.fields) if action else []
    form_fields, docs = fixable_ids(case.application.version)
    return Returned(
        case=case,
        action=action,
        remark=action.remark if action else "",
        fields=[item for item in asked if item in form_fields],
        documents=[item for item in asked if item in docs],
        labels=fix_labels(case.application.version, asked, language),
    )


def document_cards(
    returned: Returned, language: str, errors: dict[str, list[str]]
) -> list[DocumentCard]:
    """The documents asked for: what is attached, whether it was provided since the
    return, and the applicant's locker documents that fit the service's rule."""
    app = returned.case.application
    since = returned.action.at if returned.action else returned.case.opened_at
    attached = {d.document_id: d for d in app.documents.select_related("locker_document")}
    rules = {rule["id"]: rule for rule in applications.document_rules(app)}
    mine = list(application_selectors.locker(app.applicant))
    cards = []
    for doc_id in returned.documents:
        rule = rules.get(doc_id)
        if rule is None:
            continue
        fits = []
        for document in mine:
            try:
                check_against_rule(document, rule)
            except ApplicationError:
                continue
            fits.append(document)
        current = attached.get(doc_id)
        formats = rule.get("formats", [])
        cards.append(
            DocumentCard(
                id=doc_id,
                label=fix_labels(app.version, [doc_id], language)[0],
                formats=", ".join(f.upper() for f in formats),
                accept=",".join(dict.fromkeys(ACCEPT[f] for f in formats if f in ACCEPT)),
                max_kb=rule.get("max_kb"),
                attached=current.locker_document if current else None,
                provided=current is not None and current.attached_at > since,
                locker=[d for d in fits if current is None or d.pk != current.locker_document_id],
                error=" ".join(errors.get(doc_id, [])),
            )
        )
    return cards
