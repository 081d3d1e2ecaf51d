"""The data-quality report at scale: the SHACL shapes compiled to SPARQL and run on Oxigraph.

pySHACL (``validate.py``) stays the reference: it checks one focus node at a time in Python
(and re-parses a SPARQL constraint for each), which takes seconds for one catalog and hours for
thousands. Here each constraint of each shape becomes *one* SPARQL query over all its focus
nodes, run by Oxigraph:

* targets (``sh:targetClass`` with subclasses, ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``,
  ``sh:targetNode``, SHACL-AF ``sh:SPARQLTarget``) become a sub-select that binds ``?this``;
* core constraints of property shapes (``sh:minCount``, ``sh:maxCount``, ``sh:datatype``,
  ``sh:class``, ``sh:in``, ``sh:pattern``, ``sh:languageIn``, ``sh:uniqueLang``, ``sh:nodeKind``,
  ``sh:hasValue``, ``sh:min/maxInclusive/Exclusive``, ``sh:min/maxLength``) become a query that
  returns the failing focus nodes (and value nodes), over any SHACL path;
* a SPARQL constraint (``sh:sparql``) keeps its query: ``$this`` is bound by joining the target
  sub-select first, which gives what pre-binding gives for the queries of ``shapes/``; a query
  where it might not (a sub-select, LIMIT/OFFSET, aggregation not grouped by ``$this``, ``$this``
  not projected, ``$PATH``) is run once per focus node with ``$this`` pre-bound instead
  (pyoxigraph substitutions), exactly as SHACL-SPARQL defines it.

A shape using anything else raises ``Unsupported``: the caller falls back to pySHACL rather than
get a different answer. The result is the same ``Report`` as ``validate.validate`` (severity,
focus, item, path, zh/en messages, constraint component, source shape, value, the same order);
``tests/test_fastvalidate.py`` proves it is the same on the Hami catalog and on every shape's
fixtures. The report graph is built only when asked for (``report.graph``).
"""

from __future__ import annotations

import multiprocessing
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH, XSD

from .graph import ZWGK
from .text import is_cjk
from .validate import _ITEM_PARTS, Entry, Report, Result, fill, finish, list_variables

RDFS_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
RDF_TYPE = str(RDF.type)
TARGET_PREDICATES = (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode, SH.target)
# datatypes whose lexical form Oxigraph can check by casting (an ill-typed literal fails sh:datatype)
CASTABLE = {str(XSD[t]) for t in ("integer", "decimal", "double", "float", "boolean", "date", "dateTime", "time")}
HANDLED = {
    SH.minCount, SH.maxCount, SH.datatype, SH["class"], SH["in"], SH.pattern, SH.flags, SH.languageIn,
    SH.uniqueLang, SH.nodeKind, SH.hasValue, SH.minInclusive, SH.maxInclusive, SH.minExclusive,
    SH.maxExclusive, SH.minLength, SH.maxLength, SH.sparql, SH.property, SH.path, SH.severity, SH.message,
    SH.name, SH.description, SH.order, SH.group, SH.deactivated, SH.defaultValue, RDF.type, *TARGET_PREDICATES,
    URIRef("http://www.w3.org/2000/01/rdf-schema#label"), URIRef("http://www.w3.org/2000/01/rdf-schema#comment"),
}


class Unsupported(NotImplementedError):
    """The shapes use a SHACL feature this compiler does not translate: use pySHACL."""


@dataclass
class Check:
    """One compiled constraint: a SELECT returning ?this (and ?value), and what a row reports."""

    query: str
    severity: str
    shape: str  # sh:sourceShape
    component: str  # sh:sourceConstraintComponent
    path: str | None  # sh:resultPath (an IRI path), None for node shapes and complex paths
    path_node: object = None  # the rdflib path node (for the report graph)
    messages: list = field(default_factory=list)  # rdflib Literals (templates for SPARQL constraints)
    constraint: object = None  # sh:sourceConstraint (SPARQL constraints)
    value_is_focus: bool = False  # node-shape SPARQL constraint: ?value defaults to the focus node
    per_focus: str | None = None  # run once per focus node, $this pre-bound (the focus query)
    fill: bool = False  # messages are templates ({?var})
    target: str = ""  # the target sub-select in ``query`` (binds ?this)
    target_prefixes: str = ""
    lists: dict = field(default_factory=dict)  # variables bound by GROUP_CONCAT → separator (sorted in messages)


@dataclass
class Found:
    check: Check
    focus: object  # pyoxigraph term
    value: object | None
    bindings: dict


FastReport = Report  # the report of either engine (``validate.Report``)


# ------------------------------------------------------------------ compiling the shapes

def _n3(term) -> str:
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        return term.n3()
    raise Unsupported(f"cannot write {term!r} in a compiled query")


def _path(sg: Graph, node) -> str:
    if isinstance(node, URIRef):
        return f"<{node}>"
    if (node, RDF.first, None) in sg:
        return "(" + "/".join(_path(sg, p) for p in Collection(sg, node)) + ")"
    for pred, fmt in ((SH.inversePath, "^({})"), (SH.zeroOrMorePath, "({})*"), (SH.oneOrMorePath, "({})+"),
                      (SH.zeroOrOnePath, "({})?")):
        inner = sg.value(node, pred)
        if inner is not None:
            return fmt.format(_path(sg, inner))
    alt = sg.value(node, SH.alternativePath)
    if alt is not None:
        return "(" + "|".join(_path(sg, p) for p in Collection(sg, alt)) + ")"
    raise Unsupported(f"unknown SHACL path {node!r}")


def _prefixes(sg: Graph, *nodes) -> str:
    decls = {}
    for node in nodes:
        for onto in sg.objects(node, SH.prefixes):
            for decl in sg.objects(onto, SH.declare):
                decls[str(sg.value(decl, SH.prefix))] = str(sg.value(decl, SH.namespace))
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(decls.items()))


def _targets(sg: Graph, shape) -> tuple[list[str], str]:
    """Target patterns (each binds ?this) and the prefixes their SPARQL targets need."""
    pats, prefixes = [], ""
    for c in sg.objects(shape, SH.targetClass):
        pats.append(f"?target_c <{RDFS_SUBCLASS}>* {_n3(c)} . ?this <{RDF_TYPE}> ?target_c .")
    for p in sg.objects(shape, SH.targetSubjectsOf):
        pats.append(f"?this {_n3(p)} ?target_o .")
    for p in sg.objects(shape, SH.targetObjectsOf):
        pats.append(f"?target_s {_n3(p)} ?this .")
    nodes = list(sg.objects(shape, SH.targetNode))
    if nodes:
        pats.append("VALUES ?this { " + " ".join(_n3(n) for n in nodes) + " }")
    for t in sg.objects(shape, SH.target):
        select = sg.value(t, SH.select)
        if (t, RDF.type, SH.SPARQLTarget) not in sg or select is None:
            raise Unsupported(f"target {t} is not a sh:SPARQLTarget with sh:select")
        prefixes += _prefixes(sg, t)
        pats.append("{ " + str(select) + " }")
    return pats, prefixes


def _target_block(pats: list[str]) -> str:
    union = " UNION ".join("{ " + p + " }" for p in pats)
    return f"{{ SELECT DISTINCT ?this WHERE {{ {union} }} }}"


def _severity(sg: Graph, shape) -> str:
    sev = sg.value(shape, SH.severity)
    return str(sev).rsplit("#", 1)[-1] if sev is not None else "Violation"


def _messages(sg: Graph, node) -> list:
    return sorted((m for m in sg.objects(node, SH.message) if isinstance(m, Literal)), key=lambda m: (str(m.language), str(m)))


def _component(name: str) -> str:
    return str(SH[f"{name}ConstraintComponent"])


def compile_shapes(sg: Graph) -> list[Check]:
    """Every constraint of every active shape of ``sg``, as a query over all focus nodes."""
    checks: list[Check] = []
    shapes = {s for p in TARGET_PREDICATES for s in sg.subjects(p, None)}
    shapes |= set(sg.subjects(RDF.type, SH.NodeShape))
    for shape in sorted(shapes, key=str):
        if str(sg.value(shape, SH.deactivated)).lower() == "true":
            continue
        pats, target_prefixes = _targets(sg, shape)
        if not pats:
            continue  # a shape without targets checks nothing on its own
        target = _target_block(pats)
        is_property = sg.value(shape, SH.path) is not None
        checks += _core(sg, shape, target, target_prefixes, is_property)
        for prop in sg.objects(shape, SH.property):
            if str(sg.value(prop, SH.deactivated)).lower() == "true":
                continue
            checks += _core(sg, prop, target, target_prefixes, True)
            if any(sg.objects(prop, SH.property)) or any(sg.objects(prop, SH.sparql)):
                raise Unsupported(f"nested shapes or SPARQL constraints on property shape {prop}")
        for constraint in sg.objects(shape, SH.sparql):
            if is_property:
                raise Unsupported(f"SPARQL constraint on property shape {shape} ($PATH)")
            if str(sg.value(constraint, SH.deactivated)).lower() == "true":
                continue
            checks.append(_sparql(sg, shape, constraint, target, target_prefixes))
    return checks


def _core(sg: Graph, shape, target: str, prefixes: str, is_property: bool) -> list[Check]:
    unknown = {p for p in sg.predicates(shape, None) if p not in HANDLED}
    if unknown:
        raise Unsupported(f"shape {shape} uses {', '.join(sorted(map(str, unknown)))}")
    out: list[Check] = []
    path_node = sg.value(shape, SH.path) if is_property else None
    path = _path(sg, path_node) if is_property else None
    base = dict(severity=_severity(sg, shape), shape=str(shape), messages=_messages(sg, shape),
                path=str(path_node) if isinstance(path_node, URIRef) else None, path_node=path_node,
                target=target, target_prefixes=prefixes)
    value_pat = f"?this {path} ?value ." if is_property else "BIND (?this AS ?value)"

    def values_failing(name: str, condition: str) -> None:
        q = f"{prefixes}SELECT DISTINCT ?this ?value WHERE {{ {target} {value_pat} FILTER ({condition}) }}"
        out.append(Check(q, component=_component(name), **base))

    def focus_failing(name: str, where: str, extra: str = "") -> None:
        q = f"{prefixes}SELECT ?this WHERE {{ {target} {where} }} {extra}"
        out.append(Check(q, component=_component(name), **base))

    for n in sg.objects(shape, SH.minCount):
        if not is_property:
            raise Unsupported("sh:minCount on a node shape")
        if int(n) == 1:  # an anti-join Oxigraph runs as one hash join (see _decorrelate)
            focus_failing("MinCount", f"OPTIONAL {{ SELECT DISTINCT ?this (true AS ?has) WHERE {{ ?this {path} ?v }} }} "
                                      "FILTER (!BOUND(?has))")
        elif int(n) > 1:
            focus_failing("MinCount", f"OPTIONAL {{ ?this {path} ?v }}", f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {int(n)})")
    for n in sg.objects(shape, SH.maxCount):
        if not is_property:
            raise Unsupported("sh:maxCount on a node shape")
        focus_failing("MaxCount", f"?this {path} ?v .", f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) > {int(n)})")
    for dt in sg.objects(shape, SH.datatype):
        if str(dt) == str(RDF.langString):
            cond = "!(isLiteral(?value) && lang(?value) != \"\")"
        else:
            ok = f"isLiteral(?value) && datatype(?value) = {_n3(dt)}"
            if str(dt) in CASTABLE:
                ok += f" && COALESCE(isLiteral({_n3(dt)}(STR(?value))), false)"
            cond = f"!({ok})"
        values_failing("Datatype", cond)
    for c in sg.objects(shape, SH["class"]):
        q = (f"{prefixes}SELECT DISTINCT ?this ?value WHERE {{ {target} {value_pat} "
             f"OPTIONAL {{ SELECT DISTINCT ?value (true AS ?ok) WHERE {{ ?k <{RDFS_SUBCLASS}>* {_n3(c)} . ?value <{RDF_TYPE}> ?k }} }} "
             "FILTER (!BOUND(?ok)) }")
        out.append(Check(q, component=_component("Class"), **base))
    for lst in sg.objects(shape, SH["in"]):
        members = list(Collection(sg, lst))
        cond = " || ".join(f"sameTerm(?value, {_n3(m)})" for m in members) or "false"
        values_failing("In", f"!({cond})")
    for pat in sg.objects(shape, SH.pattern):
        flags = sg.value(shape, SH.flags)
        regex = f"REGEX(STR(?value), {Literal(str(pat)).n3()}" + (f", {Literal(str(flags)).n3()})" if flags else ")")
        values_failing("Pattern", f"isBlank(?value) || !{regex}")
    for lst in sg.objects(shape, SH.languageIn):
        langs = [str(x) for x in Collection(sg, lst)]
        cond = " || ".join(f"langMatches(lang(?value), {Literal(lang).n3()})" for lang in langs) or "false"
        values_failing("LanguageIn", f"!(isLiteral(?value) && ({cond}))")
    for unique in sg.objects(shape, SH.uniqueLang):
        if str(unique).lower() == "true":
            if not is_property:
                raise Unsupported("sh:uniqueLang on a node shape")
            # one result per focus node and language used by two value nodes (no sh:value, as pySHACL)
            q = (f"{prefixes}SELECT ?this ?lang WHERE {{ {target} ?this {path} ?a , ?b . "
                 f"FILTER (!sameTerm(?a, ?b) && lang(?a) != \"\" && LCASE(lang(?a)) = LCASE(lang(?b))) "
                 f"BIND (LCASE(lang(?a)) AS ?lang) }} GROUP BY ?this ?lang")
            out.append(Check(q, component=_component("UniqueLang"), **base))
    kinds = {"IRI": "isIRI(?value)", "BlankNode": "isBlank(?value)", "Literal": "isLiteral(?value)",
             "BlankNodeOrIRI": "!isLiteral(?value)", "BlankNodeOrLiteral": "!isIRI(?value)", "IRIOrLiteral": "!isBlank(?value)"}
    for kind in sg.objects(shape, SH.nodeKind):
        values_failing("NodeKind", f"!({kinds[str(kind).rsplit('#', 1)[-1]]})")
    for v in sg.objects(shape, SH.hasValue):
        inner = f"?this {path} ?hv ." if is_property else "BIND (?this AS ?hv)"
        focus_failing("HasValue", f"FILTER NOT EXISTS {{ {inner} FILTER (sameTerm(?hv, {_n3(v)})) }}")
    for pred, op, name in ((SH.minInclusive, ">=", "MinInclusive"), (SH.maxInclusive, "<=", "MaxInclusive"),
                           (SH.minExclusive, ">", "MinExclusive"), (SH.maxExclusive, "<", "MaxExclusive")):
        for bound in sg.objects(shape, pred):
            values_failing(name, f"!COALESCE(?value {op} {_n3(bound)}, false)")
    for pred, op, name in ((SH.minLength, ">=", "MinLength"), (SH.maxLength, "<=", "MaxLength")):
        for n in sg.objects(shape, pred):
            values_failing(name, f"isBlank(?value) || !(STRLEN(STR(?value)) {op} {int(n)})")
    return out


_STRINGS = re.compile(r"\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|#[^\n]*|<[^<>\s]*>")
_SELECT = re.compile(r"\bSELECT\b", re.I)


def _code(text: str) -> str:
    """The query with strings, comments and IRIs blanked out (same length), to look for keywords."""
    return _STRINGS.sub(lambda m: " " * len(m.group()), text)


_VAR = re.compile(r"[?$]([A-Za-z_][A-Za-z0-9_]*)")
_EXISTS = re.compile(r"\b(NOT\s+)?EXISTS\s*\{", re.I)
_NOT_PLAIN = re.compile(r"\b(OPTIONAL|MINUS|SELECT|EXISTS|GRAPH|SERVICE|VALUES|BIND|UNION)\b", re.I)


def _closing(code: str, at: int) -> int:
    """The index of the bracket closing the one at ``at`` (in code with strings blanked)."""
    pair = {"{": "}", "(": ")"}[code[at]]
    depth = 0
    for i in range(at, len(code)):
        if code[i] == code[at]:
            depth += 1
        elif code[i] == pair:
            depth -= 1
            if depth == 0:
                return i
    raise Unsupported("unbalanced brackets in a SPARQL constraint")


def _without_filters(code: str) -> str:
    out, i = code, 0
    while (m := re.compile(r"\bFILTER\s*\(", re.I).search(out, i)) is not None:
        end = _closing(out, m.end() - 1)
        out = out[: m.start()] + " " * (end + 1 - m.start()) + out[end + 1:]
        i = m.start()
    return out


def _decorrelate(text: str) -> str:
    """``EXISTS { P }`` and ``NOT EXISTS { P }`` become ``BOUND(?e)`` / ``!BOUND(?e)`` over
    ``OPTIONAL { SELECT DISTINCT <shared variables> (true AS ?e) WHERE { P } }`` at the end of the
    enclosing group. Oxigraph plans an EXISTS pattern without the outer bindings and runs it
    once per row (quadratic on a national graph); the sub-select runs once and is hash-joined.
    Only a plain P qualifies (triple patterns and FILTERs, no OPTIONAL/MINUS/UNION/BIND/VALUES/
    sub-select/nested EXISTS) whose shared variables are all bound by its triple patterns: then
    EXISTS (substitution of the outer solution into P) and the left join agree."""
    skip: set[int] = set()
    k = 0
    while True:
        code = _code(text)
        todo = [m for m in _EXISTS.finditer(code) if m.start() not in skip]
        if not todo:
            return text
        m = todo[-1]
        brace = m.end() - 1
        end = _closing(code, brace)
        inner = code[brace + 1:end]
        opening = max(i for i in range(m.start()) if code[i] == "{" and _closing(code, i) > end)
        close = _closing(code, opening)
        # shared with the group the EXISTS stands in (not with another branch of a UNION: a variable
        # of the same name there is another variable, and joining on it would repeat rows)
        shared = {v for v in _VAR.findall(inner)} & {v for v in _VAR.findall(code[opening:m.start()] + code[end + 1:close])}
        bound_in_patterns = set(_VAR.findall(_without_filters(inner)))
        if _NOT_PLAIN.search(inner) or not shared or not shared <= bound_in_patterns:
            skip.add(m.start())
            continue
        name = f"?zwgk_exists_{k}"
        k += 1
        sub = (f" OPTIONAL {{ SELECT DISTINCT {' '.join('?' + v for v in sorted(shared))} (true AS {name}) "
               f"WHERE {{ {text[brace + 1:end]} }} }} ")
        test = f"(!BOUND({name}))" if m.group(1) else f"(BOUND({name}))"
        text = text[:close] + sub + text[close:]
        text = text[: m.start()] + test + text[end + 1:]


_KEYWORD = re.compile(r"\b(FILTER|BIND|OPTIONAL|MINUS|VALUES|GRAPH|SERVICE|UNION)\b|\{|\(", re.I)
_TERMS = re.compile(r"\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|<[^<>\s]*>|#[^\n]*")


def _opaque(text: str) -> str:
    """Strings and IRIs as runs of 'x', comments as spaces: tokens stay whole, keywords inside
    them vanish."""
    return _TERMS.sub(lambda m: " " * len(m.group()) if m.group().startswith("#") else "x" * len(m.group()), text)


def _triples(text: str, code: str) -> list[tuple[str, str, str]] | None:
    """The triples of a plain run of triple patterns (``s p o ; p o , o .``), or None if the run
    is not plain (blank nodes, collections, paths with brackets …)."""
    if re.search(r"[\[\]()]", code):
        return None
    toks = []
    for m in re.finditer(r"[^\s;,]+|[;,]", code):
        tok = text[m.start():m.end()]
        if tok.endswith(".") and not re.fullmatch(r"[+-]?\d*\.", tok):
            toks += [tok[:-1], "."] if len(tok) > 1 else ["."]
        else:
            toks.append(tok)
    triples, subject, pred, expect = [], None, None, "s"
    for tok in toks:
        if expect == "s":
            if tok != ".":
                subject, expect = tok, "p"
        elif tok in (".", ";", ","):
            if expect != "sep":
                return None
            expect = {".": "s", ";": "p", ",": "o"}[tok]
        elif expect == "p":
            pred, expect = tok, "o"
        elif expect == "o":
            triples.append((subject, pred, tok))
            expect = "sep"
        else:
            return None
    return triples if expect in ("s", "sep") else None


def _split_stars(text: str) -> str:
    """Each top-level run of triple patterns becomes one sub-select per subject variable
    ("stars"), joined. A BGP is the join of its triple patterns, so this is the same query; but
    Oxigraph, which orders joins without statistics, then hash-joins the stars instead of
    pairing two patterns on a shared object first (``?i zwgk:inCatalog ?c . ?j zwgk:inCatalog
    ?c`` pairs every two items of a catalog). Anything this reader does not know (blank nodes,
    paths with brackets, a bracket outside FILTER/BIND/VALUES) leaves the query as it is."""
    code = _opaque(text)
    open_ = code.find("{")
    close = _closing(code, open_)
    runs, i = [], open_ + 1
    while True:
        m = _KEYWORD.search(code, i, close)
        if m is None:
            runs.append((i, close))
            break
        runs.append((i, m.start()))
        word = (m.group(1) or "").upper()
        if not word:
            if m.group() == "(":
                return text  # a bracket in a triple pattern: not for this reader
            k = m.start()
        else:
            k = m.end()
            while k < close and code[k] not in "({":
                k += 1
            if k >= close:
                return text
        k = _closing(code, k) + 1
        if word == "VALUES" and code[k - 1] == ")":
            while k < close and code[k] != "{":
                k += 1
            k = _closing(code, k) + 1
        i = k
    out, last = [], 0
    for a, b in runs:
        if not code[a:b].strip():
            continue
        triples = _triples(text[a:b], code[a:b])
        if triples is None:
            return text
        stars: dict[str, list] = {}
        for t in triples:
            stars.setdefault(t[0], []).append(t)
        if len(stars) < 2 or not all(subject.startswith(("?", "$")) for subject in stars):
            continue
        # the focus node's own star stays a plain pattern, joined to the target (bound) first
        new = " ".join(" . ".join(" ".join(t) for t in ts) + " ." if subject[1:] == "this"
                       else "{ SELECT * WHERE { " + " . ".join(" ".join(t) for t in ts) + " } }"
                       for subject, ts in stars.items())
        out.append(text[last:a] + " " + new + " ")
        last = b
    return "".join(out) + text[last:]


def _sparql(sg: Graph, shape, constraint, target: str, target_prefixes: str) -> Check:
    select = sg.value(constraint, SH.select)
    if select is None:
        raise Unsupported(f"SPARQL constraint {constraint} has no sh:select")
    text = str(select)
    code = _code(text)
    prefixes = _prefixes(sg, constraint)
    messages = _messages(sg, constraint) or _messages(sg, shape)
    base = dict(severity=_severity(sg, shape), shape=str(shape), component=_component("SPARQL"), path=None,
                messages=messages, constraint=constraint, value_is_focus=True, fill=True, target=target,
                target_prefixes=target_prefixes, lists=list_variables(text))
    head_end = code.find("{")
    projection = code[:head_end]
    joinable = (
        len(_SELECT.findall(code)) == 1
        and not re.search(r"\b(LIMIT|OFFSET)\b|\$(PATH|currentShape|shapesGraph)\b", code, re.I)
        and re.search(r"[?$]this\b", projection) is not None
        and "*" not in projection
        and (not re.search(r"\bGROUP\s+BY\b", code, re.I) or re.search(r"\bGROUP\s+BY\b[^{}]*[?$]this\b", code, re.I))
        and (re.search(r"\bGROUP\s+BY\b", code, re.I) or not re.search(r"\b(COUNT|SUM|MIN|MAX|AVG|SAMPLE|GROUP_CONCAT)\s*\(", code, re.I))
    )
    if joinable:
        body = _split_stars(_decorrelate(re.sub(r"\$this\b", "?this", text)))
        at = _code(body).find("{")
        query = prefixes + target_prefixes + body[: at + 1] + " " + target + " " + body[at + 1:]
        return Check(query, **base)
    # exactly SHACL-SPARQL: the query once per focus node, $this pre-bound
    focus_query = f"{target_prefixes}SELECT ?this WHERE {{ {target} }}"
    return Check(prefixes + text, per_focus=focus_query, **base)


# ------------------------------------------------------------------ running

def as_store(data) -> ox.Store:
    """A pyoxigraph Store for ``data``: a Store, a zwgk OxigraphBackend, an rdflib Graph, or a file."""
    if isinstance(data, ox.Store):
        return data
    if hasattr(data, "store") and isinstance(data.store, ox.Store):
        return data.store
    store = ox.Store()
    if isinstance(data, (str, Path)):
        path = Path(data)
        store.bulk_load(path=str(path), format=ox.RdfFormat.from_extension(path.suffix.lstrip(".")) or ox.RdfFormat.TURTLE)
    elif isinstance(data, Graph):
        store.bulk_load(data.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    else:
        raise TypeError(f"cannot validate {type(data).__name__}: give a pyoxigraph Store, an rdflib Graph or a file")
    return store


SMALL_TARGET = 500  # focus nodes given to a query as VALUES rather than as a sub-select


def _focus_nodes(store: ox.Store, check: Check, options: dict) -> list:
    q = f"{check.target_prefixes}SELECT ?this WHERE {{ {check.target} }}"
    return [row["this"] for row in store.query(q, **options)]


def _run_one(store: ox.Store, check: Check, options: dict | None = None, focus: list | None = None) -> list[Found]:
    found: list[Found] = []
    options = options or {}
    if focus is not None and not focus:
        return found  # no focus node: nothing to check
    if check.per_focus is None:
        query = check.query
        if focus is not None and len(focus) <= SMALL_TARGET:
            # a short list of focus nodes: Oxigraph starts from it (a sub-select it cannot size)
            query = query.replace(check.target, "VALUES ?this { " + " ".join(map(str, focus)) + " }", 1)
        rows = store.query(query, **options)
        names = [v.value for v in rows.variables]
        for row in rows:
            b = {n: row[n] for n in names if row[n] is not None}
            value = b.get("value")
            if value is None and check.value_is_focus:
                value = b.get("this")
            found.append(Found(check, b["this"], value, b))
        return found
    this = ox.Variable("this")
    for node in (focus if focus is not None else [r["this"] for r in store.query(check.per_focus, **options)]):
        rows = store.query(check.query, substitutions={this: node}, **options)
        names = [v.value for v in rows.variables]
        for row in rows:
            b = {n: row[n] for n in names if row[n] is not None}
            b["this"] = node
            value = b.get("value")
            found.append(Found(check, node, node if value is None else value, b))
    return found


def run(store: ox.Store, checks: list[Check], threads: int | None = None, options: dict | None = None,
        skip=None) -> list[Found]:
    """Every check on ``store``; Oxigraph runs queries outside the GIL, so checks run in threads.
    The focus nodes of each distinct target are found once; a check none of whose focus nodes
    is wanted (``skip(node)`` true for all) is not run. ``options`` go to ``Store.query``."""
    options = options or {}
    threads = threads or min(4, os.cpu_count() or 1)
    targets: dict[tuple[str, str], list] = {}
    for c in checks:
        key = (c.target_prefixes, c.target)
        if c.target and key not in targets:
            nodes = _focus_nodes(store, c, options)
            if skip is not None and all(skip(n) for n in nodes):
                nodes = []
            targets[key] = nodes

    def one(c: Check) -> list[Found]:
        return _run_one(store, c, options, targets.get((c.target_prefixes, c.target)) if c.target else None)

    if threads <= 1:
        return [f for c in checks for f in one(c)]
    with ThreadPoolExecutor(threads) as pool:
        return [f for part in pool.map(one, checks) for f in part]


def _texts(found: Found) -> tuple[str | None, str | None]:
    zh = en = None
    values = {name: term.value for name, term in found.bindings.items()}
    for m in found.check.messages:
        text = fill(str(m), values, found.check.lists) if found.check.fill else str(m)
        lang = m.language or ("zh" if is_cjk(next((ch for ch in text if ch.isalpha()), "")) else "en")
        if lang == "zh" and zh is None:
            zh = text
        elif lang == "en" and en is None:
            en = text
    return zh, en


def _item_numbers(store: ox.Store, focus: set) -> dict:
    """The item a focus node belongs to (itself, or the item of a citation, element, correction or
    source row), as ``validate._item_numbers`` finds it: index lookups, no query."""
    number = ox.NamedNode(str(ZWGK.itemNumber))
    parts = [ox.NamedNode(str(p)) for p in _ITEM_PARTS]

    def own(node):
        for q in store.quads_for_pattern(node, number, None):
            try:
                return int(q.object.value)
            except ValueError:
                return None
        return None

    numbers: dict = {}
    for f in focus:
        if isinstance(f, ox.Literal):
            continue
        n = own(f)
        if n is None:
            for p in parts:
                for q in store.quads_for_pattern(None, p, f):
                    n = own(q.subject)
                    if n is not None:
                        break
                if n is not None:
                    break
        if n is not None:
            numbers[f] = n
    return numbers


def _entries(store: ox.Store, found: list[Found]) -> list[Entry]:
    numbers = _item_numbers(store, {f.focus for f in found})
    out = []
    for f in found:
        zh, en = _texts(f)
        path = f.bindings.get("path") if f.check.per_focus is not None or f.check.fill else None
        r = Result(
            severity=f.check.severity,
            focus=f.focus.value,
            item=numbers.get(f.focus),
            path=path.value if isinstance(path, ox.NamedNode) else f.check.path,
            message=zh or en or "",
            message_en=en,
            constraint=f.check.component,
            shape=f.check.shape,
            value=f.value.value if f.value is not None else None,
        )
        constraint = f.check.constraint
        out.append(Entry(r, str(f.focus), None if f.value is None else str(f.value),
                         str(constraint) if isinstance(constraint, URIRef) else None))
    return out


def run_checks(data, checks: list[Check], threads: int | None = None) -> Report:
    """The report of compiled ``checks`` on ``data`` (see ``as_store``)."""
    store = as_store(data)
    return finish(_entries(store, run(store, checks, threads)), "fast")


def validate(data, shapes: Graph, threads: int | None = None) -> Report:
    """The data-quality report of ``data`` (a pyoxigraph Store, an OxigraphBackend, an rdflib Graph
    or a file) against the SHACL ``shapes`` graph, as ``zwgk.validate.validate`` gives it."""
    return run_checks(data, compile_shapes(shapes), threads)


# ------------------------------------------------------------------ by partition

_PARTS: dict = {}  # the job of a worker process, set before the pool forks


def _load(store: ox.Store, files: list[Path]) -> None:
    for f in files:
        store.bulk_load(path=str(f), format=ox.RdfFormat.from_extension(Path(f).suffix.lstrip(".")) or ox.RdfFormat.N_TRIPLES)


def _validate_part(path: str) -> list[tuple]:
    base: ox.Store = _PARTS["base"]
    checks: list[Check] = _PARTS["checks"]
    store = ox.Store()
    _load(store, _PARTS["shared"] + [Path(path)])
    def shared(node) -> bool:
        return not isinstance(node, ox.Literal) and next(base.quads_for_pattern(node, None, None), None) is not None

    # a focus node of the shared data has its results from the shared data alone: checks whose
    # focus nodes are all shared (instruments, agencies, code lists) are not run on a part
    found = run(store, checks, threads=1, skip=shared)
    mine = [f for f in found if not shared(f.focus)]
    return _entries(store, mine)


def validate_parts(shared: list[Path], parts: list[Path], shapes: Graph, workers: int | None = None) -> FastReport:
    """The report of ``shared`` + ``parts`` (RDF files), validated one part at a time: each part
    with the shared data, in a small in-memory store, in ``workers`` processes; results for
    focus nodes of the shared data come from the shared data alone.

    This is the national-scale path: Oxigraph plans joins without statistics, and a join on a
    value that every catalog repeats (item number 1, the 政府信息公开条例) costs the number of
    catalogs per row on the whole graph, but only its own catalog here. It gives the report of
    the whole graph when each check of a part's focus node reads only that part and the shared
    data: true of ``shapes/`` (every constraint stays within one catalog and the reference data
    it cites) when each part holds whole catalogs. ``bench/`` checks it against ``validate``."""
    checks = compile_shapes(shapes)
    base = ox.Store()
    _load(base, shared)
    entries = _entries(base, run(base, checks))
    _PARTS.update(base=base, checks=checks, shared=list(shared))
    try:
        workers = max(1, min(workers or os.cpu_count() or 1, len(parts) or 1))
        if workers == 1 or multiprocessing.get_start_method(allow_none=True) not in (None, "fork"):
            done = [_validate_part(str(p)) for p in parts]
        else:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                done = pool.map(_validate_part, [str(p) for p in parts], chunksize=1)
    finally:
        _PARTS.clear()
    for rows in done:
        entries += rows
    return finish(entries, "fast")


__all__ = ["validate", "validate_parts", "compile_shapes", "run_checks", "Unsupported", "FastReport", "as_store"]
