"""Every change to an application: one function per step of the journey, one
transaction each, each writing the audit log and queuing its messages
(guide: docs/applications.md).

    app = services.start(user, service)                    # a draft, prefilled
    result = services.save_step(app, "about", data, actor=user)
    services.attach_upload(app, "photo", uploaded_file, actor=user)
    app = services.submit(app, declaration=True, actor=user)   # number issued now
    payment = services.start_payment(app, idempotency_key=token, actor=user)
    services.withdraw(app, reason="…", actor=user)

The number is issued at submission, before any payment, and sent by SMS and
email at once: nobody who has paid is left without a number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ekseva.catalog import eligibility, fees
from ekseva.catalog.models import Service, ServiceVersion
from ekseva.catalog.rules import context as rule_context
from ekseva.catalog.rules import form_of
from ekseva.core import audit, clock, ids, workdays
from ekseva.forms import validation
from ekseva.forms.prefill import prefill
from ekseva.geo.models import AdminUnit
from ekseva.notifications import services as notify
from ekseva.payments import services as payments
from ekseva.payments.models import Payment
from ekseva.payments.selectors import DISTRICT_PREFIX

from . import documents as locker
from . import lifecycle
from .models import (
    NOT_CORRECTABLE,
    TRANSITIONS,
    WITHDRAWABLE,
    Application,
    ApplicationDocument,
    ApplicationError,
    Channel,
    Correction,
    InvalidTransition,
    LockerDocument,
    Status,
    StatusChange,
    WindowClosed,
)
from .windows import Phase, window_of

# --------------------------------------------------------------------------- helpers


def _label(user: Any) -> str:
    if user is None or not getattr(user, "pk", None):
        return "system"
    return str(user.get_username())


def _locked(app: Application | int | None = None, *, number: str = "") -> Application:
    """The application's row, locked, read again with what its writes use (the
    version, service, applicant and district: each would be one more query later)."""
    # of=("self",): lock the application's row only. Without it PostgreSQL also locks
    # the joined version and service rows, and every submit and payment of a service
    # queued behind one another on its catalogue row (bench_submit_pay found it).
    rows = Application.objects.select_for_update(of=("self",)).select_related(
        "version", "service", "applicant", "district"
    )
    if number:
        return rows.get(number=number)
    return rows.get(pk=app.pk if isinstance(app, Application) else app)


def move(
    app: Application,
    to: str,
    *,
    actor: Any = None,
    remark_en: str = "",
    remark_hi: str = "",
) -> None:
    """Move ``app`` (row held locked by the caller) to ``to``; append the history row.
    The back office (workflow) moves applications through this one function."""
    if to not in TRANSITIONS[app.status]:
        raise _cannot_become(app, to)
    now = clock.now()
    change = StatusChange.objects.create(
        application=app,
        at=now,
        from_status=app.status,
        to_status=to,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=_label(actor),
        remark_en=remark_en[:500],
        remark_hi=(remark_hi or remark_en)[:500],
    )
    app.status = to
    app.updated_at = now
    if to in DECISION_MESSAGES and app.number:
        # The back office moves applications through here; the applicant hears of
        # each decision by SMS, email and in-app message, once per move.
        _message(app, f"applications.{to}", _params(app), f"app:{app.number}:{to}:{change.pk}")


def _cannot_become(app: Application, to: str) -> InvalidTransition:
    return InvalidTransition(
        f"An application that is {app.status_text('en').lower()} cannot become {to}.",
        f"जो आवेदन '{app.status_text('hi')}' है, उसकी स्थिति बदली नहीं जा सकती।",
    )


def _move_many(app: Application, steps: list[str], *, actor: Any = None) -> None:
    """``move`` through ``steps`` one after the other, their history rows written in
    one INSERT (none of them a decision the applicant is told about)."""
    now = clock.now()
    changes = []
    for to in steps:
        if to not in TRANSITIONS[app.status] or to in DECISION_MESSAGES:
            raise _cannot_become(app, to)
        changes.append(
            StatusChange(
                application=app,
                at=now,
                from_status=app.status,
                to_status=to,
                actor=actor if getattr(actor, "pk", None) else None,
                actor_label=_label(actor),
            )
        )
        app.status = to
    StatusChange.objects.bulk_create(changes)
    app.updated_at = now


# Moves the applicant is told about as they happen (the templates are in hooks.py).
DECISION_MESSAGES = frozenset({Status.RETURNED, Status.APPROVED, Status.REJECTED, Status.DELIVERED})


def _message(
    app: Application,
    template: str,
    params: Mapping[str, Any],
    key: str,
    *,
    email_attachment: str = "",
) -> None:
    """SMS, email (if known) and in-app message to the applicant, in their language."""
    notify.queue_many(
        notify.person_specs(app.applicant, template, params, key, attachment=email_attachment)
    )


def _params(app: Application) -> dict[str, Any]:
    language = app.applicant.preferred_language or "en"
    return {"number": app.number or "", "service": app.service.name(language)}


# --------------------------------------------------------------------------- drafts


def start(
    user: Any,
    service: Service,
    *,
    channel: str = Channel.ONLINE,
    kiosk_code: str = "",
    actor: Any = None,
) -> Application:
    """A new draft under the service's current version, prefilled from the profile."""
    version = service.current_version
    if version is None or version.status != ServiceVersion.Status.PUBLISHED:
        raise ApplicationError(
            "This service is not taking applications.", "यह सेवा अभी आवेदन नहीं ले रही है।"
        )
    if channel not in (version.channels or [Channel.ONLINE]):
        raise ApplicationError(
            "This service cannot be applied for this way.",
            "इस सेवा के लिए इस माध्यम से आवेदन नहीं हो सकता।",
        )
    if channel == Channel.KIOSK and not kiosk_code:
        raise ApplicationError(
            "A kiosk application needs the kiosk.", "कियोस्क आवेदन में कियोस्क आवश्यक है।"
        )
    _require_open(version, drafting=True)
    now = clock.now()
    answers = validation.jsonable(prefill(form_of(version), user))
    with transaction.atomic():
        app = Application.objects.create(
            service=service,
            version=version,
            department_code=service.department.code,
            applicant=user,
            channel=channel,
            kiosk_code=kiosk_code,
            district=getattr(getattr(user, "profile", None), "district", None),
            answers=answers,
            step=form_of(version).steps[0].id if form_of(version).steps else "",
            created_at=now,
            updated_at=now,
        )
        StatusChange.objects.create(
            application=app,
            at=now,
            to_status=Status.DRAFT,
            actor=actor or user,
            actor_label=_label(actor or user),
        )
        audit.record("applications.started", actor=actor or user, obj=app)
    return app


def _require_open(version: ServiceVersion, *, drafting: bool = False) -> Phase:
    window = window_of(version)
    phase = window.phase()
    if phase == Phase.NOT_YET_OPEN:
        opens = timezone.localtime(window.opens)
        raise WindowClosed(
            f"Applications open on {opens:%d-%m-%Y}.",
            f"आवेदन {opens:%d-%m-%Y} से शुरू होंगे।",
        )
    if phase == Phase.CLOSED:
        last = timezone.localtime(window.last_moment)
        raise WindowClosed(
            f"Applications closed at {last:%d-%m-%Y %H:%M:%S}. A draft can no longer be submitted.",
            f"आवेदन {last:%d-%m-%Y %H:%M:%S} पर बंद हो गए। अब प्रारूप जमा नहीं किया जा सकता।",
        )
    return phase


def _context(app: Application, phase: Phase | None = None) -> dict[str, Any]:
    return rule_context(
        app.version.definition,
        {},
        channel=app.channel,
        late=phase == Phase.LATE,
    )


def save_step(
    app: Application,
    step: str,
    data: Mapping[str, Any],
    *,
    actor: Any,
    language: str = "en",
) -> validation.Result:
    """Check one step's answers and keep the valid ones (a draft is saved even
    when some answers are wrong, so nothing typed is lost). Returns the verdict."""
    defn = form_of(app.version)
    if step not in {s.id for s in defn.steps}:
        raise ApplicationError("There is no such step.", "ऐसा कोई चरण नहीं है।")
    result = validation.validate(
        defn, {**app.answers, **data}, language=language, context=_context(app), step=step
    )
    with transaction.atomic():
        app = _locked(app)
        if app.status != Status.DRAFT:
            raise InvalidTransition(
                "This application has been submitted; it can no longer be edited.",
                "यह आवेदन जमा हो चुका है; अब इसे बदला नहीं जा सकता।",
            )
        step_fields = {f.id for f in defn.step(step).fields()}
        kept = validation.jsonable({k: v for k, v in result.cleaned.items() if k in step_fields})
        answers = dict(app.answers)
        for key in data:
            if key not in result.errors:
                answers.pop(key, None)
        answers.update(kept)
        app.answers = answers
        app.step = _next_step(defn, step) if result.ok else step
        app.revision += 1
        app.updated_at = clock.now()
        app.save(update_fields=["answers", "step", "revision", "updated_at"])
    return result


def _next_step(defn: Any, step: str) -> str:
    ids_ = [s.id for s in defn.steps]
    index = ids_.index(step)
    return ids_[index + 1] if index + 1 < len(ids_) else "preview"


def rule_answers(app: Application) -> dict[str, Any]:
    """The stored answers as the values rules read (dates as dates, numbers as
    numbers): the valid ones, cleaned by the form engine."""
    return _validated(app).cleaned


def _validated(app: Application, language: str = "en") -> validation.Result:
    """The whole form checked against the stored answers. What is cleaned does not
    depend on the language (only the error messages do), so one run serves both
    the problems and the values rules read (``rule_answers``): a submit checked the
    form four times, each looking up the PIN code and district again."""
    return validation.validate(
        form_of(app.version), app.answers, language=language, context=_context(app)
    )


def eligibility_reasons(app: Application) -> list[eligibility.Reason]:
    return eligibility.check(app.version, rule_answers(app))


# --------------------------------------------------------------------------- documents


def document_rules(
    app: Application, answers: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The version's documents with whether each is needed for these answers
    (``answers``: ``rule_answers(app)`` when the caller has them already)."""
    values = {**(rule_answers(app) if answers is None else answers), **_context(app)}
    out = []
    for doc in app.version.definition.get("documents", []):
        needed = bool(doc.get("mandatory"))
        if doc.get("mandatory_if"):
            from ekseva.catalog.rules import compiled

            needed = bool(compiled(doc["mandatory_if"]).test(values))
        out.append({**doc, "needed": needed})
    return out


def _document_rule(app: Application, document_id: str) -> dict[str, Any]:
    for doc in app.version.definition.get("documents", []):
        if doc["id"] == document_id:
            return doc
    raise ApplicationError(
        "This service asks for no such document.", "यह सेवा ऐसा कोई दस्तावेज़ नहीं माँगती।"
    )


def attach_upload(
    app: Application, document_id: str, upload: Any, *, actor: Any
) -> ApplicationDocument:
    """Check an uploaded file against the document's rule, keep it in the
    applicant's locker, and attach it (replacing an earlier one)."""
    rule = _document_rule(app, document_id)
    stored = locker.store(
        app.applicant,
        upload,
        label=rule.get("label", {}).get("en", document_id),
        purpose=document_id,
        rule=rule,
        actor=actor,
    )
    return attach_locker(app, document_id, stored, actor=actor)


def attach_locker(
    app: Application, document_id: str, document: LockerDocument, *, actor: Any
) -> ApplicationDocument:
    """Attach a document already in the applicant's locker (checked again against
    this service's rule: type, size, dimensions)."""
    rule = _document_rule(app, document_id)
    if document.owner_id != app.applicant_id:
        raise ApplicationError("No such document.", "ऐसा कोई दस्तावेज़ नहीं है।")
    locker.check_against_rule(document, rule)
    with transaction.atomic():
        app = _locked(app)
        if app.status not in (Status.DRAFT, Status.RETURNED):
            raise InvalidTransition(
                "Documents can no longer be changed on this application.",
                "इस आवेदन के दस्तावेज़ अब बदले नहीं जा सकते।",
            )
        attached, _created = ApplicationDocument.objects.update_or_create(
            application=app,
            document_id=document_id,
            defaults={"locker_document": document, "attached_at": clock.now()},
        )
        app.revision += 1
        app.updated_at = clock.now()
        app.save(update_fields=["revision", "updated_at"])
        audit.record(
            "applications.document.attached",
            actor=actor,
            obj=app,
            after={"document": document_id, "locker": document.pk},
        )
    return attached


# --------------------------------------------------------------------------- submit


def check_complete(app: Application, *, language: str = "en") -> dict[str, list[str]]:
    """Everything that stops submission, by field (``__documents__``,
    ``__eligibility__`` for the whole-application ones). Empty: ready."""
    return _check_complete(app, language=language)[0]


def _check_complete(
    app: Application, *, language: str = "en"
) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """``check_complete`` and the values rules read (``rule_answers``), from one run
    of the form."""
    problems: dict[str, list[str]] = {}
    result = _validated(app, language)
    problems.update(result.errors)
    answers = result.cleaned
    reasons = eligibility.check(app.version, answers)
    if reasons:
        problems["__eligibility__"] = [r.hi if language == "hi" else r.en for r in reasons]
    attached = set(app.documents.values_list("document_id", flat=True))
    missing = [
        (doc["label"]["hi"] if language == "hi" else doc["label"]["en"])
        for doc in document_rules(app, answers)
        if doc["needed"] and doc["id"] not in attached
    ]
    if missing:
        word = "अपलोड करें: " if language == "hi" else "Upload: "
        problems["__documents__"] = [word + ", ".join(missing)]
    return problems, answers


def submit(app: Application, *, declaration: bool, actor: Any, language: str = "en") -> Application:
    """Submit a complete draft: the number is issued and sent at once, the fee is
    fixed (late fee in the late window), and the application waits for the fee
    (or is received at once when there is nothing to pay)."""
    if not declaration:
        raise ApplicationError(
            "Confirm the declaration to submit.",
            "जमा करने के लिए घोषणा की पुष्टि करें।",
            field="declaration",
        )
    phase = _require_open(app.version)
    problems, answers = _check_complete(app, language=language)
    if problems:
        raise ApplicationError(
            "Some answers or documents need attention before submitting.",
            "जमा करने से पहले कुछ उत्तर या दस्तावेज़ ठीक करने होंगे।",
        )
    late = phase == Phase.LATE
    quote = fees.compute(app.version, answers, channel=app.channel, late=late)
    with transaction.atomic():
        app = _locked(app)
        if app.status != Status.DRAFT:
            return app  # submitted already (a double click): the first result stands
        now = clock.now()
        app.number = ids.issue(
            f"{settings.EKSEVA_STATE_CODE}{clock.local_now():%y}{app.department_code}"
        )
        app.late = late
        app.fee_lines = [line.__dict__ for line in quote.lines if line.amount_paise]
        app.fee_total = quote.total
        app.declaration_at = now
        app.submitted_at = now
        if quote.total > 0:
            _move_many(app, [Status.SUBMITTED, Status.FEE_PENDING], actor=actor)
        else:
            move(app, Status.SUBMITTED, actor=actor)
            _receive(app, actor=actor)
        app.save()
        audit.record(
            "applications.submitted",
            actor=actor,
            obj=app,
            after={"number": app.number, "fee": app.fee_total, "late": late},
        )
        _message(app, "applications.submitted", _params(app), f"app:{app.number}:submitted")
    return app


def _receive(app: Application, *, actor: Any) -> None:
    """The department has it: the time limit starts."""
    move(app, Status.RECEIVED, actor=actor)
    limit = app.version.time_limit_days
    if limit:
        app.due_date = workdays.due_date(
            clock.today(), limit, app.version.time_limit_kind or "calendar"
        )
    lifecycle.fire("received", app)


# --------------------------------------------------------------------------- pay


def start_payment(
    app: Application, *, idempotency_key: str, actor: Any, gateway: str | None = None
) -> Payment:
    """The payment of the application's fee (the same key returns the same payment)."""
    if app.status != Status.FEE_PENDING:
        if app.paid_at:
            raise ApplicationError(
                "The fee of this application has already been paid.",
                "इस आवेदन का शुल्क पहले ही जमा हो चुका है।",
            )
        raise InvalidTransition(
            "This application takes no payment now.", "इस आवेदन पर अभी कोई भुगतान नहीं होता।"
        )
    _require_open(app.version)
    user = app.applicant
    return payments.create_payment(
        purpose="application_fee",
        target=app.number,
        lines=app.fee_lines,
        description_en=f"{app.service.name_en} — {app.number}",
        description_hi=f"{app.service.name_hi} — {app.number}",
        idempotency_key=idempotency_key,
        gateway=gateway,
        department_code=app.department_code,
        service_code=app.service.code,
        channel=app.channel,
        district_code=payment_district(app),
        kiosk_code=app.kiosk_code,
        payer=user,
        payer_name=user.full_name,
        payer_mobile=user.mobile,
        payer_email=user.email,
        actor=actor,
    )


def fee_usable(payment: Payment):
    """Purpose hook: may this successful payment pay the application's fee?"""
    from ekseva.payments.purposes import Refusal

    app = Application.objects.filter(number=payment.target).first()
    if app is None:
        return Refusal("No such application.", "ऐसा कोई आवेदन नहीं है।")
    if app.status != Status.FEE_PENDING:
        return Refusal(
            f"Application {app.number} no longer takes its fee (it is {app.status_text('en')}).",
            f"आवेदन {app.number} अब शुल्क नहीं ले सकता ({app.status_text('hi')})।",
        )
    return None


def fee_paid(payment: Payment) -> None:
    """Purpose hook: the fee is paid (inside the payment's transaction)."""
    app = _locked(number=payment.target)
    app.paid_at = clock.now()
    app.paid_payment = payment.reference
    # The payer is the applicant (start_payment): no second read of the same user.
    payer = app.applicant if payment.payer_id == app.applicant_id else payment.payer
    _receive(app, actor=payer)
    app.save()
    audit.record("applications.fee_paid", obj=app, after={"payment": payment.reference})
    _message(
        app,
        "applications.payment_received",
        {**_params(app), "amount": payment.amount},
        f"app:{app.number}:paid",
        email_attachment=f"applications.receipt:{app.number}",
    )


# --------------------------------------------------------------------------- withdraw


def withdraw(app: Application, *, reason: str, actor: Any) -> Application:
    """Withdraw before processing starts; the fee is refunded by the version's rule."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say why you withdraw.", "आवेदन वापस लेने का कारण लिखें।", field="reason")
    with transaction.atomic():
        app = _locked(app)
        if app.status not in WITHDRAWABLE:
            raise InvalidTransition(
                "This application can no longer be withdrawn: processing has started.",
                "यह आवेदन अब वापस नहीं लिया जा सकता: प्रक्रिया शुरू हो चुकी है।",
            )
        move(app, Status.WITHDRAWN, actor=actor, remark_en=reason, remark_hi=reason)
        app.closed_at = clock.now()
        app.save()
        audit.record("applications.withdrawn", actor=actor, obj=app, after={"reason": reason})
        lifecycle.fire("withdrawn", app)
        amount = refund_on_withdrawal(app)
        if amount:
            payment = Payment.objects.get(reference=app.paid_payment)
            payments.refund(
                payment,
                min(amount, payment.refundable),
                reason=f"withdrawn: {reason}"[:300],
                idempotency_key=f"withdraw:{app.number}",
                kind="withdrawal",
                actor=actor,
            )
    return app


def refund_on_withdrawal(app: Application) -> int:
    """What the version's rule gives back of a paid fee on withdrawal (paise)."""
    if not app.paid_payment:
        return 0
    rule = (app.version.definition.get("withdrawal") or {}).get("refund", "none")
    if rule == "full":
        return app.fee_total
    if rule == "government_fee":
        return sum(line["amount_paise"] for line in app.fee_lines if line["code"] == "government")
    return 0


# --------------------------------------------------------------------------- corrections


def correctable_fields(app: Application) -> list[str]:
    availability = app.version.definition.get("availability") or {}
    return list((availability.get("correction") or {}).get("fields") or [])


def correct(
    app: Application, data: Mapping[str, Any], *, actor: Any, language: str = "en"
) -> Correction:
    """Change the fields the version allows, in its correction window. Each change
    is kept (before, after) for the officer. With a correction fee the change is
    held until the fee is paid."""
    window = window_of(app.version)
    if not window.correction_open():
        raise WindowClosed(
            "The correction window of this service is not open.", "इस सेवा की सुधार अवधि खुली नहीं है।"
        )
    allowed = set(correctable_fields(app))
    asked = set(changed_answers(app, data))
    if not asked:
        raise ApplicationError("Nothing was changed.", "कुछ भी नहीं बदला गया।")
    refused = asked - allowed
    if refused:
        raise ApplicationError(
            "These answers cannot be corrected: " + ", ".join(sorted(refused)),
            "ये उत्तर सुधारे नहीं जा सकते: " + ", ".join(sorted(refused)),
            field=sorted(refused)[0],
        )
    merged = {**app.answers, **{key: data[key] for key in asked}}
    result = validation.validate(
        form_of(app.version), merged, language=language, context=_context(app)
    )
    if result.errors:
        bad = sorted(set(result.errors) & asked) or sorted(result.errors)
        raise ApplicationError(
            "; ".join(result.errors[bad[0]]), "; ".join(result.errors[bad[0]]), field=bad[0]
        )
    cleaned = validation.jsonable(result.cleaned)
    changes = {key: [app.answers.get(key), cleaned.get(key)] for key in sorted(asked)}
    fee = (app.version.definition.get("fees") or {}).get("correction_fee_paise", 0)
    with transaction.atomic():
        app = _locked(app)
        if app.status in NOT_CORRECTABLE:
            raise InvalidTransition(
                "This application cannot be corrected.", "इस आवेदन में सुधार नहीं हो सकता।"
            )
        correction = Correction.objects.create(
            application=app,
            at=clock.now(),
            actor=actor if getattr(actor, "pk", None) else None,
            changes=changes,
            applied=not fee,
        )
        if not fee:
            _apply_correction(app, correction)
        audit.record(
            "applications.correction",
            actor=actor,
            obj=app,
            after={"fields": sorted(asked), "fee": fee, "correction": correction.pk},
        )
    return correction


def changed_answers(app: Application, data: Mapping[str, Any]) -> dict[str, Any]:
    """The answers in ``data`` that differ from the stored ones once cleaned: an HTML
    form posts every field shown ("yes" for a stored true), and an unchanged answer
    is no correction. Answers that do not clean count as changed (and are refused
    with their error by ``correct``)."""
    cleaned = validation.validate(
        form_of(app.version), {**app.answers, **data}, context=_context(app)
    ).cleaned
    return {
        key: value
        for key, value in data.items()
        if key not in cleaned or validation.jsonable(cleaned[key]) != app.answers.get(key)
    }


def _apply_correction(app: Application, correction: Correction) -> None:
    answers = dict(app.answers)
    for key, (_before, after) in correction.changes.items():
        answers[key] = after
    app.answers = answers
    app.revision += 1
    app.updated_at = clock.now()
    app.save(update_fields=["answers", "revision", "updated_at"])


def correction_fee_lines(correction: Correction) -> list[dict[str, Any]]:
    fee = (correction.application.version.definition.get("fees") or {}).get(
        "correction_fee_paise", 0
    )
    return [
        {
            "code": "correction",
            "label_en": "Correction fee",
            "label_hi": "संशोधन शुल्क",
            "amount_paise": fee,
            "rule": "correction window",
        }
    ]


def start_correction_payment(
    correction: Correction, *, idempotency_key: str, actor: Any
) -> Payment:
    app = correction.application
    if correction.applied:
        raise ApplicationError("This correction has no fee to pay.", "इस सुधार पर कोई शुल्क नहीं है।")
    if not window_of(app.version).correction_open():
        raise WindowClosed(
            "The correction window has closed; this correction will not be made.",
            "सुधार अवधि समाप्त हो गई है; यह सुधार नहीं होगा।",
        )
    user = app.applicant
    return payments.create_payment(
        purpose="correction_fee",
        target=f"{app.number}-C{correction.pk}",
        lines=correction_fee_lines(correction),
        description_en=f"Correction of {app.number}",
        description_hi=f"{app.number} में सुधार",
        idempotency_key=idempotency_key,
        department_code=app.department_code,
        service_code=app.service.code,
        channel=app.channel,
        district_code=payment_district(app),
        kiosk_code=app.kiosk_code,
        payer=user,
        payer_name=user.full_name,
        payer_mobile=user.mobile,
        payer_email=user.email,
        actor=actor,
    )


def _correction_for(payment: Payment) -> Correction | None:
    number, _, pk = payment.target.rpartition("-C")
    return (
        Correction.objects.select_related("application")
        .filter(pk=int(pk) if pk.isdigit() else 0, application__number=number)
        .first()
    )


def correction_usable(payment: Payment):
    from ekseva.payments.purposes import Refusal

    correction = _correction_for(payment)
    if correction is None or correction.applied:
        return Refusal("No correction waits for this fee.", "इस शुल्क के लिए कोई सुधार लंबित नहीं है।")
    if not window_of(correction.application.version).correction_open():
        return Refusal("The correction window has closed.", "सुधार अवधि समाप्त हो गई है।")
    return None


def correction_paid(payment: Payment) -> None:
    correction = _correction_for(payment)
    app = _locked(correction.application)
    correction.applied = True
    correction.fee_payment = payment.reference
    correction.save(update_fields=["applied", "fee_payment"])
    _apply_correction(app, correction)
    audit.record("applications.correction.paid", obj=app, after={"payment": payment.reference})


# --------------------------------------------------------------------------- the clock


def close_lapsed(now: dt.datetime | None = None) -> int:
    """Close drafts whose window has ended and fee-pending applications not paid
    by the last date (after a grace for payments in flight). Run daily."""
    now = now or clock.now()
    grace = dt.timedelta(hours=settings.APPLICATION_FEE_GRACE_HOURS)
    closed = 0
    candidates = Application.objects.filter(
        status__in=[Status.DRAFT, Status.FEE_PENDING]
    ).select_related("version")
    for app in candidates.iterator():
        last = window_of(app.version).last_moment
        if last is None:
            continue
        limit = last if app.status == Status.DRAFT else last + grace
        if now <= limit:
            continue
        with transaction.atomic():
            locked = _locked(app)
            if locked.status not in (Status.DRAFT, Status.FEE_PENDING):
                continue
            remark = (
                ("The last date passed before submission.", "अंतिम तिथि जमा करने से पहले निकल गई।")
                if locked.status == Status.DRAFT
                else ("The fee was not paid by the last date.", "अंतिम तिथि तक शुल्क जमा नहीं हुआ।")
            )
            move(locked, Status.CLOSED, remark_en=remark[0], remark_hi=remark[1])
            locked.closed_at = now
            locked.save()
            audit.record("applications.closed", obj=locked)
            closed += 1
    return closed


def remind_closing_drafts(now: dt.datetime | None = None) -> int:
    """Tell applicants whose drafts are unfinished that the window closes within
    ``APPLICATION_REMIND_HOURS`` (once per draft)."""
    now = now or clock.now()
    soon = dt.timedelta(hours=settings.APPLICATION_REMIND_HOURS)
    sent = 0
    for app in Application.objects.filter(status=Status.DRAFT).select_related(
        "version", "service", "applicant"
    ):
        last = window_of(app.version).last_moment
        if last is None or not (now < last <= now + soon):
            continue
        with transaction.atomic():
            _message(
                app,
                "applications.closing_soon",
                {**_params(app), "closes": f"{timezone.localtime(last):%d-%m-%Y %H:%M}"},
                f"app:{app.pk}:closing",
            )
        sent += 1
    return sent


def payment_district(app: Application) -> str:
    """The applicant's district as a payment carries it: the AdminUnit code after
    ``district:`` (a ledger dimension may not hold the colon; payments.selectors)."""
    if not app.district_id:
        return ""
    return app.district.code.removeprefix(DISTRICT_PREFIX)


def unit_code(unit: AdminUnit | None) -> str:
    return unit.code if unit else ""
