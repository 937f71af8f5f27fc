"""Every change to people and their sign-in state.

- ``update_profile(user, data, actor)``: validate and save a citizen's profile
  (Aadhaar kept only as an HMAC token + last four digits).
- ``request_otp(mobile, purpose, ip, language)`` / ``verify_otp(mobile, purpose, code)``:
  one-time passwords by SMS, hashed at rest, rate-limited per mobile and per IP.
- ``sign_in_citizen(mobile)``: the citizen account behind a verified mobile.
- ``authenticate_staff(request, username, password, token)``: password (through
  django-axes, which locks out repeated failures) and then a TOTP code.
- ``create_staff(...)``: a staff account with its first posting and TOTP device.

Errors meant for people are ``ValidationError``s with translated messages, keyed
by form field where one applies.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.in_ import aadhaar as stdnum_aadhaar

from ekseva.core import audit, clock
from ekseva.geo import selectors as geo_selectors
from ekseva.geo.models import AdminUnit, PostOffice
from ekseva.notifications.services import normalise_mobile
from ekseva.notifications.services import queue as queue_message

from . import selectors
from .models import STAFF_ROLES, CitizenProfile, OtpChallenge, Posting, Role, User
from .permissions import require

OTP_TEMPLATE = "accounts.otp"
SIGNIN_PURPOSE = "signin"
_PURPOSE_RE = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
_USERNAME_RE = re.compile(r"^[a-z][a-z0-9._-]{2,59}$")
_NAME_EN_RE = re.compile(r"^[A-Za-z][A-Za-z .'\-]*$")
# Devanagari block, plus the zero-width (non-)joiners used in conjuncts.
_NAME_HI_RE = re.compile(r"^[\u0900-\u097F][\u0900-\u097F .\u200c\u200d]*$")
_GUARDIAN_RE = re.compile(r"^[A-Za-z\u0900-\u097F][A-Za-z\u0900-\u097F .'\-\u200c\u200d]*$")
MAX_AGE_YEARS = 120


class RateLimitedError(ValidationError):
    """Too many OTPs for this mobile or from this address in the last hour."""


class OtpError(ValidationError):
    """The OTP cannot be accepted (wrong, expired, used, or too many tries)."""


class SigninError(ValidationError):
    """Sign-in refused; ``code`` says why ("bad_credentials", "locked", "no_device", ...)."""


# --- Aadhaar ------------------------------------------------------------------------------


def aadhaar_token(number: str) -> str:
    """The HMAC-SHA256 of a (valid, compact) Aadhaar number under AADHAAR_HMAC_KEY.

    Equal numbers give equal tokens, so duplicates can be found without keeping
    the number; without the key the token cannot be reversed by trying all 10^11."""
    key = str(settings.AADHAAR_HMAC_KEY).encode()
    return hmac.new(key, stdnum_aadhaar.compact(number).encode(), hashlib.sha256).hexdigest()


def clean_aadhaar(number: str) -> str:
    """The compact 12 digits, or a ValidationError for people (length, format, Verhoeff)."""
    try:
        return stdnum_aadhaar.validate(number)
    except StdnumError:
        raise ValidationError(
            _("Enter a valid 12-digit Aadhaar number."), code="invalid_aadhaar"
        ) from None


# --- profile --------------------------------------------------------------------------------

PROFILE_FIELDS = (
    "name_en",
    "name_hi",
    "date_of_birth",
    "gender",
    "social_category",
    "pwd",
    "guardian_name",
    "address_line",
    "district",
    "tehsil",
    "pincode",
)


def _snapshot(profile: CitizenProfile) -> dict[str, Any]:
    """What the audit log keeps of a profile: never the Aadhaar number, only its mask."""
    data: dict[str, Any] = {}
    for name in PROFILE_FIELDS:
        if name in ("district", "tehsil"):
            data[f"{name}_id"] = getattr(profile, f"{name}_id")
        else:
            data[name] = getattr(profile, name)
    data["aadhaar"] = profile.aadhaar_masked
    return data


def _unit(value: AdminUnit | int | str | None, kind: str) -> AdminUnit | None:
    if value in (None, ""):
        return None
    unit = value if isinstance(value, AdminUnit) else AdminUnit.objects.filter(pk=value).first()
    if unit is None or unit.kind != kind or not unit.active:
        return None
    return unit


def _age_on(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _collapse(value: Any) -> str:
    return " ".join(str(value or "").split())


def validate_profile(data: dict[str, Any], profile: CitizenProfile) -> dict[str, Any]:
    """Check a profile change; returns clean values or raises ValidationError({field: ...})."""
    errors: dict[str, list[ValidationError]] = {}
    clean: dict[str, Any] = {}

    def err(field: str, message, code: str, **params: Any) -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code, params=params))

    name_en = _collapse(data.get("name_en"))
    if not name_en:
        err("name_en", _("Enter your name as written in English letters."), "required")
    elif not _NAME_EN_RE.match(name_en) or len(name_en) > 150:
        err(
            "name_en",
            _("Use English letters, spaces, dots, hyphens or apostrophes only."),
            "invalid_name",
        )
    clean["name_en"] = name_en

    name_hi = _collapse(data.get("name_hi"))
    if name_hi and (not _NAME_HI_RE.match(name_hi) or len(name_hi) > 150):
        err("name_hi", _("Write the Hindi name in Devanagari script."), "not_devanagari")
    clean["name_hi"] = name_hi

    guardian = _collapse(data.get("guardian_name"))
    if guardian and (not _GUARDIAN_RE.match(guardian) or len(guardian) > 150):
        err(
            "guardian_name",
            _("Use letters (English or Devanagari) and spaces only."),
            "invalid_name",
        )
    clean["guardian_name"] = guardian

    birth = data.get("date_of_birth")
    today = clock.today()
    if not birth:
        err("date_of_birth", _("Enter your date of birth."), "required")
    elif not isinstance(birth, dt.date):
        err("date_of_birth", _("Enter a valid date."), "invalid")
    elif birth > today:
        err("date_of_birth", _("The date of birth cannot be in the future."), "future")
    elif _age_on(birth, today) > MAX_AGE_YEARS:
        err(
            "date_of_birth",
            _("Check the year: that would make you older than %(max)s years."),
            "too_old",
            max=MAX_AGE_YEARS,
        )
    clean["date_of_birth"] = birth if not errors.get("date_of_birth") else None

    gender = data.get("gender") or ""
    if gender not in CitizenProfile.Gender.values:
        err("gender", _("Choose your gender."), "invalid_choice")
    clean["gender"] = gender

    category = data.get("social_category") or ""
    if category and category not in CitizenProfile.SocialCategory.values:
        err("social_category", _("Choose a category from the list."), "invalid_choice")
    clean["social_category"] = category

    clean["pwd"] = bool(data.get("pwd"))
    address = _collapse(data.get("address_line"))
    if len(address) > 250:
        err("address_line", _("The address is too long (at most 250 characters)."), "too_long")
    clean["address_line"] = address

    district = _unit(data.get("district"), AdminUnit.Kind.DISTRICT)
    if data.get("district") not in (None, "") and district is None:
        err("district", _("Choose a district from the list."), "invalid_choice")
    tehsil = _unit(data.get("tehsil"), AdminUnit.Kind.TEHSIL)
    if data.get("tehsil") not in (None, "") and tehsil is None:
        err("tehsil", _("Choose a tehsil from the list."), "invalid_choice")
    elif tehsil is not None and (district is None or tehsil.parent_id != district.pk):
        err("tehsil", _("This tehsil is not in the chosen district."), "wrong_district")
    clean["district"], clean["tehsil"] = district, tehsil

    pincode = re.sub(r"\s", "", str(data.get("pincode") or ""))
    if pincode:
        if not geo_selectors.is_pincode(pincode):
            err("pincode", _("A PIN code has 6 digits and does not start with 0."), "invalid_pin")
        elif district is not None:
            districts = set(
                PostOffice.objects.filter(pincode=pincode).values_list("district_id", flat=True)
            )
            if districts and district.pk not in districts:
                err(
                    "pincode",
                    _("PIN code %(pin)s is not in %(district)s district."),
                    "pin_outside_district",
                    pin=pincode,
                    district=district.name_en,
                )
    clean["pincode"] = pincode

    raw_aadhaar = str(data.get("aadhaar") or "").strip()
    clean["aadhaar"] = ""
    if raw_aadhaar:
        try:
            number = clean_aadhaar(raw_aadhaar)
        except ValidationError as exc:
            errors.setdefault("aadhaar", []).append(exc)
        else:
            token = aadhaar_token(number)
            taken = CitizenProfile.objects.filter(aadhaar_token=token).exclude(pk=profile.pk)
            if taken.exists():
                err(
                    "aadhaar",
                    _("This Aadhaar number is already linked to another account."),
                    "aadhaar_taken",
                )
            clean["aadhaar"] = number

    if errors:
        raise ValidationError(errors)
    return clean


def get_or_create_profile(user: User) -> CitizenProfile:
    profile, _created = CitizenProfile.objects.get_or_create(user=user)
    return profile


def update_profile(user: User, data: dict[str, Any], actor: User) -> CitizenProfile:
    """Validate ``data`` and save it as ``user``'s profile, if ``actor`` may edit it.

    ``data`` holds the profile fields (``district``/``tehsil`` as units or ids) and
    optionally ``aadhaar``: a new number to link (blank keeps the linked one)."""
    with transaction.atomic():
        get_or_create_profile(user)
        profile = CitizenProfile.objects.select_for_update().get(user=user)
        require(actor, "profile.edit", profile)
        clean = validate_profile(data, profile)
        before = _snapshot(profile)
        number = clean.pop("aadhaar")
        for name, value in clean.items():
            setattr(profile, name, value)
        if number:
            profile.aadhaar_token = aadhaar_token(number)
            profile.aadhaar_last4 = number[-4:]
        profile.updated_at = clock.now()
        try:
            with transaction.atomic():
                profile.save()
        except IntegrityError:  # another profile linked the same Aadhaar meanwhile
            raise ValidationError(
                {
                    "aadhaar": ValidationError(
                        _("This Aadhaar number is already linked to another account."),
                        code="aadhaar_taken",
                    )
                }
            ) from None
        if user.full_name != profile.name_en:
            user.full_name = profile.name_en
            user.save(update_fields=["full_name"])
        audit.record(
            "accounts.profile.updated",
            actor=actor,
            obj=profile,
            before=before,
            after=_snapshot(profile),
        )
    return profile


# --- OTP ----------------------------------------------------------------------------------


def _otp_hash(salt: str, mobile: str, purpose: str, code: str) -> str:
    message = f"{salt}:{mobile}:{purpose}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _advisory_lock(*keys: str) -> None:
    """Serialise OTP issuing per mobile / IP on PostgreSQL (SQLite serialises writers)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for key in sorted(set(keys)):
            digest = hashlib.sha256(f"ekseva.otp:{key}".encode()).digest()
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest[:8], "big", signed=True)]
            )


def _wait_minutes(oldest: dt.datetime, now: dt.datetime) -> int:
    left = oldest + dt.timedelta(hours=1) - now
    return max(1, -(-int(left.total_seconds()) // 60))


def _rate_error(qs, now: dt.datetime, message) -> RateLimitedError:
    oldest = qs.order_by("created_at").values_list("created_at", flat=True).first() or now
    minutes = _wait_minutes(oldest, now)
    return RateLimitedError(message, code="rate_limited", params={"minutes": minutes})


def mask_mobile(mobile: str) -> str:
    return "******" + mobile[-4:] if mobile else ""


def request_otp(
    mobile: str,
    purpose: str,
    ip: str | None,
    language: str = "en",
    *,
    template: str = OTP_TEMPLATE,
    params: dict[str, Any] | None = None,
) -> OtpChallenge:
    """Send a fresh OTP to ``mobile`` for ``purpose``; older open ones for the same
    purpose stop working. ``template`` is the SMS text (params ``code``, ``minutes``
    and any extra ``params``), so another purpose (a kiosk's consent) can say what
    the code is for and who asks.

    Raises RateLimitedError past OTP_RATE_PER_MOBILE / OTP_RATE_PER_IP in the last
    hour, counted from the table (so the limits hold across processes)."""
    mobile = normalise_mobile(mobile)
    if not _PURPOSE_RE.match(purpose):
        raise ValueError(f"OTP purpose {purpose!r} must be a short lower-case word")
    length = int(getattr(settings, "OTP_LENGTH", 6))
    with transaction.atomic():
        _advisory_lock(f"m:{mobile}", *([f"ip:{ip}"] if ip else []))
        now = clock.now()
        since = now - dt.timedelta(hours=1)
        by_mobile = OtpChallenge.objects.filter(mobile=mobile, created_at__gt=since)
        if by_mobile.count() >= settings.OTP_RATE_PER_MOBILE:
            raise _rate_error(
                by_mobile,
                now,
                ngettext_lazy(
                    "Too many OTPs were sent to this number. Try again in %(minutes)d minute.",
                    "Too many OTPs were sent to this number. Try again in %(minutes)d minutes.",
                    "minutes",
                ),
            )
        if ip:
            by_ip = OtpChallenge.objects.filter(requester_ip=ip, created_at__gt=since)
            if by_ip.count() >= settings.OTP_RATE_PER_IP:
                raise _rate_error(
                    by_ip,
                    now,
                    ngettext_lazy(
                        "Too many OTP requests from your network. Try again in %(minutes)d minute.",
                        "Too many OTP requests from your network. Try again in %(minutes)d minutes.",  # noqa: E501
                        "minutes",
                    ),
                )
        OtpChallenge.objects.filter(
            mobile=mobile, purpose=purpose, used_at__isnull=True, burnt_at__isnull=True
        ).update(burnt_at=now)
        code = f"{secrets.randbelow(10**length):0{length}d}"
        salt = secrets.token_hex(16)
        challenge = OtpChallenge.objects.create(
            mobile=mobile,
            purpose=purpose,
            salt=salt,
            code_hash=_otp_hash(salt, mobile, purpose, code),
            created_at=now,
            expires_at=now + dt.timedelta(seconds=settings.OTP_TTL_SECONDS),
            requester_ip=ip or None,
        )
        queue_message(
            channel="sms",
            template=template,
            recipient=mobile,
            params={
                **(params or {}),
                "code": code,
                "minutes": max(1, settings.OTP_TTL_SECONDS // 60),
            },
            language=language if language in ("en", "hi") else "en",
            dedupe_key=f"accounts.otp:{challenge.pk}",
        )
        audit.record(
            "accounts.otp.requested",
            obj=challenge,
            after={"mobile": mask_mobile(mobile), "purpose": purpose},
        )
    return challenge


def verify_otp(mobile: str, purpose: str, code: str) -> OtpChallenge:
    """Accept ``code`` once for the newest open challenge, or raise OtpError.

    Every wrong try is counted (committed even though we raise); after
    OTP_MAX_ATTEMPTS the challenge is burnt and a new OTP must be requested."""
    try:
        mobile = normalise_mobile(mobile)
    except ValidationError:
        raise OtpError(
            _("No OTP is waiting for this number. Request a new one."), code="no_challenge"
        ) from None
    code = re.sub(r"\s", "", str(code or ""))
    failure: OtpError | None = None
    with transaction.atomic():
        now = clock.now()
        challenge = (
            OtpChallenge.objects.select_for_update()
            .filter(mobile=mobile, purpose=purpose, used_at__isnull=True, burnt_at__isnull=True)
            .order_by("-created_at", "-pk")
            .first()
        )
        if challenge is None:
            failure = OtpError(
                _("No OTP is waiting for this number. Request a new one."), code="no_challenge"
            )
        elif challenge.expires_at <= now:
            failure = OtpError(_("This OTP has expired. Request a new one."), code="expired")
        else:
            challenge.attempts += 1
            expected = challenge.code_hash
            given = _otp_hash(challenge.salt, mobile, purpose, code)
            if hmac.compare_digest(expected, given):
                challenge.used_at = now
                challenge.save(update_fields=["attempts", "used_at"])
                audit.record(
                    "accounts.otp.verified",
                    obj=challenge,
                    after={"mobile": mask_mobile(mobile), "purpose": purpose},
                )
            else:
                left = settings.OTP_MAX_ATTEMPTS - challenge.attempts
                if left <= 0:
                    challenge.burnt_at = now
                    failure = OtpError(
                        _("Too many wrong tries. This OTP no longer works; request a new one."),
                        code="burnt",
                    )
                else:
                    failure = OtpError(
                        ngettext_lazy(
                            "The OTP is not correct. %(left)d try left.",
                            "The OTP is not correct. %(left)d tries left.",
                            "left",
                        ),
                        code="wrong",
                        params={"left": left},
                    )
                challenge.save(update_fields=["attempts", "burnt_at"])
    if failure is not None:
        raise failure
    return challenge


# --- citizen sign-in ---------------------------------------------------------------------


def sign_in_citizen(mobile: str, language: str = "en") -> User:
    """The citizen account for a mobile that has just passed an OTP; created on first
    sign-in. Staff accounts never sign in this way, even if they carry the number."""
    mobile = normalise_mobile(mobile)
    user = User.objects.filter(mobile=mobile).first()
    if user is None:
        try:
            with transaction.atomic():
                user = User.objects.create_citizen(
                    mobile, preferred_language=language if language in ("en", "hi") else "en"
                )
                CitizenProfile.objects.create(user=user)
                audit.record(
                    "accounts.citizen.registered",
                    actor=user,
                    obj=user,
                    after={"mobile": mask_mobile(mobile)},
                )
        except IntegrityError:  # the same citizen signing in twice at once
            user = User.objects.filter(mobile=mobile).first()
            if user is None:
                raise SigninError(
                    _("This number cannot be used to sign in here."), code="taken"
                ) from None
    if not user.is_active or selectors.has_staff_history(user):
        raise SigninError(_("This number cannot be used to sign in here."), code="not_citizen")
    return user


# --- staff sign-in -------------------------------------------------------------------------


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def authenticate_staff(
    request: HttpRequest, username: str, password: str, token: str
) -> tuple[User, TOTPDevice]:
    """Check password (django-axes counts failures and locks out) and TOTP code.

    A wrong TOTP code counts as a failed sign-in for django-axes too, so the code
    cannot be guessed once the password is known."""
    user = authenticate(request=request, username=username, password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            raise SigninError(
                _("Too many failed sign-ins. This account is locked for a while."), code="locked"
            )
        raise SigninError(_("The username or password is not correct."), code="bad_credentials")
    if not selectors.is_staff_member(user):
        raise SigninError(_("This account has no current staff posting."), code="not_staff")
    device = confirmed_device(user)
    if device is None:
        raise SigninError(
            _("No authenticator app is set up for this account. Ask operator staff to set one up."),
            code="no_device",
        )
    if verify_token(user, device.persistent_id, re.sub(r"\s", "", token or "")) is None:
        user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
        if getattr(request, "axes_locked_out", False):
            raise SigninError(
                _("Too many failed sign-ins. This account is locked for a while."), code="locked"
            )
        raise SigninError(
            _("The code from the authenticator app is not correct."), code="bad_token"
        )
    return user, device


# --- staff accounts ------------------------------------------------------------------------


def create_staff(
    *,
    username: str,
    role: str,
    password: str | None,
    department_code: str = "",
    admin_unit: AdminUnit | None = None,
    kiosk_code: str = "",
    full_name: str = "",
    totp_key: str | None = None,
    actor: User | None = None,
) -> tuple[User, TOTPDevice]:
    """A staff account with one posting and a confirmed TOTP device.

    ``actor`` None means the system (the console); a person must be operator staff.
    ``password`` None makes a login nobody can sign in to until a password is set
    (a kiosk login, activated by its holder)."""
    if actor is not None:
        require(actor, "staff.manage")
    if role not in STAFF_ROLES:
        raise ValidationError({"role": _("Choose a staff role.")})
    if not _USERNAME_RE.match(username):
        raise ValidationError(
            {
                "username": _(
                    "A username is 3-60 lower-case letters, digits, dots, hyphens or underscores, "
                    "starting with a letter."
                )
            }
        )
    if password is not None:
        validate_password(password)
    if role in (Role.OPERATOR_STAFF, Role.AUDITOR):
        pass  # state-wide
    elif role in (Role.KIOSK_OPERATOR, Role.FRANCHISEE) and not kiosk_code:
        raise ValidationError({"kiosk_code": _("A kiosk role needs a kiosk code.")})
    elif (
        role in (Role.DEPARTMENT_OFFICER, Role.DESIGNATED_OFFICER, Role.APPELLATE_OFFICER)
        and not department_code
    ):
        raise ValidationError({"department_code": _("A department role needs a department.")})
    elif role == Role.DISTRICT_COORDINATOR and admin_unit is None:
        raise ValidationError({"admin_unit": _("A district coordinator needs a district.")})
    with transaction.atomic():
        if User.objects.filter(Q(username=username) | Q(mobile=username)).exists():
            raise ValidationError({"username": _("This username is taken.")})
        user = User.objects.create_user(username, password, full_name=full_name)
        posting = Posting.objects.create(
            user=user,
            role=role,
            department_code=department_code.upper(),
            admin_unit=admin_unit,
            kiosk_code=kiosk_code.upper(),
        )
        device = TOTPDevice(user=user, name="authenticator", confirmed=True)
        if totp_key:
            device.key = totp_key
        device.save()
        audit.record(
            "accounts.staff.created",
            actor=actor,
            obj=user,
            after={
                "username": username,
                "role": role,
                "department_code": posting.department_code,
                "admin_unit_id": posting.admin_unit_id,
                "kiosk_code": posting.kiosk_code,
            },
        )
    return user, device
