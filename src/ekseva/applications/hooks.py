"""What applications plug into the lower apps: payment purposes, permission
rules and message templates (called once from AppConfig.ready)."""

from __future__ import annotations

from django.urls import reverse

from ekseva.accounts.models import Role
from ekseva.accounts.permissions import allow, register_rule
from ekseva.notifications import templates
from ekseva.payments import purposes

# Permission actions of this app.
VIEW = "applications.view"  # see an application, its documents and receipt
ACT = "applications.act"  # act for the applicant (save, submit, pay, correct, withdraw)


def register() -> None:
    from . import services

    purposes.register(
        purposes.Purpose(
            kind="application_fee",
            label_en="Application fee",
            label_hi="आवेदन शुल्क",
            once_per_target=True,
            usable=services.fee_usable,
            fulfil=services.fee_paid,
            kiosk_wallet=True,
            link=lambda payment: reverse("applications:detail", args=[payment.target]),
        )
    )
    purposes.register(
        purposes.Purpose(
            kind="correction_fee",
            label_en="Correction fee",
            label_hi="संशोधन शुल्क",
            once_per_target=True,
            usable=services.correction_usable,
            fulfil=services.correction_paid,
            kiosk_wallet=True,
            link=lambda payment: reverse(
                "applications:correct", args=[payment.target.rpartition("-C")[0]]
            ),
        )
    )
    register_rule(
        VIEW,
        allow(
            Role.DEPARTMENT_OFFICER,
            Role.DESIGNATED_OFFICER,
            Role.APPELLATE_OFFICER,
            Role.OPERATOR_STAFF,
            Role.KIOSK_OPERATOR,
            Role.FRANCHISEE,  # a kiosk's owner serves citizens at it too
            owner=True,
        ),
    )
    register_rule(ACT, allow(Role.KIOSK_OPERATOR, Role.FRANCHISEE, owner=True))
    _templates()
    from ekseva.notifications import attachments

    from . import receipts

    attachments.register("applications.receipt", receipts.attachment)


def _templates() -> None:
    def both(en: str, hi: str) -> dict[str, str]:
        return {"en": en, "hi": hi}

    templates.register(
        "applications.submitted",
        sms=both(
            "Your application {number} for {service} has been submitted. Keep this number.",
            "{service} के लिए आपका आवेदन {number} जमा हो गया है। यह क्रमांक सँभाल कर रखें।",
        ),
        email_subject=both("Application {number} submitted", "आवेदन {number} जमा हुआ"),
        email_body=both(
            "Your application for {service} has been submitted.\n\n"
            "Application number: {number}\n\nIf a fee is due, pay it from My applications.",
            "{service} के लिए आपका आवेदन जमा हो गया है।\n\nआवेदन क्रमांक: {number}\n\n"
            "यदि शुल्क बाकी है, तो 'मेरे आवेदन' से जमा करें।",
        ),
        inapp=both(
            "Application {number} ({service}) submitted.",
            "आवेदन {number} ({service}) जमा हुआ।",
        ),
    )
    templates.register(
        "applications.payment_received",
        sms=both(
            "Fee received for application {number} ({service}). Your receipt is in My "
            "applications.",
            "आवेदन {number} ({service}) का शुल्क प्राप्त हुआ। रसीद 'मेरे आवेदन' में है।",
        ),
        email_subject=both("Fee received: {number}", "शुल्क प्राप्त: {number}"),
        email_body=both(
            "We have received the fee for application {number} ({service}). "
            "The receipt is attached; you can also download it from My applications.",
            "आवेदन {number} ({service}) का शुल्क प्राप्त हो गया है। रसीद संलग्न है; इसे "
            "'मेरे आवेदन' से भी डाउनलोड कर सकते हैं।",
        ),
        inapp=both("Fee received for {number}.", "{number} का शुल्क प्राप्त हुआ।"),
    )
    for code, en, hi in (
        ("returned", "returned to you for correction", "सुधार के लिए आपको लौटाया गया है"),
        ("approved", "approved", "स्वीकृत हो गया है"),
        ("rejected", "rejected", "अस्वीकृत हो गया है"),
        ("delivered", "delivered: download it from My applications", "प्रदान कर दिया गया है"),
    ):
        templates.register(
            f"applications.{code}",
            sms=both(
                f"Application {{number}} ({{service}}) has been {en}.",
                f"आवेदन {{number}} ({{service}}) {hi}।",
            ),
            email_subject=both(f"Application {{number}}: {code}", f"आवेदन {{number}}: {hi}"),
            email_body=both(
                f"Application {{number}} ({{service}}) has been {en}. See My applications.",
                f"आवेदन {{number}} ({{service}}) {hi}। 'मेरे आवेदन' देखें।",
            ),
            inapp=both(f"Application {{number}} has been {en}.", f"आवेदन {{number}} {hi}।"),
        )
    templates.register(
        "applications.closing_soon",
        sms=both(
            "Your draft application for {service} is not submitted. Applications close {closes}.",
            "{service} का आपका प्रारूप आवेदन जमा नहीं हुआ है। आवेदन {closes} पर बंद होंगे।",
        ),
        # An applicant with an email address is written to as well (services._message).
        email_subject=both(
            "Your draft for {service} is not submitted", "{service} का आपका प्रारूप जमा नहीं हुआ है"
        ),
        email_body=both(
            "Your draft application for {service} is not submitted yet. Applications close "
            "{closes}; a draft cannot be submitted after that.\n\nFinish it from My applications.",
            "{service} का आपका प्रारूप आवेदन अभी जमा नहीं हुआ है। आवेदन {closes} पर बंद होंगे; "
            "उसके बाद प्रारूप जमा नहीं किया जा सकेगा।\n\n'मेरे आवेदन' से इसे पूरा करें।",
        ),
        inapp=both(
            "Finish your draft for {service}: applications close {closes}.",
            "{service} का प्रारूप पूरा करें: आवेदन {closes} पर बंद होंगे।",
        ),
    )
