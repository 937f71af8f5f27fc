"""Initial answers from what the portal already knows about the citizen, so that
nobody types their name and date of birth into every form."""

from __future__ import annotations

from typing import Any

from ekseva.forms.definition import FormDefinition


def prefill(defn: FormDefinition, profile: Any) -> dict[str, Any]:
    """Initial values for ``defn``: each field's ``default``, then its ``prefill``
    source (``profile.date_of_birth``, ``profile.district`` as a unit code,
    ``user.mobile``...). ``profile`` is a CitizenProfile, a User (its profile is
    used when it has one) or None."""
    user, citizen = _user_and_profile(profile)
    values: dict[str, Any] = {}
    for f in defn.all_fields():
        if f.default is not None:
            values[f.id] = list(f.default) if isinstance(f.default, list) else f.default
        if f.prefill:
            value = _lookup(f.prefill, user, citizen)
            if value not in (None, ""):
                values[f.id] = value
    return values


def _user_and_profile(obj: Any) -> tuple[Any, Any]:
    if obj is None:
        return None, None
    if hasattr(obj, "date_of_birth"):  # a CitizenProfile
        return obj.user, obj
    try:
        return obj, obj.profile
    except AttributeError:  # a user without a profile (RelatedObjectDoesNotExist)
        return obj, None


def _lookup(path: str, user: Any, citizen: Any) -> Any:
    source, _, attribute = path.partition(".")
    holder = citizen if source == "profile" else user
    if holder is None:
        return None
    value = getattr(holder, attribute, None)
    if attribute in ("district", "tehsil"):
        return value.code if value is not None else None
    if attribute == "pwd":
        return bool(value)
    return value
