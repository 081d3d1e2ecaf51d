"""Where the time of a named query over HTTP goes: py-spy on ``zwgk serve``, and the same query
answered by leaner ways of serving the same app, against the raw ``oxigraph serve``.

    .venv/bin/python -m bench.profile [--catalogs 1] [--query corrections]

Uses (or builds) ``bench/.work/n<catalogs>``; writes ``bench/results/profile.md`` and
``profile.json``. ``bench.run`` runs it at its smallest scale.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "service"))

from bench import load as loadgen  # noqa: E402
from bench import servers  # noqa: E402
from bench.queries import queries  # noqa: E402
from bench.steps import sources  # noqa: E402

VARIANTS = (
    ("oxigraph serve", "oxigraph", "the raw Oxigraph server (Rust), same on-disk store"),
    ("zwgk serve", "zwgk", "as deployed: FastAPI app, its middleware, uvicorn on h11 (zwgk's error-shaped protocol)"),
    ("zwgk app on httptools", "variant:httptools", "the same app on uvicorn's C parser (httptools) instead of h11"),
    ("zwgk app without middleware", "variant:no-middleware", "the same app, h11, without RequestLimits/RateLimit/CORS/SecurityHeaders"),
    ("bare Starlette route", "variant:bare", "one Starlette route calling the same QueryRunner, httptools: the floor for Python"),
)

# a sample is put in the category of its deepest frame that matches (checked leaf first)
CATEGORIES = (
    ("engine: query (pyoxigraph)", ("backends.py", "OxigraphBackend.query")),
    ("engine: serialize results", ("OxigraphOutcome.serialize",)),
    ("named query: bind parameters", ("QueryRunner.bind", "QueryRunner._term", "registry.py", "citations.py")),
    ("named query: other zwgk", ("zwgk/queries.py", "zwgk/web/named.py")),
    ("negotiation and response", ("zwgk/web/respond.py", "zwgk/web/negotiation.py", "starlette/responses.py")),
    ("zwgk middleware", ("zwgk/web/limits.py",)),
    ("starlette/fastapi middleware", ("starlette/middleware", "cors.py", "errors.py")),
    ("routing and request handling (FastAPI)", ("fastapi/routing.py", "fastapi/dependencies", "starlette/routing.py",
                                                "starlette/requests.py", "fastapi/applications.py", "starlette/applications.py",
                                                "starlette/datastructures.py", "pydantic")),
    ("thread hop (anyio to_thread)", ("anyio/", "starlette/concurrency.py")),
    ("HTTP protocol (h11 / uvicorn)", ("h11/", "uvicorn/protocols", "zwgk/web/server.py", "httptools")),
    ("event loop", ("asyncio/", "uvloop", "selectors.py")),
)


def categorize(raw: Path) -> dict:
    cats, leaves = Counter(), Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        stack, n = line.rsplit(" ", 1)
        frames = stack.split(";")
        # start-up (imports, loading) and idle worker threads are not request work
        if any("_find_and_load" in f or "cmd_serve (zwgk/cli.py" in f and "run (" not in stack for f in frames):
            continue
        if frames[-1].startswith(("Condition.wait", "Queue.get", "select (", "_worker (")):
            continue
        n = int(n)
        total += n
        leaves[frames[-1]] += n
        for f in reversed(frames):
            cat = next((c for c, keys in CATEGORIES if any(k in f for k in keys)), None)
            if cat:
                cats[cat] += n
                break
        else:
            cats["other"] += n
    return {"samples": total, "categories": {k: round(v / total * 100, 1) for k, v in cats.most_common()},
            "leaves": [(k, round(v / total * 100, 1)) for k, v in leaves.most_common(20)]}


def measure(server: servers.Server, url: str, n: int) -> dict:
    loadgen.run(loadgen.load(url, "application/sparql-results+json", 1, 50, 2, 30))  # warm-up
    return loadgen.run(loadgen.load(url, "application/sparql-results+json", 1, n, 30, 60)).summary()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--catalogs", type=int, default=1)
    ap.add_argument("--query", default="corrections")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--work", default=str(ROOT / "bench" / ".work"))
    ap.add_argument("--results", default=str(ROOT / "bench" / "results"))
    a = ap.parse_args(argv)
    d = Path(a.work) / f"n{a.catalogs}"
    if not (d / "store" / "zwgk-loaded.json").exists():
        subprocess.run([sys.executable, "-m", "bench.steps", "build", "--dir", str(d), "--n", str(a.catalogs)], cwd=ROOT,
                       check=True, capture_output=True)
    q = next(x for x in queries(ROOT) if x["name"] == a.query)
    files = sources(d)
    shutil.rmtree(d / "store-raw", ignore_errors=True)
    shutil.copytree(d / "store", d / "store-raw")
    out: dict = {"query": a.query, "catalogs": a.catalogs, "requests": a.requests, "variants": {}}
    # 1. the ways of serving, one at a time, 1 client
    for label, engine, what in VARIANTS:
        s = servers.start(engine, d, files, 120, 4000)
        try:
            if s.failure:
                out["variants"][label] = {"what": what, "failed": s.failure}
                continue
            out["variants"][label] = {"what": what} | measure(s, s.url_for(q), a.requests)
        finally:
            s.stop()
        print(label, out["variants"][label].get("p50_ms"), flush=True)
    # 2. py-spy on zwgk serve as deployed
    spy = shutil.which("py-spy") or str(servers.VENV_BIN / "py-spy")
    raw = d / "py-spy.txt"
    port = servers.free_port()
    cmd, _ = servers.command("zwgk", d, files, port)
    p = subprocess.Popen([spy, "record", "--format", "raw", "--rate", "500", "--nonblocking", "-o", str(raw), "--", *cmd],
                         cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}{q['path']}"
    try:
        for _ in range(300):
            try:
                status, _, _ = loadgen.run(loadgen.fetch(url, "application/sparql-results+json", 5))
                if status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        out["under_py_spy"] = loadgen.run(loadgen.load(url, "application/sparql-results+json", 1, a.requests, 30, 60)).summary()
    finally:
        p.send_signal(signal.SIGINT)  # py-spy writes its samples and stops
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
        # the server was py-spy's child: stop it by its port's owner, which we started
        for pid_dir in Path("/proc").glob("[0-9]*"):
            try:
                cmdline = (pid_dir / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"serve" in cmdline and str(port).encode() in cmdline and any(b"zwgk" in c for c in cmdline):
                try:
                    import os

                    os.kill(int(pid_dir.name), signal.SIGTERM)
                except OSError:
                    pass
    if raw.exists():
        out["py_spy"] = categorize(raw)
    shutil.rmtree(d / "store-raw", ignore_errors=True)
    results = Path(a.results)
    (results / "profile.json").write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (results / "profile.md").write_text(markdown(out), encoding="utf-8")
    print(f"written {results / 'profile.md'}")


def markdown(out: dict) -> str:
    v = out["variants"]
    base = v.get("oxigraph serve", {}).get("p50_ms")
    L = [f"# Where a named query's time goes over HTTP", "",
         f"`{out['query']}` on {out['catalogs']} catalog(s) (a tiny query: what remains is the fixed cost of "
         f"serving it), {out['requests']} requests, 1 client on loopback, each way of serving started alone. "
         "Written by `.venv/bin/python -m bench.profile`.", "",
         "| served by | p50 ms | p99 ms | p50 − oxigraph serve | what |", "|---|---:|---:|---:|---|"]
    for label, e in v.items():
        if "failed" in e:
            L.append(f"| {label} | failed: {e['failed']} | | | {e['what']} |")
            continue
        extra = f"{e['p50_ms'] - base:+.2f} ms" if base is not None else "—"
        L.append(f"| {label} | {e['p50_ms']:.2f} | {e['p99_ms']:.2f} | {extra} | {e['what']} |")
    if "py_spy" in out:
        ps = out["py_spy"]
        L += ["", f"## py-spy on `zwgk serve` ({ps['samples']} busy samples at 500 Hz, start-up and idle threads left out; "
                  f"p50 under the profiler {out['under_py_spy'].get('p50_ms')} ms)", "",
              "| where | share of busy samples |", "|---|---:|"]
        L += [f"| {k} | {x}% |" for k, x in ps["categories"].items()]
        L += ["", "Deepest frames:", "", "| frame | share |", "|---|---:|"]
        L += [f"| `{k[:110]}` | {x}% |" for k, x in ps["leaves"]]
    L += ["", "## Reading", ""] + reading(out)
    return "\n".join(L) + "\n"


def reading(out: dict) -> list[str]:
    v = out["variants"]
    g = {k: e.get("p50_ms") for k, e in v.items()}
    lines = []
    ox_, z = g.get("oxigraph serve"), g.get("zwgk serve")
    if ox_ and z:
        lines.append(f"- `zwgk serve` adds {z - ox_:.2f} ms to the raw server's {ox_:.2f} ms on this query "
                     f"({z / ox_:.1f}×); Oxigraph's own work is the same in both (same store, same query).")
    if z and g.get("zwgk app on httptools"):
        lines.append(f"- h11 → httptools: {g['zwgk app on httptools'] - z:+.2f} ms (h11 is pure Python; zwgk uses it for "
                     "raw UTF-8 request targets and its error-shaped 400/414/431).")
    if z and g.get("zwgk app without middleware"):
        lines.append(f"- without the middleware stack: {g['zwgk app without middleware'] - z:+.2f} ms.")
    if g.get("bare Starlette route") and ox_:
        lines.append(f"- a bare Starlette route on httptools is {g['bare Starlette route'] - ox_:+.2f} ms from the raw server: "
                     "the cost of a Python ASGI stack itself, which no layer above it can remove.")
    return lines


if __name__ == "__main__":
    main()
