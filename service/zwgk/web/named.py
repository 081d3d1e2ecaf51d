"""Named queries as API: ``GET /queries`` lists them, ``GET /queries/{name}``
runs one with the same formats and negotiation as ``/sparql``. The CLI's
``zwgk query`` runs the same code (``zwgk.queries``).

Where a query runs: handing a request to a worker thread and back costs about
0.3 ms (the thread hop dominated the profile of a tiny query, see
``bench/results/profile.md``), more than such a query itself. A named query
whose recent runs all took under ``INLINE_SECONDS`` (query and serialization)
therefore runs on the event loop, which it holds for less than that; any other
(a first run, a slow one, one that became slow) runs in a worker thread, so a
heavy query never holds up other requests, and its slow run moves it to the
thread pool for the next ``RECENT`` runs.

Caching: an answer carries an ``ETag`` per representation (the data version
and the format) and ``Last-Modified``; ``If-None-Match`` or
``If-Modified-Since`` that match are answered 304 without running the query.
On a remote store there are no validators (``respond.validators``).

Limits: a named query obeys the ``/sparql`` limits. An answer larger than
``max_result_bytes`` is refused whole (422). A run in a worker thread is awaited
at most ``query_timeout``; past it the client gets 503 and the thread's result is
dropped when it ends (a query on the server's own store cannot be stopped from
Python; the thread pool's size bounds how many such runs there can be at once).
An inline run is one whose recent runs were all quick.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..queries import RESERVED, QueryError, page, page_numbers
from .errors import BadRequest, NotFound, QueryTimeout, ResultTooLarge
from .respond import format_for_query, not_modified, not_modified_response, render, validators

INLINE_SECONDS = 0.002  # a query whose recent runs took less than this runs on the event loop
RECENT = 8  # how many recent runs decide


class Placement:
    """Per named query, how long its recent runs took: inline when all were quick."""

    def __init__(self):
        self.recent: dict[str, deque] = defaultdict(lambda: deque(maxlen=RECENT))

    def inline(self, name: str) -> bool:
        runs = self.recent[name]
        return len(runs) == RECENT and max(runs) < INLINE_SECONDS

    def record(self, name: str, seconds: float) -> None:
        self.recent[name].append(seconds)


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
            text = page(query.text, *page_numbers(request.query_params.get("limit"), request.query_params.get("offset")))
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

        def answer():
            # the results stay in rendered()'s frame: an error raised here must not carry them (in its
            # traceback) to the thread that handles it, since pyoxigraph results are bound to this one
            t0 = time.perf_counter()
            response = rendered()
            placement.record(name, time.perf_counter() - t0)
            limit = state.settings.max_result_bytes
            if limit and int(response.headers.get("content-length", 0)) > limit:  # HEAD too: its length is the GET's
                raise too_large(limit)
            return response

        if placement.inline(name):
            return answer()
        seconds = state.settings.query_timeout
        try:
            with anyio.fail_after(seconds if seconds and seconds > 0 else None):
                # abandoned at the time limit: the request is answered, the thread runs to its end
                return await anyio.to_thread.run_sync(answer, abandon_on_cancel=True)
        except TimeoutError:
            raise timed_out(seconds) from None

    return r
