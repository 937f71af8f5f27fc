"""The fee receipt of an application: a PDF in English or Hindi.

    data = receipts.receipt_pdf(app, language="hi", track_url="https://…/hi/track/?number=…")

It says who paid what for which application: the portal, the application number,
the service and its department, the applicant, when the application was submitted
and the fee paid, the payment's reference, the gateway's payment id and the
method, each fee line with its rule, the total, and a QR code that opens the
public tracking page for this number. Hindi is shaped by ``core.pdf`` (HarfBuzz),
so conjuncts and matras come out right.

There is a receipt only once the fee is paid (``receipt_payment`` is None before).

A higher app may print a QR code of its own under the tracking one without this
app knowing it (the kiosks app: the official charges of a kiosk application)::

    receipts.register_extra(fn)  # fn(app) -> (text_en, text_hi, url) | None

``fn`` is called with the receipt's language active (so ``reverse`` gives its URLs).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ekseva.core import qr
from ekseva.core.money import format_inr
from ekseva.core.pdf import BODY_PT, LATIN, Document
from ekseva.payments.models import PAID_STATUSES, Payment

from .models import Application, Channel

QR_MM = 34  # side of the printed QR code: comfortably scanned from a phone

QR_MASK = qr.FAST_MASK  # a fixed mask pattern: 1 ms a code instead of 5 (core.qr)


@functools.lru_cache(maxsize=1024)
def _qr_image(url: str) -> Any:
    """The QR code of ``url`` as a 1-bit image (one pixel a module), kept per
    process: a kiosk's official-charges code is the same on every receipt of the
    kiosk, and a receipt is often fetched more than once (the page, the email)."""
    return qr.image(url, mask=QR_MASK)


# fn(app) -> (caption in English, caption in Hindi, absolute URL), or None for no code.
Extra = Callable[[Application], tuple[str, str, str] | None]
_extras: list[Extra] = []


def register_extra(fn: Extra) -> None:
    """Print another QR code (with its caption) under the tracking one on every
    receipt ``fn`` returns something for. Registering ``fn`` again is harmless."""
    if fn not in _extras:
        _extras.append(fn)


def extras(app: Application, language: str) -> list[tuple[str, str]]:
    """The extra codes of ``app``'s receipt in ``language``: (caption, url) pairs."""
    found = []
    with translation.override(language):
        for fn in _extras:
            extra = fn(app)
            if extra:
                text_en, text_hi, url = extra
                found.append((text_hi if language == "hi" else text_en, url))
    return found


def receipt_payment(app: Application) -> Payment | None:
    """The payment that paid the application's fee, or None (no receipt yet)."""
    if not app.number or not app.paid_at or not app.paid_payment:
        return None
    return (
        Payment.objects.filter(
            reference=app.paid_payment,
            purpose="application_fee",
            target=app.number,
            status__in=PAID_STATUSES,
        )
        .select_related(None)
        .first()
    )


def filename(app: Application) -> str:
    return f"receipt-{app.number}.pdf"


def _when(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%d-%m-%Y %H:%M:%S") if moment else "—"


def method_label(method: str) -> str:
    """How the payment was made, in the active language."""
    labels = {
        "card": _("Card"),
        "upi": _("UPI"),
        "netbanking": _("Net banking"),
        "wallet": _("Kiosk wallet"),
    }
    return labels.get(method, method or "—")


def applicant_name(app: Application, language: str) -> str:
    profile = getattr(app.applicant, "profile", None)
    if profile is not None:
        name = profile.name_hi if language == "hi" and profile.name_hi else profile.name_en
        if name:
            return name
    return app.applicant.full_name or "—"


def receipt_pdf(app: Application, *, language: str, track_url: str) -> bytes:
    """The receipt in ``language`` (en or hi). Raises ValueError if the fee is not paid."""
    payment = receipt_payment(app)
    if payment is None:
        raise ValueError(f"application {app.number or app.pk} has no paid fee")
    language = "hi" if language == "hi" else "en"
    with translation.override(language):
        return _pdf(app, payment, language, track_url)


def _pdf(app: Application, payment: Payment, language: str, track_url: str) -> bytes:
    title = _("Fee receipt")
    doc = Document(f"{title} {app.number}", language=language)
    doc.heading(_("Receipt for application %(number)s") % {"number": app.number})
    portal = settings.EKSEVA_PORTAL_NAME_HI if language == "hi" else settings.EKSEVA_PORTAL_NAME
    channel = (
        _("At kiosk %(kiosk)s") % {"kiosk": app.kiosk_code}
        if app.channel == Channel.KIOSK
        else _("Online")
    )
    doc.key_value(
        [
            (_("Portal"), portal),
            (_("Application number"), app.number),
            (_("Service"), app.service.name(language)),
            (_("Department"), app.service.department.name(language)),
            (_("Applicant"), applicant_name(app, language)),
            (_("Applied"), channel),
            (_("Submitted at"), _when(app.submitted_at)),
            (_("Paid at"), _when(payment.succeeded_at or app.paid_at)),
            (_("Payment reference"), payment.reference),
            (_("Gateway's payment number"), payment.gateway_payment_id or "—"),
            (_("Method"), method_label(payment.method)),
        ],
        widths=(2, 3),
    )

    doc.heading(_("Fee"), level=2)
    label_key = "label_hi" if language == "hi" else "label_en"
    rows = [
        [
            str(line.get(label_key) or line.get("label_en") or line.get("code", "")),
            str(line.get("rule") or ""),
            format_inr(int(line["amount_paise"])),
        ]
        for line in payment.lines
    ]
    rows.append([_("Total"), "", format_inr(payment.amount)])
    doc.table(
        [_("Item"), _("Rule"), _("Amount")],
        rows,
        widths=(4, 3, 2),
        align=("LEFT", "LEFT", "RIGHT"),
    )

    _qr_block(doc, track_url, _("Track this application"))
    doc.paragraph(
        _(
            "Keep this receipt. Scan the code or open %(url)s to see the status of the "
            "application; you will need the mobile number or date of birth of the applicant."
        )
        % {"url": track_url},
        size=8.5,
    )
    for caption, url in extras(app, language):
        doc.space(3)
        _qr_block(doc, url, caption)
    return doc.output()


def _qr_block(doc: Document, url: str, caption: str) -> None:
    """A QR code of ``url``, with its caption and the URL beside it."""
    pdf = doc.pdf
    if pdf.will_page_break(QR_MM + 4):
        pdf.add_page()
    top = pdf.get_y()
    pdf.image(_qr_image(url), x=pdf.l_margin, y=top, w=QR_MM, h=QR_MM)
    left = pdf.l_margin + QR_MM + 5
    pdf.set_y(top + 4)
    pdf.set_font(LATIN, "B", 10)
    doc.lines(caption, line_height=5, x=left)
    pdf.set_font(LATIN, "", 8.5)
    doc.lines(url, line_height=4.5, x=left)
    pdf.set_y(top + QR_MM + 3)
    pdf.set_font(LATIN, "", BODY_PT)


def attachment(number: str, language: str) -> Any:
    """The receipt of application ``number`` as an email attachment (rendered
    when the email is sent; the QR code points at ``PUBLIC_BASE_URL``)."""
    from django.urls import reverse

    from ekseva.notifications.attachments import Attachment

    app = Application.objects.select_related("service", "version", "applicant").get(number=number)
    with translation.override(language):
        track = reverse("applications:track")
    track_url = f"{settings.PUBLIC_BASE_URL}{track}?number={app.number}"
    data = receipt_pdf(app, language=language, track_url=track_url)
    return Attachment(filename(app), "application/pdf", data)
