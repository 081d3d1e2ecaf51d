"""Many layouts, one graph (issue #6): the Hami catalog re-rendered in every layout
zwgk reads gives the same graph apart from provenance; the county (CSV) and
township (one cell per line, traditional characters) test catalogs load next to
it, each in its named graph; bad layouts name the line and what is missing."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from conftest import CATALOG_FIXTURES, copy_project
from render import render
from zwgk.build import assemble
from zwgk.cli import main
from zwgk.graph import ZWGK, iri
from zwgk.parse import CatalogParser, split_channels
from zwgk.records import SourceError
from zwgk.tables import sniff

EXPECTED = tomllib.loads((CATALOG_FIXTURES / "expected.toml").read_text(encoding="utf-8"))
COUNTY, TOWNSHIP = EXPECTED["yiwu-2024-social-insurance"], EXPECTED["dqw-2024-social-insurance"]
IDS = {"yiwu-2024-social-insurance": COUNTY, "daquanwan-2024-social-insurance": TOWNSHIP}
EXT = {"pipe": "md", "csv": "csv", "cells": "txt", "xlsx": "xlsx"}
PROVENANCE_TYPES = (ZWGK.SourceRow, ZWGK.SourceFile, ZWGK.PartialRow)


def without_provenance(g: Graph) -> Graph:
    """The graph without the resources that say where values came from (rows, lines,
    raw text, file name and digest) and without the links to them."""
    prov = {s for t in PROVENANCE_TYPES for s in g.subjects(RDF.type, t)}
    out = Graph()
    for s, p, o in g:
        if s not in prov and o not in prov:
            out.add((s, p, o))
    return out


@pytest.fixture(scope="module")
def hami_record(project, inputs, parser):
    return parser.parse_file(project.data / "sources" / "hami-2024-social-insurance.txt")


@pytest.fixture(scope="module")
def original(project):
    return without_provenance(assemble(project).graph)


@pytest.mark.parametrize("fmt", ["pipe", "csv", "cells", "xlsx"])
def test_hami_in_every_layout_gives_the_same_graph_apart_from_provenance(fmt, hami_record, inputs, original,
                                                                        tmp_path):
    proj = copy_project(tmp_path)
    data = render(hami_record, inputs[0], fmt)
    name = f"sources/hami-2024-social-insurance.{EXT[fmt]}"
    (proj.data / name).write_bytes(data)
    assert sniff(data, name) == fmt  # what `zwgk add` would take it for
    catalogs = proj.data / "catalogs.toml"
    text = catalogs.read_text(encoding="utf-8")
    text = text.replace('file = "sources/hami-2024-social-insurance.txt"', f'file = "{name}"')
    text = re.sub(r'format = "pdf-tsv"[^\n]*', f'format = "{fmt}"', text)
    catalogs.write_text(text, encoding="utf-8")
    result = assemble(proj)
    assert len(result.catalogs[0].record.items) == 75
    again = without_provenance(result.graph)
    if not isomorphic(again, original):
        missing = sorted(map(str, original - again))[:5]
        extra = sorted(map(str, again - original))[:5]
        pytest.fail(f"{fmt}: graphs differ\nmissing: {missing}\nextra: {extra}")
    # provenance points into the new file: every item's row names a line of it
    lines = {int(o) for o in result.graph.objects(None, ZWGK.lineNumber)}
    assert len(lines) >= 75 and max(lines) <= data.count(b"\n") + 1 if fmt != "xlsx" else len(lines) >= 75


# ------------------------------------------------------------------ three catalogs


@pytest.fixture(scope="module")
def dataset(multi_project):
    store = ox.Store()
    store.bulk_load(path=str(multi_project.nquads), format=ox.RdfFormat.N_QUADS)
    return store


def names_by_number(store, graph: str) -> dict[int, str]:
    q = f"""SELECT ?n ?name WHERE {{ GRAPH <{graph}> {{ ?i <{ZWGK.itemNumber}> ?n ;
                                  <http://www.w3.org/2004/02/skos/core#prefLabel> ?name }} }}"""
    return {int(r["n"].value): r["name"].value for r in store.query(q)}


def test_each_catalog_is_in_its_own_named_graph(dataset):
    graphs = {g.value for g in dataset.named_graphs()}
    assert graphs == {str(iri("catalog", c)) for c in ("hami-2024-social-insurance", *IDS)}
    for graph in graphs:  # a catalog's graph holds its own items only
        q = f"SELECT DISTINCT ?c WHERE {{ GRAPH <{graph}> {{ ?i <{ZWGK.inCatalog}> ?c }} }}"
        assert [r["c"].value for r in dataset.query(q)] == [graph]
    assert len(names_by_number(dataset, str(iri("catalog", "hami-2024-social-insurance")))) == 75


@pytest.mark.parametrize("cid", list(IDS))
def test_the_county_and_township_catalogs_read_as_their_authors_meant(dataset, cid):
    facts = IDS[cid]
    names = names_by_number(dataset, str(iri("catalog", cid)))
    assert len(names) == facts["items"]
    assert [names[n] for n in sorted(names)] == facts["names"]


@pytest.mark.parametrize("cid", list(IDS))
def test_the_instruments_they_cite(dataset, cid):
    q = f"""SELECT ?item ?inst WHERE {{ GRAPH <{iri('catalog', cid)}> {{
              ?item <{ZWGK.itemNumber}> ?n ; <{ZWGK.legalBasis}> ?inst }} }}"""
    cited = {r["inst"].value.rsplit("/", 1)[1] for r in dataset.query(q)}
    assert cited == set(IDS[cid]["instruments"])
    per_item = {c["item"]: c["instruments"] for c in IDS[cid]["citations"]}
    q = f"""SELECT ?n ?k ?inst WHERE {{ GRAPH <{iri('catalog', cid)}> {{ ?item <{ZWGK.itemNumber}> ?n ;
              <{ZWGK.citation}> ?c . ?c <{ZWGK.citationNumber}> ?k ; <{ZWGK.citesInstrument}> ?inst }} }}"""
    got: dict[int, list] = {}
    for r in sorted(dataset.query(q), key=lambda r: (int(r["n"].value), int(r["k"].value))):
        got.setdefault(int(r["n"].value), []).append(r["inst"].value.rsplit("/", 1)[1])
    assert got == per_item


def test_the_quirks_of_the_county_catalog(multi_project, inputs):
    record = CatalogParser(inputs[0]).parse_file(CATALOG_FIXTURES / COUNTY["file"], fmt="csv")
    items = {i.number: i for i in record.items}
    assert record.extra_columns == COUNTY["extra_columns"]
    assert all(dict(i.extras).get("公开属性") in ("基础公开", "全面公开") for i in record.items)
    for ditto in COUNTY["dittos"]:  # 同上 takes the row above's value
        n = ditto["item"]
        field = {"公开依据": "basis_text", "公开时限": "deadline_text", "公开渠道和载体": "channels"}[ditto["column"]]
        assert getattr(items[n], field) == getattr(items[n - 1], field) and getattr(items[n], field)
    for n in COUNTY["short_agency"]:
        assert items[n].agency == COUNTY["short_agency_form"]
    assert [i.number for i in record.items if "specific-groups" in i.audiences] == [7, 8, 9, 10]
    assert [i.number for i in record.items if "on-request" in i.modes] == [10]
    # 口 is "not used" (OCR of □), √ "used"
    assert set(items[4].channels) == {"xinjiang-government-service-website", "xinjiang-hrss-public-service-platform",
                                      "government-service-centre"}
    assert "government-website" in items[4].channels_unmarked
    for m in COUNTY["missing"]:
        assert f"phone ({m['column']})" in items[m["item"]].missing
    summary = (multi_project.build_dir / "summary.json").read_text(encoding="utf-8")
    assert "监督举报电话" in summary


def test_the_quirks_of_the_township_catalog(inputs):
    record = CatalogParser(inputs[0]).parse_file(CATALOG_FIXTURES / TOWNSHIP["file"], fmt="cells")
    items = {i.number: i for i in record.items}
    assert record.traditional and record.title == TOWNSHIP["title"] and record.compiler == TOWNSHIP["compiler"]
    assert max(len(i.elements) for i in record.items) == 16  # a service guide of 16 elements
    assert [e.number for e in items[2].elements] == list(range(1, 17))
    listed = [i for i in record.items if i.elements and "、" in (i.source.cells[3] if len(i.source.cells) > 3 else "")]
    assert listed, "a 、-separated element list becomes numbered elements"
    assert [i.number for i in record.items if not i.phones] == TOWNSHIP["no_phone"]
    assert [i.number for i in record.items if "village" in i.levels] == [6]
    assert "鄉" in items[1].source.raw  # the source line stays as published


def test_the_township_raw_lines_stay_traditional_in_the_graph(multi_project):
    g = Graph().parse(multi_project.ntriples, format="nt")
    src = iri("catalog", "daquanwan-2024-social-insurance", "source")
    assert (src, ZWGK.traditionalCharacters, Literal(True)) in g
    raws = [str(o) for s, o in g.subject_objects(ZWGK.rawLine) if str(s).startswith(str(src))]
    assert raws and all("\n" in r for r in raws) and any("險" in r for r in raws)


def test_zwgk_add_registered_the_places_and_agencies(multi_project):
    places = tomllib.loads((multi_project.data / "jurisdictions.toml").read_text(encoding="utf-8"))["jurisdiction"]
    dqw = next(p for p in places if p["id"] == "daquanwan")
    assert (dqw["zh"], dqw["level"], dqw["parent"]) == ("大泉湾乡", "township", "yizhou") and "code" not in dqw
    agencies = tomllib.loads((multi_project.data / "agencies.toml").read_text(encoding="utf-8"))["agency"]
    by_name = {a["zh"]: a for a in agencies}
    assert COUNTY["short_agency_form"] in by_name[COUNTY["agency"]]["aliases"]
    assert TOWNSHIP["short_agency_form"] in by_name[TOWNSHIP["agency"]]["aliases"]
    g = Graph().parse(multi_project.ntriples, format="nt")
    place = iri("place", "daquanwan")
    assert (place, ZWGK.parentJurisdiction, iri("place", "yizhou")) in g
    assert (iri("place", "yizhou"), ZWGK.parentJurisdiction, iri("place", "hami")) in g
    assert (iri("place", "hami"), ZWGK.parentJurisdiction, iri("place", "xinjiang")) in g


def test_zwgk_add_refuses_what_it_cannot_register_and_writes_nothing(tmp_path, capsys):
    proj = copy_project(tmp_path)
    before = {p: p.read_bytes() for p in proj.data.rglob("*") if p.is_file()}
    cases = [
        ([str(CATALOG_FIXTURES / "broken" / "no-header.csv"), "--id", "x-2024", "--jurisdiction", "yiwu"], "公开依据"),
        ([str(CATALOG_FIXTURES / COUNTY["file"]), "--id", "hami-2024-social-insurance", "--jurisdiction", "yiwu"],
         "already lists"),
        ([str(CATALOG_FIXTURES / COUNTY["file"]), "--id", "y-2024", "--jurisdiction", "nowhere"], "--jurisdiction-zh"),
        ([str(CATALOG_FIXTURES / "broken" / "not-a-catalog.txt"), "--id", "z-2024", "--jurisdiction", "yiwu"],
         "no header row"),
    ]
    for args, words in cases:
        status = main(["--root", str(proj.root), "add", *args, "--domain", "社会保险", "--year", "2024",
                       "--publisher-zh", "伊吾县人力资源和社会保障局"])
        err = capsys.readouterr().err
        assert status == 2 and words in err, err
    after = {p: p.read_bytes() for p in proj.data.rglob("*") if p.is_file()}
    assert after == before


# ------------------------------------------------------------------ bad layouts


def test_a_header_without_required_columns_names_them_and_the_line(parser):
    with pytest.raises(SourceError) as err:
        parser.parse_file(CATALOG_FIXTURES / "broken" / "no-header.csv", fmt="csv")
    assert err.value.line == 1 and "公开依据" in str(err.value) and "公开时限" in str(err.value)


def test_a_file_that_is_no_catalog_says_so(parser):
    with pytest.raises(SourceError) as err:
        parser.parse_file(CATALOG_FIXTURES / "broken" / "not-a-catalog.txt", fmt="tsv")
    assert "no header row" in str(err.value) and err.value.line == 1


def test_a_truncated_csv_keeps_its_complete_rows_and_reports_the_cut_one(parser):
    path = CATALOG_FIXTURES / "broken" / "truncated.csv"
    record = parser.parse_file(path, fmt="csv")
    assert [i.number for i in record.items] == [1, 2, 3, 4, 5]
    [partial] = record.partial_rows
    last_row_line = path.read_bytes().rstrip(b"\n").count(b"\n") + 1
    assert partial.line <= last_row_line and partial.cells < partial.expected == 15


def test_a_truncated_file_is_refused_unless_registered_as_published_cut_short(tmp_path, capsys):
    proj = copy_project(tmp_path)
    shutil.copy(CATALOG_FIXTURES / "broken" / "truncated.csv", tmp_path / "cut.csv")
    add = ["--root", str(proj.root), "add", str(tmp_path / "cut.csv"), "--id", "cut-2024", "--jurisdiction",
           "yiwu", "--domain", "社会保险", "--year", "2024", "--publisher-zh", "伊吾县人力资源和社会保障局"]
    catalogs = (proj.data / "catalogs.toml").read_bytes()
    assert main(add) == 2
    err = capsys.readouterr().err
    assert re.search(r"cut\.csv, line \d+, cell 7: the file stops inside this row \(6 of 15 cells\)", err), err
    assert "--truncated" in err
    assert (proj.data / "catalogs.toml").read_bytes() == catalogs  # nothing written
    assert main(add + ["--truncated"]) == 0
    assert "truncated = true" in (proj.data / "catalogs.toml").read_text(encoding="utf-8")
    assert main(["--root", str(proj.root), "build"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"line \d+: the file stops inside this row \(6 of 15 cells\)", out), out
    g = Graph().parse(proj.ntriples, format="nt")
    [partial] = list(g.subjects(RDF.type, ZWGK.PartialRow))
    assert (partial, ZWGK.cellsFound, Literal(6)) in g


@pytest.mark.parametrize("text, fmt, line, words", [
    ("序号\t公开事项\t公开内容\n1\t甲\t乙\n", "tsv", 1, "公开依据"),
    ("| 序号 | 主项 | 公开内容 | 公开依据 | 公开时限 | 公开主体 |\n|---|---|---|---|---|---|\n| 1 | 甲 | 乙 | 丙 | 丁 | 戊 |\n",
     "pipe", 1, "公开渠道和载体"),
    ("# 标题\n序号\n主项\n公开内容\n公开时限\n公开主体\n1\n甲\n乙\n20个工作日内\n戊\n", "cells", 2, "公开依据、公开渠道和载体"),
    ("标题\n\n", "csv", 1, "no header row"),
])
def test_unrecognised_layouts_name_the_line_and_what_is_missing(parser, text, fmt, line, words):
    with pytest.raises(SourceError) as err:
        parser.parse_text(text, "bad", fmt)
    assert err.value.line == line and words in str(err.value), str(err.value)


def test_a_cells_row_with_a_missing_line_is_caught_at_the_next_row(parser):
    head = "序号\n主项\n公开内容\n公开依据\n公开时限\n公开主体\n公开渠道和载体\n"
    good = "1\n甲\n1. 事项名称 2. 办理依据\n《社会保险法》\n20个工作日内\n市人社局\n■政府网站\n"
    short = "2\n乙\n1. 事项名称\n《社会保险法》\n20个工作日内\n■政府网站\n"  # 公开主体 line missing
    with pytest.raises(SourceError) as err:
        parser.parse_text(head + good + short + good.replace("1\n甲", "3\n丙"), "bad.txt", "cells")
    assert err.value.line == 15 and "has 6 lines, not 7" in str(err.value) and "line 21" in str(err.value)


# ------------------------------------------------------------------ cell rules


def test_ocr_box_and_tick_marks(inputs):
    channels = inputs[0]["channel"]
    got = split_channels("口政府网站 √政务服务中心 口基层服务平台", channels)
    assert got == [(False, "政府网站"), (True, "政务服务中心"), (False, "基层服务平台")]
    # without spaces 口 is still a mark before a known label
    assert split_channels("口政府网站√政务服务中心", channels) == [(False, "政府网站"), (True, "政务服务中心")]
    # a cell without marks lists the channels used
    assert split_channels("政府网站、政务服务中心", channels) == [(True, "政府网站"), (True, "政务服务中心")]


def test_sniffing_the_layout():
    assert sniff(b"PK\x03\x04rest", "x.bin") == "xlsx"
    assert sniff("序号,公开事项,公开内容,公开依据,公开时限\n".encode(), "x.txt") == "csv"
    assert sniff("| 序号 | 公开事项 |\n|---|---|\n| 1 | 甲 |\n".encode(), "x.txt") == "pipe"
    assert sniff("序号\t公开事项\n".encode(), "x.txt") == "tsv"
    assert sniff("# 标题\n序號\n公開事項\n".encode(), "x.txt") == "cells"


def test_a_broken_workbook_is_an_error_naming_the_file(parser):
    with pytest.raises(SourceError) as err:
        parser.parse_bytes(b"PK\x03\x04 not really a zip", "book.xlsx", "xlsx")
    assert "book.xlsx" in str(err.value) and "XLSX" in str(err.value)
