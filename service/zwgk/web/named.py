"""Named queries as API: ``GET /queries`` lists them, ``GET /queries/{name}``
runs one with the same formats and negotiation as ``/sparql``. The CLI's
``zwgk query`` runs the same code (``zwgk.queries``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..queries import QueryError
from .errors import BadRequest, NotFound
from .respond import format_for_query, render

RESERVED = {"format"}


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


def router(state) -> APIRouter:
    r = APIRouter(tags=["named queries"])

    @r.get("/queries", summary="List the named queries")
    def list_queries():
        return JSONResponse({"queries": [describe(q) for q in state.queries.values()]})

    @r.api_route("/queries/{name}", methods=["GET", "HEAD"], summary="Run a named query",
                 description="Query-string parameters are the query's parameters (see GET /queries); "
                             "`format` overrides the Accept header.")
    def run_query(name: str, request: Request):
        query = state.queries.get(name)
        if query is None:
            raise NotFound(f"no named query {name!r}; see /queries for the list")
        values = {k: v for k, v in request.query_params.items() if k not in RESERVED}
        repeated = [k for k in values if len(request.query_params.getlist(k)) > 1]
        if repeated:
            raise BadRequest(f"parameter {repeated[0]!r} is given more than once")
        fmt = format_for_query(request, query.text, request.query_params.get("format"))
        try:
            outcome = state.runner.run_named(query, values)
        except QueryError as exc:
            raise BadRequest(str(exc)) from None
        return render(request, outcome, fmt, {"ETag": state.etag} if state.etag else None)

    return r
