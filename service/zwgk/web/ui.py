"""The query page and its assets: ``/`` (a SPARQL editor, the named queries as
examples, the build's figures), ``/report`` (the validation report as a page)
and ``/report.json``; ``/api`` (the operations of ``/openapi.json`` as a page,
drawn on the server); static files at ``/static``.

Every asset ships in ``static/``: no CDN, no editor library. The page's script
(``static/ui.js``) calls ``/sparql`` and ``/queries/{name}`` and builds the
result table with ``textContent`` only.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.staticfiles import StaticFiles

from ..graph import BASE, PREFIXES
from .pages import environment as page_environment

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"
SEVERITIES = ("Violation", "Warning", "Info")
FIGURES = (("items", "items", "公开事项"), ("instruments", "instruments", "公开依据"),
           ("citations", "citations", "引用"), ("triples", "triples", "三元组"))
NO_REPORT = "no validation report was built: run `zwgk build` with SHACL shapes in shapes/, then restart the server"
STARTER = """\
# The items of every loaded catalog, with their legal basis.
# Ctrl+Enter runs the query; the named queries on the right are more examples.
PREFIX zwgk: <https://w3id.org/zwgk/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX eli: <http://data.europa.eu/eli/ontology#>

SELECT ?item ?number ?title (COUNT(?instrument) AS ?instruments)
WHERE {
  ?item a zwgk:DisclosureItem ;
        zwgk:itemNumber ?number ;
        skos:prefLabel ?title .
  OPTIONAL { ?item zwgk:legalBasis ?instrument }
}
GROUP BY ?item ?number ?title
ORDER BY ?number
LIMIT 20
"""
_HEADER_LINE = re.compile(r"^#\+.*(?:\n|$)", re.MULTILINE)
_ITEM_IRI = re.compile(r"^(.*/item/[^/]+)")


def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def local_href(iri: str | None) -> str | None:
    """The local page of a data IRI (``BASE`` X → ``/id/X``), else the IRI itself."""
    if not iri:
        return None
    return "/id/" + iri[len(BASE):] if iri.startswith(BASE) else iri


def short(iri: str | None) -> str:
    """A compact name for an IRI: ``id:…`` for data, ``prefix:local`` for vocabularies."""
    if not iri:
        return ""
    if iri.startswith(BASE):
        return "id:" + iri[len(BASE):]
    for prefix, ns in PREFIXES.items():
        if iri.startswith(str(ns)) and len(iri) > len(str(ns)):
            return f"{prefix}:{iri[len(str(ns)):]}"
    if iri.startswith("http://www.w3.org/ns/shacl#"):
        return "sh:" + iri.rsplit("#", 1)[1]
    return iri


def example_text(query) -> str:
    """The query text to load into the editor: the ``#+`` metadata header
    becomes one comment line; unbound parameters stay variables."""
    body = _HEADER_LINE.sub("", query.text).lstrip("\n")
    head = f"# {query.name}: {query.summary}\n" if query.summary else f"# {query.name}\n"
    if query.params:
        head += "# parameters (bound when run as a named query): " + ", ".join(f"?{p.name}" for p in query.params) + "\n"
    return head + body


def figures(summary: dict) -> list[dict]:
    return [{"key": key, "label": label, "label_zh": zh, "value": summary[key]}
            for key, label, zh in FIGURES if isinstance(summary.get(key), int)]


ITEM_LABELS = """\
SELECT ?item ?label WHERE {
  ?item <https://w3id.org/zwgk/ontology#itemNumber> ?number ;
        <http://www.w3.org/2004/02/skos/core#prefLabel> ?label .
}"""


def item_labels(backend) -> dict[str, str]:
    """Item IRI → its title, for the report's headings; empty if the store cannot say."""
    try:
        body = b"".join(backend.query(ITEM_LABELS).serialize("application/sparql-results+json"))
        rows = json.loads(body)["results"]["bindings"]
    except Exception:  # a heading without a title is no reason to fail the page
        return {}
    return {r["item"]["value"]: r["label"]["value"] for r in rows if "item" in r and "label" in r}


def report_groups(report: dict, labels: dict[str, str] | None = None) -> list[dict]:
    """Results grouped by item number (results tied to no item last), most severe first."""
    order = {s: i for i, s in enumerate(SEVERITIES)}
    groups: dict[object, dict] = {}
    results = sorted(report.get("results", []),
                     key=lambda r: (r.get("item") is None, r.get("item") or 0, order.get(r.get("severity"), 9)))
    for r in results:
        item = r.get("item")
        group = groups.setdefault(item, {"item": item, "href": None, "iri": None, "label": None, "results": []})
        focus = r.get("focus") or ""
        if item is not None and group["href"] is None and (m := _ITEM_IRI.match(focus)):
            group["iri"], group["href"] = m.group(1), local_href(m.group(1))
            group["label"] = (labels or {}).get(m.group(1))
        group["results"].append({
            "severity": r.get("severity") or "",
            "message": r.get("message") or "",
            "message_en": r.get("message_en") if r.get("message_en") != r.get("message") else None,
            "path": r.get("path"), "path_short": short(r.get("path")),
            "focus": focus, "focus_short": short(focus), "focus_href": local_href(focus),
            "value": r.get("value"), "value_short": short(r.get("value")),
            "value_href": local_href(r.get("value")) if (r.get("value") or "").startswith(("http://", "https://")) else None,
            "shape": short(r.get("shape")), "constraint": short(r.get("constraint")),
        })
    return list(groups.values())


METHODS = ("get", "post", "put", "patch", "delete")


def api_groups(schema: dict) -> list[dict]:
    """The operations of an OpenAPI description, grouped by tag in the order of the paths:
    method, path, summary, parameters, request body types and answers, for the ``/api`` page."""
    groups: dict[str, list[dict]] = {}
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            tag = (op.get("tags") or ["other"])[0]
            params = [*item.get("parameters", []), *op.get("parameters", [])]
            groups.setdefault(tag, []).append({
                "id": op.get("operationId") or f"{method}-{path}",
                "method": method.upper(),
                "path": path,
                "href": path if method == "get" and "{" not in path else None,
                "summary": op.get("summary", ""),
                "description": op.get("description", ""),
                "parameters": [{"name": p.get("name", ""), "where": p.get("in", ""), "required": bool(p.get("required")),
                                "description": p.get("description", "")} for p in params if isinstance(p, dict)],
                "body": list((op.get("requestBody") or {}).get("content", {})),
                "responses": [(status, list((answer or {}).get("content", {})))
                              for status, answer in sorted(op.get("responses", {}).items()) if status < "400"],
                "errors": sorted(status for status in op.get("responses", {}) if status >= "400"),
            })
    return [{"tag": tag, "anchor": re.sub(r"\W+", "-", tag).strip("-"), "operations": ops} for tag, ops in groups.items()]


def router(state) -> APIRouter:
    r = APIRouter(tags=["pages"])
    r.mount("/static", StaticFiles(directory=STATIC), name="static")
    env = environment()
    pages_env = page_environment()

    def page(status: int = 200, headers: dict | None = None, **context) -> HTMLResponse:
        html = env.get_template("ui.html").render(
            has_report=state.report_json is not None,
            report_counts=(state.report_json or {}).get("counts"),
            **context,
        )
        return HTMLResponse(html, status_code=status, headers=headers)

    @r.get("/", response_class=HTMLResponse, summary="The query page",
           description="A SPARQL editor that runs queries on /sparql, the named queries as examples, the build's figures.")
    def home(request: Request):
        examples = [
            {
                "name": q.name, "summary": q.summary, "description": q.description, "sparql": example_text(q),
                "params": [{"name": p.name, "type": p.type, "description": p.description, "example": p.example or ""}
                           for p in q.params],
            }
            for q in state.queries.values()
        ]
        initial = request.query_params.get("query")
        if initial is None:
            initial = STARTER
        config = {"base": BASE, "prefixes": {"id": BASE, **{k: str(v) for k, v in PREFIXES.items()}}}
        return page(
            page="home",
            title="SPARQL 查询 Query",
            examples=examples,
            initial_query=initial,
            figures=figures(state.summary or {}),
            catalogs=[{"id": c.get("id"), "title": c.get("title"), "count": c.get("items"),
                       "href": local_href(f"{BASE}catalog/{c.get('id')}")}
                      for c in (state.summary or {}).get("catalogs", []) if c.get("id")],
            config_json=json.dumps(config, ensure_ascii=False),
            headers={"Link": '</queries>; rel="alternate"; type="application/json"'},
        )

    @r.get("/report", response_class=HTMLResponse, summary="The validation report as a page",
           description="The SHACL data-quality report of the build, grouped by item; JSON at /report.json.")
    def report_page():
        link = {"Link": '</report.json>; rel="alternate"; type="application/json"'}
        report = state.report_json
        if report is None:
            return page(page="report", title="校验报告 Validation report", report=None, message=NO_REPORT,
                        status=404, headers=link)
        counts = report.get("counts") or {}
        return page(
            page="report",
            title="校验报告 Validation report",
            report=report,
            conforms=report.get("conforms"),
            counts=[(s, counts.get(s, 0)) for s in SEVERITIES],
            groups=report_groups(report, item_labels(state.backend)),
            headers=link,
        )

    @r.get("/api", response_class=HTMLResponse, include_in_schema=False)
    def api_page(request: Request):
        """The operations of /openapi.json as a page: drawn on the server, nothing from the network
        (FastAPI's Swagger UI loads its scripts from a CDN and is blank offline)."""
        app = request.app
        html = pages_env.get_template("api.html").render(
            title=app.title, version=app.version, description=app.description, schema_url=app.openapi_url,
            groups=api_groups(app.openapi()))
        return HTMLResponse(html, headers={"Link": f'<{app.openapi_url}>; rel="alternate"; type="application/json"'})

    @r.get("/report.json", summary="The validation report as JSON",
           description="conforms, counts by severity, and each result (severity, focus, item, path, message zh/en).")
    def report_json():
        if state.report_json is None:  # JSON whatever the Accept header says: this is the JSON URL
            return JSONResponse({"error": {"status": 404, "title": "Not Found", "message": NO_REPORT}}, status_code=404)
        return JSONResponse(state.report_json)

    return r
