"""``zwgk build``: sources → records → graph → files in ``data/build/``.

The build is deterministic (the same inputs give the same sorted N-Triples)
and atomic: everything is written to a fresh directory beside the output,
which replaces the previous build only once complete. A failing build leaves
the previous output untouched.
"""

from __future__ import annotations

import copy
import ctypes
import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import BNode, Graph
from rdflib.namespace import DCTERMS
from rdflib.compare import to_canonical_graph

from .changes import load_changes
from .codelists import load_codelists
from .errata import apply_errata, load_errata
from .graph import BASE, GraphBuilder, ResolvedCatalog
from .parse import MAX_SOURCE_BYTES, CatalogParser, refuse_truncated, too_large
from .records import SourceError
from .validate import Report, as_json, as_turtle, load_shapes, validate
from .refdata import load_agencies, load_catalogs, load_places, resolve_agency
from .registry import ResolutionError, load_registry

PACKAGE_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Project:
    """Where a zwgk project keeps its inputs and outputs."""

    root: Path
    max_source_bytes: int = MAX_SOURCE_BYTES  # a larger source file is refused before it is read

    @classmethod
    def default(cls) -> "Project":
        return cls(PACKAGE_ROOT)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def build_dir(self) -> Path:
        return self.data / "build"

    @property
    def ontology(self) -> Path:
        return self.root / "ontology" / "zwgk.ttl"

    @property
    def shapes(self) -> Path:
        return self.root / "shapes"

    @property
    def queries(self) -> Path:
        return self.root / "queries"

    @property
    def changes(self) -> Path:
        return self.data / "changes.toml"

    @property
    def ntriples(self) -> Path:
        return self.build_dir / "zwgk.nt"

    @property
    def nquads(self) -> Path:
        """The build as a dataset: each catalog in its own named graph."""
        return self.build_dir / "zwgk.nq"

    @property
    def dataset(self) -> Path:
        """What a store loads: the dataset (N-Quads), or the graph of a build made before it existed."""
        return self.nquads if self.nquads.exists() or not self.ntriples.exists() else self.ntriples


@dataclass
class BuildResult:
    graph: Graph  # everything: reference data and every catalog
    catalogs: list[ResolvedCatalog]
    summary: dict
    report: "Report | None" = None
    named: dict = field(default_factory=dict)  # catalog IRI → the catalog's own triples (its named graph)


def load_inputs(project: Project):
    d = project.data
    agencies = load_agencies(d / "agencies.toml")
    return (
        load_codelists(d / "codelists.toml"),
        load_registry(d / "instruments.toml", agencies.values()),
        agencies,
        load_places(d / "jurisdictions.toml"),
        load_catalogs(d / "catalogs.toml"),
        load_errata(d / "errata.toml"),
    )


def assemble(project: Project) -> BuildResult:
    """Parse, correct and resolve every registered catalog; return the graph."""
    codelists, registry, agencies, places, entries, errata = load_inputs(project)
    parser = CatalogParser(codelists, project.max_source_bytes)
    resolved: list[ResolvedCatalog] = []
    spellings: dict[str, set[str]] = {}
    for entry in entries:
        path = project.data / entry.file
        try:
            size = path.stat().st_size
            if project.max_source_bytes and size > project.max_source_bytes:  # never read an enormous file
                raise too_large(entry.file, size, project.max_source_bytes)
            data = path.read_bytes()
        except OSError as exc:
            raise SourceError(f"cannot read the file ({exc.strerror or exc}); data/catalogs.toml lists it",
                              file=entry.file) from None
        record = parser.parse_bytes(data, entry.file, entry.format)
        if not entry.truncated:
            refuse_truncated(record, entry.file)
        published = copy.deepcopy(record) if entry.revises or any(e.revises == entry.id for e in entries) else None
        apply_errata(entry.id, record, errata)
        resolutions = {}
        agency_ids = {}
        for item in record.items:
            row_cells = item.source.cells
            for c in item.citations:
                try:
                    res = registry.resolve(c)
                except ResolutionError as exc:
                    raise SourceError(
                        f"citation {c.ordinal} {c.text!r}: {exc}. Add the instrument to data/instruments.toml "
                        "or correct the citation in data/errata.toml",
                        file=entry.file,
                        line=item.source.line,
                        cell=_cell_index(row_cells, c.text),
                    ) from None
                resolutions[(item.number, c.ordinal)] = res
                seen = spellings.setdefault(res.instrument.id, set())
                seen.update(s for s in (c.title, c.number) if s)
            if item.agency:
                agency = resolve_agency(agencies, item.agency, entry.jurisdiction)
                if agency is None:
                    raise SourceError(
                        f"unknown agency {item.agency!r} (公开主体): add it to data/agencies.toml",
                        file=entry.file,
                        line=item.source.line,
                    )
                agency_ids[item.number] = agency
        sha = hashlib.sha256(data).hexdigest()
        resolved.append(ResolvedCatalog(entry, record, sha, resolutions, agency_ids, published))

    builder = GraphBuilder(codelists, registry, agencies, places)
    builder.g.parse(project.ontology, format="turtle")
    builder.add_codelists()
    builder.add_places()
    builder.add_agencies()
    builder.add_instruments(spellings)
    builder.add_version_succession()
    builder.add_changes(load_changes(project.changes, registry))
    named = {iri_of_catalog(rc.entry.id): builder.catalog_graph(rc) for rc in resolved}
    for g in named.values():
        builder.g += g
    add_edition_diffs(builder, resolved, registry)
    builder.add_update_obligations(resolved)  # deadlines of the items each recorded change affects
    summary = summarize(builder.g, resolved)
    for cat in summary["catalogs"]:
        cat["graph"] = str(iri_of_catalog(cat["id"]))
        cat["triples"] = len(named[iri_of_catalog(cat["id"])])
    return BuildResult(builder.g, resolved, summary, named=named)


def add_edition_diffs(builder: GraphBuilder, resolved: list[ResolvedCatalog], registry) -> None:
    """A catalog entry that names the edition it revises (``revises`` in data/catalogs.toml)
    gets the change set between the two editions in the graph (zwgk:CatalogDiff)."""
    from .diff import Edition, diff_editions, diff_graph

    by_id = {rc.entry.id: rc for rc in resolved}
    for rc in resolved:
        old_id = rc.entry.revises
        if not old_id:
            continue
        if old_id not in by_id:
            raise SourceError(f"catalog {rc.entry.id} revises {old_id!r}, which data/catalogs.toml does not list",
                              file="catalogs.toml")
        old = by_id[old_id]
        diff = diff_editions(Edition.from_resolved(old, registry), Edition.from_resolved(rc, registry), builder.codelists)
        builder.g += diff_graph(diff, builder.codelists)
        builder.add(iri_of_catalog(rc.entry.id), DCTERMS.replaces, iri_of_catalog(old_id))


def iri_of_catalog(catalog_id: str):
    from .graph import iri

    return iri("catalog", catalog_id)


def _cell_index(cells: list[str], text: str) -> int | None:
    head = text[:6]
    for i, cell in enumerate(cells):
        if head and head in cell.replace(" ", ""):
            return i
    return None


def summarize(graph: Graph, catalogs: list[ResolvedCatalog]) -> dict:
    cited = {r.instrument.id for rc in catalogs for r in rc.resolutions.values()}
    out = {
        "catalogs": [],
        "items": sum(len(rc.record.items) for rc in catalogs),
        "instruments": len(cited),
        "citations": sum(len(rc.resolutions) for rc in catalogs),
        "triples": len(graph),
    }
    for rc in catalogs:
        out["catalogs"].append(
            {
                "id": rc.entry.id,
                "title": rc.record.title or rc.entry.title,
                "file": rc.entry.file,
                "sha256": rc.sha256,
                "pages": rc.record.pages,
                "items": len(rc.record.items),
                "citations": len(rc.resolutions),
                "format": rc.entry.format,
                "traditional_characters": rc.record.traditional,
                "extra_columns": rc.record.extra_columns,
                "partial_rows": [{"line": p.line, "cells": p.cells, "expected": p.expected}
                                 for p in rc.record.partial_rows],
                "missing": _missing(rc.record.items),
                "unrecognized_levels": {
                    str(i.number): i.unrecognized_levels for i in rc.record.items if i.unrecognized_levels
                },
                "deadlines_without_working_days": {
                    str(i.number): i.deadline_text for i in rc.record.items
                    if i.deadline_text and i.deadline_days is None
                },
                "corrections": [
                    {"item": i.number, "field": c.field, "source": c.source_value, "corrected": c.corrected_value}
                    for i in rc.record.items
                    for c in i.corrections
                ],
            }
        )
    return out


def sorted_ntriples(graph: Graph) -> str:
    """N-Triples, one line per triple, sorted; blank nodes (only the ontology's
    OWL lists have them) get canonical labels so equal graphs give equal text."""
    if any(isinstance(t, BNode) for triple in graph for t in triple):
        graph = to_canonical_graph(graph)
    lines = graph.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines()
    return "\n".join(sorted(set(line for line in lines if line.strip()))) + "\n"


def sorted_nquads(result: BuildResult) -> str:
    """The build as a dataset: each catalog in its named graph (the catalog's IRI),
    everything else (ontology, code lists, places, agencies, instruments, changes) in
    the default graph. Sorted lines, like ``sorted_ntriples``."""
    in_named = set()
    for g in result.named.values():
        in_named.update(g)
    default = Graph()
    for triple in result.graph:
        if triple not in in_named:
            default.add(triple)
    lines = sorted_ntriples(default).splitlines()
    for name, g in result.named.items():  # an N-Triples line "s p o ." becomes "s p o <graph> ."
        lines += [f"{line[:-2]} <{name}> ." for line in sorted_ntriples(g).splitlines()]
    return "\n".join(sorted(lines)) + "\n"


def _missing(items) -> dict[str, list[str]]:
    """What the source leaves out, per item; a 主项 counts as missing where other items of the
    catalog have one (a catalog without that column is not short of it)."""
    with_main = any(i.path[0] for i in items)
    out = {}
    for i in items:
        gaps = (["主项 (main item)"] if with_main and not i.path[0] else []) + i.missing
        if gaps:
            out[str(i.number)] = gaps
    return out


def stable_jsonld(graph: Graph) -> str:
    """Compact JSON-LD whose node and value order does not depend on the run: a JSON-LD array
    is a set, except under @list, so sorting the others keeps the graph the same. Blank nodes
    (the ontology's lists) are sorted as if unlabelled, then labelled _:b0, _:b1 … in order."""
    blank = re.compile(r'"_:[^"]*"')

    def key(v) -> str:
        return blank.sub('"_:"', json.dumps(v, ensure_ascii=False, sort_keys=True))

    def settle(value, ordered: bool = False):
        if isinstance(value, dict):
            return {k: settle(v, ordered=k == "@list") for k, v in value.items()}
        if isinstance(value, list):
            items = [settle(v) for v in value]
            return items if ordered else sorted(items, key=key)
        return value

    text = json.dumps(settle(json.loads(graph.serialize(format="json-ld", auto_compact=True))),
                      ensure_ascii=False, indent=2, sort_keys=True)
    labels: dict[str, str] = {}
    return blank.sub(lambda m: labels.setdefault(m.group(0), f'"_:b{len(labels)}"'), text) + "\n"


def write_build(result: BuildResult, out: Path) -> dict[str, Path]:
    """Write all outputs to a temporary directory, then swap it into place."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=out.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; a build is read by servers running as other users
    try:
        files = {
            "ntriples": tmp / "zwgk.nt",
            "nquads": tmp / "zwgk.nq",
            "turtle": tmp / "zwgk.ttl",
            "jsonld": tmp / "zwgk.jsonld",
            "summary": tmp / "summary.json",
        }
        files["ntriples"].write_text(sorted_ntriples(result.graph), encoding="utf-8")
        files["nquads"].write_text(sorted_nquads(result), encoding="utf-8")
        result.graph.serialize(files["turtle"], format="turtle", encoding="utf-8")
        files["jsonld"].write_text(stable_jsonld(result.graph), encoding="utf-8")
        if result.report is not None:
            files["report_ttl"] = tmp / "report.ttl"
            files["report_json"] = tmp / "report.json"
            files["report_ttl"].write_text(as_turtle(result.report), encoding="utf-8")
            files["report_json"].write_text(as_json(result.report), encoding="utf-8")
        files["summary"].write_text(
            json.dumps(result.summary, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        _swap(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {k: out / v.name for k, v in files.items()}


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _swap(new: Path, out: Path) -> None:
    """Put the new build in place of the old one. Readers see the old build or the new one: both
    are exchanged in one step where the system can; elsewhere the old one is moved aside first and
    moved back if the new one cannot take its place."""
    if out.exists() and _exchange(new, out):
        shutil.rmtree(new, ignore_errors=True)  # now the old build
        return
    old = None
    if out.exists():
        old = out.with_name(f".old-{out.name}-{os.getpid()}")
        os.replace(out, old)
    try:
        os.replace(new, out)
    except OSError:
        if old is not None:
            os.replace(old, out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def build(project: Project, out: Path | None = None) -> tuple[BuildResult, dict[str, Path]]:
    """Assemble the graph, validate it with the shapes, and write both."""
    result = assemble(project)
    if any(project.shapes.glob("*.ttl")):
        result.report = validate(result.graph, load_shapes(project.shapes))
        result.summary["validation"] = result.report.counts()
    files = write_build(result, out or project.build_dir)
    return result, files


__all__ = ["BASE", "Project", "BuildResult", "assemble", "build", "write_build", "sorted_ntriples"]
