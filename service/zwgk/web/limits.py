"""What the service bounds before a request reaches a router, as ASGI middleware:

* ``RequestLimits``: a request target longer than ``max_url_bytes`` is 414; a
  body larger than ``max_request_bytes`` is 413, whether its Content-Length
  says so or it streams past the limit.
* ``ReadOnlyCORS``: CORS for reads; a preflight for a write is refused (403).
  A SPARQL query is a read whatever its method: preflights for GET and POST
  on ``/sparql`` and ``/queries`` pass, with the headers Accept, Content-Type
  and X-Requested-With (never Authorization, which updates need); an update
  sent from another site's page is refused by ``/sparql`` itself.
* ``RateLimit``: at most ``rate_limit`` requests a minute from one client
  address (a token bucket: bursts of up to as many), 429 with ``Retry-After``
  past it. Off when the setting is 0 (the default).
* ``SecurityHeaders``: every response says ``X-Content-Type-Options: nosniff``,
  may not be framed (``X-Frame-Options: DENY``, CSP ``frame-ancestors 'none'``)
  and carries a Content-Security-Policy that allows scripts, styles and images
  from this server only: no inline script, no inline style, no plug-ins. Every
  page follows it, ``/api`` too (drawn on the server, ``ui.py``: no CDN).

Every refusal uses the one error shape (``errors.error_response``). The query
time limit and the result size limit live with the queries (``pool.py``,
``sparql.py``).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import math
import re
import threading
import time

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response

from . import errors

# ------------------------------------------------------------------ sizes


class RequestLimits:
    def __init__(self, app, *, max_url_bytes: int, max_body_bytes: int):
        self.app = app
        self.max_url = max_url_bytes
        self.max_body = max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("raw_path") or scope.get("path", "").encode("utf-8")
        query = scope.get("query_string", b"")
        size = len(path) + (len(query) + 1 if query else 0)
        if self.max_url and size > self.max_url:
            return await self._refuse(scope, receive, send, errors.URITooLong(
                f"the request target is {size} bytes, longer than {self.max_url} bytes, the limit set by the "
                "max_url_bytes setting (zwgk serve --max-url-bytes); send a long SPARQL query by POST "
                "(Content-Type application/sparql-query)"))
        declared = _header(scope, b"content-length")
        if self.max_body and declared is not None and declared.isdigit() and int(declared) > self.max_body:
            return await self._refuse(scope, receive, send, body_too_large(self.max_body))
        if not self.max_body:
            return await self.app(scope, receive, send)
        seen = 0

        async def bounded_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise body_too_large(self.max_body)  # answered by the app's error handler
            return message

        return await self.app(scope, bounded_receive, send)

    @staticmethod
    async def _refuse(scope, receive, send, error: errors.ZwgkHTTPError):
        response = errors.error_response(Request(scope), error.status, error.title, error.message,
                                         error.headers | {"Connection": "close"})
        await response(scope, receive, send)


def body_too_large(limit: int) -> errors.PayloadTooLarge:
    return errors.PayloadTooLarge(f"the request body is larger than {limit} bytes, the limit set by the "
                                  "max_request_bytes setting (zwgk serve --max-request-bytes)")


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1").strip()
    return None


# ------------------------------------------------------------------ rate


class RateLimit:
    """A token bucket per client address: ``per_minute`` tokens, refilled
    continuously; each request takes one. Static assets are not counted."""

    EXEMPT = ("/static/",)
    MAX_CLIENTS = 10_000  # buckets kept; full (idle) ones are dropped past this

    def __init__(self, app, *, per_minute: int, clock=time.monotonic):
        self.app = app
        self.per_minute = per_minute
        self.rate = per_minute / 60.0  # tokens a second
        self.clock = clock
        self.buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, at)
        self.lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 when the request may go ahead, else the seconds until it may."""
        now = self.clock()
        with self.lock:
            tokens, at = self.buckets.get(client, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self.buckets[client] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self.buckets[client] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
            if len(self.buckets) > self.MAX_CLIENTS:
                self._prune(now)
        return wait

    def _prune(self, now: float) -> None:
        full = [c for c, (tokens, at) in self.buckets.items()
                if tokens + (now - at) * self.rate >= self.per_minute]
        for client in full:
            del self.buckets[client]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or self.per_minute <= 0 or scope.get("path", "").startswith(self.EXEMPT):
            return await self.app(scope, receive, send)
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = self.take(client)
        if wait <= 0:
            return await self.app(scope, receive, send)
        retry = max(1, math.ceil(wait))
        error = errors.TooManyRequests(
            f"more than {self.per_minute} requests a minute from {client}, the limit set by the rate_limit setting "
            f"(zwgk serve --rate-limit); retry after {retry} s")
        response = errors.error_response(Request(scope), error.status, error.title, error.message,
                                         {"Retry-After": str(retry)})
        await response(scope, receive, send)


class ClientSlots:
    """At most ``per_client`` operations running at once for one client address (0: no
    limit): a client that sends many slow queries at once cannot hold every query worker
    while other clients wait."""

    def __init__(self, per_client: int):
        self.per_client = per_client
        self.running: dict[str, int] = {}
        self.lock = threading.Lock()

    @contextlib.contextmanager
    def hold(self, client: str):
        if self.per_client <= 0:
            yield
            return
        with self.lock:
            if self.running.get(client, 0) >= self.per_client:
                raise errors.TooManyRequests(
                    f"{client} already has {self.per_client} queries running, the limit set by the "
                    "max_client_queries setting (zwgk serve --max-client-queries); wait for one to finish",
                    headers={"Retry-After": "1"})
            self.running[client] = self.running.get(client, 0) + 1
        try:
            yield
        finally:
            with self.lock:
                left = self.running[client] - 1
                if left:
                    self.running[client] = left
                else:
                    del self.running[client]


# ------------------------------------------------------------------ CORS


class ReadOnlyCORS(CORSMiddleware):
    """Starlette's CORS middleware (origins from the cors_origins setting, simple
    responses), with its own preflights: open to reads only, by path, and refused
    in the one error shape with 403 instead of a plain-text 400."""

    READ_METHODS = ("GET", "HEAD")
    QUERY_METHODS = ("GET", "HEAD", "POST")  # a SPARQL query by POST (application/sparql-query, a form) is a read
    QUERY_PATHS = ("/sparql", "/queries")
    HEADERS = ("Accept", "Accept-Language", "Content-Language", "Content-Type", "X-Requested-With")
    MAX_AGE = "600"

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            headers = Headers(scope=scope)
            if "origin" in headers and "access-control-request-method" in headers:
                response = self.preflight(headers, scope.get("path", ""))
                return await response(scope, receive, send)
        return await super().__call__(scope, receive, send)

    def methods_for(self, path: str) -> tuple[str, ...]:
        queries = any(path == p or path.startswith(p + "/") for p in self.QUERY_PATHS)
        return self.QUERY_METHODS if queries else self.READ_METHODS

    def preflight(self, headers: Headers, path: str) -> Response:
        origin = headers["origin"]
        method = headers["access-control-request-method"].strip().upper()
        asked = [h.strip().lower() for h in headers.get("access-control-request-headers", "").split(",") if h.strip()]
        methods = self.methods_for(path)
        if not self.is_allowed_origin(origin):
            return self.refuse(f"the origin {origin} is not allowed by the cors_origins setting "
                               "(zwgk serve --cors-origin)")
        if method not in methods:
            return self.refuse(f"cross-origin {method} requests are not allowed on {path}: CORS is open to reads only "
                               f"({', '.join(methods)}); updates and other writes are refused from other sites")
        extra = [h for h in asked if h not in {name.lower() for name in self.HEADERS}]
        if extra:
            return self.refuse(f"the header {extra[0]} is not allowed in cross-origin requests (allowed: Accept, "
                               "Content-Type, X-Requested-With): CORS is open to reads only, and updates, which need "
                               "Authorization, are refused from other sites")
        if "access-control-request-private-network" in headers:
            return self.refuse("requests from public sites to this server on a private network are not allowed")
        allowed = {
            "Access-Control-Allow-Origin": "*" if self.allow_all_origins else origin,
            "Access-Control-Allow-Methods": ", ".join(methods),
            "Access-Control-Allow-Headers": ", ".join(self.HEADERS),
            "Access-Control-Max-Age": self.MAX_AGE,
            "Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
        }
        return Response(b"OK", status_code=200, media_type="text/plain", headers=allowed)

    @staticmethod
    def refuse(message: str) -> Response:
        return Response(errors.error_json_bytes(403, "Forbidden", message), status_code=403,
                        media_type="application/json", headers={"Vary": "Origin"})


# ------------------------------------------------------------------ headers

PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
               "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def script_hashes(page: bytes) -> list[str]:
    """CSP source expressions (``'sha256-…'``) of the inline scripts of a page."""
    return ["'sha256-" + base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode("ascii") + "'"
            for m in _INLINE_SCRIPT.finditer(page)]


class SecurityHeaders:
    def __init__(self, app, *, policies: dict[str, str] | None = None):
        self.app = app
        self.policies = policies or {}  # path -> a policy other than PAGE_POLICY

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        policy = self.policies.get(scope.get("path", ""), PAGE_POLICY).encode("latin-1")

        started = False

        async def send_with_headers(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", ())
                           if k.lower() not in (b"x-content-type-options", b"x-frame-options",
                                                b"content-security-policy", b"referrer-policy")]
                headers += [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                            (b"content-security-policy", policy), (b"referrer-policy", b"same-origin")]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # a crash: answer with the one error shape (and these headers) here; the app's
            # server-error layer outside logs it (errors.install) and sends nothing more
            if not started:
                response = errors.error_response(Request(scope), 500, "Internal Server Error",
                                                 "the server failed to answer this request; the failure is logged")
                await response(scope, receive, send_with_headers)
            raise
