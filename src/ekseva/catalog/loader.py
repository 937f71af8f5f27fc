"""Service definitions as files: check them, then load what changed.

Layout: ``definitions/<DEPT>/department.yaml`` and one
``definitions/<DEPT>/<service-code>.yaml`` per service. ``check_paths`` reports
every problem as ``FILE:LINE: field <id>: message``; ``load_paths`` stores, per
file and in one transaction, the department or a new published version of the
service, but only where the content changed, and nothing from a file with a
problem.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from . import services, spec, yamlio
from .models import CatalogError, Department, Service, ServiceVersion

DEPARTMENT_FILE = "department.yaml"


@dataclass(frozen=True)
class FileProblem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: field {self.field}: {self.message}"


@dataclass
class CheckedFile:
    """One file, checked: what it defines (department values or service definition)."""

    path: Path
    kind: str  # "department" or "service"
    source_hash: str
    problems: list[FileProblem] = field(default_factory=list)
    values: dict[str, Any] | None = None
    unchanged: bool = False  # the live version came from these very bytes

    @property
    def name(self) -> str:
        return display(self.path)


def display(path: Path) -> str:
    """The path as the analyst would type it (relative to the working directory)."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive
        return str(path)


def collect(paths: Iterable[str | Path]) -> list[Path]:
    """YAML files named or found under directories; department files first, so a
    new department exists before its services are loaded."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.yaml") if p.is_file()))
        else:
            found.append(path)
    unique = list(dict.fromkeys(p.resolve() for p in found))
    return sorted(unique, key=lambda p: (p.name != DEPARTMENT_FILE, str(p)))


def _problems(name: str, tree: Any, issues: list[spec.Issue]) -> list[FileProblem]:
    return [
        FileProblem(name, yamlio.line_of(tree, i.path), yamlio.field_label(tree, i.path), i.message)
        for i in issues
    ]


def _read(path: Path) -> tuple[bytes | None, FileProblem | None]:
    try:
        return path.read_bytes(), None
    except OSError as exc:
        return None, FileProblem(display(path), 0, "(file)", f"cannot read: {exc.strerror}")


def _parse(name: str, data: bytes) -> tuple[Any, FileProblem | None]:
    try:
        tree = yamlio.load(data.decode("utf-8"))
    except UnicodeDecodeError:
        return None, FileProblem(name, 1, "(file)", "the file must be UTF-8 text")
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        return None, FileProblem(name, line, "(file)", f"not valid YAML: {exc.problem}")
    except yaml.YAMLError as exc:
        return None, FileProblem(name, 1, "(file)", f"not valid YAML: {exc}")
    if not isinstance(tree, dict):
        return None, FileProblem(name, 1, "(top)", "a definition must be a mapping of keys")
    return tree, None


def _department_of_directory(path: Path, cache: dict[Path, str | None]) -> str | None:
    """The code in the department.yaml next to a service file, if there is one."""
    folder = path.parent
    if folder not in cache:
        cache[folder] = None
        data, _ = _read(folder / DEPARTMENT_FILE)
        if data is not None:
            tree, _ = _parse(display(folder / DEPARTMENT_FILE), data)
            if isinstance(tree, dict) and isinstance(tree.get("code"), str):
                cache[folder] = tree["code"]
    return cache[folder]


def check_file(
    path: Path,
    *,
    live_hashes: frozenset[str] = frozenset(),
    folder_codes: dict[Path, str | None] | None = None,
) -> CheckedFile:
    """Check one file. ``live_hashes``: source hashes of published versions; a
    service file whose bytes match one is unchanged and is not parsed further."""
    folder_codes = {} if folder_codes is None else folder_codes
    kind = "department" if path.name == DEPARTMENT_FILE else "service"
    data, problem = _read(path)
    if data is None:
        return CheckedFile(path, kind, "", [problem])
    checked = CheckedFile(path, kind, hashlib.sha256(data).hexdigest())
    if kind == "service" and checked.source_hash in live_hashes:
        checked.unchanged = True
        return checked
    tree, problem = _parse(checked.name, data)
    if problem is not None:
        checked.problems.append(problem)
        return checked
    if kind == "department":
        values, issues = spec.check_department(tree)
    else:
        values, issues = spec.check_service(tree)
        issues += _placement_issues(path, tree, folder_codes)
    checked.problems = _problems(checked.name, tree, issues)
    checked.values = values if not checked.problems else None
    return checked


def _placement_issues(path: Path, tree: dict, folder_codes: dict) -> list[spec.Issue]:
    """A service file is named after its code and sits with its department."""
    issues = []
    code = tree.get("code")
    if isinstance(code, str) and path.stem != code:
        issues.append(spec.Issue(("code",), f"the file must be named {code}.yaml"))
    dept = tree.get("department")
    folder_dept = _department_of_directory(path, folder_codes)
    if isinstance(dept, str) and folder_dept is not None and dept != folder_dept:
        issues.append(
            spec.Issue(
                ("department",),
                f"the file is in the folder of department {folder_dept}, but names {dept}",
            )
        )
    if isinstance(dept, str) and folder_dept is None and not _department_exists(dept):
        issues.append(
            spec.Issue(
                ("department",), f"unknown department {dept!r}: add {DEPARTMENT_FILE} to the folder"
            )
        )
    return issues


def _department_exists(code: str) -> bool:
    return Department.objects.filter(code=code).exists()


def _live_hashes() -> frozenset[str]:
    return frozenset(
        ServiceVersion.objects.filter(status=ServiceVersion.Status.PUBLISHED)
        .exclude(source_hash="")
        .values_list("source_hash", flat=True)
    )


def check_paths(paths: Iterable[str | Path], *, skip_unchanged: bool = False) -> list[CheckedFile]:
    """Check every file; ``skip_unchanged`` trusts files whose bytes are already live."""
    live = _live_hashes() if skip_unchanged else frozenset()
    folder_codes: dict[Path, str | None] = {}
    return [check_file(p, live_hashes=live, folder_codes=folder_codes) for p in collect(paths)]


def _load_service(checked: CheckedFile, actor: Any) -> str:
    definition = checked.values
    assert definition is not None
    code = definition["code"]
    with transaction.atomic():
        department = Department.objects.get(code=definition["department"])
        service = Service.objects.select_for_update().filter(code=code).first()
        created = service is None
        if service is None:
            service = services.create_service(code, department, definition, actor=actor)
        elif service.department_id != department.pk:
            raise CatalogError(
                f"service {code} belongs to department "
                f"{service.department.code}, not {department.code}"
            )
        current = service.current_version
        if current is not None and current.content_hash == services.content_hash(definition):
            return f"{checked.name}: service {code}: unchanged"
        draft = services.create_draft(
            service, definition, actor, source=checked.name, source_hash=checked.source_hash
        )
        services.publish(draft, actor)
    if created:
        return f"{checked.name}: service {code}: created, version {draft.number} published"
    return (
        f"{checked.name}: service {code}: version {draft.number} published "
        f"(replaces version {current.number if current else '-'})"
    )


def load_checked(files: list[CheckedFile], *, actor: Any = None) -> tuple[list[str], list[str]]:
    """Store what the checked files define. Returns (changes, problems); a file
    with a problem is skipped whole."""
    changes: list[str] = []
    problems: list[str] = []
    for checked in files:
        if checked.problems:
            problems.extend(str(p) for p in checked.problems)
            continue
        if checked.unchanged:
            changes.append(f"{checked.name}: unchanged")
            continue
        try:
            if checked.kind == "department":
                assert checked.values is not None
                department, changed = services.save_department(checked.values, actor=actor)
                changes.append(
                    f"{checked.name}: department {department.code}: "
                    + ("saved" if changed else "unchanged")
                )
            else:
                changes.append(_load_service(checked, actor))
        except CatalogError as exc:
            problems.append(f"{checked.name}:1: field code: {exc.en}")
    return changes, problems


def load_paths(paths: Iterable[str | Path], *, actor: Any = None) -> tuple[list[str], list[str]]:
    """Check, then load: ``(changes, problems)``."""
    return load_checked(check_paths(paths, skip_unchanged=True), actor=actor)
