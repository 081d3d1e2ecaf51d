"""The same answers from every embedded store: Oxigraph in memory, Oxigraph on disk, rdflib."""

import csv
import io

import pytest
from fastapi.testclient import TestClient

from zwgk.web.app import create_app
from zwgk.web.settings import Settings
from zwgk.web.state import AppState


@pytest.fixture(params=["oxigraph-memory", "oxigraph-disk", "rdflib"])
def store_client(request, project, tmp_path):
    kind = request.param
    settings = Settings(store="rdflib") if kind == "rdflib" else Settings(
        store="oxigraph", store_path=tmp_path / "store" if kind == "oxigraph-disk" else None)
    state = AppState.open(settings, project)
    yield TestClient(create_app(settings, state))
    if kind == "oxigraph-disk":
        del state  # the on-disk store closes with its last reference


def numbers(text):
    return [int(r["number"]) for r in csv.DictReader(io.StringIO(text))]


def test_named_queries_agree(store_client):
    r = store_client.get("/queries/items-citing", params={"instrument": "国务院令765号"}, headers={"Accept": "text/csv"})
    assert r.status_code == 200
    assert numbers(r.text) == [6, 9, 30, 31, 32, 33, 34, 37]
    r = store_client.get("/queries/items-on-channel", params={"channel": "政府网站"}, headers={"Accept": "text/csv"})
    assert numbers(r.text) == [1, 2, 3, 4, 5, 26]


def test_sparql_agrees(store_client):
    q = "SELECT (COUNT(?i) AS ?n) WHERE { ?i a zwgk:DisclosureItem }"
    r = store_client.get("/sparql", params={"query": q}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    assert int(r.json()["results"]["bindings"][0]["n"]["value"]) == 75
    bad = store_client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p }"})
    assert bad.status_code == 400
