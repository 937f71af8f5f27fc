"""The certificate PDF: one A4 page in English and Hindi side by side, with the
QR code, then a PAdES signature by the issuing department (pyHanko).

    content = Content(...)                      # what the certificate says
    rendered = render(content)                  # core.pdf.Document (Noto fonts)
    signed = sign(rendered, key, reason="Issued by …", signer_name="…")

The page: the state government and the department (with a seal), the title
("<service> — Certificate"), the number, the holder, the application, a few of
the application's answers worth printing, the issue date and validity, a line
that certifies it in both languages, the QR code (the signed payload, see
``qr.py``) and "Verify at <PUBLIC_BASE_URL>/verify/<number>".

The signature: ``/SubFilter /ETSI.CAdES.detached`` (PAdES baseline B-B), in a
visible field beside the seal, reason "Issued by <department>", no timestamp
server; the signing time is ``core.clock``'s. The certificate's number is in
the document's keywords (``ekseva-certificate <number>``), inside what the
signature covers, so a verifier can find the certificate from the file alone.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from fpdf import FontFace
from fpdf.enums import TableBordersLayout
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner
from pyhanko.stamp import TextStampStyle

from ekseva.core import clock
from ekseva.core import qr as qr_codes
from ekseva.core.pdf import LATIN, MARGIN_MM, Document

from . import keys
from .loops import outside_loop
from .models import SigningKey

KEYWORD = "ekseva-certificate"
SIGNATURE_FIELD = "DepartmentSignature"
_KEYWORD_RE = re.compile(rf"{KEYWORD} ([A-Z0-9]{{6,24}})")
PT_PER_MM = 72 / 25.4

# What the document is called, by the version's deliverable: English, Hindi, and
# the Hindi verb's gender for "has been issued".
KINDS: dict[str, tuple[str, str, str]] = {
    "certificate": ("Certificate", "प्रमाण पत्र", "जारी किया गया है"),
    "licence": ("Licence", "अनुज्ञप्ति", "जारी की गई है"),
}


@dataclass(frozen=True)
class Content:
    """Everything the certificate prints, in both languages."""

    number: str
    kind: str  # certificate | licence
    department_en: str
    department_hi: str
    service_en: str
    service_hi: str
    holder_en: str
    holder_hi: str
    application_number: str
    issued_on: dt.date
    valid_until: dt.date | None
    qr_url: str
    # (label en, label hi, value en, value hi) for the application's answers
    details: list[tuple[str, str, str, str]] = field(default_factory=list)

    @property
    def verify_url(self) -> str:
        return f"{settings.PUBLIC_BASE_URL}/verify/{self.number}"

    def titles(self) -> tuple[str, str]:
        kind_en, kind_hi, _verb = KINDS.get(self.kind, KINDS["certificate"])
        return f"{self.service_en} — {kind_en}", f"{self.service_hi} — {kind_hi}"


def _date(value: dt.date) -> str:
    return value.strftime("%d-%m-%Y")


def _both(en: str, hi: str) -> str:
    return en if not hi or hi == en else f"{en}\n{hi}"


@dataclass(frozen=True)
class Rendered:
    """The unsigned PDF and where its visible signature goes: the page (0-based)
    and the box in PDF points from the page's bottom left."""

    data: bytes
    page: int
    box: tuple[int, int, int, int]


QR_MM = 42
SEAL_MM = 30
SIGNATURE_MM = (70, 22)  # the visible signature's width and height
ROW_PT = 9.5
ROW_MM = 4.4


def render(content: Content) -> Rendered:
    """The unsigned PDF."""
    title_en, title_hi = content.titles()
    kind_en, kind_hi, verb_hi = KINDS.get(content.kind, KINDS["certificate"])
    gov_en, gov_hi = keys.government_names()
    doc = Document(f"{title_en} · {title_hi}", language="en")
    pdf = doc.pdf
    pdf.set_subject(f"{title_en} {content.number}")
    pdf.set_keywords(f"{KEYWORD} {content.number}")

    doc.paragraph(f"{gov_en} — {content.department_en}", bold=True, size=11.5)
    doc.paragraph(f"{gov_hi} — {content.department_hi}", bold=True, size=11.5)
    doc.heading(title_en)
    doc.heading(title_hi, level=2)

    # The particulars on the left, the QR code on the right.
    top = pdf.get_y()
    qr_x = pdf.w - MARGIN_MM - QR_MM
    pdf.image(io.BytesIO(qr_codes.png(content.qr_url, scale=4)), x=qr_x, y=top, w=QR_MM)
    doc._font(7)
    pdf.set_xy(qr_x, top + QR_MM + 0.5)
    pdf.multi_cell(QR_MM, 3.2, "Scan to verify\nसत्यापन हेतु स्कैन करें", align="C")
    pdf.set_xy(MARGIN_MM, top)
    pdf.set_right_margin(MARGIN_MM + QR_MM + 4)
    _particulars(doc, content, kind_en, kind_hi)
    pdf.set_right_margin(MARGIN_MM)
    pdf.set_y(max(pdf.get_y() + 3, top + QR_MM + 9))

    holder_hi = content.holder_hi or content.holder_en
    doc.paragraph(
        f"This is to certify that {content.holder_en} has been issued this "
        f"{kind_en.lower()} for “{content.service_en}” by the {content.department_en}, "
        f"{gov_en}, on application {content.application_number}."
    )
    doc.paragraph(
        f"प्रमाणित किया जाता है कि {holder_hi} को आवेदन क्रमांक {content.application_number} "
        f"पर {content.department_hi}, {gov_hi} द्वारा “{content.service_hi}” हेतु यह "
        f"{kind_hi} {verb_hi}।"
    )
    doc.paragraph(
        "This document is signed digitally by the department and needs no physical "
        "signature. · यह दस्तावेज़ विभाग द्वारा डिजिटल रूप से हस्ताक्षरित है, इस पर भौतिक "
        "हस्ताक्षर की आवश्यकता नहीं है।",
        size=8.5,
    )
    doc.paragraph(f"Verify at {content.verify_url}", bold=True)
    doc.paragraph(f"सत्यापन करें: {content.verify_url}", size=9)
    page, seal_top = _seal(doc, content, gov_en, gov_hi)
    data = doc.output()
    # The signature's box: level with the seal, at the right margin.
    right = (pdf.w - MARGIN_MM) * PT_PER_MM
    bottom = (pdf.h - seal_top - SEAL_MM + 4) * PT_PER_MM
    width, height = (v * PT_PER_MM for v in SIGNATURE_MM)
    box = (int(right - width), int(bottom), int(right), int(bottom + height))
    return Rendered(data=data, page=page, box=box)


def _particulars(doc: Document, content: Content, kind_en: str, kind_hi: str) -> None:
    """Label (English, Hindi beneath) and value, one row each."""
    until = _date(content.valid_until) if content.valid_until else "Does not expire\nसमाप्ति नहीं"
    rows = [
        (f"{kind_en} number\n{kind_hi} क्रमांक", content.number, True),
        ("Issued to\nधारक", _both(content.holder_en, content.holder_hi), True),
        ("Application number\nआवेदन क्रमांक", content.application_number, False),
    ]
    rows += [(_both(le, lh), _both(ve, vh), False) for le, lh, ve, vh in content.details]
    rows += [
        ("Issued on\nजारी करने की तिथि", _date(content.issued_on), False),
        ("Valid until\nवैध तिथि", until, False),
    ]
    doc._font(ROW_PT)
    bold = FontFace(family=LATIN, emphasis="BOLD")
    with doc.pdf.table(
        col_widths=(2, 3),
        first_row_as_headings=False,
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        text_align=("LEFT", "LEFT"),
        line_height=ROW_MM,
        padding=(1, 1, 1, 0),
        align="LEFT",
    ) as table:
        for label, value, strong in rows:
            row = table.row()
            row.cell(label, style=bold)
            row.cell(value, style=bold if strong else None)
    doc._font()


def _seal(doc: Document, content: Content, gov_en: str, gov_hi: str) -> tuple[int, float]:
    """The department's seal (a ring with its name) and the seal line after the
    text (on a new page if they do not fit); returns the page (0-based) and the
    seal's top (mm), for the signature to sit level with it."""
    pdf = doc.pdf
    pdf.ln(2)
    if pdf.get_y() + SEAL_MM > pdf.page_break_trigger:
        pdf.add_page()
    top = pdf.get_y()
    left, middle = MARGIN_MM, MARGIN_MM + SEAL_MM / 2
    pdf.set_draw_color(30, 60, 120)
    pdf.set_line_width(0.8)
    pdf.circle(x=middle, y=top + SEAL_MM / 2, radius=SEAL_MM / 2)
    pdf.set_line_width(0.3)
    pdf.circle(x=middle, y=top + SEAL_MM / 2, radius=SEAL_MM / 2 - 2)
    pdf.set_text_color(30, 60, 120)
    doc._font(6.5, bold=True)
    pdf.set_xy(left + 3, top + SEAL_MM / 2 - 5)
    seal_text = f"{content.department_en[:40]}\n{settings.EKSEVA_STATE_NAME}\nSEAL · मुहर"
    pdf.multi_cell(SEAL_MM - 6, 3.3, seal_text, align="C")
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(left + SEAL_MM + 4, top + 8)
    doc._font(8.5)
    line = f"Seal of the {content.department_en}, {gov_en}\nमुहर: {content.department_hi}, {gov_hi}"
    width = pdf.w - MARGIN_MM - (left + SEAL_MM + 4) - SIGNATURE_MM[0] - 4
    pdf.multi_cell(width, 4.2, line, align="L")
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    pdf.set_y(top + SEAL_MM + 1)
    doc._font()
    return pdf.page_no() - 1, top


def number_in(data: bytes) -> str:
    """The certificate number a PDF names in its keywords ("" if none)."""
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        info = reader.trailer_view.get("/Info")
        info = info.get_object() if info is not None else None
        keywords = str(info.get("/Keywords", "")) if info is not None else ""
    except Exception:  # any unreadable file: no number
        return ""
    match = _KEYWORD_RE.search(keywords)
    return match[1] if match else ""


class _ClockPdfSigner(PdfSigner):
    """pyHanko's PdfSigner with the signing time from ``core.clock`` (tests fix it;
    the certificate's issue time and the signature's agree)."""

    def init_signing_session(self, pdf_out: Any, existing_fields_only: bool = False) -> Any:
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = clock.local_now()
        return session


def sign(rendered: Rendered, key: SigningKey, *, reason: str, signer_name: str = "") -> bytes:
    """The rendered PDF with a PAdES signature by ``key`` in a visible field beside
    the seal (an incremental update: the rendered bytes stay as they are)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(rendered.data))
    writer.document_meta.last_modified = clock.local_now()  # not the server's own clock
    meta = PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        reason=reason,
        location=settings.EKSEVA_STATE_NAME,
        name=signer_name or None,
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    style = TextStampStyle(
        stamp_text="Digitally signed by\n%(signer)s\n%(ts)s",
        timestamp_format="%d-%m-%Y %H:%M %Z",
        border_width=1,
    )
    signer = _ClockPdfSigner(
        meta,
        signer=keys.pades_signer(key),
        stamp_style=style,
        new_field_spec=fields.SigFieldSpec(
            SIGNATURE_FIELD, on_page=rendered.page, box=rendered.box
        ),
    )
    out = io.BytesIO()
    reserved = _reserved.get(key.key_id)
    outside_loop(signer.sign_pdf, writer, output=out, bytes_reserved=reserved)
    data = out.getvalue()
    if reserved is None:
        _reserved[key.key_id] = _contents_size(data)
    return data


# The room the signature takes in the file (hex digits of /Contents), by key id.
# pyHanko finds it by making a whole dummy signature first (half of what signing
# costs); for one key and our signed attributes the signature's size never
# changes, so the room pyHanko chose the first time is used again: the same file.
_reserved: dict[str, int] = {}


def _contents_size(data: bytes) -> int | None:
    try:
        signature = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures[-1]
        return 2 * len(signature.sig_object["/Contents"])
    except Exception:
        return None
