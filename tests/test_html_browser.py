"""The HTML report in a real browser: it renders its charts and asks the network for nothing.

Debian's ``chromium`` (``apt-get install chromium``; never a browser downloaded by
``playwright install``) is driven by Playwright through ``executable_path``, launched with
``--disable-background-networking`` so that the browser's own traffic cannot hide a page
request, and every request that is not ``file:``, ``data:`` or ``blob:`` fails the test.
Skips with the reason when chromium or Playwright is absent, except under
``AUDITOR_REQUIRE_BROWSER=1`` (.ci/run) where that is a failure.

The README's screenshot is taken here: ``AUDITOR_SCREENSHOT=docs/report-screenshot.png``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from reports_support import REPO, audit_with_sources

from auditor.reports import render

LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
CHROMIUM_NAMES = ("chromium", "chromium-browser")


def _chromium() -> str:
    found = next((shutil.which(name) for name in CHROMIUM_NAMES if shutil.which(name)), None)
    problem = "" if found else "Debian's chromium is not installed (apt-get install -y chromium)"
    if not problem:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "playwright is not installed (pip install -e '.[test]')"
    if problem:
        if os.environ.get("AUDITOR_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{problem}; AUDITOR_REQUIRE_BROWSER=1 requires the browser test")
        pytest.skip(problem)
    return found  # type: ignore[return-value]


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            # no sandbox: CI containers run as root, where chromium refuses its sandbox
            args=["--disable-background-networking", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-component-update", "--no-first-run"],
        )
        yield launched
        launched.close()


def open_report(browser, path: Path, width: int = 1100):
    """A page with the report loaded; returns the page and every request it made that was not local."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    remote: list[str] = []

    def guard(route):
        url = route.request.url
        if url.startswith(LOCAL_SCHEMES):
            route.continue_()
        else:
            remote.append(url)
            route.abort()

    page.route("**/*", guard)
    page.on("request", lambda request: None if request.url.startswith(LOCAL_SCHEMES) else remote.append(request.url))
    page.goto(path.resolve().as_uri(), wait_until="load")
    return page, remote


def test_the_report_renders_its_charts_offline(browser, tmp_path):
    result = audit_with_sources("night-shift-nurse")
    report = tmp_path / "report.html"
    report.write_text(render(result, "html"), encoding="utf-8")
    page, remote = open_report(browser, report)
    try:
        assert page.title().startswith("What scorers could infer")
        charts = page.locator("figure.chart svg")
        assert charts.count() >= 4
        for index in range(charts.count()):
            box = charts.nth(index).bounding_box()
            assert box is not None and box["width"] > 100 and box["height"] > 50, (index, box)
            # the chart drew marks, not an empty frame
            assert charts.nth(index).locator("path").count() > 10
        assert page.locator(".card .score").first.inner_text().strip() == f"{result.packs[0].score.score:,.0f}"
        assert page.locator("table.evidence tr").count() > 1
        page.emulate_media(media="print")
        assert page.locator("nav").is_hidden()  # print CSS applies
    finally:
        page.close()
    assert remote == []


def test_screenshot_for_the_readme(browser, tmp_path):
    """Only on demand: AUDITOR_SCREENSHOT=docs/report-screenshot.png (the built-in packs, the nurse)."""
    target = os.environ.get("AUDITOR_SCREENSHOT")
    if not target:
        pytest.skip("set AUDITOR_SCREENSHOT=docs/report-screenshot.png to retake the README's screenshot")
    from auditor import resources
    from auditor.pipeline import run_audit

    persona = REPO / "sample_exports" / "night-shift-nurse"
    report = tmp_path / "report.html"
    report.write_text(render(run_audit([persona], timezone=resources.persona_timezone([persona])), "html"),
                      encoding="utf-8")  # fmt: skip
    page, remote = open_report(browser, report, width=1200)
    page.screenshot(path=str(REPO / target), full_page=True, clip={"x": 0, "y": 0, "width": 1200, "height": 1500})
    page.close()
    assert remote == []


def test_the_guard_catches_a_remote_request(browser, tmp_path):
    # the check above can fail: a page that asks for an image from the network is caught
    page_file = tmp_path / "leaky.html"
    page_file.write_text('<!DOCTYPE html><html><body><img src="http://tiles.example.invalid/1.png"></body></html>')
    page, remote = open_report(browser, page_file)
    page.close()
    assert remote and remote[0].startswith("http://tiles.example.invalid/")
