"""The app factory."""

from __future__ import annotations

import contextlib
import threading

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html

from .. import __version__
from ..backends import OxigraphBackend
from . import compare, errors, impact, linked, named, publish, sparql, ui
from .limits import RateLimit, ReadOnlyCORS, RequestLimits, SecurityHeaders, docs_policy
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
        docs_url="/api",
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.state.zwgk = state
    app.state.query_pool = pool
    errors.install(app)
    # outermost last: security headers on every answer, then CORS, the rate limit and the size limits
    app.add_middleware(RequestLimits, max_url_bytes=settings.max_url_bytes, max_body_bytes=settings.max_request_bytes)
    app.add_middleware(RateLimit, per_minute=settings.rate_limit)
    app.add_middleware(
        ReadOnlyCORS,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "HEAD", "OPTIONS"],  # reads only: no CORS on writes
        allow_headers=["Accept", "Content-Type"],
        expose_headers=["ETag", "Last-Modified", "Link", "Content-Type", "Retry-After"],
    )
    docs = get_swagger_ui_html(openapi_url=app.openapi_url, title=f"{app.title} - Swagger UI",
                               oauth2_redirect_url=app.swagger_ui_oauth2_redirect_url,
                               init_oauth=app.swagger_ui_init_oauth, swagger_ui_parameters=app.swagger_ui_parameters)
    app.add_middleware(SecurityHeaders, policies={app.docs_url: docs_policy(docs.body)})
    shape = errors.ERROR_RESPONSES  # the one error shape, documented in the OpenAPI of every route
    app.include_router(sparql.router(state, pool), responses=shape)
    app.include_router(named.router(state), responses=shape)
    app.include_router(publish.router(state), responses=shape)
    app.include_router(impact.router(state), responses=shape)  # /impact/{instrument}, /diff
    app.include_router(compare.router(state), responses=shape)  # /compare?a=&b=
    app.include_router(linked.router(state), responses=shape)
    app.include_router(ui.router(state), responses=shape)
    return app
