"""The kiosk's prepaid wallet: top-ups through the gateway, bank deposit slips
verified by operator staff, the low-balance mark, and the statement (guide:
docs/kiosks.md).

The money is in the ledger only (account ``kiosk_wallet:<code>``, which may not
go negative). What moves it:

- a **top-up** is a payment of purpose ``wallet_topup`` (target: the kiosk code)
  through a gateway; on success payments credits the wallet. The purpose
  registered here refuses a kiosk that does not exist or is not active, and
  payments then refunds the money in full;
- a **bank deposit** the franchisee made into the operator's account is recorded
  as a ``WalletDeposit`` slip; operator staff verify it against the bank
  statement, which posts bank (debit) / wallet (credit) once, under the key
  ``deposit:<id>``; a bank reference credits once (a rejected slip may be sent again);
- an **application fee** paid at the kiosk debits it (``services.pay_assisted``),
  and a refund of such a fee credits it back.

Writes check who acts (the franchisee for top-ups, deposits and the mark;
``kiosks.finance`` for deciding deposits), run in one transaction and are
audited. Reads build the statement with a running balance from the ledger and
say what each line was in words.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ekseva.accounts.permissions import can
from ekseva.catalog.models import Service
from ekseva.core import audit, clock
from ekseva.core.money import format_inr
from ekseva.core.pdf import Document
from ekseva.ledger import accounts as ledger_accounts
from ekseva.ledger import selectors as ledger_selectors
from ekseva.ledger import services as ledger
from ekseva.notifications import templates
from ekseva.notifications.services import queue as queue_message
from ekseva.payments import purposes
from ekseva.payments import services as payments
from ekseva.payments.models import Payment

from . import services
from .hooks import FINANCE
from .models import Kiosk, KioskError, WalletDeposit

TOPUP = "wallet_topup"
DEPOSIT_KIND = "kiosk.deposit"
TOPUP_TEMPLATE = "kiosks.topup_credited"
DEPOSIT_VERIFIED_TEMPLATE = "kiosks.deposit_verified"
DEPOSIT_REJECTED_TEMPLATE = "kiosks.deposit_rejected"

# A top-up through the gateway: ₹100 to ₹2,00,000.
TOPUP_MIN = 100_00
TOPUP_MAX = 2_00_000_00
# A bank deposit slip: ₹100 to ₹10,00,000, made in the last 30 days.
DEPOSIT_MIN = 100_00
DEPOSIT_MAX = 10_00_000_00
DEPOSIT_MAX_AGE_DAYS = 30
# The low-balance mark: ₹0 (no alerts) to ₹10,00,000.
MARK_MAX = 10_00_000_00
# A statement covers at most this many days; a PDF lists at most this many lines
# (the CSV has all of them).
STATEMENT_MAX_DAYS = 366
PDF_LINE_LIMIT = 2000

# UTR / bank reference: letters, digits, "/" and "-" (spaces are dropped).
_BANK_REFERENCE = re.compile(r"^[A-Z0-9][A-Z0-9/-]{3,39}$")
_REFUND_IN_MEMO = re.compile(r"\b(RF[0-9A-Z]{6,20})\b")
_ENTRY_IN_MEMO = re.compile(r"#(\d+)")


# --------------------------------------------------------------------------- registration


def register() -> None:
    """The ``wallet_topup`` purpose (over payments' builtin) and this area's SMS."""
    try:
        builtin = purposes.get(TOPUP)
    except purposes.UnknownPurpose:  # pragma: no cover - payments loads it first
        purposes.load_builtin()
        builtin = purposes.get(TOPUP)
    purposes.register(
        dataclasses.replace(
            builtin,
            once_per_target=False,
            usable=topup_usable,
            fulfil=topup_credited,
            link=topup_link,
        )
    )
    templates.register(
        TOPUP_TEMPLATE,
        sms={
            "en": "ekseva: top-up {payment} of {amount} credited to the wallet of kiosk "
            "{kiosk}. Balance {balance}.",
            "hi": "ई-सेवा: कियोस्क {kiosk} के वॉलेट में रिचार्ज {payment} के {amount} जमा हो गए। "
            "शेष {balance}।",
        },
    )
    templates.register(
        DEPOSIT_VERIFIED_TEMPLATE,
        sms={
            "en": "ekseva: your bank deposit {reference} of {amount} is verified and credited "
            "to the wallet of kiosk {kiosk}. Balance {balance}.",
            "hi": "ई-सेवा: आपकी बैंक जमा {reference} ({amount}) सत्यापित हो गई और कियोस्क {kiosk} "
            "के वॉलेट में जमा कर दी गई। शेष {balance}।",
        },
    )
    templates.register(
        DEPOSIT_REJECTED_TEMPLATE,
        sms={
            "en": "ekseva: your bank deposit slip {reference} of {amount} for kiosk {kiosk} was "
            "not accepted: {reason}. Check it and submit it again.",
            "hi": "ई-सेवा: कियोस्क {kiosk} की बैंक जमा पर्ची {reference} ({amount}) स्वीकार नहीं "
            "हुई: {reason}। जाँच कर फिर से जमा करें।",
        },
    )


def topup_usable(payment: Payment) -> purposes.Refusal | None:
    """Purpose hook: a top-up takes effect only for an existing, active kiosk
    (otherwise payments refunds it in full)."""
    status = Kiosk.objects.filter(code=payment.target).values_list("status", flat=True).first()
    if status is None:
        return purposes.Refusal(
            f"There is no kiosk {payment.target}.", f"कियोस्क {payment.target} मौजूद नहीं है।"
        )
    if status != Kiosk.Status.ACTIVE:
        return purposes.Refusal(
            f"Kiosk {payment.target} is {status} and cannot take a top-up.",
            f"कियोस्क {payment.target} सक्रिय नहीं है; इसका रिचार्ज नहीं हो सकता।",
        )
    return None


def topup_credited(payment: Payment) -> None:
    """Purpose hook (inside the payment's transaction, after the wallet is
    credited): tell the owner; a balance back at or above the mark arms the
    low-balance alert again."""
    kiosk = Kiosk.objects.get(code=payment.target)
    balance = services.wallet_balance(kiosk)
    _rearm_alert(kiosk, balance)
    queue_message(
        channel="sms",
        template=TOPUP_TEMPLATE,
        recipient=kiosk.owner_mobile,
        params={
            "kiosk": kiosk.code,
            "payment": payment.reference,
            "amount": format_inr(payment.amount),
            "balance": format_inr(balance),
        },
        language="hi",
        dedupe_key=f"kiosks.topup:{payment.reference}",
    )
    audit.record(
        "kiosks.wallet.topped_up",
        obj=kiosk,
        after={"payment": payment.reference, "amount": payment.amount, "balance": balance},
    )


def topup_link(payment: Payment) -> str:
    """Purpose hook: back from the payment's page to the wallet."""
    return reverse("kiosks:wallet")


def _rearm_alert(kiosk: Kiosk, balance: int) -> None:
    """Forget the last low-balance alert once the wallet is at or above the mark
    again, so the next debit that crosses it alerts (``services.warn_low_balance``
    alerts on each crossing; this keeps ``low_balance_alerted_at`` meaning "below
    the mark since then")."""
    if balance >= kiosk.low_balance_paise and kiosk.low_balance_alerted_at is not None:
        Kiosk.objects.filter(pk=kiosk.pk).update(low_balance_alerted_at=None)
        kiosk.low_balance_alerted_at = None


def district_code(kiosk: Kiosk) -> str:
    """The kiosk's district as payments and ledger dimensions carry it (no colon)."""
    return kiosk.district.code.removeprefix("district:") if kiosk.district_id else ""


# --------------------------------------------------------------------------- top-up


def start_topup(user: Any, amount: int, *, token: str, gateway: str | None = None) -> Payment:
    """The franchisee asks to put ``amount`` paise on the wallet through ``gateway``
    (default: the default gateway). ``token`` (the form's hidden token) is the idempotency key:
    the same token returns the same payment; another amount under it raises
    ``payments.models.IdempotencyConflict``. The caller then starts the checkout."""
    kiosk = services.require_kiosk(user, franchisee=True)
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise KioskError("Enter an amount in rupees.", "राशि रुपये में लिखें।", field="amount")
    if not TOPUP_MIN <= amount <= TOPUP_MAX:
        raise KioskError(
            f"A top-up is between {format_inr(TOPUP_MIN)} and {format_inr(TOPUP_MAX)}.",
            f"रिचार्ज {format_inr(TOPUP_MIN)} से {format_inr(TOPUP_MAX)} के बीच होना चाहिए।",
            field="amount",
        )
    if not token:
        raise KioskError("A request key is required.", "अनुरोध कुंजी आवश्यक है।")
    return payments.create_payment(
        purpose=TOPUP,
        target=kiosk.code,
        lines=[
            {
                "code": "topup",
                "label_en": "Kiosk wallet top-up",
                "label_hi": "कियोस्क वॉलेट रिचार्ज",
                "amount_paise": amount,
                "rule": "kiosk wallet top-up",
            }
        ],
        description_en=f"Wallet top-up, kiosk {kiosk.code}",
        description_hi=f"वॉलेट रिचार्ज, कियोस्क {kiosk.code}",
        idempotency_key=f"topup:{kiosk.code}:{token}",
        gateway=gateway,
        channel="kiosk",
        district_code=district_code(kiosk),
        kiosk_code=kiosk.code,
        payer=user,
        payer_name=kiosk.owner_name,
        payer_mobile=kiosk.owner_mobile,
        payer_email=kiosk.owner_email,
        actor=user,
    )


def recent_topups(kiosk: Kiosk, limit: int = 10) -> list[Payment]:
    return list(
        Payment.objects.filter(purpose=TOPUP, target=kiosk.code).order_by("-created_at", "-id")[
            :limit
        ]
    )


# --------------------------------------------------------------------------- low-balance mark


def set_low_balance_mark(user: Any, paise: int) -> Kiosk:
    """The franchisee sets the balance below which a debit sends them an SMS
    (₹0: never). Allowed while suspended (it moves no money). Audited."""
    kiosk = services.require_kiosk(user, active=False, franchisee=True)
    if isinstance(paise, bool) or not isinstance(paise, int) or paise < 0:
        raise KioskError(
            "The mark is an amount of ₹0 or more.", "सीमा ₹0 या उससे अधिक होनी चाहिए।", field="mark"
        )
    if paise > MARK_MAX:
        raise KioskError(
            f"The mark can be at most {format_inr(MARK_MAX)}.",
            f"सीमा अधिकतम {format_inr(MARK_MAX)} हो सकती है।",
            field="mark",
        )
    with transaction.atomic():
        kiosk = Kiosk.objects.select_for_update().get(pk=kiosk.pk)
        before = kiosk.low_balance_paise
        if before == paise:
            return kiosk
        kiosk.low_balance_paise = paise
        # A new mark starts a new watch: the next debit that crosses it alerts.
        kiosk.low_balance_alerted_at = None
        kiosk.save(update_fields=["low_balance_paise", "low_balance_alerted_at"])
        audit.record(
            "kiosks.wallet.mark_changed",
            actor=user,
            obj=kiosk,
            before={"mark": before},
            after={"mark": paise},
        )
    return kiosk


def below_mark(kiosk: Kiosk, balance: int) -> bool:
    return balance < kiosk.low_balance_paise


# --------------------------------------------------------------------------- bank deposits


def normal_bank_reference(text: str) -> str:
    """ "utr 1234 5678" → "UTR12345678": one bank transaction, one spelling."""
    return re.sub(r"\s+", "", text or "").upper()


def deposit_problems(*, amount: Any, bank_reference: str, deposited_on: Any) -> list[KioskError]:
    """Everything wrong with a deposit slip's figures, one refusal per field
    (empty: it may be recorded, unless its reference is already taken)."""
    problems = []
    if not _BANK_REFERENCE.match(normal_bank_reference(bank_reference)):
        problems.append(
            KioskError(
                "Enter the bank reference (UTR) of the deposit: 4 to 40 letters, digits, / or -.",
                "जमा का बैंक संदर्भ (UTR) लिखें: 4 से 40 अक्षर, अंक, / या -।",
                field="bank_reference",
            )
        )
    if isinstance(amount, bool) or not isinstance(amount, int):
        problems.append(KioskError("Enter an amount in rupees.", "राशि रुपये में लिखें।", field="amount"))
    elif not DEPOSIT_MIN <= amount <= DEPOSIT_MAX:
        problems.append(
            KioskError(
                f"A deposit is between {format_inr(DEPOSIT_MIN)} and {format_inr(DEPOSIT_MAX)}.",
                f"जमा राशि {format_inr(DEPOSIT_MIN)} से {format_inr(DEPOSIT_MAX)} के बीच होनी चाहिए।",
                field="amount",
            )
        )
    today = clock.today()
    if not isinstance(deposited_on, dt.date) or deposited_on > today:
        problems.append(
            KioskError(
                "The date of the deposit cannot be in the future.",
                "जमा की तारीख़ भविष्य की नहीं हो सकती।",
                field="deposited_on",
            )
        )
    elif deposited_on < today - dt.timedelta(days=DEPOSIT_MAX_AGE_DAYS):
        problems.append(
            KioskError(
                f"A deposit older than {DEPOSIT_MAX_AGE_DAYS} days cannot be recorded here; "
                "write to operator staff.",
                f"{DEPOSIT_MAX_AGE_DAYS} दिन से पुरानी जमा यहाँ दर्ज नहीं हो सकती; ऑपरेटर स्टाफ़ को लिखें।",
                field="deposited_on",
            )
        )
    return problems


def submit_deposit(user: Any, *, amount: int, bank_reference: str, deposited_on: dt.date):
    """The franchisee records money paid into the operator's bank account; staff
    credit it to the wallet once they find it in the bank statement. A bank
    reference already recorded (and not rejected) is refused."""
    kiosk = services.require_kiosk(user, franchisee=True)
    problems = deposit_problems(
        amount=amount, bank_reference=bank_reference, deposited_on=deposited_on
    )
    if problems:
        raise problems[0]
    reference = normal_bank_reference(bank_reference)
    try:
        with transaction.atomic():
            deposit = WalletDeposit.objects.create(
                kiosk=kiosk,
                amount=amount,
                bank_reference=reference,
                deposited_on=deposited_on,
                submitted_by=user,
                submitted_at=clock.now(),
            )
            audit.record(
                "kiosks.deposit.submitted",
                actor=user,
                obj=deposit,
                after={"kiosk": kiosk.code, "amount": amount, "reference": reference},
            )
    except IntegrityError:
        raise _reference_taken(reference) from None
    return deposit


def _reference_taken(reference: str) -> KioskError:
    return KioskError(
        f"The bank reference {reference} has already been recorded. A bank transaction "
        "credits a wallet once.",
        f"बैंक संदर्भ {reference} पहले ही दर्ज हो चुका है। एक बैंक लेन-देन से वॉलेट में एक ही बार राशि जमा होती है।",
        field="bank_reference",
    )


def _decidable(user: Any, deposit: WalletDeposit) -> WalletDeposit:
    """The slip, locked, if ``user`` may decide it and it still waits."""
    if not can(user, FINANCE, deposit):
        raise KioskError(
            "You may not verify or reject deposits.", "आप जमा का सत्यापन या अस्वीकृति नहीं कर सकते।"
        )
    deposit = WalletDeposit.objects.select_for_update().select_related("kiosk").get(pk=deposit.pk)
    if deposit.status == WalletDeposit.Status.VERIFIED:
        raise KioskError(
            "This deposit has already been verified and credited.",
            "यह जमा पहले ही सत्यापित होकर वॉलेट में जमा हो चुकी है।",
        )
    if deposit.status == WalletDeposit.Status.REJECTED:
        raise KioskError(
            "This deposit slip was rejected; the franchisee may submit it again.",
            "यह जमा पर्ची अस्वीकार की जा चुकी है; फ़्रैंचाइज़ी इसे फिर से जमा कर सकते हैं।",
        )
    return deposit


def verify_deposit(user: Any, deposit: WalletDeposit) -> WalletDeposit:
    """Operator staff found the deposit in the bank statement: credit the wallet
    (bank debit / wallet credit, key ``deposit:<id>``), mark the slip verified,
    SMS the owner. Refuses a slip already decided."""
    with transaction.atomic():
        deposit = _decidable(user, deposit)
        kiosk = deposit.kiosk
        wallet = services.wallet_account(kiosk)
        entry = ledger.post(
            DEPOSIT_KIND,
            [(ledger_accounts.get_or_open("bank"), deposit.amount), (wallet, -deposit.amount)],
            idempotency_key=f"deposit:{deposit.pk}",
            memo=f"bank deposit {deposit.bank_reference}"[:200],
            reference=f"deposit:{deposit.pk}",
            dimensions=deposit_dimensions(kiosk),
            actor=user,
        )
        deposit.status = WalletDeposit.Status.VERIFIED
        deposit.decided_by = user
        deposit.decided_at = clock.now()
        deposit.entry_id = entry.pk
        try:
            with transaction.atomic():
                deposit.save(update_fields=["status", "decided_by", "decided_at", "entry_id"])
        except IntegrityError:
            raise _reference_taken(deposit.bank_reference) from None
        balance = services.wallet_balance(kiosk)
        _rearm_alert(kiosk, balance)
        queue_message(
            channel="sms",
            template=DEPOSIT_VERIFIED_TEMPLATE,
            recipient=kiosk.owner_mobile,
            params={
                "kiosk": kiosk.code,
                "reference": deposit.bank_reference,
                "amount": format_inr(deposit.amount),
                "balance": format_inr(balance),
            },
            language="hi",
            dedupe_key=f"kiosks.deposit:{deposit.pk}:verified",
        )
        audit.record(
            "kiosks.deposit.verified",
            actor=user,
            obj=deposit,
            before={"status": WalletDeposit.Status.SUBMITTED},
            after={"status": deposit.status, "entry": entry.pk, "amount": deposit.amount},
        )
    return deposit


def reject_deposit(user: Any, deposit: WalletDeposit, *, reason: str) -> WalletDeposit:
    """Operator staff could not match the slip (wrong amount, no such UTR): it is
    rejected with the reason, the owner is told, and the reference is free again."""
    reason = (reason or "").strip()
    if not reason:
        raise KioskError(
            "Give the reason, so the franchisee can correct it.",
            "कारण लिखें, ताकि फ़्रैंचाइज़ी इसे ठीक कर सकें।",
            field="reason",
        )
    with transaction.atomic():
        deposit = _decidable(user, deposit)
        deposit.status = WalletDeposit.Status.REJECTED
        deposit.decided_by = user
        deposit.decided_at = clock.now()
        deposit.reason = reason[:500]
        deposit.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        kiosk = deposit.kiosk
        queue_message(
            channel="sms",
            template=DEPOSIT_REJECTED_TEMPLATE,
            recipient=kiosk.owner_mobile,
            params={
                "kiosk": kiosk.code,
                "reference": deposit.bank_reference,
                "amount": format_inr(deposit.amount),
                "reason": reason[:120],
            },
            language="hi",
            dedupe_key=f"kiosks.deposit:{deposit.pk}:rejected",
        )
        audit.record(
            "kiosks.deposit.rejected",
            actor=user,
            obj=deposit,
            before={"status": WalletDeposit.Status.SUBMITTED},
            after={"status": deposit.status, "reason": reason},
        )
    return deposit


def deposit_dimensions(kiosk: Kiosk) -> dict[str, str]:
    """Rollup dimensions of a deposit entry, as payments give theirs."""
    dims = {"purpose": "kiosk_deposit", "channel": "kiosk", "district": district_code(kiosk)}
    return {key: value for key, value in dims.items() if value}


def deposits_of(kiosk: Kiosk, limit: int = 20) -> list[WalletDeposit]:
    return list(WalletDeposit.objects.filter(kiosk=kiosk).order_by("-submitted_at", "-id")[:limit])


def deposit_queue(status: str = "", kiosk_code: str = "") -> QuerySet[WalletDeposit]:
    """Deposits for staff: waiting ones first (oldest first), then the decided
    (newest first); narrowed by status and kiosk code."""
    rows = WalletDeposit.objects.select_related("kiosk", "kiosk__district")
    if status:
        rows = rows.filter(status=status)
    if kiosk_code:
        rows = rows.filter(kiosk__code=kiosk_code.strip().upper())
    waiting = WalletDeposit.Status.SUBMITTED
    return rows.annotate(
        waiting=Case(
            When(status=waiting, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    ).order_by("waiting", "-submitted_at", "-id")


# --------------------------------------------------------------------------- statement


@dataclass(frozen=True)
class Line:
    """One line of a wallet statement, said in words."""

    at: dt.datetime  # local time
    entry_id: int
    description: str
    reference: str  # the payment (PY…) or the bank reference
    debit: int  # paise taken from the wallet
    credit: int  # paise put on it
    balance: int  # after this line


@dataclass(frozen=True)
class WalletStatement:
    kiosk: Kiosk
    start: dt.date
    end: dt.date
    opening: int
    closing: int
    entries: list[ledger_selectors.StatementLine]

    @property
    def total_debit(self) -> int:
        return sum(line.debit for line in self.entries)

    @property
    def total_credit(self) -> int:
        return sum(line.credit for line in self.entries)

    def lines(self, entries: Sequence[ledger_selectors.StatementLine] | None = None) -> list[Line]:
        """``entries`` (default: all) in words, in the active language."""
        return describe(self.entries if entries is None else entries)


def statement(kiosk: Kiosk, start: dt.date, end: dt.date) -> WalletStatement:
    """The wallet's postings on days ``start``..``end``, each with the balance
    after it; the closing balance is the ledger's balance at the end of ``end``."""
    if end < start:
        raise KioskError(
            "The end date is before the start date.", "अंतिम तारीख़ आरंभ से पहले है।", field="end"
        )
    if (end - start).days >= STATEMENT_MAX_DAYS:
        raise KioskError(
            f"A statement covers at most {STATEMENT_MAX_DAYS} days.",
            f"एक विवरण अधिकतम {STATEMENT_MAX_DAYS} दिनों का होता है।",
            field="start",
        )
    found = ledger_selectors.statement(services.wallet_account(kiosk), start, end)
    return WalletStatement(kiosk, start, end, found.opening, found.closing, found.lines)


def this_month() -> tuple[dt.date, dt.date]:
    today = clock.today()
    return today.replace(day=1), today


def _chunks(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for n in range(0, len(items), size):
        yield items[n : n + size]


def describe(entries: Sequence[ledger_selectors.StatementLine]) -> list[Line]:
    """What each posting was, in the active language: derived from its journal
    entry's kind and reference (``payment:PY…`` → the payment's purpose and
    target; ``deposit:<id>`` → the slip) and, failing those, its memo."""
    payment_refs = sorted(
        {e.reference.split(":", 1)[1] for e in entries if e.reference.startswith("payment:")}
    )
    found: dict[str, Payment] = {}
    for chunk in _chunks(payment_refs):
        for payment in Payment.objects.filter(reference__in=chunk).only(
            "reference", "purpose", "target", "service_code", "amount"
        ):
            found[payment.reference] = payment
    deposit_ids = [
        int(e.reference.split(":", 1)[1])
        for e in entries
        if e.reference.startswith("deposit:") and e.reference.split(":", 1)[1].isdigit()
    ]
    slips = dict(
        WalletDeposit.objects.filter(pk__in=set(deposit_ids)).values_list("pk", "bank_reference")
    )
    codes = {p.service_code for p in found.values() if p.service_code}
    language = "hi" if translation.get_language() == "hi" else "en"
    names = {s.code: s.name(language) for s in Service.objects.filter(code__in=codes)}
    out = []
    for entry in entries:
        text, reference = _words(entry, found, slips, names)
        out.append(
            Line(
                at=timezone.localtime(entry.created_at),
                entry_id=entry.entry_id,
                description=text,
                reference=reference,
                debit=entry.debit,
                credit=entry.credit,
                balance=entry.balance,
            )
        )
    return out


def _payment_words(payment: Payment, names: dict[str, str]) -> str:
    service = names.get(payment.service_code, payment.service_code)
    if payment.purpose == TOPUP:
        return _("Top-up %(payment)s") % {"payment": payment.reference}
    if payment.purpose == "application_fee":
        return _("Application fee %(number)s for %(service)s") % {
            "number": payment.target,
            "service": service,
        }
    if payment.purpose == "correction_fee":
        return _("Correction fee %(number)s for %(service)s") % {
            "number": payment.target.rpartition("-C")[0] or payment.target,
            "service": service,
        }
    language = "hi" if translation.get_language() == "hi" else "en"
    try:
        label = purposes.get(payment.purpose).label(language)
    except purposes.UnknownPurpose:
        label = payment.purpose
    return f"{label} {payment.target}"


def _words(
    entry: ledger_selectors.StatementLine,
    found: dict[str, Payment],
    slips: dict[int, str],
    names: dict[str, str],
) -> tuple[str, str]:
    kind, _sep, key = entry.reference.partition(":")
    if kind == "deposit" and key.isdigit() and int(key) in slips:
        reference = slips[int(key)]
        return _("Bank deposit %(reference)s") % {"reference": reference}, reference
    payment = found.get(key) if kind == "payment" else None
    if entry.kind == "reversal":
        match = _ENTRY_IN_MEMO.search(entry.memo)
        return _("Reversal of entry %(entry)s") % {"entry": match.group(1) if match else "?"}, key
    if payment is not None:
        what = _payment_words(payment, names)
        if entry.kind == "payment.success":
            return what, payment.reference
        if entry.kind == "refund.owed":  # money given back out of the wallet (a top-up)
            return _("Refunded: %(what)s") % {"what": what}, payment.reference
        if entry.kind == "refund.paid":  # a refund paid back onto the wallet
            match = _REFUND_IN_MEMO.search(entry.memo)
            refund = match.group(1) if match else payment.reference
            return _("Refund %(refund)s: %(what)s") % {"refund": refund, "what": what}, refund
        return what, payment.reference
    if entry.kind == DEPOSIT_KIND:
        return _("Bank deposit"), key
    return (entry.memo or entry.kind), key


# --------------------------------------------------------------------------- downloads


def rupees_text(paise: int) -> str:
    """12345 → "123.45": a plain number for spreadsheets."""
    sign = "-" if paise < 0 else ""
    whole, rest = divmod(abs(paise), 100)
    return f"{sign}{whole}.{rest:02d}"


def filename(found: WalletStatement, extension: str) -> str:
    return f"wallet-{found.kiosk.code}-{found.start:%Y%m%d}-{found.end:%Y%m%d}.{extension}"


def statement_csv(found: WalletStatement) -> str:
    """The statement as CSV: a header (kiosk, period, opening and closing
    balances, totals) and one row per line with its description in English and
    in Hindi. Amounts in rupees with two decimals."""
    with translation.override("en"):
        english = found.lines()
    with translation.override("hi"):
        hindi = found.lines()
    out = io.StringIO()
    write = csv.writer(out, lineterminator="\r\n").writerow
    kiosk = found.kiosk
    write(["Kiosk wallet statement", "कियोस्क वॉलेट विवरण"])
    write(["Kiosk", kiosk.code, kiosk.business_name])
    write(["Period", found.start.isoformat(), found.end.isoformat()])
    write(["Opening balance (INR)", rupees_text(found.opening)])
    write(["Debits (INR)", rupees_text(found.total_debit)])
    write(["Credits (INR)", rupees_text(found.total_credit)])
    write(["Closing balance (INR)", rupees_text(found.closing)])
    write([])
    write(
        [
            "date",
            "time",
            "entry",
            "description",
            "विवरण",
            "reference",
            "debit",
            "credit",
            "balance",
        ]
    )
    for line, line_hi in zip(english, hindi, strict=True):
        write(
            [
                line.at.date().isoformat(),
                line.at.strftime("%H:%M:%S"),
                line.entry_id,
                line.description,
                line_hi.description,
                line.reference,
                rupees_text(line.debit) if line.debit else "",
                rupees_text(line.credit) if line.credit else "",
                rupees_text(line.balance),
            ]
        )
    return out.getvalue()


def statement_pdf(found: WalletStatement, language: str) -> bytes:
    """The statement as a PDF in ``language`` (en or hi); amounts as ₹1,23,456.00."""
    language = "hi" if language == "hi" else "en"
    with translation.override(language):
        return _pdf(found, language)


def _period(found: WalletStatement) -> str:
    start, end = found.start, found.end
    return f"{start:%d-%m-%Y}" if start == end else f"{start:%d-%m-%Y} – {end:%d-%m-%Y}"


def _pdf(found: WalletStatement, language: str) -> bytes:
    kiosk = found.kiosk
    title = _("Kiosk wallet statement")
    doc = Document(f"{title} {kiosk.code}", language=language)
    doc.heading(title)
    doc.key_value(
        [
            (_("Kiosk"), f"{kiosk.code} · {kiosk.business_name}"),
            (_("Owner"), kiosk.owner_name),
            (_("Period"), _period(found)),
            (_("Opening balance"), format_inr(found.opening)),
            (_("Debits"), format_inr(found.total_debit)),
            (_("Credits"), format_inr(found.total_credit)),
            (_("Closing balance"), format_inr(found.closing)),
        ],
        widths=(2, 3),
    )
    shown = found.lines(found.entries[:PDF_LINE_LIMIT])
    doc.table(
        [_("Date and time"), _("Description"), _("Debit"), _("Credit"), _("Balance")],
        [
            [
                line.at.strftime("%d-%m-%Y %H:%M"),
                line.description,
                format_inr(line.debit) if line.debit else "",
                format_inr(line.credit) if line.credit else "",
                format_inr(line.balance),
            ]
            for line in shown
        ]
        or [[_("Nothing in this period."), "", "", "", ""]],
        widths=(2.6, 5.4, 2.2, 2.2, 2.4),
        align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
    )
    if len(found.entries) > len(shown):
        doc.paragraph(
            _("%(shown)s of %(total)s entries are listed here; the CSV file has all of them.")
            % {"shown": len(shown), "total": len(found.entries)}
        )
    return doc.output()
