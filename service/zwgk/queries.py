"""Named queries: ``queries/<name>.rq`` files with a small metadata header.

Header lines start with ``#+``::

    #+ summary: Items that cite an instrument, in any spelling of its title or number
    #+ param instrument: instrument | Title or document number, any spelling | 国务院令765号

A parameter ``NAME`` is the query variable ``?NAME``; its value is *bound*
(pyoxigraph substitutions, SPARQL-dev SEP-0007), never spliced into the text.
SEP-0007 requires a bound variable to be projected, so a named query selects
its parameters too: each result row shows what the parameter resolved to.
Parameter types: ``instrument`` (resolved by the citation resolver to the
instrument's IRI), ``channel`` (a channel's name or code → its concept),
``string``, ``integer``, ``iri``. The CLI and the HTTP API run this same code.

Paging: ``limit`` and ``offset`` (``?limit=50&offset=100``, ``zwgk query --limit
50 --offset 100``) are not parameters but the query's LIMIT and OFFSET: they
replace those the query ends with (co-citation's ``LIMIT 10`` is its default
page) or are added. Every named query sorts its rows into one order, so pages
neither overlap nor skip (tests/test_catalog_queries.py checks it).
The names ``format``, ``limit`` and ``offset`` cannot be parameters.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .codelists import CodeList
from .graph import BASE, PREFIXES, iri
from .registry import Registry, ResolutionError

PARAM_TYPES = ("instrument", "channel", "string", "integer", "iri")
_PARAM = re.compile(r"^#\+\s*param\s+(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*:\s*(?P<spec>.*)$")
_META = re.compile(r"^#\+\s*(?P<key>summary|description)\s*:\s*(?P<value>.*)$")
RESERVED = ("format", "limit", "offset")  # query-string names that are not a query's parameters
# the LIMIT and OFFSET a query ends with, in either order (read with its comments taken out)
_MODIFIERS = re.compile(
    r"\s(?P<k1>LIMIT|OFFSET)\s+(?P<v1>[0-9]+)(?:\s+(?P<k2>LIMIT|OFFSET)\s+(?P<v2>[0-9]+))?\s*$", re.IGNORECASE)
# a VALUES clause that ends the query (after its solution modifiers, where no LIMIT may follow it)
_TRAILING_VALUES = re.compile(
    r"""(?<![\w?$:])VALUES\s*(?:[?$]\w+|\((?:\s*[?$]\w+)*\s*\))\s*"""
    r"""\{(?:[^{}"']|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')*\}\s*$""", re.IGNORECASE)
# what a comment can hide in, kept whole: IRIs and strings; and a comment, from # to the end of its line
_LEXEME = re.compile(
    r'''<[^<>"{}|^`\\\s]*>'''
    r'''|"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^'\\]|\\.|'(?!''))*\'\'\''''
    r'''|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*\''''
    r'''|\\.'''  # an escaped character of a prefixed name (ex:a\#b)
    r'''|\#[^\r\n]*''')


def without_comments(text: str) -> str:
    """``text`` without its comments (their lines stay, so the positions in an error hold)."""
    return _LEXEME.sub(lambda m: "" if m.group().startswith("#") else m.group(), text)


class QueryError(ValueError):
    """A user error in running a query: unknown name, bad parameter, bad SPARQL."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    description: str
    example: str | None


@dataclass
class NamedQuery:
    name: str
    path: Path
    text: str
    summary: str = ""
    description: str = ""
    params: list[Param] = field(default_factory=list)

    @property
    def example(self) -> dict[str, str]:
        return {p.name: p.example for p in self.params if p.example is not None}


def parse_named_query(path: Path) -> NamedQuery:
    text = path.read_text(encoding="utf-8")
    q = NamedQuery(path.stem, path, text)
    for lineno, line in enumerate(text.splitlines(), 1):
        if m := _PARAM.match(line):
            parts = [p.strip() for p in m.group("spec").split("|")]
            ptype = parts[0]
            if ptype not in PARAM_TYPES:
                raise QueryError(f"{path.name}:{lineno}: parameter type {ptype!r} is not one of {', '.join(PARAM_TYPES)}")
            if m.group("name").lower() in RESERVED:
                raise QueryError(f"{path.name}:{lineno}: {m.group('name')!r} cannot be a parameter's name: "
                                 f"{', '.join(RESERVED)} are the answer's format and page")
            desc = parts[1] if len(parts) > 1 else ""
            example = parts[2] if len(parts) > 2 and parts[2] else None
            q.params.append(Param(m.group("name"), ptype, desc, example))
        elif m := _META.match(line):
            setattr(q, m.group("key"), m.group("value").strip())
    return q


def page(text: str, limit: int | None = None, offset: int | None = None) -> str:
    """``text`` with its LIMIT and OFFSET set to ``limit`` and ``offset`` where given; the
    ones it ends with stay where not. Comments are taken out first (a LIMIT in a comment is
    none), and a VALUES clause that ends the query stays last."""
    if limit is None and offset is None:
        return text
    body, tail = without_comments(text).rstrip(), ""
    values = _TRAILING_VALUES.search(body)
    if values:
        body, tail = body[:values.start()].rstrip(), "\n" + body[values.start():].strip()
    own: dict[str, str] = {}
    m = _MODIFIERS.search(body)
    if m and (m.group("k2") is None or m.group("k1").upper() != m.group("k2").upper()):
        own = {m.group("k1").upper(): m.group("v1")}
        if m.group("k2"):
            own[m.group("k2").upper()] = m.group("v2")
        body = body[:m.start()]
    if limit is not None:
        own["LIMIT"] = str(limit)
    if offset is not None:
        own["OFFSET"] = str(offset)
    return body + "\n" + " ".join(f"{k} {own[k]}" for k in ("LIMIT", "OFFSET") if k in own) + tail + "\n"


def page_numbers(limit: str | None, offset: str | None) -> tuple[int | None, int | None]:
    """``limit`` and ``offset`` as typed (None: not given), checked: whole numbers, at least 0."""
    return rows_number("limit", limit), rows_number("offset", offset)


def rows_number(name: str, value: str | None) -> int | None:
    """A number of rows as typed: ASCII digits only, at most 12 of them."""
    if value is None:
        return None
    if not re.fullmatch(r"[0-9]{1,12}", value):
        raise QueryError(f"{name} must be a whole number of rows, 0 or more (got {value!r})")
    return int(value)


def load_named_queries(folder: Path) -> dict[str, NamedQuery]:
    return {p.stem: parse_named_query(p) for p in sorted(folder.glob("*.rq"))}


class QueryRunner:
    """Runs SPARQL on a store backend, binding named-query parameters as values."""

    def __init__(self, backend, registry: Registry, codelists: dict[str, CodeList]):
        self.backend = backend
        self.registry = registry
        self.codelists = codelists

    def bind(self, query: NamedQuery, values: dict[str, str]) -> dict[ox.Variable, object]:
        declared = {p.name: p for p in query.params}
        unknown = sorted(set(values) - set(declared))
        if unknown:
            raise QueryError(
                f"query {query.name!r} has no parameter {', '.join(unknown)}; its parameters: {', '.join(declared) or 'none'}"
            )
        bound = {}
        for p in query.params:
            if p.name not in values:
                example = f" (for example {p.name}={p.example})" if p.example else ""
                raise QueryError(f"query {query.name!r} needs the parameter {p.name!r}{example}")
            bound[ox.Variable(p.name)] = self._term(p, values[p.name])
        return bound

    def _term(self, p: Param, value: str):
        if p.type == "instrument":
            try:
                res = self.registry.resolve_text(value)
            except ResolutionError as exc:
                raise QueryError(f"parameter {p.name}: {exc}") from None
            return ox.NamedNode(str(iri("instrument", res.instrument.id)))
        if p.type == "channel":
            channels = self.codelists["channel"]
            code = channels.code_for(value) or (value if any(c.code == value for c in channels.concepts) else None)
            if code is None:
                known = "、".join(c.zh for c in channels.concepts)
                raise QueryError(f"parameter {p.name}: unknown channel {value!r}; known channels: {known}")
            return ox.NamedNode(str(iri(channels.path, code)))
        if p.type == "integer":
            if not re.fullmatch(r"[+-]?\d+", value.strip()):
                raise QueryError(f"parameter {p.name}: {value!r} is not an integer")
            return ox.Literal(value.strip(), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
        if p.type == "iri":
            try:
                return ox.NamedNode(value)
            except ValueError as exc:
                raise QueryError(f"parameter {p.name}: {value!r} is not an IRI ({exc})") from None
        return ox.Literal(value)

    def run(self, text: str, substitutions: dict | None = None, dataset=None):
        from .backends import QuerySyntaxError

        try:
            return self.backend.query(text, dataset=dataset, substitutions=substitutions or None, prefixes=QUERY_PREFIXES)
        except QuerySyntaxError as exc:
            raise QueryError(f"SPARQL error: {exc}") from None

    def run_named(self, query: NamedQuery, values: dict[str, str], limit: int | None = None, offset: int | None = None):
        return self.run(page(query.text, limit, offset), self.bind(query, values))


QUERY_PREFIXES = {k: str(v) for k, v in PREFIXES.items()} | {"id": BASE}


# ---------------------------------------------------------------- output

def rows(outcome) -> tuple[list[str], list[dict[str, str]]]:
    """Variables and rows (lexical values) of a SELECT outcome, from any backend."""
    doc = json.loads(b"".join(outcome.serialize("application/sparql-results+json")))
    names = doc["head"].get("vars", [])
    return names, [{n: b[n]["value"] for n in names if n in b} for b in doc["results"]["bindings"]]


def format_results(outcome, fmt: str) -> str:
    """Format a query outcome as ``json`` (SPARQL 1.1 Query Results JSON),
    ``csv`` (SPARQL 1.1 CSV) or ``table`` (aligned text for a terminal);
    CONSTRUCT/DESCRIBE results as N-Triples (``table``) or JSON-LD (``json``)."""
    if fmt not in ("table", "json", "csv"):
        raise QueryError(f"unknown format {fmt!r}: use table, json or csv")
    if outcome.kind == "graph":
        media = {"table": "application/n-triples", "json": "application/ld+json"}.get(fmt)
        if media is None:
            raise QueryError("CONSTRUCT and DESCRIBE results are RDF: use --format table (N-Triples) or json (JSON-LD)")
        return b"".join(outcome.serialize(media)).decode("utf-8")
    if fmt == "json":
        return b"".join(outcome.serialize("application/sparql-results+json")).decode("utf-8")
    if fmt == "csv":
        return b"".join(outcome.serialize("text/csv")).decode("utf-8")
    if outcome.kind == "boolean":
        doc = json.loads(b"".join(outcome.serialize("application/sparql-results+json")))
        return "true\n" if doc["boolean"] else "false\n"
    names, data = rows(outcome)
    return render_table(names, [[r.get(n, "") for n in names] for r in data])


def render_table(names: list[str], rows: list[list[str]]) -> str:
    from unicodedata import east_asian_width

    def width(s: str) -> int:
        return sum(2 if east_asian_width(ch) in "WF" else 1 for ch in s)

    widths = [max([width(n)] + [width(r[i]) for r in rows]) for i, n in enumerate(names)]
    pad = lambda s, w: s + " " * (w - width(s))  # noqa: E731
    out = io.StringIO()
    out.write("  ".join(pad(n, w) for n, w in zip(names, widths)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for r in rows:
        out.write("  ".join(pad(c, w) for c, w in zip(r, widths)).rstrip() + "\n")
    out.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n")
    return out.getvalue()


__all__ = ["QueryError", "NamedQuery", "QueryRunner", "load_named_queries", "format_results"]
