"""Each catalog in its named graph, over HTTP (issue #6): the default graph is the
union of all graphs, ``GRAPH`` and ``default-graph-uri`` pick one catalog, the
VoID description lists the graphs, and the dumps keep them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from zwgk.web.app import create_app
from zwgk.web.settings import Settings
from zwgk.web.state import AppState

BASE = "https://w3id.org/zwgk/id/catalog/"
CATALOGS = ("hami-2024-social-insurance", "yiwu-2024-social-insurance", "daquanwan-2024-social-insurance")
COUNT = "PREFIX zwgk: <https://w3id.org/zwgk/ontology#> SELECT (COUNT(?i) AS ?n) WHERE { ?i a zwgk:DisclosureItem }"
JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module", params=["oxigraph", "rdflib"])
def client(request, multi_project):
    settings = Settings(store=request.param)
    return TestClient(create_app(settings, AppState.open(settings, multi_project)))


def count(client, query=COUNT, **params) -> int:
    r = client.get("/sparql", params={"query": query, **params}, headers=JSON)
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def items_per_catalog(project) -> dict[str, int]:
    import json

    summary = json.loads((project.build_dir / "summary.json").read_text(encoding="utf-8"))
    return {c["id"]: c["items"] for c in summary["catalogs"]}


def test_the_default_graph_is_the_union_of_the_catalogs(client, multi_project):
    per = items_per_catalog(multi_project)
    assert set(per) == set(CATALOGS)
    assert count(client) == sum(per.values())


@pytest.mark.parametrize("cid", CATALOGS)
def test_one_catalog_by_graph_or_by_default_graph_uri(client, multi_project, cid):
    expected = items_per_catalog(multi_project)[cid]
    graph = ("PREFIX zwgk: <https://w3id.org/zwgk/ontology#> SELECT (COUNT(?i) AS ?n) "
             f"WHERE {{ GRAPH <{BASE}{cid}> {{ ?i a zwgk:DisclosureItem }} }}")
    assert count(client, graph) == expected
    assert count(client, **{"default-graph-uri": BASE + cid}) == expected


def test_the_named_graphs_are_listed_and_described(client, multi_project):
    r = client.get("/sparql", params={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"}, headers=JSON)
    assert {b["g"]["value"] for b in r.json()["results"]["bindings"]} == {BASE + c for c in CATALOGS}
    void = client.get("/.well-known/void", headers={"Accept": "text/turtle"}).text
    for cid in CATALOGS:
        assert f"void#graph-{cid}" in void and f"<{BASE}{cid}>" in void


def test_the_nquads_dump_keeps_the_graphs(client):
    body = client.get("/dumps/zwgk.nq").text
    graphs = {line.rsplit(" ", 2)[-2] for line in body.splitlines() if line.endswith("> .") and line.count("<") >= 4}
    assert {f"<{BASE}{c}>" for c in CATALOGS} <= graphs
