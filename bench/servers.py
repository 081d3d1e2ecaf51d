"""The engines compared, as server processes on 127.0.0.1, each started, watched (time to
ready, resident memory) and stopped by the benchmark.

* ``zwgk``            — ``zwgk serve`` on the built on-disk Oxigraph store (reopened, not reloaded)
* ``oxigraph``        — the raw ``oxigraph serve`` on a copy of the same on-disk store
* ``zwgk-rdflib``     — ``zwgk serve --store rdflib``, loading the N-Triples files
* ``rdflib-endpoint`` — ``rdflib-endpoint serve``, loading the same files
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
ENGINES = ("zwgk", "oxigraph", "zwgk-rdflib", "rdflib-endpoint")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> tuple[float, float]:
    """Resident and peak resident memory of a process, in MB."""
    rss = hwm = 0.0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) / 1024
    except OSError:
        pass
    return rss, hwm


@dataclass
class Server:
    engine: str
    port: int
    proc: subprocess.Popen
    log: Path
    query_url: str  # URL prefix of a plain SPARQL query (…?query=)
    started: float
    ready_seconds: float | None = None
    peak_mb: float = 0.0
    failure: str | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def url_for(self, q: dict) -> str:
        if self.engine.startswith(("zwgk", "variant:")):
            return f"http://127.0.0.1:{self.port}{q['path']}"
        return self.query_url + quote(q["sparql"], safe="")

    def watch(self, max_mb: float) -> None:
        def loop():
            while not self._stop.is_set() and self.proc.poll() is None:
                rss, hwm = rss_mb(self.proc.pid)
                self.peak_mb = max(self.peak_mb, hwm, rss)
                if rss > max_mb:
                    self.failure = f"used more than {max_mb:.0f} MB of memory"
                    self.proc.kill()
                    return
                time.sleep(0.25)
        threading.Thread(target=loop, daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        if self.proc.poll() is None:
            _, hwm = rss_mb(self.proc.pid)
            self.peak_mb = max(self.peak_mb, hwm)
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(15)


def command(engine: str, d: Path, files: list[Path], port: int) -> tuple[list[str], str]:
    if engine.startswith("variant:"):  # bench.profile: the app served another way
        return ([sys.executable, "-m", "bench.serve_variant", engine.split(":", 1)[1], "--port", str(port),
                 "--store-path", str(d / "store"), "--load", *map(str, files)], f"http://127.0.0.1:{port}/sparql?query=")
    if engine == "zwgk":
        return ([str(VENV_BIN / "zwgk"), "serve", "--port", str(port), "--store-path", str(d / "store"),
                 "--query-timeout", "300", "--load", *map(str, files)], f"http://127.0.0.1:{port}/sparql?query=")
    if engine == "zwgk-rdflib":
        return ([str(VENV_BIN / "zwgk"), "serve", "--port", str(port), "--store", "rdflib", "--query-timeout", "300",
                 "--load", *map(str, files)], f"http://127.0.0.1:{port}/sparql?query=")
    if engine == "oxigraph":
        return ([str(VENV_BIN / "oxigraph"), "serve", "--location", str(d / "store-raw"), "--bind", f"127.0.0.1:{port}"],
                f"http://127.0.0.1:{port}/query?query=")
    if engine == "rdflib-endpoint":
        # rdflib-endpoint serves its SPARQL endpoint at /
        return ([str(VENV_BIN / "rdflib-endpoint"), "serve", "--host", "127.0.0.1", "--port", str(port), *map(str, files)],
                f"http://127.0.0.1:{port}/?query=")
    raise ValueError(engine)


def start(engine: str, d: Path, files: list[Path], max_seconds: float, max_mb: float) -> Server:
    """Start ``engine`` on the data of ``d`` and wait until it answers a query (or fails: exits,
    passes ``max_mb`` of memory or ``max_seconds`` without answering)."""
    port = free_port()
    cmd, query_url = command(engine, d, files, port)
    log = d / f"{engine}.log"
    fh = open(log, "wb")
    proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=str(ROOT), stdin=subprocess.DEVNULL)
    server = Server(engine, port, proc, log, query_url, time.perf_counter())
    server.watch(max_mb)
    # zwgk answers when a named query answers (its /sparql runs in worker processes started apart)
    probe = (f"http://127.0.0.1:{port}/queries/corrections" if engine.startswith(("zwgk", "variant:"))
             else query_url + quote("ASK { ?s ?p ?o }", safe=""))
    deadline = server.started + max_seconds
    while True:
        if proc.poll() is not None:
            server.failure = server.failure or f"exited with status {proc.returncode} (see {log.name})"
            break
        if time.perf_counter() > deadline:
            server.failure = f"did not answer within {max_seconds:.0f} s"
            server.stop()
            break
        try:
            req = urllib.request.Request(probe, headers={"Accept": "application/sparql-results+json"})
            with urllib.request.urlopen(req, timeout=5) as r:
                if r.status == 200:
                    server.ready_seconds = time.perf_counter() - server.started
                    break
        except OSError:
            pass
        time.sleep(0.1)
    return server
