"""The app factory."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from .. import __version__
from . import errors, impact, linked, named, publish, sparql, ui
from .settings import Settings
from .state import AppState


def create_app(settings: Settings | None = None, state: AppState | None = None) -> FastAPI:
    settings = settings or Settings()
    state = state or AppState.open(settings)
    app = FastAPI(
        title="zwgk",
        version=__version__,
        description="Standard disclosure catalogs (政务公开标准目录) as linked data: SPARQL 1.1 endpoint, named queries, pages.",
        docs_url="/api",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.zwgk = state
    errors.install(app)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "HEAD", "OPTIONS"],  # reads only: no CORS on writes
        allow_headers=["Accept", "Content-Type"],
        expose_headers=["ETag", "Last-Modified", "Link", "Content-Type"],
    )
    app.include_router(sparql.router(state))
    app.include_router(named.router(state))
    app.include_router(publish.router(state))
    app.include_router(impact.router(state))
    app.include_router(linked.router(state))
    app.include_router(ui.router(state))
    return app
