"""Store backends the web layer and the CLI run SPARQL on.

* ``OxigraphBackend``: embedded pyoxigraph, in memory or on disk (the default).
* ``RdflibBackend``: an rdflib ``Dataset`` in memory (the reference, slower).
* ``RemoteBackend``: any SPARQL 1.1 server over the SPARQL Protocol
  (Oxigraph server, Fuseki, Virtuoso, QLever …).

Every backend answers ``query()`` with a ``QueryOutcome`` that knows its kind
(boolean / solutions / graph) and serializes itself to a media type, so the
web layer negotiates once and streams what the engine writes.
"""

from __future__ import annotations

import io
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Protocol

import pyoxigraph as ox

log = logging.getLogger("zwgk.backends")

# ------------------------------------------------------------------ formats

SOLUTION_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
}
_RDFLIB_GRAPH = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/n-quads": "nquads",
    "application/trig": "trig",
}
_RDFLIB_RESULTS = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}

_FORM = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)
_SKIP = re.compile(r"#[^\n]*|<[^<>\s]*>|\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'")


def query_form(text: str) -> str | None:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first form keyword outside
    comments, IRIs and strings (None if there is none)."""
    m = _FORM.search(_SKIP.sub(" ", text))
    return m.group(1).upper() if m else None


def kind_of_form(form: str | None) -> str:
    return {"ASK": "boolean", "CONSTRUCT": "graph", "DESCRIBE": "graph"}.get(form or "", "solutions")


class StoreError(Exception):
    """The store failed for a reason that is not the request's fault."""


class StoreUnavailable(StoreError):
    """A remote store cannot be reached or answers with a server error."""


class AnswerTooLarge(StoreError):
    """A remote store's answer grew past the limit of the largest answer: reading it stopped there."""

    def __init__(self, limit: int):
        super().__init__(f"the answer is larger than {limit} bytes")
        self.limit = limit


class QuerySyntaxError(ValueError):
    """The query or update text is not valid SPARQL; the message has the position."""


@dataclass
class Dataset:
    """A protocol-level RDF dataset (default-graph-uri / named-graph-uri)."""

    default: list[str] | None = None
    named: list[str] | None = None

    def __bool__(self) -> bool:
        return bool(self.default) or bool(self.named)


class QueryOutcome(Protocol):
    kind: str  # "boolean" | "solutions" | "graph"

    def serialize(self, media_type: str) -> Iterable[bytes]: ...


# ------------------------------------------------------------------ oxigraph

@dataclass
class OxigraphOutcome:
    kind: str
    results: object

    def serialize(self, media_type: str) -> Iterable[bytes]:
        if self.kind == "graph":
            fmt = GRAPH_FORMATS[media_type]
            if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
                # triples written as quads in the default graph
                quads = (ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in self.results)
                yield ox.serialize(quads, format=fmt)
                return
            yield self.results.serialize(format=fmt)
        else:
            yield self.results.serialize(format=SOLUTION_FORMATS[media_type])


# in an on-disk store folder: the files loaded into it and their triple count (``store.py``)
LOADED_MARKER = "zwgk-loaded.json"


class OxigraphBackend:
    name = "oxigraph"

    def __init__(self, path: Path | None = None):
        self.path = path
        self.store = ox.Store(str(path)) if path else ox.Store()
        self.size: int | None = None  # the number of quads, once counted (Oxigraph counts by a full scan)
        # a query without a protocol dataset sees the union of all graphs as its default graph (the built
        # dataset keeps each catalog in its own named graph); off for files served with --load
        self.union_default_graph = False

    def __len__(self) -> int:
        if self.size is None:
            self.size = len(self.store)
        return self.size

    def changed(self) -> None:
        """The store changed: count again, and an on-disk store no longer holds just its loaded files."""
        self.size = None
        if self.path is not None:
            (Path(self.path) / LOADED_MARKER).unlink(missing_ok=True)

    def load_file(self, path: Path, graph: str | None = None) -> None:
        self.size = None
        fmt = ox.RdfFormat.from_extension(path.suffix.lstrip(".")) or ox.RdfFormat.TURTLE
        target = ox.NamedNode(graph) if graph else None
        if fmt.supports_datasets:
            self.store.bulk_load(path=str(path), format=fmt)
        else:
            self.store.bulk_load(path=str(path), format=fmt, to_graph=target or ox.DefaultGraph())

    def load_ntriples(self, path: Path) -> None:
        self.size = None
        self.store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES)

    def clear(self) -> None:
        self.size = None
        self.store.clear()

    def query(self, text: str, dataset: Dataset | None = None, substitutions: dict | None = None,
              base_iri: str | None = None, prefixes: dict | None = None, union: bool | None = None) -> OxigraphOutcome:
        """``union``: the default graph is the union of all graphs for this query (None: as the store is set)."""
        kwargs: dict = {}
        if dataset:
            # a protocol dataset replaces the store's: with only named-graph-uri the default graph is
            # empty (SPARQL 1.1 Query §13.2), not the store's default graph
            kwargs["default_graph"] = [ox.NamedNode(g) for g in dataset.default or []]
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in dataset.named or []]
        elif self.union_default_graph if union is None else union:
            kwargs["use_default_graph_as_union"] = True
        try:
            results = self.store.query(text, substitutions=substitutions or None, base_iri=base_iri,
                                       prefixes=prefixes, **kwargs)
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from None
        except RuntimeError as exc:
            raise QuerySyntaxError(str(exc)) from None
        except OSError as exc:
            raise StoreError(str(exc)) from None
        if isinstance(results, ox.QueryBoolean):
            return OxigraphOutcome("boolean", results)
        if isinstance(results, ox.QueryTriples):
            return OxigraphOutcome("graph", results)
        return OxigraphOutcome("solutions", results)

    def update(self, text: str, base_iri: str | None = None) -> None:
        try:
            self.store.update(text, base_iri=base_iri)
        except SyntaxError as exc:
            raise QuerySyntaxError(str(exc)) from None
        except OSError as exc:
            raise StoreError(str(exc)) from None
        finally:
            self.changed()

    def dump(self, media_type: str) -> bytes:
        fmt = GRAPH_FORMATS[media_type]
        if fmt.supports_datasets:
            return self.store.dump(format=fmt)
        if self.union_default_graph:  # a triples format holds the union, as queries see it
            triples = dict.fromkeys(ox.Triple(q.subject, q.predicate, q.object)
                                    for q in self.store.quads_for_pattern(None, None, None))
            return ox.serialize(triples, format=fmt)
        return self.store.dump(format=fmt, from_graph=ox.DefaultGraph())

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self.store.named_graphs() if isinstance(g, ox.NamedNode))


# ------------------------------------------------------------------ rdflib

@dataclass
class RdflibOutcome:
    kind: str
    result: object

    def serialize(self, media_type: str) -> Iterable[bytes]:
        if self.kind == "graph":
            graph = self.result.graph
            yield graph.serialize(format=_RDFLIB_GRAPH[media_type], encoding="utf-8")
        else:
            out = io.BytesIO()
            self.result.serialize(out, format=_RDFLIB_RESULTS[media_type], encoding="utf-8")
            yield out.getvalue()


class RdflibBackend:
    name = "rdflib"

    def __init__(self):
        from rdflib import Dataset as RdflibDataset

        self.ds = RdflibDataset(default_union=False)
        self._union_view: RdflibBackend | None = None

    @property
    def union_default_graph(self) -> bool:
        return self.ds.default_union

    @union_default_graph.setter
    def union_default_graph(self, value: bool) -> None:
        self.ds.default_union = value

    def _update_view(self):
        import warnings

        from rdflib import ConjunctiveGraph
        from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

        with warnings.catch_warnings():  # ConjunctiveGraph is deprecated in rdflib 7, and the one that works here
            warnings.simplefilter("ignore", DeprecationWarning)
            return ConjunctiveGraph(store=self.ds.store, identifier=DATASET_DEFAULT_GRAPH_ID)

    def union_view(self) -> "RdflibBackend":
        """The same data seen with the union of all graphs as the default graph."""
        if self.ds.default_union:
            return self
        if self._union_view is None:
            from rdflib import Dataset as RdflibDataset

            view = RdflibBackend.__new__(RdflibBackend)
            view.ds = RdflibDataset(store=self.ds.store, default_union=True)
            self._union_view = view
        return self._union_view

    def __len__(self) -> int:
        return len(self.ds)

    def load_file(self, path: Path, graph: str | None = None) -> None:
        from rdflib import URIRef
        from rdflib.util import guess_format

        fmt = guess_format(str(path)) or "turtle"
        if fmt in ("nquads", "trig"):
            self.ds.parse(path, format=fmt)
        else:
            target = self.ds.graph(URIRef(graph)) if graph else self.ds.default_graph
            target.parse(path, format=fmt)

    def load_ntriples(self, path: Path) -> None:
        self.ds.default_graph.parse(path, format="nt")

    def _prepared(self, text: str, base_iri: str | None, prefixes: dict | None):
        """The query parsed once: rdflib's SPARQL parser (pyparsing) takes tens of milliseconds
        a query, most of a small query's time, so a named query asked again is not parsed again."""
        from rdflib.plugins.sparql import prepareQuery

        key = (text, base_iri, tuple(sorted((prefixes or {}).items())))
        cache = self.__dict__.setdefault("_prepared_queries", {})
        query = cache.get(key)
        if query is None:
            query = prepareQuery(text, initNs=prefixes or {}, base=base_iri)
            if len(cache) >= 256:
                cache.pop(next(iter(cache)))
            cache[key] = query
        return query

    def query(self, text: str, dataset: Dataset | None = None, substitutions: dict | None = None,
              base_iri: str | None = None, prefixes: dict | None = None) -> RdflibOutcome:
        from rdflib import Graph, URIRef

        from pyparsing import ParseException  # rdflib 7.x no longer re-exports it from its parser module

        bindings = {}
        for var, term in (substitutions or {}).items():
            bindings[var.value] = _rdflib_term(term)
        target = self.ds
        if dataset:
            # a view holding the requested graphs: default = merge of default-graph-uri graphs
            view = __import__("rdflib").Dataset(default_union=False)
            for g in dataset.default or []:
                for t in self.ds.graph(URIRef(g)):
                    view.default_graph.add(t)
            for g in dataset.named or []:
                ng = view.graph(URIRef(g))
                for t in self.ds.graph(URIRef(g)):
                    ng.add(t)
            target = view
        try:
            result = target.query(self._prepared(text, base_iri, prefixes), initBindings=bindings or None)
        except ParseException as exc:
            raise QuerySyntaxError(f"error at {exc.lineno}:{exc.col}: {exc.msg}") from None
        except Exception as exc:  # rdflib raises many kinds for a bad query
            raise QuerySyntaxError(str(exc)) from None
        kind = {"ASK": "boolean", "CONSTRUCT": "graph", "DESCRIBE": "graph"}.get(result.type, "solutions")
        return RdflibOutcome(kind, result)

    def update(self, text: str, base_iri: str | None = None) -> None:
        from pyparsing import ParseException
        from rdflib.plugins.sparql.algebra import translateUpdate
        from rdflib.plugins.sparql.parser import parseUpdate

        try:  # parsed with the base IRI here: rdflib's update() takes no base
            update = translateUpdate(parseUpdate(text), base=base_iri)
        except (ParseException, ValueError, TypeError, KeyError) as exc:
            raise QuerySyntaxError(str(exc)) from None
        try:
            # applied through a ConjunctiveGraph on the same store: rdflib 7's Dataset.update fails on
            # INSERT DATA into the default graph ("not enough values to unpack")
            self._update_view().update(update)
        except Exception as exc:  # rdflib raises plain exceptions for failures of its own
            raise StoreError(f"the rdflib store could not apply the update: {exc}") from None

    def dump(self, media_type: str) -> bytes:
        fmt = _RDFLIB_GRAPH[media_type]
        if fmt in ("nquads", "trig"):
            return self.ds.serialize(format=fmt, encoding="utf-8")
        return self.ds.default_graph.serialize(format=fmt, encoding="utf-8")

    def graphs(self) -> list[str]:
        return sorted(str(g.identifier) for g in self.ds.graphs() if str(g.identifier) != "urn:x-rdflib:default")


def _rdflib_term(term):
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"cannot bind {term!r}")


# ------------------------------------------------------------------ remote

@dataclass
class RemoteOutcome:
    kind: str
    content_type: str
    body: bytes

    def serialize(self, media_type: str) -> Iterable[bytes]:
        if self.content_type.split(";")[0].strip() == media_type:
            yield self.body
            return
        # the server answered in another format: convert through pyoxigraph
        if self.kind == "graph":
            src = ox.RdfFormat.from_media_type(self.content_type.split(";")[0].strip())
            triples = (q.triple for q in ox.parse(self.body, format=src))
            yield ox.serialize((ox.Quad(t.subject, t.predicate, t.object) for t in triples), format=GRAPH_FORMATS[media_type]) \
                if GRAPH_FORMATS[media_type].supports_datasets else ox.serialize(triples, format=GRAPH_FORMATS[media_type])
        else:
            src = ox.QueryResultsFormat.from_media_type(self.content_type.split(";")[0].strip())
            yield ox.parse_query_results(self.body, format=src).serialize(format=SOLUTION_FORMATS[media_type])


def values_clause(substitutions: dict) -> str:
    """Bound values as a trailing VALUES clause, for a server that has no
    substitution API; terms are written by pyoxigraph (escaped), never spliced."""
    names, terms = [], []
    for var, term in substitutions.items():
        if isinstance(term, ox.BlankNode):
            raise StoreError(f"cannot bind ?{var.value} to a blank node on a remote store")
        names.append(str(var))
        terms.append(str(term))
    return f"VALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }}"


def _check_complete(body: bytes, media: str, url: str) -> None:
    """A store that fails after it began its answer (Oxigraph writes the error into the body of a
    200) must not have that passed on as results: a JSON answer must parse, an N-Triples one end
    with a whole triple."""
    import json

    kind = media.split(";")[0].strip().lower()
    broken = False
    if kind in ("application/sparql-results+json", "application/json"):
        try:
            json.loads(body)
        except ValueError:
            broken = True
    elif kind in ("application/n-triples", "text/plain") and body.strip():
        broken = not body.rstrip().endswith(b".")
    if broken:
        log.warning("the SPARQL store at %s sent a broken answer: %r", url, body[-500:])
        raise StoreUnavailable("the SPARQL store behind this service broke off its answer (the failure is logged on "
                               "the server); nothing of it is passed on")


class RemoteBackend:
    """A SPARQL 1.1 server. Queries go to ``endpoint``, updates to ``update_endpoint``."""

    name = "remote"

    def __init__(self, endpoint: str, update_endpoint: str | None = None, timeout: float = 30.0,
                 max_bytes: int = 0):
        import httpx

        self.endpoint = endpoint
        self.update_endpoint = update_endpoint or endpoint
        self.timeout = timeout
        self.max_bytes = max_bytes  # the largest answer read (0: no limit)
        self.client = httpx.Client(timeout=timeout)

    def _post(self, url: str, data: dict, accept: str) -> tuple[int, str, bytes]:
        """(status, content type, body) of the store's answer, read as it comes and dropped at the
        time limit or past ``max_bytes``: a runaway answer neither fills the server's memory nor
        outlives the request it serves."""
        import httpx

        deadline = time.monotonic() + self.timeout
        body = bytearray()
        # the store's address and its answers stay in the server's log: a client learns only what failed
        try:
            with self.client.stream("POST", url, data=data, headers={"Accept": accept}) as response:
                for chunk in response.iter_bytes():
                    body += chunk
                    if response.status_code < 300 and self.max_bytes and len(body) > self.max_bytes:
                        raise AnswerTooLarge(self.max_bytes)
                    if time.monotonic() > deadline:
                        raise StoreUnavailable(f"the SPARQL store behind this service did not answer within "
                                               f"{self.timeout:g} s (the query_timeout setting)")
                status, media = response.status_code, response.headers.get("content-type", accept)
        except httpx.HTTPError as exc:
            log.warning("the SPARQL store at %s cannot be reached: %s", url, exc)
            raise StoreUnavailable("the SPARQL store behind this service cannot be reached; the failure is logged "
                                   "on the server, try again shortly") from None
        text = bytes(body[:4000]).decode("utf-8", errors="replace")
        if status == 400:
            raise QuerySyntaxError(text.strip()[:2000] or "the store refused the request")
        if status >= 300:
            log.warning("the SPARQL store at %s answered %d: %s", url, status, text[:2000])
            error = StoreUnavailable if status >= 500 else StoreError
            raise error(f"the SPARQL store behind this service answered with an error (HTTP {status}); "
                        "the failure is logged on the server")
        return status, media, bytes(body)

    def query(self, text: str, dataset: Dataset | None = None, substitutions: dict | None = None,
              base_iri: str | None = None, prefixes: dict | None = None, accept: str | None = None) -> RemoteOutcome:
        kind = kind_of_form(query_form(text))
        if substitutions:
            text = text.rstrip() + "\n" + values_clause(substitutions)
        if prefixes:
            declared = "".join(f"PREFIX {k}: <{v}>\n" for k, v in prefixes.items())
            text = declared + text
        data: dict = {"query": text}
        if dataset:
            data["default-graph-uri"] = dataset.default or []
            data["named-graph-uri"] = dataset.named or []
        if accept is None:
            accept = {"graph": "application/n-triples", "boolean": "application/sparql-results+json"}.get(
                kind, "application/sparql-results+json")
        _, media, body = self._post(self.endpoint, data, accept)
        _check_complete(body, media, self.endpoint)
        return RemoteOutcome(kind, media, body)

    def update(self, text: str, base_iri: str | None = None) -> None:
        self._post(self.update_endpoint, {"update": text}, "*/*")

    def load_ntriples(self, path: Path) -> None:
        raise StoreError("load the remote store with its own tools (e.g. `oxigraph load`)")

    def graphs(self) -> list[str]:
        outcome = self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g {} }", accept="application/sparql-results+json")
        import json

        doc = json.loads(outcome.body)
        return sorted(b["g"]["value"] for b in doc["results"]["bindings"])
