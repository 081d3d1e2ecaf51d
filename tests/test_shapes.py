"""SHACL shapes, pySHACL style: each shape has a conforming and a violating
example with its expected report (compared as graphs, values and messages
included), plus the real defects of the Hami source, each pinned with the items
concerned."""

from __future__ import annotations

from collections import defaultdict

import pytest
from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, SH

from conftest import ROOT
from zwgk.codelists import load_codelists
from zwgk.validate import load_shapes, validate

FIX = ROOT / "tests" / "fixtures" / "shapes"
KEPT = (SH.focusNode, SH.resultPath, SH.resultSeverity, SH.sourceShape, SH.sourceConstraintComponent, SH.value,
        SH.resultMessage)
SHAPES_NS = "https://w3id.org/zwgk/shapes#"
ZWGK = "https://w3id.org/zwgk/ontology#"
TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)


@pytest.fixture(scope="module")
def shapes():
    return load_shapes(ROOT / "shapes")


def reduced(report_graph: Graph) -> Graph:
    """What the expected reports pin: one node per result with focus, path, severity, source
    shape, constraint component, value and the zh and en messages."""
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


def local(node) -> str:
    return str(node)[len(SHAPES_NS):]


def targeted(shapes: Graph) -> set:
    """The shapes with a target of their own (node shapes, and property shapes with a target)."""
    return {s for p in TARGETS for s in shapes.subjects(p, None) if str(s).startswith(SHAPES_NS)}


def test_every_shape_has_its_examples(shapes):
    """Every shape with a target (node shapes, SPARQL-constraint shapes, targeted property
    shapes) has a conforming and a violating example; every property shape of a node shape is
    hit by the violating example of that node shape and its path is used by the conforming one."""
    names = set(shape_names())
    assert {local(s) for s in targeted(shapes)} == names
    assert {local(s) for s in shapes.subjects(RDF.type, SH.NodeShape)} <= names
    covered = set()
    for shape in targeted(shapes):
        name = local(shape)
        assert (FIX / f"{name}-violates.ttl").exists() and (FIX / f"{name}-violates.report.ttl").exists()
        hit = set(Graph().parse(FIX / f"{name}-violates.report.ttl").objects(None, SH.sourceShape))
        conforming = Graph().parse(FIX / f"{name}-conforms.ttl")
        for part in list(shapes.objects(shape, SH.property)) or [shape]:
            assert part in hit, f"{local(part)}: no violating example in {name}-violates.ttl"
            path = shapes.value(part, SH.path)
            if isinstance(path, URIRef) and str(shapes.value(part, SH.maxCount)) != "0":
                assert (None, path, None) in conforming, f"{local(part)}: {name}-conforms.ttl has no {path}"
            covered.add(part)
    property_shapes = set(shapes.subjects(RDF.type, SH.PropertyShape))
    sparql_shapes = set(shapes.subjects(SH.sparql, None))
    assert len(property_shapes) > 30 and len(sparql_shapes) > 10
    assert property_shapes | sparql_shapes <= covered


@pytest.mark.parametrize("name", shape_names())
def test_conforming_example(shapes, name):
    report = validate(Graph().parse(FIX / f"{name}-conforms.ttl"), shapes, engine="pyshacl")
    assert report.results == [], [(r.severity, r.focus, r.message) for r in report.results]


@pytest.mark.parametrize("name", shape_names())
def test_violating_example(shapes, name):
    report = validate(Graph().parse(FIX / f"{name}-violates.ttl"), shapes, engine="pyshacl")
    expected = Graph().parse(FIX / f"{name}-violates.report.ttl")
    got = reduced(report.graph)
    assert isomorphic(got, reduced(expected)), got.serialize(format="turtle")
    assert all(r.message and r.message_en for r in report.results), "every result has a zh and an en message"


def test_in_lists_are_the_code_lists(shapes):
    """The sh:in lists of the shapes, copied by hand, are the code lists of data/codelists.toml."""
    lists = load_codelists(ROOT / "data" / "codelists.toml")
    base = "https://w3id.org/zwgk/id/"
    for shape, name in (("Item-disclosureChannel", "channel"), ("Item-disclosureLevel", "level"),
                        ("Item-audience", "audience"), ("Item-disclosureMode", "mode"),
                        ("Instrument-typeDocument", "document-type")):
        members = [str(m) for m in Collection(shapes, shapes.value(URIRef(SHAPES_NS + shape), SH["in"]))]
        cl = lists[name]
        assert members == [f"{base}{cl.path}/{c.code}" for c in cl.concepts], shape


def test_an_element_renumbered_is_one_defect(shapes):
    report = validate(Graph().parse(FIX / "Item-elementNumbering-violates.ttl"), shapes)
    assert [(r.item, r.message_en) for r in report.results] == [
        (1, "Elements must be numbered 1, 2, 3…: 7 appears twice; 8 is missing")]


def test_a_gap_in_item_numbers_is_one_range(shapes):
    report = validate(Graph().parse(FIX / "Catalog-consecutiveItemNumbers-violates.ttl"), shapes)
    assert [r.message_en for r in report.results] == [
        "Item numbers are not consecutive: numbers 3–4 are missing (2 is followed by 5)"]


def test_unknown_editions_are_no_variants(shapes):
    """LD/T 33 cited in 2015 (known), 2016 and 2017 (unknown): each unknown edition is reported
    once, by Citation-unknownEdition, and not restated as a versionSpread."""
    report = validate(Graph().parse(FIX / "Catalog-versionSpread-unknown-editions.ttl"), shapes)
    assert sorted((r.shape.rsplit("#", 1)[-1], r.item, r.value) for r in report.results) == [
        ("Citation-unknownEdition", 2, "2016"), ("Citation-unknownEdition", 3, "2017")]


def test_version_spread_names_the_instrument_and_the_items(shapes):
    report = validate(Graph().parse(FIX / "Catalog-versionSpread-violates.ttl"), shapes)
    law = next(r for r in report.results if r.value.endswith("/instrument/law"))
    assert law.message == "《测试条例》（国务院令第1号）在本目录中以不同版本被引用：国务院令第1号（事项 1、3）；国务院令第2号（事项 4）"
    assert "https://" not in law.message + law.message_en


# ------------------------------------------------------------------ the real source

@pytest.fixture(scope="module")
def hami_report(hami_result, shapes):
    return validate(hami_result.graph, shapes)


def by_shape(report):
    found = defaultdict(set)
    for r in report.results:
        found[(r.shape.rsplit("#", 1)[-1] if r.shape else None, r.severity)].add(r.item)
    return dict(found)


def test_every_real_defect_of_the_hami_source_once(hami_result, hami_report):
    found = by_shape(hami_report)
    corrected = found.pop(("Item-correction", "Info"))
    assert found == {
        ("Item-contactPhone", "Violation"): {21, 34, 39},
        ("Item-disclosureLevel", "Violation"): {39},
        ("Item-unrecognizedLevel", "Warning"): {12, 16, 17, 18, 21, 23, 29, 34, 36, 38, 69, 70, 71, 72, 73, 74, 75},
        ("Item-inapplicableInstrument", "Warning"): {13, 14, 15, 24, 25, 67},
        ("Citation-titleDiffers", "Warning"): {40},
        ("Citation-unknownEdition", "Warning"): {70, 71, 72, 73, 74, 75},
        # the PDF lost the text of two merged cells: the 子项 of 32–33, the 主项 of 69–75 (errata leave them out)
        ("Item-pathGap", "Warning"): {32, 33, 69, 70, 71, 72, 73, 74, 75},
    }
    # LD/T 33 edition drift: one Warning per citing item, no versionSpread restating it;
    # 人力资源和社会保障部令第39号 (only the repealing act, cited by no item) raises nothing
    assert hami_report.counts()["Violation"] == 4 and hami_report.counts()["Warning"] == 39
    # every erratum applied is one note (data/errata.toml), the element renumbering of 48 and 49 among them
    corrections = list(hami_result.graph.subject_objects(URIRef(ZWGK + "correction")))
    assert {48, 49} <= corrected and hami_report.counts()["Info"] == len(corrections)
    assert not hami_report.conforms


def test_every_hami_result_names_its_path(hami_report):
    assert [r for r in hami_report.results if r.path is None] == []


def test_results_name_item_path_and_a_readable_message(hami_report):
    phone = [r for r in hami_report.results if r.item == 34 and r.severity == "Violation"]
    assert len(phone) == 1
    assert phone[0].path == "https://w3id.org/zwgk/ontology#contactPhone"
    assert "电话" in phone[0].message and "phone" in phone[0].message_en.lower()
    edition = next(r for r in hami_report.results if r.item == 75 and "unknownEdition" in (r.shape or ""))
    assert edition.message_en == ("《社会保障卡读写终端规范》 is cited in edition 2021, which is not among the known "
                                  "editions (2015): the registry knows no such edition")
    correction = next(r for r in hami_report.results if r.item == 48)
    assert "12. 监督投诉渠道" in correction.message and "11. 监督投诉渠道" in correction.message
    level = next(r for r in hami_report.results if r.item == 12 and r.severity == "Warning")
    assert level.message.startswith("公开层级栏中的“基层服务平台”不是公开层级") and "公开渠道" in level.message
    assert level.value == "基层服务平台"


def test_items_without_a_defect_raise_nothing(hami_report):
    flagged = {r.item for r in hami_report.results if r.item is not None and r.severity != "Info"}
    assert flagged == {12, 13, 14, 15, 16, 17, 18, 21, 23, 24, 25, 29, 32, 33, 34, 36, 38, 39, 40, 67,
                       69, 70, 71, 72, 73, 74, 75}
    assert all(r.item is not None for r in hami_report.results), "every Hami defect belongs to an item"


def test_hami_numbers_dates_and_kinds_pass(hami_result, hami_report):
    """The patterns (document numbers), datatypes (dates) and kinds of item hold on the real
    graph: items 1-5 are information items, the others service items with their elements."""
    from rdflib import Namespace

    z = Namespace(ZWGK)
    shapes_hit = {r.shape.rsplit("#", 1)[-1] for r in hami_report.results}
    assert not shapes_hit & {"Citation-citedNumber", "Instrument-idLocal", "Instrument-dateDocument",
                             "Version-idLocal", "ServiceItem-elements", "InformationItem-freeText",
                             "Item-deadlineDays", "Instrument-title"}
    g = hami_result.graph
    info = {int(n) for item, n in g.subject_objects(z.itemNumber) if (item, z.disclosureElement, None) not in g}
    assert info == {1, 2, 3, 4, 5}
