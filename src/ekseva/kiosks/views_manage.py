"""Staff pages of the kiosk network's governance:

- ``/<lang>/kiosks/manage/kiosks/``             kiosks with their figures (filters, sorting)
- ``/<lang>/kiosks/manage/kiosks/<code>/``      one kiosk: figures, complaints, ratings,
                                                status history, suspend / reinstate
- ``/<lang>/kiosks/manage/complaints/``         the complaints queue
- ``/<lang>/kiosks/manage/complaints/<ref>/``   one complaint: uphold or dismiss

Operator staff see every kiosk; district coordinators (and auditors, read-only)
the kiosks of their district (``locator.scope_filter``). A kiosk or complaint out
of scope is 404; a signed-in person without such a posting (a citizen, a kiosk's
own login) gets 403; anyone else is sent to the staff sign-in (password + TOTP).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ekseva.accounts import selectors as people
from ekseva.accounts.decorators import staff_required
from ekseva.accounts.forms import AccessibleFormMixin
from ekseva.accounts.permissions import can
from ekseva.geo.models import AdminUnit

from . import feedback, locator, services
from .forms_public import DistrictChoice
from .hooks import COMPLAINTS, GOVERN, VIEW
from .models import KIND_TEXT, Complaint, Kind, Kiosk, KioskError
from .selectors import kiosk_or_404

PAGE_SIZE = 25
RECENT = 20

KIOSK_STATUS_TEXT = {
    Kiosk.Status.ACTIVE: (pgettext_lazy("kiosk status", "Active"), "badge-success"),
    Kiosk.Status.SUSPENDED: (pgettext_lazy("kiosk status", "Suspended"), "badge-danger"),
    Kiosk.Status.CLOSED: (pgettext_lazy("kiosk status", "Closed"), "badge-muted"),
}
COMPLAINT_BADGES = {
    Complaint.Status.OPEN: "badge-pending",
    Complaint.Status.UPHELD: "badge-danger",
    Complaint.Status.DISMISSED: "badge-muted",
}


def _language() -> str:
    return "hi" if (get_language() or "en").startswith("hi") else "en"


def staff_area(roles: Iterable[str]) -> Callable[[Callable[..., HttpResponse]], Callable]:
    """``staff_required`` (password + TOTP), and a current posting in ``roles``:
    a signed-in person without one is refused outright (403)."""
    roles = frozenset(roles)

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        checked = staff_required(view)

        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if user.is_authenticated and not any(p.role in roles for p in people.postings_of(user)):
                raise PermissionDenied("no posting for the kiosks' staff pages")
            return checked(request, *args, **kwargs)

        return wrapped

    return decorate


viewer = staff_area(locator.STAFF_VIEW_ROLES)
resolver = staff_area(locator.STAFF_COMPLAINT_ROLES)


def _query(request: HttpRequest) -> str:
    keep = request.GET.copy()
    keep.pop("page", None)
    return keep.urlencode()


def _status(kiosk: Kiosk) -> tuple[str, str]:
    label, badge = KIOSK_STATUS_TEXT.get(kiosk.status, (kiosk.status, ""))
    return str(label), badge


def _decorate_kiosk(kiosk: Kiosk, language: str) -> Kiosk:
    kiosk.status_label, kiosk.badge = _status(kiosk)
    kiosk.kind_label = kiosk.kind_text(language)
    kiosk.district_name = kiosk.district.name(language)
    return kiosk


def _decorate_complaint(complaint: Complaint, language: str) -> Complaint:
    complaint.kind_label = feedback.kind_text(complaint.kind, language)
    complaint.status_label = feedback.status_text(complaint.status, language)
    complaint.badge = COMPLAINT_BADGES.get(complaint.status, "")
    return complaint


# --------------------------------------------------------------------------- the kiosks


class KioskFilterForm(AccessibleFormMixin, forms.Form):
    q = forms.CharField(label=gettext_lazy("Code or name"), required=False, max_length=60)
    district = DistrictChoice(
        label=gettext_lazy("District"),
        queryset=AdminUnit.objects.none(),
        required=False,
        to_field_name="code",
        empty_label=gettext_lazy("All districts"),
    )
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False)
    sort = forms.ChoiceField(
        label=gettext_lazy("Sort by"),
        required=False,
        choices=[
            ("code", gettext_lazy("Code")),
            ("complaints", gettext_lazy("Most open complaints")),
            ("rating", gettext_lazy("Lowest rating")),
            ("transactions", gettext_lazy("Most transactions this month")),
        ],
    )

    def __init__(self, *args: Any, districts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = _language()
        self.fields["district"].queryset = districts
        self.fields["status"].choices = [("", _("Any status"))] + [
            (value, str(label)) for value, (label, _badge) in KIOSK_STATUS_TEXT.items()
        ]
        self.fields["kind"].choices = [("", _("Any kind"))] + [
            (kind.value, KIND_TEXT[kind][1 if language == "hi" else 0]) for kind in Kind
        ]


@never_cache
@viewer
@require_GET
def kiosks(request: HttpRequest) -> HttpResponse:
    language = _language()
    form = KioskFilterForm(request.GET or None, districts=locator.scope_districts(request.user))
    filters = locator.KioskFilters()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = locator.KioskFilters(
            district=data["district"],
            status=data["status"],
            kind=data["kind"],
            q=data["q"],
            sort=data["sort"] or "code",
        )
    page = Paginator(locator.staff_kiosks(request.user, filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for kiosk in page.object_list:
        _decorate_kiosk(kiosk, language)
    context = {
        "form": form,
        "page": page,
        "query": _query(request),
        "month": locator.month_start(),
        "may_complaints": can(request.user, COMPLAINTS),
    }
    return render(request, "kiosks/manage/kiosks/list.html", context)


class StatusForm(AccessibleFormMixin, forms.Form):
    action = forms.ChoiceField(
        choices=[("suspend", "suspend"), ("reinstate", "reinstate")], widget=forms.HiddenInput
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=1000,
        help_text=gettext_lazy("Kept in the kiosk's history and the audit log."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _kiosk_page(
    request: HttpRequest, kiosk: Kiosk, *, status_form: StatusForm | None = None, status: int = 200
) -> HttpResponse:
    language = _language()
    figures = locator.with_figures(Kiosk.objects.filter(pk=kiosk.pk)).get()
    _decorate_kiosk(figures, language)
    complaints = [
        _decorate_complaint(c, language)
        for c in kiosk.complaints.select_related("kiosk").order_by("-created_at", "-id")[:RECENT]
    ]
    ratings = list(kiosk.ratings.order_by("-created_at", "-id")[:RECENT])
    distribution = dict(
        kiosk.ratings.values_list("stars").annotate(n=Count("pk")).values_list("stars", "n")
    )
    history = list(kiosk.status_changes.select_related("actor").all())
    may_govern = can(request.user, GOVERN, kiosk) and kiosk.status != Kiosk.Status.CLOSED
    form = status_form or StatusForm(
        initial={"action": "reinstate" if kiosk.status == Kiosk.Status.SUSPENDED else "suspend"}
    )
    context = {
        "kiosk": figures,
        "complaints": complaints,
        "ratings": ratings,
        "distribution": [(stars, distribution.get(stars, 0)) for stars in (5, 4, 3, 2, 1)],
        "history": [
            (change, _status_label(change.from_status), _status_label(change.to_status))
            for change in history
        ],
        "may_govern": may_govern,
        "suspending": kiosk.status == Kiosk.Status.ACTIVE,
        "status_form": form,
        "month": locator.month_start(),
        "hours": kiosk.opening_hours(language),
        "may_complaints": can(request.user, COMPLAINTS, kiosk),
    }
    return render(request, "kiosks/manage/kiosks/detail.html", context, status=status)


def _status_label(status: str) -> str:
    label, _badge = KIOSK_STATUS_TEXT.get(status, (status, ""))
    return str(label)


@never_cache
@viewer
@require_GET
def kiosk(request: HttpRequest, code: str) -> HttpResponse:
    return _kiosk_page(request, kiosk_or_404(request.user, code, VIEW))


@never_cache
@viewer
@require_POST
def kiosk_status(request: HttpRequest, code: str) -> HttpResponse:
    found = kiosk_or_404(request.user, code, VIEW)
    if not can(request.user, GOVERN, found):
        raise PermissionDenied("kiosks.govern")
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _kiosk_page(request, found, status_form=form, status=400)
    action, reason = form.cleaned_data["action"], form.cleaned_data["reason"]
    move = services.suspend if action == "suspend" else services.reinstate
    try:
        moved = move(found, reason=reason, actor=request.user)
    except KioskError as error:
        field = error.field if error.field in form.fields else None
        form.add_error(field, error.message(_language()))
        return _kiosk_page(request, found, status_form=form, status=400)
    if action == "suspend":
        messages.success(request, _("Kiosk %(code)s is suspended.") % {"code": moved.code})
    else:
        messages.success(request, _("Kiosk %(code)s is reinstated.") % {"code": moved.code})
    return redirect("kiosks:manage_kiosk", code=moved.code)


# --------------------------------------------------------------------------- complaints


class ComplaintFilterForm(AccessibleFormMixin, forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    kind = forms.ChoiceField(label=pgettext_lazy("complaint", "About"), required=False)
    district = DistrictChoice(
        label=gettext_lazy("District"),
        queryset=AdminUnit.objects.none(),
        required=False,
        to_field_name="code",
        empty_label=gettext_lazy("All districts"),
    )
    q = forms.CharField(
        label=gettext_lazy("Reference, kiosk code or application number"),
        required=False,
        max_length=40,
    )

    def __init__(self, *args: Any, districts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = _language()
        self.fields["district"].queryset = districts
        self.fields["status"].choices = (
            [("", _("Open"))]
            + [
                (s, feedback.status_text(s, language))
                for s in (Complaint.Status.UPHELD, Complaint.Status.DISMISSED)
            ]
            + [("all", _("All"))]
        )
        self.fields["kind"].choices = [("", _("Anything"))] + [
            (k, feedback.kind_text(k, language)) for k in Complaint.Kind.values
        ]


@never_cache
@resolver
@require_GET
def complaints(request: HttpRequest) -> HttpResponse:
    language = _language()
    user = request.user
    form = ComplaintFilterForm(
        request.GET or None,
        districts=locator.scope_districts(user, locator.STAFF_COMPLAINT_ROLES),
    )
    qs = feedback.complaints_in_scope(user)
    status = Complaint.Status.OPEN
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        status = data["status"] or Complaint.Status.OPEN
        if data["kind"]:
            qs = qs.filter(kind=data["kind"])
        if data["district"] is not None:
            qs = qs.filter(kiosk__district=data["district"])
        text = "".join(data["q"].split()).upper()
        if text:
            qs = (
                qs.filter(reference=text)
                | qs.filter(kiosk__code=text)
                | qs.filter(application_number=text)
            )
    counts = dict(qs.order_by().values_list("status").annotate(n=Count("pk")))
    if status != "all":
        qs = qs.filter(status=status)
    # The open queue oldest first (first come, first decided); decided ones newest first.
    ordering = ["created_at", "id"] if status == Complaint.Status.OPEN else ["-created_at", "-id"]
    page = Paginator(qs.order_by(*ordering), PAGE_SIZE).get_page(request.GET.get("page"))
    for complaint in page.object_list:
        _decorate_complaint(complaint, language)
        complaint.kiosk.district_name = complaint.kiosk.district.name(language)
    context = {
        "form": form,
        "page": page,
        "query": _query(request),
        "counts": [
            (s, feedback.status_text(s, language), COMPLAINT_BADGES[s], counts.get(s, 0))
            for s in Complaint.Status.values
        ],
        "showing_open": status == Complaint.Status.OPEN,
    }
    return render(request, "kiosks/manage/complaints/list.html", context)


class ResolveForm(AccessibleFormMixin, forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        widget=forms.RadioSelect,
        choices=[
            ("uphold", gettext_lazy("Uphold: the complaint is true")),
            ("dismiss", gettext_lazy("Dismiss: the complaint is not borne out")),
        ],
    )
    resolution = forms.CharField(
        label=gettext_lazy("What was found and done"),
        max_length=2000,
        help_text=gettext_lazy(
            "The complainant receives the start of this by SMS if they left a mobile number."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
    )


@never_cache
@resolver
@require_http_methods(["GET", "POST"])
def complaint(request: HttpRequest, reference: str) -> HttpResponse:
    language = _language()
    found = feedback.complaint_or_404(request.user, reference)
    form = ResolveForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            feedback.resolve(
                found,
                uphold=form.cleaned_data["decision"] == "uphold",
                resolution=form.cleaned_data["resolution"],
                actor=request.user,
            )
        except KioskError as error:
            field = error.field if error.field in form.fields else None
            form.add_error(field, error.message(language))
            status = 400
        else:
            messages.success(
                request, _("Complaint %(reference)s is decided.") % {"reference": found.reference}
            )
            return redirect("kiosks:manage_complaint", reference=found.reference)
    elif request.method == "POST":
        status = 400
    _decorate_complaint(found, language)
    found.kiosk.district_name = found.kiosk.district.name(language)
    context = {
        "complaint": found,
        "form": form,
        "open": found.status == Complaint.Status.OPEN,
        "excess": (
            found.amount_charged - found.official_amount
            if found.amount_charged is not None and found.official_amount is not None
            else None
        ),
        "kiosk_status": _status(found.kiosk),
        "others": found.kiosk.complaints.exclude(pk=found.pk).count(),
    }
    return render(request, "kiosks/manage/complaints/detail.html", context, status=status)
