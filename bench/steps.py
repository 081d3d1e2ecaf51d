"""The steps of the scale benchmark, each run in its own process by ``bench.run`` so that its
time, CPU time and peak memory are its own. Each prints one JSON object (its figures) as the
last line of its standard output.

    python -m bench.steps build    --n N --dir DIR      # synthetic catalogs → N-Triples parts → on-disk store
    python -m bench.steps validate --dir DIR --method fast-parts|fast-store|pyshacl
    python -m bench.steps inproc   --dir DIR --engine oxigraph|rdflib   # named queries in process
    python -m bench.steps reopen   --dir DIR                            # AppState.open on the built store
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "service"))

from bench.queries import BENCH_QUERIES  # noqa: E402


def cpu_self() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def peak_mb() -> dict:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"process_mb": round(own), "largest_child_mb": round(kids)}


def sources(d: Path) -> list[Path]:
    """The N-Triples files of a built scale, in the order they are loaded and served."""
    return [d / "head.nt", d / "reference.nt"] + sorted(d.glob("part-*.nt"))


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


# ------------------------------------------------------------------ build

def build(n: int, d: Path, workers: int | None, chunk: int) -> dict:
    import pyoxigraph as ox

    from zwgk import bulk
    from zwgk.build import Project
    from zwgk.store import mark_loaded
    from zwgk.synthetic import SyntheticNation

    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    t0, c0 = time.perf_counter(), cpu_self()
    nation = SyntheticNation(Project(ROOT), n)
    prepare_s = time.perf_counter() - t0
    store = ox.Store(str(d / "store"))
    loading = {"seconds": 0.0, "cpu": 0.0}

    def load(part) -> None:  # bulk-load each part while the workers build the next ones
        t, c = time.perf_counter(), cpu_self()
        bulk.bulk_load(store, [part.path])
        loading["seconds"] += time.perf_counter() - t
        loading["cpu"] += cpu_self() - c

    t1 = time.perf_counter()
    parts = bulk.build_parts(d, list(range(1, n)), nation.reference_builder, nation.catalog, workers=workers,
                             chunk=chunk, on_part=load)
    head = bulk.write_graph(nation.base_graph, d / "head.nt")
    spellings: dict[str, set[str]] = {}
    for p in parts:
        for k, v in p.spellings.items():
            spellings.setdefault(k, set()).update(v)
    rb = nation.reference_builder()
    with open(d / "reference.nt", "w", encoding="utf-8") as fh:
        sink = bulk.sink_builder(rb, fh)
        nation.add_reference_data(rb, spellings)
        sink.flush()
    for f in (d / "head.nt", d / "reference.nt"):
        load(type("P", (), {"path": f})())
    store.flush()
    build_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    triples = len(store)  # counted once (a full scan), kept with the digest for the server's VoID and start-up
    mark_loaded(d / "store", sources(d), triples=triples)  # zwgk serve reopens this store without loading
    digest_s = time.perf_counter() - t2
    del store
    total = time.perf_counter() - t0
    return {
        "catalogs": n,
        "items": sum(p.items for p in parts) + len(nation.template.record.items),
        "triples": triples,
        "parts": len(parts),
        "ntriples_bytes": sum(f.stat().st_size for f in sources(d)),
        "store_bytes": du(d / "store"),
        "seconds": {"total": round(total, 2), "prepare": round(prepare_s, 2), "build_and_load": round(build_s, 2),
                    "load_in_main": round(loading["seconds"], 2), "digest": round(digest_s, 2)},
        "cpu_seconds": {"records_to_ntriples_workers": round(cpu_children(), 2),
                        "main": round(cpu_self() - c0, 2), "bulk_load": round(loading["cpu"], 2)},
        "worker_seconds": round(sum(p.seconds for p in parts), 2),
        "head_triples": head,
        "reference_triples": sink.count,
        "peak_memory": peak_mb(),
    }


# ------------------------------------------------------------------ validate

def validate(d: Path, method: str, workers: int | None) -> dict:
    from collections import Counter

    from zwgk import fastvalidate
    from zwgk.validate import load_shapes

    shapes = load_shapes(ROOT / "shapes")
    files = sources(d)
    t0, c0 = time.perf_counter(), cpu_self()
    if method == "fast-parts":
        report = fastvalidate.validate_parts(files[:2], files[2:], shapes, workers=workers)
    elif method == "fast-store":
        import pyoxigraph as ox

        report = fastvalidate.validate(ox.Store(str(d / "store")), shapes)
    elif method == "pyshacl":
        from rdflib import Graph

        from zwgk.validate import validate as shacl

        g = Graph()
        for f in files:
            g.parse(f, format="nt")
        parsed = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = shacl(g, shapes)
    else:
        raise SystemExit(f"unknown method {method}")
    seconds = time.perf_counter() - t0
    keys = Counter((r.focus, r.path, r.severity, r.shape, r.constraint) for r in report.results)
    out = {
        "method": method,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_self() - c0 + cpu_children(), 2),
        "counts": report.counts(),
        "results": len(report.results),
        "peak_memory": peak_mb(),
    }
    if method == "pyshacl":
        out["parse_seconds"] = round(parsed, 2)
    # the result sets, to compare methods (focus, path, severity, sourceShape, constraint component)
    (d / f"results-{method}.json").write_text(json.dumps(sorted([list(k) + [v] for k, v in keys.items()], key=str),
                                                         ensure_ascii=False), encoding="utf-8")
    return out


# ------------------------------------------------------------------ in-process queries

def inproc(d: Path, engine: str, budget: float, max_runs: int) -> dict:
    from zwgk.backends import OxigraphBackend, RdflibBackend
    from zwgk.build import Project, load_inputs
    from zwgk.queries import QueryRunner, load_named_queries

    from bench.load import pct

    project = Project(ROOT)
    codelists, registry, *_ = load_inputs(project)
    named = load_named_queries(project.queries)
    t0 = time.perf_counter()
    if engine == "oxigraph":
        backend = OxigraphBackend(d / "store")
    else:
        backend = RdflibBackend()
        for f in sources(d):
            backend.load_file(f)
    open_s = time.perf_counter() - t0
    runner = QueryRunner(backend, registry, codelists)
    out = {"engine": engine, "open_seconds": round(open_s, 2), "queries": {}}
    for name, params in BENCH_QUERIES:
        q = named[name]
        times, rows = [], None
        start = time.perf_counter()
        while len(times) < max_runs and (not times or time.perf_counter() - start < budget):
            t = time.perf_counter()
            body = b"".join(runner.run_named(q, params).serialize("application/sparql-results+json"))
            times.append(time.perf_counter() - t)
            if rows is None:
                rows = len(json.loads(body)["results"]["bindings"])
        times.sort()
        out["queries"][name] = {"runs": len(times), "rows": rows, "p50_ms": round(pct(times, 50) * 1000, 3),
                                "p95_ms": round(pct(times, 95) * 1000, 3), "p99_ms": round(pct(times, 99) * 1000, 3)}
    out["peak_memory"] = peak_mb()
    return out


def reopen(d: Path) -> dict:
    from zwgk.build import Project
    from zwgk.web.settings import Settings
    from zwgk.web.state import AppState

    t0 = time.perf_counter()
    state = AppState.open(Settings(store_path=d / "store", load=tuple(sources(d))), Project(ROOT))
    opened = time.perf_counter() - t0
    outcome = state.runner.run("SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/zwgk/ontology#Catalog> }")
    catalogs = int(json.loads(b"".join(outcome.serialize("application/sparql-results+json")))["results"]["bindings"][0]["n"]["value"])
    return {"open_seconds": round(opened, 3), "first_query_seconds": round(time.perf_counter() - t0 - opened, 3),
            "catalogs": catalogs, "peak_memory": peak_mb()}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("step", choices=("build", "validate", "inproc", "reopen"))
    ap.add_argument("--dir", required=True)
    ap.add_argument("--n", type=int)
    ap.add_argument("--workers", type=int)
    ap.add_argument("--chunk", type=int, default=50)
    ap.add_argument("--method", default="fast-parts")
    ap.add_argument("--engine", default="oxigraph")
    ap.add_argument("--budget", type=float, default=3.0)
    ap.add_argument("--max-runs", type=int, default=50)
    a = ap.parse_args(argv)
    d = Path(a.dir)
    if a.step == "build":
        out = build(a.n, d, a.workers, a.chunk)
    elif a.step == "validate":
        out = validate(d, a.method, a.workers)
    elif a.step == "inproc":
        out = inproc(d, a.engine, a.budget, a.max_runs)
    else:
        out = reopen(d)
    print(json.dumps(out, ensure_ascii=False), flush=True)
    sys.stdout.flush()
    os._exit(0)  # skip tearing down large stores: the figures are out


if __name__ == "__main__":
    main()
