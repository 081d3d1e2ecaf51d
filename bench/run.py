"""zwgk at national scale: build, load, validate and query 1 to 3,000 catalogs, side by side
with the raw Oxigraph server and rdflib-endpoint.

Run (from the checkout, after ``.venv/bin/pip install -e '.[bench]'``):

    .venv/bin/python -m bench.run --scales 1,100,1000,3000

Each scale is measured in turn; the figures go to ``bench/results/scale.json`` (merged with
the scales measured before, unless ``--fresh``), ``scale.md`` and ``latency.svg``, with the
machine and the versions they came from. Not a test: no figure ever fails anything. The data
(N-Triples parts, stores) goes to ``--work`` (default ``bench/.work``) and is kept for
``bench.profile`` and reruns.

For each scale N (catalog 0 is the real Hami catalog, 1..N-1 are synthetic, see
``zwgk.synthetic``):

1. build: records → GraphBuilder → N-Triples parts in worker processes, each part bulk-loaded
   into the on-disk Oxigraph store as soon as it is written (``zwgk.bulk``); time, CPU, memory;
2. restart: ``AppState.open`` on the built store (it holds the files already: nothing loaded);
3. validation: the fast path by partition (``fastvalidate.validate_parts``), the fast path on
   the whole on-disk store (up to ``--store-validation-max``), pySHACL (up to ``--pyshacl-max``,
   bounded by ``--pyshacl-timeout``), and whether their result sets agree;
4. named queries over HTTP at 1, 8 and 32 concurrent clients, engine after engine for each
   query and concurrency (so that noise hits them alike): zwgk, ``oxigraph serve`` (a copy of
   the same store), zwgk on rdflib, rdflib-endpoint; an engine that cannot load a scale within
   ``--load-timeout`` s and ``--max-mb`` MB is recorded as such, and not tried at larger scales;
5. the same named queries in process (zwgk's QueryRunner on Oxigraph and on rdflib);
6. at the smallest scale, ``bench.profile``: where a tiny named query's time goes over HTTP.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "service"))
sys.path.insert(0, str(ROOT))

from bench import load as loadgen  # noqa: E402
from bench import report, servers  # noqa: E402
from bench.queries import queries  # noqa: E402
from bench.steps import sources  # noqa: E402

RESULTS = ROOT / "bench" / "results"
CONCURRENCY = (1, 8, 32)


def log(msg: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {msg}", flush=True)


def step(args: list[str], timeout: float | None = None) -> dict:
    """Run ``python -m bench.steps …`` in its own process; its last output line is its figures."""
    t0 = time.perf_counter()
    try:
        p = subprocess.run([sys.executable, "-m", "bench.steps", *args], cwd=str(ROOT), capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"failed": f"did not finish within {timeout:.0f} s"}
    if p.returncode != 0 or not p.stdout.strip():
        return {"failed": f"exit status {p.returncode}: {(p.stderr or p.stdout).strip()[-800:]}"}
    out = json.loads(p.stdout.strip().splitlines()[-1])
    out["wall_seconds"] = round(time.perf_counter() - t0, 2)
    return out


def machine() -> dict:
    import importlib.metadata as md

    def v(name):
        try:
            return md.version(name)
        except md.PackageNotFoundError:
            return None

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next((int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), None)
    ox_cli = subprocess.run([str(servers.VENV_BIN / "oxigraph"), "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_mb": mem, "platform": platform.platform(),
        "python": platform.python_version(), "load_average_at_start": list(os.getloadavg()),
        "versions": {k: v(k) for k in ("zwgk", "pyoxigraph", "rdflib", "pyshacl", "fastapi", "starlette", "uvicorn",
                                         "h11", "httptools", "uvloop", "rdflib-endpoint", "oxigraph")} | {"oxigraph-cli": ox_cli},
        "http_client": loadgen.event_loop_name(),
    }


# ------------------------------------------------------------------ HTTP

def http_phase(d: Path, n: int, args, failed_before: dict) -> dict:
    qs = queries(ROOT)
    files = sources(d)
    out: dict = {"engines": {}, "queries": {}}
    # the raw server gets its own copy of the store (an on-disk store has one owner)
    if (d / "store-raw").exists():
        shutil.rmtree(d / "store-raw")
    t = time.perf_counter()
    shutil.copytree(d / "store", d / "store-raw")
    (d / "store-raw" / "zwgk-loaded.json").unlink(missing_ok=True)
    out["raw_store_copy_seconds"] = round(time.perf_counter() - t, 2)
    running: dict[str, servers.Server] = {}
    try:
        for engine in servers.ENGINES:
            if engine in failed_before:
                out["engines"][engine] = {"failed": f"not tried: {failed_before[engine]}"}
                continue
            if engine in args.skip:
                out["engines"][engine] = {"failed": "skipped (--skip)"}
                continue
            log(f"  start {engine}")
            s = servers.start(engine, d, files, args.load_timeout, args.max_mb)
            info = {"ready_seconds": round(s.ready_seconds, 2) if s.ready_seconds else None}
            if s.failure:
                info["failed"] = f"could not load {n} catalogs: {s.failure}"
                s.stop()
                failed_before[engine] = f"could not load {n} catalogs ({s.failure})"
            else:
                running[engine] = s
            out["engines"][engine] = info
            log(f"  {engine}: {info}")
        for q in qs:
            res = out["queries"].setdefault(q["name"], {"params": q["params"], "engines": {}})
            slow: set[str] = set()
            # warm-up and answer check: every engine must return the same number of rows
            for engine, s in running.items():
                try:
                    status, body, secs = loadgen.run(loadgen.fetch(s.url_for(q), "application/sparql-results+json",
                                                                   args.request_timeout))
                    rows = len(json.loads(body)["results"]["bindings"]) if status == 200 else None
                    res["engines"][engine] = {"first_ms": round(secs * 1000, 2), "status": status, "rows": rows, "runs": []}
                    if secs > args.slow:
                        slow.add(engine)
                except Exception as exc:  # a timeout or a broken answer is a figure too
                    res["engines"][engine] = {"failed": f"{type(exc).__name__}: {exc}"[:300], "runs": []}
                    slow.add(engine)
            for c in CONCURRENCY:
                for engine, s in running.items():
                    e = res["engines"][engine]
                    if "failed" in e:
                        continue
                    # one wave of c requests must fit the budget: a server taking 3 s a request is
                    # not sent 32 at once (it would still be busy with them when the next engine runs).
                    # Engines compared pairwise are skipped together (on the slower one's 1-client p50).
                    wave = max(_p50(res["engines"].get(x, {})) for x in (engine, PARTNER.get(engine, engine))) \
                        * c / (os.cpu_count() or 1)
                    if c > 1 and (engine in slow or wave > args.wave):
                        e["runs"].append({"concurrency": c, "skipped": f"{c} requests at once would take about {wave:.0f} s "
                                                                      f"(p50 at 1 client × {c} ÷ cores)"})
                        continue
                    o = loadgen.run(loadgen.load(s.url_for(q), "application/sparql-results+json", c,
                                                 args.max_requests, args.budget, args.budget + args.request_timeout))
                    e["runs"].append(o.summary())
                    if s.proc.poll() is not None:
                        e["failed"] = s.failure or "the server exited"
                    elif o.unfinished:
                        drain(s, q, e["first_ms"] / 1000)
            log(f"  {q['name']}: " + ", ".join(f"{k} p50 {v['runs'][0].get('p50_ms')} ms" for k, v in res["engines"].items()
                                                  if v.get("runs")))
    finally:
        for engine, s in running.items():
            s.stop()
            out["engines"][engine]["peak_mb"] = round(s.peak_mb)
        shutil.rmtree(d / "store-raw", ignore_errors=True)
    return out


PARTNER = {"zwgk": "oxigraph", "oxigraph": "zwgk", "zwgk-rdflib": "rdflib-endpoint", "rdflib-endpoint": "zwgk-rdflib"}


def _p50(e: dict) -> float:
    """An engine's 1-client p50 for a query, in seconds (its first answer's time before that)."""
    one = next((r for r in e.get("runs", []) if r.get("concurrency") == 1 and "p50_ms" in r), None)
    return (one["p50_ms"] if one else e.get("first_ms", 0.0)) / 1000


def drain(s, q, usual: float, limit: float = 300.0) -> None:
    """Wait until a server left with abandoned requests answers as fast as it did at first."""
    end = time.perf_counter() + limit
    while time.perf_counter() < end:
        try:
            _, _, secs = loadgen.run(loadgen.fetch(s.url_for(q), "application/sparql-results+json", limit))
            if secs < 2 * usual + 0.1:
                return
        except Exception:
            time.sleep(1)


# ------------------------------------------------------------------ one scale

def measure(n: int, args, failed_before: dict) -> dict:
    d = Path(args.work) / f"n{n}"
    res: dict = {"catalogs": n, "when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine()}
    log(f"scale {n}: build")
    res["build"] = step(["build", "--dir", str(d), "--n", str(n), "--chunk", str(args.chunk)])
    log(f"  {res['build']}")
    if "failed" in res["build"]:
        return res
    log("  restart on the built store")
    res["restart"] = step(["reopen", "--dir", str(d)])
    log(f"  {res['restart']}")
    res["validation"] = {}
    methods = ["fast-parts"] + (["fast-store"] if n <= args.store_validation_max else []) + \
              (["pyshacl"] if n <= args.pyshacl_max else [])
    for m in methods:
        log(f"  validation: {m}")
        res["validation"][m] = step(["validate", "--dir", str(d), "--method", m],
                                    timeout=args.pyshacl_timeout if m == "pyshacl" else None)
        log(f"  {res['validation'][m]}")
    res["validation"]["agreement"] = report.agreement(d, [m for m in methods if "failed" not in res["validation"][m]])
    log("  HTTP")
    res["http"] = http_phase(d, n, args, failed_before)
    res["inproc"] = {}  # after HTTP: the on-disk store has one owner, and rdflib is tried only if it loaded there
    for engine in ("oxigraph", "rdflib"):
        if engine == "rdflib" and "zwgk-rdflib" in failed_before:
            res["inproc"][engine] = {"failed": f"not tried: {failed_before['zwgk-rdflib']}"}
            continue
        log(f"  in-process queries: {engine}")
        res["inproc"][engine] = step(["inproc", "--dir", str(d), "--engine", engine, "--budget", str(args.budget)],
                                     timeout=args.load_timeout + 600)
    res["machine"]["load_average_at_end"] = list(os.getloadavg())
    return res


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--scales", default="1,100,1000,3000", help="numbers of catalogs, comma-separated")
    ap.add_argument("--work", default=str(ROOT / "bench" / ".work"), help="folder for the generated data and stores")
    ap.add_argument("--fresh", action="store_true", help="do not merge with the scales already in bench/results/scale.json")
    ap.add_argument("--chunk", type=int, default=50, help="catalogs per N-Triples part (and per validation partition)")
    ap.add_argument("--budget", type=float, default=3.0, help="seconds of requests per engine, query and concurrency")
    ap.add_argument("--max-requests", type=int, default=300, help="requests per engine, query and concurrency (at most)")
    ap.add_argument("--request-timeout", type=float, default=180.0, help="seconds one request may take")
    ap.add_argument("--slow", type=float, default=5.0, help="an engine whose first answer takes longer is measured at 1 client only")
    ap.add_argument("--wave", type=float, default=20.0,
                    help="skip a concurrency where one wave of requests would take longer (first answer × clients ÷ cores)")
    ap.add_argument("--no-profile", action="store_true", help="do not run bench.profile at the smallest scale")
    ap.add_argument("--load-timeout", type=float, default=300.0, help="seconds an engine may take to load a scale")
    ap.add_argument("--max-mb", type=float, default=6000.0, help="memory an engine may use to load a scale (MB)")
    ap.add_argument("--pyshacl-max", type=int, default=100, help="largest scale validated by pySHACL too")
    ap.add_argument("--pyshacl-timeout", type=float, default=1800.0)
    ap.add_argument("--store-validation-max", type=int, default=1000, help="largest scale validated on the whole store too")
    ap.add_argument("--skip", default="", help="engines not to run, comma-separated")
    ap.add_argument("--results", default=str(RESULTS), help="folder for scale.json, scale.md and latency.svg")
    args = ap.parse_args(argv)
    args.skip = {s for s in args.skip.split(",") if s}
    scales = [int(s) for s in args.scales.split(",") if s]
    results = Path(args.results)
    results.mkdir(parents=True, exist_ok=True)
    path = results / "scale.json"
    doc = json.loads(path.read_text(encoding="utf-8")) if path.exists() and not args.fresh else {"scales": {}}
    failed_before: dict[str, str] = {}
    for n in sorted(scales):
        res = measure(n, args, failed_before)
        doc["scales"][str(n)] = res
        doc["scales"] = dict(sorted(doc["scales"].items(), key=lambda kv: int(kv[0])))
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        report.write(doc, results)
        log(f"scale {n} written to {path}")
        if n == min(scales) and not args.no_profile:
            from bench import profile

            log(f"profile of a named query over HTTP ({n} catalogs)")
            profile.main(["--catalogs", str(n), "--work", args.work, "--results", str(results)])
    log(f"done: {results}/scale.md, scale.json, latency.svg")


if __name__ == "__main__":
    main()
