"""The data-quality report: SHACL shapes (``shapes/*.ttl``) run on the graph.

``validate()`` always returns a ``Report`` (conforms, results, report graph).
``conforms`` means *no Violation*: Warnings and Infos are reported but do not
fail a catalog. ``zwgk validate`` exits 0 when there is no Violation, 1 when
there is, 2 on an error (the pySHACL convention).

Two engines give the same report: the fast path (``fastvalidate``: the shapes
compiled to SPARQL on Oxigraph, a fraction of a second for a catalog) and
pySHACL (the reference, seconds). ``engine="auto"`` (the default, used by
``zwgk build`` and ``zwgk validate``) takes the fast path and falls back to
pySHACL when the shapes use a feature the compiler does not translate.

The report is the same on every run: results in a fixed order, every list a
message holds (a SPARQL ``GROUP_CONCAT``, which engines concatenate in their
own order) sorted, and the report graph written with fixed blank-node labels.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, SH

from .graph import ZWGK
from .text import is_cjk

SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}
ENGINES = ("auto", "fast", "pyshacl")
# links from an item to the nodes that belong to it
_ITEM_PARTS = (ZWGK.citation, ZWGK.disclosureElement, ZWGK.correction, PROV.wasDerivedFrom)
_SHAPE_KINDS = (SH.NodeShape, SH.PropertyShape)


class ShapesError(ValueError):
    """The shapes folder holds no usable shapes (no file, a file that is not Turtle, no shape)."""


@dataclass(frozen=True)
class Result:
    severity: str
    focus: str
    item: int | None
    path: str | None
    message: str
    message_en: str | None
    constraint: str
    shape: str | None
    value: str | None


@dataclass(frozen=True)
class Entry:
    """A result with the RDF terms its report-graph node needs (N-Triples / IRIs)."""

    result: Result
    focus: str  # the focus node in N-Triples
    value: str | None  # the value node in N-Triples
    source_constraint: str | None  # sh:sourceConstraint (an IRI), SPARQL constraints only


@dataclass
class Report:
    conforms: bool
    results: list[Result]
    entries: list[Entry] = field(default_factory=list, repr=False)
    engine: str = "pyshacl"
    _graph: Graph | None = field(default=None, repr=False)

    @property
    def graph(self) -> Graph:
        """The SHACL validation report graph (built on first use)."""
        if self._graph is None:
            self._graph = report_graph(self.conforms, self.entries)
        return self._graph

    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in SEVERITY_ORDER}
        for r in self.results:
            out[r.severity] += 1
        return out


def load_shapes(folder: Path) -> Graph:
    """Every ``*.ttl`` of ``folder``, as one shapes graph; ``ShapesError`` when there is no shape."""
    files = sorted(Path(folder).glob("*.ttl"))
    if not files:
        raise ShapesError(f"no SHACL shapes (*.ttl) in {folder}")
    shapes = Graph()
    for f in files:
        try:
            shapes.parse(f, format="turtle")
        except Exception as exc:  # a syntax error in a shapes file: say which file
            raise ShapesError(f"cannot read the shapes file {f}: {exc}") from None
    if not any(True for kind in _SHAPE_KINDS for _ in shapes.subjects(RDF.type, kind)) and \
            not any(True for p in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
                    for _ in shapes.subjects(p, None)):
        raise ShapesError(f"the *.ttl files in {folder} declare no SHACL shape (sh:NodeShape or sh:PropertyShape)")
    return shapes


# ---------------------------------------------------------------- messages

_GROUP_CONCAT = re.compile(r"\bGROUP_CONCAT\s*\(", re.I)
_PLACEHOLDER = re.compile(r"\{[?$](\w+)\}")
_NUMBER_RUN = re.compile(r"\d+(?:(?:、|, )\d+)+")


def list_variables(query: str) -> dict[str, str]:
    """The variables of a SPARQL query bound by ``GROUP_CONCAT(…; separator="s")``, with
    their separator: the lists a message may hold."""
    out = {}
    for m in _GROUP_CONCAT.finditer(query):
        depth, i = 0, m.end() - 1
        while i < len(query):
            depth += {"(": 1, ")": -1}.get(query[i], 0)
            if depth == 0:
                break
            i += 1
        sep = re.search(r'separator\s*=\s*"((?:[^"\\]|\\.)*)"', query[m.end():i], re.S)
        name = re.compile(r"\bAS\s+[?$](\w+)", re.I).search(query, i)
        if name:
            out[name.group(1)] = sep.group(1) if sep else " "
    return out


def _natural(text: str) -> list:
    return [(0, int(t)) if t.isdigit() else (1, t) for t in re.findall(r"\d+|\D+", text)]


def sort_list(value: str, separator: str) -> str:
    """A concatenated list in a fixed order: its parts sorted (numbers by value), and each
    run of numbers inside a part ("事项 72、70") sorted too."""
    def numbers(m: re.Match) -> str:
        sep = "、" if "、" in m.group() else ", "
        return sep.join(sorted(m.group().split(sep), key=int))

    parts = [_NUMBER_RUN.sub(numbers, p) for p in value.split(separator)] if separator else [value]
    return separator.join(sorted(parts, key=_natural))


def fill(template: str, values: dict[str, str], lists: dict[str, str]) -> str:
    """A message template with its {?var} filled in; list values sorted."""
    def one(m: re.Match) -> str:
        name = m.group(1)
        if name not in values:
            return m.group()
        return sort_list(values[name], lists[name]) if name in lists else values[name]

    return _PLACEHOLDER.sub(one, template)


def _template(message: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(message)
    # parts alternate: literal text, variable name, literal text, …
    out = []
    for k, part in enumerate(parts):
        out.append(re.escape(part) if k % 2 == 0 else f"(?P<v{k // 2}>.*?)")
    return re.compile("".join(out) + r"\Z", re.S)


def refill(message: str, template: str, lists: dict[str, str]) -> str:
    """A message an engine filled in, with its lists sorted (read back through its template)."""
    if not lists:
        return message
    m = _template(template).match(message)
    if m is None:
        return message
    names = _PLACEHOLDER.findall(template)
    values = {}
    for k, name in enumerate(names):
        values.setdefault(name, m.group(f"v{k}"))
    return fill(template, values, lists)


def _messages(report_graph: Graph, result, shapes: Graph) -> tuple[str | None, str | None]:
    """The zh and en message of a pySHACL result. pySHACL drops the language tag when it
    fills in a message template, so each message is matched back to the tagged templates of
    its constraint (then of its shape); a SPARQL constraint's own message wins over the
    static message of the node shape that holds it. Lists are sorted."""
    constraint = report_graph.value(result, SH.sourceConstraint)
    lists = {}
    if constraint is not None and shapes.value(constraint, SH.select) is not None:
        lists = list_variables(str(shapes.value(constraint, SH.select)))
    templates = []  # (priority, language, pattern, template): the constraint's own templates first
    for priority, source in enumerate((constraint, report_graph.value(result, SH.sourceShape))):
        if source is not None:
            templates += [(priority, m.language, _template(str(m)), str(m)) for m in shapes.objects(source, SH.message)
                          if isinstance(m, Literal)]
    templates.sort(key=lambda x: (x[0], str(x[1]), x[3]))
    found: dict[str, tuple[int, str]] = {}
    for m in sorted(report_graph.objects(result, SH.resultMessage), key=str):
        match = next(((p, lang, t) for p, lang, pat, t in templates if lang and pat.match(str(m))), None)
        text = refill(str(m), match[2], lists) if match else str(m)
        if m.language:
            match = (match[0] if match else 2, m.language, None)
        if match is None:  # no template matched: tell by the first letter
            first = next((ch for ch in str(m) if ch.isalpha()), "")
            match = (2, "zh" if is_cjk(first) else "en", None)
        priority, lang, _ = match
        if lang not in found or priority < found[lang][0]:
            found[lang] = (priority, text)
    return (found["zh"][1] if "zh" in found else None), (found["en"][1] if "en" in found else None)


# ---------------------------------------------------------------- engines

def _item_numbers(data: Graph) -> dict[URIRef, int]:
    numbers: dict[URIRef, int] = {}
    for item, number in data.subject_objects(ZWGK.itemNumber):
        try:
            n = int(number)
        except ValueError:
            continue
        numbers[item] = n
        for prop in _ITEM_PARTS:
            for part in data.objects(item, prop):
                numbers.setdefault(part, n)
    return numbers


def finish(entries: list[Entry], engine: str) -> Report:
    """The report of ``entries``: in a fixed order (item, severity, constraint, path, focus,
    message, value); conforms when no result is a Violation."""
    entries = sorted(entries, key=lambda e: (
        e.result.item is None, e.result.item or 0, SEVERITY_ORDER.get(e.result.severity, 9), e.result.constraint,
        e.result.path or "", e.result.focus, e.result.message, e.result.value or "", e.result.shape or ""))
    results = [e.result for e in entries]
    return Report(not any(r.severity == "Violation" for r in results), results, entries, engine)


def validate_pyshacl(data: Graph, shapes: Graph) -> Report:
    """The report as pySHACL gives it (the reference)."""
    from pyshacl import validate as shacl_validate

    _, report_graph_, _ = shacl_validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True, abort_on_first=False
    )
    numbers = _item_numbers(data)
    entries = []
    for node in report_graph_.subjects(SH.resultSeverity, None):
        severity = str(report_graph_.value(node, SH.resultSeverity)).rsplit("#", 1)[-1]
        focus = report_graph_.value(node, SH.focusNode)
        zh, en = _messages(report_graph_, node, shapes)
        path = report_graph_.value(node, SH.resultPath)
        value = report_graph_.value(node, SH.value)
        shape = report_graph_.value(node, SH.sourceShape)
        constraint = report_graph_.value(node, SH.sourceConstraint)
        result = Result(
            severity=severity,
            focus=str(focus),
            item=numbers.get(focus),
            path=str(path) if isinstance(path, URIRef) else None,
            message=zh or en or "",
            message_en=en,
            constraint=str(report_graph_.value(node, SH.sourceConstraintComponent)),
            shape=str(shape) if isinstance(shape, URIRef) else None,
            value=str(value) if value is not None else None,
        )
        entries.append(Entry(result, focus.n3(), value.n3() if value is not None else None,
                             str(constraint) if isinstance(constraint, URIRef) else None))
    return finish(entries, "pyshacl")


def validate(data, shapes: Graph, engine: str = "auto") -> Report:
    """The data-quality report of ``data`` against the SHACL ``shapes``.

    ``engine``: ``auto`` (the fast path; pySHACL for shapes it cannot compile), ``fast``
    (the fast path or ``fastvalidate.Unsupported``), ``pyshacl``. ``data`` is an rdflib
    Graph (any engine) or, for the fast path, a pyoxigraph Store or an RDF file."""
    if engine not in ENGINES:
        raise ValueError(f"unknown validation engine {engine!r}: one of {', '.join(ENGINES)}")
    if engine == "pyshacl":
        return validate_pyshacl(data, shapes)
    from . import fastvalidate

    try:
        checks = fastvalidate.compile_shapes(shapes)
    except fastvalidate.Unsupported:
        if engine == "fast":
            raise
        return validate_pyshacl(data, shapes)
    return fastvalidate.run_checks(data, checks)


# ---------------------------------------------------------------- the report graph

def report_graph(conforms: bool, entries: list[Entry]) -> Graph:
    """The SHACL report graph, the same for both engines and on every run: one result node
    per entry in report order, with fixed blank-node labels, and exactly one zh and one en
    message, each with its language tag."""
    from rdflib.util import from_n3

    g = Graph()
    g.bind("sh", SH)
    report = BNode("report")
    g.add((report, RDF.type, SH.ValidationReport))
    g.add((report, SH.conforms, Literal(conforms)))
    for k, e in enumerate(entries, 1):
        r, node = e.result, BNode(f"result{k:06d}")
        g.add((report, SH.result, node))
        g.add((node, RDF.type, SH.ValidationResult))
        g.add((node, SH.focusNode, from_n3(e.focus)))
        g.add((node, SH.resultSeverity, SH[r.severity]))
        if r.shape:
            g.add((node, SH.sourceShape, URIRef(r.shape)))
        g.add((node, SH.sourceConstraintComponent, URIRef(r.constraint)))
        if r.path:
            g.add((node, SH.resultPath, URIRef(r.path)))
        if e.value is not None:
            g.add((node, SH.value, from_n3(e.value)))
        if e.source_constraint:
            g.add((node, SH.sourceConstraint, URIRef(e.source_constraint)))
        zh = r.message if r.message != r.message_en else None
        for text, lang in ((zh, "zh"), (r.message_en, "en")):
            if text:
                g.add((node, SH.resultMessage, Literal(text, lang=lang)))
    return g


# ---------------------------------------------------------------- formats

def as_json(report: Report) -> str:
    keys = ("severity", "focus", "item", "path", "message", "constraint")
    doc = {
        "conforms": report.conforms,
        "counts": report.counts(),
        "results": [{k: asdict(r)[k] for k in keys} | {"message_en": r.message_en, "value": r.value, "shape": r.shape}
                    for r in report.results],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _group_order(report: Report) -> list[tuple[int | None, list[Result]]]:
    """Results grouped by item; groups most severe first, then by item number (results not
    tied to an item after the items of the same severity); in a group most severe first."""
    groups: dict[int | None, list[Result]] = {}
    for r in report.results:
        groups.setdefault(r.item, []).append(r)
    for rs in groups.values():
        rs.sort(key=lambda r: SEVERITY_ORDER.get(r.severity, 9))  # stable: the report order within a severity
    return sorted(groups.items(), key=lambda kv: (min(SEVERITY_ORDER.get(r.severity, 9) for r in kv[1]),
                                                  kv[0] is None, kv[0] or 0))


def as_text(report: Report) -> str:
    """Readable by a person: grouped by item, most severe first."""
    c = report.counts()
    lines = [
        f"{'conforms' if report.conforms else 'does not conform'}: "
        f"{c['Violation']} violations, {c['Warning']} warnings, {c['Info']} notes"
    ]
    for item, results in _group_order(report):
        lines.append("")
        lines.append(f"item {item}" if item is not None else "not tied to an item")
        for r in results:
            where = f" [{r.path.rsplit('#', 1)[-1].rsplit('/', 1)[-1]}]" if r.path else ""
            en = f" / {r.message_en}" if r.message_en and r.message_en != r.message else ""
            focus = "" if r.item is not None else f" {r.focus}"
            shown = f" (value: {r.value})" if r.value and r.value != r.focus and r.value not in r.message else ""
            lines.append(f"  {r.severity:<9}{where}{focus} {r.message}{shown}{en}")
    return "\n".join(lines) + "\n"


def as_html(report: Report) -> str:
    c = report.counts()
    rows = "\n".join(
        f"<tr class='{html.escape(r.severity.lower())}'><td>{'' if r.item is None else r.item}</td>"
        f"<td>{html.escape(r.severity)}</td><td>{html.escape(r.path or '')}</td>"
        f"<td lang='zh'>{html.escape(r.message)}</td><td lang='en'>{html.escape(r.message_en or '')}</td>"
        f"<td>{html.escape(r.focus)}</td></tr>"
        for _, results in _group_order(report) for r in results
    )
    return (
        "<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>zwgk data-quality report</title></head><body>"
        f"<h1>Data-quality report</h1><p>{'Conforms' if report.conforms else 'Does not conform'}: "
        f"{c['Violation']} violations, {c['Warning']} warnings, {c['Info']} notes.</p>"
        "<table><thead><tr><th>item</th><th>severity</th><th>path</th><th>message</th><th>message (en)</th><th>focus</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></body></html>\n"
    )


def as_turtle(report: Report) -> str:
    return report.graph.serialize(format="turtle")


FORMATS = {"text": as_text, "json": as_json, "ttl": as_turtle, "html": as_html}
