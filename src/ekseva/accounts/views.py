"""Sign-in (citizen OTP, staff password + TOTP), sign-out and the citizen profile pages.

Views parse input, call one service, and render; the rules live in ``services``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from ekseva.core import audit
from ekseva.core.middleware import client_ip

from . import selectors, services, workspace
from .decorators import staff_required
from .forms import MobileForm, OtpForm, ProfileForm, StaffSigninForm
from .models import CitizenProfile
from .permissions import require

_PENDING_MOBILE = "accounts.otp_mobile"
_NEXT = "accounts.next"
_MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _language() -> str:
    return "hi" if (get_language() or "en").startswith("hi") else "en"


def _safe_next(request: HttpRequest, value: str | None) -> str | None:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return None


def signin(request: HttpRequest) -> HttpResponse:
    """Step 1: mobile number + captcha; sends the OTP."""
    if request.user.is_authenticated and selectors.is_citizen(request.user):
        return redirect("accounts:profile")
    form = MobileForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        mobile = form.cleaned_data["mobile"]
        try:
            services.request_otp(mobile, services.SIGNIN_PURPOSE, client_ip(request), _language())
        except ValidationError as exc:
            form.add_error("mobile", exc)
        else:
            request.session[_PENDING_MOBILE] = mobile
            request.session[_NEXT] = _safe_next(request, request.GET.get("next"))
            return redirect("accounts:signin_otp")
    return render(request, "accounts/signin.html", {"form": form})


def signin_otp(request: HttpRequest) -> HttpResponse:
    """Step 2: the OTP; signs the citizen in (creating the account the first time)."""
    mobile = request.session.get(_PENDING_MOBILE)
    if not mobile:
        return redirect("accounts:signin")
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.verify_otp(mobile, services.SIGNIN_PURPOSE, form.cleaned_data["code"])
            user = services.sign_in_citizen(mobile, language=_language())
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            next_url = request.session.get(_NEXT)
            login(request, user, backend=_MODEL_BACKEND)  # rotates the session key
            request.session.pop(_PENDING_MOBILE, None)
            request.session.pop(_NEXT, None)
            audit.record("accounts.citizen.signed_in", actor=user, obj=user)
            return redirect(next_url or "accounts:profile")
    return render(
        request,
        "accounts/signin_otp.html",
        {"form": form, "masked_mobile": services.mask_mobile(mobile)},
    )


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit.record("accounts.signed_out", actor=request.user, obj=request.user)
    logout(request)  # flushes the session
    messages.info(request, _("You have signed out."))
    return redirect("web:home")


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    if not selectors.is_citizen(request.user):
        return redirect("accounts:staff_home")
    citizen_profile = services.get_or_create_profile(request.user)
    require(request.user, "profile.view", citizen_profile)
    return render(
        request,
        "accounts/profile.html",
        {"profile": citizen_profile, "subject": request.user, "own": True, "lang": _language()},
    )


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    if not selectors.is_citizen(request.user):
        return redirect("accounts:staff_home")
    citizen_profile = services.get_or_create_profile(request.user)
    require(request.user, "profile.edit", citizen_profile)
    initial = {name: getattr(citizen_profile, name) for name in services.PROFILE_FIELDS}
    initial["district"] = citizen_profile.district_id
    initial["tehsil"] = citizen_profile.tehsil_id
    form = ProfileForm(request.POST or None, initial=initial, language=_language())
    if request.method == "POST" and form.is_valid():
        try:
            services.update_profile(request.user, form.cleaned_data, actor=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("accounts:profile")
    return render(request, "accounts/profile_edit.html", {"form": form, "profile": citizen_profile})


@staff_required
def citizen_profile(request: HttpRequest, user_id: int) -> HttpResponse:
    """A citizen's profile as staff see it (helpdesk, district coordinator, auditor)."""
    subject_profile = get_object_or_404(
        CitizenProfile.objects.select_related("user", "district", "tehsil"), user_id=user_id
    )
    require(request.user, "profile.view", subject_profile)
    audit.record("accounts.profile.viewed", actor=request.user, obj=subject_profile)
    return render(
        request,
        "accounts/profile.html",
        {
            "profile": subject_profile,
            "subject": subject_profile.user,
            "own": False,
            "lang": _language(),
        },
    )


def staff_signin(request: HttpRequest) -> HttpResponse:
    """Username + password + TOTP code, all three on one page."""
    form = StaffSigninForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, device = services.authenticate_staff(
                request, data["username"], data["password"], data["token"]
            )
        except services.SigninError as exc:
            form.add_error(None, exc)
        else:
            login(request, user)  # rotates the session key
            otp_login(request, device)  # marks the session verified
            audit.record("accounts.staff.signed_in", actor=user, obj=user)
            return redirect(_safe_next(request, request.GET.get("next")) or "accounts:staff_home")
    return render(request, "accounts/staff_signin.html", {"form": form})


@staff_required
def staff_home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/staff_home.html",
        {
            "postings": selectors.postings_of(request.user),
            "links": workspace.links_for(request.user),
            "lang": _language(),
        },
    )
