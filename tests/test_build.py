"""The built graph of the real source, determinism, atomicity, errata, and a golden graph."""

from __future__ import annotations

import os
import shutil

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, SKOS, XSD

from conftest import ROOT, page, row
from zwgk.build import Project, assemble, build, sorted_ntriples
from zwgk.graph import BASE, ELI, ZWGK
from zwgk.records import SourceError

CAT = URIRef(BASE + "catalog/hami-2024-social-insurance")


def item(n):
    return URIRef(f"{CAT}/item/{n}")


def inst(i):
    return URIRef(BASE + "instrument/" + i)


def test_summary(hami_result):
    s = hami_result.summary
    assert (s["items"], s["instruments"], s["citations"]) == (75, 32, 285)
    assert s["triples"] == len(hami_result.graph)


def test_75_items_with_their_fields(hami_result):
    g = hami_result.graph
    items = set(g.subjects(RDF.type, ZWGK.DisclosureItem))
    assert items == {item(n) for n in range(1, 76)}
    for n in range(1, 76):
        i = item(n)
        assert g.value(i, ZWGK.itemNumber) == Literal(n, datatype=XSD.integer)
        assert g.value(i, ZWGK.inCatalog) == CAT
        assert g.value(i, SKOS.prefLabel).language == "zh"
        assert g.value(i, ZWGK.deadlineWorkingDays) == Literal(20, datatype=XSD.integer)
        assert g.value(i, ZWGK.responsibleAgency) == URIRef(BASE + "agency/hami-hrss")
        assert g.value(i, ZWGK.audience) == URIRef(BASE + "audience/public")
        assert g.value(i, ZWGK.disclosureMode) == URIRef(BASE + "mode/proactive")
        assert g.value(i, ZWGK.categoryPath) is not None
        assert set(g.objects(i, ZWGK.disclosureChannel))
        assert set(g.objects(i, ZWGK.legalBasis))
        row = g.value(i, URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"))
        assert g.value(row, ZWGK.rawLine) is not None and g.value(row, ZWGK.lineNumber) is not None


def test_item_facts(hami_result):
    g = hami_result.graph
    assert str(g.value(item(30), SKOS.prefLabel)) == "暂停职工养老保险待遇申请"
    assert str(g.value(item(30), ZWGK.subItem)) == "暂停养老保险待遇申请"
    assert {str(p) for p in g.objects(item(26), ZWGK.contactPhone)} == {"0902-2256352", "0902-2260097"}
    assert set(g.objects(item(34), ZWGK.contactPhone)) == set()  # missing in the source, not invented
    assert set(g.objects(item(39), ZWGK.disclosureLevel)) == set()
    assert {str(v) for v in g.objects(item(12), ZWGK.unrecognizedLevel)} == {"基层服务平台"}
    assert set(g.objects(item(6), ZWGK.legalBasis)) == {
        inst("gov-info-disclosure-regulation"), inst("social-insurance-law"),
        inst("social-insurance-contribution-regulation"), inst("social-insurance-handling-regulation")}
    assert len(set(g.objects(item(6), ZWGK.disclosureElement))) == 11
    assert set(g.objects(item(1), ZWGK.disclosureElement)) == set()
    assert str(g.value(item(1), ZWGK.contentText)) == "市人社局机构职能简介"


def test_each_cited_instrument_once_and_citations_record_the_version(hami_result):
    g = hami_result.graph
    cited = set(g.objects(None, ZWGK.legalBasis))
    assert len(cited) == 32
    titles = [str(g.value(i, ELI.title)) for i in cited]
    assert len(titles) == len(set(titles))
    # 工伤保险条例 cited as 国务院令586号: one work, the 2010 version
    c = URIRef(f"{item(47)}/citation/3")
    assert g.value(c, ZWGK.citesInstrument) == inst("work-injury-insurance-regulation")
    assert g.value(c, ZWGK.citedVersion) == inst("work-injury-insurance-regulation") + "/version/2010"
    assert str(g.value(c, ZWGK.citedNumber)) == "国务院令第586号"
    # a standard edition that the registry does not know is kept as written
    c = URIRef(f"{item(75)}/citation/8")
    assert g.value(c, ZWGK.citedEdition) == Literal("2021", datatype=XSD.gYear)
    assert g.value(c, ZWGK.citesInstrument) == inst("social-security-card-terminal-specification")
    # every spelling seen is an altLabel, every key a lookupKey
    alt = {str(a) for a in g.objects(inst("social-insurance-law"), SKOS.altLabel)}
    assert "中华人民共和国社会保险法" not in alt  # that is its title
    keys = {str(k) for k in g.objects(inst("social-insurance-handling-regulation"), ZWGK.lookupKey)}
    assert {"国务院令765号", "社会保险经办条例"} <= keys


def test_registry_facts_keep_their_confidence(hami_result):
    g = hami_result.graph
    repealed = inst("social-insurance-registration-measures")
    assert g.value(repealed, ELI.repealed_by) == inst("mohrss-order-39")
    assert g.value(repealed, ELI.in_force) == ELI["InForce-notInForce"]
    assert str(g.value(repealed, ZWGK.confidence)) == "V"
    opinion = inst("urban-rural-pension-opinion")  # only recollections: no date, no status
    assert g.value(opinion, ELI.date_document) is None and g.value(opinion, ZWGK.status) is None


def test_code_lists_are_skos_schemes_in_the_graph(hami_result):
    g = hami_result.graph
    for scheme in ("channel", "level", "audience", "mode", "document-type"):
        s = URIRef(BASE + scheme)
        assert (s, RDF.type, SKOS.ConceptScheme) in g
        for c in g.objects(s, SKOS.hasTopConcept):
            assert {l.language for l in g.objects(c, SKOS.prefLabel)} == {"zh", "en"}
    assert (URIRef(BASE + "channel/government-website"), RDF.type, ZWGK.Channel) in g


def test_errata_are_applied_with_provenance(hami_result):
    g = hami_result.graph
    corr = URIRef(f"{item(48)}/correction/1")
    assert corr in set(g.objects(item(48), ZWGK.correction))
    assert str(g.value(corr, ZWGK.field)) == "disclosureElement"
    assert (str(g.value(corr, ZWGK.sourceValue)), str(g.value(corr, ZWGK.correctedValue))) == ("12. 监督投诉渠道", "11. 监督投诉渠道")
    numbers = sorted(int(g.value(e, ZWGK.elementNumber)) for e in g.objects(item(48), ZWGK.disclosureElement))
    assert numbers == list(range(1, 12))


def _path(g, n):
    return str(g.value(item(n), ZWGK.categoryPath))


def test_main_items_of_merged_cells_follow_the_printed_blocks(hami_result):
    """The PDF prints a merged 主项 on the page holding its block's middle; reviewed errata put
    each item under the 主项 of its block (filling down alone put items 24–33 under a record query)."""
    g = hami_result.graph
    main = {n: str(g.value(item(n), ZWGK.mainItem) or "") for n in range(1, 76)}
    runs = []
    for n in range(1, 76):
        if not runs or runs[-1][0] != main[n]:
            runs.append([main[n], n, n])
        runs[-1][2] = n
    assert [tuple(r) for r in runs] == [
        ("机构概况", 1, 2), ("政策信息和政务公开", 3, 5), ("社会保险登记", 6, 12),
        ("社会保险参保信息维护", 13, 18), ("社会保险缴费申报", 19, 21), ("社会保险参保缴费记录查询", 22, 23),
        ("养老保险服务", 24, 46), ("工伤保险服务", 47, 63), ("失业保险服务", 64, 68), ("", 69, 75),
    ]
    assert _path(g, 6) == "社会保险登记 / 企业社会保险登记"
    assert _path(g, 37) == "养老保险服务 / 丧葬补助金、抚恤金申领 / 企业职工丧葬补助金、抚恤金申领"
    assert _path(g, 39) == "养老保险服务 / 居民养老保险注销登记"
    assert _path(g, 69) == "社会保障卡启用（含社会保障卡银行账户激活）"  # no 主项 in the source: none invented
    # both values stay visible: the correction of item 24 keeps the filled-down 主项
    corr = [c for c in g.objects(item(24), ZWGK.correction) if str(g.value(c, ZWGK.field)) == "mainItem"]
    assert [(str(g.value(c, ZWGK.sourceValue)), str(g.value(c, ZWGK.correctedValue))) for c in corr] == [
        ("社会保险参保缴费记录查询", "养老保险服务")]


def test_the_build_is_deterministic(project, hami_result):
    again = assemble(project)
    assert sorted_ntriples(again.graph) == sorted_ntriples(hami_result.graph)


def test_build_writes_every_format_that_parses_to_the_same_graph(scratch_project):
    result, files = build(scratch_project)
    nt = Graph().parse(files["ntriples"], format="nt")
    assert isomorphic(nt, Graph().parse(files["turtle"], format="turtle"))
    assert isomorphic(nt, Graph().parse(files["jsonld"], format="json-ld"))
    assert isomorphic(nt, result.graph)


def test_a_failed_build_leaves_the_previous_output_untouched(scratch_project):
    _, files = build(scratch_project)
    before = {p.name: p.read_bytes() for p in scratch_project.build_dir.iterdir()}
    src = scratch_project.data / "sources" / "hami-2024-social-insurance.txt"
    lines = src.read_text(encoding="utf-8").split("\n")
    lines[93] = lines[93].replace("0902- 2321695", "请致电人社局")  # item 30's phone cell
    src.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(SourceError) as err:
        build(scratch_project)
    assert (err.value.line, err.value.cell) == (94, 14)
    after = {p.name: p.read_bytes() for p in scratch_project.build_dir.iterdir()}
    assert after == before
    assert [p.name for p in scratch_project.data.iterdir() if p.name.startswith(".")] == []


def test_an_unresolvable_citation_names_line_and_cell(scratch_project):
    src = scratch_project.data / "sources" / "hami-2024-social-insurance.txt"
    text = src.read_text(encoding="utf-8").replace("后勤部关于军人退役基本养老保险关系转移接续有关问题的通知》（后财〔2015〕1726号）",
                                                  "后勤部关于军人退役的通知》（后财〔2015〕9999号）")
    src.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError, match="9999号") as err:
        assemble(scratch_project)
    assert err.value.line == 144 and err.value.cell == 5


@pytest.mark.parametrize("erratum, words", [
    ('item = 99\nfield = "contactPhone"\nsource = "1"\ncorrected = "2"', "does not have"),
    ('item = 48\nfield = "disclosureElement"\nsource = "13. 监督投诉渠道"\ncorrected = "11. 监督投诉渠道"', "no element"),
    ('item = 48\nfield = "title"\nsource = "a"\ncorrected = "b"', "cannot be corrected"),
    ('item = "24-20"\nfield = "mainItem"\nsource = "a"\ncorrected = "b"', "not an item number or a range"),
    ('item = "1-2"\nfield = "contactPhone"\nsource = "a"\ncorrected = "b"', "range of items is allowed only for mainItem"),
    ('item = "21-22"\nfield = "mainItem"\nsource = "社会保险参保缴费记录查询"\ncorrected = "养老保险服务"', "item 21 has 主项"),
    ('item = 6\nfield = "categoryPath"\nsource = "企业社会保险登记"\ncorrected = "社会保险登记 / 企业登记"', "must end with its name"),
])
def test_bad_errata_fail_the_build(scratch_project, erratum, words):
    path = scratch_project.data / "errata.toml"
    path.write_text(f'[[erratum]]\ncatalog = "hami-2024-social-insurance"\n{erratum}\nreason = "test"\n', encoding="utf-8")
    with pytest.raises(SourceError, match=words):
        assemble(scratch_project)


def test_golden_graph_of_a_small_catalog(scratch_project):
    """A two-item catalog in the source layout, compared as a graph with its expected Turtle."""
    text = page(
        row(1, ("机构概况", "机构职能", ""), content="市人社局机构职能简介", basis="《中华人民共和国政府信息公开条例》"),
        row(2, ("社会保险登记", "企业社会保险登记", ""), content="1. 事项名称 2. 事项简述",
            basis="1. 《社会保险经办条例》（中华人民共和国国务院令 第765号） 2. LD/T 33—2016《社会保障卡读写终端规范》",
            channels='<input type="checkbox"/> 政府网站 <input checked="" type="checkbox"/> 政务服务中心',
            level="市级、县（区）级", phone="0902- 2321695 0902-2256352"),
    )
    d = scratch_project.data
    (d / "sources" / "mini.txt").write_text(text, encoding="utf-8")
    (d / "catalogs.toml").write_text(
        '[[catalog]]\nid = "mini"\nfile = "sources/mini.txt"\nformat = "pdf-tsv"\njurisdiction = "hami"\n'
        'publisher = "hami-hrss"\ndomain_zh = "社会保险"\ndomain_en = "Social insurance"\nyear = 2024\n', encoding="utf-8")
    (d / "errata.toml").write_text("", encoding="utf-8")
    g = assemble(scratch_project).graph
    mini = Graph()
    for t in g:
        if str(t[0]).startswith(BASE + "catalog/mini"):
            mini.add(t if t[1] != ZWGK.rawLine else (t[0], t[1], Literal("RAW")))
    expected = Graph().parse(ROOT / "tests" / "fixtures" / "mini-catalog.ttl", format="turtle")
    if not isomorphic(mini, expected):
        missing = sorted(str(t) for t in expected - mini)[:10]
        extra = sorted(str(t) for t in mini - expected)[:10]
        pytest.fail(f"graph differs\nmissing: {missing}\nextra: {extra}")


def test_a_new_build_takes_the_place_of_the_old_one_in_one_step(tmp_path):
    from zwgk.build import _exchange, _swap

    old, new = tmp_path / "build", tmp_path / ".new"
    old.mkdir(), new.mkdir()
    (old / "zwgk.nt").write_text("old"), (new / "zwgk.nt").write_text("new")
    assert _exchange(new, old)  # Linux: renameat2(RENAME_EXCHANGE)
    assert (old / "zwgk.nt").read_text() == "new" and (new / "zwgk.nt").read_text() == "old"
    _exchange(new, old)
    _swap(new, old)
    assert (old / "zwgk.nt").read_text() == "new" and not new.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["build"]


@pytest.mark.slow
def test_the_json_ld_dump_is_the_same_whatever_the_hash_seed(hami_result):
    """JSON-LD arrays are sets: sorted, with blank nodes labelled in order, so two builds give one file."""
    import hashlib
    import subprocess
    import sys

    from zwgk.build import stable_jsonld

    script = ("import hashlib; from zwgk.build import Project, assemble, stable_jsonld; "
              "print(hashlib.sha256(stable_jsonld(assemble(Project.default()).graph).encode()).hexdigest())")
    digests = {subprocess.run([sys.executable, "-c", script], env={**os.environ, "PYTHONHASHSEED": seed},
                              capture_output=True, text=True, check=True).stdout.strip() for seed in ("1", "2")}
    assert digests == {hashlib.sha256(stable_jsonld(hami_result.graph).encode()).hexdigest()}
    assert isomorphic(Graph().parse(data=stable_jsonld(hami_result.graph), format="json-ld"), hami_result.graph)


def test_the_build_folder_is_readable_by_other_users(scratch_project):
    """mkdtemp makes a private folder; the build is swapped in as 0755, for a server running as another user."""
    import stat

    build(scratch_project)
    assert stat.S_IMODE(scratch_project.build_dir.stat().st_mode) == 0o755
