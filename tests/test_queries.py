"""Named queries on the real build: parameters bound as values, any spelling accepted."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from conftest import ROOT
from zwgk.build import sorted_ntriples
from zwgk.backends import OxigraphBackend
from zwgk.queries import QueryError, QueryRunner, format_results, load_named_queries, parse_named_query, rows

ITEMS_765 = [6, 9, 30, 31, 32, 33, 34, 37]


@pytest.fixture(scope="module")
def runner(hami_result, inputs):
    backend = OxigraphBackend()
    backend.store.load(sorted_ntriples(hami_result.graph), format=ox.RdfFormat.N_TRIPLES)
    return QueryRunner(backend, inputs[1], inputs[0])


@pytest.fixture(scope="module")
def named():
    return load_named_queries(ROOT / "queries")


def numbers(outcome):
    return [int(r["number"]) for r in rows(outcome)[1]]


@pytest.mark.parametrize("spelling", [
    "国务院令765号", "国务院令第765号", "国务院令 第765号", "中华人民共和国国务院令第765号",
    "中华人民共和国国务院令 第765号", "765号令", "社会保险经办条例", "《社会保险经办条例》",
])
def test_items_citing_765_in_every_spelling(runner, named, spelling):
    assert numbers(runner.run_named(named["items-citing"], {"instrument": spelling})) == ITEMS_765


def test_items_citing_a_work_by_its_amending_decree(runner, named):
    by_375 = numbers(runner.run_named(named["items-citing"], {"instrument": "国务院令第375号"}))
    by_586 = numbers(runner.run_named(named["items-citing"], {"instrument": "国务院令586号"}))
    assert by_375 == by_586 and len(by_375) == 17


def test_items_on_channel(runner, named):
    assert numbers(runner.run_named(named["items-on-channel"], {"channel": "政府网站"})) == [1, 2, 3, 4, 5, 26]
    assert numbers(runner.run_named(named["items-on-channel"], {"channel": "government-website"})) == [1, 2, 3, 4, 5, 26]
    on_outlets = numbers(runner.run_named(named["items-on-channel"], {"channel": "社保卡服务网点"}))
    assert on_outlets == [16, 17, 18, 69, 70, 71, 72, 73, 74, 75]


def test_instrument_usage(runner, named):
    table = [(r.get("title"), int(r["items"])) for r in rows(runner.run_named(named["instrument-usage"], {}))[1]]
    assert table[0] == ("中华人民共和国政府信息公开条例", 74)
    assert table[1] == ("中华人民共和国社会保险法", 67)
    counts = [c for _, c in table]
    assert counts == sorted(counts, reverse=True)
    assert ("社会保险经办条例", 8) in table


def test_parameters_are_values_not_text(runner, named):
    hostile = '国务院令765号" } UNION { ?item ?p ?o } #'
    with pytest.raises(QueryError, match="not a title or document number"):
        runner.run_named(named["items-citing"], {"instrument": hostile})
    q = parse_named_query(ROOT / "queries" / "items-citing.rq")
    q.params[0] = type(q.params[0])("instrument", "string", "", None)  # a plain literal: matches nothing, injects nothing
    assert rows(runner.run_named(q, {"instrument": hostile}))[1] == []


def test_parameter_errors(runner, named):
    with pytest.raises(QueryError, match="needs the parameter 'instrument'"):
        runner.run_named(named["items-citing"], {})
    with pytest.raises(QueryError, match="has no parameter"):
        runner.run_named(named["items-citing"], {"instrument": "失业保险条例", "x": "1"})
    with pytest.raises(QueryError, match="unknown channel"):
        runner.run_named(named["items-on-channel"], {"channel": "微博"})


def test_syntax_error_gives_the_position(runner):
    with pytest.raises(QueryError, match=r"error at 1:\d+"):
        runner.run("SELECT * WHERE { ?s ?p }")


def test_formats(runner, named):
    res = runner.run_named(named["items-citing"], {"instrument": "国务院令765号"})
    doc = json.loads(format_results(res, "json"))
    assert doc["head"]["vars"][:3] == ["item", "number", "title"]
    assert [int(b["number"]["value"]) for b in doc["results"]["bindings"]] == ITEMS_765
    csv_text = format_results(runner.run_named(named["items-citing"], {"instrument": "国务院令765号"}), "csv")
    assert csv_text.splitlines()[0] == "item,number,title,instrument"
    table = format_results(runner.run_named(named["items-citing"], {"instrument": "国务院令765号"}), "table")
    assert table.rstrip().endswith("(8 rows)")


def test_every_named_query_has_metadata_and_runs_its_example(runner, named):
    assert {"items-citing", "items-on-channel", "instrument-usage"} <= set(named)
    for q in named.values():
        assert q.summary, q.name
        assert all(p.example for p in q.params), q.name
        assert runner.run_named(q, q.example).kind == "solutions"
