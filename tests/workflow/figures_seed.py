"""Case rows made directly, for the figures and exports tests: many quickly, each with
the state, dates and outcome a test needs (the real path, received() and act(), is
exercised in test_reports.py too). Each case gets its own applicant and application
(the Case is one-to-one with it) under the fixture service's version."""

from __future__ import annotations

import datetime as dt
import itertools

from ekseva.accounts.models import CitizenProfile, User
from ekseva.applications.models import Application
from ekseva.catalog.models import Department, Service
from ekseva.core import clock
from ekseva.workflow.models import Case

_seq = itertools.count(1)
D = dt.date


def other_service() -> Service:
    """A second department (OTH) with a service of its own."""
    department, _ = Department.objects.get_or_create(
        code="OTH",
        defaults={"name_en": "Other Department", "name_hi": "अन्य विभाग", "kind": "government"},
    )
    service, _ = Service.objects.get_or_create(
        code="oth-licence",
        defaults={"department": department, "name_en": "Other licence", "name_hi": "अन्य लाइसेंस"},
    )
    return service


def applicant(name: str = "", mobile: str = "", email: str = "", dob: dt.date | None = None):
    n = next(_seq)
    mobile = mobile or f"70{n:08d}"
    name = name or f"Applicant Number{n}"
    user = User.objects.create_citizen(mobile, full_name=name, email=email or f"a{n}@example.in")
    CitizenProfile.objects.create(user=user, name_en=name, date_of_birth=dob or D(1990, 1, 1))
    return user


def make_case(
    service: Service,
    *,
    district=None,
    department: str = "",
    service_code: str = "",
    state: str = Case.State.OPEN,
    received_on: dt.date = D(2026, 6, 1),
    due_date: dt.date | None = D(2026, 6, 12),
    disposed_on: dt.date | None = None,
    in_time: bool | None = None,
    outcome: str = "",
    designated=None,
    person: User | None = None,
    answers: dict | None = None,
    status: str = "in_process",
) -> Case:
    """One case (and its application) as given; ``in_time`` left None for a disposed
    case means "judge by the dates" (the fallback of the figures)."""
    person = person or applicant()
    version = service.current_version or Service.objects.get(code="tst-exam").current_version
    now = clock.now()
    n = next(_seq)
    app = Application.objects.create(
        number=f"TSTSEED{n:06d}",
        service=version.service,
        version=version,
        department_code=department or service.department.code,
        applicant=person,
        district=district,
        answers=answers
        if answers is not None
        else {"date_of_birth": "1990-01-01", "graduate": "yes"},
        status=status,
        created_at=now,
        updated_at=now,
    )
    return Case.objects.create(
        application=app,
        department_code=department or service.department.code,
        service_code=service_code or service.code,
        district=district,
        state=state,
        stage="scrutiny",
        received_on=received_on,
        due_date=due_date,
        disposed_on=disposed_on,
        disposed_in_time=in_time,
        outcome=outcome,
        designated_officer=designated,
        opened_at=now,
        updated_at=now,
    )


def seed_mix(service: Service, places, designated, indore_designated) -> dict[str, Case]:
    """Ten cases, today being Monday 15 June 2026 (see test_reports for the sums)."""
    other = other_service()
    bhopal, indore = places.bhopal, places.indore
    disposed = Case.State.DISPOSED
    cases = {
        # TST, exam service, Bhopal
        "b_in_time": make_case(
            service,
            district=bhopal,
            state=disposed,
            received_on=D(2026, 6, 1),
            due_date=D(2026, 6, 12),
            disposed_on=D(2026, 6, 10),
            in_time=True,
            outcome="approved",
            designated=designated,
        ),
        "b_late": make_case(
            service,
            district=bhopal,
            state=disposed,
            received_on=D(2026, 5, 20),
            due_date=D(2026, 6, 3),
            disposed_on=D(2026, 6, 8),
            in_time=False,
            outcome="rejected",
            designated=designated,
        ),
        "b_beyond": make_case(
            service,
            district=bhopal,
            received_on=D(2026, 5, 25),
            due_date=D(2026, 6, 10),
            designated=designated,
        ),
        "b_within": make_case(
            service,
            district=bhopal,
            received_on=D(2026, 6, 10),
            due_date=D(2026, 6, 24),
            designated=designated,
        ),
        # returned, its (old) due date passed: paused, so within time
        "b_returned": make_case(
            service,
            district=bhopal,
            state=Case.State.RETURNED,
            received_on=D(2026, 5, 1),
            due_date=D(2026, 5, 15),
            designated=designated,
            status="returned",
        ),
        # due today: not yet beyond
        "b_due_today": make_case(
            service,
            district=bhopal,
            received_on=D(2026, 6, 1),
            due_date=D(2026, 6, 15),
            designated=designated,
        ),
        # TST, exam service, Indore
        "i_in_time": make_case(
            service,
            district=indore,
            state=disposed,
            received_on=D(2026, 6, 2),
            due_date=D(2026, 6, 16),
            disposed_on=D(2026, 6, 16),
            in_time=True,
            outcome="approved",
            designated=indore_designated,
        ),
        "i_beyond": make_case(
            service,
            district=indore,
            received_on=D(2026, 6, 1),
            due_date=D(2026, 6, 14),
            designated=indore_designated,
        ),
        # another department, Bhopal
        "o_beyond": make_case(
            other,
            district=bhopal,
            received_on=D(2026, 5, 2),
            due_date=D(2026, 5, 30),
        ),
        # disposed after its due date, flag not set: late by the dates
        "o_late": make_case(
            other,
            district=bhopal,
            state=disposed,
            received_on=D(2026, 5, 4),
            due_date=D(2026, 5, 20),
            disposed_on=D(2026, 5, 24),
            outcome="approved",
        ),
    }
    return cases
