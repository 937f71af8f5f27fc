"""Reading applications: a person's own, one they may see, public tracking."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from ekseva.accounts.permissions import can
from ekseva.core import ids
from ekseva.core.phone import indian_mobile

from .hooks import ACT, VIEW
from .models import Application, LockerDocument, Status


def my_applications(user: Any) -> QuerySet[Application]:
    """The applicant's applications, newest first, with what the list shows."""
    return (
        Application.objects.filter(applicant=user)
        .select_related("service", "service__department", "version")
        .order_by("-updated_at", "-id")
    )


def visible_or_404(user: Any, *, number: str | None = None, pk: int | None = None) -> Application:
    """The application if ``user`` may see it; otherwise 404 — never 403, so that
    numbers cannot be probed."""
    qs = Application.objects.select_related(
        "service", "service__department", "version", "applicant"
    )
    app = qs.filter(number=ids.normalise(number)).first() if number else qs.filter(pk=pk).first()
    if app is None or not can(user, VIEW, app):
        raise Http404("no such application")
    return app


def actionable_or_404(
    user: Any, *, number: str | None = None, pk: int | None = None
) -> Application:
    """The application if ``user`` may act on it (the applicant, or their kiosk)."""
    app = visible_or_404(user, number=number, pk=pk)
    if not can(user, ACT, app):
        raise Http404("no such application")
    return app


def locker(user: Any) -> QuerySet[LockerDocument]:
    return LockerDocument.objects.filter(owner=user).order_by("-uploaded_at")


def track(
    number: str, *, mobile: str = "", date_of_birth: dt.date | None = None
) -> Application | None:
    """Public tracking: the application whose number matches and whose applicant's
    mobile or date of birth matches too; None otherwise (the same answer for a
    wrong number and a wrong mobile, so neither can be probed). Drafts have no
    number and are never found."""
    row = track_row(number, mobile=mobile, date_of_birth=date_of_birth, columns=("pk",))
    if row is None:
        return None
    return Application.objects.select_related("service", "applicant").get(pk=row["pk"])


def track_row(
    number: str,
    *,
    mobile: str = "",
    date_of_birth: dt.date | None = None,
    columns: tuple[str, ...] = (),
) -> dict[str, Any] | None:
    """``track``'s rule, reading only ``columns`` (and what the rule needs) of the
    application in one query: the public page reads no more than it shows. The date
    of birth is the profile's, else the one in the answers (one more query then)."""
    number = ids.normalise(str(number or ""))
    if not number or not ids.is_valid(number):
        return None
    needed = ("pk", "applicant__mobile", "applicant__profile__date_of_birth")
    row = (
        Application.objects.filter(number=number)
        .exclude(status=Status.DRAFT)
        .values(*dict.fromkeys((*columns, *needed)))
        .first()
    )
    if row is None:
        return None
    if mobile:
        given = indian_mobile(mobile)
        return row if given and given == row["applicant__mobile"] else None
    if date_of_birth:
        dob = row["applicant__profile__date_of_birth"] or _answer_dob(row["pk"])
        return row if dob == date_of_birth else None
    return None


def _answer_dob(pk: int) -> dt.date | None:
    answers = Application.objects.filter(pk=pk).values_list("answers", flat=True).first()
    raw = (answers or {}).get("date_of_birth")
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except (TypeError, ValueError):
        return None
