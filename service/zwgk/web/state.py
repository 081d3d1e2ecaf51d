"""What the app serves: the settings, the store backend, the registry, the
named queries and the build's summary and validation report. Built once at
start-up by ``AppState.open``, never per request."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path

from ..backends import OxigraphBackend, RdflibBackend, RemoteBackend
from ..build import Project, build, load_inputs
from ..codelists import CodeList
from ..queries import NamedQuery, QueryRunner, load_named_queries
from ..records import SourceError
from ..registry import Registry
from ..store import load_sources
from ..validate import ShapesError
from .settings import Settings


@dataclass
class AppState:
    settings: Settings
    project: Project
    backend: object
    registry: Registry
    codelists: dict[str, CodeList]
    queries: dict[str, NamedQuery]
    summary: dict = field(default_factory=dict)
    report_json: dict | None = None
    etag: str = ""
    last_modified: str = ""

    @property
    def runner(self) -> QueryRunner:
        return QueryRunner(self.backend, self.registry, self.codelists)

    @classmethod
    def open(cls, settings: Settings, project: Project | None = None) -> "AppState":
        project = project or Project.default()
        codelists, registry, *_ = load_inputs(project)
        backend = make_backend(settings)
        summary: dict = {}
        report = None
        digest = ""  # a remote store's data changes behind our back: no data version, no validators
        mtime = None
        if settings.store != "remote":
            if not settings.load:
                ensure_built(project)
            # an on-disk store that already holds these unchanged files is not loaded again
            on_disk = settings.store_path if isinstance(backend, OxigraphBackend) else None
            sources = [Path(p) for p in settings.load] or [project.nquads]
            digest = load_sources(backend, sources, on_disk, replace=not settings.load)
            # the build keeps each catalog in its named graph; queries see them all as the default graph
            backend.union_default_graph = not settings.load
            if not settings.load:
                summary = _read_json(project.build_dir / "summary.json") or {}
                report = _read_json(project.build_dir / "report.json")
            mtime = max(Path(p).stat().st_mtime for p in sources)
        return cls(
            settings=settings,
            project=project,
            backend=backend,
            registry=registry,
            codelists=codelists,
            queries=load_named_queries(project.queries),
            summary=summary,
            report_json=report,
            etag=f'"{digest}"' if digest else "",
            last_modified=formatdate(mtime, usegmt=True) if mtime else "",
        )


def build_inputs(project: Project) -> list[Path]:
    """The files a build reads: the registries (``data/*.toml``), the catalog sources
    (``data/sources/``, and any other file ``data/catalogs.toml`` lists), the ontology and
    the shapes."""
    found: set[Path] = set(project.data.glob("*.toml"))
    for folder in (project.data / "sources", project.ontology.parent, project.shapes):
        if folder.is_dir():
            found.update(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    try:
        entries = load_inputs(project)[4]
    except Exception:  # a broken catalogs.toml is reported by the build itself
        entries = []
    found.update(p for p in (project.data / e.file for e in entries) if p.is_file())
    return sorted(found)


def stale_inputs(project: Project) -> list[Path]:
    """The inputs changed since the build (newer than ``zwgk.nq``): all of them when there is no build."""
    inputs = build_inputs(project)
    if not project.nquads.exists():
        return inputs
    built = project.nquads.stat().st_mtime_ns
    return [p for p in inputs if p.stat().st_mtime_ns > built]


def ensure_built(project: Project, say=None) -> bool:
    """Build the graph if there is no build or an input is newer than it; say why. True if it built.

    When a rebuild fails on bad input (a source row, an erratum, the shapes), the error is said
    and the previous build is served: a bad edit must not take down a service that has a good
    build. With no build at all, the error stops the server."""
    say = say or (lambda text: print(text, file=sys.stderr, flush=True))
    if not project.nquads.exists():
        say(f"zwgk: no build in {project.build_dir}: building the graph")
        build(project)
        return True
    changed = stale_inputs(project)
    if not changed:
        return False
    names = ", ".join(str(p.relative_to(project.root)) if p.is_relative_to(project.root) else str(p)
                      for p in changed[:5])
    more = f" and {len(changed) - 5} more" if len(changed) > 5 else ""
    say(f"zwgk: {names}{more} changed since the last build: rebuilding the graph")
    try:
        build(project)
    except (SourceError, ShapesError) as exc:
        say(f"zwgk: the rebuild failed, so the previous build ({project.build_dir}) is served: {exc}")
        return False
    return True


def make_backend(settings: Settings):
    if settings.store == "oxigraph":
        return OxigraphBackend(settings.store_path)
    if settings.store == "rdflib":
        return RdflibBackend()
    if settings.store == "remote":
        if not settings.endpoint:
            raise ValueError("store=remote needs an endpoint URL (--endpoint)")
        return RemoteBackend(settings.endpoint, settings.update_endpoint, timeout=settings.query_timeout,
                             max_bytes=settings.max_result_bytes)
    raise ValueError(f"unknown store {settings.store!r}: use oxigraph, rdflib or remote")


def _read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
