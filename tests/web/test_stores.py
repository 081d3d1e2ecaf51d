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
    r = store_client.get("/queries/items-citing", params={"instrument": "国务院令765号", "limit": 3, "offset": 2},
                         headers={"Accept": "text/csv"})
    assert numbers(r.text) == [30, 31, 32]


def test_sparql_agrees(store_client):
    q = "SELECT (COUNT(?i) AS ?n) WHERE { ?i a zwgk:DisclosureItem }"
    r = store_client.get("/sparql", params={"query": q}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    assert int(r.json()["results"]["bindings"][0]["n"]["value"]) == 75
    bad = store_client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p }"})
    assert bad.status_code == 400


# ------------------------------------------------------------------ a remote store: no validators

@pytest.fixture(scope="module")
def remote_client(project):
    """An app set to a remote store, whose queries the Hami graph answers in process (the
    transport to a real remote server is tested in test_remote_store.py)."""
    from zwgk.backends import OxigraphBackend

    settings = Settings(store="remote", endpoint="http://127.0.0.1:9/unused")
    state = AppState.open(settings, project)
    assert state.etag == "" and state.last_modified == ""
    backend = OxigraphBackend()
    backend.load_file(project.nquads)
    backend.union_default_graph = True
    state.backend = backend
    return TestClient(create_app(settings, state))


@pytest.mark.parametrize("path", ["/queries/items-citing?instrument=%E5%9B%BD%E5%8A%A1%E9%99%A2%E4%BB%A4765%E5%8F%B7",
                                  "/id/catalog/hami-2024-social-insurance", "/id/catalog/hami-2024-social-insurance.ttl",
                                  "/.well-known/void", "/context.jsonld"])
def test_a_remote_store_gets_no_validators(remote_client, path):
    """Its data can change without the server knowing: an ETag or Last-Modified would keep stale answers in caches."""
    r = remote_client.get(path)
    assert r.status_code == 200
    assert "etag" not in r.headers and "last-modified" not in r.headers
    for condition in ({"If-None-Match": "*"}, {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}):
        assert remote_client.get(path, headers=condition).status_code == 200, condition


# ------------------------------------------------------------------ zwgk serve rebuilds a stale build

def test_serve_rebuilds_when_an_input_changed(scratch_project, capsys):
    import os

    from zwgk.build import build
    from zwgk.web.state import stale_inputs

    project = scratch_project
    build(project)
    settings = Settings(query_workers=0)
    AppState.open(settings, project)
    assert "rebuilding" not in capsys.readouterr().err  # an up-to-date build is served as it is
    # an edit to the ontology, made after the build
    marker = "https://w3id.org/zwgk/id/test-marker"
    with project.ontology.open("a", encoding="utf-8") as fh:
        fh.write(f'\n<{marker}> <http://www.w3.org/2000/01/rdf-schema#label> "marker" .\n')
    earlier = project.ontology.stat().st_mtime - 5  # the build is older than the edit, whatever the clock's grain
    os.utime(project.nquads, (earlier, earlier))
    assert stale_inputs(project) == [project.ontology]
    state = AppState.open(settings, project)
    err = capsys.readouterr().err
    assert "ontology/zwgk.ttl changed since the last build: rebuilding" in err
    assert state.backend.query(f"ASK {{ <{marker}> ?p ?o }}").results  # the new build is served
    assert stale_inputs(project) == []


def test_serve_rebuilds_after_a_source_or_registry_changed(scratch_project, monkeypatch, capsys):
    """Which inputs count: the registries, the sources, the ontology (and shapes); not the queries."""
    import os

    from zwgk.web import state as state_module

    project = scratch_project
    project.build_dir.mkdir(parents=True)
    project.nquads.write_text("", encoding="utf-8")
    built = project.nquads.stat().st_mtime
    inputs = state_module.build_inputs(project)
    for path in inputs:
        os.utime(path, (built - 10, built - 10))
    assert project.data / "instruments.toml" in inputs and project.data / "sources" / "hami-2024-social-insurance.txt" in inputs
    assert not any(p.suffix == ".rq" for p in inputs)
    calls = []
    monkeypatch.setattr(state_module, "build", lambda p: calls.append(p))
    assert state_module.ensure_built(project) is False and calls == []
    for changed in (project.data / "instruments.toml", project.data / "sources" / "hami-2024-social-insurance.txt"):
        os.utime(changed, (built + 10, built + 10))
        assert state_module.ensure_built(project) is True
        assert str(changed.relative_to(project.root)) in capsys.readouterr().err
        os.utime(changed, (built - 10, built - 10))
    assert len(calls) == 2


def test_a_failed_rebuild_leaves_the_previous_build_served(scratch_project, capsys):
    """A bad edit to a source must not take down a service that has a good build."""
    import os

    from zwgk.build import build

    project = scratch_project
    build(project)
    before = project.nquads.read_bytes()
    src = project.data / "sources" / "hami-2024-social-insurance.txt"
    src.write_bytes(src.read_bytes()[:91000])  # cut inside item 73: refused
    later = project.nquads.stat().st_mtime + 10
    os.utime(src, (later, later))
    state = AppState.open(Settings(query_workers=0), project)
    err = capsys.readouterr().err
    assert "rebuilding" in err and "the rebuild failed, so the previous build" in err and "line 250" in err
    assert project.nquads.read_bytes() == before
    count = "SELECT (COUNT(?i) AS ?n) WHERE { ?i a <https://w3id.org/zwgk/ontology#DisclosureItem> }"
    [row] = list(state.backend.query(count).results)
    assert int(row["n"].value) == 75  # the good build, all 75 items


def test_updates_apply_on_the_rdflib_store(make_client):
    """rdflib's update() takes no base IRI: the update is parsed with it first (it failed as a bad update)."""
    c = make_client(store="rdflib", allow_unauthenticated_updates=True)
    insert = b'INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/s> <http://example.org/p> "c" } }'
    r = c.post("/sparql", content=insert, headers={"Content-Type": "application/sparql-update"})
    assert r.status_code == 204, r.text
    r = c.get("/sparql", params={"query": 'ASK { GRAPH <http://example.org/g> { ?s ?p "c" } }'})
    assert r.json()["boolean"] is True
    relative = b'INSERT DATA { <s2> <p> "relative" }'  # resolved against the endpoint's IRI
    assert c.post("/sparql", content=relative, headers={"Content-Type": "application/sparql-update"}).status_code == 204
    bad = c.post("/sparql", content=b"INSERT DATA { <s> <p> ", headers={"Content-Type": "application/sparql-update"})
    assert bad.status_code == 400
