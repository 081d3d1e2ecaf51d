"""One error path: a small exception hierarchy, each class with its HTTP
status, one handler, one JSON shape (and an HTML page for browsers).

JSON shape: ``{"error": {"status": 400, "title": "Bad Request", "message": "…"}}``.
No stack trace and no internal path ever reaches a client.
"""

from __future__ import annotations

import html
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..backends import StoreError, StoreUnavailable

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


class UnsupportedMediaType(ZwgkHTTPError):
    status, title = 415, "Unsupported Media Type"


class BadGateway(ZwgkHTTPError):
    status, title = 502, "Bad Gateway"


class ServiceUnavailable(ZwgkHTTPError):
    status, title = 503, "Service Unavailable"


class QueryTimeout(ZwgkHTTPError):
    status, title = 503, "Query Timeout"


def wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept.split(",")[0]


def error_response(request: Request, status: int, title: str, message: str, headers: dict | None = None) -> Response:
    if wants_html(request):
        body = (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{status} {html.escape(title)}</title><link rel='stylesheet' href='/static/zwgk.css'></head>"
            f"<body><main class='error'><h1>{status} {html.escape(title)}</h1><p>{html.escape(message)}</p>"
            "<p><a href='/'>zwgk</a></p></main></body></html>"
        )
        return HTMLResponse(body, status_code=status, headers=headers)
    return JSONResponse({"error": {"status": status, "title": title, "message": message}}, status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(ZwgkHTTPError)
    async def _zwgk(request: Request, exc: ZwgkHTTPError):
        return error_response(request, exc.status, exc.title, exc.message, exc.headers)

    @app.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError):
        # not the request's fault: a remote store that is down or failing is a bad gateway,
        # any other store failure makes the service unavailable
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
