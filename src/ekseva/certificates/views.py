"""The certificate pages.

Public (no sign-in), at /<lang>/verify/:

- the form: a certificate number, or the certificate's PDF file;
- /<lang>/verify/<number>/ and /<lang>/verify/?p=<payload> (what the QR code
  holds, reached through the language-less /verify/?p=… it prints);
- each answer is Genuine, Revoked or Not genuine / not found, and shows only what
  the certificate itself prints. Lookups are counted per IP address in the cache
  (``CERTIFICATE_VERIFY_PER_MINUTE``; 429 beyond it), so numbers cannot be enumerated.

The holder (and officers of the department, ``hooks.VIEW``) download the signed
PDF at /<lang>/certificates/<number>/pdf; anyone else gets 404.

Department pages at /<lang>/certificates/manage/: the certificates of one's
department, one certificate with its audit trail and the revoke form
(``hooks.REVOKE``: designated and appellate officers); the signing keys of every
department with rotation (``hooks.KEYS``: operator staff).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ekseva.accounts import selectors as people
from ekseva.accounts.decorators import staff_required
from ekseva.accounts.permissions import can, require
from ekseva.core import audit, clock, counters
from ekseva.core.kept import Kept
from ekseva.core.middleware import client_ip

from . import forms, selectors, services, verify
from .hooks import KEYS, REVOKE, VIEW
from .models import Certificate, CertificateError

PAGE_SIZE = 25
_DEPARTMENT_RE = re.compile(r"^[A-Z][A-Z0-9-]{1,19}$")


def _language() -> str:
    return "hi" if (translation.get_language() or "en").startswith("hi") else "en"


def _verified(user: Any) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check and check())


# --------------------------------------------------------------------------- rate limit


def _lookup_limit() -> int:
    return int(settings.CERTIFICATE_VERIFY_PER_MINUTE)


def _over_limit(request: HttpRequest) -> bool:
    """Count one lookup for the caller's address; True once it has made more than
    the limit this minute. One cache key per address and minute (Redis in
    production: shared by every process)."""
    ip = client_ip(request) or "-"
    key = f"certificates:verify:{ip}:{clock.now():%Y%m%d%H%M}"
    return counters.hit(key, 120) > _lookup_limit()


# --------------------------------------------------------------------------- verdicts


GENUINE, REVOKED, NOT_GENUINE, NOT_FOUND = "genuine", "revoked", "not_genuine", "not_found"


def _verdict(
    status: str,
    *,
    how: str,
    certificate: Certificate | None = None,
    shown: selectors.PublicView | None = None,
    message: str = "",
    detail: str = "",
) -> dict[str, Any]:
    language = _language()
    if certificate is not None:
        shown = selectors.public_view(certificate, language)
    if status not in (GENUINE, REVOKED):
        shown = None  # a refused code or file shows nothing of any record
    today = clock.today()
    return {
        "status": status,
        "how": how,
        "certificate": shown,
        "message": message,
        "detail": detail,
        "expired": bool(shown and shown.valid_until and shown.valid_until < today),
    }


def _by_number(number: str) -> dict[str, Any]:
    status, shown = verify.verify_number_public(number, _language()) if number else ("", None)
    if shown is None:
        return _verdict(
            NOT_FOUND,
            how="number",
            message=_("No certificate with this number was issued by this portal."),
            detail=_(
                "Check the number for typing mistakes. A certificate whose number is not "
                "found here is not genuine."
            ),
        )
    if status == verify.REVOKED:
        return _verdict(REVOKED, how="number", shown=shown)
    return _verdict(
        GENUINE,
        how="number",
        shown=shown,
        message=_(
            "This certificate was issued by the department and is in force. "
            "Check that the details below match the certificate in front of you."
        ),
    )


def _by_payload(payload: str) -> dict[str, Any]:
    checked = verify.verify_payload(payload)
    if checked.ok and checked.certificate is not None:
        return _verdict(
            GENUINE,
            how="qr",
            certificate=checked.certificate,
            message=_(
                "The QR code's details match the department's record and its signature checks."
            ),
        )
    if checked.reason == "revoked" and checked.certificate is not None:
        return _verdict(REVOKED, how="qr", certificate=checked.certificate)
    if checked.reason == "unknown_certificate":
        return _verdict(
            NOT_FOUND,
            how="qr",
            message=_("No certificate with this number was issued by this portal."),
        )
    return _verdict(
        NOT_GENUINE,
        how="qr",
        message=_("The QR code's contents were changed or not signed by the department."),
        detail=checked.message(_language()),
    )


def _by_pdf(data: bytes) -> dict[str, Any]:
    checked = verify.verify_pdf(data)
    certificate = checked.certificate
    if checked.ok and certificate is not None:
        if certificate.is_revoked:
            return _verdict(REVOKED, how="pdf", certificate=certificate)
        return _verdict(
            GENUINE,
            how="pdf",
            certificate=certificate,
            message=_(
                "This file is the certificate as the department signed it: "
                "it has not been changed since."
            ),
        )
    if checked.reason == "revoked" and certificate is not None:
        return _verdict(REVOKED, how="pdf", certificate=certificate)
    if checked.reason == "unknown_certificate":
        return _verdict(
            NOT_FOUND,
            how="pdf",
            message=_("No certificate issued by this portal matches this file."),
        )
    if checked.reason in ("changed", "modified"):
        message = _("This file was changed after it was signed.")
    else:  # unsigned, unknown_signer, bad_signature, wrong_key, unreadable
        message = _("This file was not signed by the department.")
    return _verdict(NOT_GENUINE, how="pdf", message=message, detail=checked.message(_language()))


# Rendered parts of the verification page, kept per process: a verdict (keyed by
# everything it shows, so a revocation or a changed record is a new key and shows
# at once) and the unbound forms (keyed by the number they are filled with).
_fragments: Kept[str] = Kept(4096)


def _fragment(key: tuple, make: Callable[[], str]) -> str:
    return _fragments.get(key, make)


def _verdict_key(result: dict[str, Any]) -> tuple:
    return (
        "verdict",
        translation.get_language(),
        result["status"],
        result["how"],
        result["certificate"],  # a frozen PublicView: every field it shows
        str(result["message"]),
        str(result["detail"]),
        result["expired"],
    )


def _render_verify(
    request: HttpRequest,
    *,
    result: dict[str, Any] | None = None,
    number_form: forms.NumberForm | None = None,
    pdf_form: forms.PdfForm | None = None,
    status: int = 200,
    limited: bool = False,
) -> HttpResponse:
    number_form = number_form or forms.NumberForm()
    pdf_form = pdf_form or forms.PdfForm()
    context: dict[str, Any] = {
        "result": result,
        "number_form": number_form,
        "pdf_form": pdf_form,
        "limited": limited,
        "per_minute": _lookup_limit(),
    }
    language = translation.get_language()
    if result is not None:
        context["verdict_html"] = _fragment(
            _verdict_key(result),
            lambda: render_to_string("certificates/_verdict.html", {"result": result}),
        )
    if not number_form.is_bound:
        context["number_form_html"] = _fragment(
            ("number_form", language, str(number_form.initial.get("number", ""))),
            lambda: render_to_string(
                "certificates/_number_form_fields.html", {"number_form": number_form}
            ),
        )
    if not pdf_form.is_bound:
        context["pdf_form_html"] = _fragment(
            ("pdf_form", language),
            lambda: render_to_string("certificates/_pdf_form_fields.html", {"pdf_form": pdf_form}),
        )
    response = render(request, "certificates/verify.html", context, status=status)
    response["X-Robots-Tag"] = "noindex"
    return response


def _too_many(request: HttpRequest) -> HttpResponse:
    return _render_verify(request, status=429, limited=True)


@never_cache
@require_http_methods(["GET", "POST"])
def verify_page(request: HttpRequest) -> HttpResponse:
    """The form; ``?p=`` checks a QR code's payload; ``?number=`` goes to the
    number's page; a POST checks an uploaded PDF."""
    if request.method == "POST":
        pdf_form = forms.PdfForm(request.POST, request.FILES)
        if not pdf_form.is_valid():
            return _render_verify(request, pdf_form=pdf_form, status=400)
        if _over_limit(request):
            return _too_many(request)
        return _render_verify(request, result=_by_pdf(pdf_form.cleaned_data["pdf"]))
    payload = request.GET.get("p")
    if payload is not None:
        if _over_limit(request):
            return _too_many(request)
        return _render_verify(request, result=_by_payload(payload[: 4 * 1024]))
    if "number" in request.GET:
        number_form = forms.NumberForm(request.GET)
        if not number_form.is_valid():
            return _render_verify(request, number_form=number_form, status=400)
        return redirect("certificates:verify_number", number=number_form.cleaned_data["number"])
    return _render_verify(request)


@never_cache
@require_GET
def verify_number(request: HttpRequest, number: str) -> HttpResponse:
    canonical = forms.normalise_number(number)
    if canonical and canonical != number:
        return redirect("certificates:verify_number", number=canonical)
    if _over_limit(request):
        return _too_many(request)
    return _render_verify(
        request,
        result=_by_number(canonical),
        number_form=forms.NumberForm(initial={"number": canonical or number[:40]}),
    )


@require_GET
def from_qr(request: HttpRequest, number: str = "") -> HttpResponse:
    """/verify/?p=… and /verify/<number> without a language (what the QR code and
    the printed text carry): to the page in the reader's language (their choice
    cookie, else Accept-Language), keeping the query."""
    language = translation.get_language_from_request(request)
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    with translation.override(language):
        canonical = forms.normalise_number(number) if number else ""
        if canonical:
            target = reverse("certificates:verify_number", args=[canonical])
        else:
            target = reverse("certificates:verify")
    query = request.META.get("QUERY_STRING", "")
    if query:
        target = f"{target}?{query}"
    response = redirect(target)
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return response


# --------------------------------------------------------------------------- the holder


def _visible(request: HttpRequest, number: str, action: str = VIEW) -> Certificate:
    """The certificate if this user may see it: its holder, or staff allowed
    ``action`` on it on a verified (password + TOTP) session. 404 otherwise."""
    certificate = selectors.by_number(forms.normalise_number(number))
    user = request.user
    if certificate is None or not can(user, action, certificate):
        raise Http404("no such certificate")
    if certificate.holder_id != user.pk and not _verified(user):
        raise Http404("no such certificate")
    return certificate


@never_cache
@login_required
@require_GET
def certificate_pdf(request: HttpRequest, number: str) -> HttpResponse:
    certificate = _visible(request, number)
    if certificate.holder_id != request.user.pk:
        audit.record("certificates.pdf.viewed", actor=request.user, obj=certificate)
    try:
        handle = certificate.pdf.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("the file is missing") from None
    response = FileResponse(
        handle,
        content_type="application/pdf",
        as_attachment=True,
        filename=f"certificate-{certificate.number}.pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def deliverable_link(app: Any, user: Any) -> tuple[str, str, str] | None:
    """The "Download certificate" link on the applicant's page (registered with
    applications.views_mine): once the certificate is issued, for whoever may
    download it."""
    certificate = Certificate.objects.filter(application=app).first()
    if certificate is None:
        return None
    certificate.application = app  # its access scope reads the application's district
    if not can(user, VIEW, certificate):
        return None
    url = reverse("certificates:pdf", args=[certificate.number])
    if certificate.is_revoked:
        return (
            "Download the certificate (revoked)",
            "प्रमाण पत्र डाउनलोड करें (निरस्त)",
            url,
        )
    return ("Download certificate", "प्रमाण पत्र डाउनलोड करें", url)


# --------------------------------------------------------------------------- department pages


def staff_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``staff_required``; a signed-in person with no staff posting is refused
    outright rather than sent to the staff sign-in."""
    checked = staff_required(view)

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not people.is_staff_member(user):
            raise PermissionDenied("no current staff posting")
        return checked(request, *args, **kwargs)

    return wrapped


@staff_page
@require_GET
def manage_list(request: HttpRequest) -> HttpResponse:
    require(request.user, REVOKE)
    form = forms.SearchForm(request.GET or None)
    q, state = "", ""
    if form.is_bound and form.is_valid():
        q, state = form.cleaned_data["q"], form.cleaned_data["state"]
    found = selectors.search(request.user, q=q, state=state)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    certificates = list(page.object_list)
    shown = selectors.public_views(certificates, _language())
    rows = [{"certificate": c, "shown": s} for c, s in zip(certificates, shown, strict=True)]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "certificates/manage/list.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


def _managed(request: HttpRequest, number: str) -> Certificate:
    """A certificate of the officer's department; 404 for any other."""
    certificate = selectors.by_number(forms.normalise_number(number))
    if certificate is None or not can(request.user, REVOKE, certificate):
        raise Http404("no such certificate")
    return certificate


def _render_detail(
    request: HttpRequest, certificate: Certificate, form: forms.RevokeForm | None, status: int = 200
) -> HttpResponse:
    language = _language()
    if form is None and not certificate.is_revoked:
        form = forms.RevokeForm()
    return render(
        request,
        "certificates/manage/detail.html",
        {
            "certificate": certificate,
            "shown": selectors.public_view(certificate, language),
            "form": None if certificate.is_revoked else form,
            "trail": selectors.audit_trail(certificate),
            "verify_url": reverse("certificates:verify_number", args=[certificate.number]),
        },
        status=status,
    )


@staff_page
@require_GET
def manage_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _render_detail(request, _managed(request, number), None)


@staff_page
@require_POST
def manage_revoke(request: HttpRequest, number: str) -> HttpResponse:
    certificate = _managed(request, number)
    form = forms.RevokeForm(request.POST)
    if certificate.is_revoked:
        messages.info(request, _("This certificate was already revoked."))
        return redirect("certificates:manage_detail", number=certificate.number)
    if not form.is_valid():
        return _render_detail(request, certificate, form, status=400)
    try:
        services.revoke(certificate, reason=form.cleaned_data["reason"], actor=request.user)
    except CertificateError as exc:
        certificate.refresh_from_db()
        if certificate.is_revoked:
            messages.info(request, _("This certificate was already revoked."))
            return redirect("certificates:manage_detail", number=certificate.number)
        form.add_error(None, exc.message(_language()))
        return _render_detail(request, certificate, form, status=getattr(exc, "status", 400))
    messages.success(
        request,
        _("Certificate %(number)s is revoked. Anyone who checks it is told so.")
        % {"number": certificate.number},
    )
    return redirect("certificates:manage_detail", number=certificate.number)


# --------------------------------------------------------------------------- keys


def _department(code: str) -> str:
    if not _DEPARTMENT_RE.match(code or ""):
        raise Http404("no such department")
    return code


@staff_page
@require_GET
def keys_page(request: HttpRequest) -> HttpResponse:
    require(request.user, KEYS)
    return render(
        request,
        "certificates/manage/keys.html",
        {"departments": selectors.department_keys(_language())},
    )


@staff_page
@require_http_methods(["GET", "POST"])
def rotate(request: HttpRequest, department: str) -> HttpResponse:
    require(request.user, KEYS)
    row = selectors.one_department_keys(_department(department), _language())
    if row is None:
        raise Http404("no such department")
    current = row.current.key_id if row.current else ""
    status = 200
    if request.method == "POST":
        form = forms.RotateForm(request.POST)
        if form.is_valid():
            if form.cleaned_data["current"] != current:
                messages.info(
                    request,
                    _("The key of %(department)s was changed meanwhile; it is shown below.")
                    % {"department": row.name},
                )
                return redirect(reverse("certificates:keys") + f"#dept-{row.code}")
            try:
                key = services.rotate_key(row.code, actor=request.user)
            except CertificateError as exc:
                form.add_error(None, exc.message(_language()))
                status = 409
            else:
                messages.success(
                    request,
                    _("%(department)s now signs with key %(key)s.")
                    % {"department": row.name, "key": key.key_id},
                )
                return redirect(reverse("certificates:keys") + f"#dept-{row.code}")
        else:
            status = 400
    else:
        form = forms.RotateForm(initial={"current": current})
    return render(
        request, "certificates/manage/rotate.html", {"row": row, "form": form}, status=status
    )


# --------------------------------------------------------------------------- registration


def register() -> None:
    """Called from hooks.register(): the applicant's download link and the staff
    home's links."""
    from django.utils.translation import gettext_lazy

    from ekseva.accounts import workspace
    from ekseva.applications import views_mine

    views_mine.register_deliverable_link(deliverable_link)
    workspace.register(
        workspace.Link(
            "certificates.manage",
            gettext_lazy("Certificates"),
            "certificates:manage_list",
            REVOKE,
            order=35,
            hint=gettext_lazy("Issued certificates of your department; revoke one"),
        ),
        workspace.Link(
            "certificates.keys",
            gettext_lazy("Certificate signing keys"),
            "certificates:keys",
            KEYS,
            order=60,
            hint=gettext_lazy("Each department's key; rotate a key"),
        ),
    )
