"""Benchmark: SHACL validation time of the Hami graph (issue 3 target: under 2 s), by the fast
path (``zwgk.fastvalidate``: the shapes compiled to SPARQL on Oxigraph, what ``zwgk validate``
and ``zwgk build`` use) and by pySHACL (the reference, ``--engine pyshacl``), which give the
same report.

Run:  .venv/bin/python bench/validation.py [--repeat N]
Writes bench/results/validation.json and prints a one-line summary. Not a test:
timings never fail anything; they are figures to compare between runs. National scale:
``python -m bench.run`` (bench/results/scale.md).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "service"))

import pyshacl  # noqa: E402
import rdflib  # noqa: E402

from zwgk.build import Project, assemble  # noqa: E402
from zwgk.validate import as_turtle, load_shapes, validate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    project = Project(ROOT)
    t0 = time.perf_counter()
    result = assemble(project)
    assemble_s = time.perf_counter() - t0
    shapes = load_shapes(project.shapes)
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        report = validate(result.graph, shapes, engine="pyshacl")
        times.append(time.perf_counter() - t)
    fast_times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        fast = validate(result.graph, shapes)  # the default: the fast path
        fast_times.append(time.perf_counter() - t)
    same = fast.results == report.results and as_turtle(fast) == as_turtle(report)
    figures = {
        "what": "SHACL validation of the Hami 2024 graph with shapes/*.ttl: pySHACL (validate_seconds, inference "
                "none) and the default fast path (fast_validate_seconds)",
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "processor": platform.machine()},
        "versions": {"pyshacl": pyshacl.__version__, "rdflib": rdflib.__version__},
        "triples": len(result.graph),
        "assemble_seconds": round(assemble_s, 3),
        "validate_seconds": {"runs": [round(t, 3) for t in times], "median": round(statistics.median(times), 3),
                             "min": round(min(times), 3)},
        "results": report.counts(),
        "fast_validate_seconds": {"runs": [round(t, 3) for t in fast_times], "median": round(statistics.median(fast_times), 3),
                                  "min": round(min(fast_times), 3),
                                  "what": "zwgk validate / zwgk build (engine auto = zwgk.fastvalidate): the shapes "
                                          "as SPARQL on an in-memory Oxigraph store (the rdflib graph copied into it "
                                          "included)", "engine": fast.engine},
        "fast_same_results": same,
        "target_seconds": 2.0,
    }
    out = ROOT / "bench" / "results" / "validation.json"
    out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"validation of {figures['triples']} triples: fast path (default) median "
          f"{figures['fast_validate_seconds']['median']} s, pySHACL {figures['validate_seconds']['median']} s "
          f"over {args.repeat} runs (target 2 s); same report: {same}; results {figures['results']}; "
          f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
