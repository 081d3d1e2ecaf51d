"""zwgk's app served in a chosen way, to tell where the time of a request goes (``bench.profile``).

    python -m bench.serve_variant VARIANT --port P --store-path S --load FILE...

* ``deployed``       — exactly ``zwgk serve``: ``create_app`` + ``web.server.run`` (h11, its error shapes)
* ``httptools``      — the same app on uvicorn's httptools parser instead of h11
* ``no-middleware``  — the same app without its middleware, on h11 as deployed
* ``bare``           — a one-route Starlette app calling the same ``QueryRunner`` (httptools):
                       the floor for a Python ASGI server answering a named query
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "service"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("variant", choices=("deployed", "httptools", "no-middleware", "bare"))
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--store-path", required=True)
    ap.add_argument("--load", nargs="+", required=True)
    a = ap.parse_args()

    import uvicorn

    from zwgk.build import Project
    from zwgk.web.app import create_app
    from zwgk.web.settings import Settings
    from zwgk.web.state import AppState

    fields = Settings.__dataclass_fields__
    extra = {"query_workers": 0} if "query_workers" in fields else {}
    settings = Settings(port=a.port, store_path=Path(a.store_path), load=tuple(Path(p) for p in a.load), **extra)
    state = AppState.open(settings, Project(ROOT))
    if a.variant == "bare":
        from starlette.applications import Starlette
        from starlette.responses import Response
        from starlette.routing import Route

        def run(request):
            q = state.queries[request.path_params["name"]]
            outcome = state.runner.run_named(q, dict(request.query_params))
            return Response(b"".join(outcome.serialize("application/sparql-results+json")),
                            media_type="application/sparql-results+json")

        app = Starlette(routes=[Route("/queries/{name}", run)])
        uvicorn.run(app, host="127.0.0.1", port=a.port, http="httptools", log_level="warning")
        return
    app = create_app(settings, state)
    if a.variant == "no-middleware":
        app.user_middleware = []
    if a.variant == "httptools":
        uvicorn.run(app, host="127.0.0.1", port=a.port, http="httptools", log_level="warning")
        return
    from zwgk.web.server import run as serve

    serve(app, "127.0.0.1", a.port)


if __name__ == "__main__":
    main()
