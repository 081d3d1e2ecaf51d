"""The app on a remote store: a real Oxigraph server (PyPI ``oxigraph``) on a
loopback port holding the built graph. Named queries and /sparql go through it;
when it stops the app answers 502 with a message, and recovers when it is back."""

from __future__ import annotations

import subprocess

import pytest

from zwgk.build import build

ITEM = "https://w3id.org/zwgk/id/catalog/hami-2024-social-insurance/item/"
ITEMS_765 = {6, 9, 30, 31, 32, 33, 34, 37}
SELECT_765 = 'SELECT ?item WHERE { ?item zwgk:legalBasis ?i . ?i zwgk:lookupKey "国务院令765号" }'

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def oxigraph(project, tmp_path_factory, oxigraph_command, server_process, free_port):
    """A started Oxigraph server holding data/build/zwgk.nt (``.stop()`` / ``.start()`` it at will)."""
    if not project.ntriples.exists():
        build(project)
    location = tmp_path_factory.mktemp("oxigraph-store")
    subprocess.run([oxigraph_command, "load", "--location", str(location), "--file", str(project.ntriples)],
                   check=True, capture_output=True, timeout=120)
    port = free_port()
    with server_process([oxigraph_command, "serve", "--location", location, "--bind", f"127.0.0.1:{port}"], port) as srv:
        yield srv


@pytest.fixture(scope="module")
def remote(make_client, oxigraph):
    return make_client(store="remote", endpoint=f"{oxigraph.url}/query", update_endpoint=f"{oxigraph.url}/update",
                       allow_unauthenticated_updates=True, query_timeout=10)


def numbers(values) -> set[int]:
    return {int(v.rsplit("/", 1)[1]) for v in values if v.startswith(ITEM)}


def test_named_query_runs_on_the_remote_store(remote):
    r = remote.get("/queries/items-citing", params={"instrument": "国务院令765号"})
    assert r.status_code == 200, r.text
    bindings = r.json()["results"]["bindings"]
    assert numbers(b["item"]["value"] for b in bindings) == ITEMS_765
    assert sorted(int(b["number"]["value"]) for b in bindings) == sorted(ITEMS_765)
    # a page: the LIMIT and OFFSET go before the VALUES clause that binds the parameter
    r = remote.get("/queries/items-citing", params={"instrument": "国务院令765号", "limit": 3, "offset": 2})
    assert r.status_code == 200, r.text
    assert [int(b["number"]["value"]) for b in r.json()["results"]["bindings"]] == sorted(ITEMS_765)[2:5]


def test_sparql_endpoint_on_the_remote_store(remote):
    r = remote.get("/sparql", params={"query": SELECT_765})
    assert r.status_code == 200, r.text
    assert numbers(b["item"]["value"] for b in r.json()["results"]["bindings"]) == ITEMS_765
    # another format than the store answered in: converted on the way
    r = remote.post("/sparql", content=SELECT_765.encode(), headers={"Content-Type": "application/sparql-query",
                                                                     "Accept": "text/tab-separated-values"})
    assert r.headers["content-type"].startswith("text/tab-separated-values")
    assert len(r.text.splitlines()) == 9
    r = remote.get("/sparql", params={"query": "ASK { ?s ?p ?o }", "default-graph-uri": "http://example.org/empty"})
    assert r.json()["boolean"] is False
    r = remote.get("/sparql", params={"query": "ASK {"})
    assert r.status_code == 400


def test_updates_go_to_the_remote_update_endpoint(remote):
    insert = "INSERT DATA { GRAPH <http://example.org/remote-test> { <http://example.org/s> <http://example.org/p> 1 } }"
    r = remote.post("/sparql", content=insert.encode(), headers={"Content-Type": "application/sparql-update"})
    assert r.status_code == 204, r.text
    r = remote.get("/sparql", params={"query": "ASK { GRAPH <http://example.org/remote-test> { ?s ?p 1 } }"})
    assert r.json()["boolean"] is True
    r = remote.post("/sparql", content=b"DROP GRAPH <http://example.org/remote-test>",
                    headers={"Content-Type": "application/sparql-update"})
    assert r.status_code == 204


def test_store_down_is_502_and_the_app_recovers(remote, oxigraph):
    oxigraph.stop()
    try:
        r = remote.get("/sparql", params={"query": SELECT_765})
        assert r.status_code == 502
        assert "cannot be reached" in r.json()["error"]["message"]
        assert f"127.0.0.1:{oxigraph.port}" not in r.text  # the store's address stays in the server's log
        r = remote.get("/queries/items-citing", params={"instrument": "国务院令765号"})
        assert r.status_code == 502
        assert remote.get("/sparql").status_code == 200  # the service description needs no store
    finally:
        oxigraph.start()
    r = remote.get("/sparql", params={"query": SELECT_765})
    assert r.status_code == 200
    assert numbers(b["item"]["value"] for b in r.json()["results"]["bindings"]) == ITEMS_765


def test_pages_with_the_store_down_are_502_in_the_one_shape_and_recover(remote, oxigraph):
    page = "/id/catalog/hami-2024-social-insurance/item/6"
    oxigraph.stop()
    try:
        r = remote.get(page, headers={"Accept": "application/json"})
        assert r.status_code == 502
        assert set(r.json()["error"]) == {"status", "title", "message"} and "cannot be reached" in r.text
        r = remote.get(page, headers={"Accept": "text/html"})
        assert r.status_code == 502 and r.headers["content-type"].startswith("text/html")
        assert "cannot be reached" in r.text and "Traceback" not in r.text
        assert r.headers["x-frame-options"] == "DENY"
        r = remote.post("/sparql", content=b"CLEAR ALL", headers={"Content-Type": "application/sparql-update"})
        assert r.status_code == 502
    finally:
        oxigraph.start()
    r = remote.get(page, headers={"Accept": "text/html"})
    assert r.status_code == 200 and "企业社会保险登记" in r.text


def test_a_remote_answer_is_read_only_up_to_the_result_limit(make_client, oxigraph):
    """The store's answer is streamed and dropped past max_result_bytes: 422, and the server never
    holds more than the limit (before, the whole answer was read into memory first)."""
    small = make_client(store="remote", endpoint=f"{oxigraph.url}/query", query_timeout=30, max_result_bytes=5_000)
    r = small.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert r.status_code == 422 and "max_result_bytes" in r.json()["error"]["message"]
    r = small.get("/queries/instrument-usage", headers={"Accept": "application/json"})
    assert r.status_code == 422, r.text[:300]
    assert small.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).status_code == 200


def test_a_broken_answer_of_the_store_is_not_passed_on():
    """Oxigraph writes an error that happens mid-answer into the body of its 200: that is a 502, not results."""
    import httpx

    from zwgk.backends import RemoteBackend, StoreUnavailable

    broken = b'{"head":{"vars":["s"]},"results":{"bindings":[Error 501 Not Implemented returned by http://10.0.0.1/'
    backend = RemoteBackend("http://store.invalid/query")
    backend.client = httpx.Client(transport=httpx.MockTransport(
        lambda request: httpx.Response(200, content=broken, headers={"Content-Type": "application/sparql-results+json"})))
    with pytest.raises(StoreUnavailable, match="broke off its answer") as err:
        backend.query("SELECT * WHERE { ?s ?p ?o }")
    assert "10.0.0.1" not in str(err.value)
    whole = b'{"head":{"vars":["s"]},"results":{"bindings":[]}}'
    backend.client = httpx.Client(transport=httpx.MockTransport(
        lambda request: httpx.Response(200, content=whole, headers={"Content-Type": "application/sparql-results+json"})))
    assert backend.query("SELECT * WHERE { ?s ?p ?o }").body == whole


def test_void_of_a_remote_store_lists_no_dumps(remote):
    """Dumps are not served on a remote store (404): its description must not advertise them."""
    r = remote.get("/.well-known/void", headers={"Accept": "application/n-triples"})
    assert r.status_code == 200 and "sparql" in r.text
    assert "/dumps/" not in r.text and "dataDump" not in r.text
    assert remote.get("/dumps/zwgk.ttl").status_code == 404
