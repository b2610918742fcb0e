"""The dashboard in headless Chromium (Debian's, driven by Playwright) against the real server:
overview, search, a pair's chart, the events of a period, forecast and levers, a brief download.
Screenshots go to build/screenshots (FLASHPOINT_SCREENSHOTS) to be looked at."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(os.environ.get("FLASHPOINT_SCREENSHOTS", Path(__file__).resolve().parents[2] / "build" / "screenshots"))
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def page():  # noqa: ANN201
    if not Path(CHROMIUM).exists():
        message = "Debian's chromium is not installed (make test installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + ": CI must run the browser tests")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
        outside: list[str] = []
        context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith("http://127.0.0.1")
                else (outside.append(route.request.url), route.abort())
            ),
        )
        tab = context.new_page()
        yield tab
        browser.close()
    assert not outside, f"the dashboard asked for outside resources: {outside}"


def test_overview_search_pair_events_and_brief(page, server: str, tmp_path: Path) -> None:  # noqa: ANN001
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server}/")
    page.wait_for_selector("#map svg path", timeout=30_000)
    assert page.locator("#map svg path").count() > 100  # country shapes drawn from the local TopoJSON
    # The overview lists the warnings: the demo's come from the warning model (docs/adr/025).
    assert page.locator(".alerts li.warning").count() >= 1
    assert "warning" in page.locator(".alerts li").first.inner_text()
    page.screenshot(path=str(SHOTS / "overview.png"), full_page=True)

    page.fill("#search", "georgia-russia")
    page.press("#search", "Enter")
    page.wait_for_url("**/pair/GEO-RUS")
    page.wait_for_selector("#timeline svg .mark-symbol.role-mark path", timeout=30_000)
    points = page.locator("#timeline svg .mark-symbol.role-mark path")  # the data's points, not the legend's
    assert points.count() == 44  # one point per week with GEO-RUS incidents, drawn
    # The bundled data have no March 2013 (and no 25 August 2012): grey bands in both charts.
    assert page.locator("#timeline svg .mark-rect path").count() == 2
    assert page.locator("#indicators svg .mark-rect path").count() == 2
    # Seven indicator lines overlap: a click on one in the legend brings it forward, the others fade.
    page.locator("#indicators svg .role-legend-label text", has_text="force").first.click(force=True)
    page.wait_for_function(
        "[...document.querySelectorAll('#indicators svg .mark-line.role-mark path')]"
        ".map((p) => p.getAttribute('opacity')).sort().join() === '0.12,0.12,0.12,0.12,0.12,0.12,1'",
        timeout=10_000,
    )
    # The demo holds no past stage-3 escalation: the forecast says why there is no probability.
    page.wait_for_function(
        "document.querySelector('#forecast').textContent.includes('No forecast: too few cases')", timeout=60_000
    )
    page.wait_for_function("document.querySelector('#levers').textContent.includes('points')", timeout=60_000)

    points.nth(points.count() // 2).click(force=True)
    page.wait_for_selector("#period-events:not([hidden]) #events-table tbody tr", timeout=30_000)
    rows = page.locator("#events-table tbody tr")
    assert rows.count() >= 1 and "GEO" in rows.first.inner_text() and "RUS" in rows.first.inner_text()
    # Each event names its type beside its CAMEO code: 'Make statement, not specified below (010)'.
    assert re.search(r"[A-Za-z]{4,}.* \(\d{3,4}\)", rows.first.locator("td").nth(2).inner_text())
    page.screenshot(path=str(SHOTS / "pair.png"), full_page=True)

    with page.expect_download() as download:
        page.click("#brief-pdf")
    saved = tmp_path / "brief.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    page.goto(f"{server}/api/pairs/GEO-RUS/brief?format=html")
    assert "GEO-RUS: situation brief" in page.inner_text("h1")
    page.screenshot(path=str(SHOTS / "brief.png"), full_page=True)
    assert not errors, errors


def test_scenario_runner_and_alerts_page(page, server: str) -> None:  # noqa: ANN001
    page.goto(f"{server}/pair/GEO-RUS")
    page.select_option("#scenario select[name=lever]", "talks")
    page.fill("#scenario input[name=rr]", "0.5")
    page.click("#scenario button")
    page.wait_for_selector("#scenario-chart svg .mark-line path", state="attached", timeout=60_000)  # flat at 0: no height
    assert "talks from week 4: given: relative risk 0.5" in page.inner_text("#scenario-note")
    page.goto(f"{server}/alerts?level=watch")
    assert page.locator("table tr").count() > 3
    page.goto(f"{server}/country/GEO")
    assert "Georgia" in page.inner_text("h1")


def test_the_api_documentation_works_offline(page, server: str) -> None:  # noqa: ANN001
    """Swagger UI is served by the server itself: with every outside request refused (the
    fixture fails on any), /docs draws the API's operations."""
    page.goto(f"{server}/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    assert page.locator(".opblock").count() >= 15 and "/api/alerts" in page.content()
    page.screenshot(path=str(SHOTS / "docs.png"))


def test_the_alerts_page_filters_sorts_and_links(page, server: str) -> None:  # noqa: ANN001
    page.goto(f"{server}/alerts?level=watch")
    rows = page.locator("#alerts-table tbody tr")
    assert rows.count() > 10
    # Sorted by pair with a click on its heading.
    page.click("#alerts-table th:nth-child(2)")
    pairs = page.locator("#alerts-table tbody tr a.pair").all_inner_texts()
    assert pairs == sorted(pairs)
    # Filtered by pair (written as an analyst would), level and date.
    pair = pairs[len(pairs) // 2]
    first, second = pair.split("-")
    page.fill("#alert-filters input[name=pair]", f"{second}-{first}")
    page.select_option("#alert-filters select[name=level]", "warning")
    page.fill("#alert-filters input[name=since]", "2012-01-01")
    page.click("#alert-filters button")
    page.wait_for_url("**/alerts?pair=*")
    shown = page.locator("#alerts-table tbody tr")
    if shown.locator("a.pair").count():
        assert set(shown.locator("a.pair").all_inner_texts()) == {pair}
        assert set(page.locator("#alerts-table tbody tr span.level").all_inner_texts()) <= {"warning", "critical"}
        assert min(shown.locator("td:first-child").all_inner_texts()) >= "2012-01-01"
    else:
        assert "No alert matches these filters" in page.inner_text("#alerts-table")
    # Every warning shows its probability; the previous alert is a link with its date or to the pair's list.
    page.goto(f"{server}/alerts?level=warning")
    assert "%" in page.locator("#alerts-table tbody tr td:nth-child(4)").first.inner_text()
    previous = page.locator("#alerts-table a.previous").first
    href = previous.get_attribute("href")
    assert href.startswith("#") or href.startswith("/alerts?pair=")
    page.screenshot(path=str(SHOTS / "alerts.png"))
