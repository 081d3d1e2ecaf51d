"""``zwgk push`` into a real Oxigraph server (PyPI ``oxigraph``, started on a loopback port):
the build arrives graph for graph, a second push replaces rather than adds, the app then
serves it as a remote store, and a push that fails half-way leaves the store as it was."""

from __future__ import annotations

import httpx
import pytest

from zwgk.build import build
from zwgk.cli import main
from zwgk.push import graphs_of

pytestmark = pytest.mark.slow

CATALOG = "https://w3id.org/zwgk/id/catalog/hami-2024-social-insurance"
ITEMS_765 = {6, 9, 30, 31, 32, 33, 34, 37}


@pytest.fixture(scope="module")
def built(project):
    if not project.nquads.exists():
        build(project)
    return project


@pytest.fixture()
def store(tmp_path, oxigraph_command, server_process, free_port):
    port = free_port()
    with server_process([oxigraph_command, "serve", "--location", tmp_path / "store", "--bind", f"127.0.0.1:{port}",
                         "--union-default-graph"], port) as srv:
        yield srv


def count(store, query: str) -> int:
    r = httpx.post(store.url + "/query", content=query.encode(), timeout=60,
                   headers={"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"})
    r.raise_for_status()
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def push_args(built, store, graph_store: str | None = None) -> list[str]:
    return ["--root", str(built.root), "push", "--graph-store", graph_store or store.url + "/store",
            "--update-endpoint", store.url + "/update"]


def test_push_puts_every_graph_in_place_and_a_second_push_replaces(built, store, capsys):
    graphs = graphs_of(built.nquads)
    expected = sum(body.count(b"\n") for body in graphs.values())
    assert main(push_args(built, store)) == 0
    assert f"{len(graphs)} graphs, {expected} triples" in capsys.readouterr().out
    in_catalog = count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{CATALOG}> {{ ?s ?p ?o }} }}")
    assert in_catalog == graphs[CATALOG].count(b"\n")
    # no staging graph is left, and nothing is doubled by a second push
    assert count(store, "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { } FILTER(STRSTARTS(STR(?g), 'urn:zwgk:staging')) }") == 0
    total = count(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert main(push_args(built, store)) == 0
    assert count(store, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == total


def test_the_app_serves_a_pushed_store(built, store, make_client):
    assert main(push_args(built, store)) == 0
    remote = make_client(store="remote", endpoint=store.url + "/query", query_timeout=30)
    r = remote.get("/queries/items-citing", params={"instrument": "国务院令765号"})
    assert r.status_code == 200, r.text
    assert {int(b["number"]["value"]) for b in r.json()["results"]["bindings"]} == ITEMS_765


STAGING = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { } FILTER(STRSTARTS(STR(?g), 'urn:zwgk:staging')) }"
ALL = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def test_a_push_that_fails_leaves_the_store_as_it_was(built, store, capsys):
    assert main(push_args(built, store)) == 0
    before = count(store, ALL)
    capsys.readouterr()
    # the first upload fails: nothing was sent
    assert main(push_args(built, store, graph_store=store.url + "/no-such-path")) == 2
    err = capsys.readouterr().err
    assert err.startswith("zwgk: error: graph ") and "HTTP 404" in err and "as they were" in err
    assert count(store, ALL) == before and count(store, STAGING) == 0
    # every graph is sent, then the update that puts them in place fails: the staging graphs are taken back
    args = push_args(built, store)
    args[args.index("--update-endpoint") + 1] = store.url + "/no-update-here"
    assert main(args) == 2
    assert "putting the graphs in place" in capsys.readouterr().err
    assert count(store, ALL) == before and count(store, STAGING) == 0
