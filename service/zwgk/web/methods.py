"""What the server says about HTTP methods (RFC 9110 §9.3.2, §9.3.7, §15.5.6).

- HEAD wherever GET works: a HEAD request that no route takes is answered as
  its GET, without the body. Routes that take HEAD themselves (and skip making
  the body) get it unchanged.
- OPTIONS on a path that something serves is 204 with ``Allow``. A CORS
  preflight never gets here: ``limits.ReadOnlyCORS`` answers it.
- A 405 for a method no route takes names in ``Allow`` every method the path
  takes. The router names those of the first route it tried only (``/sparql``
  is a GET route and a POST route, and HEAD is served here).

Which methods a path takes is asked of the routes themselves, method by method
(``route.matches``). A route that takes any method (a mounted static folder)
is taken to serve reads only: GET and HEAD.
"""

from __future__ import annotations

import functools

from starlette.responses import Response
from starlette.routing import Match

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
_PROBE = "ZWGK-NO-SUCH-METHOD"  # a route that takes this takes anything
CACHED = 4096  # paths whose methods are kept, the latest asked
CACHED_PATH = 256  # characters: a longer path is asked each time (4096 paths up to max_url_bytes long would be 130 MB)
ALLOWED = "zwgk.allowed"  # the scope key under which a 405's methods reach the error handler (errors.py)


class Methods:
    def __init__(self, app, *, router):
        self.app = app
        self.router = router
        # asking every route costs about 0.3 ms, as much as a small query: the answer per path is kept
        # (the routes do not change once the app runs), for the last CACHED paths of up to CACHED_PATH characters
        self.cached = functools.lru_cache(maxsize=CACHED)(self._allowed_for)

    def _taken(self, scope, method: str) -> bool:
        probe = {**scope, "method": method}
        return any(route.matches(probe)[0] == Match.FULL for route in self.router.routes)

    def allowed(self, scope) -> list[str]:
        """The methods this path takes, OPTIONS included; empty when nothing serves it."""
        root, path = scope.get("root_path", ""), scope["path"]
        return list((self.cached if len(path) <= CACHED_PATH else self._allowed_for)(root, path))

    def _allowed_for(self, root_path: str, path: str) -> tuple[str, ...]:
        scope = {"type": "http", "root_path": root_path, "path": path, "query_string": b"", "headers": []}
        if self._taken(scope, _PROBE):
            taken = ["GET", "HEAD"]
        else:
            taken = [m for m in METHODS if self._taken(scope, m)]
            if "GET" in taken and "HEAD" not in taken:
                taken.insert(taken.index("GET") + 1, "HEAD")
        return (*taken, "OPTIONS") if taken else ()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        method = scope["method"]
        if method == "HEAD" and not self._taken(scope, "HEAD"):
            return await self.app({**scope, "method": "GET"}, receive, _without_body(send))
        if method in ("GET", "HEAD"):
            return await self.app(scope, receive, send)
        allowed = self.allowed(scope)
        if allowed and method == "OPTIONS":
            return await Response(status_code=204, headers={"Allow": ", ".join(allowed)})(scope, receive, send)
        if allowed and method not in allowed:  # answered 405 (by the router or a static folder): with every method
            scope = {**scope, ALLOWED: allowed}
            return await self.app(scope, receive, _with_allow(send, ", ".join(allowed)))
        return await self.app(scope, receive, send)


def _without_body(send):
    async def headers_only(message):
        if message["type"] == "http.response.body":
            if message.get("more_body"):
                return
            message = {"type": "http.response.body", "body": b"", "more_body": False}
        await send(message)

    return headers_only


def _with_allow(send, allowed: str):
    async def allow(message):
        if message["type"] == "http.response.start" and message["status"] == 405:
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
            message = {**message, "headers": [*headers, (b"allow", allowed.encode("latin-1"))]}
        await send(message)

    return allow
