"""Soak run (issue #8): a bounded load on a real ``zwgk serve`` process, on loopback only.

Starts ``zwgk serve`` on a free 127.0.0.1 port, then for ``--duration`` seconds
``--clients`` concurrent clients (threads, one keep-alive connection each) send
a fixed mix: named queries, ad-hoc SPARQL (SELECT, ASK, CONSTRUCT; JSON, CSV,
Turtle), linked-data pages (HTML and RDF), the query page, the report and the
dumps. Meanwhile the resident memory (RSS) of the server process and of its
query workers is sampled every second.

Reports requests served, errors (any answer that is not 2xx/304, any transport
error), latency percentiles (p50/p95/p99) overall and per kind, throughput,
peak RSS and the RSS growth between the first and last thirds of the run (after
a 20 s warm-up: medians of the samples). Target: zero errors, no memory growth.

Run:  .venv/bin/python bench/soak.py [--duration 60] [--clients 32] [--out bench/results/soak.json]
Not a test: figures to compare between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
CATALOG = "/id/catalog/hami-2024-social-insurance"
INSTRUMENTS = ["social-insurance-handling-regulation", "work-injury-insurance-regulation", "social-insurance-law",
               "gov-info-disclosure-regulation", "unemployment-insurance-regulation"]
PREFIX = "PREFIX zwgk: <https://w3id.org/zwgk/ontology#>\nPREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
SELECTS = [
    PREFIX + 'SELECT ?item ?title WHERE { ?item zwgk:legalBasis ?i ; skos:prefLabel ?title . ?i zwgk:lookupKey "国务院令765号" }',
    PREFIX + "SELECT ?item ?number WHERE { ?item zwgk:itemNumber ?number } ORDER BY ?number LIMIT 20",
    PREFIX + "SELECT ?i (COUNT(?item) AS ?n) WHERE { ?item zwgk:legalBasis ?i } GROUP BY ?i ORDER BY DESC(?n)",
    PREFIX + "SELECT ?c (COUNT(*) AS ?n) WHERE { ?item zwgk:disclosureChannel ?c } GROUP BY ?c",
    "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY DESC(?n) LIMIT 10",
]
OTHER_QUERIES = [
    (PREFIX + 'ASK { ?i zwgk:lookupKey "国务院令765号" }', "application/sparql-results+json"),
    (PREFIX + f"CONSTRUCT {{ ?item ?p ?o }} WHERE {{ VALUES ?item {{ <https://w3id.org/zwgk/id{CATALOG[3:]}/item/6> }} "
     "?item ?p ?o }", "text/turtle"),
]


def mix(rng: random.Random) -> tuple[str, str, dict, dict]:
    """(kind, path, params, headers) of the next request."""
    roll = rng.random()
    if roll < 0.25:
        name, params = rng.choice([("items-citing", {"instrument": "国务院令765号"}),
                                   ("items-citing", {"instrument": "《工伤保险条例》"}),
                                   ("instrument-usage", {}), ("items-on-channel", {"channel": "政府网站"})])
        accept = rng.choice(["application/sparql-results+json", "text/csv"])
        return "named", f"/queries/{name}", params, {"Accept": accept}
    if roll < 0.50:
        if rng.random() < 0.8:
            query, accept = rng.choice(SELECTS), rng.choice(["application/sparql-results+json", "text/csv"])
        else:
            query, accept = rng.choice(OTHER_QUERIES)
        return "sparql", "/sparql", {"query": query}, {"Accept": accept}
    if roll < 0.90:
        path = rng.choice([CATALOG, f"{CATALOG}/item/{rng.randint(1, 75)}", f"{CATALOG}/item/{rng.randint(1, 75)}",
                           f"/id/instrument/{rng.choice(INSTRUMENTS)}", "/", "/report", "/ontology"])
        accept = "text/html" if rng.random() < 0.85 or not path.startswith("/id/") else "text/turtle"
        return "page", path, {}, {"Accept": accept}
    path = rng.choice(["/dumps/zwgk.nt", "/dumps/zwgk.ttl", "/.well-known/void", "/report.json"])
    return "dump", path, {}, {}


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    ap.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    ap.add_argument("--warmup", type=float, default=20.0, help="seconds before memory samples count (default 20)")
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "soak.json"))
    args = ap.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tempfile.TemporaryFile()
    server = subprocess.Popen([sys.executable, "-m", "zwgk.cli", "--root", str(ROOT), "serve", "--host", "127.0.0.1",
                               "--port", str(port)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while True:
            if server.poll() is not None:
                log.seek(0)
                sys.exit(f"zwgk serve exited with {server.returncode}:\n{log.read().decode('utf-8', 'replace')}")
            try:
                if httpx.get(base + "/", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                sys.exit("zwgk serve did not start")
            time.sleep(0.2)
        figures = soak(base, server.pid, args)
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.seek(0)
        server_log = log.read().decode("utf-8", "replace")
    figures["server_log_lines"] = len([line for line in server_log.splitlines() if line.strip()]) - 1  # less its banner
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    t = figures["requests"]
    print(f"soak: {t['served']} requests in {figures['duration_seconds']} s ({t['per_second']}/s) from "
          f"{figures['clients']} clients; errors {t['errors']}; latency p50 {figures['latency_ms']['all']['p50']} ms, "
          f"p95 {figures['latency_ms']['all']['p95']} ms, p99 {figures['latency_ms']['all']['p99']} ms; "
          f"peak RSS server {figures['memory']['server_peak_mib']} MiB, workers {figures['memory']['workers_peak_mib']} MiB; "
          f"growth {figures['memory']['server_growth_mib']} MiB (server), {figures['memory']['workers_growth_mib']} MiB "
          f"(workers); written to {out}")


def soak(base: str, pid: int, args) -> dict:
    stop = threading.Event()
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    counts: dict[str, int] = defaultdict(int)
    lock = threading.Lock()
    samples: list[tuple[float, int, int, int]] = []  # (t, server KiB, workers KiB, number of workers)
    start = time.monotonic()

    def client(n: int) -> None:
        rng = random.Random(args.seed * 1000 + n)
        with httpx.Client(base_url=base, timeout=60) as http:
            while not stop.is_set():
                kind, path, params, headers = mix(rng)
                t = time.perf_counter()
                try:
                    r = http.get(path, params=params, headers=headers)
                    r.read()
                    ok = r.status_code < 300 or r.status_code == 304
                    problem = None if ok else f"{r.status_code} {path}: {r.text[:200]}"
                except httpx.HTTPError as exc:
                    problem = f"{type(exc).__name__} {path}: {exc}"
                elapsed = time.perf_counter() - t
                with lock:
                    counts[kind] += 1
                    latencies[kind].append(elapsed)
                    if problem:
                        errors.append(problem)

    def sampler() -> None:
        while not stop.is_set():
            workers = children(pid)
            samples.append((time.monotonic() - start, rss_kib(pid), sum(rss_kib(w) for w in workers), len(workers)))
            stop.wait(1.0)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(args.clients)]
    watch = threading.Thread(target=sampler, daemon=True)
    watch.start()
    for t in threads:
        t.start()
    stop.wait(args.duration)
    stop.set()
    for t in threads:
        t.join(90)
    watch.join(5)
    duration = time.monotonic() - start

    everything = [x for values in latencies.values() for x in values]
    served = len(everything)
    warm = [s for s in samples if s[0] >= args.warmup]
    third = max(1, len(warm) // 3)
    first, last = warm[:third], warm[-third:]

    def mib(kib: float) -> float:
        return round(kib / 1024, 1)

    def median(values) -> float:
        values = list(values)
        return statistics.median(values) if values else 0.0

    server_growth = mib(median(s[1] for s in last) - median(s[1] for s in first))
    workers_growth = mib(median(s[2] for s in last) - median(s[2] for s in first))
    return {
        "what": "soak run of zwgk serve on loopback: a mix of named queries, ad-hoc SPARQL, pages and dumps",
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "processor": platform.machine(), "cpus": os.cpu_count()},
        "settings": "defaults of zwgk serve (query_workers 4, query_timeout 30 s, no rate limit)",
        "note": "the clients run on the same machine as the server and its workers, and share its CPUs",
        "duration_seconds": round(duration, 1),
        "clients": args.clients,
        "requests": {"served": served, "per_second": round(served / duration, 1), "errors": len(errors),
                     "by_kind": dict(sorted(counts.items())), "first_errors": errors[:10]},
        "latency_ms": {
            kind: {"p50": ms(percentile(values, 50)), "p95": ms(percentile(values, 95)),
                   "p99": ms(percentile(values, 99)), "max": ms(max(values))}
            for kind, values in sorted({"all": everything, **latencies}.items()) if values
        },
        "memory": {
            "server_peak_mib": mib(max((s[1] for s in samples), default=0)),
            "workers_peak_mib": mib(max((s[2] for s in samples), default=0)),
            "workers_max": max((s[3] for s in samples), default=0),
            "server_growth_mib": server_growth,
            "workers_growth_mib": workers_growth,
            "growth": "median RSS of the last third of the samples minus that of the first third, after the warm-up",
            "samples": [{"t": round(t, 1), "server_mib": mib(a), "workers_mib": mib(b), "workers": n}
                        for t, a, b, n in samples],
        },
        "targets": {"errors": 0, "memory_growth": "none"},
    }


if __name__ == "__main__":
    main()
