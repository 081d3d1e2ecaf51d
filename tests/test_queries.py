"""Named queries on the real build: parameters bound as values, any spelling accepted."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest

from rdflib import URIRef

from conftest import ROOT
from zwgk.build import assemble, sorted_ntriples
from zwgk.graph import BASE, ZWGK
from zwgk.records import SourceError
from zwgk.backends import OxigraphBackend
from zwgk.queries import QueryError, QueryRunner, format_results, load_named_queries, page, page_numbers, parse_named_query, rows

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
    "社会保险经办条例（国务院令第765号）", "社会保险经办条例 国务院令765号", "國務院令第765號", "社會保險經辦條例",
    "《社會保險經辦條例》（中華人民共和國國務院令 第765號）",
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


@pytest.mark.parametrize("spelling, plain", [
    ("关于印发《机关事业单位工作人员基本养老保险经办规程》的通知", "人社部发〔2015〕32号"),
    ("人力资源社会保障部财政部关于印发《城乡养老保险制度衔接暂行办法》的通知", "人社部发[2014]17号"),
    ("工伤保险条例（国务院令第586号）", "国务院令第375号"),
])
def test_items_citing_takes_the_ways_people_type_names(runner, named, spelling, plain):
    found = numbers(runner.run_named(named["items-citing"], {"instrument": spelling}))
    assert found and found == numbers(runner.run_named(named["items-citing"], {"instrument": plain}))


# ------------------------------------------------------------------ spellings kept as written

def test_every_spelling_seen_is_an_alt_label_as_written(runner):
    q = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
           SELECT ?alt WHERE { ?i skos:altLabel ?alt FILTER(LANG(?alt) = "zh") }"""
    alts = {r["alt"] for r in rows(runner.run(q, {}))[1]}
    # the numbers as the source writes them, spaces and all, for the instrument cited
    assert {"中华人民共和国国务院令 第765号", "中华人民共和国国务院令 第711号", "中华人民共和国国务院令711号",
            "中华人民共和国国务院令 710号", "中华人民共和国国务院令 第586号", "人力资源和社会保障部令8号",
            "LD/T 32—2015", "LD/T 33—2016", "LD/T 33—2021"} <= alts
    q = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#> PREFIX zwgk: <https://w3id.org/zwgk/ontology#>
           SELECT ?i WHERE { ?i skos:altLabel "中华人民共和国国务院令 710号"@zh ; zwgk:lookupKey "国务院令710号" }"""
    assert [r["i"] for r in rows(runner.run(q, {}))[1]] == [BASE + "instrument/social-insurance-contribution-regulation"]


def test_cited_text_is_the_citation_as_written(runner):
    q = """PREFIX zwgk: <https://w3id.org/zwgk/ontology#>
           SELECT ?text WHERE { ?c zwgk:citationNumber 3 ; zwgk:citedText ?text .
                                ?item zwgk:citation ?c ; zwgk:itemNumber 6 }"""
    assert [r["text"] for r in rows(runner.run(q, {}))[1]] == ["《社会保险费征缴暂行条例》（中华人民共和国国务院令 710号）"]


# ------------------------------------------------------------------ a number the registry does not know

def _changed_source(project, line: int, old: str, new: str) -> None:
    src = project.data / "sources" / "hami-2024-social-insurance.txt"
    lines = src.read_text(encoding="utf-8").split("\n")
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new)
    src.write_text("\n".join(lines), encoding="utf-8")


def test_a_known_title_with_an_unknown_number_is_resolved_by_its_title_and_listed(scratch_project, inputs):
    _changed_source(scratch_project, 222, "《失业保险条例》（中华人民共和国国务院令258号）", "《失业保险条例》（国务院令 999号）")
    result = assemble(scratch_project)  # no longer stops the build
    item = URIRef(BASE + "catalog/hami-2024-social-insurance/item/67")
    cite = URIRef(f"{item}/citation/3")
    g = result.graph
    assert (item, ZWGK.legalBasis, URIRef(BASE + "instrument/unemployment-insurance-regulation")) in g
    assert str(g.value(cite, ZWGK.resolution)) == "title, number unknown"
    assert str(g.value(cite, ZWGK.citedNumber)) == "国务院令第999号"
    assert str(g.value(cite, ZWGK.citedText)) == "《失业保险条例》（国务院令 999号）"
    backend = OxigraphBackend()
    backend.store.load(sorted_ntriples(g), format=ox.RdfFormat.N_TRIPLES)
    runner = QueryRunner(backend, inputs[1], inputs[0])
    found = rows(runner.run_named(load_named_queries(scratch_project.queries)["citations-unknown-number"], {}))[1]
    assert [(int(r["number"]), r["cited"], r["citedNumber"]) for r in found] == [
        (67, "《失业保险条例》（国务院令 999号）", "国务院令第999号")]
    assert found[0]["instrument"] == BASE + "instrument/unemployment-insurance-regulation"
    assert "国务院令第258号" in found[0]["knownNumbers"].split(", ")


def test_an_unknown_number_without_a_known_title_names_line_and_cell(scratch_project):
    _changed_source(scratch_project, 222, "《失业保险条例》（中华人民共和国国务院令258号）", "《失业保险新条例》（国务院令 999号）")
    with pytest.raises(SourceError, match="no instrument in the registry has the number 国务院令第999号") as err:
        assemble(scratch_project)
    assert (err.value.line, err.value.cell) == (222, 5)


# ------------------------------------------------------------------ paging

def test_limit_and_offset_page_through_an_answer(runner, named):
    query = named["items-citing"]
    whole = numbers(runner.run_named(query, {"instrument": "国务院令711号"}))
    assert len(whole) == 74  # every item but 26, whose one basis is 人社部发〔2018〕73号
    pages = [numbers(runner.run_named(query, {"instrument": "国务院令711号"}, 20, start)) for start in range(0, 80, 20)]
    assert [len(p) for p in pages] == [20, 20, 20, 14]
    assert sum(pages, []) == whole  # in order, no row twice, none left out
    assert numbers(runner.run_named(query, {"instrument": "国务院令711号"}, None, 70)) == whole[70:]


def test_the_limit_a_query_ends_with_is_its_default_page(runner, named):
    query = named["co-citation"]
    assert query.text.rstrip().endswith("LIMIT 10")
    first = rows(runner.run_named(query, {}))[1]
    more = rows(runner.run_named(query, {}, 25))[1]
    assert len(first) == 10 and len(more) == 25 and more[:10] == first
    assert rows(runner.run_named(query, {}, None, 5))[1] == more[5:15]  # its own LIMIT 10, from row 5


@pytest.mark.parametrize("text, limit, offset, tail", [
    ("SELECT * { ?s ?p ?o } ORDER BY ?s", 5, None, "ORDER BY ?s\nLIMIT 5\n"),
    ("SELECT * { ?s ?p ?o } ORDER BY ?s LIMIT 10\n# a closing comment\n", None, 3, "ORDER BY ?s\nLIMIT 10 OFFSET 3\n"),
    ("SELECT * { ?s ?p ?o } OFFSET 2 LIMIT 3  # first three\n", 7, None, "}\nLIMIT 7 OFFSET 2\n"),
    ("SELECT * { { SELECT * { ?s ?p ?o } LIMIT 3 } }", 5, 1, "LIMIT 3 } }\nLIMIT 5 OFFSET 1\n"),  # a subquery's own stays
    ("SELECT * { ?s ?p ?o } LIMIT 3", None, None, "LIMIT 3"),
    ("SELECT * { ?s ?p ?o } ORDER BY ?s  # paged as LIMIT 3 OFFSET 2", 5, None, "ORDER BY ?s\nLIMIT 5\n"),  # a comment's
    ("SELECT * { ?s <http://x/#LIMIT> '# LIMIT 2' } ORDER BY ?s", 5, None, "'# LIMIT 2' } ORDER BY ?s\nLIMIT 5\n"),
    ("SELECT ?s { ?s ?p ?o } ORDER BY ?s LIMIT 4\nVALUES ?s { <http://x/a> }", 2, 1,
     "ORDER BY ?s\nLIMIT 2 OFFSET 1\nVALUES ?s { <http://x/a> }\n"),  # a closing VALUES stays last
    ("SELECT ?o { ?s ?p ?o }VALUES ?o { \"}\" 'a{' }", 2, None, "}\nLIMIT 2\nVALUES ?o { \"}\" 'a{' }\n"),
    ("PREFIX ex: <http://x/> SELECT ?o { ?s ex:a\\#b ?o } # LIMIT 3", 2, None, "ex:a\\#b ?o }\nLIMIT 2\n"),
])
def test_page_sets_the_closing_limit_and_offset(text, limit, offset, tail):
    paged = page(text, limit, offset)
    assert paged.endswith(tail)
    ox.Store().query(paged)  # still SPARQL


@pytest.mark.parametrize("limit, offset, words", [
    ("x", None, "limit must be a whole number"), ("-1", None, "limit must be"), (None, "1.5", "offset must be"),
    ("1e3", None, "limit must be"), ("9" * 13, None, "limit must be"), ("+3", None, "limit must be"),
    (" 5", None, "limit must be"), ("１２", None, "limit must be"), (None, "٣", "offset must be"),
])
def test_page_numbers_are_whole_and_not_negative(limit, offset, words):
    with pytest.raises(QueryError, match=words):
        page_numbers(limit, offset)


def test_page_names_cannot_be_parameters(tmp_path):
    for name in ("limit", "offset", "format", "Limit"):
        path = tmp_path / "q.rq"
        path.write_text(f"#+ param {name}: integer | rows | 3\nSELECT ?{name} {{}}\n", encoding="utf-8")
        with pytest.raises(QueryError, match=f"q.rq:1: '{name}' cannot be a parameter's name"):
            parse_named_query(path)


def test_a_page_of_a_query_with_comments_and_a_closing_values_clause(runner):
    text = ("SELECT ?n WHERE { VALUES ?n { 1 2 3 4 5 6 7 } }  # LIMIT 3 here is a comment's\n"
            "ORDER BY ?n # OFFSET 2 too\nVALUES ?n { 2 3 4 5 6 }\n# the end")
    assert [r["n"] for r in rows(runner.run(page(text, 2, 1)))[1]] == ["3", "4"]


def test_every_named_query_pages(runner, named):
    for q in named.values():
        assert runner.run_named(q, q.example, 1, 1).kind == "solutions", q.name
