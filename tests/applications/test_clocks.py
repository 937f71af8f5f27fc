"""The application clocks, to the second by the frozen server clock: drafts close
after the last moment of the late window, unpaid applications after the fee grace;
unfinished drafts are reminded once, within the reminder period before the close.
Run through the Celery tasks, the management command and beat's schedule."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.core.management import call_command

from ekseva.applications import services, tasks
from ekseva.applications.models import Status
from ekseva.core import clock
from ekseva.notifications.models import Message

from .conftest import ANSWERS, jpeg

pytestmark = pytest.mark.django_db

IST = ZoneInfo("Asia/Kolkata")
# The test service: closes 30 June, late window to 5 July (end of the day, IST).


def at(day: str, time: str = "00:00:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=IST)


def draft(service, citizen):
    app = services.start(citizen, service)
    services.save_step(app, "about", {"gender": "F"}, actor=citizen)
    app.refresh_from_db()
    return app


def fee_pending(service, citizen):
    app = services.start(citizen, service)
    assert services.save_step(app, "about", ANSWERS, actor=citizen).ok
    app.refresh_from_db()
    services.attach_upload(app, "photo", jpeg(), actor=citizen)
    app = services.submit(app, declaration=True, actor=citizen)
    assert app.status == Status.FEE_PENDING
    return app


def status_of(app) -> str:
    app.refresh_from_db()
    return app.status


@pytest.fixture
def hours(settings):
    settings.APPLICATION_FEE_GRACE_HOURS = 24
    settings.APPLICATION_REMIND_HOURS = 48
    return settings


# --------------------------------------------------------------------------- closing


def test_a_draft_closes_at_the_first_second_after_the_last_moment(service, citizen, hours):
    app = draft(service, citizen)
    with clock.frozen(at("2026-07-05", "23:59:59")):
        assert tasks.close_lapsed() == 0
        assert status_of(app) == Status.DRAFT
    with clock.frozen(at("2026-07-06", "00:00:00")):
        assert tasks.close_lapsed() == 1
        assert status_of(app) == Status.CLOSED
        app.refresh_from_db()
        assert app.closed_at == at("2026-07-06")
        last = app.history.last()
        assert (last.from_status, last.to_status) == (Status.DRAFT, Status.CLOSED)
        assert last.remark_en == "The last date passed before submission."
        assert last.remark_hi == "अंतिम तिथि जमा करने से पहले निकल गई।"
        assert tasks.close_lapsed() == 0  # once
    assert app.history.filter(to_status=Status.CLOSED).count() == 1


def test_an_unpaid_application_closes_only_after_the_grace(service, citizen, hours):
    app = fee_pending(service, citizen)
    with clock.frozen(at("2026-07-06", "00:00:00")):  # drafts close now, not this one
        assert tasks.close_lapsed() == 0
    with clock.frozen(at("2026-07-06", "23:59:59")):  # 24 hours after the last moment
        assert tasks.close_lapsed() == 0
        assert status_of(app) == Status.FEE_PENDING
    with clock.frozen(at("2026-07-07", "00:00:00")):
        assert tasks.close_lapsed() == 1
        assert status_of(app) == Status.CLOSED
        assert app.history.last().remark_en == "The fee was not paid by the last date."


def test_the_grace_is_a_setting(service, citizen, hours):
    hours.APPLICATION_FEE_GRACE_HOURS = 72
    app = fee_pending(service, citizen)
    with clock.frozen(at("2026-07-08", "23:59:59")):
        assert tasks.close_lapsed() == 0
    with clock.frozen(at("2026-07-09", "00:00:00")):
        assert tasks.close_lapsed() == 1
    assert status_of(app) == Status.CLOSED


def test_a_withdrawn_application_is_left_alone(service, citizen, hours):
    withdrawn = fee_pending(service, citizen)
    services.withdraw(withdrawn, reason="not going", actor=citizen)
    with clock.frozen(at("2026-08-01")):
        assert tasks.close_lapsed() == 0
    assert status_of(withdrawn) == Status.WITHDRAWN


def test_the_command_closes_and_says_how_many(service, citizen, other_citizen, hours):
    first, second = draft(service, citizen), draft(service, other_citizen)
    out = StringIO()
    with clock.frozen(at("2026-07-06", "00:10:00")):
        call_command("applications", "close-lapsed", stdout=out)
        call_command("applications", "close-lapsed", stdout=out)
    assert out.getvalue().splitlines() == ["closed 2 application(s)", "closed 0 application(s)"]
    assert status_of(first) == status_of(second) == Status.CLOSED


# --------------------------------------------------------------------------- reminders


def reminders(app=None):
    qs = Message.objects.filter(template="applications.closing_soon")
    return qs.filter(user_id=app.applicant_id) if app else qs


def test_a_draft_is_reminded_once_within_the_period_before_the_close(service, citizen, hours):
    app = draft(service, citizen)
    # The last moment is 5 July 23:59:59.999999: 48 hours before it is 3 July, 23:59:59.999999.
    with clock.frozen(at("2026-07-03", "23:59:59")):
        tasks.remind_closing_drafts()
        assert not reminders().exists()
    with clock.frozen(at("2026-07-04", "09:00:00")):
        assert tasks.remind_closing_drafts() == 1
    sent = list(reminders(app).values_list("channel", flat=True))
    assert sorted(sent) == ["email", "inapp", "sms"]
    message = reminders(app).get(channel="sms")
    assert message.recipient == "9876500001"
    assert "05-07-2026 23:59" in message.body and "Test Examination" in message.body
    with clock.frozen(at("2026-07-05", "09:00:00")):  # the next day's run
        tasks.remind_closing_drafts()
    assert reminders(app).count() == 3  # still once per draft and channel


def test_no_reminder_after_the_close_or_for_submitted_applications(
    service, citizen, other_citizen, hours
):
    submitted = fee_pending(service, citizen)
    with clock.frozen(at("2026-07-04", "09:00:00")):
        assert tasks.remind_closing_drafts() == 0
    assert not reminders(submitted).exists()
    late = draft(service, other_citizen)
    with clock.frozen(at("2026-07-06", "00:00:00")):
        assert tasks.remind_closing_drafts() == 0
    assert not reminders(late).exists()


def test_the_reminder_in_hindi_for_a_hindi_speaker(service, citizen, hours):
    citizen.preferred_language = "hi"
    citizen.save(update_fields=["preferred_language"])
    draft(service, citizen)
    out = StringIO()
    with clock.frozen(at("2026-07-05", "09:00:00")):
        call_command("applications", "remind", stdout=out)
    assert out.getvalue().strip() == "reminded 1 draft(s)"
    body = reminders().get(channel="sms").body
    assert "परीक्षण परीक्षा" in body and "05-07-2026 23:59" in body


# --------------------------------------------------------------------------- beat


def test_beat_runs_the_closing_after_midnight_and_the_reminders_in_the_morning():
    entries = {e["task"]: e["schedule"] for e in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert entries["ekseva.applications.tasks.close_lapsed"] == crontab(hour=0, minute=10)
    assert entries["ekseva.applications.tasks.remind_closing_drafts"] == crontab(hour=9, minute=0)
    assert django_settings.CELERY_TIMEZONE == "Asia/Kolkata"
