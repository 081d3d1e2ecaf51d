"""A real ``zwgk serve`` process, queried through SPARQLWrapper (a client others
use): SELECT and ASK in JSON, XML, CSV and TSV; CONSTRUCT and DESCRIBE in Turtle,
N3, XML, RDF/XML and JSON-LD (every return format SPARQLWrapper 2 asks for by
Accept for those forms); GET, POST form and POST direct."""

from __future__ import annotations

import csv
import io
import warnings

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, POSTDIRECTLY, RDFXML, TSV, TURTLE, URLENCODED, XML, SPARQLWrapper

ITEM = "https://w3id.org/zwgk/id/catalog/hami-2024-social-insurance/item/"
ITEMS_765 = {6, 9, 30, 31, 32, 33, 34, 37}
PREFIX = "PREFIX zwgk: <https://w3id.org/zwgk/ontology#>\n"
SELECT = PREFIX + 'SELECT ?item WHERE { ?item zwgk:legalBasis ?i . ?i zwgk:lookupKey "国务院令765号" } ORDER BY ?item'
ASK = PREFIX + 'ASK { ?item zwgk:legalBasis ?i . ?i zwgk:lookupKey "国务院令765号" }'
CONSTRUCT = PREFIX + 'CONSTRUCT { ?item zwgk:legalBasis ?i } WHERE { ?item zwgk:legalBasis ?i . ?i zwgk:lookupKey "国务院令765号" }'
DESCRIBE = f"DESCRIBE <{ITEM}6>"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def endpoint(server_process, free_port, zwgk_command):
    port = free_port()
    with server_process([*zwgk_command, "serve", "--host", "127.0.0.1", "--port", port], port) as server:
        yield server.url + "/sparql"


def run(endpoint: str, query: str, fmt: str, method: str | None = None, request_method: str | None = None):
    sparql = SPARQLWrapper(endpoint)
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    if method:
        sparql.setMethod(method)
    if request_method:
        sparql.setRequestMethod(request_method)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # SPARQLWrapper warns when the answer is not the format asked for
        return sparql.queryAndConvert()


def numbers(values) -> set[int]:
    return {int(str(v).rsplit("/", 1)[1]) for v in values if str(v).startswith(ITEM)}


def select_items(result, fmt: str) -> set[int]:
    if fmt == JSON:
        return numbers(b["item"]["value"] for b in result["results"]["bindings"])
    if fmt == XML:  # a DOM document
        return numbers(n.firstChild.data for n in result.getElementsByTagName("uri"))
    text = result.decode("utf-8")
    if fmt == CSV:
        return numbers(row["item"] for row in csv.DictReader(io.StringIO(text)))
    return numbers(line.strip("<>") for line in text.splitlines()[1:])


def ask_value(result, fmt: str) -> bool:
    if fmt == JSON:
        return result["boolean"]
    if fmt == XML:
        return result.getElementsByTagName("boolean")[0].firstChild.data == "true"
    return result.decode("utf-8").strip() == "true"


def as_graph(result, fmt: str) -> Graph:
    if isinstance(result, Graph):  # XML, RDF/XML and JSON-LD are parsed by SPARQLWrapper
        return result
    assert fmt in (TURTLE, N3)
    return Graph().parse(data=result, format="turtle")


@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_select(endpoint, fmt):
    assert select_items(run(endpoint, SELECT, fmt), fmt) == ITEMS_765


@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_ask(endpoint, fmt):
    assert ask_value(run(endpoint, ASK, fmt), fmt) is True
    assert ask_value(run(endpoint, PREFIX + 'ASK { ?i zwgk:lookupKey "no such key" }', fmt), fmt) is False


@pytest.mark.parametrize("method, request_method", [(POST, URLENCODED), (POST, POSTDIRECTLY)])
def test_select_by_post(endpoint, method, request_method):
    assert select_items(run(endpoint, SELECT, JSON, method, request_method), JSON) == ITEMS_765


@pytest.fixture(scope="module")
def reference(endpoint):
    """CONSTRUCT and DESCRIBE as N-Triples, fetched without SPARQLWrapper."""
    import httpx

    out = {}
    for name, query in (("construct", CONSTRUCT), ("describe", DESCRIBE)):
        r = httpx.get(endpoint, params={"query": query}, headers={"Accept": "application/n-triples"})
        assert r.status_code == 200
        out[name] = Graph().parse(data=r.content, format="nt")
    return out


@pytest.mark.parametrize("fmt", [TURTLE, N3, XML, RDFXML, JSONLD])
def test_construct(endpoint, reference, fmt):
    g = as_graph(run(endpoint, CONSTRUCT, fmt), fmt)
    assert len(g) == 8
    assert numbers(g.subjects()) == ITEMS_765
    assert isomorphic(g, reference["construct"])


@pytest.mark.parametrize("fmt", [TURTLE, N3, XML, RDFXML, JSONLD])
def test_describe(endpoint, reference, fmt):
    g = as_graph(run(endpoint, DESCRIBE, fmt), fmt)
    assert (URIRef(ITEM + "6"), URIRef("https://w3id.org/zwgk/ontology#itemNumber"), None) in g
    assert isomorphic(g, reference["describe"])

