"""The SPARQL 1.1 Protocol endpoint (web/sparql.py), in process: the real Hami
graph for results and formats, a small fixture dataset for the dataset parameters."""

from __future__ import annotations

import csv
import io
import json
import logging
import threading
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
from rdflib import Dataset as RdflibDataset
from rdflib import Graph, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF

from zwgk.backends import StoreUnavailable

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
RES = "{http://www.w3.org/2005/sparql-results#}"
ITEM = "https://w3id.org/zwgk/id/catalog/hami-2024-social-insurance/item/"
ITEMS_765 = {6, 9, 30, 31, 32, 33, 34, 37}
SELECT_765 = 'SELECT ?item WHERE { ?item zwgk:legalBasis ?i . ?i zwgk:lookupKey "国务院令765号" }'
CONSTRUCT_765 = 'CONSTRUCT { ?item zwgk:legalBasis ?i } WHERE { ?item zwgk:legalBasis ?i . ?i zwgk:lookupKey "国务院令765号" }'
ASK_765 = 'ASK { ?item zwgk:legalBasis ?i . ?i zwgk:lookupKey "国务院令765号" }'
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DIRECT = {"Content-Type": "application/sparql-query"}
UPDATE = {"Content-Type": "application/sparql-update"}
TOKEN = "s3cret-token-for-tests"


def form(*pairs: tuple[str, str]) -> bytes:
    """A form body (repeated names allowed)."""
    return urlencode(pairs).encode("ascii")


def numbers(iris) -> set[int]:
    return {int(str(i).rsplit("/", 1)[1]) for i in iris if str(i).startswith(ITEM)}


def items_in(body: bytes, media_type: str) -> set[int]:
    """The ?item values of a SELECT answer in any results format."""
    text = body.decode("utf-8")
    if media_type == "application/sparql-results+json":
        return numbers(b["item"]["value"] for b in json.loads(text)["results"]["bindings"])
    if media_type == "application/sparql-results+xml":
        return numbers(u.text for u in ET.fromstring(text).iter(f"{RES}uri"))
    if media_type == "text/csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        return numbers(r["item"] for r in rows)
    lines = text.splitlines()
    assert lines[0] == "?item"
    return numbers(line.strip("<>") for line in lines[1:])


def boolean_in(body: bytes, media_type: str) -> bool:
    text = body.decode("utf-8")
    if media_type == "application/sparql-results+json":
        return json.loads(text)["boolean"]
    if media_type == "application/sparql-results+xml":
        return ET.fromstring(text).find(f"{RES}boolean").text == "true"
    return text.strip() == "true"


def graph_in(body: bytes, media_type: str) -> Graph:
    fmt = {"text/turtle": "turtle", "application/n-triples": "nt", "application/ld+json": "json-ld",
           "application/rdf+xml": "xml", "application/n-quads": "nquads", "application/trig": "trig"}[media_type]
    if fmt in ("nquads", "trig"):
        ds = RdflibDataset()
        ds.parse(data=body, format=fmt)
        g = Graph()
        for t in ds.default_graph:
            g.add(t)
        return g
    return Graph().parse(data=body, format=fmt)


def media(response) -> str:
    return response.headers["content-type"].split(";")[0]


# ------------------------------------------------------------------ queries and formats

def test_select_by_get_returns_the_eight_items_citing_decree_765(client):
    r = client.get("/sparql", params={"query": SELECT_765})
    assert r.status_code == 200
    assert media(r) == "application/sparql-results+json"
    assert len(r.json()["results"]["bindings"]) == 8
    assert items_in(r.content, media(r)) == ITEMS_765


def test_select_by_post_form_and_post_direct(client):
    by_form = client.post("/sparql", data={"query": SELECT_765}, headers=FORM)
    direct = client.post("/sparql", content=SELECT_765.encode("utf-8"), headers=DIRECT)
    charset = client.post("/sparql", content=SELECT_765.encode("utf-8"),
                          headers={"Content-Type": "application/sparql-query; charset=UTF-8"})
    for r in (by_form, direct, charset):
        assert r.status_code == 200, r.text
        assert items_in(r.content, media(r)) == ITEMS_765


@pytest.mark.parametrize("media_type", ["application/sparql-results+json", "application/sparql-results+xml",
                                        "text/csv", "text/tab-separated-values"])
def test_select_in_every_results_format(client, media_type):
    r = client.get("/sparql", params={"query": SELECT_765}, headers={"Accept": media_type})
    assert r.status_code == 200
    assert media(r) == media_type
    assert "Accept" in r.headers["vary"]
    assert items_in(r.content, media_type) == ITEMS_765


@pytest.mark.parametrize("media_type", ["application/sparql-results+json", "application/sparql-results+xml",
                                        "text/csv", "text/tab-separated-values"])
def test_ask_in_every_results_format(client, media_type):
    yes = client.get("/sparql", params={"query": ASK_765}, headers={"Accept": media_type})
    no = client.get("/sparql", params={"query": 'ASK { ?i zwgk:lookupKey "no such key" }'}, headers={"Accept": media_type})
    assert yes.status_code == no.status_code == 200
    assert media(yes) == media_type
    assert boolean_in(yes.content, media_type) is True
    assert boolean_in(no.content, media_type) is False


@pytest.mark.parametrize("media_type", ["text/turtle", "application/n-triples", "application/ld+json",
                                        "application/rdf+xml", "application/n-quads", "application/trig"])
def test_construct_in_every_rdf_format(client, media_type):
    reference = client.get("/sparql", params={"query": CONSTRUCT_765}, headers={"Accept": "application/n-triples"})
    r = client.get("/sparql", params={"query": CONSTRUCT_765}, headers={"Accept": media_type})
    assert r.status_code == 200
    assert media(r) == media_type
    g = graph_in(r.content, media_type)
    assert len(g) == 8
    assert numbers(g.subjects()) == ITEMS_765
    assert isomorphic(g, graph_in(reference.content, "application/n-triples"))


def test_construct_defaults_to_turtle_and_describe_describes(client):
    r = client.get("/sparql", params={"query": CONSTRUCT_765})
    assert media(r) == "text/turtle"
    item = URIRef(ITEM + "6")
    d = client.get("/sparql", params={"query": f"DESCRIBE <{item}>"}, headers={"Accept": "application/ld+json"})
    assert d.status_code == 200 and media(d) == "application/ld+json"
    g = graph_in(d.content, "application/ld+json")
    assert (item, URIRef("https://w3id.org/zwgk/ontology#itemNumber"), None) in g


def test_accept_q_values_pick_the_preferred_format(client):
    r = client.get("/sparql", params={"query": SELECT_765},
                   headers={"Accept": "text/csv;q=0.5, application/sparql-results+xml;q=0.9"})
    assert media(r) == "application/sparql-results+xml"
    r = client.get("/sparql", params={"query": SELECT_765}, headers={"Accept": "*/*;q=0.1, text/tab-separated-values"})
    assert media(r) == "text/tab-separated-values"
    r = client.get("/sparql", params={"query": CONSTRUCT_765},
                   headers={"Accept": "application/rdf+xml;q=0.3, application/n-triples;q=0.8, */*;q=0.1"})
    assert media(r) == "application/n-triples"


def test_format_parameter_overrides_accept(client):
    r = client.get("/sparql", params={"query": SELECT_765, "format": "csv"},
                   headers={"Accept": "application/sparql-results+xml"})
    assert media(r) == "text/csv"
    r = client.post("/sparql", data={"query": CONSTRUCT_765, "format": "jsonld"}, headers=FORM)
    assert media(r) == "application/ld+json"
    # what SPARQLWrapper sends for RDF/XML: a name and the media type
    r = client.get("/sparql", params=[("query", CONSTRUCT_765), ("format", "rdf+xml"), ("format", "application/rdf+xml")])
    assert media(r) == "application/rdf+xml"
    r = client.get("/sparql", params={"query": SELECT_765, "format": "turtle"})
    assert r.status_code == 400
    assert "json" in r.json()["error"]["message"]


def test_head_answers_headers_only(client):
    r = client.head("/sparql", params={"query": SELECT_765}, headers={"Accept": "text/csv"})
    assert r.status_code == 200
    assert media(r) == "text/csv"
    assert r.content == b""


def test_default_prefixes_and_endpoint_base(client):
    r = client.get("/sparql", params={"query": "SELECT (<rel> AS ?x) (skos:prefLabel AS ?p) {}"})
    b = r.json()["results"]["bindings"][0]
    assert b["x"]["value"] == "http://testserver/rel"
    assert b["p"]["value"] == "http://www.w3.org/2004/02/skos/core#prefLabel"


# ------------------------------------------------------------------ faults

def error(r) -> str:
    return r.json()["error"]["message"]


def test_syntax_error_is_400_with_the_position(client):
    r = client.get("/sparql", params={"query": "ASK {"})
    assert r.status_code == 400
    assert "1:" in error(r)
    r = client.post("/sparql", content=b"SELECT * WHERE { ?s ?p ?o }\nLIMIT x", headers=DIRECT)
    assert r.status_code == 400 and "2:" in error(r)


@pytest.mark.parametrize("request_args, words", [
    ({"method": "GET", "url": "/sparql?query=ASK%7B%7D&query=SELECT%20*%7B%7D"}, "exactly one"),
    ({"method": "POST", "url": "/sparql", "content": b"query=ASK%7B%7D&update=CLEAR%20ALL", "headers": FORM}, "both"),
    ({"method": "POST", "url": "/sparql", "content": b"format=json", "headers": FORM}, "neither"),
    ({"method": "GET", "url": "/sparql?query="}, "empty"),
    ({"method": "GET", "url": "/sparql?query=ASK%20%7B%FF%7D"}, "UTF-8"),
    ({"method": "POST", "url": "/sparql", "content": "ASK {}".encode("utf-16"), "headers": DIRECT}, "UTF-8"),
    ({"method": "POST", "url": "/sparql", "content": "ASK {}".encode("utf-16-le"),
      "headers": {"Content-Type": "application/sparql-query; charset=UTF-16"}}, "UTF-8"),
    ({"method": "POST", "url": "/sparql", "content": b"query=ASK%20%7B%FF%7D", "headers": FORM}, "UTF-8"),
    ({"method": "POST", "url": "/sparql?query=ASK%7B%7D", "content": b"ASK {}", "headers": DIRECT}, "URL"),
    ({"method": "GET", "url": "/sparql?query=ASK%7B%7D&default-graph-uri=not%20an%20iri"}, "IRI"),
    ({"method": "GET", "url": "/sparql?query=ASK%7B%7D&using-graph-uri=http%3A%2F%2Fa"}, "default-graph-uri"),
])
def test_bad_requests_are_400_with_a_reason(client, request_args, words):
    r = client.request(**request_args)
    assert r.status_code == 400, r.text
    assert words in error(r)


def test_wrong_methods_are_405(client):
    for method in ("PUT", "DELETE", "PATCH"):
        r = client.request(method, "/sparql?query=ASK%7B%7D", headers=FORM)
        assert r.status_code == 405
        assert r.headers["allow"] == "GET, HEAD, POST, OPTIONS"
    r = client.get("/sparql", params={"update": "CLEAR ALL"})
    assert r.status_code == 405
    assert r.headers["allow"] == "POST"
    assert "POST" in error(r)


def test_nothing_acceptable_is_406(client):
    r = client.get("/sparql", params={"query": SELECT_765}, headers={"Accept": "image/png"})
    assert r.status_code == 406
    assert "application/sparql-results+json" in error(r)
    r = client.get("/sparql", params={"query": CONSTRUCT_765}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 406
    r = client.get("/sparql", headers={"Accept": "image/png"})  # the service description too
    assert r.status_code == 406


@pytest.mark.parametrize("headers", [{}, {"Content-Type": "text/plain"}, {"Content-Type": "application/json"}])
def test_wrong_or_missing_content_type_is_415(client, headers):
    r = client.post("/sparql", content=b"query=ASK%20%7B%7D", headers=headers)
    assert r.status_code == 415
    assert "application/sparql-query" in error(r)


def test_oversized_request_is_413_and_a_long_url_414(make_client):
    small = make_client(max_request_bytes=64, max_url_bytes=64)
    r = small.post("/sparql", content=("ASK {} #" + "x" * 100).encode(), headers=DIRECT)
    assert r.status_code == 413 and "max_request_bytes" in error(r)
    r = small.get("/sparql", params={"query": "ASK {} #" + "x" * 100})
    assert r.status_code == 414 and "max_url_bytes" in error(r)


class Blocking:
    """A backend whose queries wait until released: a query that outlives the time limit."""

    def __init__(self, inner):
        self.inner = inner
        self.release = threading.Event()

    def query(self, *args, **kwargs):
        self.release.wait(10)
        return self.inner.query(*args, **kwargs)


def test_query_timeout_is_503_naming_the_setting(make_client):
    holder = {}

    def block(state):
        holder["backend"] = state.backend = Blocking(state.backend)

    c = make_client(state_hook=block, query_timeout=0.05)
    try:
        r = c.get("/sparql", params={"query": SELECT_765})
    finally:
        holder["backend"].release.set()
    assert r.status_code == 503
    assert "query_timeout" in error(r)


class Unreachable:
    def query(self, *args, **kwargs):
        raise StoreUnavailable("the SPARQL store at http://127.0.0.1:9/query cannot be reached: connection refused")

    update = query


def test_unreachable_store_is_502_with_its_message(make_client):
    def swap(state):
        state.backend = Unreachable()

    c = make_client(state_hook=swap, allow_unauthenticated_updates=True)
    r = c.get("/sparql", params={"query": SELECT_765})
    assert r.status_code == 502
    assert "cannot be reached" in error(r)
    r = c.post("/sparql", content=b"CLEAR ALL", headers=UPDATE)
    assert r.status_code == 502


# ------------------------------------------------------------------ updates

INSERT = 'INSERT DATA { <http://example.org/s> <http://example.org/p> "added" }'
ASK_INSERTED = 'ASK { <http://example.org/s> <http://example.org/p> "added" }'


def test_updates_are_off_by_default(client):
    r = client.post("/sparql", content=INSERT.encode(), headers=UPDATE)
    assert r.status_code == 403
    assert "update_token" in error(r)
    r = client.post("/sparql", data={"update": INSERT}, headers=FORM)
    assert r.status_code == 403
    assert client.get("/sparql", params={"query": ASK_INSERTED}).json()["boolean"] is False


def test_updates_need_the_bearer_token(make_client, caplog):
    c = make_client(update_token=TOKEN)
    caplog.set_level(logging.DEBUG)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                    {"Authorization": TOKEN}):
        r = c.post("/sparql", content=INSERT.encode(), headers=UPDATE | headers)
        assert r.status_code == 401
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert TOKEN not in r.text
    assert c.get("/sparql", params={"query": ASK_INSERTED}).json()["boolean"] is False
    r = c.post("/sparql", content=INSERT.encode(), headers=UPDATE | {"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 204
    assert c.get("/sparql", params={"query": ASK_INSERTED}).json()["boolean"] is True
    assert TOKEN not in caplog.text


def test_unauthenticated_updates_by_form_and_direct(make_client):
    c = make_client(allow_unauthenticated_updates=True)
    assert c.post("/sparql", data={"update": INSERT}, headers=FORM).status_code == 204
    assert c.get("/sparql", params={"query": ASK_INSERTED}).json()["boolean"] is True
    assert c.post("/sparql", content=b"DELETE DATA { <http://example.org/s> <http://example.org/p> \"added\" }",
                  headers=UPDATE).status_code == 204
    assert c.get("/sparql", params={"query": ASK_INSERTED}).json()["boolean"] is False
    r = c.post("/sparql", data={"update": "CLEAR XYZ"}, headers=FORM)
    assert r.status_code == 400 and "1:" in error(r)
    r = c.post("/sparql", content=form(("update", "CLEAR ALL"), ("update", "CLEAR DEFAULT")), headers=FORM)
    assert r.status_code == 400
    # relative IRIs resolve against the endpoint (§2.2.3: the base MAY be the endpoint)
    assert c.post("/sparql", content=b"INSERT DATA { <http://example.org/b> <http://example.org/p> <rel> }",
                  headers=UPDATE).status_code == 204
    assert c.get("/sparql", params={"query": "ASK { ?s ?p <http://testserver/rel> }"}).json()["boolean"] is True


# ------------------------------------------------------------------ datasets

EX = "http://example.org/"
FIXTURE = f"""
<{EX}d> <{EX}in> "default" .
<{EX}g1> {{ <{EX}a> <{EX}in> "g1" . }}
<{EX}g2> {{ <{EX}b> <{EX}in> "g2" . }}
"""


@pytest.fixture
def dataset_client(make_client, tmp_path):
    path = tmp_path / "fixture.trig"
    path.write_text(FIXTURE, encoding="utf-8")
    return make_client(load=(path,), allow_unauthenticated_updates=True)


def solutions(r, var: str) -> set[str]:
    assert r.status_code == 200, r.text
    return {b[var]["value"] for b in r.json()["results"]["bindings"] if var in b}


def test_without_protocol_dataset_the_store_default_graph_and_all_named_graphs(dataset_client):
    c = dataset_client
    assert solutions(c.get("/sparql", params={"query": "SELECT ?v { ?s ?p ?v }"}), "v") == {"default"}
    assert solutions(c.get("/sparql", params={"query": "SELECT ?g { GRAPH ?g {} }"}), "g") == {EX + "g1", EX + "g2"}


def test_default_and_named_graph_uri_set_the_dataset(dataset_client):
    c = dataset_client
    q = "SELECT ?v { ?s ?p ?v }"
    both = [("query", q), ("default-graph-uri", EX + "g1"), ("default-graph-uri", EX + "g2")]
    assert solutions(c.get("/sparql", params=both), "v") == {"g1", "g2"}
    named = [("query", "SELECT ?g ?v { GRAPH ?g { ?s ?p ?v } }"), ("named-graph-uri", EX + "g2")]
    assert solutions(c.get("/sparql", params=named), "g") == {EX + "g2"}
    # only named graphs given: the default graph is empty, not the store's
    only_named = [("query", q), ("named-graph-uri", EX + "g1")]
    assert solutions(c.get("/sparql", params=only_named), "v") == set()
    # POST form: from the form; POST direct: from the URL
    by_form = c.post("/sparql", content=form(("query", q), ("default-graph-uri", EX + "g1")), headers=FORM)
    assert solutions(by_form, "v") == {"g1"}
    direct = c.post(f"/sparql?default-graph-uri={EX}g2", content=q.encode(), headers=DIRECT)
    assert solutions(direct, "v") == {"g2"}


def test_protocol_dataset_wins_over_from(dataset_client):
    c = dataset_client
    q = f"SELECT ?v FROM <{EX}g2> {{ ?s ?p ?v }}"
    assert solutions(c.get("/sparql", params={"query": q}), "v") == {"g2"}
    r = c.get("/sparql", params=[("query", q), ("default-graph-uri", EX + "g1")])
    assert solutions(r, "v") == {"g1"}
    q = f"SELECT ?g FROM NAMED <{EX}g1> {{ GRAPH ?g {{}} }}"
    r = c.get("/sparql", params=[("query", q), ("named-graph-uri", EX + "g2")])
    assert solutions(r, "g") == {EX + "g2"}


def test_using_graph_uri_sets_the_where_dataset_of_an_update(dataset_client):
    c = dataset_client
    update = f"INSERT {{ GRAPH <{EX}out> {{ ?s <{EX}seen> ?g }} }} WHERE {{ {{ ?s ?p ?v BIND(\"default\" AS ?g) }} UNION {{ GRAPH ?g {{ ?s ?p ?v }} }} }}"
    r = c.post(f"/sparql?using-graph-uri={EX}g1&using-named-graph-uri={EX}g2", content=update.encode(), headers=UPDATE)
    assert r.status_code == 204, r.text
    seen = c.get("/sparql", params={"query": f"SELECT ?s ?g {{ GRAPH <{EX}out> {{ ?s <{EX}seen> ?g }} }}"})
    pairs = {(b["s"]["value"], b["g"]["value"]) for b in seen.json()["results"]["bindings"]}
    assert pairs == {(EX + "a", "default"), (EX + "b", EX + "g2")}
    # by form, DELETE WHERE too
    r = c.post("/sparql", content=form(("update", f"DELETE WHERE {{ ?s <{EX}in> ?v }}"), ("using-graph-uri", EX + "g1")),
               headers=FORM)
    assert r.status_code == 204, r.text
    # the pattern matched in g1 only; what it matched is deleted from the store's default graph,
    # which does not hold it: nothing changes
    everything = {"query": f"SELECT ?v {{ {{ ?s <{EX}in> ?v }} UNION {{ GRAPH ?g {{ ?s <{EX}in> ?v }} }} }}"}
    assert solutions(c.get("/sparql", params=everything), "v") == {"default", "g1", "g2"}
    # without the parameter the same update matches (and deletes) in the store's default graph
    r = c.post("/sparql", data={"update": f"DELETE WHERE {{ ?s <{EX}in> ?v }}"}, headers=FORM)
    assert r.status_code == 204
    assert solutions(c.get("/sparql", params=everything), "v") == {"g1", "g2"}


def test_using_parameters_conflict_with_using_or_with_in_the_update(dataset_client):
    c = dataset_client
    update = f"WITH <{EX}g1> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}"
    r = c.post(f"/sparql?using-named-graph-uri={EX}g2", content=update.encode(), headers=UPDATE)
    assert r.status_code == 400 and "WITH" in error(r)
    update = f"INSERT {{ ?s ?p ?o }} USING <{EX}g1> WHERE {{ ?s ?p ?o }}"
    r = c.post("/sparql", content=form(("update", update), ("using-graph-uri", EX + "g2")), headers=FORM)
    assert r.status_code == 400 and "USING" in error(r)
    r = c.post(f"/sparql?default-graph-uri={EX}g1", content=b"CLEAR ALL", headers=UPDATE)
    assert r.status_code == 400 and "using-graph-uri" in error(r)
    assert solutions(c.get("/sparql", params={"query": "SELECT ?v { GRAPH ?g { ?s ?p ?v } }"}), "v") == {"g1", "g2"}


# ------------------------------------------------------------------ service description

def test_service_description_in_turtle_by_default(client):
    r = client.get("/sparql")
    assert r.status_code == 200
    assert media(r) == "text/turtle"
    g = Graph().parse(data=r.content, format="turtle")
    service = g.value(predicate=RDF.type, object=SD.Service)
    assert service is not None
    assert g.value(service, SD.endpoint) == URIRef("http://testserver/sparql")
    assert set(g.objects(service, SD.supportedLanguage)) == {SD.SPARQL11Query}
    assert len(set(g.objects(service, SD.resultFormat))) == 10
    dataset = g.value(service, SD.defaultDataset)
    assert (dataset, RDF.type, SD.Dataset) in g
    assert g.value(dataset, SD.defaultGraph) is not None
    assert 'rel="alternate"' in r.headers["link"]


def test_service_description_is_the_same_bytes_every_time(client):
    # random blank-node labels vary in length, so HEAD's Content-Length missed GET's body now and then
    for fmt in ("turtle", "ntriples", "jsonld", "rdfxml", "nquads", "trig"):
        bodies = {client.get("/sparql", params={"format": fmt}).content for _ in range(5)}
        assert len(bodies) == 1, fmt


def test_service_description_lists_update_when_enabled_and_negotiates(make_client):
    c = make_client(update_token=TOKEN)
    r = c.get("/sparql", headers={"Accept": "application/ld+json"})
    assert media(r) == "application/ld+json"
    g = Graph().parse(data=r.content, format="json-ld")
    service = g.value(predicate=RDF.type, object=SD.Service)
    assert set(g.objects(service, SD.supportedLanguage)) == {SD.SPARQL11Query, SD.SPARQL11Update}
    r = c.get("/sparql", params={"format": "ntriples"}, headers={"Accept": "text/turtle"})
    assert media(r) == "application/n-triples"
    assert c.head("/sparql").status_code == 200


def test_service_description_page_for_browsers(client):
    r = client.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert r.status_code == 200
    assert media(r) == "text/html"
    assert "href='/'" in r.text
    assert 'rel="alternate" type="text/turtle"' in r.text
    assert "&quot;国务院令765号&quot;" in r.text  # the example query, escaped
