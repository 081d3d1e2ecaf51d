"""Dumps, the JSON-LD context and the VoID/DCAT description."""

import time
from email.utils import formatdate, parsedate_to_datetime

import pytest
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


# ------------------------------------------------------------------ validators per representation

def test_void_has_one_etag_per_format_and_304_only_on_its_own(client):
    ttl = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    jsonld = client.get("/.well-known/void", headers={"Accept": "application/ld+json"})
    assert ttl.status_code == jsonld.status_code == 200
    assert ttl.headers["etag"] != jsonld.headers["etag"]
    same = client.get("/.well-known/void", headers={"Accept": "text/turtle", "If-None-Match": ttl.headers["etag"]})
    assert same.status_code == 304 and same.headers["etag"] == ttl.headers["etag"] and "Accept" in same.headers["vary"]
    # the Turtle's validator does not stand for the JSON-LD or the N-Triples
    for accept in ("application/ld+json", "application/n-triples"):
        other = client.get("/.well-known/void", headers={"Accept": accept, "If-None-Match": ttl.headers["etag"]})
        assert other.status_code == 200 and other.content, accept


def test_void_modified_is_a_date_time(client):
    from rdflib import XSD
    from rdflib.namespace import DCTERMS

    g = Graph().parse(data=client.get("/.well-known/void", headers={"Accept": "text/turtle"}).text, format="turtle")
    ds = next(g.subjects(RDF.type, URIRef(VOID + "Dataset")))
    modified = g.value(ds, DCTERMS.modified)
    assert modified.datatype == XSD.dateTime
    assert modified.toPython().tzinfo is not None  # a date-time, read back as one


@pytest.mark.parametrize("path", ["/dumps/zwgk.ttl", "/dumps/zwgk.nt", "/context.jsonld", "/.well-known/void"])
def test_if_modified_since(client, path):
    r = client.get(path)
    modified = r.headers["last-modified"]
    assert client.get(path, headers={"If-Modified-Since": modified}).status_code == 304
    later = formatdate(time.time(), usegmt=True)  # after the data changed, not after the server's clock
    assert client.get(path, headers={"If-Modified-Since": later}).status_code == 304
    earlier = formatdate(parsedate_to_datetime(modified).timestamp() - 3600, usegmt=True)
    assert client.get(path, headers={"If-Modified-Since": earlier}).status_code == 200
    assert client.get(path, headers={"If-Modified-Since": "not a date"}).status_code == 200
    # If-None-Match decides when both are sent (RFC 9110 §13.2.2)
    assert client.get(path, headers={"If-Modified-Since": modified, "If-None-Match": '"other"'}).status_code == 200


def test_dumps_have_one_etag_per_format(client):
    tags = {client.get(f"/dumps/zwgk.{ext}").headers["etag"] for ext in ("ttl", "nt", "nq")}
    assert len(tags) == 3


@pytest.mark.parametrize("path", ["/context.jsonld", "/.well-known/void", "/dumps/zwgk.nq"])
def test_head(client, path):
    get, head = client.get(path), client.head(path)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"] and head.headers["etag"] == get.headers["etag"]


def test_an_if_modified_since_in_the_future_is_ignored(client):
    """RFC 9110 §13.1.3: a date later than the server's clock is not a valid validator."""
    assert client.get("/dumps/zwgk.nt", headers={"If-Modified-Since": "Fri, 01 Jan 2099 00:00:00 GMT"}).status_code == 200
    modified = client.get("/dumps/zwgk.nt").headers["last-modified"]
    assert client.get("/dumps/zwgk.nt", headers={"If-Modified-Since": modified}).status_code == 304
