"""The query page, the report page and their assets, in-process."""

from __future__ import annotations

import dataclasses
import html
import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from conftest import ROOT
from zwgk.build import Project
from zwgk.web.app import create_app
from zwgk.web.settings import Settings
from zwgk.web.state import AppState
from zwgk.web.ui import STATIC


@pytest.fixture(scope="module")
def state() -> AppState:
    return AppState.open(Settings(), Project(ROOT))


@pytest.fixture(scope="module")
def client(state) -> TestClient:
    return TestClient(create_app(Settings(), state))


def client_with(state: AppState, **changes) -> TestClient:
    return TestClient(create_app(Settings(), dataclasses.replace(state, **changes)))


class Page(HTMLParser):
    """The elements of a page, as (tag, attributes) pairs, and the text of some of them."""

    def __init__(self, text: str):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.texts: dict[str, str] = {}
        self._open: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        key = attrs.get("id")
        if tag in ("textarea", "pre") and key is None and "example-sparql" in (attrs.get("class") or ""):
            key = f"sparql:{len([k for k in self.texts if k.startswith('sparql:')])}"
        if key:
            self._open.append(key)
            self.texts.setdefault(key, "")
        else:
            self._open.append("")

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()

    def handle_data(self, data):
        for key in self._open:
            if key:
                self.texts[key] += data

    def find(self, tag: str, **attrs) -> list[dict]:
        return [a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]


# ---------------------------------------------------------------- the query page


def test_home_has_the_editor_and_run_button(client):
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    page = Page(r.text)
    assert page.find("textarea", id="query", name="query"), "the SPARQL editor is a textarea named query"
    assert page.find("form", id="query-form", action="/sparql", method="post")
    assert page.find("button", id="run")
    assert page.find("script", src="/static/ui.js")
    assert "Ctrl" in r.text and "Enter" in r.text  # the shortcut is told
    assert 'rel="alternate"' in r.headers.get("link", "")


def test_home_lists_every_named_query_with_its_parameters(client, state):
    r = client.get("/")
    page = Page(r.text)
    assert state.queries, "the project has named queries"
    for name, q in state.queries.items():
        assert page.find("article", id=f"example-{name}")
        assert page.find("form", action=f"/queries/{name}", method="get")
        assert page.find("button", **{"data-name": name, "class": "load link"})
        for p in q.params:
            inputs = page.find("input", name=p.name)
            assert inputs and any(i.get("value") == (p.example or "") for i in inputs)
        if q.summary:
            assert q.summary in html.unescape(r.text)
    assert page.find("input", name="instrument", value="国务院令765号")


def test_example_sparql_has_no_metadata_header(client, state):
    page = Page(client.get("/").text)
    texts = [v for k, v in page.texts.items() if k.startswith("sparql:")]
    assert len(texts) == len(state.queries)
    for text in texts:
        assert "#+" not in text
        assert "SELECT" in text


def test_home_shows_the_build_figures_and_report_link(client, state):
    page = Page(client.get("/").text)
    for key in ("items", "instruments", "citations", "triples"):
        if isinstance(state.summary.get(key), int):
            assert page.find("div", **{"class": "figure", "data-figure": key})
    assert state.summary.get("items") == 75
    assert page.find("a", href="/report")
    assert page.find("a", href="/id/catalog/hami-2024-social-insurance")


def test_download_links_use_the_sparql_formats(client):
    page = Page(client.get("/").text)
    assert page.find("a", id="download-csv")[0]["href"].startswith("/sparql?")
    assert "format=csv" in page.find("a", id="download-csv")[0]["href"]
    assert "format=json" in page.find("a", id="download-json")[0]["href"]


def test_the_query_in_the_url_fills_the_editor_escaped(client):
    evil = "</textarea><script>alert(1)</script>"
    r = client.get("/", params={"query": evil})
    assert r.status_code == 200
    assert evil not in r.text
    assert Page(r.text).texts["query"] == evil


# ---------------------------------------------------------------- assets


ASSET_ATTRS = {"link": "href", "script": "src", "img": "src", "iframe": "src", "source": "src", "audio": "src",
               "video": "src", "embed": "src", "object": "data"}


@pytest.mark.parametrize("path", ["/", "/report"])
def test_every_asset_is_local_and_served(client, path):
    page = Page(client.get(path).text)
    assets = []
    for tag, attr in ASSET_ATTRS.items():
        for attrs in page.find(tag):
            url = attrs.get(attr)
            if url is None or (tag == "link" and attrs.get("rel") == "alternate"):
                continue
            assert not re.match(r"^(https?:)?//", url), f"{tag} loads {url} from another site"
            assets.append(url)
    assert assets
    for url in assets:
        if url.startswith("/static/"):
            assert client.get(url).status_code == 200, f"{url} is referenced but not served"


def test_static_files_are_served_with_their_types(client):
    css = client.get("/static/ui.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    js = client.get("/static/ui.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert client.get("/static/no-such-file.js").status_code == 404


def test_static_files_load_nothing_from_other_sites():
    for path in STATIC.iterdir():
        if path.suffix == ".css":
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"(@import|url\()\s*['\"]?(https?:)?//", text), path.name
        if path.suffix == ".js":
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"(fetch|import)\s*\(\s*['\"](https?:)?//", text), path.name
            assert "innerHTML" not in text and "insertAdjacentHTML" not in text and "document.write" not in text, (
                f"{path.name} must build the DOM with textContent, never HTML strings"
            )


# ---------------------------------------------------------------- the report


def test_report_page_groups_results_by_item(client, state):
    if state.report_json is None:
        pytest.fail("the build has no report.json: `zwgk build` validates with shapes/ and writes it")
    r = client.get("/report")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "/report.json" in r.headers.get("link", "")
    items = sorted({x["item"] for x in state.report_json["results"] if x["item"] is not None})
    for item in items:
        assert f">Item {item}</a>" in r.text
    first = state.report_json["results"][0]
    assert first["message"] in r.text


def test_report_escapes_and_orders(state):
    report = {
        "conforms": False,
        "counts": {"Violation": 1, "Warning": 1, "Info": 0},
        "results": [
            {"severity": "Warning", "focus": "https://w3id.org/zwgk/id/catalog/c/item/2", "item": 2,
             "path": "https://w3id.org/zwgk/ontology#agency", "message": "中文 <b>warn</b>", "message_en": "english warn",
             "constraint": "http://www.w3.org/ns/shacl#MinCountConstraintComponent", "value": None, "shape": None},
            {"severity": "Violation", "focus": "https://w3id.org/zwgk/id/catalog/c/item/2/citation/1", "item": 2,
             "path": None, "message": "<script>alert(1)</script>", "message_en": None,
             "constraint": "http://www.w3.org/ns/shacl#SPARQLConstraintComponent", "value": "x", "shape": None},
            {"severity": "Info", "focus": "https://w3id.org/zwgk/id/instrument/i", "item": None, "path": None,
             "message": "not tied", "message_en": None, "constraint": "c", "value": None, "shape": None},
        ],
    }
    r = client_with(state, report_json=report).get("/report")
    assert r.status_code == 200
    assert "<script>alert(1)</script>" not in r.text and "&lt;script&gt;" in r.text
    assert "<b>warn</b>" not in r.text
    assert "english warn" in r.text and "zwgk:agency" in r.text
    assert re.search(r'<a href="/id/catalog/c/item/2"[^>]*>Item 2</a>', r.text)
    assert r.text.index("&lt;script&gt;") < r.text.index("中文")  # violation before warning within the item
    assert r.text.index("中文") < r.text.index("Not tied to an item")
    assert 'href="/id/instrument/i"' in r.text
    assert 'id="item-2"' in r.text  # /report#item-2 is a link target


def test_report_json(client, state):
    r = client.get("/report.json")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.json() == state.report_json


def test_no_report(state):
    c = client_with(state, report_json=None)
    r = c.get("/report", headers={"Accept": "text/html"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "no validation report was built" in r.text
    r = c.get("/report.json", headers={"Accept": "text/html"})
    assert r.status_code == 404 and r.headers["content-type"] == "application/json"
    assert r.json()["error"]["status"] == 404 and "zwgk build" in r.json()["error"]["message"]
    assert "No validation report was built" in c.get("/").text


def test_no_summary(state):
    r = client_with(state, summary={}).get("/")
    assert r.status_code == 200 and "No build summary" in r.text


# ---------------------------------------------------------------- the API page, HEAD, operation ids

def test_the_api_page_lists_every_operation_and_loads_nothing_from_elsewhere(client):
    r = client.get("/api")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = Page(r.text)
    external = [a.get("src") or a.get("href") for t, a in page.elements
                if re.match(r"^(https?:)?//", a.get("src") or a.get("href") or "") and t in ("script", "link", "img")]
    assert not external, f"/api loads {external}"
    assert not [a for t, a in page.elements if t == "script" and not a.get("src")], "no inline script (the CSP forbids it)"
    assert "cdn" not in r.headers["content-security-policy"] and "https:" not in r.headers["content-security-policy"]
    schema = client.get("/openapi.json").json()
    for path, item in schema["paths"].items():
        for method, op in item.items():
            assert page.find("article", id=op["operationId"]), f"{method.upper()} {path} is not on /api"
    named = page.texts.get("run_query_queries__name__get", "")
    assert "/queries/{name}" in named and "format" in named  # an operation with its parameters
    assert "limit" in named and "offset" in named


def test_operation_ids_are_unique_and_name_their_method(client):
    schema = client.get("/openapi.json").json()
    ops = [(method, op["operationId"]) for item in schema["paths"].values() for method, op in item.items()]
    ids = [i for _, i in ops]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert all(method != "head" for method, _ in ops)
    assert all(not i.endswith("_head") for i in ids)


EXAMPLES = {"{name}": "items-citing", "{ext}": "ttl", "{instrument}": "social-insurance-handling-regulation",
            "{path}": "catalog/hami-2024-social-insurance"}
GETS = ["/", "/report", "/report.json", "/queries", "/queries/items-citing", "/context.jsonld", "/.well-known/void",
        "/dumps/zwgk.ttl", "/sparql", "/ontology", "/id/catalog/hami-2024-social-insurance", "/impact/social-insurance-handling-regulation",
        "/diff", "/compare", "/id", "/id/", "/api", "/openapi.json", "/static/ui.js", "/ontology.ttl", "/id/instrument/",
        "/queries/items-citing?instrument=%E5%9B%BD%E5%8A%A1%E9%99%A2%E4%BB%A4765%E5%8F%B7"]


def test_the_head_test_covers_every_get_operation(client):
    for path, item in client.get("/openapi.json").json()["paths"].items():
        if "get" in item:
            for key, value in EXAMPLES.items():
                path = path.replace(key, value)
            assert path in GETS, f"add {path} to GETS"


@pytest.mark.parametrize("path", GETS)
def test_every_get_answers_head(client, path):
    get = client.get(path, follow_redirects=False)
    head = client.head(path, follow_redirects=False)
    assert head.status_code == get.status_code != 405, path
    assert head.content == b""
    assert head.headers.get("content-type") == get.headers.get("content-type")
    if get.status_code == 200 and "content-length" in head.headers:  # a length, if given, is the GET's
        assert int(head.headers["content-length"]) == len(get.content), path


@pytest.mark.parametrize("path, allow", [
    ("/sparql", "GET, HEAD, POST, OPTIONS"), ("/", "GET, HEAD, OPTIONS"), ("/queries/items-citing", "GET, HEAD, OPTIONS"),
    ("/id/catalog/hami-2024-social-insurance", "GET, HEAD, OPTIONS"), ("/static/ui.js", "GET, HEAD, OPTIONS"),
    ("/dumps/zwgk.ttl", "GET, HEAD, OPTIONS"),
])
def test_options_and_a_405_name_every_method_a_path_takes(client, path, allow):
    r = client.options(path)  # no Origin: not a CORS preflight
    assert r.status_code == 204 and r.headers["allow"] == allow and r.content == b""
    for method in ("PUT", "DELETE", "PATCH", "PROPFIND"):
        r = client.request(method, path)
        assert r.status_code == 405, (method, path)
        assert r.headers["allow"] == allow  # HEAD too, and both /sparql routes, not the first the router tried
        assert r.json()["error"]["message"] == f"{method} is not allowed on {path}; it takes {allow}"
    if "POST" not in allow:
        assert client.post(path).headers["allow"] == allow
    assert client.options("/no-such-page").status_code == 404  # nothing served there: no methods to name


def test_the_methods_of_a_path_are_kept_for_short_paths_only(client):
    from zwgk.web.methods import CACHED_PATH, Methods

    methods = Methods(None, router=client.app.router)

    def scope(path):
        return {"type": "http", "method": "PUT", "path": path, "root_path": ""}

    assert methods.allowed(scope("/id/" + "x" * CACHED_PATH)) == ["GET", "HEAD", "OPTIONS"]
    assert methods.cached.cache_info().currsize == 0  # a long path is asked each time: no memory held for it
    assert methods.allowed(scope("/sparql")) == ["GET", "HEAD", "POST", "OPTIONS"]
    assert methods.allowed(scope("/sparql")) == ["GET", "HEAD", "POST", "OPTIONS"]
    assert methods.cached.cache_info()[:2] == (1, 1)  # one hit, one miss
