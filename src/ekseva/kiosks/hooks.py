"""What the kiosks app plugs into the lower apps (called once from AppConfig.ready):
permission rules, the guards that stop a suspended kiosk transacting, payment
purposes and message templates. Each area module adds its own in ``register()``."""

from __future__ import annotations

from ekseva.accounts.models import Posting, Role
from ekseva.accounts.permissions import allow, is_view_action, register_posting_guard, register_rule
from ekseva.notifications import templates
from ekseva.payments.gateways import wallet as wallet_gateway
from ekseva.payments.models import Payment
from ekseva.payments.purposes import Refusal

# Permission actions of this app.
VIEW = "kiosks.view"  # a kiosk's page, figures, wallet statement, commission
GOVERN = "kiosks.govern"  # suspend, reinstate, close a kiosk
REVIEW = "kiosks.review"  # decide applications to run a kiosk
OWN = "kiosks.own"  # the franchisee's acts: operators, top-ups, deposits
SERVE = "kiosks.serve"  # act for walk-in citizens (consent, apply, pay)
FINANCE = "kiosks.finance"  # verify deposits, make commission statements and payouts
COMPLAINTS = "kiosks.complaints"  # resolve complaints against kiosks


def _status_of(code: str) -> str | None:
    from .models import Kiosk

    return Kiosk.objects.filter(code=code).values_list("status", flat=True).first()


def kiosk_posting_guard(posting: Posting, action: str) -> bool:
    """A posting at a kiosk that is not active counts only for viewing. A posting
    naming a kiosk code no kiosk has (made by hand before this app) is left alone."""
    if not posting.kiosk_code or is_view_action(action):
        return True
    status = _status_of(posting.kiosk_code)
    return status is None or status == "active"


def kiosk_wallet_guard(payment: Payment) -> Refusal | None:
    status = _status_of(payment.kiosk_code)
    if status is not None and status != "active":
        return Refusal(
            f"Kiosk {payment.kiosk_code} is {status} and cannot pay from its wallet.",
            f"कियोस्क {payment.kiosk_code} सक्रिय नहीं है; इसके वॉलेट से भुगतान नहीं हो सकता।",
        )
    return None


def register() -> None:
    register_posting_guard(kiosk_posting_guard)
    wallet_gateway.register_guard(kiosk_wallet_guard)
    staff = (Role.OPERATOR_STAFF, Role.DISTRICT_COORDINATOR)
    register_rule(VIEW, allow(*staff, Role.FRANCHISEE, Role.KIOSK_OPERATOR))
    register_rule(GOVERN, allow(*staff))
    register_rule(REVIEW, allow(*staff, owner=True))
    register_rule(OWN, allow(Role.FRANCHISEE))
    register_rule(SERVE, allow(Role.FRANCHISEE, Role.KIOSK_OPERATOR))
    register_rule(FINANCE, allow(Role.OPERATOR_STAFF))
    register_rule(COMPLAINTS, allow(*staff))
    _templates()
    _workspace()
    from . import commission, console, feedback, onboarding, wallet

    for area in (onboarding, wallet, commission, feedback, console):
        area.register()


def _templates() -> None:
    templates.register(
        "kiosks.consent_otp",
        sms={
            "en": "{code} is your OTP to let kiosk {kiosk} ({name}) apply and pay for you on "
            "ekseva. Valid {minutes} minutes. Give it only if you are at this kiosk.",
            "hi": "{code} आपका OTP है, जिससे कियोस्क {kiosk} ({name}) ई-सेवा पर आपकी ओर से आवेदन "
            "और भुगतान कर सकेगा। {minutes} मिनट तक मान्य। यह तभी दें जब आप इसी कियोस्क पर हों।",
        },
    )
    templates.register(
        "kiosks.activation",
        sms={
            "en": "{name}, your ekseva login for kiosk {kiosk} is {username}. Set your password "
            "and authenticator at {link} (valid {hours} hours).",
            "hi": "{name}, कियोस्क {kiosk} के लिए आपका ई-सेवा लॉगिन {username} है। अपना पासवर्ड और "
            "ऑथेंटिकेटर {link} पर सेट करें ({hours} घंटे तक मान्य)।",
        },
    )
    templates.register(
        "kiosks.low_balance",
        sms={
            "en": "ekseva: the wallet of kiosk {kiosk} is low: {balance} left (alert below "
            "{mark}). Top up to keep serving citizens.",
            "hi": "ई-सेवा: कियोस्क {kiosk} के वॉलेट में राशि कम है: {balance} शेष (सीमा {mark})। "
            "नागरिकों की सेवा जारी रखने के लिए रिचार्ज करें।",
        },
    )


def _workspace() -> None:
    from django.utils.translation import gettext_lazy as _

    from ekseva.accounts import workspace
    from ekseva.accounts.workspace import Link

    workspace.register(
        Link(
            "kiosks.console",
            _("Kiosk console"),
            "kiosks:console",
            SERVE,
            order=10,
            hint=_("Serve walk-in citizens, today's work, past applications"),
        ),
        Link(
            "kiosks.wallet",
            _("Wallet and top-up"),
            "kiosks:wallet",
            OWN,
            order=11,
            hint=_("Balance, top-up, bank deposits, statement"),
        ),
        Link(
            "kiosks.commission",
            _("Commission"),
            "kiosks:commission",
            OWN,
            order=12,
            hint=_("Monthly commission statements, TDS and payouts"),
        ),
        Link(
            "kiosks.operators",
            _("Kiosk operators"),
            "kiosks:operators",
            OWN,
            order=13,
            hint=_("Add or deactivate your kiosk's operator logins"),
        ),
        Link(
            "kiosks.review",
            _("Applications to run a kiosk"),
            "kiosks:manage_applications",
            GOVERN,
            order=50,
            hint=_("Approve, return or reject franchisee applications"),
        ),
        Link(
            "kiosks.kiosks",
            _("Kiosks"),
            "kiosks:manage_kiosks",
            GOVERN,
            order=51,
            hint=_("Figures per kiosk; suspend and reinstate"),
        ),
        Link(
            "kiosks.complaints",
            _("Complaints against kiosks"),
            "kiosks:manage_complaints",
            COMPLAINTS,
            order=52,
            hint=_("Uphold or dismiss citizens' complaints"),
        ),
        Link(
            "kiosks.deposits",
            _("Wallet deposits"),
            "kiosks:manage_deposits",
            FINANCE,
            order=53,
            hint=_("Verify franchisees' bank deposits onto their wallets"),
        ),
        Link(
            "kiosks.finance",
            _("Kiosk commission"),
            "kiosks:manage_commission",
            FINANCE,
            order=54,
            hint=_("Monthly statements of all kiosks"),
        ),
        Link(
            "kiosks.payouts",
            _("Commission payouts"),
            "kiosks:manage_payouts",
            FINANCE,
            order=55,
            hint=_("Payout batches and bank files"),
        ),
    )
