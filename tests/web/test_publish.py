"""Dumps, the JSON-LD context and the VoID/DCAT description."""

from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, RDF

VOID = "http://rdfs.org/ns/void#"


def test_dumps_are_the_same_graph(client):
    nt = Graph().parse(data=client.get("/dumps/zwgk.nt").content, format="nt")
    assert len(nt) > 9000
    for ext, fmt in (("ttl", "turtle"), ("jsonld", "json-ld")):
        r = client.get(f"/dumps/zwgk.{ext}")
        assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
        assert isomorphic(nt, Graph().parse(data=r.content, format=fmt)), ext
    assert client.get("/dumps/zwgk.trig").status_code == 200
    assert client.get("/dumps/zwgk.exe").status_code == 404


def test_jsonld_context_is_published_and_used(client):
    ctx = client.get("/context.jsonld").json()["@context"]
    assert ctx["itemNumber"]["@type"] == "xsd:integer"
    assert ctx["legalBasis"] == {"@id": "zwgk:legalBasis", "@type": "@id"}
    assert '"itemNumber"' in client.get("/dumps/zwgk.jsonld").text


def test_etag_and_not_modified(client):
    r = client.get("/dumps/zwgk.ttl")
    etag = r.headers["etag"]
    assert r.headers["last-modified"]
    assert client.get("/dumps/zwgk.ttl", headers={"If-None-Match": etag}).status_code == 304


def test_void(client):
    r = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    g = Graph().parse(data=r.text, format="turtle")
    ds = next(g.subjects(RDF.type, URIRef(VOID + "Dataset")))
    assert (ds, RDF.type, DCAT.Dataset) in g
    assert str(g.value(ds, URIRef(VOID + "sparqlEndpoint"))).endswith("/sparql")
    assert int(g.value(ds, URIRef(VOID + "triples"))) > 9000
    assert len(set(g.objects(ds, URIRef(VOID + "dataDump")))) == 5
    r = client.get("/.well-known/void", headers={"Accept": "application/ld+json"})
    assert r.headers["content-type"].startswith("application/ld+json")


def test_cors_on_reads(client):
    r = client.get("/queries", headers={"Origin": "https://example.org"})
    assert r.headers["access-control-allow-origin"] == "*"
