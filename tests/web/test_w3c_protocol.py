"""The W3C SPARQL 1.1 Protocol test suite (34 tests) against a live ``zwgk serve``.

The manifest is read with rdflib; each request is sent with ``http.client`` with
exactly the method, headers and body the manifest gives (no client adds a
Content-Type of its own). Before each test the server's dataset is reset, over
the protocol, to the graphs the test declares (``ut:graphData``; all three when
it declares none), so every test's preconditions hold whatever ran before.
"""

from __future__ import annotations

import http.client
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from rdflib import Graph, Namespace
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

ROOT = Path(__file__).resolve().parents[2]
SUITE_CANDIDATES = (ROOT / "tests" / "fixtures" / "w3c" / "sparql11-protocol", ROOT.parent / "shared" / "w3c" / "sparql11-protocol")
SUITE = next((p for p in SUITE_CANDIDATES if (p / "manifest.ttl").exists()), SUITE_CANDIDATES[-1])

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
KASEI = "http://kasei.us/2009/09/sparql/data/data{}.rdf"

RESULTS = {"application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values"}
BOOLEAN = {"application/sparql-results+json", "application/sparql-results+xml"}
RDF_FORMATS = {"text/turtle": "turtle", "application/n-triples": "nt", "application/ld+json": "json-ld",
               "application/rdf+xml": "xml", "application/n-quads": "nquads", "application/trig": "trig"}

# the suite ships in tests/fixtures/w3c (W3C test suite licence, BSD 3-clause): it is never skipped


def test_the_suite_is_here():
    assert (SUITE / "manifest.ttl").exists(), f"the W3C protocol suite is missing from {SUITE}"


@dataclass
class ProtocolRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: set[int]  # expected status classes: 2, 3, 4
    boolean: bool | None
    format: str | None  # "boolean" | "tabular" | "RDF"


@dataclass
class ProtocolTest:
    name: str
    title: str
    graphs: dict[str, Path] = field(default_factory=dict)  # graph IRI -> data file
    requests: list[ProtocolRequest] = field(default_factory=list)


def load_manifest(suite: Path = SUITE) -> list[ProtocolTest]:
    g = Graph().parse(suite / "manifest.ttl", format="turtle")
    manifest = next(g.subjects(RDF.type, MF.Manifest))
    tests = []
    for node in Collection(g, g.value(manifest, MF.entries)):
        test = ProtocolTest(str(node).rsplit("#", 1)[1], str(g.value(node, MF.name)))
        for data in g.objects(node, UT.graphData):
            test.graphs[str(g.value(data, RDFS.label))] = suite / str(g.value(data, UT.graph)).rsplit("/", 1)[1]
        for req in Collection(g, g.value(g.value(node, MF.action), HT.requests)):
            headers = {}
            if g.value(req, HT.headers) is not None:
                for h in Collection(g, g.value(req, HT.headers)):
                    headers[str(g.value(h, HT.fieldName))] = str(g.value(h, HT.fieldValue))
            body = None
            if (b := g.value(req, HT.body)) is not None:
                body = str(g.value(b, CNT.chars)).encode(str(g.value(b, CNT.characterEncoding)))
            resp = g.value(req, HT.resp)
            boolean = g.value(resp, MF.expectedBoolean)
            fmt = g.value(resp, MF.expectedFormat)
            test.requests.append(ProtocolRequest(
                method=str(g.value(req, HT.methodName)),
                path=str(g.value(req, HT.absolutePath)),
                headers=headers,
                body=body,
                statuses={int(str(s).rsplit("StatusCode", 1)[1][0]) for s in g.objects(resp, MF.expectedStatus)},
                boolean=None if boolean is None else boolean.toPython(),
                format=None if fmt is None else str(fmt),
            ))
        tests.append(test)
    return tests


def send(port: int, method: str, path: str, headers: dict[str, str], body: bytes | None):
    """One request exactly as given: http.client adds only Host, Accept-Encoding and Content-Length."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, (response.getheader("Content-Type") or "").split(";")[0].strip(), response.read()
    finally:
        conn.close()


def endpoint_path(path: str) -> str:
    assert path.startswith("/sparql/")
    return "/sparql" + path[len("/sparql/"):]


def reset(port: int, graphs: dict[str, Path]) -> None:
    inserts = "\n".join(f"GRAPH <{iri}> {{\n{path.read_text(encoding='utf-8')}}}" for iri, path in graphs.items())
    update = f"DROP ALL ;\nINSERT DATA {{\n{inserts}\n}}".encode("utf-8")
    status, _, body = send(port, "POST", "/sparql", {"Content-Type": "application/sparql-update"}, update)
    assert status == 204, f"resetting the dataset failed: {status} {body[:300]!r}"


def parse_boolean(media: str, body: bytes) -> bool:
    if media == "application/sparql-results+json":
        return json.loads(body)["boolean"]
    root = ET.fromstring(body)
    return root.find("{http://www.w3.org/2005/sparql-results#}boolean").text.strip() == "true"


def judge(req: ProtocolRequest, status: int, media: str, body: bytes) -> str | None:
    """What is wrong with the response, or None."""
    if status // 100 not in req.statuses:
        wanted = "/".join(f"{c}xx" for c in sorted(req.statuses))
        return f"{req.method} {req.path[:80]}: status {status}, expected {wanted}: {body[:200]!r}"
    if req.format == "boolean" and media not in BOOLEAN:
        return f"a boolean result as {media!r}"
    if req.format == "tabular" and media not in RESULTS:
        return f"tabular results as {media!r}"
    if req.format == "RDF":
        if media not in RDF_FORMATS:
            return f"RDF as {media!r}"
        try:
            Graph().parse(data=body, format=RDF_FORMATS[media])
        except Exception as exc:
            return f"the {media} answer does not parse: {exc}"
    if req.boolean is not None:
        try:
            value = parse_boolean(media, body)
        except Exception as exc:
            return f"no boolean in the {media} answer: {exc}"
        if value is not req.boolean:
            return f"boolean {value}, expected {req.boolean}"
    return None


def run_test(port: int, test: ProtocolTest, all_graphs: dict[str, Path]) -> str | None:
    reset(port, test.graphs or all_graphs)
    for i, req in enumerate(test.requests, 1):
        status, media, body = send(port, req.method, endpoint_path(req.path), req.headers, req.body)
        problem = judge(req, status, media, body)
        if problem:
            return f"request {i}: {problem}"
    return None


@pytest.fixture(scope="module")
def protocol_server(tmp_path_factory, server_process, free_port, zwgk_command):
    """``zwgk serve`` holding data1-3 in their named graphs, updates on, loopback only."""
    folder = tmp_path_factory.mktemp("w3c")
    dataset = folder / "protocol-data.trig"
    dataset.write_text("".join(f"<{KASEI.format(n)}> {{\n{(SUITE / f'data{n}.nt').read_text(encoding='utf-8')}}}\n"
                               for n in (1, 2, 3)), encoding="utf-8")
    port = free_port()
    args = [*zwgk_command, "serve", "--host", "127.0.0.1", "--port", port, "--load", dataset, "--allow-updates"]
    with server_process(args, port) as server:
        yield server


def test_manifest_has_34_tests():
    tests = load_manifest()
    assert len(tests) == 34
    assert all(t.requests for t in tests)


@pytest.mark.slow
def test_w3c_sparql11_protocol_suite(protocol_server):
    tests = load_manifest()
    all_graphs = {KASEI.format(n): SUITE / f"data{n}.nt" for n in (1, 2, 3)}
    failures = {}
    for test in tests:
        problem = run_test(protocol_server.port, test, all_graphs)
        print(f"{'PASS' if problem is None else 'FAIL'} {test.name}" + (f": {problem}" if problem else ""))
        if problem:
            failures[test.name] = problem
    print(f"W3C SPARQL 1.1 Protocol: {len(tests) - len(failures)}/{len(tests)} pass")
    assert not failures, f"{len(failures)} of {len(tests)} W3C protocol tests fail:\n" + "\n".join(
        f"  {name}: {problem}" for name, problem in failures.items())
