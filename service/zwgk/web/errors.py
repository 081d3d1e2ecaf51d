"""One error path: a small exception hierarchy, each class with its HTTP
status, one handler, one JSON shape (and an HTML page for browsers).

JSON shape: ``{"error": {"status": 400, "title": "Bad Request", "message": "…"}}``.
No stack trace and no internal path ever reaches a client.
"""

from __future__ import annotations

import html
import json
import logging
import re
import sys
import tempfile
from pathlib import Path

from fastapi import FastAPI, Request
from pydantic import BaseModel
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..backends import AnswerTooLarge, StoreError, StoreUnavailable
from .methods import ALLOWED

log = logging.getLogger("zwgk.web")


class ZwgkHTTPError(Exception):
    status = 500
    title = "Internal Server Error"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class BadRequest(ZwgkHTTPError):
    status, title = 400, "Bad Request"


class Unauthorized(ZwgkHTTPError):
    status, title = 401, "Unauthorized"


class Forbidden(ZwgkHTTPError):
    status, title = 403, "Forbidden"


class NotFound(ZwgkHTTPError):
    status, title = 404, "Not Found"


class MethodNotAllowed(ZwgkHTTPError):
    status, title = 405, "Method Not Allowed"


class NotAcceptable(ZwgkHTTPError):
    status, title = 406, "Not Acceptable"


class PayloadTooLarge(ZwgkHTTPError):
    status, title = 413, "Payload Too Large"


class URITooLong(ZwgkHTTPError):
    status, title = 414, "URI Too Long"


class UnsupportedMediaType(ZwgkHTTPError):
    status, title = 415, "Unsupported Media Type"


class ResultTooLarge(ZwgkHTTPError):
    """The answer would pass max_result_bytes: refused whole, never cut short."""

    status, title = 422, "Result Too Large"


class TooManyRequests(ZwgkHTTPError):
    status, title = 429, "Too Many Requests"


class HeadersTooLarge(ZwgkHTTPError):
    status, title = 431, "Request Header Fields Too Large"


class BadGateway(ZwgkHTTPError):
    status, title = 502, "Bad Gateway"


class ServiceUnavailable(ZwgkHTTPError):
    status, title = 503, "Service Unavailable"


class QueryTimeout(ZwgkHTTPError):
    status, title = 503, "Query Timeout"


# ------------------------------------------------------------------ the shape, documented


class ErrorBody(BaseModel):
    status: int
    title: str
    message: str


class ErrorDocument(BaseModel):
    """The one JSON error shape (an HTML page instead for clients that ask for HTML)."""

    error: ErrorBody


_MEANINGS = {
    400: "bad request: SPARQL syntax (with line and column), a bad parameter",
    401: "an update without the right bearer token",
    403: "updates are off, or sent from another site",
    404: "nothing is served here",
    405: "method not allowed",
    406: "no acceptable format",
    413: "request body larger than max_request_bytes",
    414: "request target longer than max_url_bytes",
    415: "unsupported Content-Type",
    422: "answer larger than max_result_bytes (refused whole, never cut short)",
    429: "more requests than rate_limit allows (see Retry-After)",
    500: "the server failed; the failure is logged",
    502: "the remote store cannot be reached",
    503: "query past query_timeout, workers busy, or the store failing",
}
ERROR_RESPONSES = {status: {"model": ErrorDocument, "description": meaning} for status, meaning in _MEANINGS.items()}


# ------------------------------------------------------------------ no internal paths

_ROOT = Path(__file__).resolve().parents[3]  # the checkout (or site-packages) the code runs from
_PREFIXES = sorted({str(p) for p in (_ROOT, Path(__file__).resolve().parents[1], sys.prefix, sys.base_prefix,
                                     sys.exec_prefix, tempfile.gettempdir(), Path.home()) if len(str(p)) > 1},
                   key=len, reverse=True)
_INTERNAL_PATH = re.compile(r"(?<![\w/.:%~-])(?:" + "|".join(re.escape(p) for p in _PREFIXES) + r")(?=/|\b)[^\s'\"<>,;:)]*")


def scrub(message: str) -> str:
    """``message`` without the server's file-system paths: a file of the project
    keeps its project-relative name (``data/sources/x.txt``), any other path
    (the virtualenv, a temporary folder, the home folder) becomes ``…``."""
    def replace(m: re.Match[str]) -> str:
        path = m.group()
        inside = str(_ROOT) + "/"
        if path.startswith(inside) and not any(path.startswith(p + "/") or path == p
                                               for p in _PREFIXES if len(p) > len(str(_ROOT))):
            return path[len(inside):] or "…"
        return "…"

    return _INTERNAL_PATH.sub(replace, message)


def error_document(status: int, title: str, message: str) -> dict:
    """The one JSON error shape."""
    return {"error": {"status": status, "title": title, "message": scrub(message)}}


def error_json_bytes(status: int, title: str, message: str) -> bytes:
    return json.dumps(error_document(status, title, message), ensure_ascii=False).encode("utf-8")


def wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept.split(",")[0]


def error_response(request: Request, status: int, title: str, message: str, headers: dict | None = None) -> Response:
    message = scrub(message)
    if wants_html(request):
        body = (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{status} {html.escape(title)}</title><link rel='stylesheet' href='/static/zwgk.css'></head>"
            f"<body><main class='error'><h1>{status} {html.escape(title)}</h1><p>{html.escape(message)}</p>"
            "<p><a href='/'>zwgk</a></p></main></body></html>"
        )
        return HTMLResponse(body, status_code=status, headers=headers)
    return JSONResponse(error_document(status, title, message), status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(ZwgkHTTPError)
    async def _zwgk(request: Request, exc: ZwgkHTTPError):
        return error_response(request, exc.status, exc.title, exc.message, exc.headers)

    @app.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError):
        # not the request's fault: a remote store that is down or failing is a bad gateway,
        # any other store failure makes the service unavailable
        if isinstance(exc, AnswerTooLarge):  # refused whole, as a /sparql answer past the limit is
            return error_response(request, ResultTooLarge.status, ResultTooLarge.title,
                                  f"{exc}, the limit set by the max_result_bytes setting (zwgk serve --max-result-bytes): "
                                  "nothing was sent rather than a part")
        error = BadGateway if isinstance(exc, StoreUnavailable) else ServiceUnavailable
        return error_response(request, error.status, error.title, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        titles = {404: "Not Found", 405: "Method Not Allowed"}
        message = exc.detail if isinstance(exc.detail, str) else "the request cannot be served"
        if exc.status_code == 404 and message == "Not Found":
            message = f"nothing is served at {request.url.path}"
        if exc.status_code == 405 and message == "Method Not Allowed":
            message = f"{request.method} is not allowed on {request.url.path}"
            allowed = request.scope.get(ALLOWED)  # every method the path takes (methods.py)
            if allowed:
                message += f"; it takes {', '.join(allowed)}"
        return error_response(request, exc.status_code, titles.get(exc.status_code, "Error"), message,
                              getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        parts = []
        for err in exc.errors():
            loc = ".".join(str(x) for x in err.get("loc", ()) if x not in ("query", "body"))
            parts.append(f"{loc}: {err.get('msg')}" if loc else str(err.get("msg")))
        return error_response(request, 400, "Bad Request", "; ".join(parts) or "invalid request")

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, 500, "Internal Server Error",
                              "the server failed to answer this request; the failure is logged")
