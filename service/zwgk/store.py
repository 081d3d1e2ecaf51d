"""Opening the built graph in a store backend (see ``backends.py``).

An on-disk Oxigraph store remembers what was loaded into it: ``zwgk-loaded.json`` in the store
folder names each source file (path, size, modification time) and the digest of their content.
Opening the store again on the same, unchanged files loads nothing: ``zwgk serve --store-path``
restarts in the time RocksDB takes to open, whatever the size of the graph.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .backends import OxigraphBackend

MARKER = "zwgk-loaded.json"


def open_store(ntriples: Path, path: Path | None = None) -> OxigraphBackend:
    """An embedded Oxigraph store holding the built graph (``data/build/zwgk.nt``):
    in memory, or on disk at ``path`` (loaded only if it does not hold that file already)."""
    if not ntriples.exists():
        raise FileNotFoundError(f"{ntriples} does not exist: run `zwgk build` first")
    backend = OxigraphBackend(path)
    load_sources(backend, [ntriples], path, replace=True)
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


def loaded_digest(store_path: Path | None, sources: list[Path]) -> str | None:
    """The digest of ``sources`` if the on-disk store at ``store_path`` already holds exactly
    them (unchanged since they were loaded), else None."""
    if store_path is None:
        return None
    marker = Path(store_path) / MARKER
    try:
        doc = json.loads(marker.read_text(encoding="utf-8"))
        return doc["digest"] if doc["sources"] == _signature(sources) else None
    except (OSError, ValueError, KeyError):
        return None


def mark_loaded(store_path: Path, sources: list[Path], digest: str | None = None) -> str:
    """Record that the store at ``store_path`` now holds ``sources``; returns their digest."""
    digest = digest or content_digest(sources)
    doc = {"sources": _signature(sources), "digest": digest}
    (Path(store_path) / MARKER).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return digest


def load_sources(backend, sources: list[Path], store_path: Path | None = None, replace: bool = False) -> str:
    """Load ``sources`` into ``backend`` unless its on-disk store holds them already; returns
    their digest. ``replace`` clears an on-disk store before loading (the built graph replaces
    the previous build)."""
    digest = loaded_digest(store_path, sources)
    if digest is not None:
        return digest
    if store_path is not None:
        (Path(store_path) / MARKER).unlink(missing_ok=True)  # a load cut short leaves no marker
        if replace:
            backend.clear()
    for src in sources:
        backend.load_file(Path(src))
    if store_path is not None and hasattr(backend, "store"):
        backend.store.flush()
        return mark_loaded(store_path, sources)
    return content_digest(sources)
