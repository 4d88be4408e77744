"""Fixtures for the real-browser tests: chromium, an offline guard, the bare widget page and
a JupyterLab server. Run with ``pytest tests/browser -m browser``.

Without chromium they fail (never skip) and say how to install it; ``make test`` installs it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser import harness

SCREENSHOTS = harness.REPO / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser():
    if harness.chromium_path() is None:
        pytest.fail("chromium is not installed: run `make test` (it installs it), or apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = harness.launch(p)
        yield b
        b.close()


@pytest.fixture
def guard():
    """Records every non-local request; the test fails at teardown if there was one."""
    g = harness.OfflineGuard()
    yield g
    assert g.blocked == [], f"the page tried to reach the network: {g.blocked}"


@pytest.fixture
def context(browser, guard):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    guard.install(ctx)
    yield ctx
    ctx.close()


@pytest.fixture(scope="session")
def static_server():
    server = harness.StaticServer()
    yield server
    server.close()


@pytest.fixture
def page(context, static_server):
    """The bare page with the bundle loaded; page errors fail the test."""
    errors: list[str] = []
    pg = harness.open_test_page(context, static_server)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    assert errors == [], f"uncaught errors in the page: {errors}"


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory):
    """A folder with the lesson notebooks, outputs cleared (stale outputs fool selectors)."""
    root = tmp_path_factory.mktemp("lab")
    for nb in sorted((harness.REPO / "notebooks").glob("*.ipynb")):
        data = json.loads(nb.read_text(encoding="utf-8"))
        (root / nb.name).write_text(json.dumps(harness.clear_outputs(data)), encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def lab(browser, lab_root):
    server = harness.JupyterLab(lab_root)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def module_guard():
    """One offline guard per JupyterLab test module: fails the module if its pages reached past 127.0.0.1."""
    guard = harness.OfflineGuard()
    yield guard
    assert guard.blocked == [], f"the page tried to reach the network: {guard.blocked}"
