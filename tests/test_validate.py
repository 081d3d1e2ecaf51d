"""The report machinery: severities, item numbers, formats and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from rdflib import Graph

from conftest import ROOT
from zwgk.validate import FORMATS, validate

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
