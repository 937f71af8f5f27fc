"""Docs are part of the product: keep docs/configuration.md true to settings.py."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_environment_variable_is_documented():
    settings_src = (ROOT / "src/ekseva/settings.py").read_text()
    names = set(re.findall(r'env(?:_bool|_int|_list)?\("([A-Z_]+)"', settings_src))
    names |= set(re.findall(r'os\.environ\.get\("([A-Z_]+)"', settings_src))
    names.discard("DJANGO_SETTINGS_MODULE")
    documented = (ROOT / "docs/configuration.md").read_text()
    missing = sorted(name for name in names if f"`{name}`" not in documented)
    assert not missing, f"undocumented settings variables: {missing}"


def test_every_web_server_variable_is_documented():
    conf = (ROOT / "src/ekseva/gunicorn_conf.py").read_text()
    names = set(re.findall(r'(?:_int|os\.environ\.get)\("(WEB_[A-Z_]+)"', conf))
    assert names, "gunicorn_conf reads no WEB_* variable?"
    documented = (ROOT / "docs/configuration.md").read_text()
    missing = sorted(name for name in names if f"`{name}`" not in documented)
    assert not missing, f"undocumented web server variables: {missing}"


def test_readme_starts_with_the_two_commands():
    lines = [line.strip() for line in (ROOT / "README.md").read_text().splitlines()]
    commands = [line for line in lines if line.startswith("make ")]
    assert commands[:2] == ["make run", "make test"]
