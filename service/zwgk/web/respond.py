"""Answering with a query outcome: negotiate the format, stream what the engine writes."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response, StreamingResponse

from .negotiation import RDF, RESULTS, Format, choose

BOOLEAN = tuple(f for f in RESULTS if f.name in ("json", "xml", "csv", "tsv"))

CHARSET = {"text/csv", "text/tab-separated-values", "text/turtle", "application/n-triples", "text/html"}


def formats_for(kind: str) -> tuple[Format, ...]:
    return RDF if kind == "graph" else BOOLEAN if kind == "boolean" else RESULTS


def content_type(fmt: Format) -> str:
    return f"{fmt.media_type}; charset=utf-8" if fmt.media_type in CHARSET else fmt.media_type


def outcome_response(request: Request, outcome, override: str | None = None, headers: dict | None = None) -> Response:
    fmt = choose(formats_for(outcome.kind), request.headers.get("accept"), override)
    body = outcome.serialize(fmt.media_type)
    hdrs = {"Vary": "Accept"} | (headers or {})
    if request.method == "HEAD":
        return Response(status_code=200, media_type=content_type(fmt), headers=hdrs)
    return StreamingResponse(body, media_type=content_type(fmt), headers=hdrs)
