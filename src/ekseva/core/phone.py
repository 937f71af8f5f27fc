"""Indian mobile numbers: the one parser every app uses."""

from __future__ import annotations

import re

MOBILE_RE = re.compile(r"^[6-9][0-9]{9}$")  # ASCII digits only (not Devanagari ones)


def indian_mobile(raw: object) -> str | None:
    """The 10 digits of an Indian mobile number typed with or without +91 / 91 / 0,
    spaces, hyphens or brackets; None when it is not one."""
    digits = re.sub(r"[\s\-()]", "", str(raw or ""))
    if digits.startswith("+91"):
        digits = digits[3:]
    elif len(digits) == 12 and digits.startswith("91"):
        digits = digits[2:]
    elif len(digits) == 11 and digits.startswith("0"):
        digits = digits[1:]
    return digits if MOBILE_RE.match(digits) else None
