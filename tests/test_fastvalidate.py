"""The fast validation path (shapes compiled to SPARQL, run by Oxigraph) gives the report
pySHACL gives: on the Hami catalog and on every shape's fixtures, result for result, message for
message, and the same report graph (as Turtle, byte for byte)."""

from __future__ import annotations

from collections import Counter

import pytest
from rdflib import Graph

from conftest import ROOT
from zwgk import fastvalidate
from zwgk.validate import as_json, as_turtle, load_shapes, validate

FIX = ROOT / "tests" / "fixtures" / "shapes"
FIXTURES = sorted(p.name for p in FIX.glob("*.ttl") if not p.name.endswith(".report.ttl"))


@pytest.fixture(scope="module")
def shapes():
    return load_shapes(ROOT / "shapes")


def full(r) -> tuple:
    return (r.focus, r.path, r.severity, r.shape, r.constraint, r.item, r.value, r.message, r.message_en)


def same_report(reference, fast) -> None:
    assert [full(r) for r in fast.results] == [full(r) for r in reference.results]
    assert fast.conforms == reference.conforms
    assert as_json(fast) == as_json(reference)
    assert as_turtle(fast) == as_turtle(reference)


@pytest.fixture(scope="module")
def hami_reports(hami_result, shapes):
    return validate(hami_result.graph, shapes, engine="pyshacl"), fastvalidate.validate(hami_result.graph, shapes)


def test_hami_same_as_pyshacl(hami_reports):
    reference, fast = hami_reports
    assert reference.results, "the Hami catalog has known defects"
    assert (reference.engine, fast.engine) == ("pyshacl", "fast")
    same_report(reference, fast)


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_same_as_pyshacl(name, shapes):
    data = Graph().parse(FIX / name)
    same_report(validate(data, shapes, engine="pyshacl"), fastvalidate.validate(data, shapes))


def test_report_graph_matches_the_expected_reports(shapes):
    """The report graph of the fast path pins what the fixtures' expected reports pin."""
    from test_shapes import reduced
    from rdflib.compare import isomorphic

    for expected in sorted(FIX.glob("*-violates.report.ttl")):
        data = Graph().parse(FIX / expected.name.replace(".report.ttl", ".ttl"))
        got = reduced(fastvalidate.validate(data, shapes).graph)
        assert isomorphic(got, reduced(Graph().parse(expected))), expected.name


def test_auto_takes_the_fast_path_and_falls_back_to_pyshacl(shapes):
    data = Graph().parse(FIX / "Item-elementNumbering-violates.ttl")
    assert validate(data, shapes).engine == "fast"
    # sh:node is not compiled: the whole report comes from pySHACL, with the same results
    odd = Graph()
    odd += shapes
    odd.parse(data="""@prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:s> a sh:NodeShape ; sh:targetClass <urn:C> ; sh:node <urn:other> .
        <urn:other> a sh:NodeShape .""", format="turtle")
    report = validate(data, odd)
    assert report.engine == "pyshacl"
    assert [full(r) for r in report.results] == [full(r) for r in validate(data, shapes).results]
    with pytest.raises(fastvalidate.Unsupported):
        validate(data, odd, engine="fast")


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
    assert Counter(map(full, by_part.results)) == Counter(map(full, whole.results))
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


def test_an_exists_in_one_union_branch_does_not_join_on_a_namesake_in_another():
    """?x of the NOT EXISTS in the first branch and ?x of the EXISTS in the second are two variables:
    the compiled EXISTS must not join on it (it repeated each result once per value of ?x)."""
    shapes = Graph().parse(data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
        ex:S a sh:NodeShape ; sh:targetClass ex:Item ; sh:severity sh:Warning ; sh:sparql [
          sh:message "gap" ;
          sh:select \"\"\"SELECT $this WHERE {
              { $this <http://example.org/sub> ?s . FILTER NOT EXISTS { $this <http://example.org/mid> ?x } }
              UNION
              { $this <http://example.org/in> ?c . FILTER NOT EXISTS { $this <http://example.org/main> ?m }
                FILTER EXISTS { ?o <http://example.org/in> ?c ; <http://example.org/main> ?x } }
          }\"\"\" ] .""", format="turtle")
    data = Graph().parse(data="""
        @prefix ex: <http://example.org/> .
        ex:a a ex:Item ; ex:in ex:c ; ex:main "one" .
        ex:b a ex:Item ; ex:in ex:c ; ex:main "two" .
        ex:gap a ex:Item ; ex:in ex:c .""", format="turtle")
    fast = fastvalidate.validate(data, shapes)
    assert [r.focus for r in fast.results] == ["http://example.org/gap"]
    same_report(validate(data, shapes, engine="pyshacl"), fast)
