"""Every cookbook question runs, and its documented SPARQL and answer match the live graph."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pyoxigraph as ox
import pytest

from conftest import ROOT
from zwgk.backends import OxigraphBackend
from zwgk.build import sorted_ntriples
from zwgk.queries import QueryRunner, format_results, load_named_queries

COOKBOOK = ROOT / "queries" / "COOKBOOK.md"


def sections():
    text = COOKBOOK.read_text(encoding="utf-8")
    for block in re.split(r"\n(?=## \d+\. )", text)[1:]:
        title = block.splitlines()[0]
        name = re.search(r"Named query `([^`]+)`", block).group(1)
        sparql = re.search(r"```sparql\n(.*?)\n```", block, re.S).group(1)
        answer = re.search(r"```csv\n(.*?)\n```", block, re.S).group(1)
        url = re.search(r"curl '([^']+)'", block).group(1)
        values = re.search(r"sparql\.queryString \+ '\\nVALUES (.*?)'\)", block)
        yield pytest.param(name, sparql, answer, dict(parse_qsl(urlsplit(url).query)), values and values.group(1), id=title[:60])


@pytest.fixture(scope="module")
def runner(hami_result, inputs):
    backend = OxigraphBackend()
    backend.store.load(sorted_ntriples(hami_result.graph), format=ox.RdfFormat.N_TRIPLES)
    return QueryRunner(backend, inputs[1], inputs[0])


def test_the_cookbook_has_at_least_twelve_questions():
    assert len(list(sections())) >= 12


@pytest.mark.parametrize("name, sparql, answer, params, values", list(sections()))
def test_cookbook_question(runner, name, sparql, answer, params, values):
    query = load_named_queries(ROOT / "queries")[name]
    documented = "\n".join(l for l in query.text.splitlines() if not l.startswith("#+")).strip()
    assert sparql == documented, f"the SPARQL shown for {name} is not queries/{name}.rq"
    got = format_results(runner.run_named(query, params), "csv").replace("\r\n", "\n").rstrip("\n")
    assert got == answer
    if values:  # the SPARQLWrapper form: the query text with a VALUES clause, through /sparql
        raw = format_results(runner.run(query.text + "\nVALUES " + values.replace("\\n", "\n")), "csv")
        assert raw.replace("\r\n", "\n").rstrip("\n") == answer
