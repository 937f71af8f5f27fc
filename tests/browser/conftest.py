"""Browser tests: Playwright's sync API driving the system's Chromium on a phone-sized page.

Fixtures:
- ``browser``: one Chromium per test session (per xdist worker).
- ``browser_locale``: the page's locale, "en-IN" unless a test overrides it
  (``@pytest.mark.parametrize("browser_locale", ["hi-IN"])``).
- ``page``: a fresh context (cookies, storage) per test, 390x844 like a phone.
- ``snap``: ``snap(page, "step")`` saves test-artifacts/screenshots/<test>/NN-step.png.
  The plain function ``snap`` in this module does the same.

Every test in this directory is marked ``browser`` (``make test-fast`` leaves them out).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django would otherwise
# refuse database access from the test body.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (run `make browser`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def browser_locale() -> str:
    return "en-IN"


@pytest.fixture
def page(browser, browser_locale: str, request) -> Iterator[object]:
    context = browser.new_context(
        viewport=PHONE, locale=browser_locale, timezone_id="Asia/Kolkata", device_scale_factor=1
    )
    page = context.new_page()
    folder = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    shutil.rmtree(folder, ignore_errors=True)
    page.ekseva_shots = {"folder": folder, "count": 0}
    yield page
    context.close()


def snap(page, name: str) -> Path:
    """Save a full-page screenshot as NN-name.png in the test's folder; return its path."""
    shots = page.ekseva_shots
    shots["count"] += 1
    shots["folder"].mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^\w-]+", "-", name).strip("-")
    path = shots["folder"] / f"{shots['count']:02d}-{slug}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(name="snap")
def snap_fixture():
    return snap
