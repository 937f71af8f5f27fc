"""Bench 5: fee receipts (bilingual PDFs) per second on one core, against floors
measured in the same run, in the same process.

    python bench/bench_receipts.py [--n 40] [--fresh]

The receipts are real ones: ``applications.receipts.receipt_pdf`` of paid
applications of the demo data (a kiosk walk-in paid from the kiosk's wallet,
whose receipt carries the kiosk's official-charges QR code, and a citizen's own
online application when the demo has one), in English and in Hindi. The first
run makes its own SQLite database under var/bench/receipts/ (migrate + ``ekseva
demo``, about a minute); later runs reuse it (``--fresh`` remakes it). With
$DATABASE_URL set it reads that database instead (it must hold the demo data).

One process is one core: each figure is the median of 3 rounds of ``n``
documents, in CPU ms per document (``time.process_time``: the machine is
shared; the wall time is printed beside it) and documents per second of CPU,
with its ratio to:

- floor A, the library's limit: fpdf2 writing a one-page PDF with one line in a
  built-in font (Helvetica: nothing to embed, nothing to shape);
- floor B: the one-line PDF of ``core.pdf.Document`` (Noto fonts, Latin and
  Devanagari, shaped by HarfBuzz, subset and embedded): the engine's own cost;
- and, for reference, "one-line PDF, fonts loaded per document": what floor B
  cost before the fonts were cached (fpdf2's add_font and fontTools' subsetter
  for every document, as ``core.pdf`` did before issue 8).

Peak memory: the process's peak resident set (ru_maxrss). Figures are saved in
var/bench/receipts.json.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from harness import cpu_ms  # noqa: E402

RESULTS = ROOT / "var" / "bench"
VAR = RESULTS / "receipts"


def setup(fresh: bool) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ekseva.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    ready = VAR / "ready"
    own_database = not os.environ.get("DATABASE_URL")
    if own_database:
        if fresh:
            ready.unlink(missing_ok=True)
            (VAR / "ekseva.sqlite3").unlink(missing_ok=True)
        VAR.mkdir(parents=True, exist_ok=True)
        os.environ["EKSEVA_VAR_DIR"] = str(VAR)
    import django

    django.setup()
    if own_database and not ready.exists():
        from django.core.management import call_command

        started = time.perf_counter()
        print("[receipts] preparing var/bench/receipts: migrate + demo data ...", flush=True)
        call_command("migrate", verbosity=0, interactive=False)
        with open(os.devnull, "w") as quiet:
            call_command("demo", stdout=quiet)
        ready.write_text(time.strftime("%Y-%m-%d %H:%M:%S"))
        print(f"[receipts] prepared in {time.perf_counter() - started:.0f} s", flush=True)


WALL: list[float] = []  # wall-clock ms per operation of each row, for the JSON


def rounds(fn, n: int, repeat: int = 3) -> float:
    """Median CPU milliseconds per operation (harness.cpu_ms); the wall time is kept in WALL."""
    cpu, wall = cpu_ms(fn, n, repeat)
    WALL.append(wall)
    return cpu


def peak_mb() -> float:
    """The process's peak resident set (VmHWM; ru_maxrss where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> None:
    """Start the peak over (Linux: 5 > /proc/self/clear_refs), so that making the
    demo data on a first run is not counted."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def pick_applications():
    """A paid kiosk walk-in and, if there is one, a paid online application."""
    from ekseva.applications import receipts
    from ekseva.applications.models import Application, Channel

    found = {}
    paid = (
        Application.objects.select_related("service__department", "version", "applicant")
        .filter(paid_at__isnull=False)
        .exclude(number="")
        .order_by("pk")
    )
    for channel in (Channel.KIOSK, Channel.ONLINE):
        for app in paid.filter(channel=channel)[:20]:
            if receipts.receipt_payment(app) is not None:
                found[str(channel)] = app
                break
    if not found:
        raise SystemExit("no paid application in the database: run `ekseva demo` first")
    return found


def check(data: bytes, app, language: str) -> None:
    """The receipt reads back: the number, and the Hindi label in the Hindi one."""
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    squeezed = "".join(text.split())
    assert app.number in squeezed, "the application number is not in the receipt"
    if language == "hi":
        assert "रसीद" in squeezed, "the Hindi receipt has no रसीद"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=40, help="documents per round (3 rounds)")
    parser.add_argument("--fresh", action="store_true", help="remake the SQLite database")
    args = parser.parse_args()
    setup(args.fresh)
    reset_peak()
    started_mb = peak_mb()

    from django.conf import settings
    from django.urls import reverse
    from django.utils import translation
    from fpdf import FPDF

    from ekseva.applications import receipts
    from ekseva.core import pdf as core_pdf
    from ekseva.core.pdf import Document

    apps = pick_applications()

    def track_url(app, language: str) -> str:
        with translation.override(language):
            return f"{settings.PUBLIC_BASE_URL}{reverse('applications:track')}?number={app.number}"

    def floor_core_font() -> None:
        pdf = FPDF(unit="mm", format="A4")
        pdf.add_page()
        pdf.set_font("Helvetica", size=10)
        pdf.cell(0, 6, "Floor")
        pdf.output()

    def floor_document() -> None:
        doc = Document("Floor")
        doc.paragraph("Floor")
        doc.output()

    def one_line_fonts_per_document() -> None:
        # What core.pdf.Document did before the cache: every font read again with
        # fpdf2's add_font, subset with fontTools at output.
        pdf = FPDF(unit="mm", format="A4")
        for (family, style), name in core_pdf.FONT_FILES.items():
            pdf.add_font(family, style, str(core_pdf.FONT_DIR / name))
        pdf.set_fallback_fonts([core_pdf.DEVANAGARI], exact_match=False)
        pdf.set_text_shaping(True)
        pdf.add_page()
        pdf.set_font(core_pdf.LATIN, "B", 12)
        pdf.cell(0, 6, f"{settings.EKSEVA_PORTAL_NAME} · {settings.EKSEVA_PORTAL_NAME_HI}")
        pdf.ln()
        pdf.set_font(core_pdf.LATIN, "", 8)
        pdf.cell(0, 6, f"{settings.EKSEVA_STATE_NAME} · {settings.EKSEVA_STATE_NAME_HI}")
        pdf.ln()
        pdf.set_font(core_pdf.LATIN, "", 10)
        pdf.cell(0, 6, "Floor")
        pdf.output()

    rows: list[tuple[str, float]] = [
        ("floor A: fpdf2, Helvetica, one line", rounds(floor_core_font, args.n * 5)),
        ("floor B: Document, Noto, one line", rounds(floor_document, args.n)),
        (
            "(before) one line, fonts per document",
            rounds(one_line_fonts_per_document, max(args.n // 4, 5)),
        ),
    ]
    sizes = {}
    for channel, app in apps.items():
        urls = {lang: track_url(app, lang) for lang in ("en", "hi")}
        for language in ("en", "hi"):
            data = receipts.receipt_pdf(app, language=language, track_url=urls[language])
            check(data, app, language)
            sizes[f"{channel} {language}"] = len(data)

        def both(app=app, urls=urls) -> None:
            # As for a new application each time: no QR code kept from the last one.
            receipts._qr_image.cache_clear()
            receipts.receipt_pdf(app, language="en", track_url=urls["en"])
            receipts._qr_image.cache_clear()
            receipts.receipt_pdf(app, language="en", track_url=urls["en"])
            receipts.receipt_pdf(app, language="hi", track_url=urls["hi"])

        ms = rounds(both, args.n // 2) / 2
        rows.append((f"receipt, {channel} (en + hi)", ms))

    floor_a, floor_b = rows[0][1], rows[1][1]
    print()
    print(f"== receipts: one process = one core, n={args.n}, median of 3 rounds")
    print(f"{'':40} {'CPU ms':>8} {'per s':>8} {'x floor A':>10} {'x floor B':>10} {'wall ms':>8}")
    for (name, ms), wall in zip(rows, WALL, strict=True):
        print(
            f"{name[:40]:40} {ms:8.2f} {1000 / ms:8.1f} {ms / floor_a:10.1f} "
            f"{ms / floor_b:10.2f} {wall:8.2f}"
        )
    print("(CPU ms per document on one core; per s = 1000 / CPU ms; x floor = times the")
    print(" floor's cost; wall ms counts the time other processes held the core)")
    print("receipt sizes: " + ", ".join(f"{k} {v / 1024:.0f} KB" for k, v in sizes.items()))
    print(f"peak RSS of this process: {peak_mb():.0f} MB (after Django setup {started_mb:.0f} MB)")
    result = {
        "bench": "receipts",
        "at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "n": args.n,
        "rows": {
            name: {
                "cpu_ms_per_doc": round(ms, 3),
                "wall_ms_per_doc": round(wall, 3),
                "per_second": round(1000 / ms, 1),
                "x_floor_a": round(ms / floor_a, 2),
                "x_floor_b": round(ms / floor_b, 3),
            }
            for (name, ms), wall in zip(rows, WALL, strict=True)
        },
        "sizes_bytes": sizes,
        "peak_rss_mb": round(peak_mb(), 1),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "receipts.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
