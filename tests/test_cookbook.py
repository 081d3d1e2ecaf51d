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
        python = re.search(r"```python\n(.*?)\n```", block, re.S).group(1)
        yield pytest.param(name, sparql, answer, dict(parse_qsl(urlsplit(url).query)), python, id=title[:60])


@pytest.fixture(scope="module")
def runner(hami_result, inputs):
    backend = OxigraphBackend()
    backend.store.load(sorted_ntriples(hami_result.graph), format=ox.RdfFormat.N_TRIPLES)
    return QueryRunner(backend, inputs[1], inputs[0])


def test_the_cookbook_has_at_least_twelve_questions():
    assert len(list(sections())) >= 12


@pytest.mark.parametrize("name, sparql, answer, params, python", list(sections()))
def test_cookbook_question(runner, name, sparql, answer, params, python):
    query = load_named_queries(ROOT / "queries")[name]
    body = "\n".join(l for l in query.text.splitlines() if not l.startswith("#+")).strip()
    # a query with parameters is shown with a VALUES line that binds them: it runs as it is at /sparql
    values = re.search(r"\nVALUES (.*)$", sparql)
    assert bool(values) == bool(query.params), f"the SPARQL shown for {name} must bind exactly its parameters"
    shown = sparql[: values.start()] if values else sparql
    assert shown == body, f"the SPARQL shown for {name} is not queries/{name}.rq"
    got = format_results(runner.run_named(query, params), "csv").replace("\r\n", "\n").rstrip("\n")
    assert got == answer
    # the SPARQL as shown (pasted into /sparql) gives the documented answer too
    raw = format_results(runner.run(sparql), "csv")
    assert raw.replace("\r\n", "\n").rstrip("\n") == answer
    # the SPARQLWrapper snippet reads the query file and adds the same VALUES line
    assert f'open("queries/{name}.rq"' in python
    if values:
        assert f"query += '\\nVALUES {values.group(1)}'" in python
    else:
        assert "VALUES" not in python


def test_snippets_drop_every_comment_line():
    """SPARQLWrapper 2 takes the first query keyword it finds, comments included ("loaded" is
    LOAD, an update): a snippet that sent a comment would fail with 403."""
    for param in sections():
        python = param.values[4]
        assert 'if not line.lstrip().startswith("#")' in python, param.id
