"""The Content-Security-Policy in a real browser (issue #8): every page loads
and works under it, and the browser reports no violation. Uses the server and
chromium of ``test_browser.py``."""

from __future__ import annotations

import pytest

from test_browser import CATALOG, ITEM_6, browser, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

PAGES = ["/report", CATALOG, ITEM_6, "/id/instrument/work-injury-insurance-regulation", "/nothing/here"]


@pytest.fixture
def watched(browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.set_default_timeout(15_000)
    yield page, problems
    context.close()


@pytest.mark.parametrize("path", PAGES)
def test_pages_load_under_the_policy_without_violations(server, watched, path):  # noqa: F811
    page, problems = watched
    response = page.goto(server + path)
    assert response.status in (200, 404)
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    assert not problems, problems


def test_the_query_page_runs_a_query_under_the_policy(server, watched):  # noqa: F811
    page, problems = watched
    page.goto(server + "/")
    page.locator("#run").click()
    page.locator("#results-table tbody tr").first.wait_for()
    assert page.locator("#results-table tbody tr").count() > 0
    assert not problems, problems
