"""Comparing catalog editions (zwgk diff): the derived revision of the Hami catalog gives exactly
the five changes it was made with (tests/fixtures/editions/derive_revised.py)."""

import importlib.util
import json

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from conftest import REVISED, ROOT, page, row
from zwgk.backends import OxigraphBackend
from zwgk.build import assemble, sorted_ntriples
from zwgk.cli import main
from zwgk.diff import Edition, as_dict, diff_editions, diff_graph, load_edition
from zwgk.graph import BASE, ZWGK
from zwgk.queries import QueryRunner, load_named_queries, rows

OLD = "hami-2024-social-insurance"
GOLDEN = ROOT / "tests" / "fixtures" / "editions" / "hami-2024-social-insurance-revised.diff.ttl"
REMOVED_75_CITED = ["gov-info-disclosure-regulation", "social-insurance-law", "social-security-card-management-measures-notice",
                    "social-security-card-financial-function-notice", "social-security-card-issuance-process-notice",
                    "social-security-card-application-opinion", "social-security-card-specification",
                    "social-security-card-terminal-specification"]
EXPECTED = [  # (kind, old number, new number, fields, citations added, citations dropped)
    ("renamed", 2, 2, ["name"], [], []),
    ("changed", 13, 13, ["legalBasis"], ["social-insurance-handling-regulation"], ["social-insurance-registration-measures"]),
    ("changed", 64, 64, ["contactPhone"], [], []),
    ("removed", 75, None, [], [], REMOVED_75_CITED),  # a removed item's citations are dropped with it
    ("added", None, 75, [], ["gov-info-disclosure-regulation", "social-insurance-handling-regulation"], []),
]


def summary(diff):
    return [(c.kind, c.old.number if c.old else None, c.new.number if c.new else None, [f.field for f in c.fields],
             list(c.citations_added), list(c.citations_dropped)) for c in diff.changes]


@pytest.fixture(scope="module")
def diff(project, inputs):
    codelists, registry = inputs[0], inputs[1]
    return diff_editions(load_edition(OLD, project, codelists, registry),
                         load_edition(str(REVISED), project, codelists, registry), codelists)


def test_the_fixture_is_what_the_script_derives():
    spec = importlib.util.spec_from_file_location("derive_revised", REVISED.parent / "derive_revised.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.derive(mod.SOURCE.read_text(encoding="utf-8")) == REVISED.read_text(encoding="utf-8")


def test_exactly_the_changes_made(diff):
    assert summary(diff) == EXPECTED
    by_kind = {c.kind: c for c in diff.changes}
    assert (by_kind["renamed"].old.name, by_kind["renamed"].new.name) == ("领导及分工", "领导信息")
    phone = diff.changes[2].fields[0]
    assert (phone.old, phone.new, phone.property) == ("0902-2321695", "0902-2256352", str(ZWGK.contactPhone))
    assert by_kind["removed"].old.name == "社会保障卡注销"
    assert by_kind["added"].new.name == "社会保险经办服务事项清单"
    assert diff.counts == {"removed": 1, "added": 1, "renamed": 1, "changed": 2, "renumbered": 0,
                           "citations_added": 3, "citations_dropped": 9, "cited_versions_changed": 0}
    assert diff.title_changed  # the derived edition says it is made up
    assert diff.new.title == "哈密市社会保险领域政务公开标准目录（2024年，测试用派生修订版，非正式发布）"


def test_the_change_set_as_rdf_matches_the_golden_graph(diff, inputs):
    assert isomorphic(diff_graph(diff, inputs[0]), Graph().parse(GOLDEN, format="turtle"))


def test_an_edition_against_itself_has_no_change(project, inputs):
    a = load_edition(OLD, project, inputs[0], inputs[1])
    assert diff_editions(a, a).changes == []


def test_renumbered_and_moved_items(parser):
    def edition(eid, *rows):
        record = parser.parse_text(page(*rows), eid)
        return Edition(eid, record.title, eid, record.items, {})

    old = edition("a", row(1, ("机构概况", "机构职能", "")), row(2, ("", "领导及分工", "")),
                  row(3, ("", "内设机构", "")), row(4, ("", "联系方式", ""), phone="0902-1111111"))
    new = edition("b", row(1, ("机构概况", "机构职能", "")), row(2, ("", "内设机构", "")),
                  row(3, ("", "联系方式", ""), phone="0902-2222222"))
    assert [(c.kind, c.old.number if c.old else None, c.new.number if c.new else None, [f.field for f in c.fields])
            for c in diff_editions(old, new).changes] == [
        ("removed", 2, None, []), ("renumbered", 3, 2, ["itemNumber"]), ("changed", 4, 3, ["itemNumber", "contactPhone"])]


def test_cli_diff(built_project, capsys):
    root = str(built_project.root)
    assert main(["--root", root, "diff", OLD, str(REVISED)]) == 0
    out = capsys.readouterr().out
    assert ("1 added, 1 removed, 1 renamed, 2 changed, 0 renumbered; citations: 3 added, 9 dropped "
            "(with added and removed items), 0 cited in another version") in out
    assert "title: 哈密市社会保险领域政务公开标准目录（2024年） → 哈密市社会保险领域政务公开标准目录（2024年，测试用派生修订版" in out
    assert "领导及分工 → 领导信息" in out and "contactPhone: 0902-2321695 → 0902-2256352" in out
    assert "legalBasis: + 社会保险经办条例 − 社会保险登记管理暂行办法" in out
    assert main(["--root", root, "diff", OLD, str(REVISED), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(c["kind"], c["old_number"], c["new_number"]) for c in doc["changes"]] == [e[:3] for e in EXPECTED]
    assert main(["--root", root, "diff", OLD, str(REVISED), "--format", "ttl"]) == 0
    assert isomorphic(Graph().parse(data=capsys.readouterr().out, format="turtle"), Graph().parse(GOLDEN))
    assert main(["--root", root, "diff", OLD, "no-such-edition"]) == 2
    assert "neither a catalog id" in capsys.readouterr().err


def test_two_editions_side_by_side(two_editions, inputs):
    result = assemble(two_editions)
    g = result.graph
    assert result.summary["items"] == 150 and len(result.summary["catalogs"]) == 2
    new_cat = URIRef(BASE + "catalog/hami-2024-social-insurance-revised")
    assert (new_cat, URIRef("http://purl.org/dc/terms/replaces"), URIRef(BASE + "catalog/" + OLD)) in g
    backend = OxigraphBackend()
    backend.store.load(sorted_ntriples(g), format=ox.RdfFormat.N_TRIPLES)
    runner = QueryRunner(backend, inputs[1], inputs[0])
    named = load_named_queries(two_editions.queries)
    changes = rows(runner.run_named(named["catalog-changes"], {}))[1]
    assert [(r["kind"], r.get("oldNumber"), r.get("newNumber")) for r in changes] == [
        ("Renamed", "2", "2"), ("Changed", "13", "13"), ("Changed", "64", "64"), ("Added", None, "75"),
        ("Removed", "75", None)]
    assert changes[1]["citationsAdded"] == BASE + "instrument/social-insurance-handling-regulation"
    assert changes[4]["name"] == "社会保障卡注销"  # a removed item is named from the old edition
    assert len(changes[4]["citationsDropped"].split()) == 8 and len(changes[3]["citationsAdded"].split()) == 2
    titles = {str(t) for t in g.objects(None, URIRef("http://purl.org/dc/terms/title")) if "2024年" in str(t)}
    assert "哈密市社会保险领域政务公开标准目录（2024年）" in titles and any("测试用派生" in t for t in titles)
    # the impact analysis sees both catalogs: the revision's item 13 and new item 75 cite 765 too
    from zwgk.impact import what_if

    impact = what_if(runner, inputs[1], "国务院令765号", "2025-09-30")
    assert [(it.catalog_id, it.number) for it in impact.items if it.catalog_id.endswith("revised")] == [
        ("hami-2024-social-insurance-revised", n) for n in [6, 9, 13, 30, 31, 32, 33, 34, 37, 75]]


def test_a_version_change_within_one_instrument_is_counted(parser, inputs):
    """工伤保险条例 cited as 国务院令第586号, then as 第375号: the same instrument in another version."""
    registry = inputs[1]

    def edition(eid, basis):
        record = parser.parse_text(page(row(1, ("机构概况", "机构职能", ""), basis=basis)), eid)
        ed = Edition(eid, record.title, eid, record.items, {})
        for item in record.items:
            for c in item.citations:
                ed.cite(item.number, registry.resolve(c))
        return ed

    d = diff_editions(edition("a", "《工伤保险条例》（国务院令第586号）"), edition("b", "《工伤保险条例》（国务院令第375号）"))
    [change] = d.changes
    assert change.versions_changed == {"work-injury-insurance-regulation": (["2010"], ["2003"])}
    assert not change.citations_added and not change.citations_dropped
    assert d.counts["cited_versions_changed"] == 1
    g = diff_graph(d)
    node = next(g.subjects(ZWGK.citedVersionAdded, None))
    assert g.value(node, ZWGK.citedVersionAdded) == URIRef(BASE + "instrument/work-injury-insurance-regulation/version/2003")
    assert g.value(node, ZWGK.citedVersionDropped) == URIRef(BASE + "instrument/work-injury-insurance-regulation/version/2010")
    assert as_dict(d)["changes"][0]["cited_versions_changed"][0]["new"] == ["2003"]
