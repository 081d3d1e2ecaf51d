"""Linked data: every IRI under the data base answers at its own path.

Addresses
---------
A resource ``{settings.base_iri}X`` is served at ``/id/X`` (with the default
base, ``https://w3id.org/zwgk/id/catalog/hami-2024-social-insurance/item/6``
at ``/id/catalog/hami-2024-social-insurance/item/6``). The base is the
``base_iri`` setting, so a deployment under its own domain works unchanged.
The ontology ``https://w3id.org/zwgk/ontology`` is served at ``/ontology``;
its terms ``…/ontology#Term`` are anchors ``#Term`` of that one page.

Content negotiation: direct
---------------------------
We negotiate *directly* at the IRI (no 303 redirect): ``GET /id/X`` answers
200 in the best format the ``Accept`` header allows (q-values honoured; HTML
first, then Turtle, N-Triples, JSON-LD, RDF/XML — ``negotiation.PAGE``), with
``Vary: Accept`` and ``Content-Location`` naming the format-specific
alternate. ``?format=turtle`` (or ``ttl``, ``jsonld``, ``nt``, ``rdf``,
``html``) overrides the header. An ``Accept`` that allows none of these is
answered 406.

Each format also has its own address, a suffix on the path::

    /id/X.html   /id/X.ttl   /id/X.nt   /id/X.jsonld   /id/X.rdf
    /ontology.html  /ontology.ttl  …

An IRI that itself ends in such a suffix is served as itself first.

What a resource's RDF holds
---------------------------
Its concise bounded description: every triple with it as subject (and those
of the blank nodes reached from them, followed up to eight steps), plus the triples of the sub-nodes it owns —
an item's citations, elements, corrections and source row
(``zwgk:citation``, ``zwgk:disclosureElement``, ``zwgk:correction``,
``prov:wasDerivedFrom``), an instrument's versions (``zwgk:version``), a
catalog's source file (``zwgk:sourceFile``) — plus the ``rdfs:label``,
``skos:prefLabel`` and ``dct:title`` of every resource these triples link to.
Then the links into it: every triple ``?s ?p <X>`` whose subject is an IRI
(the items of a catalog by ``zwgk:inCatalog``, the items citing an instrument
by ``zwgk:legalBasis`` and their citations by ``zwgk:citesInstrument``, the
items of an agency, a channel or a code-list concept), at most
``INCOMING_TRIPLES`` (10,000) of them. It is built with SPARQL CONSTRUCTs on the
store backend (the IRI is bound, never spliced into the query text) over the
union of all graphs, also when files served with ``--load`` keep their named
graphs apart, and written by pyoxigraph's serializers.
The HTML page is drawn from the same description (plus queries for the
resources that link to it, e.g. the items citing an instrument).

An IRI with no triples is answered 404 (the JSON error shape, or the HTML
error page for a browser).

Headers
-------
Every answer carries ``Link`` alternates (``</id/X.ttl>; rel="alternate";
type="text/turtle"``, …, and ``rel="canonical"`` for the IRI), an ``ETag``
per representation (the data version from ``state.etag`` plus the format)
and ``Last-Modified``, except on a remote store, whose data may change
without the server knowing (no validators, never 304). ``If-None-Match`` (or ``If-Modified-Since``) that
matches is answered 304. HTML pages also carry ``<link rel="alternate">``
elements for Turtle, JSON-LD, N-Triples and RDF/XML.

Index pages
-----------
``/id/`` lists the top-level sections, ``/id/catalog/`` the catalogs,
``/id/instrument/`` every instrument with the number of items citing it, and
any other ``/id/<path>/`` the resources directly under that path. They
negotiate too (alternates by ``?format=``).
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from ..backends import GRAPH_FORMATS, OxigraphBackend, OxigraphOutcome, RdflibBackend, RemoteBackend, StoreError
from . import svg
from .impact import impact_views
from .errors import NotFound
from .negotiation import PAGE, Format, choose
from .pages import (DCT, ELI, ONTOLOGY, OWL, PREFIXES, PROV, RDF, RDFS, SKOS, ZWGK, Graph, View,
                    bilingual, environment, local_name, sort_key)
from .respond import body_response, content_type, not_modified, not_modified_response, validators

FORMATS = {f.name: f for f in PAGE}
SUFFIXES = {f".{f.extension}": f for f in PAGE}  # .html .ttl .nt .jsonld .rdf
ALTERNATE_ORDER = ("html", "turtle", "jsonld", "ntriples", "rdfxml")
FORMAT_LABELS = {"html": "HTML", "turtle": "Turtle", "jsonld": "JSON-LD", "ntriples": "N-Triples", "rdfxml": "RDF/XML"}

OWNED = (ZWGK + "citation", ZWGK + "disclosureElement", ZWGK + "correction", ZWGK + "version",
         PROV + "wasDerivedFrom", ZWGK + "sourceFile", ZWGK + "changeEvent")
LABELS = (RDFS + "label", SKOS + "prefLabel", DCT + "title")

_PREFIX_DECL = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())
_OWNED_PATH = "|".join(f"<{p}>" for p in OWNED)
_LABEL_IN = ", ".join(f"<{p}>" for p in LABELS)
BNODE_DEPTH = 8  # blank nodes are followed this many steps (an RDF list of 6 members)


def _blank_chain(start: str, depth: int = BNODE_DEPTH) -> tuple[str, str]:
    """CONSTRUCT template and pattern that follow blank nodes from ``?b1``
    (bound by ``start``) up to ``depth`` steps: nested OPTIONALs, not a
    property path, so every store evaluates it from the bound end."""
    # Each step's FILTER sits in its own inner group, so that a store which
    # does not push filters down (rdflib) still stops at the first non-blank node.
    template = ["?b1 ?q1 ?b2 ."]
    pattern = f"{{ {start} ?b1 ?q1 ?b2 . FILTER(isBlank(?b1)) }} "
    for k in range(2, depth + 1):
        template.append(f"?b{k} ?q{k} ?b{k + 1} .")
        pattern += f"OPTIONAL {{ {{ ?b{k} ?q{k} ?b{k + 1} . FILTER(isBlank(?b{k})) }} "
    return " ".join(template), pattern + "}" * (depth - 1)


_DATA_BLANKS = _blank_chain("?r ?p0 ?b1 .")
_ONTOLOGY_BLANKS = _blank_chain("{ ?r ?p0 ?b1 } UNION { ?t0 rdfs:isDefinedBy ?r . ?t0 ?p0 ?b1 }")

DESCRIBE = _PREFIX_DECL + f"""
CONSTRUCT {{ ?r ?p ?o . ?s ?sp ?so . ?x ?lp ?l . {_DATA_BLANKS[0]} }}
WHERE {{
  {{ ?r ?p ?o }}
  UNION {{ ?r {_OWNED_PATH} ?s . ?s ?sp ?so }}
  UNION {{ ?r ?p1 ?x . ?x ?lp ?l . FILTER(isIRI(?x) && ?lp IN ({_LABEL_IN})) }}
  UNION {{ ?r {_OWNED_PATH} ?s2 . ?s2 ?p2 ?x . ?x ?lp ?l . FILTER(isIRI(?x) && ?lp IN ({_LABEL_IN})) }}
  UNION {{ {_DATA_BLANKS[1]} }}
}}"""

ONTOLOGY_DESCRIBE = _PREFIX_DECL + f"""
CONSTRUCT {{ ?r ?p ?o . ?t ?tp ?to . {_ONTOLOGY_BLANKS[0]} }}
WHERE {{
  {{ ?r ?p ?o }}
  UNION {{ ?t rdfs:isDefinedBy ?r . ?t ?tp ?to }}
  UNION {{ {_ONTOLOGY_BLANKS[1]} }}
}}"""

EXISTS = "ASK { ?r ?p ?o }"

TERMS = _PREFIX_DECL + """
SELECT ?r ?t ?p ?v WHERE {
  ?t rdfs:isDefinedBy ?r .
  ?t ?p ?v .
  FILTER(?p IN (rdfs:label, skos:definition))
}"""

INCOMING = _PREFIX_DECL + """
CONSTRUCT { ?s ?p ?r . ?s ?lp ?l . ?cat dct:title ?ct .
            ?owner zwgk:citation ?s ; zwgk:itemNumber ?on ; zwgk:inCatalog ?ocat ; skos:prefLabel ?oname . ?ocat dct:title ?oct }
WHERE {
  ?s ?p ?r .
  FILTER(?p NOT IN (%s))
  OPTIONAL { ?s ?lp ?l . FILTER(?lp IN (skos:prefLabel, rdfs:label, dct:title, zwgk:itemNumber, zwgk:inCatalog,
                                       zwgk:citedText, zwgk:citationNumber, eli:id_local)) }
  OPTIONAL { ?s zwgk:inCatalog ?cat . ?cat dct:title ?ct }
  OPTIONAL { ?owner zwgk:citation ?s ; zwgk:itemNumber ?on ; zwgk:inCatalog ?ocat .
             OPTIONAL { ?owner skos:prefLabel ?oname } OPTIONAL { ?ocat dct:title ?oct } }
}"""

INCOMING_CAP = 2000

# the links into a resource, in its RDF: ?s ?p <r> for every named ?s, at most this many
INCOMING_TRIPLES = 10_000
INCOMING_RDF = f"""CONSTRUCT {{ ?s ?p ?r }} WHERE {{ ?s ?p ?r . FILTER(isIRI(?s) && ?s != ?r) }} ORDER BY ?s ?p LIMIT {INCOMING_TRIPLES}"""  # the first, in IRI order

# zwgk:confidence codes (see the property's definition in the ontology)
CONFIDENCE = {
    "V": ("已核实", "verified from the text or an official notice"),
    "S": ("取自二手数据集", "taken from a secondary dataset"),
    "R": ("凭记忆记录、未经核实", "recorded from recollection, unverified"),
}


@dataclass
class Alternate:
    fmt: Format
    url: str

    @property
    def label(self) -> str:
        return FORMAT_LABELS[self.fmt.name]


# ====================================================================== data access

class Data:
    """SPARQL on the store backend, answered as pyoxigraph terms.

    Values are bound (``substitutions``); for a remote store, which takes no
    bindings, they are written as a VALUES block of N-Triples terms."""

    def __init__(self, backend):
        self.backend = backend

    def _run(self, text: str, bind: dict[str, object]):
        terms = {k: (v if isinstance(v, (ox.NamedNode, ox.Literal)) else ox.NamedNode(str(v))) for k, v in bind.items()}
        if isinstance(self.backend, RemoteBackend):
            if terms:
                names = " ".join(f"?{k}" for k in terms)
                row = " ".join(str(t) for t in terms.values())
                text = re.sub(r"\bWHERE\s*\{", lambda m: m.group(0) + f" VALUES ({names}) {{ ({row}) }}", text, count=1)
            return self.backend.query(text)
        substitutions = {ox.Variable(k): t for k, t in terms.items()} or None
        # pages see every graph: a resource described only in a named graph (--load) has its page too
        if isinstance(self.backend, OxigraphBackend):
            return self.backend.query(text, substitutions=substitutions, union=True)
        if isinstance(self.backend, RdflibBackend):
            return self.backend.union_view().query(text, substitutions=substitutions)
        return self.backend.query(text, substitutions=substitutions)

    def construct(self, text: str, **bind) -> list:
        outcome = self._run(text, bind)
        if isinstance(outcome, OxigraphOutcome):
            return list(outcome.results)
        data = b"".join(outcome.serialize("application/n-triples"))
        return [q.triple for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)]

    def select(self, text: str, **bind) -> list[dict]:
        outcome = self._run(text, bind)
        if isinstance(outcome, OxigraphOutcome):
            names = [v.value for v in outcome.results.variables]
            return [{n: sol[n] for n in names} for sol in outcome.results]
        doc = json.loads(b"".join(outcome.serialize("application/sparql-results+json")))
        names = doc.get("head", {}).get("vars", [])
        return [{n: _json_term(row.get(n)) for n in names} for row in doc.get("results", {}).get("bindings", [])]

    def ask(self, text: str, **bind) -> bool:
        outcome = self._run(text, bind)
        if isinstance(outcome, OxigraphOutcome):
            return bool(outcome.results)
        return bool(json.loads(b"".join(outcome.serialize("application/sparql-results+json"))).get("boolean"))

    # ------------------------------------------------------------------ descriptions
    def exists(self, iri: str) -> bool:
        return self.ask(EXISTS, r=iri)

    def describe(self, iri: str) -> Graph:
        return Graph(self.construct(DESCRIBE, r=iri))

    def describe_ontology(self) -> Graph:
        return Graph(self.construct(ONTOLOGY_DESCRIBE, r=ONTOLOGY))

    def links_in(self, iri: str) -> list:
        """The triples that link to ``iri`` (``?s ?p <iri>``, named subjects), at most ``INCOMING_TRIPLES``."""
        return self.construct(INCOMING_RDF, r=iri)

    def incoming(self, iri: str, skip: tuple[str, ...] = ()) -> Graph:
        skipped = ", ".join(f"<{p}>" for p in (*skip, ZWGK + "__none__"))
        return Graph(self.construct(INCOMING % skipped, r=iri))


# ====================================================================== router

def router(state) -> APIRouter:
    r = APIRouter(tags=["linked data"])
    env = environment()
    data = Data(state.backend)
    cache: dict = {}

    def base() -> str:
        return state.settings.base_iri

    def term_info() -> dict[str, dict]:
        """zh/en labels and definitions of the ontology's terms (cached per data version)."""
        key = ("terms", state.etag)
        if key not in cache:
            info: dict[str, dict] = defaultdict(dict)
            for row in data.select(TERMS, r=ONTOLOGY):
                v = row["v"]
                field = "definition" if row["p"].value.endswith("definition") else "label"
                lang = v.language if isinstance(v, ox.Literal) and v.language in ("zh", "en") else "zh"
                slot = ("" if field == "label" else "def_") + lang
                info[row["t"].value].setdefault(slot, v.value)
            cache.clear()
            cache[key] = dict(info)
        return cache[key]

    def view(graph: Graph) -> View:
        return View(graph, base(), term_info())

    # ------------------------------------------------------------------ responses
    def link_header(alternates: list[Alternate], canonical: str | None) -> str:
        parts = [f'<{a.url}>; rel="alternate"; type="{a.fmt.media_type}"' for a in alternates]
        if canonical:
            parts.append(f'<{canonical}>; rel="canonical"')
        return ", ".join(parts)

    def pick(request: Request, forced: Format | None) -> Format:
        if forced is not None:
            return forced
        return choose(PAGE, request.headers.get("accept"), (request.query_params.getlist("format") or [None])[0])

    def answer(request: Request, fmt: Format, alternates: list[Alternate], canonical: str | None,
               negotiated: bool, make_graph, make_html) -> Response:
        """The response for one resource in ``fmt``: 304 when the client has it,
        else RDF from ``make_graph()`` or HTML from ``make_html()``."""
        headers = {"Link": link_header(alternates, canonical)} | validators(state, fmt.name)
        if negotiated:
            headers["Vary"] = "Accept"
        own = next((a.url for a in alternates if a.fmt.name == fmt.name), None)
        if own:
            headers["Content-Location"] = own
        if not_modified(request, headers):
            return not_modified_response(headers)
        if fmt.name == "html":
            body = make_html(alternates).encode("utf-8")
        else:
            body = serialize(make_graph(), fmt, canonical)
        return body_response(request, body, content_type(fmt), headers)

    def suffix_alternates(stem: str) -> list[Alternate]:
        return [Alternate(FORMATS[n], f"{stem}.{FORMATS[n].extension}") for n in ALTERNATE_ORDER]

    def query_alternates(path: str) -> list[Alternate]:
        return [Alternate(FORMATS[n], f"{path}?format={FORMATS[n].extension}") for n in ALTERNATE_ORDER]

    def render(template: str, **context) -> str:
        context.setdefault("bi", bilingual)
        return env.get_template(template).render(**context)

    # ------------------------------------------------------------------ ontology
    @r.api_route("/ontology", methods=["GET", "HEAD"], summary="The ontology (HTML documentation or RDF)",
                 include_in_schema=True)
    def ontology(request: Request):
        return serve_ontology(request, None)

    @r.api_route("/ontology.{ext}", methods=["GET", "HEAD"], include_in_schema=False)
    def ontology_alternate(request: Request, ext: str):
        fmt = SUFFIXES.get(f".{ext}")
        if fmt is None:
            raise NotFound(f"no format .{ext}; use one of {', '.join(SUFFIXES)}")
        return serve_ontology(request, fmt)

    def serve_ontology(request: Request, forced: Format | None):
        if not data.exists(ONTOLOGY):
            raise NotFound(f"the ontology {ONTOLOGY} is not in the store")
        fmt = pick(request, forced)
        graph_holder: dict = {}

        def graph() -> Graph:
            if "g" not in graph_holder:
                graph_holder["g"] = data.describe_ontology()
            return graph_holder["g"]

        def html(alternates):
            g = graph()
            return render("ontology.html", **ontology_model(g, view(g)), alternates=alternates)

        return answer(request, fmt, suffix_alternates("/ontology"), ONTOLOGY, forced is None, graph, html)

    # ------------------------------------------------------------------ /id
    @r.get("/id", include_in_schema=False)
    def id_root():
        return RedirectResponse("/id/", status_code=301)

    @r.api_route("/id/{path:path}", methods=["GET", "HEAD"], summary="A resource of the graph (HTML or RDF)",
                 description="`/id/X` serves the resource `<base>X`: HTML or RDF by the Accept header "
                             "(or `format`), or by suffix `.html` `.ttl` `.nt` `.jsonld` `.rdf`.")
    def resource(path: str, request: Request):
        if path == "" or path.endswith("/"):
            return serve_index(request, path)
        iri, forced = resolve(path, request)
        fmt = pick(request, forced)
        stem = "/id/" + iri[len(base()):]
        holder: dict = {}

        def description() -> Graph:
            if "g" not in holder:
                holder["g"] = data.describe(iri)
            return holder["g"]

        def graph() -> Graph:  # the RDF: the description and the links into the resource
            return Graph([*description().triples, *data.links_in(iri)])

        def html(alternates):  # the page queries what links here itself, grouped for reading
            return render_resource(iri, description(), alternates)

        return answer(request, fmt, suffix_alternates(stem), iri, forced is None, graph, html)

    def resolve(path: str, request: Request) -> tuple[str, Format | None]:
        candidates = [path]
        raw = request.scope.get("raw_path")
        if isinstance(raw, bytes):
            raw_path = raw.decode("latin-1").split("?", 1)[0]
            if raw_path.startswith("/id/") and raw_path[4:] != path:
                candidates.append(raw_path[4:])
        for candidate in candidates:
            iri = base() + candidate
            if _valid(iri) and data.exists(iri):
                return iri, None
        for candidate in candidates:
            for suffix, fmt in SUFFIXES.items():
                if candidate.endswith(suffix):
                    iri = base() + candidate[: -len(suffix)]
                    if _valid(iri) and data.exists(iri):
                        return iri, fmt
        raise NotFound(f"there is no resource <{base()}{path}> in the graph; see /id/ for what is served")

    # ------------------------------------------------------------------ pages
    def render_resource(iri: str, g: Graph, alternates: list[Alternate]) -> str:
        node = ox.NamedNode(iri)
        types = set(g.types(node))
        v = view(g)
        common = dict(v=v, r=node, alternates=alternates, report_url="/report")
        if ZWGK + "Catalog" in types:
            return render("catalog.html", **common, **catalog_model(node, g, v))
        if ZWGK + "DisclosureItem" in types:
            return render("item.html", **common, **item_model(node, g, v))
        if ELI + "LegalResource" in types:
            return render("instrument.html", **common, **instrument_model(node, g, v))
        if SKOS + "ConceptScheme" in types:
            return render("scheme.html", **common, **scheme_model(node, g, v))
        return render("generic.html", **common, **generic_model(node, g, v, types))

    def heading(node, g: Graph, v: View) -> dict:
        return {"heading": v.label(node), "heading_en": g.label_en(node),
                "kinds": [ox.NamedNode(t) for t in g.types(node)]}

    def incoming_groups(node, v: View, skip: tuple[str, ...] = ()) -> tuple[list[dict], int]:
        """Resources that link to ``node``, grouped by property (items sorted by number)."""
        inc = data.incoming(node.value, skip)
        v.g.add(inc.triples)  # labels of the linking resources, for their links
        by_prop: dict = defaultdict(list)
        for t in inc.triples:
            if t.object == node:
                by_prop[t.predicate].append(t.subject)
        groups = []
        total = 0
        def owner(s):  # the item a citation belongs to
            owners = inc.subjects(ZWGK + "citation", s)
            return owners[0] if owners else None

        def key(s):
            o = owner(s)
            return (*_item_key(inc, o), sort_key(inc.value(s, ZWGK + "citationNumber") or s)) if o else (*_item_key(inc, s), ())

        for p in sorted(by_prop, key=lambda p: p.value):
            subjects = sorted(set(by_prop[p]), key=key)
            total += len(subjects)
            rows = []
            for s in subjects[:INCOMING_CAP]:
                o = owner(s)
                number = inc.value(o or s, ZWGK + "itemNumber")
                catalog = inc.value(o or s, ZWGK + "inCatalog")
                text = inc.value(s, ZWGK + "citedText")
                rows.append({"s": s, "owner": o, "number": number.value if number is not None else None,
                             "catalog": catalog, "text": text.value if text is not None else None})
            groups.append({"prop": v.prop(p), "count": len(subjects), "rows": rows,
                           "has_number": any(x["number"] is not None for x in rows),
                           "has_catalog": any(x["catalog"] is not None for x in rows),
                           "truncated": len(subjects) > INCOMING_CAP})
        return groups, total

    def generic_model(node, g: Graph, v: View, types: set[str]) -> dict:
        model = heading(node, g, v)
        model["rows"] = v.property_rows(node)
        model["owned"] = owned_tables(node, g, v)  # sub-nodes described with it, each as its own table
        model["incoming"], model["incoming_total"] = incoming_groups(node, v)
        model["page_class"] = _kind_name(types)
        return model

    def owned_tables(node, g: Graph, v: View) -> list[dict]:
        tables = []
        for p in OWNED:
            for s in g.objects(node, p):
                if s in g and s != node:
                    tables.append({"prop": v.prop(ox.NamedNode(p)), "s": s, "rows": v.property_rows(s)})
        return tables

    # ------------------------------------------------------------------ catalog
    def catalog_model(node, g: Graph, v: View) -> dict:
        model = heading(node, g, v)
        items_g = Graph(data.construct(CATALOG_ITEMS, r=node.value))
        channels_g = Graph(data.construct(CHANNELS))
        g.add(items_g.triples)
        g.add(channels_g.triples)
        items = sorted(items_g.subjects(ZWGK + "inCatalog", node), key=lambda s: _item_key(items_g, s))
        rows = []
        for it in items:
            number = items_g.value(it, ZWGK + "itemNumber")
            rows.append({
                "item": it,
                "number": number.value if number is not None else "",
                "path": items_g.text(it, ZWGK + "categoryPath"),
                "channels": items_g.objects(it, ZWGK + "disclosureChannel"),
                "levels": items_g.objects(it, ZWGK + "disclosureLevel"),
                "unrecognized": items_g.objects(it, ZWGK + "unrecognizedLevel"),
                "phones": items_g.objects(it, ZWGK + "contactPhone"),
                "instruments": items_g.objects(it, ZWGK + "legalBasis"),
            })
        # (1) citations per instrument
        counts = data.select(CITATIONS_PER_INSTRUMENT, r=node.value)
        bars = sorted(((v.label(c["inst"]), v.href(c["inst"]), int(c["n"].value)) for c in counts if c["inst"] is not None),
                      key=lambda b: (-b[2], b[0]))
        # (2) item × channel
        channel_use = Counter(ch for row in rows for ch in row["channels"])
        all_channels = set(channels_g.subjects(RDF + "type", ox.NamedNode(ZWGK + "Channel"))) | set(channel_use)
        channels = sorted(all_channels, key=lambda ch: (-channel_use.get(ch, 0), ch.value))
        channel_cols = [(f"{v.label(ch)} ({channel_use.get(ch, 0)})", v.href(ch)) for ch in channels]
        col_index = {ch: j for j, ch in enumerate(channels)}
        item_labels = [(f"{row['number']} {v.label(row['item'])}", v.href(row["item"])) for row in rows]
        cells = [(i, col_index[ch]) for i, row in enumerate(rows) for ch in row["channels"]]
        # (3) items and the instruments they cite
        instruments = sorted({inst for row in rows for inst in row["instruments"]}, key=lambda x: (v.label(x), x.value))
        inst_index = {x: j for j, x in enumerate(instruments)}
        edges = [(i, inst_index[x]) for i, row in enumerate(rows) for x in row["instruments"]]
        title = v.label(node)
        model.update(
            rows=rows,
            publisher=g.objects(node, DCT + "publisher"),
            spatial=g.objects(node, DCT + "spatial"),
            issued=g.objects(node, DCT + "issued"),
            subjects=g.objects(node, DCT + "subject"),
            sources=[{"s": s, "title": g.text(s, DCT + "title"), "sha256": g.text(s, ZWGK + "sha256"),
                      "format": g.text(s, DCT + "format"), "media": g.text(s, "http://www.w3.org/ns/dcat#mediaType")}
                     for s in g.objects(node, ZWGK + "sourceFile")],
            chart_citations=Markup(svg.bar_chart(bars, title=f"{title}：各法规文件被引用次数 (citations per instrument)")),
            chart_channels=Markup(svg.matrix(item_labels, channel_cols, cells,
                                             title=f"{title}：事项 × 公开渠道 (items × channels)")),
            chart_network=Markup(svg.network(item_labels, [(v.label(x), v.href(x)) for x in instruments], edges,
                                             title=f"{title}：事项与其公开依据 (items and the instruments they cite)")),
            citation_total=sum(b[2] for b in bars),
            missing=catalog_missing(node),
            validation=validation_counts(lambda focus: focus == node.value or focus.startswith(node.value + "/")),
            other_rows=v.property_rows(node, skip=(RDF + "type", DCT + "title", DCT + "publisher", DCT + "spatial",
                                                   DCT + "issued", DCT + "subject", ZWGK + "sourceFile",
                                                   PROV + "wasDerivedFrom")),
        )
        return model

    def catalog_missing(node) -> dict | None:
        """Missing values of the catalog from the build summary: per field, the items."""
        for cat in state.summary.get("catalogs", []) if isinstance(state.summary, dict) else []:
            if base() + "catalog/" + str(cat.get("id")) != node.value:
                continue
            by_field: dict[str, list[int]] = defaultdict(list)
            for item, fields in (cat.get("missing") or {}).items():
                for f in fields:
                    by_field[f].append(int(item))
            unrecognized = sorted(int(k) for k in (cat.get("unrecognized_levels") or {}))
            return {
                "fields": [{"field": f, "count": len(nums), "items": sorted(nums)} for f, nums in sorted(by_field.items())],
                "total": sum(len(nums) for nums in by_field.values()),
                "unrecognized": unrecognized,
                "corrections": cat.get("corrections") or [],
                "item_base": node.value + "/item/",
            }
        return None

    def validation_counts(match) -> dict | None:
        report = state.report_json
        if not isinstance(report, dict):
            return None
        counts: Counter = Counter()
        for res in report.get("results", []):
            if isinstance(res, dict) and isinstance(res.get("focus"), str) and match(res["focus"]):
                counts[res.get("severity", "Info")] += 1
        order = {"Violation": 0, "Warning": 1, "Info": 2}
        return {"counts": dict(sorted(counts.items(), key=lambda kv: (order.get(kv[0], 3), kv[0]))),
                "conforms": report.get("conforms")}

    # ------------------------------------------------------------------ item
    def item_model(node, g: Graph, v: View) -> dict:
        model = heading(node, g, v)
        number = g.value(node, ZWGK + "itemNumber")
        if number is not None:
            model["heading"] = f"{number.value}. {model['heading']}"
        elements = sorted(g.objects(node, ZWGK + "disclosureElement"),
                          key=lambda e: sort_key(g.value(e, ZWGK + "elementNumber") or e))
        citations = sorted(g.objects(node, ZWGK + "citation"),
                           key=lambda c: sort_key(g.value(c, ZWGK + "citationNumber") or c))
        corrections = g.objects(node, ZWGK + "correction")
        sources = g.objects(node, PROV + "wasDerivedFrom")
        catalogs = g.objects(node, ZWGK + "inCatalog")
        prev_item = next_item = None
        if catalogs and number is not None:
            siblings = sorted((int(row["n"].value), row["i"]) for row in data.select(SIBLINGS, r=node.value)
                              if row["n"] is not None and row["n"].value.lstrip("-").isdigit())
            numbers = [n for n, _ in siblings]
            try:
                k = numbers.index(int(number.value))
                prev_item = siblings[k - 1][1] if k > 0 else None
                next_item = siblings[k + 1][1] if k + 1 < len(siblings) else None
            except ValueError:
                pass
        shown = {RDF + "type", SKOS + "prefLabel", ZWGK + "itemNumber", ZWGK + "inCatalog", ZWGK + "categoryPath",
                 ZWGK + "mainItem", ZWGK + "subItem", ZWGK + "subSubItem", ZWGK + "contentText",
                 ZWGK + "disclosureElement", ZWGK + "deadlineText", ZWGK + "deadlineWorkingDays",
                 ZWGK + "responsibleAgency", ZWGK + "disclosureChannel", ZWGK + "audience", ZWGK + "disclosureMode",
                 ZWGK + "disclosureLevel", ZWGK + "unrecognizedLevel", ZWGK + "contactPhone", ZWGK + "citation",
                 ZWGK + "legalBasis", ZWGK + "correction", PROV + "wasDerivedFrom"}
        report = state.report_json if isinstance(state.report_json, dict) else {}
        findings = [res for res in report.get("results", []) if isinstance(res, dict) and res.get("focus") == node.value]
        model.update(
            number=number.value if number is not None else None,
            catalogs=catalogs,
            fields=[
                ("categoryPath", g.objects(node, ZWGK + "categoryPath")),
                ("mainItem", g.objects(node, ZWGK + "mainItem")),
                ("subItem", g.objects(node, ZWGK + "subItem")),
                ("subSubItem", g.objects(node, ZWGK + "subSubItem")),
                ("deadlineText", g.objects(node, ZWGK + "deadlineText")),
                ("deadlineWorkingDays", g.objects(node, ZWGK + "deadlineWorkingDays")),
                ("responsibleAgency", g.objects(node, ZWGK + "responsibleAgency")),
                ("disclosureChannel", g.objects(node, ZWGK + "disclosureChannel")),
                ("audience", g.objects(node, ZWGK + "audience")),
                ("disclosureMode", g.objects(node, ZWGK + "disclosureMode")),
                ("disclosureLevel", g.objects(node, ZWGK + "disclosureLevel")),
                ("unrecognizedLevel", g.objects(node, ZWGK + "unrecognizedLevel")),
                ("contactPhone", g.objects(node, ZWGK + "contactPhone")),
                ("legalBasis", g.objects(node, ZWGK + "legalBasis")),
            ],
            content=g.objects(node, ZWGK + "contentText"),
            elements=[{"e": e, "number": g.text(e, ZWGK + "elementNumber"), "label": g.value(e, SKOS + "prefLabel")}
                      for e in elements],
            citations=[{
                "c": c,
                "number": g.text(c, ZWGK + "citationNumber"),
                "text": g.objects(c, ZWGK + "citedText"),
                "title": g.objects(c, ZWGK + "citedTitle"),
                "cited_number": g.objects(c, ZWGK + "citedNumber"),
                "instrument": g.objects(c, ZWGK + "citesInstrument"),
                "version": g.objects(c, ZWGK + "citedVersion"),
                "resolution": g.objects(c, ZWGK + "resolution"),
                "edition": g.objects(c, ZWGK + "citedEdition"),
            } for c in citations],
            corrections=[{"c": c, "rows": v.property_rows(c, skip=(RDF + "type",))} for c in corrections],
            sources=[{
                "s": s,
                "line": g.text(s, ZWGK + "lineNumber"),
                "page": g.text(s, ZWGK + "pageNumber"),
                "raw": g.text(s, ZWGK + "rawLine"),
                "cells": g.text(s, ZWGK + "rawLine").split("\t"),
                "continuation": g.objects(s, ZWGK + "continuationLine"),
                "file": g.objects(s, ZWGK + "sourceFile"),
            } for s in sources],
            prev_item=prev_item,
            next_item=next_item,
            findings=findings,
            other_rows=v.property_rows(node, skip=shown),
        )
        model["incoming"], model["incoming_total"] = incoming_groups(node, v)
        return model

    # ------------------------------------------------------------------ instrument
    def instrument_model(node, g: Graph, v: View) -> dict:
        model = heading(node, g, v)
        versions = sorted(g.objects(node, ZWGK + "version"),
                          key=lambda x: (g.text(x, ELI + "date_document") or "9999", x.value))
        version_rows = [{
            "s": x,
            "label": g.objects(x, RDFS + "label"),
            "number": g.objects(x, ELI + "id_local"),
            "change": g.text(x, ZWGK + "changeType"),
            "date": g.text(x, ELI + "date_document"),
            "in_force": g.text(x, ELI + "first_date_entry_in_force"),
        } for x in versions]
        events = []
        for row in version_rows:
            href = v.href(row["s"])
            name = row["number"][0].value if row["number"] else v.label(row["s"])
            if row["date"]:
                events.append((row["date"], name, row["change"] or "promulgation", href))
            if row["in_force"]:
                events.append((row["in_force"], f"{name} 施行", "entry-into-force", href))
        if not versions:
            for p, kind in ((ELI + "date_document", "promulgation"), ("http://purl.org/dc/terms/issued", "promulgation"),
                            (ELI + "first_date_entry_in_force", "entry-into-force")):
                for d in g.objects(node, p):
                    events.append((d.value, v.label(node), kind, None))
        repeals = data.select(REPEALS, r=node.value)
        for row in repeals:  # an amending act's date is already the event of the version it made
            if row["d"] is not None and row["x"] is not None and row["how"].value != "inverse:amends":
                events.append((row["d"].value, f"{_lit(row['label']) or v.label(row['x'])}", "repeal", v.href(row["x"])))
        for d in g.objects(node, ELI + "date_no_longer_in_force"):
            events.append((d.value, "失效 no longer in force", "repeal", None))
        # recorded change events (data/changes.toml), each with the items it affects and their deadlines
        change_views = impact_views(state.runner, node.value, v.href)
        for x in change_views:
            if x.event.type in ("repeal", "replacement") and x.event.date:
                events.append((x.event.date, x.event.act or x.type_zh, x.event.type, x.href))
        citing = data.select(CITING_ITEMS, r=node.value)
        by_catalog: dict = {}
        for row in citing:
            cat = row["cat"]
            key = cat.value if cat is not None else ""
            group = by_catalog.setdefault(key, {"catalog": cat, "title": _lit(row["catTitle"]), "items": {}})
            item = group["items"].setdefault(row["item"].value, {
                "item": row["item"], "number": _lit(row["n"]), "name": _lit(row["name"]),
                "texts": set(), "versions": set()})
            if row["text"] is not None:
                item["texts"].add(row["text"].value)
            if row["ver"] is not None:
                item["versions"].add(row["ver"])
        groups = []
        for key in sorted(by_catalog):
            group = by_catalog[key]
            items = sorted(group["items"].values(), key=lambda x: (_int(x["number"]), x["item"].value))
            for x in items:
                x["texts"] = sorted(x["texts"])
                x["versions"] = sorted(x["versions"], key=sort_key)
            groups.append({**group, "items": items})
        spellings = Counter()
        for row in citing:
            if row["text"] is not None and row["c"] is not None:
                spellings[(row["c"].value, row["text"].value)] += 1
        written = Counter(text for (_, text) in spellings)
        model.update(
            title=g.objects(node, ELI + "title"),
            numbers=g.objects(node, ELI + "id_local"),
            types=g.objects(node, ELI + "type_document"),
            issuers=g.objects(node, ELI + "passed_by"),
            date_document=g.objects(node, ELI + "date_document"),
            date_in_force=g.objects(node, ELI + "first_date_entry_in_force"),
            date_ended=g.objects(node, ELI + "date_no_longer_in_force"),
            in_force=g.objects(node, ELI + "in_force"),
            status=g.objects(node, ZWGK + "status"),
            confidence=g.objects(node, ZWGK + "confidence"),
            confidence_meaning=[CONFIDENCE.get(c.value) for c in g.objects(node, ZWGK + "confidence")],
            confidence_note=g.objects(node, ZWGK + "confidenceNote"),
            edition=g.objects(node, ZWGK + "edition"),
            links=[(ox.NamedNode(p), g.objects(node, p)) for p in
                   (ELI + "amends", ELI + "amended_by", ELI + "repeals", ELI + "repealed_by", ELI + "changes",
                    ELI + "changed_by") if g.objects(node, p)],
            inverse_links=[{"x": row["x"], "how": row["how"].value} for row in repeals if row["x"] is not None
                           and row["how"] is not None and row["how"].value.startswith("inverse")
                           and not (row["how"].value == "inverse:repeals" and row["x"] in g.objects(node, ELI + "repealed_by"))
                           and not (row["how"].value == "inverse:amends" and row["x"] in g.objects(node, ELI + "amended_by"))],
            lookup_keys=g.objects(node, ZWGK + "lookupKey"),
            alt_labels=g.objects(node, SKOS + "altLabel"),
            versions=version_rows,
            change_events=change_views,
            impact_href=f"/impact/{node.value.rsplit('/', 1)[-1]}",
            timeline=Markup(svg.timeline(events, title=f"{v.label(node)}：版本时间线 (versions over time)")),
            citing=groups,
            citing_total=sum(len(gr["items"]) for gr in groups),
            written=sorted(written.items(), key=lambda kv: (-kv[1], kv[0])),
            other_rows=v.property_rows(node, skip=(
                RDF + "type", SKOS + "prefLabel", ELI + "title", ELI + "id_local", ELI + "type_document",
                ELI + "passed_by", ELI + "date_document", ELI + "first_date_entry_in_force",
                ELI + "date_no_longer_in_force", ELI + "in_force", ZWGK + "status", ZWGK + "confidence",
                ZWGK + "confidenceNote", ZWGK + "edition", ELI + "amends", ELI + "amended_by", ELI + "repeals",
                ELI + "repealed_by", ZWGK + "lookupKey", SKOS + "altLabel", ZWGK + "version", ZWGK + "changeEvent",
                ELI + "changes", ELI + "changed_by", ELI + "date_no_longer_in_force")),
        )
        model["incoming"], model["incoming_total"] = incoming_groups(
            node, v, skip=(ZWGK + "legalBasis", ZWGK + "citesInstrument", ZWGK + "versionOf",
                           ZWGK + "affectedInstrument"))
        return model

    # ------------------------------------------------------------------ code lists
    def scheme_model(node, g: Graph, v: View) -> dict:
        model = heading(node, g, v)
        concepts_g = Graph(data.construct(SCHEME_CONCEPTS, r=node.value))
        g.add(concepts_g.triples)
        uses = {row["c"]: int(row["n"].value) for row in data.select(CONCEPT_USES, r=node.value) if row["c"] is not None}
        concepts = sorted(set(concepts_g.subjects(SKOS + "inScheme", node)) | set(g.objects(node, SKOS + "hasTopConcept")),
                          key=lambda c: (g.text(c, SKOS + "notation"), c.value))
        model.update(
            concepts=[{"c": c, "notation": g.text(c, SKOS + "notation"), "zh": g.label(c, "zh"), "en": g.label_en(c),
                       "alt": g.objects(c, SKOS + "altLabel"), "uses": uses.get(c, 0)} for c in concepts],
            rows=v.property_rows(node, skip=(SKOS + "hasTopConcept",)),
        )
        model["incoming"], model["incoming_total"] = incoming_groups(node, v, skip=(SKOS + "inScheme", SKOS + "topConceptOf"))
        return model

    # ------------------------------------------------------------------ ontology
    def ontology_model(g: Graph, v: View) -> dict:
        ont = ox.NamedNode(ONTOLOGY)
        terms = sorted({t for t in g.subjects(RDFS + "isDefinedBy", ont) if isinstance(t, ox.NamedNode)},
                       key=lambda t: t.value)
        kinds = [("Class", "类", "Classes", [OWL + "Class", RDFS + "Class"]),
                 ("ObjectProperty", "对象属性", "Object properties", [OWL + "ObjectProperty"]),
                 ("DatatypeProperty", "数据属性", "Datatype properties", [OWL + "DatatypeProperty"]),
                 ("AnnotationProperty", "注释属性", "Annotation properties", [OWL + "AnnotationProperty"]),
                 ("Other", "其他", "Other terms", [])]
        sections = []
        placed: set = set()
        for key, zh, en, type_iris in kinds:
            members = [t for t in terms if t not in placed and (not type_iris or set(g.types(t)) & set(type_iris))]
            placed.update(members)
            if members:
                sections.append({"key": key, "zh": zh, "en": en, "terms": [term_doc(t, g, v) for t in members]})
        return {
            "v": v, "r": ont, "heading": g.label(ont, "zh") or "zwgk ontology", "heading_en": g.label_en(ont),
            "title": g.objects(ont, DCT + "title"),
            "description": g.objects(ont, DCT + "description"),
            "comment": g.objects(ont, RDFS + "comment"),
            "meta": v.property_rows(ont, skip=(RDF + "type", DCT + "title", DCT + "description", RDFS + "comment")),
            "sections": sections,
            "kinds": [ox.NamedNode(OWL + "Ontology")],
        }

    def term_doc(t, g: Graph, v: View) -> dict:
        def lang(p, code):
            return [x for x in g.objects(t, p) if isinstance(x, ox.Literal) and x.language == code]

        return {
            "t": t,
            "anchor": local_name(t.value),
            "curie": v.curie(t),
            "label_zh": lang(RDFS + "label", "zh"),
            "label_en": lang(RDFS + "label", "en"),
            "definition_zh": lang(SKOS + "definition", "zh"),
            "definition_en": lang(SKOS + "definition", "en"),
            "comment_zh": lang(RDFS + "comment", "zh"),
            "comment_en": lang(RDFS + "comment", "en"),
            "types": g.objects(t, RDF + "type"),
            "super": g.objects(t, RDFS + "subClassOf") + g.objects(t, RDFS + "subPropertyOf"),
            "domain": [describe_class(x, g, v) for x in g.objects(t, RDFS + "domain")],
            "range": [describe_class(x, g, v) for x in g.objects(t, RDFS + "range")],
            "inverse": g.objects(t, OWL + "inverseOf"),
            "see_also": g.objects(t, RDFS + "seeAlso"),
        }

    def describe_class(x, g: Graph, v: View) -> Markup:
        """A class expression: a named class as a link, a union as A ∪ B."""
        if isinstance(x, ox.BlankNode):
            members = g.objects(x, OWL + "unionOf")
            if members:
                return Markup(" ∪ ").join(v.link(m) for m in _rdf_list(g, members[0]))
        return Markup('<a href="{}" title="{}"><code>{}</code></a>').format(v.href(x) or x.value, x.value, v.curie(x)) \
            if isinstance(x, ox.NamedNode) else v.value(x)

    # ------------------------------------------------------------------ indexes
    def serve_index(request: Request, path: str):
        prefix = base() + path
        fmt = pick(request, None)
        url = "/id/" + path
        holder: dict = {}

        def model() -> dict:
            if "m" not in holder:
                holder["m"] = index_model(path, prefix)
            return holder["m"]

        model()  # 404 before negotiation results are cached by anyone
        return answer(request, fmt, query_alternates(url), None, True,
                      lambda: model()["graph"], lambda alternates: render(model()["template"], **{k: x for k, x in model().items() if k != "template"},
                                                 alternates=alternates))

    def index_model(path: str, prefix: str) -> dict:
        if path == "":
            rows = data.select(ALL_SUBJECTS, prefix=ox.Literal(prefix))
            sections: Counter = Counter()
            top: list = []
            for row in rows:
                rest = row["s"].value[len(prefix):]
                head, slash, _ = rest.partition("/")
                if slash:
                    sections[head] += 1
                elif rest:
                    top.append(row["s"])
            graph = label_graph(data.select(TOP_LABELS, prefix=ox.Literal(prefix)))
            v = view(graph)
            return {"template": "index.html", "v": v, "graph": graph, "heading": "全部资源", "heading_en": "All resources",
                    "sections": sorted(sections.items()), "top": sorted(top, key=sort_key), "path": "/id/"}
        if path == "instrument/":
            rows = data.select(INSTRUMENT_INDEX)
            graph = Graph(data.construct(INSTRUMENT_INDEX_GRAPH))
            v = view(graph)
            items = []
            for row in rows:
                x = row["i"]
                items.append({"i": x, "title": v.label(x), "number": graph.objects(x, ELI + "id_local"),
                              "status": graph.objects(x, ZWGK + "status"), "type": graph.objects(x, ELI + "type_document"),
                              "items": int(row["items"].value), "citations": int(row["citations"].value)})
            items.sort(key=lambda x: (-x["items"], x["title"], x["i"].value))
            if not items:
                raise NotFound("there are no instruments in the graph")
            return {"template": "instrument_index.html", "v": v, "graph": graph, "rows": items,
                    "heading": "法规文件", "heading_en": "Legal instruments", "path": "/id/instrument/"}
        rows = data.select(ALL_SUBJECTS, prefix=ox.Literal(prefix))
        members = sorted({row["s"] for row in rows
                          if row["s"].value[len(prefix):] and "/" not in row["s"].value[len(prefix):]}, key=sort_key)
        if not members:
            raise NotFound(f"there is no resource under <{prefix}>; see /id/ for what is served")
        graph = label_graph(data.select(MEMBER_LABELS, prefix=ox.Literal(prefix)))
        v = view(graph)
        counts = {}
        if path == "catalog/":
            counts = {row["c"]: int(row["n"].value) for row in data.select(CATALOG_COUNTS) if row["c"] is not None}
        member_rows = [{"s": s, "label": v.label(s), "en": graph.label_en(s), "types": graph.objects(s, RDF + "type"),
                        "count": counts.get(s)} for s in members]
        return {"template": "listing.html", "v": v, "graph": graph, "rows": member_rows, "path": "/id/" + path,
                "heading": path.rstrip("/"), "heading_en": None, "counted": bool(counts),
                "is_catalogs": path == "catalog/"}

    return r


# ====================================================================== queries (page data)

CATALOG_ITEMS = _PREFIX_DECL + """
CONSTRUCT { ?i ?p ?o . ?o ?lp ?l }
WHERE {
  ?i zwgk:inCatalog ?r .
  ?i ?p ?o .
  FILTER(?p NOT IN (zwgk:disclosureElement, zwgk:citation, zwgk:contentText, prov:wasDerivedFrom, zwgk:correction))
  OPTIONAL { ?o ?lp ?l . FILTER(isIRI(?o) && ?lp IN (skos:prefLabel, rdfs:label)) }
}"""

CHANNELS = _PREFIX_DECL + """
CONSTRUCT { ?c a zwgk:Channel ; skos:prefLabel ?l } WHERE { ?c a zwgk:Channel . OPTIONAL { ?c skos:prefLabel ?l } }"""

CITATIONS_PER_INSTRUMENT = _PREFIX_DECL + """
SELECT ?r ?inst (COUNT(?c) AS ?n) WHERE {
  ?i zwgk:inCatalog ?r ; zwgk:citation ?c .
  ?c zwgk:citesInstrument ?inst .
} GROUP BY ?r ?inst"""

SIBLINGS = _PREFIX_DECL + """
SELECT ?r ?i ?n WHERE { ?r zwgk:inCatalog ?cat . ?i zwgk:inCatalog ?cat ; zwgk:itemNumber ?n }"""

CITING_ITEMS = _PREFIX_DECL + """
SELECT ?r ?cat ?catTitle ?item ?n ?name ?c ?text ?ver WHERE {
  ?item zwgk:legalBasis ?r .
  OPTIONAL { ?item zwgk:inCatalog ?cat OPTIONAL { ?cat dct:title ?catTitle } }
  OPTIONAL { ?item zwgk:itemNumber ?n }
  OPTIONAL { ?item skos:prefLabel ?name }
  OPTIONAL { ?item zwgk:citation ?c . ?c zwgk:citesInstrument ?r
             OPTIONAL { ?c zwgk:citedText ?text } OPTIONAL { ?c zwgk:citedVersion ?ver } }
}"""

REPEALS = _PREFIX_DECL + """
SELECT ?r ?x ?how ?d ?label WHERE {
  { ?r eli:repealed_by ?x BIND("repealed_by" AS ?how) }
  UNION { ?x eli:repeals ?r BIND("inverse:repeals" AS ?how) }
  UNION { ?x eli:amends ?r BIND("inverse:amends" AS ?how) }
  OPTIONAL { ?x eli:date_document ?d }
  OPTIONAL { ?x skos:prefLabel ?label }
}"""

SCHEME_CONCEPTS = _PREFIX_DECL + """
CONSTRUCT { ?c ?p ?o } WHERE { { ?c skos:inScheme ?r } UNION { ?r skos:hasTopConcept ?c } ?c ?p ?o }"""

CONCEPT_USES = _PREFIX_DECL + """
SELECT ?r ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {
  { ?c skos:inScheme ?r } UNION { ?r skos:hasTopConcept ?c }
  OPTIONAL { ?s ?p ?c . FILTER(?s != ?r && ?p NOT IN (skos:hasTopConcept, skos:narrower, skos:broader, skos:related)) }
} GROUP BY ?r ?c"""

ALL_SUBJECTS = """SELECT DISTINCT ?prefix ?s WHERE { ?s ?p ?o . FILTER(isIRI(?s) && STRSTARTS(STR(?s), ?prefix)) }"""

TOP_LABELS = _PREFIX_DECL + """
SELECT ?prefix ?s ?lp ?l ?t WHERE {
  ?s ?lp ?l .
  FILTER(?lp IN (skos:prefLabel, rdfs:label, dct:title))
  FILTER(isIRI(?s) && STRSTARTS(STR(?s), ?prefix) && !CONTAINS(STRAFTER(STR(?s), ?prefix), "/"))
  OPTIONAL { ?s a ?t }
}"""

MEMBER_LABELS = TOP_LABELS  # a SELECT: a substituted variable must be projected, and ?prefix is only in a FILTER

CATALOG_COUNTS = _PREFIX_DECL + """
SELECT ?c (COUNT(?i) AS ?n) WHERE { ?c a zwgk:Catalog . OPTIONAL { ?i zwgk:inCatalog ?c } } GROUP BY ?c"""

INSTRUMENT_INDEX = _PREFIX_DECL + """
SELECT ?i (COUNT(DISTINCT ?item) AS ?items) (COUNT(DISTINCT ?c) AS ?citations) WHERE {
  ?i a eli:LegalResource .
  OPTIONAL { ?item zwgk:legalBasis ?i }
  OPTIONAL { ?c zwgk:citesInstrument ?i }
} GROUP BY ?i"""

INSTRUMENT_INDEX_GRAPH = _PREFIX_DECL + """
CONSTRUCT { ?i a eli:LegalResource ; skos:prefLabel ?l ; eli:id_local ?n ; zwgk:status ?s ; eli:type_document ?t .
            ?s skos:prefLabel ?sl . ?t skos:prefLabel ?tl }
WHERE {
  ?i a eli:LegalResource .
  OPTIONAL { ?i skos:prefLabel ?l }
  OPTIONAL { ?i eli:id_local ?n }
  OPTIONAL { ?i zwgk:status ?s OPTIONAL { ?s skos:prefLabel ?sl } }
  OPTIONAL { ?i eli:type_document ?t OPTIONAL { ?t skos:prefLabel ?tl } }
}"""


# ====================================================================== helpers

def serialize(graph: Graph, fmt: Format, first: str | None) -> bytes:
    """The graph in ``fmt`` (pyoxigraph), the described resource's triples first."""
    lead = ox.NamedNode(first) if first else None
    triples = sorted(graph.triples, key=lambda t: (t.subject != lead, isinstance(t.subject, ox.BlankNode),
                                                   sort_key(t.subject), t.predicate.value, sort_key(t.object)))
    rdf_format = GRAPH_FORMATS[fmt.media_type]
    if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML):
        used = {p: ns for p, ns in PREFIXES.items()
                if any(t.predicate.value.startswith(ns) or (isinstance(t.object, ox.NamedNode) and t.object.value.startswith(ns))
                       for t in triples)}
        return ox.serialize(triples, format=rdf_format, prefixes=used)
    return ox.serialize(triples, format=rdf_format)


def label_graph(rows: list[dict]) -> Graph:
    """A graph of labels and types from rows of ``?s ?lp ?l ?t``."""
    rdf_type = ox.NamedNode(RDF + "type")
    triples = []
    for row in rows:
        if row["lp"] is not None and row["l"] is not None:
            triples.append(ox.Triple(row["s"], row["lp"], row["l"]))
        if row["t"] is not None:
            triples.append(ox.Triple(row["s"], rdf_type, row["t"]))
    return Graph(triples)


def _json_term(value: dict | None):
    """A pyoxigraph term from a SPARQL JSON results binding (None if unbound)."""
    if not value:
        return None
    kind, text = value.get("type"), value.get("value", "")
    if kind == "uri":
        return ox.NamedNode(text)
    if kind == "bnode":
        return ox.BlankNode(text)
    if value.get("xml:lang"):
        return ox.Literal(text, language=value["xml:lang"])
    if value.get("datatype"):
        return ox.Literal(text, datatype=ox.NamedNode(value["datatype"]))
    return ox.Literal(text)


def _valid(iri: str) -> bool:
    try:
        ox.NamedNode(iri)
    except ValueError:
        return False
    return True


def _lit(term) -> str | None:
    return term.value if term is not None else None


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 1 << 30


def _item_key(g: Graph, s) -> tuple:
    number = g.value(s, ZWGK + "itemNumber")
    return (0, _int(number.value), s.value) if number is not None else (1, 0, s.value)


def _rdf_list(g: Graph, head) -> list:
    out = []
    seen = set()
    while head is not None and head not in seen and not (isinstance(head, ox.NamedNode) and head.value == RDF + "nil"):
        seen.add(head)
        first = g.value(head, RDF + "first")
        if first is not None:
            out.append(first)
        head = g.value(head, RDF + "rest")
    return out


def _kind_name(types: set[str]) -> str:
    for t, name in ((SKOS + "Concept", "concept"), ("http://www.w3.org/ns/org#Organization", "agency"),
                    (ZWGK + "Jurisdiction", "place"), (ZWGK + "InstrumentVersion", "version"),
                    (ZWGK + "Citation", "citation"), (ZWGK + "SourceRow", "source-row")):
        if t in types:
            return name
    return "resource"
