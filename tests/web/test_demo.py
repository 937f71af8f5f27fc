"""``ekseva demo``: layer order, idempotency, and honest import errors."""

import sys
import types

import pytest
from django.apps import apps
from django.core.management import call_command

from ekseva.web.management.commands import demo


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


@pytest.mark.django_db
def test_demo_twice_creates_nothing_the_second_time(capsys):
    call_command("demo")
    first = _row_counts()
    out = capsys.readouterr().out
    assert "Demo logins" in out and "http://127.0.0.1:8000/en/" in out
    call_command("demo")
    assert _row_counts() == first


def test_demo_modules_are_in_layer_order():
    order = ["geo", "accounts", "catalog"]
    layers = [name.split(".")[1] for name in demo.DEMO_MODULES]
    assert [layer for layer in layers if layer in order] == order
    assert all(name.startswith("ekseva.") and name.endswith(".demo") for name in demo.DEMO_MODULES)


@pytest.fixture
def fake_modules(monkeypatch):
    """Install in-memory demo modules; return the list of calls they record."""
    calls: list[str] = []

    def install(name: str, load) -> None:
        module = types.ModuleType(name)
        module.load = load
        monkeypatch.setitem(sys.modules, name, module)

    install("ekseva.fake_low.demo", lambda: calls.append("low") or ["low: user 1"])
    install("ekseva.fake_high.demo", lambda: calls.append("high") or None)
    return calls


def test_modules_run_in_the_listed_order_and_their_lines_are_printed(
    monkeypatch, fake_modules, capsys
):
    names = ["ekseva.fake_low.demo", "ekseva.absent_app.demo", "ekseva.fake_high.demo"]
    monkeypatch.setattr(demo, "DEMO_MODULES", names)
    call_command("demo")
    assert fake_modules == ["low", "high"]
    out = capsys.readouterr().out
    assert "[fake_low]" in out and "low: user 1" in out
    assert "absent_app" not in out


def test_a_missing_demo_module_in_an_existing_app_is_skipped():
    assert demo.import_demo_module("ekseva.web.no_such_demo") is None


def test_a_broken_import_inside_a_demo_module_is_not_swallowed(monkeypatch, tmp_path):
    package = tmp_path / "ekseva_brokendemo"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "demo.py").write_text("import a_library_that_is_not_installed\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError) as excinfo:
        demo.import_demo_module("ekseva_brokendemo.demo")
    assert excinfo.value.name == "a_library_that_is_not_installed"


def test_an_error_inside_load_propagates(monkeypatch):
    def load():
        raise ValueError("bad demo data")

    module = types.ModuleType("ekseva.fake_bad.demo")
    module.load = load
    monkeypatch.setitem(sys.modules, "ekseva.fake_bad.demo", module)
    monkeypatch.setattr(demo, "DEMO_MODULES", ["ekseva.fake_bad.demo"])
    with pytest.raises(ValueError, match="bad demo data"):
        call_command("demo")
