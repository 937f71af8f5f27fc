"""People and their roles.

A ``User`` is anyone who signs in: a citizen (mobile + OTP) or staff (password +
TOTP). What a user may do comes from their ``Posting`` rows: a role, scoped to a
department and/or an administrative unit (and, for kiosk roles, a kiosk), for a
period. ``ekseva.accounts.permissions.can()`` is the one place that answers
"may this user do X to this object".
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ekseva.core import clock

from .scope import Scope


class Role(models.TextChoices):
    CITIZEN = "citizen", _("Citizen")
    KIOSK_OPERATOR = "kiosk_operator", _("Kiosk operator")
    FRANCHISEE = "franchisee", _("Franchisee")
    DEPARTMENT_OFFICER = "department_officer", _("Department officer")
    DESIGNATED_OFFICER = "designated_officer", _("Designated officer")
    APPELLATE_OFFICER = "appellate_officer", _("Appellate officer")
    DISTRICT_COORDINATOR = "district_coordinator", _("District coordinator")
    OPERATOR_STAFF = "operator_staff", _("Operator staff")
    AUDITOR = "auditor", _("Auditor")


STAFF_ROLES = frozenset(Role) - {Role.CITIZEN}


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **extra):
        if not username:
            raise ValueError("username is required")
        user = self.model(username=username, **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_citizen(self, mobile: str, **extra):
        """Citizens are known by their mobile number; they sign in with an OTP."""
        return self.create_user(username=mobile, mobile=mobile, **extra)

    def create_superuser(self, username: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(username, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    # Citizens: the 10-digit mobile. Staff: a login name given by operator staff.
    username = models.CharField(_("username"), max_length=60, unique=True)
    mobile = models.CharField(_("mobile number"), max_length=10, blank=True, db_index=True)
    email = models.EmailField(_("email"), blank=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    preferred_language = models.CharField(
        max_length=2, default="en", choices=[("en", "English"), ("hi", "हिन्दी")]
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)  # may use the Django admin
    date_joined = models.DateTimeField(default=clock.now)

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["mobile"], condition=~Q(mobile=""), name="accounts_unique_mobile"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username


class Posting(models.Model):
    """A role held by a user, scoped to a department / administrative unit / kiosk.

    Department and kiosk are referred to by code: they live in apps above this
    one (catalog, kiosks), and the kernel of identity must not depend on them.
    An empty scope means "all" (e.g. operator staff posted state-wide).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="postings")
    role = models.CharField(max_length=30, choices=Role.choices, db_index=True)
    department_code = models.CharField(max_length=20, blank=True, db_index=True)
    admin_unit = models.ForeignKey(
        "geo.AdminUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="postings"
    )
    kiosk_code = models.CharField(max_length=20, blank=True, db_index=True)
    starts = models.DateField(default=clock.today)
    ends = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [models.Index(fields=["role", "department_code"])]

    def __str__(self) -> str:
        scope = "/".join(
            filter(None, [self.department_code, str(self.admin_unit or ""), self.kiosk_code])
        )
        return f"{self.user} as {self.role}" + (f" @ {scope}" if scope else "")

    def is_current(self) -> bool:
        today = clock.today()
        return self.starts <= today and (self.ends is None or self.ends >= today)


class CitizenProfile(models.Model):
    """What forms prefill from. Aadhaar is never stored in clear."""

    class Gender(models.TextChoices):
        FEMALE = "F", _("Female")
        MALE = "M", _("Male")
        TRANSGENDER = "T", _("Transgender")

    class SocialCategory(models.TextChoices):
        GENERAL = "GEN", _("General")
        EWS = "EWS", _("Economically weaker section")
        OBC = "OBC", _("Other backward class")
        SC = "SC", _("Scheduled caste")
        ST = "ST", _("Scheduled tribe")

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    name_en = models.CharField(_("name (English)"), max_length=150, blank=True)
    name_hi = models.CharField(_("name (Hindi)"), max_length=150, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    social_category = models.CharField(
        _("social category"), max_length=3, choices=SocialCategory.choices, blank=True
    )
    pwd = models.BooleanField(_("person with disability"), default=False)
    guardian_name = models.CharField(_("father's / guardian's name"), max_length=150, blank=True)
    address_line = models.CharField(_("address"), max_length=250, blank=True)
    district = models.ForeignKey(
        "geo.AdminUnit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("district"),
    )
    tehsil = models.ForeignKey(
        "geo.AdminUnit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("tehsil"),
    )
    pincode = models.CharField(_("PIN code"), max_length=6, blank=True)
    aadhaar_token = models.CharField(max_length=64, blank=True, db_index=True)
    aadhaar_last4 = models.CharField(max_length=4, blank=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            # One Aadhaar number belongs to one person's profile.
            models.UniqueConstraint(
                fields=["aadhaar_token"],
                condition=~Q(aadhaar_token=""),
                name="accounts_unique_aadhaar",
            ),
        ]

    def __str__(self) -> str:
        return f"profile of {self.user}"

    def access_scope(self) -> Scope:
        return Scope(admin_unit=self.district_id, owner_user_id=self.user_id)

    @property
    def aadhaar_masked(self) -> str:
        return f"XXXX XXXX {self.aadhaar_last4}" if self.aadhaar_last4 else ""


class OtpChallenge(models.Model):
    """One one-time password sent to a mobile for a purpose ("signin", "kiosk_consent", ...).

    The code is kept only as an HMAC; rows are also the rate-limit ledger (counted
    per mobile and per IP over the last hour), so limits hold across processes.
    """

    mobile = models.CharField(max_length=10)
    purpose = models.CharField(max_length=30)
    salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    # Set when too many wrong codes were tried or a newer challenge replaced this one.
    burnt_at = models.DateTimeField(null=True, blank=True)
    requester_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["mobile", "purpose", "created_at"]),
            models.Index(fields=["mobile", "created_at"]),
            models.Index(fields=["requester_ip", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"OTP for {self.mobile[:2]}XXXXXX{self.mobile[-2:]} ({self.purpose})"
