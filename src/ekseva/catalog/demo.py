"""The demo catalogue: every definition under ``definitions/`` at the repo root."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from . import loader
from .models import Department, Service


def definitions_dir() -> Path:
    """``definitions/`` next to ``src/`` (the repository root)."""
    return Path(settings.PROJECT_DIR) / "definitions"


def load_changes() -> list[str]:
    """Load definitions/ (idempotent; files whose bytes are already live are not
    re-parsed). Returns one line per file; raises if any file has a problem."""
    changes, problems = loader.load_paths([definitions_dir()])
    if problems:
        raise ValueError("service definitions have problems:\n" + "\n".join(problems))
    return changes


def load() -> list[str]:
    """Load definitions/ and say so in one line for the demo banner."""
    changes = load_changes()
    changed = [line for line in changes if not line.endswith(("unchanged", "saved"))]
    services = Service.objects.filter(current_version__isnull=False).count()
    departments = Department.objects.count()
    return [
        f"catalogue: {services} services of {departments} departments "
        f"({len(changed)} file(s) changed in this run) at http://127.0.0.1:8000/en/services/"
    ]
