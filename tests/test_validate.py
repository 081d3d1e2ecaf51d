"""The report machinery: severities, item numbers, formats and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from rdflib import Graph

from conftest import ROOT
from zwgk.validate import FORMATS, load_shapes, validate

FIX = ROOT / "tests" / "fixtures" / "validate"


@pytest.fixture(scope="module")
def report():
    return validate(Graph().parse(FIX / "data.ttl"), Graph().parse(FIX / "shapes" / "test-shapes.ttl"))


def test_results_with_items_paths_and_severities(report):
    got = sorted((r.item, r.severity, (r.path or "").rsplit("#", 1)[-1]) for r in report.results)
    assert got == [(2, "Info", "citedNumber"), (2, "Violation", "contactPhone"), (2, "Warning", "unrecognizedLevel"),
                   (3, "Violation", "contactPhone")]
    assert not report.conforms
    assert report.counts() == {"Violation": 2, "Warning": 1, "Info": 1}
    phone = next(r for r in report.results if r.item == 3)
    assert phone.message == "缺少或格式错误的咨询电话" and phone.message_en == "missing or malformed phone"


def test_json_format(report):
    doc = json.loads(FORMATS["json"](report))
    assert doc["conforms"] is False
    first = doc["results"][0]
    assert set(first) >= {"severity", "focus", "item", "path", "message", "constraint"}
    cit = next(r for r in doc["results"] if r["severity"] == "Info")
    assert cit["item"] == 2 and cit["focus"].endswith("/item/2/citation/1")


def test_text_format_groups_by_item_most_severe_first(report):
    text = FORMATS["text"](report)
    assert text.splitlines()[0] == "does not conform: 2 violations, 1 warnings, 1 notes"
    block = text.split("item 2\n")[1].split("\n\n")[0].splitlines()
    assert [line.split()[0] for line in block] == ["Violation", "Warning", "Info"]


def test_html_and_ttl_formats(report):
    assert "<table>" in FORMATS["html"](report)
    assert len(Graph().parse(data=FORMATS["ttl"](report), format="turtle")) > 0


def test_only_warnings_conform():
    data = Graph().parse(data="""@prefix zwgk: <https://w3id.org/zwgk/ontology#> .
        <https://w3id.org/zwgk/id/x/item/1> a zwgk:DisclosureItem ; zwgk:itemNumber 1 ;
            zwgk:contactPhone "0902-2321695" ; zwgk:unrecognizedLevel "x" .""", format="turtle")
    r = validate(data, Graph().parse(FIX / "shapes" / "test-shapes.ttl"))
    assert r.conforms and r.counts()["Warning"] == 1


def run(*args):
    return subprocess.run([sys.executable, "-m", "zwgk.cli", "validate", *args], capture_output=True, text=True)


def test_exit_codes(tmp_path):
    bad = run("--data", str(FIX / "data.ttl"), "--shapes", str(FIX / "shapes"))
    assert bad.returncode == 1 and "does not conform" in bad.stdout
    good_data = tmp_path / "good.ttl"
    good_data.write_text('@prefix zwgk: <https://w3id.org/zwgk/ontology#> .\n'
                         '<https://w3id.org/zwgk/id/x/item/1> a zwgk:DisclosureItem ; zwgk:contactPhone "0902-2321695" .\n')
    good = run("--data", str(good_data), "--shapes", str(FIX / "shapes"), "--format", "json")
    assert good.returncode == 0 and json.loads(good.stdout)["conforms"] is True
    broken = tmp_path / "broken.ttl"
    broken.write_text("this is not turtle <")
    err = run("--data", str(broken), "--shapes", str(FIX / "shapes"))
    assert err.returncode == 2 and err.stderr.startswith("zwgk: error:")
    missing = run("--data", str(tmp_path / "none.ttl"))
    assert missing.returncode == 2


def test_exit_code_2_when_the_shapes_folder_has_no_shapes(tmp_path):
    """A folder whose *.ttl files declare no shape is an error, not "conforms"."""
    (tmp_path / "shapes").mkdir()
    (tmp_path / "shapes" / "empty.ttl").write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\n")
    out = run("--data", str(FIX / "data.ttl"), "--shapes", str(tmp_path / "shapes"))
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.startswith("zwgk: error:") and "no SHACL shape" in out.stderr
    (tmp_path / "shapes" / "empty.ttl").write_text("this is not turtle <")
    out = run("--data", str(FIX / "data.ttl"), "--shapes", str(tmp_path / "shapes"))
    assert out.returncode == 2 and "empty.ttl" in out.stderr and "Traceback" not in out.stderr
    out = run("--data", str(FIX / "data.ttl"), "--shapes", str(tmp_path / "none"))
    assert out.returncode == 2 and "no SHACL shapes" in out.stderr


def test_engine_option(tmp_path):
    for engine in ("pyshacl", "fast"):
        out = run("--data", str(FIX / "data.ttl"), "--shapes", str(FIX / "shapes"), "--format", "json", "--engine", engine)
        assert out.returncode == 1
        assert [(r["item"], r["severity"]) for r in json.loads(out.stdout)["results"]] == [
            (2, "Violation"), (2, "Warning"), (2, "Info"), (3, "Violation")]
    bad = run("--data", str(FIX / "data.ttl"), "--engine", "jena")
    assert bad.returncode == 2


def test_text_groups_most_severe_first(report):
    """Groups with a Violation come before groups with only Warnings or notes, then by item."""
    from zwgk.validate import Entry, Report, Result, finish

    def entry(item, severity):
        r = Result(severity, f"https://w3id.org/zwgk/id/x/item/{item}", item, None, f"{severity} {item}", None,
                   "http://www.w3.org/ns/shacl#MinCountConstraintComponent", None, None)
        return Entry(r, f"<{r.focus}>", None, None)

    text = FORMATS["text"](finish([entry(1, "Info"), entry(2, "Warning"), entry(3, "Violation"),
                                   entry(1, "Warning"), entry(4, "Info")], "fast"))
    assert [line for line in text.splitlines() if line.startswith("item")] == ["item 3", "item 1", "item 2", "item 4"]
    block = text.split("item 1\n")[1].split("\n\n")[0].splitlines()
    assert [line.split()[0] for line in block] == ["Warning", "Info"]
    assert isinstance(report, Report)


def test_ttl_results_carry_one_zh_and_one_en_message():
    from rdflib.namespace import SH

    shapes = load_shapes(ROOT / "shapes")
    report = validate(Graph().parse(ROOT / "tests" / "fixtures" / "shapes" / "Catalog-versionSpread-violates.ttl"), shapes,
                      engine="pyshacl")
    g = Graph().parse(data=FORMATS["ttl"](report), format="turtle")
    results = list(g.subjects(SH.focusNode, None))
    assert len(results) == 2
    for node in results:
        assert sorted(m.language for m in g.objects(node, SH.resultMessage)) == ["en", "zh"]


def test_lists_in_messages_are_sorted():
    from zwgk.validate import list_variables, sort_list

    assert sort_list("2018, 2016, 2021, 2015", ", ") == "2015, 2016, 2018, 2021"
    assert sort_list("国务院令第2号（事项 12、4）；国务院令第1号（事项 3、1）", "；") == \
        "国务院令第1号（事项 1、3）；国务院令第2号（事项 4、12）"
    query = 'SELECT $this (GROUP_CONCAT(DISTINCT STR(?k); separator=", ") AS ?known) ' \
            '(IF(COUNT(?k) = 0, "无", GROUP_CONCAT(?k; separator="、")) AS ?knownZh) WHERE { }'
    assert list_variables(query) == {"known": ", ", "knownZh": "、"}


def test_the_report_is_the_same_on_every_run(tmp_path, hami_result):
    """report.json and report.ttl byte for byte, the second run in another process with another
    hash seed (GROUP_CONCAT lists and set orders differ between runs unless sorted)."""
    import os

    data = Graph()
    data += hami_result.graph
    data.parse(ROOT / "tests" / "fixtures" / "shapes" / "Catalog-versionSpread-violates.ttl")
    path = tmp_path / "data.nt"
    data.serialize(path, format="nt", encoding="utf-8")
    report = validate(Graph().parse(path), load_shapes(ROOT / "shapes"))
    assert any("、" in r.message and r.shape.endswith("versionSpread") for r in report.results)
    env = dict(os.environ, PYTHONHASHSEED="12345")
    for fmt, render in (("json", FORMATS["json"]), ("ttl", FORMATS["ttl"])):
        other = subprocess.run([sys.executable, "-m", "zwgk.cli", "validate", "--data", str(path), "--format", fmt],
                               capture_output=True, env=env)
        assert other.returncode == 1, other.stderr
        assert other.stdout == render(report).encode("utf-8"), fmt


def test_the_text_report_names_a_value_outside_the_code_list():
    """An item with a level from no code list: the text names it (the message alone says which list)."""
    from rdflib import Graph, URIRef

    from zwgk.validate import as_text, load_shapes, validate

    g = Graph().parse(ROOT / "tests" / "fixtures" / "shapes" / "ItemShape-conforms.ttl")
    item = next(g.subjects(URIRef("https://w3id.org/zwgk/ontology#itemNumber"), None))
    g.add((item, URIRef("https://w3id.org/zwgk/ontology#disclosureLevel"), URIRef("https://w3id.org/zwgk/id/level/galaxy")))
    text = as_text(validate(g, load_shapes(ROOT / "shapes")))
    assert "(value: https://w3id.org/zwgk/id/level/galaxy)" in text
