"""The applicant's side of the back office: what to fix on a returned application
and the resubmission (/<lang>/office/returned/<number>/)."""

from __future__ import annotations

from ekseva.notifications import templates


def register() -> None:
    """Message templates of the officers' actions and the applicant's next step."""
    _templates()


def _templates() -> None:
    def both(en: str, hi: str) -> dict[str, str]:
        return {"en": en, "hi": hi}

    templates.register(
        "workflow.hearing",
        sms=both(
            "Application {number} ({service}): a hearing is fixed for {when} at {place}. "
            "Please attend with your documents.",
            "आवेदन {number} ({service}): सुनवाई {when} को {place} में तय है। "
            "कृपया अपने दस्तावेज़ों के साथ उपस्थित हों।",
        ),
        inapp=both(
            "Hearing on application {number}: {when} at {place}.",
            "आवेदन {number} की सुनवाई: {when}, {place}।",
        ),
    )
