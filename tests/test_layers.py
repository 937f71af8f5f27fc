"""The layering of docs/architecture.md, checked: an app imports only apps of lower
layers (and never one beside it). A new app must be placed here and in the doc."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "ekseva"

# Lowest first; apps in one tuple are beside each other and must not import each other.
LAYERS: list[tuple[str, ...]] = [
    ("core",),
    ("notifications", "geo", "ledger"),
    ("accounts",),
    ("forms",),
    ("catalog",),
    ("payments",),
    ("applications",),
    ("kiosks",),
    ("workflow",),
    ("certificates",),
    ("web",),
]
LEVEL = {app: level for level, apps in enumerate(LAYERS) for app in apps}


def imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        for module in modules:
            parts = module.split(".")
            if parts[0] == "ekseva" and len(parts) > 1 and parts[1] in LEVEL:
                names.add(parts[1])
    return names


def test_every_app_has_a_layer():
    apps = {p.parent.name for p in SRC.glob("*/apps.py")}
    assert apps == set(LEVEL), "place new apps in LAYERS and docs/architecture.md"


@pytest.mark.parametrize("app", sorted(LEVEL))
def test_app_imports_only_lower_layers(app):
    wrong = []
    for path in (SRC / app).rglob("*.py"):
        for other in imported_apps(path) - {app}:
            if LEVEL[other] >= LEVEL[app]:
                wrong.append(f"{path.relative_to(SRC)} imports ekseva.{other}")
    assert not wrong, "imports against the layering:\n" + "\n".join(sorted(wrong))
