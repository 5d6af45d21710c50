"""Fixtures of the browser tests: Debian's Chromium through Playwright, and JupyterLab servers
on throw-away copies of the course.

The browser is the system's own (`/usr/bin/chromium`, from `make install`); Playwright never
downloads one. If it cannot start, the tests fail and say why: a skipped browser suite would
hide that students cannot use the course.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from lab_ui import ROOT

CHROMIUM = Path(os.environ.get("CONVGRADE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 800}

os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"  # the system's Chromium, never a downloaded one


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One Chromium per test module, with a fresh user-data folder; yields its context."""
    if not CHROMIUM.exists():
        pytest.fail(f"Debian's Chromium is not at {CHROMIUM}: run `make install` as root "
                    "(it installs the chromium and chromium-driver packages)", pytrace=False)
    from playwright.sync_api import Error, expect, sync_playwright

    expect.set_options(timeout=60_000)  # a loaded machine renders slowly

    with sync_playwright() as playwright:
        try:
            context = playwright.chromium.launch_persistent_context(
                str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM),
                args=CHROMIUM_ARGS, headless=True, viewport=VIEWPORT)
        except Error as exc:
            pytest.fail(f"Chromium at {CHROMIUM} did not start: {exc}", pytrace=False)
        context.set_default_timeout(60_000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser):
    """A new tab, closed after the test."""
    tab = browser.new_page()
    yield tab
    tab.close()


@pytest.fixture
def course_copy(tmp_path):
    """A copy of the course's `source/` and `release/` in a temporary folder (the repository's
    own folders are never touched)."""
    root = tmp_path / "course"
    for folder in ("source", "release"):
        shutil.copytree(ROOT / folder, root / folder)
    return root


@pytest.fixture
def lab_environment(tmp_path, monkeypatch):
    """JupyterLab's user settings and workspaces in the test's folder, not the user's home."""
    monkeypatch.setenv("JUPYTERLAB_SETTINGS_DIR", str(tmp_path / "lab-user-settings"))
    monkeypatch.setenv("JUPYTERLAB_WORKSPACES_DIR", str(tmp_path / "lab-workspaces"))
