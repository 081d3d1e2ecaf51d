"""The named queries the benchmark runs, and the same queries as plain SPARQL for the engines
that have no named queries (``oxigraph serve``, rdflib-endpoint).

zwgk binds a parameter with pyoxigraph substitutions; the plain text binds it with a
``VALUES`` clause at the start of the WHERE group, with the same term (written by pyoxigraph),
so every engine evaluates the same query from the same starting point.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, urlencode

# (named query, parameters): a tiny one (fixed overhead), two selective ones, three heavy ones
BENCH_QUERIES: list[tuple[str, dict[str, str]]] = [
    ("corrections", {}),  # 2 rows at every scale: the synthetic catalogs carry no errata
    ("item-basis", {"number": "6"}),  # one item number in every catalog
    ("items-citing", {"instrument": "国务院令765号"}),
    ("items-per-main-item", {}),  # aggregate over every item
    ("instrument-usage", {}),  # aggregate over every citation
    ("co-citation", {}),  # self-join of every item's legal basis, aggregated
]
TINY = "corrections"
HEAVY = ("items-per-main-item", "instrument-usage", "co-citation")

_SKIP = re.compile(r"#[^\n]*|<[^<>\s]*>|\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'")


def plain_sparql(text: str, bindings: dict, prefixes: dict[str, str]) -> str:
    """The query with its parameters bound by a VALUES clause opening the WHERE group and the
    prefixes zwgk declares for every query (``QUERY_PREFIXES``) written out."""
    code = _SKIP.sub(lambda m: " " * len(m.group()), text)
    brace = code.find("{")
    if bindings:
        values = " ".join(f"VALUES {var} {{ {term} }}" for var, term in bindings.items())
        text = text[: brace + 1] + " " + values + " " + text[brace + 1:]
    declared = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in prefixes.items() if not re.search(rf"PREFIX\s+{p}:", text, re.I))
    return declared + text


def queries(root: Path) -> list[dict]:
    """Each benchmark query: its zwgk path and its plain SPARQL."""
    import sys

    sys.path.insert(0, str(root / "service"))
    from zwgk.build import Project, load_inputs
    from zwgk.queries import QUERY_PREFIXES, QueryRunner, load_named_queries

    project = Project(root)
    codelists, registry, *_ = load_inputs(project)
    named = load_named_queries(project.queries)
    runner = QueryRunner(None, registry, codelists)
    out = []
    for name, params in BENCH_QUERIES:
        q = named[name]
        bound = runner.bind(q, params)
        out.append({
            "name": name,
            "params": params,
            "path": f"/queries/{name}" + (f"?{urlencode(params, quote_via=quote)}" if params else ""),
            "sparql": plain_sparql(q.text, {str(v): str(t) for v, t in bound.items()}, QUERY_PREFIXES),
        })
    return out
