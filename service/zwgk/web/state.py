"""What the app serves: the settings, the store backend, the registry, the
named queries and the build's summary and validation report. Built once at
start-up by ``AppState.open``, never per request."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path

from ..backends import OxigraphBackend, RdflibBackend, RemoteBackend
from ..build import Project, build, load_inputs
from ..codelists import CodeList
from ..queries import NamedQuery, QueryRunner, load_named_queries
from ..registry import Registry
from ..store import load_sources
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
        digest = "remote"
        if settings.store != "remote":
            if not settings.load and not project.nquads.exists():
                build(project)
            # an on-disk store that already holds these unchanged files is not loaded again
            on_disk = settings.store_path if isinstance(backend, OxigraphBackend) else None
            sources = [Path(p) for p in settings.load] or [project.nquads]
            digest = load_sources(backend, sources, on_disk, replace=not settings.load)
            # the build keeps each catalog in its named graph; queries see them all as the default graph
            backend.union_default_graph = not settings.load
            if not settings.load:
                summary = _read_json(project.build_dir / "summary.json") or {}
                report = _read_json(project.build_dir / "report.json")
        mtime = project.nquads.stat().st_mtime if project.nquads.exists() else None
        return cls(
            settings=settings,
            project=project,
            backend=backend,
            registry=registry,
            codelists=codelists,
            queries=load_named_queries(project.queries),
            summary=summary,
            report_json=report,
            etag=f'"{digest}"',
            last_modified=formatdate(mtime, usegmt=True) if mtime else "",
        )


def make_backend(settings: Settings):
    if settings.store == "oxigraph":
        return OxigraphBackend(settings.store_path)
    if settings.store == "rdflib":
        return RdflibBackend()
    if settings.store == "remote":
        if not settings.endpoint:
            raise ValueError("store=remote needs an endpoint URL (--endpoint)")
        return RemoteBackend(settings.endpoint, settings.update_endpoint, timeout=settings.query_timeout)
    raise ValueError(f"unknown store {settings.store!r}: use oxigraph, rdflib or remote")


def _read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
