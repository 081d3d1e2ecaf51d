"""The named queries over change events, versions and editions (queries/*.rq)."""

import pyoxigraph as ox
import pytest

from conftest import ROOT, page, row
from zwgk.backends import OxigraphBackend
from zwgk.build import assemble, sorted_ntriples
from zwgk.queries import QueryRunner, load_named_queries, rows
from zwgk.workdays import coverage

CAT = "https://w3id.org/zwgk/id/catalog/hami-2024-social-insurance"


def make_runner(graph, inputs):
    backend = OxigraphBackend()
    backend.store.load(sorted_ntriples(graph), format=ox.RdfFormat.N_TRIPLES)
    return QueryRunner(backend, inputs[1], inputs[0])


@pytest.fixture(scope="module")
def runner(hami_result, inputs):
    return make_runner(hami_result.graph, inputs)


@pytest.fixture(scope="module")
def named():
    return load_named_queries(ROOT / "queries")


def run(runner, named, name, **params):
    return rows(runner.run_named(named[name], params))[1]


def test_items_citing_repealed_show_confidence_and_no_date(runner, named):
    found = run(runner, named, "items-citing-repealed")
    assert [int(r["number"]) for r in found] == [13, 14, 15]
    for r in found:
        assert (r["title"], r["change"], r["act"], r["confidence"]) == (
            "社会保险登记管理暂行办法", "Repeal", "人力资源和社会保障部令第39号", "V")
        assert "date" not in r and "single source" in r["note"]


def test_citations_of_editions_that_do_not_exist(runner, named):
    found = run(runner, named, "citations-nonexistent-edition")
    assert [(int(r["number"]), r["edition"], r["existingEditions"]) for r in found] == [
        (n, str(2016 + n - 70), "2015") for n in range(70, 76)]


def test_instrument_timeline(runner, named):
    found = run(runner, named, "instrument-timeline", instrument="国务院令586号")
    assert [(r["date"], r["change"], r["act"]) for r in found] == [
        ("2003-04-27", "Promulgation", "国务院令第375号"), ("2010-12-20", "Revision", "国务院令第586号")]
    repealed = run(runner, named, "instrument-timeline", instrument="劳动和社会保障部令第1号")
    assert [(r.get("date"), r["change"]) for r in repealed] == [("1999-03-19", "Promulgation"), (None, "Repeal")]


def test_change_impact(runner, named):
    found = run(runner, named, "change-impact", instrument="社会保险登记管理暂行办法")
    assert [(int(r["number"]), r["workingDays"], r["change"], r["action"], r.get("dueDate")) for r in found] == [
        (13, "20", "Repeal", "update", None), (14, "20", "Repeal", "update", None), (15, "20", "Repeal", "update", None)]
    assert all("not known" in r["reason"] for r in found)  # the repeal has no date
    assert run(runner, named, "change-impact", instrument="社会保险经办条例") == []  # only promulgated
    # the 17 items cite 国务院令第586号, the version the 2010 revision made: nothing to update
    assert run(runner, named, "change-impact", instrument="工伤保险条例") == []
    reviews = run(runner, named, "change-impact", instrument="政府信息公开条例")
    assert [(int(r["number"]), r["action"]) for r in reviews] == [(n, "review") for n in range(1, 6)]
    assert all("dueDate" not in r and "issued in 2024" in r["reason"] for r in reviews)


def test_change_impact_gives_the_deadline_date(scratch_project, inputs):
    """A recorded change with a date: the build puts each item's deadline in the graph (zwgk:dueDate),
    counted as zwgk impact counts it (across the National Day holiday)."""
    with (scratch_project.data / "changes.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[[change]]\nid = "handling-regulation-test-amendment"\ntype = "amendment"\n'
                 'instrument = "social-insurance-handling-regulation"\ndate = "2025-09-30"\nconfidence = "V"\n'
                 f'\n[[change]]\nid = "handling-regulation-late-amendment"\ntype = "amendment"\n'
                 f'instrument = "social-insurance-handling-regulation"\ndate = "{coverage().last_year}-12-20"\nconfidence = "V"\n')
    r = make_runner(assemble(scratch_project).graph, inputs)
    found = run(r, load_named_queries(ROOT / "queries"), "change-impact", instrument="国务院令765号")
    test = [x for x in found if x["event"].endswith("test-amendment")]
    assert [(int(x["number"]), x["action"], x["dueDate"]) for x in test] == [
        (n, "update", "2025-11-04") for n in [6, 9, 30, 31, 32, 33, 34, 37]]
    late = [x for x in found if x["event"].endswith("late-amendment")]
    assert len(late) == 8 and all("dueDate" not in x and "official calendar" in x["reason"] for x in late)


def test_items_citing_the_amending_decree_number(runner, inputs):
    """国务院令586号 names 工伤保险条例 (the decree that revised it is not a citable instrument)."""
    found = rows(runner.run_named(load_named_queries(ROOT / "queries")["items-citing"], {"instrument": "国务院令586号"}))[1]
    assert len({x["item"] for x in found}) == 17
    assert {x["instrument"] for x in found} == {"https://w3id.org/zwgk/id/instrument/work-injury-insurance-regulation"}


def test_no_hami_citation_names_a_replaced_version(runner, named):
    assert run(runner, named, "items-citing-replaced-version") == []


def test_items_citing_a_replaced_version(scratch_project, inputs):
    src = scratch_project.data / "sources" / "test.txt"
    src.write_text(page(
        row(1, ("机构概况", "机构职能", ""), basis="1. 《工伤保险条例》（国务院令第375号） 2. 《中华人民共和国政府信息公开条例》（国务院令第711号）"),
        row(2, ("", "领导及分工", ""), basis="《中华人民共和国政府信息公开条例》（国务院令第492号）"),
    ), encoding="utf-8")
    (scratch_project.data / "catalogs.toml").write_text(
        '[[catalog]]\nid = "test"\nfile = "sources/test.txt"\nformat = "pdf-tsv"\njurisdiction = "hami"\n'
        'publisher = "hami-hrss"\ndomain_zh = "社会保险"\ndomain_en = "Social insurance"\nyear = 2024\n', encoding="utf-8")
    r = make_runner(assemble(scratch_project).graph, inputs)
    found = run(r, load_named_queries(ROOT / "queries"), "items-citing-replaced-version")
    assert [(int(x["number"]), x["version"], x["current"], x["currentDate"]) for x in found] == [
        (1, "国务院令第375号", "国务院令第586号", "2010-12-20"),
        (2, "国务院令第492号", "国务院令第711号", "2019-04-03")]
