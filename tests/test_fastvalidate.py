"""The fast validation path (shapes compiled to SPARQL, run by Oxigraph) gives the report
pySHACL gives: on the Hami catalog and on every shape's conforming and violating fixtures,
result for result."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import SH

from conftest import ROOT
from zwgk import fastvalidate
from zwgk.validate import load_shapes, validate

FIX = ROOT / "tests" / "fixtures" / "shapes"
FIXTURES = sorted(p.name for p in FIX.glob("*.ttl") if not p.name.endswith(".report.ttl"))


@pytest.fixture(scope="module")
def shapes():
    return load_shapes(ROOT / "shapes")


@pytest.fixture(scope="module")
def templates(shapes):
    return sorted({str(m) for m in shapes.objects(None, SH.message) if isinstance(m, Literal)}, key=len, reverse=True)


def key(r) -> tuple:
    """What the issue asks to be the same: focus, path, severity, sourceShape, constraint component."""
    return (r.focus, r.path, r.severity, r.shape, r.constraint)


def canonical(message: str | None, templates: list[str]) -> tuple:
    """A message as its template and the values filled in; a GROUP_CONCAT list in any order
    (engines concatenate in their own order)."""
    if message is None:
        return (None,)
    for t in templates:
        parts = re.split(r"\{[?$]\w+\}", t)
        if len(parts) == 1:
            if message == t:
                return (t,)
            continue
        m = re.match("(.*?)".join(re.escape(p) for p in parts) + r"\Z", message, re.S)
        if m:
            return (t,) + tuple(tuple(sorted(re.split(r"\s*[,;；]\s*", g))) for g in m.groups())
    return (message,)


def full(r, templates) -> tuple:
    return key(r) + (r.item, r.value, canonical(r.message, templates), canonical(r.message_en, templates))


def same_report(reference, fast, templates) -> None:
    assert Counter(map(key, fast.results)) == Counter(map(key, reference.results))
    assert Counter(full(r, templates) for r in fast.results) == Counter(full(r, templates) for r in reference.results)
    assert fast.conforms == reference.conforms
    assert fast.counts() == reference.counts()


@pytest.fixture(scope="module")
def hami_reports(hami_result, shapes):
    return validate(hami_result.graph, shapes), fastvalidate.validate(hami_result.graph, shapes)


def test_hami_same_as_pyshacl(hami_reports, templates):
    reference, fast = hami_reports
    assert reference.results, "the Hami catalog has known defects"
    same_report(reference, fast, templates)


def test_hami_same_order(hami_reports):
    reference, fast = hami_reports
    assert [key(r) + (r.item, r.value) for r in fast.results] == [key(r) + (r.item, r.value) for r in reference.results]


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_same_as_pyshacl(name, shapes, templates):
    data = Graph().parse(FIX / name)
    same_report(validate(data, shapes), fastvalidate.validate(data, shapes), templates)


def test_report_graph_matches_the_expected_reports(shapes):
    """The lazily built SHACL report graph pins what the fixtures' expected reports pin."""
    from test_shapes import reduced
    from rdflib.compare import isomorphic

    for expected in sorted(FIX.glob("*-violates.report.ttl")):
        data = Graph().parse(FIX / expected.name.replace(".report.ttl", ".ttl"))
        got = reduced(fastvalidate.validate(data, shapes).graph)
        assert isomorphic(got, reduced(Graph().parse(expected))), expected.name


def test_by_partition_same_as_whole(tmp_path, hami_reports, shapes):
    """Validating the graph split into parts (shared data + each part) gives the report of the whole."""
    from zwgk import bulk
    from zwgk.build import Project
    from zwgk.synthetic import SyntheticNation

    nation = SyntheticNation(Project(ROOT), 4)
    parts = bulk.build_parts(tmp_path, [1, 2, 3], nation.reference_builder, nation.catalog, workers=1, chunk=1)
    bulk.write_graph(nation.base_graph, tmp_path / "head.nt")
    rb = nation.reference_builder()
    with open(tmp_path / "reference.nt", "w", encoding="utf-8") as fh:
        sink = bulk.sink_builder(rb, fh)
        nation.add_reference_data(rb, nation.spellings())
        sink.flush()
    shared = [tmp_path / "head.nt", tmp_path / "reference.nt"]
    by_part = fastvalidate.validate_parts(shared, [p.path for p in parts], shapes, workers=1)
    store = fastvalidate.as_store(shared[0])
    for f in shared[1:] + [p.path for p in parts]:
        store.bulk_load(path=str(f), format=__import__("pyoxigraph").RdfFormat.N_TRIPLES)
    whole = fastvalidate.validate(store, shapes)
    assert Counter(full(r, []) for r in by_part.results) == Counter(full(r, []) for r in whole.results)
    assert len(whole.results) > len(hami_reports[0].results)  # the synthetic catalogs have their defects too


def test_exists_is_decorrelated_only_when_equivalent():
    q = "SELECT ?this WHERE { ?i <p> ?this ; <n> ?v . BIND (?v - 1 AS ?w) FILTER (NOT EXISTS { ?j <n> ?w ; <p> ?this }) }"
    out = fastvalidate._decorrelate(q)
    assert "EXISTS" not in out and "OPTIONAL { SELECT DISTINCT ?this ?w" in out
    # ?v only in the inner FILTER: substituting it is not a join on it; left as it is
    kept = "SELECT ?this WHERE { ?this <p> ?v FILTER NOT EXISTS { ?this <q> ?e . FILTER (STR(?e) = STR(?v)) } }"
    assert fastvalidate._decorrelate(kept) == kept


def test_stars_are_split_but_not_the_focus_star():
    q = "SELECT ?this WHERE { ?i <p> ?this ; <n> ?v . ?j <p> ?this ; <n> ?v . ?this <q> ?x . FILTER (?i != ?j) }"
    out = fastvalidate._split_stars(q)
    assert out.count("SELECT * WHERE") == 2 and "?this <q> ?x ." in out
    odd = "SELECT ?this WHERE { ?this <p> [ <q> ?x ] }"
    assert fastvalidate._split_stars(odd) == odd


def test_unsupported_feature_refuses(shapes):
    extra = Graph().parse(data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:s> a sh:NodeShape ; sh:targetClass <urn:C> ; sh:node <urn:other> .
    """, format="turtle")
    with pytest.raises(fastvalidate.Unsupported):
        fastvalidate.compile_shapes(extra)
