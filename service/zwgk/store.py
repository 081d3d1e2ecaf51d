"""Opening the built graph in a store backend (see ``backends.py``)."""

from __future__ import annotations

from pathlib import Path

from .backends import OxigraphBackend


def open_store(ntriples: Path, path: Path | None = None) -> OxigraphBackend:
    """An embedded Oxigraph store holding the built graph (``data/build/zwgk.nt``):
    in memory, or on disk at ``path``."""
    if not ntriples.exists():
        raise FileNotFoundError(f"{ntriples} does not exist: run `zwgk build` first")
    backend = OxigraphBackend(path)
    if path is not None:
        backend.clear()
    backend.load_ntriples(ntriples)
    return backend
