"""GET /compare: two catalogs side by side, on ``multi_project`` (Hami's catalog, the
county's and the township's). Expected answers come from tests/fixtures/catalogs/
expected.toml and the Hami build's records; the page must agree with the named queries
it is made of (``/queries/catalog-*``). Bad parameters are answered 4xx, source text
is escaped."""

from __future__ import annotations

import tomllib
from html.parser import HTMLParser
from urllib.parse import urlencode

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from conftest import ROOT
from zwgk.text import name_key
from zwgk.web.app import create_app
from zwgk.web.settings import Settings
from zwgk.web.state import AppState

EXPECTED = tomllib.loads((ROOT / "tests" / "fixtures" / "catalogs" / "expected.toml").read_text(encoding="utf-8"))
HAMI, YIWU, DQW = "hami-2024-social-insurance", "yiwu-2024-social-insurance", "daquanwan-2024-social-insurance"
FACTS = {YIWU: EXPECTED["yiwu-2024-social-insurance"], DQW: EXPECTED["dqw-2024-social-insurance"]}
INSTRUMENT = "https://w3id.org/zwgk/id/instrument/"
JSON = {"Accept": "application/json"}
HTML = {"Accept": "text/html"}
PAIRS = [(YIWU, HAMI), (HAMI, YIWU), (DQW, HAMI)]


@pytest.fixture(scope="module")
def state(multi_project) -> AppState:
    return AppState.open(Settings(), multi_project)


@pytest.fixture(scope="module")
def client(state) -> TestClient:
    return TestClient(create_app(Settings(), state))


class Page(HTMLParser):
    """Start tags with their attributes, and the text of the page."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text = ""
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.text += data

    def find(self, tag: str, attr: str) -> list[dict]:
        return [a for t, a in self.tags if t == tag and attr in a]


# ---------------------------------------------------------------- what each side has, derived


def items_of(cid: str, hami_items) -> dict[int, str]:
    if cid == HAMI:
        return {n: item.name for n, item in hami_items.items()}
    return dict(enumerate(FACTS[cid]["names"], 1))


def instruments_of(cid: str, hami_result) -> dict[str, int]:
    """Instrument id → number of the catalog's items citing it."""
    per_item: dict[int, set[str]] = {}
    if cid == HAMI:
        for (number, _), res in hami_result.catalogs[0].resolutions.items():
            per_item.setdefault(number, set()).add(res.instrument.id)
    else:
        per_item = {c["item"]: set(c["instruments"]) for c in FACTS[cid]["citations"]}
    counts: dict[str, int] = {}
    for cited in per_item.values():
        for i in cited:
            counts[i] = counts.get(i, 0) + 1
    return counts


def expected_comparison(a: str, b: str, hami_items, hami_result) -> dict:
    items_a, items_b = items_of(a, hami_items), items_of(b, hami_items)
    keys_a, keys_b = {name_key(n) for n in items_a.values()}, {name_key(n) for n in items_b.values()}
    cited_a, cited_b = instruments_of(a, hami_result), instruments_of(b, hami_result)
    return {
        "matched": {(x, y) for x, nx in items_a.items() for y, ny in items_b.items() if name_key(nx) == name_key(ny)},
        "only_in_a": [n for n in sorted(items_a) if name_key(items_a[n]) not in keys_b],
        "only_in_b": [n for n in sorted(items_b) if name_key(items_b[n]) not in keys_a],
        "instruments_only_in_a": {INSTRUMENT + i: c for i, c in cited_a.items() if i not in cited_b},
        "instruments_only_in_b": {INSTRUMENT + i: c for i, c in cited_b.items() if i not in cited_a},
    }


def test_the_derived_facts_agree_with_expected_toml(hami_items, hami_result):
    """A cross-check of the derivation above against the facts written in expected.toml."""
    for cid in (YIWU, DQW):
        e = expected_comparison(cid, HAMI, hami_items, hami_result)
        assert e["only_in_a"] == FACTS[cid]["not_in_hami"]
        assert sorted({x for x, _ in e["matched"]}) == FACTS[cid]["in_hami"]
        assert set(e["instruments_only_in_a"]) == {INSTRUMENT + i for i in FACTS[cid]["instruments_not_in_hami"]}


# ---------------------------------------------------------------- the comparison


@pytest.mark.parametrize("a, b", PAIRS)
def test_comparison_as_json(client, hami_items, hami_result, a, b):
    r = client.get("/compare", params={"a": a, "b": b}, headers=JSON)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    doc = r.json()
    e = expected_comparison(a, b, hami_items, hami_result)
    assert (doc["a"]["id"], doc["b"]["id"]) == (a, b)
    assert doc["a"]["items"] == len(items_of(a, hami_items)) and doc["b"]["items"] == len(items_of(b, hami_items))
    assert {(m["a"]["number"], m["b"]["number"]) for m in doc["matched"]} == e["matched"]
    assert [x["number"] for x in doc["only_in_a"]] == e["only_in_a"]
    assert [x["number"] for x in doc["only_in_b"]] == e["only_in_b"]
    assert {x["instrument"]: x["items"] for x in doc["instruments_only_in_a"]} == e["instruments_only_in_a"]
    assert {x["instrument"]: x["items"] for x in doc["instruments_only_in_b"]} == e["instruments_only_in_b"]
    names_a = items_of(a, hami_items)
    for x in doc["only_in_a"]:
        assert x["name"] == names_a[x["number"]]
        assert x["href"] == f"/id/catalog/{a}/item/{x['number']}"
    assert "nameKey" in doc["match_rule"]


@pytest.mark.parametrize("a, b", PAIRS)
def test_the_page_is_the_named_queries(client, a, b):
    """Each table of the page is the answer of a named query over /queries (same code as the CLI)."""
    doc = client.get("/compare", params={"a": a, "b": b, "format": "json"}).json()

    def query(name, **params):
        r = client.get(f"/queries/{name}", params=params, headers={"Accept": "application/sparql-results+json"})
        assert r.status_code == 200, r.text
        return [{k: v["value"] for k, v in row.items()} for row in r.json()["results"]["bindings"]]

    coverage = query("catalog-coverage", a=a, b=b)
    assert [(c["concept"], c["items_a"], c["items_b"]) for c in doc["coverage"]] == \
        [(c["concept"], int(c["itemsA"]), int(c["itemsB"])) for c in coverage]
    assert {c["dimension"] for c in coverage} == {"channel", "level"}
    assert [x["item"] for x in doc["only_in_b"]] == [x["item"] for x in query("catalog-items-without-counterpart", a=b, b=a)]
    assert [x["instrument"] for x in doc["instruments_only_in_a"]] == \
        [x["instrument"] for x in query("catalog-instruments-not-cited-by", a=a, b=b)]
    assert doc["queries"]["coverage"] == "/queries/catalog-coverage?" + urlencode({"a": a, "b": b})


@pytest.mark.parametrize("a, b", PAIRS)
def test_comparison_as_html(client, hami_items, hami_result, a, b):
    r = client.get("/compare", params={"a": a, "b": b}, headers=HTML)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    page = Page(r.text)
    e = expected_comparison(a, b, hami_items, hami_result)
    matched = {(int(t["data-a"]), int(t["data-b"])) for t in page.find("tr", "data-a")}
    assert matched == e["matched"]
    rows = [int(t["data-number"]) for t in page.find("tr", "data-number")]
    assert rows == e["only_in_a"] + e["only_in_b"]
    assert {t["data-instrument"] for t in page.find("tr", "data-instrument")} == \
        set(e["instruments_only_in_a"]) | set(e["instruments_only_in_b"])
    concepts = [t["data-concept"] for t in page.find("tr", "data-concept")]
    assert len(concepts) == len(set(concepts)) and any("/level/" in c for c in concepts) and any("/channel/" in c for c in concepts)
    names = items_of(a, hami_items)
    for n in e["only_in_a"]:
        assert names[n] in page.text
    # it advertises its JSON, links both catalogs and the named queries, and offers the swap
    assert any(t.get("type") == "application/json" for t in page.find("link", "rel"))
    hrefs = {t["href"] for t in page.find("a", "href")}
    assert {f"/id/catalog/{a}", f"/id/catalog/{b}", f"/compare?{urlencode({'a': b, 'b': a})}"} <= hrefs
    assert f"/queries/catalog-coverage?{urlencode({'a': a, 'b': b})}" in hrefs
    assert 'rel="alternate"' in r.headers["link"]


def test_head_and_format_override(client):
    url = f"/compare?a={YIWU}&b={HAMI}"
    head = client.head(url, headers=HTML)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(client.get(url, headers=HTML).content)
    assert client.get(url + "&format=json", headers=HTML).headers["content-type"].startswith("application/json")
    assert client.get(url + "&format=html", headers=JSON).headers["content-type"].startswith("text/html")


def test_the_same_answers_on_the_rdflib_store(client, multi_project):
    settings = Settings(store="rdflib")
    other = TestClient(create_app(settings, AppState.open(settings, multi_project)))
    params = {"a": DQW, "b": HAMI, "format": "json"}
    assert other.get("/compare", params=params).json() == client.get("/compare", params=params).json()


# ---------------------------------------------------------------- the form, and bad parameters


def test_without_parameters_a_form_lists_the_catalogs(client, multi_project):
    import json

    summary = json.loads((multi_project.build_dir / "summary.json").read_text(encoding="utf-8"))
    ids = sorted(c["id"] for c in summary["catalogs"])
    r = client.get("/compare", headers=HTML)
    assert r.status_code == 200
    page = Page(r.text)
    assert [t for t, a in page.tags if t == "form" and a.get("action") == "/compare"]
    assert [a["name"] for t, a in page.tags if t == "select"] == ["a", "b"]
    options = [a["value"] for t, a in page.tags if t == "option"]
    assert sorted(set(options)) == ids and len(options) == 2 * len(ids)
    assert [a["data-catalog"] for a in page.find("tr", "data-catalog")] == ids
    doc = client.get("/compare", headers=JSON).json()
    assert [c["id"] for c in doc["catalogs"]] == ids
    assert {c["id"]: c["items"] for c in doc["catalogs"]} == {c["id"]: c["items"] for c in summary["catalogs"]}


def test_one_catalog_given_preselects_it(client):
    r = client.get("/compare", params={"a": YIWU}, headers=HTML)
    assert r.status_code == 200
    page = Page(r.text)
    selected = [a["value"] for t, a in page.tags if t == "option" and "selected" in a]
    assert selected[0] == YIWU and len(selected) == 2
    r = client.get("/compare", params={"a": YIWU}, headers=JSON)
    assert r.status_code == 400 and r.json()["error"]["status"] == 400


@pytest.mark.parametrize("params, accept, status, text", [
    ({"a": "no-such-catalog", "b": HAMI}, JSON, 404, "no-such-catalog"),
    ({"a": YIWU, "b": "../../etc/passwd"}, JSON, 404, "is not a loaded catalog"),
    ({"a": YIWU, "b": "https://w3id.org/zwgk/id/catalog/" + HAMI}, JSON, 404, "catalog ids"),
    ({"a": "x" * 2000, "b": HAMI}, JSON, 404, "is not a loaded catalog"),
    ({"a": "<script>", "b": "\u0000"}, {}, 404, "is not a loaded catalog"),
    ({"a": YIWU, "b": HAMI, "format": "png"}, JSON, 400, "not available"),
    ({"a": YIWU, "b": HAMI}, {"Accept": "image/png"}, 406, "cannot answer"),
])
def test_bad_parameters_are_4xx_with_the_error_shape(client, params, accept, status, text):
    r = client.get("/compare", params=params, headers=accept)
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"]["status"] == status and text in body["error"]["message"]


def test_a_bad_catalog_for_a_browser_is_the_form_with_404(client):
    r = client.get("/compare", params={"a": "<b>no</b>", "b": HAMI}, headers=HTML)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    page = Page(r.text)
    assert not [t for t, _ in page.tags if t == "b"], "the parameter is escaped"
    assert "<b>no</b>" in page.text and [a for t, a in page.tags if t == "select"]


# ---------------------------------------------------------------- escaping, links

EVIL = "EVIL<script>alert(1)</script>\"'><img src=x onerror=alert(2)>"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


@pytest.fixture(scope="module")
def poisoned(multi_project) -> TestClient:
    """Every string of the store (names, name keys, titles, labels) starts with markup."""
    state = AppState.open(Settings(), multi_project)
    store = state.backend.store
    for quad in list(store.quads_for_pattern(None, None, None, None)):
        o = quad.object
        if isinstance(o, ox.Literal) and o.datatype.value in (XSD_STRING, RDF_LANG):
            store.remove(quad)
            new = ox.Literal(EVIL + o.value, language=o.language) if o.language else ox.Literal(EVIL + o.value)
            store.add(ox.Quad(quad.subject, quad.predicate, new, quad.graph_name))
    return TestClient(create_app(Settings(), state))


@pytest.mark.parametrize("params", [{}, {"a": YIWU, "b": HAMI}, {"a": DQW, "b": HAMI}])
def test_source_text_is_escaped(poisoned, params):
    r = poisoned.get("/compare", params=params, headers=HTML)
    assert r.status_code == 200
    page = Page(r.text)
    assert "EVIL<script>" in page.text, "the poisoned text is shown, as text"
    assert "&lt;script&gt;" in r.text
    assert not [t for t, _ in page.tags if t in ("script", "img")]
    assert not [a for _, a in page.tags if any(k.startswith("on") for k in a)]


def test_pages_link_to_the_comparison(client):
    catalog = Page(client.get(f"/id/catalog/{YIWU}", headers=HTML).text)
    assert f"/compare?a={YIWU}" in {a["href"] for a in catalog.find("a", "href")}
    home = Page(client.get("/").text)
    assert "/compare" in {a["href"] for a in home.find("a", "href")}
