"""The embedded store: the built graph loaded into pyoxigraph."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox


def open_store(ntriples: Path) -> ox.Store:
    """An in-memory store holding the built graph (``data/build/zwgk.nt``)."""
    if not ntriples.exists():
        raise FileNotFoundError(f"{ntriples} does not exist: run `zwgk build` first")
    store = ox.Store()
    store.load(path=str(ntriples), format=ox.RdfFormat.N_TRIPLES)
    return store
