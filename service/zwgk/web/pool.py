"""SPARQL queries in worker processes, so that a query past the time limit is
really stopped.

pyoxigraph cannot interrupt a query from Python and a thread cannot be killed:
a runaway query run in the server process holds a CPU until it ends, which for
a cross product of all triples is never. ``/sparql`` therefore runs each query
in one of ``query_workers`` worker processes; a query still running at
``query_timeout`` has its worker killed (SIGKILL), and a new worker takes the
free place on a later query. The server process only waits, so it keeps
answering other clients.

Each worker holds a read-only copy of the data, a *snapshot* of the served
store numbered by generation, taken on the first query and again on the first
query after a change (``invalidate()``, called after every update):

* an in-memory store is dumped to an N-Quads file, which each worker loads;
* an on-disk store is checkpointed (``Store.backup``, hard links, cheap), and
  each worker opens the checkpoint read-only.

An update (``Job.update``) is rehearsed on a worker the same way: applied to
the worker's own copy of the data (for an on-disk store, a checkpoint taken for
it alone and opened for writing), which the worker then drops. The server
applies an update to the served store only after its rehearsal finished within
the time limit, so a runaway update is stopped like a runaway query, and text
that crashes the parser kills a worker, not the server.

A worker writes the answer itself, in the format the server negotiated,
through a writer that stops at ``max_result_bytes``: an answer is complete or
refused, never cut short. Workers are fresh interpreters (nothing of the
threaded server process is inherited), talk to it over two pipes, may be given
an address-space limit (``query_memory_mb``), ignore Ctrl+C and exit when the
server process is gone.

This module is imported by the workers: it needs the standard library,
pyoxigraph and ``zwgk.backends`` only.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import io
import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox

from ..backends import (GRAPH_FORMATS, SOLUTION_FORMATS, Dataset, OxigraphBackend, QuerySyntaxError,
                        StoreError)

# ------------------------------------------------------------------ what the caller sees


class QueryTimedOut(Exception):
    """The query ran past the time limit; its worker was killed."""


class PoolBusy(Exception):
    """Every worker stayed busy until the time limit."""


class WorkerLost(StoreError):
    """The worker process died while answering (killed, out of memory)."""

    def __init__(self, message: str, exitcode: int | None):
        super().__init__(message)
        self.exitcode = exitcode


class TooLarge(Exception):
    """The answer passed max_result_bytes (raised inside the writer)."""


@dataclass(frozen=True)
class Source:
    """Where a worker finds generation ``generation`` of the data."""

    generation: int
    kind: str  # "nquads" (a file to load in memory) | "oxigraph" (a store folder to open read-only)
    #          | "scratch" (a store folder of one update's rehearsal, to open for writing)
    path: str


@dataclass(frozen=True)
class Job:
    text: str
    media: dict  # result kind ("solutions" | "boolean" | "graph") -> media type, or None when none is acceptable
    max_bytes: int
    dataset: Dataset | None = None
    base_iri: str | None = None
    prefixes: dict = field(default_factory=dict)
    source: Source | None = None
    union: bool = False  # no protocol dataset: the default graph is the union of all graphs
    update: bool = False  # an update to rehearse on the worker's copy of the data (nothing is written back)


@dataclass(frozen=True)
class Answer:
    status: str  # "ok" | "refused" (no acceptable format for the kind) | "too-large"
    kind: str
    media_type: str | None = None
    body: bytes = b""


# ------------------------------------------------------------------ the worker side


class CappedWriter(io.RawIOBase):
    """A binary sink that raises ``TooLarge`` instead of growing past ``limit`` bytes.
    Raising from ``write`` stops oxigraph, which evaluates while it writes."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit
        self.size = 0
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        n = len(data)
        if self.limit and self.size + n > self.limit:
            raise TooLarge(self.size + n)
        self.parts.append(bytes(data))
        self.size += n
        return n

    def value(self) -> bytes:
        return b"".join(self.parts)


def write_outcome(outcome, media_type: str, out) -> None:
    """Serialize a pyoxigraph outcome into ``out`` as it is evaluated."""
    if outcome.kind == "graph":
        fmt = GRAPH_FORMATS[media_type]
        if fmt.supports_datasets:  # triples written as quads of the default graph
            quads = (ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in outcome.results)
            ox.serialize(quads, out, format=fmt)
        else:
            outcome.results.serialize(out, format=fmt)
    else:
        outcome.results.serialize(out, format=SOLUTION_FORMATS[media_type])


def open_source(source: Source) -> OxigraphBackend:
    backend = OxigraphBackend()
    if source.kind == "oxigraph":
        backend.store = ox.Store.read_only(source.path)
    elif source.kind == "scratch":
        backend.store = ox.Store(source.path)
    else:
        backend.store.bulk_load(path=source.path, format=ox.RdfFormat.N_QUADS)
    return backend


def answer(backend: OxigraphBackend, job: Job) -> Answer:
    if job.update:
        backend.update(job.text, job.base_iri)
        return Answer("ok", "update")
    backend.union_default_graph = job.union
    outcome = backend.query(job.text, dataset=job.dataset, base_iri=job.base_iri, prefixes=job.prefixes or None)
    media = job.media.get(outcome.kind)
    if media is None:
        return Answer("refused", outcome.kind)
    out = CappedWriter(job.max_bytes)
    try:
        write_outcome(outcome, media, out)
    except TooLarge:
        return Answer("too-large", outcome.kind)
    except (OSError, RuntimeError) as exc:  # evaluation errors surface while the results are written
        raise StoreError(f"the query failed while its results were written: {exc}") from None
    return Answer("ok", outcome.kind, media, out.value())


def _watch_parent(parent: int) -> None:
    """Exit when the server process is gone, even in the middle of a query
    (oxigraph releases the GIL while it evaluates, so this thread runs)."""
    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="zwgk-parent-watch", daemon=True).start()


def _limit_memory(megabytes: int) -> None:
    if megabytes and megabytes > 0:
        try:
            import resource

            limit = megabytes * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ImportError, ValueError, OSError):
            pass


def worker_main(read_fd: int, write_fd: int, memory_mb: int, parent: int) -> None:
    """A worker's life: answer jobs until the server closes the pipe or goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C stops the server, which stops its workers
    _watch_parent(parent)
    _limit_memory(memory_mb)
    jobs, replies = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    backend, generation = None, None
    while True:
        try:
            job = jobs.recv()
        except (EOFError, OSError):
            return
        try:
            if job.source.generation != generation:
                backend = generation = None
                backend = open_source(job.source)
                generation = job.source.generation
            reply = ("answer", answer(backend, job))
        except QuerySyntaxError as exc:
            reply = ("syntax", str(exc))
        except MemoryError:
            reply = ("memory", "")
        except Exception as exc:  # handed to the server as a store failure
            reply = ("store", str(exc) or type(exc).__name__)
        if job.update:  # the copy no longer matches its generation (a scratch store is closed before the reply)
            backend = generation = None
        if reply[0] == "answer":
            a = reply[1]
            replies.send(("answer", a.status, a.kind, a.media_type))
            if a.status == "ok":
                replies.send_bytes(a.body)
        else:
            replies.send(reply)


# ------------------------------------------------------------------ the server side

_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])  # the folder that holds the zwgk package
_WORKER = "import sys; from zwgk.web.pool import worker_main; worker_main(*map(int, sys.argv[1:]))"


class Worker:
    """One worker process (a fresh interpreter: nothing of the threaded server is
    inherited) and the two pipes to it."""

    def __init__(self, memory_mb: int):
        to_child, from_parent = os.pipe()[::-1]  # (write end, read end)
        from_child, to_parent = os.pipe()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_PARENT, env.get("PYTHONPATH")) if p)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _WORKER, str(from_parent), str(to_parent), str(memory_mb), str(os.getpid())],
                pass_fds=(from_parent, to_parent), stdin=subprocess.DEVNULL, env=env, close_fds=True)
        except BaseException:
            for fd in (to_child, from_parent, from_child, to_parent):
                os.close(fd)
            raise
        os.close(from_parent)
        os.close(to_parent)
        self.jobs = Connection(to_child, readable=False)
        self.replies = Connection(from_child, writable=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        for conn in (self.jobs, self.replies):
            try:
                conn.close()
            except OSError:
                pass

    @property
    def exitcode(self) -> int | None:
        try:
            return self.process.wait(1)
        except subprocess.TimeoutExpired:
            return None


class Snapshots:
    """The generations of the data that workers load."""

    def __init__(self):
        self.lock = threading.Lock()
        self.folder: Path | None = None
        self.backend = None
        self.current: Source | None = None
        self.counter = itertools.count(1)

    def source(self, backend: OxigraphBackend) -> Source:
        with self.lock:
            if self.current is None or backend is not self.backend:
                try:
                    self.current = self._take(backend)
                except OSError as exc:
                    raise StoreError(f"the data could not be copied for the query workers: {exc}") from None
                self.backend = backend
            return self.current

    def invalidate(self) -> None:
        with self.lock:
            self.current = None

    def scratch(self, backend: OxigraphBackend) -> Source | None:
        """A writable checkpoint of an on-disk store for one update's rehearsal (None for an
        in-memory store: a worker loads the N-Quads snapshot into its own memory); delete
        it with ``discard`` once the worker has answered."""
        if backend.path is None:
            return None
        with self.lock:
            if self.folder is None:
                self.folder = Path(tempfile.mkdtemp(prefix="zwgk-snapshots-"))
            number = next(self.counter)
        target = self.folder / f"scratch{number}"
        try:
            backend.store.flush()
            backend.store.backup(str(target))
        except OSError as exc:
            shutil.rmtree(target, ignore_errors=True)
            raise StoreError(f"the data could not be copied to try the update: {exc}") from None
        return Source(-number, "scratch", str(target))

    @staticmethod
    def discard(source: Source | None) -> None:
        if source is not None and source.kind == "scratch":
            shutil.rmtree(source.path, ignore_errors=True)

    def _take(self, backend: OxigraphBackend) -> Source:
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="zwgk-snapshots-"))
        generation = next(self.counter)
        if backend.path is not None:
            target = self.folder / f"g{generation}"
            backend.store.flush()
            backend.store.backup(str(target))
            source = Source(generation, "oxigraph", str(target))
        else:
            target = self.folder / f"g{generation}.nq"
            backend.store.dump(str(target), format=ox.RdfFormat.N_QUADS)
            source = Source(generation, "nquads", str(target))
        for old in self.folder.iterdir():  # keep the last three: a worker may still be opening one
            number = old.name.removeprefix("g").removesuffix(".nq")
            if number.isdigit() and int(number) < generation - 2:
                shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink(missing_ok=True)
        return source

    def close(self) -> None:
        with self.lock:
            if self.folder is not None:
                shutil.rmtree(self.folder, ignore_errors=True)
                self.folder = None
            self.current = self.backend = None


def _shutdown(workers: set, snapshots: Snapshots) -> None:
    for worker in list(workers):
        worker.kill()
    workers.clear()
    snapshots.close()


class QueryPool:
    """Up to ``size`` worker processes, started on demand, each answering one query at a time."""

    def __init__(self, size: int, *, memory_mb: int = 0):
        self.size = max(1, size)
        self.memory_mb = memory_mb
        self.snapshots = Snapshots()
        self._idle: list[Worker] = []
        self._all: set[Worker] = set()
        self._starting = 0
        self._cond = threading.Condition()
        self._closed = False
        # threads that wait for workers: outside the request thread pool, so waiting queries never hold up pages
        self._threads = concurrent.futures.ThreadPoolExecutor(max_workers=max(16, 4 * self.size),
                                                              thread_name_prefix="zwgk-query-wait")
        self._finalizer = weakref.finalize(self, _shutdown, self._all, self.snapshots)

    # ---------------------------------------------------------- workers

    def _acquire(self, deadline: float) -> Worker:
        with self._cond:
            while True:
                if self._closed:
                    raise StoreError("the server is shutting down")
                while self._idle:
                    worker = self._idle.pop()
                    if worker.process.poll() is None:
                        return worker
                    self._all.discard(worker)  # died while idle (killed from outside): a new one takes its place
                    worker.kill()
                if len(self._all) + self._starting < self.size:
                    self._starting += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise PoolBusy()
                self._cond.wait(remaining)
        try:
            worker = Worker(self.memory_mb)
        except BaseException:
            with self._cond:
                self._starting -= 1
                self._cond.notify()
            raise
        with self._cond:
            self._starting -= 1
            self._all.add(worker)
        return worker

    def _release(self, worker: Worker) -> None:
        with self._cond:
            if self._closed:
                worker.kill()
                self._all.discard(worker)
                return
            self._idle.append(worker)
            self._cond.notify()

    def _discard(self, worker: Worker) -> None:
        worker.kill()
        with self._cond:
            self._all.discard(worker)
            self._cond.notify()

    @property
    def busy(self) -> list[int]:
        """Process ids of the workers answering a query now."""
        with self._cond:
            idle = set(self._idle)
            return [w.pid for w in self._all if w not in idle]

    @property
    def processes(self) -> list[int]:
        """Process ids of the live workers (for tests and the soak run)."""
        with self._cond:
            return [w.pid for w in self._all]

    # ---------------------------------------------------------- queries

    def run(self, backend: OxigraphBackend, job: Job, deadline: float) -> Answer:
        """Answer ``job`` on a worker by ``deadline`` (``time.monotonic()``), blocking."""
        if time.monotonic() >= deadline:
            raise PoolBusy()
        scratch = self.snapshots.scratch(backend) if job.update else None
        try:
            return self._run(backend, dataclasses.replace(job, source=scratch or self.snapshots.source(backend)),
                             deadline)
        finally:
            self.snapshots.discard(scratch)

    def _run(self, backend: OxigraphBackend, job: Job, deadline: float) -> Answer:
        worker = self._acquire(deadline)
        try:
            worker.jobs.send(job)
        except OSError:  # an idle worker that died (killed from outside): the job goes to a new one
            self._discard(worker)
            worker = self._acquire(deadline)
            try:
                worker.jobs.send(job)
            except OSError as exc:
                self._discard(worker)
                raise WorkerLost(f"the query worker process stopped ({exc})", None) from None
        try:
            if not worker.replies.poll(max(0.0, deadline - time.monotonic())):
                raise QueryTimedOut()
            head = worker.replies.recv()
            body = worker.replies.recv_bytes() if head[:2] == ("answer", "ok") else b""
        except (EOFError, OSError) as exc:
            code = worker.exitcode
            self._discard(worker)
            raise WorkerLost(f"the query worker process stopped ({_exit_reason(code) or exc})", code) from None
        except BaseException:
            self._discard(worker)  # past the time limit, or in an unknown state: never reuse it
            raise
        if head[0] == "memory":
            self._discard(worker)
            raise WorkerLost("the query needed more memory than a query worker may use", None)
        self._release(worker)
        if head[0] == "answer":
            return Answer(head[1], head[2], head[3], body)
        if head[0] == "syntax":
            raise QuerySyntaxError(head[1])
        raise StoreError(head[1])

    async def answer(self, backend: OxigraphBackend, job: Job, timeout: float | None) -> Answer:
        deadline = time.monotonic() + (timeout if timeout and timeout > 0 else 365 * 86400.0)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._threads, self.run, backend, job, deadline)

    def invalidate(self) -> None:
        """The data changed: workers load a new snapshot before their next query."""
        self.snapshots.invalidate()

    def warm(self, backend: OxigraphBackend) -> None:
        """Start a worker and load the data, so that the first query does not wait for them."""
        try:
            self.run(backend, Job("ASK {}", {"boolean": "application/sparql-results+json"}, 0),
                     time.monotonic() + 600)
        except Exception:  # the first query will say what is wrong
            pass

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._idle.clear()
            self._cond.notify_all()
        self._finalizer()
        self._threads.shutdown(wait=False, cancel_futures=True)


def _exit_reason(code: int | None) -> str | None:
    if code is None:
        return None
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return f"killed by signal {name}"
    return f"exit status {code}"


__all__ = ["QueryPool", "Job", "Answer", "QueryTimedOut", "PoolBusy", "WorkerLost", "CappedWriter"]
