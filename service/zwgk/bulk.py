"""Building and loading at scale: records → GraphBuilder → N-Triples lines → Oxigraph bulk load.

``GraphBuilder`` keeps what it adds in one rdflib ``Graph``: fine for one catalog (10,000
triples), gigabytes for thousands. Here the builder's graph is replaced by ``NTriplesSink``,
which writes each triple as one N-Triples line the moment it is added (with rdflib's own term
escaping, so the lines are those ``zwgk build`` writes), catalogs are built by worker processes,
each into its own part file, and Oxigraph's bulk loader reads the parts into an on-disk store.
No rdflib graph larger than one catalog's reference data ever exists.

The records and the mapping are the real ones (``GraphBuilder.add_catalog``); only where the
triples go changes. ``zwgk.synthetic`` uses this to build national-scale benchmark graphs.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from rdflib import Literal, URIRef
from rdflib.plugins.serializers.nt import _quoteLiteral

from .graph import GraphBuilder, ResolvedCatalog

class NTriplesSink:
    """Stands in for ``GraphBuilder.g``: ``add((s, p, o))`` writes one N-Triples line."""

    def __init__(self, fh):
        self.fh = fh
        self.count = 0
        self._lines: list[str] = []

    def add(self, triple) -> None:
        s, p, o = triple
        # as rdflib's N-Triples serializer writes them: an IRI as <iri> (GraphBuilder's IRIs are
        # valid), a literal as _quoteLiteral does, a blank node (only in the ontology) as _:label
        st = f"<{s}>" if type(s) is URIRef else s.n3()
        ot = f"<{o}>" if type(o) is URIRef else literal_nt(o) if type(o) is Literal else o.n3()
        self._lines.append(f"{st} <{p}> {ot} .\n")
        self.count += 1
        if len(self._lines) >= 4096:
            self.flush()

    def flush(self) -> None:
        self.fh.write("".join(self._lines))
        self._lines.clear()

    def __len__(self) -> int:
        return self.count


def literal_nt(o: Literal) -> str:
    """rdflib's ``_quoteLiteral``, with the common case (nothing to escape) made cheap."""
    if '"' in o or "\\" in o or "\n" in o or "\r" in o:
        return _quoteLiteral(o)
    lang = o.language
    if lang:
        return f'"{o}"@{lang}'
    dt = o.datatype
    return f'"{o}"^^<{dt}>' if dt else f'"{o}"'


def sink_builder(builder: GraphBuilder, fh) -> NTriplesSink:
    """Make ``builder`` write to ``fh`` instead of its in-memory graph."""
    sink = NTriplesSink(fh)
    builder.g = sink
    return sink


@dataclass
class Part:
    path: Path
    triples: int
    catalogs: int
    items: int
    seconds: float
    spellings: dict[str, set[str]] = field(default_factory=dict)


# the job of a worker process (set before the pool forks, so nothing is pickled but indices)
_JOB: dict = {}


def _build_part(args: tuple[int, list[int], str]) -> Part:
    w, indices, path = args
    make_builder: Callable[[], GraphBuilder] = _JOB["builder"]
    catalog: Callable[[int], ResolvedCatalog] = _JOB["catalog"]
    t0 = time.perf_counter()
    builder = make_builder()
    spellings: dict[str, set[str]] = {}
    items = 0
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        sink = sink_builder(builder, fh)
        for k in indices:
            rc = catalog(k)
            builder.add_catalog(rc)
            items += len(rc.record.items)
            for item in rc.record.items:
                for c in item.citations:
                    res = rc.resolutions[(item.number, c.ordinal)]
                    spellings.setdefault(res.instrument.id, set()).update(s for s in (c.title, c.number) if s)
        sink.flush()
    return Part(Path(path), sink.count, len(indices), items, time.perf_counter() - t0, spellings)


def build_parts(out: Path, indices: list[int], make_builder: Callable[[], GraphBuilder],
                catalog: Callable[[int], ResolvedCatalog], workers: int | None = None, chunk: int = 50,
                on_part: Callable[[Part], None] | None = None) -> list[Part]:
    """Build catalogs ``indices`` (``catalog(k)`` → a ResolvedCatalog) with ``make_builder()``
    builders into ``out/part-<first index>.nt``, ``chunk`` catalogs a part, in ``workers``
    processes (default: one per core). ``on_part`` is called in this process as each part is
    written (to bulk-load it while the next ones are built)."""
    out.mkdir(parents=True, exist_ok=True)
    chunks = [indices[i:i + chunk] for i in range(0, len(indices), chunk)]
    jobs = [(c[0], c, str(out / f"part-{c[0]:06d}.nt")) for c in chunks]
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
    parts: list[Part] = []
    _JOB.update(builder=make_builder, catalog=catalog)
    try:
        if workers == 1 or multiprocessing.get_start_method(allow_none=True) not in (None, "fork"):
            done = map(_build_part, jobs)
            for part in done:
                parts.append(part)
                if on_part:
                    on_part(part)
        else:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                for part in pool.imap(_build_part, jobs):
                    parts.append(part)
                    if on_part:
                        on_part(part)
    finally:
        _JOB.clear()
    return parts


def write_graph(graph, path: Path) -> int:
    """An rdflib graph (the shared part: ontology, code lists, registry) as N-Triples."""
    data = graph.serialize(format="nt", encoding="utf-8")
    path.write_bytes(data)
    return len(graph)


def bulk_load(store, files: list[Path], lenient: bool = True) -> None:
    """Oxigraph's bulk loader over each file (N-Triples written by this module are valid, so
    ``lenient`` skips re-validating IRIs)."""
    import pyoxigraph as ox

    for f in files:
        store.bulk_load(path=str(f), format=ox.RdfFormat.N_TRIPLES, lenient=lenient)


__all__ = ["NTriplesSink", "sink_builder", "build_parts", "write_graph", "bulk_load", "Part"]
