"""``ekseva certificates <action>``: the signing keys and a check of a file, by hand.

- ``rotate-key DEPT [--by USERNAME]``: retire the department's current signing
  key and make a new one (certificates already issued keep their key and still
  verify). Whoever runs the command has the server; ``--by`` names the operator
  recorded in the audit log (it must be an active user).
- ``verify FILE.pdf``: check a certificate PDF (the department's PAdES signature,
  the file unchanged since, the certificate not revoked). Exits 1 if it is not
  genuine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ekseva.accounts.models import User
from ekseva.certificates import keys, verify
from ekseva.certificates.models import CertificateError


class Command(BaseCommand):
    help = (
        "Certificates: 'rotate-key DEPT' retires a department's signing key and makes a "
        "new one; 'verify FILE.pdf' checks a certificate PDF's signature and status."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        rotate = sub.add_parser("rotate-key", help="retire a department's key, make a new one")
        rotate.add_argument("department", help="the department's code, e.g. REV")
        rotate.add_argument("--by", default="", help="the operator's username, for the audit log")
        check = sub.add_parser("verify", help="check a certificate PDF")
        check.add_argument("file", help="the PDF file")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "rotate-key":
            self._rotate(options["department"], options["by"])
        else:
            self._verify(Path(options["file"]))

    def _rotate(self, department: str, by: str) -> None:
        actor = None
        if by:
            actor = User.objects.filter(username=by, is_active=True).first()
            if actor is None:
                raise CommandError(f"no active user {by!r}")
        try:
            key = keys.rotate_key(department, actor=actor, system=True)
        except CertificateError as exc:
            raise CommandError(exc.message("en")) from None
        self.stdout.write(f"{key.department_code} now signs with key {key.key_id}")

    def _verify(self, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        verdict = verify.verify_pdf(data)
        certificate = verdict.certificate
        if verdict.ok and certificate is not None:
            self.stdout.write(
                f"genuine: certificate {certificate.number}, issued "
                f"{certificate.fields.get('issued')} by {certificate.department_code} "
                f"(key {certificate.key.key_id})"
            )
            return
        line = f"NOT GENUINE ({verdict.reason}): {verdict.message('en')}"
        if certificate is not None:
            line += f" Certificate {certificate.number}"
            if certificate.is_revoked:
                line += f", revoked {certificate.revoked_at:%d-%m-%Y}: {certificate.revoked_reason}"
        self.stdout.write(line)
        raise SystemExit(1)
