"""``ekseva accounts totp-code USERNAME`` and ``ekseva accounts create-staff ...``."""

from __future__ import annotations

import secrets
import time
from base64 import b32encode

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django_otp.oath import TOTP

from ekseva.accounts import services
from ekseva.accounts.models import STAFF_ROLES, User
from ekseva.geo.models import AdminUnit


def find_unit(value: str) -> AdminUnit:
    """An administrative unit by our code, LGD code or English name (districts first)."""
    units = AdminUnit.objects.filter(
        Q(code=value) | Q(lgd_code=value) | Q(name_en__iexact=value)
    ).order_by("kind")
    districts = [u for u in units if u.kind == AdminUnit.Kind.DISTRICT]
    found = districts or list(units)
    if len(found) != 1:
        raise CommandError(f"no single administrative unit matches {value!r} ({len(found)} found)")
    return found[0]


def current_code(device) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


class Command(BaseCommand):
    help = "Staff accounts: print a TOTP code (demo), create a staff account."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        code = sub.add_parser("totp-code", help="print the current TOTP code of a staff user")
        code.add_argument("username")
        create = sub.add_parser("create-staff", help="create a staff user with a posting")
        create.add_argument("username")
        create.add_argument("--role", required=True, choices=sorted(STAFF_ROLES))
        create.add_argument("--department", default="", help="department code, e.g. REV")
        create.add_argument(
            "--district",
            default="",
            help="district (or other unit): code, LGD code or English name",
        )
        create.add_argument("--kiosk", default="", help="kiosk code (kiosk roles)")
        create.add_argument("--full-name", default="")
        create.add_argument("--password", default="", help="default: a random one, printed once")

    def handle(self, *args, action, **options):
        if action == "totp-code":
            self._totp_code(options["username"])
        else:
            self._create_staff(options)

    def _totp_code(self, username: str) -> None:
        user = User.objects.filter(username=username).first()
        device = services.confirmed_device(user) if user else None
        if device is None:
            raise CommandError(f"{username!r} has no confirmed TOTP device")
        self.stdout.write(current_code(device))

    def _create_staff(self, options) -> None:
        unit = find_unit(options["district"]) if options["district"] else None
        password = options["password"] or secrets.token_urlsafe(12)
        try:
            user, device = services.create_staff(
                username=options["username"],
                role=options["role"],
                password=password,
                department_code=options["department"],
                admin_unit=unit,
                kiosk_code=options["kiosk"],
                full_name=options["full_name"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(f"created {user.username} ({options['role']})")
        if not options["password"]:
            self.stdout.write(f"password: {password}")
        self.stdout.write(f"TOTP secret (base32): {b32encode(device.bin_key).decode()}")
        self.stdout.write(f"otpauth URI: {device.config_url}")
