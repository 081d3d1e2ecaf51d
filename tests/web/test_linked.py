"""Linked-data pages: dereferencing IRIs under /id/ and the ontology, content
negotiation, alternates, caching headers, errors and HTML escaping."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest
import rdflib
from fastapi.testclient import TestClient
from rdflib import Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from conftest import ROOT
from zwgk.build import Project
from zwgk.web.app import create_app
from zwgk.web.settings import Settings
from zwgk.web.state import AppState

ZWGK = Namespace("https://w3id.org/zwgk/ontology#")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
ID = "https://w3id.org/zwgk/id/"
CATALOG = "catalog/hami-2024-social-insurance"
ITEM6 = f"{CATALOG}/item/6"
HANDLING = "instrument/social-insurance-handling-regulation"

RDF_TYPES = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}
SUFFIX_TYPES = {
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdf": "application/rdf+xml",
    "html": "text/html",
}


@pytest.fixture(scope="module")
def state() -> AppState:
    return AppState.open(Settings(), Project(ROOT))


@pytest.fixture(scope="module")
def client(state) -> TestClient:
    return TestClient(create_app(Settings(), state))


def media(response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


def parse(response) -> rdflib.Graph:
    return rdflib.Graph().parse(data=response.content, format=RDF_TYPES[media(response)])


def links(response) -> list[dict]:
    """The Link header as a list of {url, rel, type}."""
    out = []
    for part in re.findall(r"<[^>]*>[^,]*", response.headers.get("link", "")):
        url = part[1:part.index(">")]
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', part))
        out.append({"url": url, **attrs})
    return out


# ---------------------------------------------------------------- dereferencing

@pytest.mark.parametrize("path", [ITEM6, HANDLING, CATALOG])
def test_resource_dereferences_to_html(client, path):
    r = client.get(f"/id/{path}", headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert media(r) == "text/html"
    assert r.headers["content-location"] == f"/id/{path}.html"
    assert "Accept" in r.headers["vary"]
    assert '<html lang="zh">' in r.text
    for mt, ext in (("text/turtle", "ttl"), ("application/ld+json", "jsonld"), ("application/n-triples", "nt")):
        assert f'<link rel="alternate" type="{mt}" href="/id/{path}.{ext}"' in r.text


@pytest.mark.parametrize("accept", ["text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml"])
def test_item_rdf(client, accept):
    r = client.get(f"/id/{ITEM6}", headers={"Accept": accept})
    assert r.status_code == 200 and media(r) == accept
    g = parse(r)
    item = URIRef(ID + ITEM6)
    assert (item, RDF.type, ZWGK.DisclosureItem) in g
    assert (item, ZWGK.itemNumber, Literal(6)) in g
    assert (item, SKOS.prefLabel, Literal("企业社会保险登记", lang="zh")) in g
    assert (item, ZWGK.legalBasis, URIRef(ID + HANDLING)) in g
    # owned sub-nodes: the citations and elements are described too
    citation = URIRef(ID + ITEM6 + "/citation/4")
    assert (item, ZWGK.citation, citation) in g
    assert (citation, ZWGK.citesInstrument, URIRef(ID + HANDLING)) in g
    assert (citation, ZWGK.citedText, None) in g
    assert (URIRef(ID + ITEM6 + "/element/1"), SKOS.prefLabel, Literal("事项名称", lang="zh")) in g
    # provenance row
    assert (URIRef(ID + CATALOG + "/source/line/14"), ZWGK.lineNumber, Literal(14)) in g
    # labels of what it links to
    assert (URIRef(ID + HANDLING), SKOS.prefLabel, Literal("社会保险经办条例", lang="zh")) in g
    assert (URIRef(ID + "agency/hami-hrss"), SKOS.prefLabel, None) in g
    assert (URIRef(ID + "channel/government-service-centre"), SKOS.prefLabel, Literal("政务服务中心", lang="zh")) in g
    # … but not the whole description of what it links to
    assert (URIRef(ID + HANDLING), ZWGK.lookupKey, None) not in g


@pytest.mark.parametrize("accept", ["text/turtle", "application/ld+json"])
def test_instrument_rdf(client, accept):
    g = parse(client.get(f"/id/{HANDLING}", headers={"Accept": accept}))
    inst = URIRef(ID + HANDLING)
    assert (inst, RDF.type, ELI.LegalResource) in g
    assert (inst, ELI.id_local, Literal("国务院令第765号")) in g
    assert (inst, ZWGK.lookupKey, Literal("国务院令765号")) in g
    version = URIRef(ID + HANDLING + "/version/2023")
    assert (inst, ZWGK.version, version) in g
    assert (version, ZWGK.versionOf, inst) in g  # the version is described with the instrument
    assert (URIRef(ID + "status/in-force"), SKOS.prefLabel, Literal("现行有效", lang="zh")) in g


@pytest.mark.parametrize("accept", ["text/turtle", "application/ld+json"])
def test_catalog_rdf(client, accept):
    g = parse(client.get(f"/id/{CATALOG}", headers={"Accept": accept}))
    cat = URIRef(ID + CATALOG)
    assert (cat, RDF.type, ZWGK.Catalog) in g
    assert (cat, DCTERMS.title, Literal("哈密市社会保险领域政务公开标准目录（2024年）", lang="zh")) in g
    assert (cat, DCTERMS.publisher, URIRef(ID + "agency/hami-hrss")) in g
    source = URIRef(ID + CATALOG + "/source")
    assert (source, ZWGK.sha256, None) in g


def test_rdf_is_the_same_graph_in_every_format(client):
    graphs = [parse(client.get(f"/id/{ITEM6}", headers={"Accept": a})) for a in RDF_TYPES]
    from rdflib.compare import isomorphic

    assert all(len(g) == len(graphs[0]) for g in graphs)
    assert all(isomorphic(g, graphs[0]) for g in graphs[1:])


# ---------------------------------------------------------------- negotiation

@pytest.mark.parametrize("accept, expected", [
    ("text/turtle;q=0.5, application/ld+json;q=0.9", "application/ld+json"),
    ("text/html;q=0.1, text/turtle", "text/turtle"),
    ("application/n-triples, text/html;q=0.9", "application/n-triples"),
    ("text/html, application/xhtml+xml, application/xml;q=0.9, */*;q=0.8", "text/html"),
    ("*/*", "text/html"),
    ("", "text/html"),
    ("application/*", "application/n-triples"),
    ("text/*;q=0.5, application/rdf+xml", "application/rdf+xml"),
    ("text/html;q=0, */*;q=0.1", "text/turtle"),
])
def test_negotiation_with_q_values(client, accept, expected):
    r = client.get(f"/id/{ITEM6}", headers={"Accept": accept})
    assert r.status_code == 200
    assert media(r) == expected
    assert "Accept" in r.headers["vary"]
    ext = {v: k for k, v in SUFFIX_TYPES.items()}[expected]
    assert r.headers["content-location"] == f"/id/{ITEM6}.{ext}"


def test_unacceptable_type_is_406(client):
    r = client.get(f"/id/{ITEM6}", headers={"Accept": "image/png"})
    assert r.status_code == 406
    assert r.json()["error"]["status"] == 406


def test_format_parameter_overrides_accept(client):
    r = client.get(f"/id/{ITEM6}?format=ttl", headers={"Accept": "text/html"})
    assert media(r) == "text/turtle"


@pytest.mark.parametrize("ext", sorted(SUFFIX_TYPES))
def test_suffix_alternates(client, ext):
    r = client.get(f"/id/{ITEM6}.{ext}", headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert media(r) == SUFFIX_TYPES[ext]
    assert "Accept" not in r.headers.get("vary", "")
    assert r.headers["content-location"] == f"/id/{ITEM6}.{ext}"
    if ext != "html":
        assert (URIRef(ID + ITEM6), ZWGK.itemNumber, Literal(6)) in parse(r)


def test_ontology_suffix_alternates(client):
    r = client.get("/ontology.ttl")
    assert media(r) == "text/turtle"
    assert (ZWGK.DisclosureItem, RDF.type, OWL.Class) in parse(r)
    assert media(client.get("/ontology.jsonld")) == "application/ld+json"
    assert client.get("/ontology.xyz").status_code == 404


# ---------------------------------------------------------------- headers

@pytest.mark.parametrize("path", [f"/id/{ITEM6}", f"/id/{ITEM6}.ttl", "/ontology", "/id/instrument/"])
def test_link_header_lists_alternates(client, path):
    r = client.get(path)
    found = {(l.get("rel"), l.get("type")) for l in links(r)}
    for mt in ("text/html", "text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml"):
        assert ("alternate", mt) in found, mt


def test_link_header_urls_and_canonical(client):
    r = client.get(f"/id/{ITEM6}", headers={"Accept": "text/turtle"})
    by_type = {l.get("type"): l["url"] for l in links(r) if l.get("rel") == "alternate"}
    assert by_type["text/turtle"] == f"/id/{ITEM6}.ttl"
    assert by_type["application/ld+json"] == f"/id/{ITEM6}.jsonld"
    assert {"url": ID + ITEM6, "rel": "canonical"} in links(r)
    for url in by_type.values():
        assert client.get(url).status_code == 200


def test_etag_last_modified_and_304(client, state):
    r = client.get(f"/id/{ITEM6}", headers={"Accept": "text/turtle"})
    etag = r.headers["etag"]
    assert etag.startswith('"') and state.etag.strip('"') in etag
    assert r.headers["last-modified"] == state.last_modified
    again = client.get(f"/id/{ITEM6}", headers={"Accept": "text/turtle", "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert client.get(f"/id/{ITEM6}", headers={"Accept": "text/turtle", "If-None-Match": f"W/{etag}"}).status_code == 304
    assert client.get(f"/id/{ITEM6}", headers={"If-None-Match": "*"}).status_code == 304
    # each representation has its own tag
    html = client.get(f"/id/{ITEM6}", headers={"Accept": "text/html", "If-None-Match": etag})
    assert html.status_code == 200 and html.headers["etag"] != etag
    assert client.get(f"/id/{ITEM6}", headers={"Accept": "text/turtle", "If-None-Match": '"other"'}).status_code == 200


def test_if_modified_since(client, state):
    r = client.get(f"/id/{ITEM6}", headers={"If-Modified-Since": state.last_modified})
    assert r.status_code == 304


def test_head(client):
    r = client.head(f"/id/{ITEM6}", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.content == b""
    assert media(r) == "text/turtle" and r.headers["etag"]


def test_unknown_iri_is_404(client):
    r = client.get("/id/catalog/hami-2024-social-insurance/item/9999", headers={"Accept": "text/turtle"})
    assert r.status_code == 404
    assert r.json()["error"]["status"] == 404
    assert "item/9999" in r.json()["error"]["message"]
    page = client.get("/id/no/such/thing", headers={"Accept": "text/html"})
    assert page.status_code == 404 and media(page) == "text/html"
    assert client.get(f"/id/{ITEM6}x.ttl").status_code == 404
    assert client.get("/id/no-such-section/").status_code == 404


# ---------------------------------------------------------------- pages

def test_item_page_shows_all_fields(client):
    text = client.get(f"/id/{ITEM6}", headers={"Accept": "text/html"}).text
    for needle in ("企业社会保险登记", "公开事项信息形成或者变更之日起20个工作日内公开", "0902-2321695",
                   "哈密市人力资源和社会保障局", "政务服务中心", "市级", "主动", "全社会",
                   "监督投诉渠道", "《社会保险经办条例》（中华人民共和国国务院令 第765号）", "number+title",
                   "国务院令 第711号"):  # the last one is in the raw source line
        assert needle in text, needle
    # every IRI is a link to its page
    assert f'href="/id/{HANDLING}"' in text
    assert f'href="/id/{HANDLING}/version/2023"' in text
    assert 'href="/id/agency/hami-hrss"' in text
    assert f'href="/id/{CATALOG}"' in text
    assert f'href="/id/{CATALOG}/source/line/14"' in text
    assert 'href="/ontology#legalBasis"' in text


def test_item_page_shows_corrections_and_unrecognized_levels(client):
    text = client.get(f"/id/{CATALOG}/item/49", headers={"Accept": "text/html"}).text
    assert "12. 监督投诉渠道" in text and "11. 监督投诉渠道" in text
    text = client.get(f"/id/{CATALOG}/item/12", headers={"Accept": "text/html"}).text
    assert "基层服务平台" in text


def test_instrument_page_lists_citing_items(client):
    r = client.get(f"/id/{HANDLING}", headers={"Accept": "text/html"})
    assert r.status_code == 200
    citing = [int(n) for n in re.findall(r'<tr class="citing-item" data-item="(\d+)">', r.text)]
    assert citing == [6, 9, 30, 31, 32, 33, 34, 37]
    for n in citing:
        assert f'href="/id/{CATALOG}/item/{n}"' in r.text
    assert "国务院令765号" in r.text  # lookup key
    assert r.text.count("<svg") == 1  # the version timeline


def test_instrument_page_repeal(client):
    text = client.get("/id/instrument/social-insurance-registration-measures", headers={"Accept": "text/html"}).text
    assert 'href="/id/instrument/mohrss-order-39"' in text
    assert "据报已废止" in text


def test_instrument_index(client):
    r = client.get("/id/instrument/", headers={"Accept": "text/html"})
    assert r.status_code == 200
    row = re.search(rf'href="/id/{HANDLING}".*?</tr>', r.text, re.S).group(0)
    assert re.findall(r'<td class="num">(\d+)</td>', row)[0] == "8"
    ttl = client.get("/id/instrument/?format=ttl")
    assert (URIRef(ID + HANDLING), RDF.type, ELI.LegalResource) in parse(ttl)


def test_catalog_page(client):
    r = client.get(f"/id/{CATALOG}", headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert r.text.count("<svg") == 3
    assert 'href="/report"' in r.text
    assert "43573cc77b1de3d9b404752b5fa7c093abfba728adf446d4bc1c5398436cbb18" in r.text
    assert "sources/hami-2024-social-insurance.txt" in r.text
    assert r.text.count('<tr id="item-') == 75
    assert 'id="missing"' in r.text  # the build summary's missing values


def test_index_pages(client):
    assert 'href="/id/catalog/"' in client.get("/id/").text
    catalogs = client.get("/id/catalog/")
    assert f'href="/id/{CATALOG}"' in catalogs.text
    assert client.get("/id", follow_redirects=False).status_code == 301


def test_code_list_pages(client):
    scheme = client.get("/id/channel", headers={"Accept": "text/html"}).text
    assert 'href="/id/channel/government-service-centre"' in scheme and "Government service centre" in scheme
    concept = client.get("/id/channel/government-service-centre", headers={"Accept": "text/html"}).text
    assert f'href="/id/{ITEM6}"' in concept  # the items on this channel
    agency = client.get("/id/agency/hami-hrss", headers={"Accept": "text/html"}).text
    assert f'href="/id/{CATALOG}"' in agency and f'href="/id/{ITEM6}"' in agency
    place = client.get("/id/place/hami", headers={"Accept": "text/html"})
    assert place.status_code == 200 and "哈密市" in place.text


def test_ontology_page_documents_terms(client):
    r = client.get("/ontology", headers={"Accept": "text/html"})
    assert r.status_code == 200
    block = re.search(r'<article class="term" id="DisclosureItem">.*?</article>', r.text, re.S).group(0)
    assert "zwgk:DisclosureItem" in block and "公开事项" in block and "Disclosure item" in block
    assert "One numbered row of a disclosure catalog" in block
    prop = re.search(r'<article class="term" id="legalBasis">.*?</article>', r.text, re.S).group(0)
    assert 'href="/ontology#DisclosureItem"' in prop  # domain
    assert "eli:LegalResource" in prop  # range
    for term in ("inCatalog", "itemNumber", "lookupKey", "Catalog", "InstrumentVersion"):
        assert f'id="{term}"' in r.text
    g = parse(client.get("/ontology", headers={"Accept": "text/turtle"}))
    assert (ZWGK.DisclosureItem, RDFS.label, Literal("公开事项", lang="zh")) in g
    assert (URIRef("https://w3id.org/zwgk/ontology"), RDF.type, OWL.Ontology) in g


def test_item_page_escapes_labels(client, state):
    item = ox.NamedNode(ID + f"{CATALOG}/item/7")
    evil = "<script>alert(1)</script> \"quoted\" & ]]>"
    quads = [ox.Quad(item, ox.NamedNode(str(RDFS.comment)), ox.Literal(evil, language="zh")),
             ox.Quad(item, ox.NamedNode(str(SKOS.prefLabel)), ox.Literal(evil, language="zh"))]
    for q in quads:
        state.backend.store.add(q)
    try:
        r = client.get(f"/id/{CATALOG}/item/7", headers={"Accept": "text/html"})
        assert r.status_code == 200
        assert "<script>alert(1)" not in r.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
        assert "&amp; ]]&gt;" in r.text
        # the catalog page draws the item's labels into SVG and tables: escaped there too
        catalog = client.get(f"/id/{CATALOG}", headers={"Accept": "text/html"}).text
        assert "<script>alert(1)" not in catalog
        assert "7 &lt;script&gt;alert(1)&lt;/script&gt;" in catalog  # in the SVG item labels
        g = parse(client.get(f"/id/{CATALOG}/item/7", headers={"Accept": "text/turtle"}))
        assert (URIRef(item.value), RDFS.comment, Literal(evil, lang="zh")) in g
    finally:
        for q in quads:
            state.backend.store.remove(q)


def test_configurable_base(tmp_path):
    data = tmp_path / "data.ttl"
    data.write_text('<https://example.org/data/thing/1> <http://www.w3.org/2004/02/skos/core#prefLabel> "一"@zh .\n',
                    encoding="utf-8")
    settings = Settings(base_iri="https://example.org/data/", load=(data,))
    client = TestClient(create_app(settings, AppState.open(settings, Project(ROOT))))
    r = client.get("/id/thing/1", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert (URIRef("https://example.org/data/thing/1"), SKOS.prefLabel, Literal("一", lang="zh")) in parse(r)
    page = client.get("/id/thing/1", headers={"Accept": "text/html"})
    assert "一" in page.text and 'href="/id/thing/1"' in page.text
    assert client.get("/id/catalog/hami-2024-social-insurance").status_code == 404


def test_same_description_on_the_rdflib_backend(client):
    """The pages run SPARQL through the backend interface, so the reference
    (rdflib) store serves the same descriptions."""
    from rdflib.compare import isomorphic

    settings = Settings(store="rdflib")
    other = TestClient(create_app(settings, AppState.open(settings, Project(ROOT))))
    for path in (f"/id/{ITEM6}.ttl", f"/id/{HANDLING}.ttl", "/ontology.ttl"):
        assert isomorphic(parse(other.get(path)), parse(client.get(path))), path
    page = other.get(f"/id/{HANDLING}", headers={"Accept": "text/html"}).text
    assert re.findall(r'data-item="(\d+)"', page) == ["6", "9", "30", "31", "32", "33", "34", "37"]


# ---------------------------------------------------------------- links into a resource, in its RDF

@pytest.mark.parametrize("path, link, subject", [
    (CATALOG, ZWGK.inCatalog, ITEM6),  # a catalog's RDF lists its items
    (HANDLING, ZWGK.legalBasis, ITEM6),  # an instrument's, the items citing it
    ("channel/government-website", ZWGK.disclosureChannel, f"{CATALOG}/item/1"),  # a channel's, the items on it
    ("level/county", ZWGK.disclosureLevel, ITEM6),  # a code-list concept's, the items using it
    ("agency/hami-hrss", ZWGK.responsibleAgency, ITEM6),  # an agency's, its items
])
def test_rdf_has_the_links_into_the_resource(client, path, link, subject):
    for accept in ("text/turtle", "application/ld+json"):
        g = parse(client.get(f"/id/{path}", headers={"Accept": accept}))
        assert (URIRef(ID + subject), link, URIRef(ID + path)) in g, (path, accept)


def test_the_instrument_rdf_has_every_citing_item(client):
    g = parse(client.get(f"/id/{HANDLING}.ttl"))
    citing = sorted(int(str(s).rsplit("/", 1)[1]) for s in g.subjects(ZWGK.legalBasis, URIRef(ID + HANDLING)))
    assert citing == [6, 9, 30, 31, 32, 33, 34, 37]


def test_links_in_are_bounded(client):
    from zwgk.web import linked

    assert "LIMIT 10000" in linked.INCOMING_RDF
    g = parse(client.get(f"/id/{CATALOG}.nt"))
    assert len(set(g.subjects(ZWGK.inCatalog, URIRef(ID + CATALOG)))) == 75


# ---------------------------------------------------------------- --load with named graphs

def test_a_resource_only_in_a_named_graph_is_served_with_load(tmp_path):
    data = tmp_path / "data.trig"
    data.write_text(
        '<https://w3id.org/zwgk/id/thing/0> <http://www.w3.org/2004/02/skos/core#prefLabel> "零"@zh .\n'
        '<https://example.org/g> {\n'
        '  <https://w3id.org/zwgk/id/thing/1> <http://www.w3.org/2004/02/skos/core#prefLabel> "一"@zh ;\n'
        '      <http://www.w3.org/2004/02/skos/core#related> <https://w3id.org/zwgk/id/thing/0> .\n'
        '}\n', encoding="utf-8")
    for store in ("oxigraph", "rdflib"):
        settings = Settings(store=store, load=(data,))
        state = AppState.open(settings, Project(ROOT))
        assert not state.backend.union_default_graph  # /sparql keeps the named graph apart
        client = TestClient(create_app(settings, state))
        r = client.get("/id/thing/1", headers={"Accept": "text/turtle"})
        assert r.status_code == 200, (store, r.text)
        assert (URIRef(ID + "thing/1"), SKOS.prefLabel, Literal("一", lang="zh")) in parse(r)
        assert "一" in client.get("/id/thing/1", headers={"Accept": "text/html"}).text
        # the resource in the default graph has its link from the named graph
        g = parse(client.get("/id/thing/0", headers={"Accept": "text/turtle"}))
        assert (URIRef(ID + "thing/1"), SKOS.related, URIRef(ID + "thing/0")) in g, store
        assert "thing/1" in client.get("/id/thing/").text
