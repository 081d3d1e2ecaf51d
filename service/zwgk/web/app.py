"""The app factory."""

from __future__ import annotations

import contextlib
import re
import threading
import warnings

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Match

from .. import __version__
from ..backends import OxigraphBackend
from . import compare, errors, impact, linked, named, publish, sparql, ui
from .limits import RateLimit, ReadOnlyCORS, RequestLimits, SecurityHeaders
from .methods import Methods
from .pool import QueryPool
from .settings import Settings
from .state import AppState


def create_app(settings: Settings | None = None, state: AppState | None = None) -> FastAPI:
    settings = settings or Settings()
    state = state or AppState.open(settings)
    # /sparql queries on the embedded store run in worker processes that can be stopped (pool.py)
    pool = QueryPool(settings.query_workers, memory_mb=settings.query_memory_mb) if settings.query_workers > 0 else None

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        if pool is not None and isinstance(state.backend, OxigraphBackend):
            threading.Thread(target=pool.warm, args=(state.backend,), name="zwgk-warm", daemon=True).start()
        yield
        if pool is not None:
            pool.close()

    app = FastAPI(
        title="zwgk",
        version=__version__,
        description="Standard disclosure catalogs (政务公开标准目录) as linked data: SPARQL 1.1 endpoint, named queries, pages.",
        docs_url=None,  # /api is our own page (ui.py): Swagger UI loads its scripts from a CDN
        generate_unique_id_function=operation_id,
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.state.zwgk = state
    app.state.query_pool = pool
    errors.install(app)
    # outermost last: security headers on every answer, then CORS, the rate limit and the size limits;
    # innermost, HEAD wherever GET works, OPTIONS, and a 405's Allow (methods.py)
    app.add_middleware(OneAcceptHeader)
    app.add_middleware(Methods, router=app.router)
    app.add_middleware(RequestLimits, max_url_bytes=settings.max_url_bytes, max_body_bytes=settings.max_request_bytes)
    app.add_middleware(RateLimit, per_minute=settings.rate_limit)
    app.add_middleware(  # reads only (queries by GET or POST); its preflights are its own (limits.py)
        ReadOnlyCORS,
        allow_origins=list(settings.cors_origins),
        expose_headers=["ETag", "Last-Modified", "Link", "Content-Type", "Retry-After"],
    )
    app.add_middleware(SecurityHeaders)  # one policy for every page: scripts and styles from this server only
    shape = errors.ERROR_RESPONSES  # the one error shape, documented in the OpenAPI of every route
    app.include_router(sparql.router(state, pool), responses=shape)
    app.include_router(named.router(state), responses=shape)
    app.include_router(publish.router(state), responses=shape)
    app.include_router(impact.router(state), responses=shape)  # /impact/{instrument}, /diff
    app.include_router(compare.router(state), responses=shape)  # /compare?a=&b=
    app.include_router(linked.router(state), responses=shape)
    app.include_router(ui.router(state), responses=shape)
    app.openapi = lambda: openapi_without_head(app)
    return app


def operation_id(route: APIRoute) -> str:
    """A route's operation id, named after its method other than HEAD (FastAPI's default takes
    whichever method its set yields first, so a GET+HEAD route could be named ``…_head``)."""
    methods = sorted(route.methods - {"HEAD"}) or ["HEAD"]
    return re.sub(r"\W", "_", f"{route.name}{route.path_format}") + "_" + methods[0].lower()


def openapi_without_head(app: FastAPI) -> dict:
    """The OpenAPI description without the HEAD twins of GET operations, so each operation
    id names one operation; ``/api`` says that every GET answers HEAD too."""
    if app.openapi_schema is None:
        with warnings.catch_warnings():
            # a GET+HEAD route yields two operations with one id; the HEAD one is dropped below
            warnings.filterwarnings("ignore", message="Duplicate Operation ID")
            schema = FastAPI.openapi(app)
        for item in schema.get("paths", {}).values():
            if "get" in item:
                item.pop("head", None)
        app.openapi_schema = schema
    return app.openapi_schema


class OneAcceptHeader:
    """Several ``Accept`` header lines are one list (RFC 9110 §5.3): joined into one line, so
    that every reader of ``request.headers["accept"]`` sees all of them, not only the first."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            accepts = [v for k, v in scope["headers"] if k == b"accept"]
            if len(accepts) > 1:
                others = [(k, v) for k, v in scope["headers"] if k != b"accept"]
                scope = {**scope, "headers": others + [(b"accept", b", ".join(accepts))]}
        return await self.app(scope, receive, send)
