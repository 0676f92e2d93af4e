"""Opens a page in a real browser (Debian's headless Chromium through Playwright) and reports what it rendered.

Tests call :func:`render_page`; it skips the test, saying why, only where no Chromium can be started (CI installs the
``chromium`` package: .ci/run).
"""
import os
import shutil
from dataclasses import dataclass, field
from typing import List

import pytest

CHROMIUM_NAMES = ('chromium', 'chromium-browser', 'google-chrome')
"""Executables tried, in order."""
VIEWPORT = dict(width=1200, height=900)
"""The window the page is rendered in (the screenshot is of the full page)."""
ARTEFACTS_ENV = 'ADAPTCLS_TEST_ARTEFACTS'
"""Environment variable naming the folder for screenshots (default: test-artefacts/ in the repository)."""
ARTEFACTS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                             'test-artefacts')


@dataclass
class RenderedPage:
    """What the browser saw.

    Attributes:
        headings (list[str]): the text of every h1 and h2, in order.
        images (list[tuple[str, int]]): (alt text, naturalWidth) of every image; 0 means it did not load.
        console_errors (list[str]): console messages of type error and uncaught page errors.
        screenshot (str): the full-page PNG written.
    """

    headings: List[str] = field(default_factory=list)
    images: List[tuple] = field(default_factory=list)
    console_errors: List[str] = field(default_factory=list)
    screenshot: str = ''


def chromium_executable() -> str:
    """The path of a Chromium executable; skips the test when there is none."""
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip(f'no Chromium on this machine ({", ".join(CHROMIUM_NAMES)} not on PATH): install Debian\'s chromium '
                'package (.ci/run does) to run the browser checks')


def artefact_path(name: str) -> str:
    """Where a test keeps file ``name`` for people to look at (created)."""
    folder = os.environ.get(ARTEFACTS_ENV, ARTEFACTS_DIR)
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, name)


def render_page(html_file: str, screenshot_name: str) -> RenderedPage:
    """Loads ``html_file`` in headless Chromium with the network off, waits for it to load, screenshots it.

    Args:
        html_file (str): the page.
        screenshot_name (str): file name of the screenshot in the artefacts folder (:func:`artefact_path`).
    """
    executable = chromium_executable()
    sync_api = pytest.importorskip('playwright.sync_api', reason='playwright is installed with the tests extra')
    rendered = RenderedPage(screenshot=artefact_path(screenshot_name))
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=['--no-sandbox'])
        try:
            context = browser.new_context(viewport=VIEWPORT, offline=True)
            page = context.new_page()
            page.on('console', lambda message: rendered.console_errors.append(message.text)
                    if message.type == 'error' else None)
            page.on('pageerror', lambda error: rendered.console_errors.append(str(error)))
            page.goto('file://' + os.path.abspath(html_file), wait_until='load')
            rendered.headings = page.evaluate('Array.from(document.querySelectorAll("h1, h2"), h => h.textContent)')
            rendered.images = [tuple(item) for item in page.evaluate(
                'Array.from(document.images, image => [image.alt, image.naturalWidth])')]
            page.screenshot(path=rendered.screenshot, full_page=True)
        finally:
            browser.close()
    return rendered
