"""SHACL shapes, pySHACL style: each shape has a conforming and a violating
example with its expected report (compared as graphs), plus the real defects
of the Hami source, each pinned with the items concerned."""

from __future__ import annotations

from collections import defaultdict

import pytest
from rdflib import BNode, Graph
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, SH

from conftest import ROOT
from zwgk.validate import load_shapes, validate

FIX = ROOT / "tests" / "fixtures" / "shapes"
KEPT = (SH.focusNode, SH.resultPath, SH.resultSeverity, SH.sourceShape, SH.sourceConstraintComponent)
SHAPES_NS = "https://w3id.org/zwgk/shapes#"


@pytest.fixture(scope="module")
def shapes():
    return load_shapes(ROOT / "shapes")


def reduced(report_graph: Graph) -> Graph:
    """Only what the expected reports pin: one node per result with focus, path,
    severity, source shape and constraint component."""
    out = Graph()
    for i, result in enumerate(report_graph.subjects(RDF.type, SH.ValidationResult)):
        node = BNode(f"r{i}")
        out.add((node, RDF.type, SH.ValidationResult))
        for p in KEPT:
            for o in report_graph.objects(result, p):
                out.add((node, p, o))
    return out


def shape_names():
    return sorted(p.name[: -len("-conforms.ttl")] for p in FIX.glob("*-conforms.ttl"))


def test_every_node_shape_has_its_examples(shapes):
    node_shapes = {str(s)[len(SHAPES_NS):] for s in shapes.subjects(RDF.type, SH.NodeShape) if str(s).startswith(SHAPES_NS)}
    assert node_shapes == set(shape_names())
    for name in shape_names():
        assert (FIX / f"{name}-violates.ttl").exists() and (FIX / f"{name}-violates.report.ttl").exists()


@pytest.mark.parametrize("name", shape_names())
def test_conforming_example(shapes, name):
    report = validate(Graph().parse(FIX / f"{name}-conforms.ttl"), shapes)
    assert report.results == [], [(r.severity, r.focus, r.message) for r in report.results]


@pytest.mark.parametrize("name", shape_names())
def test_violating_example(shapes, name):
    report = validate(Graph().parse(FIX / f"{name}-violates.ttl"), shapes)
    expected = Graph().parse(FIX / f"{name}-violates.report.ttl")
    got = reduced(report.graph)
    assert isomorphic(got, reduced(expected)), got.serialize(format="turtle")
    assert all(r.message and r.message_en for r in report.results), "every result has a zh and an en message"


# ------------------------------------------------------------------ the real source

@pytest.fixture(scope="module")
def hami_report(hami_result, shapes):
    return validate(hami_result.graph, shapes)


def by_shape(report):
    found = defaultdict(set)
    for r in report.results:
        found[(r.shape.rsplit("#", 1)[-1] if r.shape else None, r.severity)].add(r.item)
    return dict(found)


def test_every_real_defect_of_the_hami_source_once(hami_report):
    assert by_shape(hami_report) == {
        ("Item-contactPhone", "Violation"): {21, 34, 39},
        ("Item-disclosureLevel", "Violation"): {39},
        ("Item-unrecognizedLevel", "Warning"): {12, 16, 17, 18, 21, 23, 29, 34, 36, 38, 69, 70, 71, 72, 73, 74, 75},
        ("Item-inapplicableInstrument", "Warning"): {13, 14, 15, 24, 25, 67},
        ("Citation-titleDiffers", "Warning"): {40},
        ("Citation-unknownEdition", "Warning"): {70, 71, 72, 73, 74, 75},
        ("Item-correction", "Info"): {48, 49},
        ("Catalog-versionSpread", "Info"): {None},
        ("Instrument-title", "Warning"): {None},
    }
    assert hami_report.counts() == {"Violation": 4, "Warning": 31, "Info": 3}
    assert not hami_report.conforms


def test_results_name_item_path_and_a_readable_message(hami_report):
    phone = [r for r in hami_report.results if r.item == 34 and r.severity == "Violation"]
    assert len(phone) == 1
    assert phone[0].path == "https://w3id.org/zwgk/ontology#contactPhone"
    assert "电话" in phone[0].message and "phone" in phone[0].message_en.lower()
    edition = next(r for r in hami_report.results if r.item == 75 and "unknownEdition" in (r.shape or ""))
    assert "2021" in edition.message_en
    correction = next(r for r in hami_report.results if r.item == 48)
    assert "12. 监督投诉渠道" in correction.message and "11. 监督投诉渠道" in correction.message


def test_items_without_a_defect_raise_nothing(hami_report):
    flagged = {r.item for r in hami_report.results if r.item is not None}
    clean = set(range(1, 76)) - flagged
    assert 6 in clean and 1 in clean and len(clean) == 75 - len(flagged)
    assert flagged == {12, 13, 14, 15, 16, 17, 18, 21, 23, 24, 25, 29, 34, 36, 38, 39, 40, 48, 49, 67,
                       69, 70, 71, 72, 73, 74, 75}
