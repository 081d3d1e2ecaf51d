"""Named queries as API: ``GET /queries`` lists them, ``GET /queries/{name}``
runs one with the same formats and negotiation as ``/sparql``. The CLI's
``zwgk query`` runs the same code (``zwgk.queries``).

Where a query runs: handing a request to a worker thread and back costs about
0.3 ms (the thread hop dominated the profile of a tiny query, see
``bench/results/profile.md``), more than such a query itself. A run whose
recent runs with the same parameters and page all took under
``INLINE_SECONDS`` (query and serialization) therefore runs on the event loop,
which it holds for about that long; any other (a first run, a slow one, one
that became slow) runs in a worker thread, so a heavy query never holds up
other requests, and its slow run moves it to a thread for the next ``RECENT``
runs.

Caching: an answer carries an ``ETag`` per representation (the data version
and the format) and ``Last-Modified``; ``If-None-Match`` or
``If-Modified-Since`` that match are answered 304 without running the query.
On a remote store there are no validators (``respond.validators``).

Limits: a named query obeys the ``/sparql`` limits. An answer larger than
``max_result_bytes`` is refused whole (422). A run in a worker thread is awaited
at most ``query_timeout``; past it the client gets 503, and the thread, which
cannot be stopped (a query on the server's own store cannot be stopped from
Python), runs to its end and its answer is dropped. At most ``THREADS`` runs
hold a thread at once, those past their time limit included: past that, 503
with ``Retry-After``. An inline run has no time limit: its recent runs, with the
same parameters, were all quick.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict, deque

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..queries import RESERVED, QueryError, page, page_numbers
from .errors import BadRequest, NotFound, QueryTimeout, ResultTooLarge, ServiceUnavailable
from .respond import detached, format_for_query, not_modified, not_modified_response, render, validators

INLINE_SECONDS = 0.002  # a run whose recent runs took less than this runs on the event loop
RECENT = 8  # how many recent runs decide
KEPT = 4096  # runs (a query, its parameters and page) whose recent times are kept, the latest used
THREADS = 32  # named-query runs in worker threads at once, those past their time limit included


class Placement:
    """Per run (a query with its parameters and page), how long its recent runs took:
    inline when all were quick. A run is known by a 16-byte digest (its parameters may be
    long), and the last ``KEPT`` runs are kept; runs are recorded from several threads."""

    def __init__(self):
        self.recent: OrderedDict[bytes, deque] = OrderedDict()
        self.lock = threading.Lock()

    @staticmethod
    def key(*parts) -> bytes:
        return hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=16).digest()

    def inline(self, key: bytes) -> bool:
        with self.lock:
            runs = self.recent.get(key)
            return runs is not None and len(runs) == RECENT and max(runs) < INLINE_SECONDS

    def record(self, key: bytes, seconds: float) -> None:
        with self.lock:
            runs = self.recent.pop(key, None)
            if runs is None:
                runs = deque(maxlen=RECENT)
                if len(self.recent) >= KEPT:
                    self.recent.popitem(last=False)
            runs.append(seconds)
            self.recent[key] = runs  # the latest recorded, last


class Slot:
    """One of ``THREADS`` places for a run in a worker thread, held until the run ends, or
    given back at once by a request that stops waiting before its run started."""

    def __init__(self, places: threading.BoundedSemaphore):
        self.places, self.lock, self.state = places, threading.Lock(), "waiting"

    def start(self) -> bool:
        """In the thread: True to run, False when the request has gone (the place is back)."""
        with self.lock:
            if self.state == "abandoned":
                return False
            self.state = "running"
            return True

    def abandon(self) -> None:
        with self.lock:
            if self.state == "waiting":
                self.state = "abandoned"
                self.places.release()


def describe(q, base: str = "") -> dict:
    return {
        "name": q.name,
        "summary": q.summary,
        "description": q.description,
        "parameters": [{"name": p.name, "type": p.type, "description": p.description, "example": p.example} for p in q.params],
        "example": q.example,
        "url": f"{base}/queries/{q.name}",
        "sparql": q.text,
    }


def too_large(limit: int) -> ResultTooLarge:
    return ResultTooLarge(f"the answer is larger than {limit} bytes, the limit set by the max_result_bytes setting "
                          "(zwgk serve --max-result-bytes); nothing was sent rather than a part: ask for it by "
                          "pages (limit and offset, e.g. ?limit=1000&offset=0), narrow the parameters, or raise "
                          "the setting")


def timed_out(seconds: float) -> QueryTimeout:
    return QueryTimeout(f"the named query ran longer than {seconds:g} s, the limit set by the query_timeout setting "
                        "(zwgk serve --query-timeout); the server could not stop it and dropped its answer: narrow "
                        "the parameters or raise the setting")


def _rows(name: str, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": {"type": "integer", "minimum": 0, "maximum": 10**12 - 1}}


OPENAPI = {"parameters": [
    {"name": "format", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "the answer's format, instead of Accept: json, xml, csv, tsv"},
    _rows("limit", "at most this many rows: replaces the LIMIT the query ends with, if any"),
    _rows("offset", "skip this many rows first: with limit, pages through the answer"),
]}


def router(state) -> APIRouter:
    r = APIRouter(tags=["named queries"])
    placement = Placement()
    places = threading.BoundedSemaphore(THREADS)

    @r.get("/queries", summary="List the named queries")
    def list_queries():
        return JSONResponse({"queries": [describe(q) for q in state.queries.values()]})

    @r.api_route("/queries/{name}", methods=["GET", "HEAD"], summary="Run a named query",
                 description="Query-string parameters are the query's parameters (see GET /queries); "
                             "`format` overrides the Accept header; `limit` and `offset` page through the "
                             "answer (they set the query's LIMIT and OFFSET).", openapi_extra=OPENAPI)
    async def run_query(name: str, request: Request):
        query = state.queries.get(name)
        if query is None:
            raise NotFound(f"no named query {name!r}; see /queries for the list")
        values = {k: v for k, v in request.query_params.items() if k not in RESERVED}
        repeated = [k for k in [*values, "limit", "offset"] if len(request.query_params.getlist(k)) > 1]
        if repeated:
            raise BadRequest(f"parameter {repeated[0]!r} is given more than once")
        fmt = format_for_query(request, query.text, (request.query_params.getlist("format") or [None])[0])
        runner = state.runner
        try:
            bound = runner.bind(query, values)  # bad parameters are 400 before any 304
            rows = page_numbers(request.query_params.get("limit"), request.query_params.get("offset"))
            text = page(query.text, *rows)
        except QueryError as exc:
            raise BadRequest(str(exc)) from None
        # validators per representation: the CSV and the JSON of one URL are different answers
        headers = validators(state, fmt.name)
        if not_modified(request, headers):  # the client has this answer: the query is not run
            return not_modified_response({"Vary": "Accept"} | headers)

        def rendered():
            try:
                outcome = runner.run(text, bound)
            except QueryError as exc:
                raise BadRequest(str(exc)) from None
            return render(request, outcome, fmt, headers)  # pyoxigraph results: serialized in this thread

        key = placement.key(name, sorted(values.items()), rows)

        def answer():
            t0 = time.perf_counter()
            try:
                response = rendered()
            except BaseException as exc:
                # pyoxigraph results are bound to this thread: the error goes on without the frames that hold them
                raise detached(exc) from None
            placement.record(key, time.perf_counter() - t0)
            limit = state.settings.max_result_bytes
            if limit and int(response.headers.get("content-length", 0)) > limit:  # HEAD too: its length is the GET's
                raise too_large(limit)
            return response

        if placement.inline(key):
            return answer()
        seconds = state.settings.query_timeout
        if not places.acquire(blocking=False):
            raise ServiceUnavailable(
                f"all {THREADS} threads for named queries are taken (by runs past the query_timeout setting, "
                "which cannot be stopped and still finish); try again shortly", headers={"Retry-After": "5"})
        slot = Slot(places)

        def in_thread():
            if not slot.start():
                return None
            try:
                return answer()
            finally:
                places.release()

        try:
            with anyio.fail_after(seconds if seconds and seconds > 0 else None):
                # abandoned at the time limit: the request is answered, the thread runs to its end
                return await anyio.to_thread.run_sync(in_thread, abandon_on_cancel=True)
        except TimeoutError:
            raise timed_out(seconds) from None
        finally:
            slot.abandon()  # gives the place back if the run never started

    return r
