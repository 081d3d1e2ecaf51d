"""The named queries that compare catalogs (queries/catalog-*.rq), on the three test
catalogs of ``multi_project``: Hami's (prefecture), the county's and the township's.

Expected answers are derived, never typed: from tests/fixtures/catalogs/expected.toml
(names, in_hami / not_in_hami, instruments, citations) and from the Hami build's own
records (``hami_items``, ``hami_result``); the coverage counts are recounted from the
built N-Triples with rdflib, without SPARQL. Every query is run three ways: on Oxigraph
with the values bound (``/queries``, ``zwgk query``), on Oxigraph with the values as a
trailing VALUES clause (what a remote store gets), and on rdflib with the values as
initial bindings; the three must agree."""

from __future__ import annotations

import re
import tomllib
from collections import Counter, defaultdict
from urllib.parse import parse_qsl, urlsplit

import pytest

from conftest import CATALOG_FIXTURES, ROOT
from zwgk.backends import OxigraphBackend, RdflibBackend, values_clause
from zwgk.build import load_inputs
from zwgk.queries import QueryError, QueryRunner, format_results, load_named_queries, rows, without_comments
from zwgk.text import name_key

EXPECTED = tomllib.loads((CATALOG_FIXTURES / "expected.toml").read_text(encoding="utf-8"))
HAMI, YIWU, DQW = "hami-2024-social-insurance", "yiwu-2024-social-insurance", "daquanwan-2024-social-insurance"
FACTS = {YIWU: EXPECTED["yiwu-2024-social-insurance"], DQW: EXPECTED["dqw-2024-social-insurance"]}
CATALOG = "https://w3id.org/zwgk/id/catalog/"
INSTRUMENT = "https://w3id.org/zwgk/id/instrument/"
ZWGK = "https://w3id.org/zwgk/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
QUERIES = ("catalog-items-without-counterpart", "catalog-counterparts", "catalog-instruments-not-cited-by",
           "catalog-coverage", "catalog-citing-catalogs")


class TrailingValues:
    """A store that takes no bindings, as a remote one: the values go in a VALUES clause after the query."""

    def __init__(self, backend):
        self.backend = backend

    def query(self, text, dataset=None, substitutions=None, prefixes=None, **_):
        if substitutions:
            text = text.rstrip() + "\n" + values_clause(substitutions)
        return self.backend.query(text, dataset=dataset, prefixes=prefixes)


@pytest.fixture(scope="module")
def named():
    return load_named_queries(ROOT / "queries")


@pytest.fixture(scope="module")
def runners(multi_project):
    codelists, registry, *_ = load_inputs(multi_project)
    oxigraph = OxigraphBackend()
    oxigraph.load_file(multi_project.nquads)
    oxigraph.union_default_graph = True
    rdflib = RdflibBackend()
    rdflib.load_file(multi_project.nquads)
    rdflib.union_default_graph = True
    return {"bound": QueryRunner(oxigraph, registry, codelists),
            "values": QueryRunner(TrailingValues(oxigraph), registry, codelists),
            "rdflib": QueryRunner(rdflib, registry, codelists)}


def canonical(found: list[dict]) -> list[dict]:
    """Rows with each GROUP_CONCAT field as a set (its order is the engine's)."""
    return [{k: frozenset(v.split(" ")) if k == "instruments" else frozenset(v.split("；")) if k == "titles" else v
             for k, v in r.items()} for r in found]


@pytest.fixture(scope="module")
def run(runners, named):
    """``run(name, **params)``: the rows, after checking that the three ways of binding agree."""

    def run(name: str, **params) -> list[dict]:
        answers = {how: rows(r.run_named(named[name], params))[1] for how, r in runners.items()}
        assert canonical(answers["values"]) == canonical(answers["bound"]), f"{name}: VALUES clause differs"
        assert canonical(answers["rdflib"]) == canonical(answers["bound"]), f"{name}: rdflib differs"
        return answers["bound"]

    return run


# ---------------------------------------------------------------- facts, derived


@pytest.fixture(scope="module")
def hami_citations(hami_result) -> dict[int, set[str]]:
    """Hami item number → ids of the instruments it cites, from the build's own resolutions."""
    rc = hami_result.catalogs[0]
    out: dict[int, set[str]] = defaultdict(set)
    for (number, _), res in rc.resolutions.items():
        out[number].add(res.instrument.id)
    return out


def citations(cid: str) -> dict[int, set[str]]:
    return {c["item"]: set(c["instruments"]) for c in FACTS[cid]["citations"]}


def names(cid: str) -> dict[int, str]:
    return dict(enumerate(FACTS[cid]["names"], 1))


def iris(ids) -> set[str]:
    return {INSTRUMENT + i for i in ids}


# ---------------------------------------------------------------- items without counterpart


@pytest.mark.parametrize("cid", [YIWU, DQW])
def test_items_of_a_small_catalog_not_in_hami(run, cid):
    found = run("catalog-items-without-counterpart", a=cid, b=HAMI)
    facts = FACTS[cid]
    assert [int(r["number"]) for r in found] == facts["not_in_hami"]
    for r in found:
        n = int(r["number"])
        assert (r["a"], r["b"]) == (cid, HAMI)
        assert r["item"] == f"{CATALOG}{cid}/item/{n}"
        assert r["name"] == names(cid)[n]
        assert set(r["instruments"].split()) == iris(citations(cid)[n])
        assert len(r["titles"].split("；")) == len(citations(cid)[n])


def test_items_of_hami_not_in_the_county(run, hami_items, hami_citations):
    county_keys = {name_key(n) for n in FACTS[YIWU]["names"]}
    expected = [n for n in sorted(hami_items) if name_key(hami_items[n].name) not in county_keys]
    found = run("catalog-items-without-counterpart", a=HAMI, b=YIWU)
    assert [int(r["number"]) for r in found] == expected
    for r in found:
        n = int(r["number"])
        assert r["name"] == hami_items[n].name
        assert set(r["instruments"].split()) == iris(hami_citations[n])
    # cross-check with expected.toml: the Hami items left out are exactly those named like the county's in_hami items
    matched = {n for n in hami_items if n not in expected}
    assert {name_key(hami_items[n].name) for n in matched} == {name_key(names(YIWU)[n]) for n in FACTS[YIWU]["in_hami"]}


def test_the_match_rule_is_the_name_key(run, hami_items):
    """Counterparts have equal zwgk:nameKey; an item with two counterparts has a row for each."""
    for cid in (YIWU, DQW):
        found = run("catalog-counterparts", a=cid, b=HAMI)
        assert sorted({int(r["numberA"]) for r in found}) == FACTS[cid]["in_hami"]
        for r in found:
            assert name_key(r["nameA"]) == name_key(r["nameB"]) == name_key(hami_items[int(r["numberB"])].name)
        expected_pairs = {(a, b) for a in FACTS[cid]["in_hami"] for b in hami_items
                          if name_key(names(cid)[a]) == name_key(hami_items[b].name)}
        assert {(int(r["numberA"]), int(r["numberB"])) for r in found} == expected_pairs


def test_a_catalog_is_named_by_its_id_or_its_iri(run):
    by_id = run("catalog-items-without-counterpart", a=DQW, b=HAMI)
    by_iri = run("catalog-items-without-counterpart", a=CATALOG + DQW, b=CATALOG + HAMI)
    drop = lambda found: [{k: v for k, v in r.items() if k not in ("a", "b")} for r in found]  # noqa: E731
    assert by_id and drop(by_id) == drop(by_iri)
    assert {(r["a"], r["b"]) for r in by_iri} == {(CATALOG + DQW, CATALOG + HAMI)}


@pytest.mark.parametrize("name", ["catalog-items-without-counterpart", "catalog-counterparts",
                                  "catalog-instruments-not-cited-by", "catalog-coverage"])
def test_an_unknown_catalog_gives_no_rows(run, name):
    assert run(name, a="no-such-catalog", b=HAMI) == []
    assert run(name, a=YIWU, b=CATALOG + "no-such-catalog") == []


def test_comparing_a_catalog_with_itself(run):
    assert run("catalog-items-without-counterpart", a=YIWU, b=YIWU) == []
    assert run("catalog-instruments-not-cited-by", a=YIWU, b=YIWU) == []


def test_catalog_parameters_are_values_not_text(run):
    hostile = f'{YIWU}" ) }} UNION {{ ?item ?p ?o }} #'
    assert run("catalog-items-without-counterpart", a=hostile, b=HAMI) == []


def test_both_catalogs_are_needed(runners, named):
    with pytest.raises(QueryError, match="needs the parameter 'b'"):
        runners["bound"].run_named(named["catalog-coverage"], {"a": YIWU})


# ---------------------------------------------------------------- instruments


@pytest.mark.parametrize("cid", [YIWU, DQW])
def test_instruments_a_small_catalog_cites_and_hami_does_not(run, cid):
    found = run("catalog-instruments-not-cited-by", a=cid, b=HAMI)
    expected = Counter(i for cited in citations(cid).values() for i in cited if i in FACTS[cid]["instruments_not_in_hami"])
    assert {r["instrument"]: int(r["items"]) for r in found} == {INSTRUMENT + i: n for i, n in expected.items()}
    assert set(expected) == set(FACTS[cid]["instruments_not_in_hami"])


def test_instruments_hami_cites_and_the_county_does_not(run, hami_citations):
    per_instrument = Counter(i for cited in hami_citations.values() for i in cited)
    expected = {INSTRUMENT + i: n for i, n in per_instrument.items() if i not in FACTS[YIWU]["instruments"]}
    found = run("catalog-instruments-not-cited-by", a=HAMI, b=YIWU)
    assert {r["instrument"]: int(r["items"]) for r in found} == expected
    assert [int(r["items"]) for r in found] == sorted((int(r["items"]) for r in found), reverse=True)
    # cross-check expected.toml: what the county cites and Hami does not is instruments_not_in_hami
    assert set(FACTS[YIWU]["instruments"]) - set(per_instrument) == set(FACTS[YIWU]["instruments_not_in_hami"])


# ---------------------------------------------------------------- coverage


@pytest.fixture(scope="module")
def coverage_by_traversal(multi_project):
    """(catalog id, concept IRI) → items, and the concepts of each code list, counted with rdflib (no SPARQL)."""
    from rdflib import Graph, URIRef

    g = Graph()
    g.parse(multi_project.ntriples, format="nt")
    counts: Counter = Counter()
    for item, catalog in g.subject_objects(URIRef(ZWGK + "inCatalog")):
        cid = str(catalog).removeprefix(CATALOG)
        concepts = set(g.objects(item, URIRef(ZWGK + "disclosureChannel"))) | set(g.objects(item, URIRef(ZWGK + "disclosureLevel")))
        for concept in concepts:
            counts[(cid, str(concept))] += 1
    schemes = {dim: {str(c) for c in g.subjects(URIRef(SKOS + "inScheme"), URIRef(f"https://w3id.org/zwgk/id/{dim}"))}
               for dim in ("channel", "level")}
    return counts, schemes


@pytest.mark.parametrize("a, b", [(YIWU, HAMI), (HAMI, YIWU), (DQW, HAMI)])
def test_channel_and_level_coverage(run, coverage_by_traversal, a, b):
    counts, schemes = coverage_by_traversal
    found = run("catalog-coverage", a=a, b=b)
    assert {(r["dimension"], r["concept"]) for r in found} == {(d, c) for d, cs in schemes.items() for c in cs}
    for r in found:
        assert (int(r["itemsA"]), int(r["itemsB"])) == (counts[(a, r["concept"])], counts[(b, r["concept"])]), r
        assert r["label"] and r["labelEn"]
    assert [r["dimension"] for r in found] == sorted(r["dimension"] for r in found)


def test_coverage_of_the_small_catalogs_is_at_their_own_level(run):
    """Each of the county's and the township's items is disclosed at its own level (县级 / 乡级)."""
    for cid, level in ((YIWU, "county"), (DQW, "township")):
        found = {r["concept"]: int(r["itemsA"]) for r in run("catalog-coverage", a=cid, b=HAMI)}
        assert found[f"https://w3id.org/zwgk/id/level/{level}"] == FACTS[cid]["items"]


# ---------------------------------------------------------------- citing catalogs


@pytest.mark.parametrize("spelling", ["国务院令765号", "社会保险经办条例", "《社会保险经办条例》", "765号令"])
def test_catalogs_citing_an_instrument(run, hami_citations, spelling):
    instrument = "social-insurance-handling-regulation"
    expected = {CATALOG + HAMI: sum(instrument in c for c in hami_citations.values())}
    for cid in (YIWU, DQW):
        expected[CATALOG + cid] = sum(instrument in c for c in citations(cid).values())
    found = run("catalog-citing-catalogs", instrument=spelling)
    assert {r["catalog"]: int(r["items"]) for r in found} == expected
    assert {r["instrument"] for r in found} == {INSTRUMENT + instrument}
    assert [int(r["items"]) for r in found] == sorted(expected.values(), reverse=True)


def test_catalogs_citing_an_instrument_only_the_county_cites(run):
    assert FACTS[YIWU]["instruments_not_in_hami"]
    for instrument in FACTS[YIWU]["instruments_not_in_hami"]:
        found = run("catalog-citing-catalogs", instrument=_spelling(instrument))
        by_catalog = {r["catalog"].removeprefix(CATALOG): int(r["items"]) for r in found}
        assert by_catalog == {HAMI: 0, YIWU: sum(instrument in c for c in citations(YIWU).values()),
                              DQW: sum(instrument in c for c in citations(DQW).values())}


def _spelling(instrument_id: str) -> str:
    """A way people write the instrument: its document number or title from data/instruments.toml."""
    entries = tomllib.loads((ROOT / "data" / "instruments.toml").read_text(encoding="utf-8"))["instrument"]
    entry = next(e for e in entries if e["id"] == instrument_id)
    return entry.get("number") or entry.get("title")


# ---------------------------------------------------------------- the cookbook


def cookbook_sections():
    text = (ROOT / "queries" / "COOKBOOK.md").read_text(encoding="utf-8")
    for block in re.split(r"\n(?=## \d+\. )", text)[1:]:
        name = re.search(r"Named query `([^`]+)`", block).group(1)
        if name.startswith("catalog-"):
            yield name, block


def test_every_catalog_query_is_in_the_cookbook():
    assert {name for name, _ in cookbook_sections()} >= set(QUERIES) - {"catalog-counterparts"}
    assert any("`catalog-counterparts`" in block for _, block in cookbook_sections())


@pytest.mark.parametrize("name, block", list(cookbook_sections()), ids=lambda x: x if x.startswith("catalog-") else "")
def test_cookbook_answers_with_the_test_catalogs(runners, named, name, block):
    """The second answer of each catalog section (with the county and township catalogs) matches multi_project."""
    answers = re.findall(r"```csv\n(.*?)\n```", block, re.S)
    urls = re.findall(r"curl '([^']+)'", block)
    assert len(answers) == 2 and len(urls) == 2, "a catalog section shows the Hami answer, then the three-catalog one"
    params = dict(parse_qsl(urlsplit(urls[1]).query))
    got = format_results(runners["bound"].run_named(named[name], params), "csv").replace("\r\n", "\n").rstrip("\n")
    split = lambda csv: [re.split(r"[ ；]", line) for line in csv.splitlines()]  # noqa: E731
    assert [sorted(x) for x in split(got)] == [sorted(x) for x in split(answers[1])]
    assert f"--param {next(iter(params))}=" in block  # the CLI form is shown too


# ---------------------------------------------------------------- pages

def test_every_named_query_orders_every_row_so_pages_are_exact(runners, named):
    """Over several catalogs (item numbers repeat), the ORDER BY of each named query gives every
    row its own place: no two rows agree on all the variables it sorts by, so pages taken with
    limit and offset neither overlap nor skip, on any engine."""
    runner = runners["bound"]
    for q in named.values():
        names, found = rows(runner.run_named(q, q.example))
        text = without_comments(q.text)
        order = re.search(r"ORDER\s+BY(.*?)(?:LIMIT|OFFSET|$)", text, re.S | re.I).group(1)
        keys = [k for k in dict.fromkeys(re.findall(r"[?$](\w+)", order)) if k not in q.example]
        # a query that lists items sorts by the item (or by catalog and number) whatever the data: item
        # numbers repeat across catalogs, even where this fixture's answers happen not to show it
        shown = re.search(r"SELECT(.*?)WHERE", text, re.S | re.I).group(1)
        while re.search(r"\([^()]*\)", shown):  # expressions, (COUNT(?item) AS ?items) among them: not shown
            shown = re.sub(r"\([^()]*\)", " ", shown)
        if re.search(r"[?$]item\b", shown):
            assert "item" in keys or {"catalog", "number"} <= set(keys), f"{q.name} lists items but sorts by {keys}"
        assert all(k in names for k in keys), f"{q.name} sorts by a variable it does not show: {keys}"
        places = Counter(tuple(r.get(k) for k in keys) for r in found)
        assert not [p for p, n in places.items() if n > 1], f"{q.name}: rows tie on ORDER BY {order.strip()}"
        if len(found) > 2:  # and paging by one row gives the whole answer back, in order
            assert [rows(runner.run_named(q, q.example, 1, i))[1][0] for i in range(len(found))] == found, q.name
