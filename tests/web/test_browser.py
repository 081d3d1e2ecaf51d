"""The query page in a real browser against a real server process.

Starts ``python -m zwgk.cli serve`` on a free port and drives Debian's
chromium (``/usr/bin/chromium``, installed by ``.ci/run``) with Playwright.
Screenshots go to ``tests/artifacts/screenshots/`` (git-ignored) for people
to look at. A missing or broken chromium fails these tests: it is not a
reason to skip them.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conftest import ROOT

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SHOTS = ROOT / "tests" / "artifacts" / "screenshots"
CATALOG = "/id/catalog/hami-2024-social-insurance"
ITEM_6 = CATALOG + "/item/6"
INSTRUMENT = "/id/instrument/social-insurance-handling-regulation"
CITING_765 = [6, 9, 30, 31, 32, 33, 34, 37]  # the items citing 社会保险经办条例 (国务院令第765号)
START_TIMEOUT = 120.0  # seconds: the first start may build the graph


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    log_path = tmp_path_factory.mktemp("server") / "serve.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "zwgk.cli", "--root", str(ROOT), "serve", "--port", str(port)],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"`zwgk serve` exited with {proc.returncode}:\n{log_path.read_text()}")
            try:
                if httpx.get(base + "/", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"`zwgk serve` did not answer on {base} within {START_TIMEOUT} s:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); .ci/run does")
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as pw:
        try:
            b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        except Error as exc:
            pytest.fail(f"{CHROMIUM} does not start: {exc}")
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    p.set_default_timeout(15_000)
    yield p
    context.close()
    assert not errors, f"script errors in the page: {errors}"


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def numbers_in_table(page) -> list[int]:
    return [int(t) for t in page.locator("#results-table tbody td[data-var=number]").all_text_contents()]


def test_named_query_then_item_page(server, page):
    """Pick the example items-citing, run it with its example value, follow item 6."""
    page.goto(server + "/")
    assert page.locator("textarea#query").is_visible()
    example = page.locator("#example-items-citing")
    assert example.locator("input[name=instrument]").input_value() == "国务院令765号"
    shoot(page, "home-start")

    example.locator("button.run-named").click()
    rows = page.locator("#results-table tbody tr")
    rows.nth(len(CITING_765) - 1).wait_for()
    assert rows.count() == len(CITING_765)
    assert numbers_in_table(page) == CITING_765
    assert page.locator("#status").text_content().startswith("8 rows")
    assert page.locator("#error").is_hidden()
    assert "items-citing" in page.locator("textarea#query").input_value()  # its SPARQL is loaded
    assert page.locator("#download-csv").get_attribute("href") == (
        "/queries/items-citing?instrument=%E5%9B%BD%E5%8A%A1%E9%99%A2%E4%BB%A4765%E5%8F%B7&format=csv")
    # literals carry their language tag
    assert "@zh" in page.locator("#results-table tbody tr").first.locator("td[data-var=title]").text_content()
    shoot(page, "home")

    page.locator(f'#results-table a[href="{ITEM_6}"]').first.click()
    page.wait_for_url(server + ITEM_6)
    page.wait_for_load_state()
    # the legal-basis field links the instrument (the raw source line, shown too, only names it)
    basis = page.locator(f'tr.f-legalBasis a[href="{INSTRUMENT}"]')
    assert basis.count() == 1, "item 6's legal basis links 社会保险经办条例"
    assert "社会保险经办条例" in basis.inner_text()
    assert page.locator(f'#citations a[href="{INSTRUMENT}"]').count() >= 1, "and so does its citation"
    shoot(page, "item")


def test_editor_runs_sparql_with_ctrl_enter(server, page):
    page.goto(server + "/")
    page.locator("#example-items-citing button.load").click()
    query = page.locator("textarea#query").input_value()
    assert query.lstrip().startswith("# items-citing") and "SELECT ?item" in query
    page.locator("textarea#query").fill(
        "PREFIX zwgk: <https://w3id.org/zwgk/ontology#>\n"
        "SELECT ?item ?number WHERE { ?item zwgk:itemNumber ?number } ORDER BY ?number LIMIT 5\n")
    page.locator("textarea#query").press("Control+Enter")
    page.locator("#results-table tbody tr").nth(4).wait_for()
    assert numbers_in_table(page) == [1, 2, 3, 4, 5]
    link = page.locator("#results-table td[data-var=item] a").first
    assert link.get_attribute("href") == CATALOG + "/item/1"
    csv = page.locator("#download-csv").get_attribute("href")
    assert csv.startswith("/sparql?query=") and csv.endswith("&format=csv")
    answer = httpx.get(server + csv, timeout=10)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert answer.text.splitlines()[0].strip() == "item,number"


def test_a_result_iri_that_is_not_a_web_address_is_shown_not_linked(server, page):
    page.goto(server + "/")
    page.locator("textarea#query").fill(
        'SELECT ?x WHERE { VALUES ?x { <javascript:alert(1)> <https://example.org/a> } }\n')
    page.locator("textarea#query").press("Control+Enter")
    page.locator("#results-table tbody tr").nth(1).wait_for()
    cells = page.locator("#results-table td[data-var=x]")
    assert cells.nth(0).locator("a").count() == 0 and "javascript:alert(1)" in cells.nth(0).inner_text()
    assert cells.nth(1).locator("a").get_attribute("href") == "https://example.org/a"


def test_error_box_shows_the_server_message(server, page):
    page.goto(server + "/")
    page.locator("textarea#query").fill("SELECT ?x WHERE { ?x ")
    page.locator("#run").click()
    page.locator("#error").wait_for(state="visible")
    assert page.locator("#error-title").text_content().startswith("400")
    assert page.locator("#error-message").text_content().strip()
    assert page.locator("#results-table").count() == 0
    shoot(page, "home-error")


def test_report_page(server, page):
    response = page.goto(server + "/report")
    assert response.status in (200, 404)
    assert "Validation report" in page.locator("h1").text_content()
    shoot(page, "report")


@pytest.mark.parametrize(("name", "path", "text"), [
    ("catalog", CATALOG, "社会保险"),
    ("instrument", INSTRUMENT, "社会保险经办条例"),
])
def test_linked_data_pages(server, page, name, path, text):
    response = page.goto(server + path)
    assert response.status == 200, f"{path} answers {response.status}"
    assert text in page.locator("body").inner_text()
    shoot(page, name)


def test_api_page_works_offline(server, browser):
    """/api lists the operations with nothing from the network: requests to other sites are refused."""
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    elsewhere: list[str] = []

    def only_here(route):
        if route.request.url.startswith(server):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_here)
    page = context.new_page()
    try:
        response = page.goto(server + "/api")
        assert response.status == 200
        page.wait_for_load_state("networkidle")
        operations = page.locator("article.operation")
        assert operations.count() >= 10
        named = page.locator("article.operation", has_text="/queries/{name}")
        assert named.count() == 1 and named.locator("table.params code", has_text="name").count() == 1
        assert page.locator("article.operation code.method", has_text="POST").count() >= 1  # POST /sparql
        assert not elsewhere, f"/api asked other sites for {elsewhere}"
        shoot(page, "api")
    finally:
        context.close()
