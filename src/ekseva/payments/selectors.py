"""Read queries about payments: the staff console's list, counts and history, and
who may see which payment (one answer for the list, the detail page and the API).

Department officers and auditors see the payments their postings cover; operator
staff see every payment. ``visible_to_staff`` narrows a queryset by the same rule
``accounts.permissions.can(user, "payments.view", payment_scope(p))`` applies to
one payment, so a row in the list always opens.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from ekseva.accounts import selectors as people
from ekseva.accounts.models import Role, User
from ekseva.accounts.permissions import can
from ekseva.accounts.scope import Scope
from ekseva.geo.models import AdminUnit
from ekseva.ledger.models import JournalEntry, Posting

from . import permissions, purposes
from .models import GatewayEvent, Payment, PaymentError, PaymentEvent, Refund, Status

# Roles whose postings may grant payments.view (auditors get every *.view in scope).
VIEW_ROLES = frozenset({Role.OPERATOR_STAFF, Role.DEPARTMENT_OFFICER, Role.AUDITOR})


@dataclass(frozen=True)
class Filters:
    status: str = ""
    purpose: str = ""
    gateway: str = ""
    department: str = ""
    date_from: dt.date | None = None  # created on or after (portal time zone)
    date_to: dt.date | None = None  # created on or before
    q: str = ""  # a payment or refund reference, a gateway id, a target


# --------------------------------------------------------------------------- who sees what


DISTRICT_PREFIX = "district:"


def _district_unit_id(district_code: str) -> int | None:
    """The district a payment's ``district_code`` names: the part of the
    ``AdminUnit`` code after ``district:`` (an LGD code such as ``435``, or a slug),
    since a ledger dimension may not carry the colon."""
    if not district_code:
        return None
    return (
        AdminUnit.objects.filter(code=DISTRICT_PREFIX + district_code)
        .values_list("pk", flat=True)
        .first()
    )


def payment_scope(payment: Payment) -> Scope:
    """Where a payment belongs, for the permission check (``Payment.access_scope``)."""
    return payment.access_scope()


def can_view(user: User | None, payment: Payment) -> bool:
    return can(user, permissions.VIEW, payment_scope(payment))


def _district_codes_under(unit_id: int) -> list[str]:
    """The payment district codes of the districts at or below a unit (a posting
    to a tehsil covers no district-level payment, as in ``can()``)."""
    found = list(AdminUnit.objects.filter(pk=unit_id).values_list("pk", "kind", "code"))
    frontier = [pk for pk, _, _ in found]
    while frontier:
        children = list(
            AdminUnit.objects.filter(
                parent_id__in=frontier, kind__in=[AdminUnit.Kind.STATE, AdminUnit.Kind.DISTRICT]
            ).values_list("pk", "kind", "code")
        )
        found.extend(children)
        frontier = [pk for pk, _, _ in children]
    return [
        code.removeprefix(DISTRICT_PREFIX)
        for _, kind, code in found
        if kind == AdminUnit.Kind.DISTRICT and code.startswith(DISTRICT_PREFIX)
    ]


def visible_to_staff(user: User | None) -> QuerySet[Payment]:
    """The payments the user's current staff postings let them see (none for others)."""
    postings = [p for p in people.postings_of(user) if p.role in VIEW_ROLES]
    if not postings:
        return Payment.objects.none()
    allowed = Q(pk__in=[])
    for posting in postings:
        if posting.role == Role.OPERATOR_STAFF:
            return Payment.objects.all()
        covered = Q()
        if posting.department_code:
            covered &= Q(department_code=posting.department_code)
        if posting.kiosk_code:
            covered &= Q(kiosk_code=posting.kiosk_code)
        if posting.admin_unit_id:
            covered &= Q(district_code__in=_district_codes_under(posting.admin_unit_id))
        if not covered:  # a posting without any scope covers everything
            return Payment.objects.all()
        allowed |= covered
    return Payment.objects.filter(allowed)


def find(reference: str) -> Payment | None:
    return Payment.objects.filter(reference=reference.strip().upper()).first()


class UnknownPurpose(PaymentError):
    status = 409


def unknown_purpose(payment: Payment) -> UnknownPurpose | None:
    """The refusal to act on a payment whose purpose no app registered on this
    server (a refund runs the purpose's hook), or None when it is known."""
    try:
        purposes.get(payment.purpose)
    except purposes.UnknownPurpose:
        return UnknownPurpose(
            f"This payment's purpose ({payment.purpose}) is not registered on this server, "
            "so it cannot be refunded here.",
            f"इस भुगतान का उद्देश्य ({payment.purpose}) इस सर्वर पर पंजीकृत नहीं है, "
            "इसलिए इसकी धनवापसी यहाँ नहीं हो सकती।",
        )
    return None


# --------------------------------------------------------------------------- the list


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def search(qs: QuerySet[Payment], filters: Filters, *, with_status: bool = True) -> QuerySet:
    """``qs`` narrowed by the filters (``with_status=False`` ignores the status, for counts)."""
    if with_status and filters.status:
        qs = qs.filter(status=filters.status)
    if filters.purpose:
        qs = qs.filter(purpose=filters.purpose)
    if filters.gateway:
        qs = qs.filter(gateway=filters.gateway)
    if filters.department:
        qs = qs.filter(department_code=filters.department.upper())
    if filters.date_from:
        qs = qs.filter(created_at__gte=_local_midnight(filters.date_from))
    if filters.date_to:
        qs = qs.filter(created_at__lt=_local_midnight(filters.date_to + dt.timedelta(days=1)))
    text = filters.q.strip()
    if text:
        refund = Refund.objects.filter(payment=OuterRef("pk")).filter(
            Q(reference__iexact=text) | Q(gateway_refund_id=text)
        )
        qs = qs.filter(
            Q(reference__iexact=text)
            | Q(target__iexact=text)
            | Q(gateway_order_id=text)
            | Q(gateway_payment_id=text)
            | Exists(refund)
        )
    return qs


def payments_list(user: User | None, filters: Filters) -> QuerySet[Payment]:
    """The console's list: visible payments matching the filters, newest first."""
    return search(visible_to_staff(user), filters).order_by("-created_at", "-id")


def counts_by_status(user: User | None, filters: Filters) -> list[tuple[str, int]]:
    """(status, how many) for every status, over the visible payments that match
    every filter but the status: the dashboard above the list."""
    rows = dict(
        search(visible_to_staff(user), filters, with_status=False)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return [(status, rows.get(status, 0)) for status in Status.values]


def departments_in_use(user: User | None) -> list[str]:
    return sorted(
        code
        for code in visible_to_staff(user)
        .order_by()
        .values_list("department_code", flat=True)
        .distinct()
        if code
    )


# --------------------------------------------------------------------------- one payment


def ledger_reference(payment: Payment) -> str:
    """The ``reference`` every journal entry of this payment carries."""
    return f"payment:{payment.reference}"


@dataclass(frozen=True)
class History:
    events: list[PaymentEvent]
    gateway_events: list[GatewayEvent]
    refunds: list[Refund]
    entries: list[JournalEntry]  # each with ``postings`` prefetched (account loaded)


def history(payment: Payment) -> History:
    """Everything that happened to a payment, oldest first: its status moves,
    the gateway's callbacks, its refunds and its journal entries with postings."""
    postings = Posting.objects.select_related("account").order_by("id")
    return History(
        events=list(payment.events.order_by("id")),
        gateway_events=list(payment.gateway_events.order_by("id")),
        refunds=list(payment.refunds.select_related("requested_by").order_by("id")),
        entries=list(
            JournalEntry.objects.filter(reference=ledger_reference(payment))
            .prefetch_related(Prefetch("postings", queryset=postings))
            .order_by("id")
        ),
    )
