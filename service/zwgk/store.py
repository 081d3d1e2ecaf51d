"""Opening the built graph in a store backend (see ``backends.py``).

An on-disk Oxigraph store remembers what was loaded into it: ``zwgk-loaded.json`` in the store
folder names each source file (path, size, modification time), the digest of their content and
the number of triples. Opening the store again on the same, unchanged files loads nothing (and
counts nothing): ``zwgk serve --store-path`` restarts in the time RocksDB takes to open, whatever
the size of the graph. An update through the store removes the file: the next start loads again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .backends import LOADED_MARKER as MARKER
from .backends import OxigraphBackend


def open_store(built: Path, path: Path | None = None) -> OxigraphBackend:
    """An embedded Oxigraph store holding the build (``data/build/zwgk.nq``, each catalog in
    its named graph, queried with the union of all graphs as default graph): in memory, or on
    disk at ``path`` (loaded only if it does not hold that file already)."""
    if not built.exists():
        raise FileNotFoundError(f"{built} does not exist: run `zwgk build` first")
    backend = OxigraphBackend(path)
    load_sources(backend, [built], path, replace=True)
    backend.union_default_graph = True
    return backend


def content_digest(sources: list[Path]) -> str:
    """The digest of the files' bytes, one after the other (the service's ETag)."""
    h = hashlib.sha256()
    for src in sources:
        with open(src, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:20]


def _signature(sources: list[Path]) -> list[dict]:
    out = []
    for src in sources:
        st = Path(src).stat()
        out.append({"path": str(Path(src).resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns})
    return out


def _marker(store_path: Path | None, sources: list[Path]) -> dict | None:
    if store_path is None:
        return None
    try:
        doc = json.loads((Path(store_path) / MARKER).read_text(encoding="utf-8"))
        return doc if doc["sources"] == _signature(sources) and "digest" in doc else None
    except (OSError, ValueError, KeyError):
        return None


def loaded_digest(store_path: Path | None, sources: list[Path]) -> str | None:
    """The digest of ``sources`` if the on-disk store at ``store_path`` already holds exactly
    them (unchanged since they were loaded), else None."""
    doc = _marker(store_path, sources)
    return doc["digest"] if doc else None


def mark_loaded(store_path: Path, sources: list[Path], digest: str | None = None, triples: int | None = None) -> str:
    """Record that the store at ``store_path`` now holds ``sources`` (and ``triples`` quads);
    returns their digest."""
    digest = digest or content_digest(sources)
    doc = {"sources": _signature(sources), "digest": digest, "triples": triples}
    (Path(store_path) / MARKER).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return digest


def load_sources(backend, sources: list[Path], store_path: Path | None = None, replace: bool = False) -> str:
    """Load ``sources`` into ``backend`` unless its on-disk store holds them already; returns
    their digest. ``replace`` clears an on-disk store before loading (the built graph replaces
    the previous build)."""
    doc = _marker(store_path, sources)
    if doc is not None:
        if doc.get("triples") is not None and hasattr(backend, "size"):
            backend.size = doc["triples"]
        return doc["digest"]
    if store_path is not None:
        (Path(store_path) / MARKER).unlink(missing_ok=True)  # a load cut short leaves no marker
        if replace:
            backend.clear()
    for src in sources:
        backend.load_file(Path(src))
    if store_path is not None and hasattr(backend, "store"):
        backend.store.flush()
        return mark_loaded(store_path, sources, triples=len(backend))
    return content_digest(sources)
