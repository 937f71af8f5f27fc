"""The demo catalogue: every definition under ``definitions/`` at the repo root."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from . import loader


def definitions_dir() -> Path:
    """``definitions/`` next to ``src/`` (the repository root)."""
    return Path(settings.PROJECT_DIR) / "definitions"


def load() -> list[str]:
    """Load definitions/ (idempotent; files whose bytes are already live are not
    re-parsed). Returns what changed; raises if any file has a problem."""
    changes, problems = loader.load_paths([definitions_dir()])
    if problems:
        raise ValueError("service definitions have problems:\n" + "\n".join(problems))
    return changes
