"""Safe pages (issue #8): source text is escaped everywhere it is shown, in HTML
and in the inline SVG charts. Every string literal of the store is prefixed
with markup, quotes and a CDATA end; the build summary, the validation report
and a named query get the same; then every kind of page must show the text,
escaped, and hold no element or attribute that the text could have made."""

from __future__ import annotations

import copy
from html.parser import HTMLParser

import pyoxigraph as ox
import pytest

from zwgk.queries import NamedQuery, Param

EVIL = "EVIL<script>alert(1)</script>\"'><img src=x onerror=alert(2)>]]><![CDATA[&amp;"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
CATALOG = "/id/catalog/hami-2024-social-insurance"
PAGES = [
    "/",
    "/report",
    CATALOG,
    CATALOG + "/item/6",
    CATALOG + "/item/48",  # an item with an erratum
    "/id/instrument/social-insurance-handling-regulation",
    "/id/instrument/work-injury-insurance-regulation",  # two versions: the timeline chart
    "/id/instrument/",
    "/id/catalog/",
    "/id/agency/hami-hrss",
    "/id/channel/government-website",
    "/ontology",
    "/sparql",
]


def poison(state) -> None:
    store = state.backend.store
    for quad in list(store.quads_for_pattern(None, None, None, None)):
        o = quad.object
        if isinstance(o, ox.Literal) and o.datatype.value in (XSD_STRING, RDF_LANG):
            store.remove(quad)
            new = ox.Literal(EVIL + o.value, language=o.language) if o.language else ox.Literal(EVIL + o.value)
            store.add(ox.Quad(quad.subject, quad.predicate, new, quad.graph_name))
    item6 = ox.NamedNode("https://w3id.org/zwgk/id/catalog/hami-2024-social-insurance/item/6")
    see_also = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#seeAlso")
    store.add(ox.Quad(item6, see_also, ox.NamedNode("javascript:alert(3)")))
    summary = copy.deepcopy(state.summary)
    for catalog in summary.get("catalogs", []):
        catalog["title"] = EVIL + (catalog.get("title") or "")
    state.summary = summary
    report = copy.deepcopy(state.report_json)
    for result in report["results"]:
        for key in ("message", "message_en"):
            if result.get(key):
                result[key] = EVIL + result[key]
        result["value"] = EVIL
    state.report_json = report
    state.queries = dict(state.queries)
    state.queries["evil"] = NamedQuery(
        name="evil", path=state.project.queries / "evil.rq", text=f"# {EVIL}\nSELECT ?x WHERE {{ BIND(?x AS ?x) }}",
        summary=EVIL, description=EVIL, params=[Param("x", "string", EVIL, EVIL)])


class Tags(HTMLParser):
    """Every start tag of a page, with its attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


@pytest.fixture(scope="module")
def poisoned(make_client):
    return make_client(state_hook=poison)


@pytest.mark.parametrize("path", PAGES)
def test_source_text_is_escaped_on_every_page(poisoned, path):
    r = poisoned.get(path, headers={"Accept": "text/html"})
    assert r.status_code == 200, (path, r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("text/html")
    text = r.text
    # the text is there, escaped …
    if path not in ("/sparql", "/ontology"):
        assert ESCAPED in text, f"{path} does not show the poisoned text"
    # … and nothing it holds became markup
    assert "<script>alert" not in text and "<img src=x" not in text
    assert "]]>" not in text and "<![CDATA[" not in text
    assert "\"'>" not in text
    parser = Tags()
    parser.feed(text)
    for tag, attrs in parser.tags:
        assert tag != "img", (path, attrs)
        if tag == "script":
            assert set(attrs) <= {"src", "defer"} and attrs.get("src", "").startswith("/static/"), (path, attrs)
        assert not any(name.startswith("on") for name in attrs), (path, tag, attrs)
        for name in ("href", "src", "action", "xlink:href"):
            assert not (attrs.get(name) or "").strip().lower().startswith("javascript:"), (path, tag, attrs)


def test_the_svg_charts_escape_their_labels(poisoned):
    text = poisoned.get(CATALOG).text
    charts = [part.split("</svg>", 1)[0] for part in text.split("<svg")[1:]]
    assert len(charts) >= 3
    assert any(ESCAPED in chart or "EVIL&lt;script" in chart for chart in charts)
    for chart in charts:
        assert "<script" not in chart and "]]>" not in chart


def test_an_error_page_escapes_the_path(poisoned):
    r = poisoned.get("/id/<script>alert(1)</script>", headers={"Accept": "text/html"})
    assert r.status_code == 404
    assert "<script>alert" not in r.text and ESCAPED in r.text


def test_the_named_query_list_and_the_rdf_carry_the_text_unchanged(poisoned):
    doc = poisoned.get("/queries").json()
    assert any(q["summary"] == EVIL for q in doc["queries"])
    nt = poisoned.get(CATALOG + "/item/6", headers={"Accept": "application/n-triples"}).text
    assert "EVIL<script>alert(1)</script>" in nt  # data formats carry the value as it is, not HTML-escaped
