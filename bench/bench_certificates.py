"""What a certificate costs: drawing the bilingual PDF, PAdES-signing it, and the
three checks anyone can make (QR payload, PDF signature), against a floor measured
in the same run: a one-page PDF with one line of text drawn by the same PDF engine.

    python bench/bench_certificates.py [--n 20]     # no database writes but the key

Each figure is the median of 3 rounds of ``n`` operations, in CPU milliseconds
per operation (``time.process_time``: the machine may be shared; the wall time
is printed beside it) and per second on one core, with its ratio to the floor.
"signer rebuilt" is what signing cost before the decrypted key and its signer
were kept per process (certificates.keys' cache, emptied before each signature).
The process's peak resident set is printed. Figures go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from harness import cpu_ms  # noqa: E402


def setup() -> None:
    if not os.environ.get("DATABASE_URL"):
        os.environ["EKSEVA_VAR_DIR"] = tempfile.mkdtemp(prefix="ekseva-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ekseva.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


WALL: list[float] = []


def rounds(fn, n: int, repeat: int = 3) -> float:
    """Median CPU milliseconds per operation (harness.cpu_ms); the wall time is kept in WALL."""
    cpu, wall = cpu_ms(fn, n, repeat)
    WALL.append(wall)
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20)
    args = parser.parse_args()
    setup()

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from ekseva.certificates import keys, pdf, qr
    from ekseva.core.pdf import Document

    key = keys.current_key("BENCH")
    content = pdf.Content(
        number="CMP26BENCH0000001",
        kind="certificate",
        department_en="Revenue Department",
        department_hi="राजस्व विभाग",
        service_en="Income Certificate",
        service_hi="आय प्रमाण पत्र",
        holder_en="Asha Verma",
        holder_hi="आशा वर्मा",
        application_number="MP26LSG0000001C",
        issued_on=dt.date(2026, 6, 15),
        valid_until=None,
        qr_url="https://ekseva.example.in/verify/?p=v1.x.y",
        details=[("District", "ज़िला", "Bhopal", "भोपाल")],
    )
    rendered = pdf.render(content)
    signed = pdf.sign(rendered, key, reason="Issued by Revenue Department")
    cert = keys.asn1_certificate(key)
    payload = qr.sign(
        qr.Fields(
            number=content.number,
            department="BENCH",
            service="lsg-income",
            issued=content.issued_on,
            valid_until=None,
            key_id=key.key_id,
            name_en=content.holder_en,
            name_hi=content.holder_hi,
        ),
        keys.private_key(key),
    )
    public = keys.public_key(key)

    def floor() -> None:
        doc = Document("Floor")
        doc.paragraph("Floor")
        doc.output()

    def draw() -> None:
        pdf.render(content)

    def sign() -> None:
        pdf.sign(rendered, key, reason="Issued by Revenue Department")

    def sign_rebuilt() -> None:
        keys.forget()
        pdf.sign(rendered, key, reason="Issued by Revenue Department")

    def check_pdf() -> None:
        signature = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
        context = ValidationContext(trust_roots=[cert], allow_fetching=False)
        validate_pdf_signature(signature, context)

    def check_qr() -> None:
        qr.check_signature(payload, public)

    results = [("floor: one-line PDF", rounds(floor, args.n))]
    results.append(("draw the bilingual certificate", rounds(draw, args.n)))
    results.append(("PAdES-sign it", rounds(sign, args.n)))
    results.append(("PAdES-sign, signer rebuilt (before)", rounds(sign_rebuilt, args.n)))
    results.append(("check a signed PDF", rounds(check_pdf, args.n)))
    results.append(("check a QR payload offline", rounds(check_qr, args.n * 20)))
    base = results[0][1]
    print(f"certificates, n={args.n}, median of 3 rounds (one core, CPU time)")
    print(f"{'operation':36} {'CPU ms':>9} {'per s':>8} {'x floor':>8} {'wall ms':>9}")
    for (name, ms), wall in zip(results, WALL, strict=True):
        print(f"{name:36} {ms:9.2f} {1000 / ms:8.1f} {ms / base:8.2f} {wall:9.2f}")
    print(f"signed PDF: {len(signed) / 1024:.0f} KB; QR payload: {len(payload)} characters")
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
