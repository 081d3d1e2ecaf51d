"""Put the build into a remote SPARQL 1.1 store (``zwgk push``): the store step for a
deployment beyond one machine, where ``zwgk serve --store remote`` then answers from it.

Every graph of ``zwgk.nq`` (each catalog's named graph and the default graph) is first sent
under a staging name with the SPARQL 1.1 Graph Store HTTP Protocol (PUT), then all of them
take their places in one SPARQL Update request (``MOVE … TO …``), which the store applies as
one operation. If any upload fails, the staging graphs are dropped and the store's graphs
are as they were: a half-sent build never replaces a good one.

Graphs of the store that the build does not have (another dataset, a catalog removed since)
are left alone.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox


class PushError(Exception):
    """The store refused or could not be reached; nothing of the build took effect."""


@dataclass
class Pushed:
    graphs: int
    triples: int


def graphs_of(nquads: Path) -> dict[str | None, bytes]:
    """The N-Triples of each graph of an N-Quads file (None: the default graph)."""
    triples: dict[str | None, list[ox.Triple]] = defaultdict(list)
    for quad in ox.parse(path=nquads, format=ox.RdfFormat.N_QUADS):
        name = None if isinstance(quad.graph_name, ox.DefaultGraph) else quad.graph_name.value
        triples[name].append(ox.Triple(quad.subject, quad.predicate, quad.object))
    return {name: ox.serialize(ts, format=ox.RdfFormat.N_TRIPLES) or b"" for name, ts in triples.items()}


def _target(name: str | None) -> str:
    return "DEFAULT" if name is None else f"<{name}>"


def push(nquads: Path, graph_store: str, update_endpoint: str, token: str | None = None,
         timeout: float = 600.0, client: httpx.Client | None = None) -> Pushed:
    graphs = graphs_of(nquads)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    run = uuid.uuid4().hex
    staging = {name: f"urn:zwgk:staging:{run}:{n}" for n, name in enumerate(sorted(graphs, key=lambda g: g or ""))}
    http = client or httpx.Client(timeout=timeout)

    def update(text: str, what: str) -> None:
        try:
            r = http.post(update_endpoint, content=text.encode("utf-8"),
                          headers=headers | {"Content-Type": "application/sparql-update"})
        except httpx.HTTPError as exc:
            raise PushError(f"{what}: the update endpoint {update_endpoint} cannot be reached ({exc})") from None
        if r.status_code >= 300:
            raise PushError(f"{what}: the update endpoint {update_endpoint} answered HTTP {r.status_code}: "
                            f"{r.text[:300]}")

    sent: list[str] = []  # staging graphs the store holds

    def drop_staging() -> None:
        """Delete the staging graphs sent so far (with the Graph Store Protocol, which did work)."""
        for graph in sent:
            try:
                http.delete(f"{graph_store}?{urlencode({'graph': graph})}", headers=headers)
            except httpx.HTTPError:
                pass  # the store is gone: nothing more can be done from here

    try:
        for name, body in graphs.items():
            url = f"{graph_store}?{urlencode({'graph': staging[name]})}"
            try:
                sent.append(staging[name])
                r = http.put(url, content=body, headers=headers | {"Content-Type": "application/n-triples"})
            except httpx.HTTPError as exc:
                raise PushError(f"graph {_target(name)}: the graph store {graph_store} cannot be reached ({exc})") \
                    from None
            if r.status_code >= 300:
                raise PushError(f"graph {_target(name)}: the graph store {graph_store} answered HTTP {r.status_code}: "
                                f"{r.text[:300]}")
        moves = " ;\n".join(f"MOVE <{staging[name]}> TO {_target(name)}" for name in sorted(graphs, key=lambda g: g or ""))
        update(moves, "putting the graphs in place")
    except PushError:
        drop_staging()
        raise
    finally:
        if client is None:
            http.close()
    return Pushed(len(graphs), sum(body.count(b"\n") for body in graphs.values()))
