"""Two loaded catalogs side by side: ``GET /compare?a=ID&b=ID``.

``a`` and ``b`` are catalog ids (``yiwu-2024-social-insurance``: the catalog
IRI ``https://w3id.org/zwgk/id/catalog/<id>`` without its base). The page
shows the items of a and b that are counterparts, the items only in a and
only in b, the instruments only one of them cites, and how many items of
each use every disclosure channel and level.

Match rule: an item of a and an item of b are counterparts when their
``zwgk:nameKey`` are equal (the item name in simplified characters, Unicode
NFKC, without whitespace or punctuation; ``zwgk.text.name_key``).

Every table is a named query (``queries/catalog-*.rq``) run by the same code
as ``/queries/{name}`` and ``zwgk query``, so the page, the API and the CLI
give the same answers. HTML or JSON (``Accept`` or ``?format=html|json``).
Without ``a`` and ``b`` the page is a form listing the loaded catalogs (its
JSON: the catalogs); an id that names no loaded catalog is answered 404.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..graph import BASE
from ..queries import QueryError, rows
from .errors import BadRequest, NotFound, ServiceUnavailable, wants_html
from .negotiation import HTML, REPORT_ALIASES, REPORT_JSON, choose
from .pages import environment, page_href
from .respond import page_response

FORMATS = (HTML, REPORT_JSON)
CATALOG_BASE = BASE + "catalog/"
MATCH_RULE = ("An item of a and an item of b are counterparts when their zwgk:nameKey are equal: "
              "the item names in simplified characters, Unicode NFKC, without whitespace or punctuation.")
MATCH_RULE_ZH = "两个目录中名称键（zwgk:nameKey：事项名称转为简体字，经 NFKC 规范化，去除空白和标点）相同的事项互为对应事项。"

# the named queries the page is made of (queries/*.rq)
COUNTERPARTS = "catalog-counterparts"
WITHOUT_COUNTERPART = "catalog-items-without-counterpart"
NOT_CITED_BY = "catalog-instruments-not-cited-by"
COVERAGE = "catalog-coverage"

_PREFIXES = """PREFIX zwgk: <https://w3id.org/zwgk/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX eli: <http://data.europa.eu/eli/ontology#>
"""

# page data: the loaded catalogs, and the labels of the instruments
CATALOGS = _PREFIXES + """
SELECT ?catalog ?title ?place ?placeLabel ?levelLabel (COUNT(DISTINCT ?item) AS ?items)
WHERE {
  ?catalog a zwgk:Catalog .
  OPTIONAL { ?catalog dct:title ?title }
  OPTIONAL {
    ?catalog dct:spatial ?place .
    OPTIONAL { ?place skos:prefLabel ?placeLabel . FILTER (lang(?placeLabel) = "zh") }
    OPTIONAL { ?place zwgk:administrativeLevel ?level . ?level skos:prefLabel ?levelLabel . FILTER (lang(?levelLabel) = "zh") }
  }
  OPTIONAL { ?item zwgk:inCatalog ?catalog }
}
GROUP BY ?catalog ?title ?place ?placeLabel ?levelLabel
ORDER BY ?catalog"""

INSTRUMENT_LABELS = _PREFIXES + """
SELECT ?instrument ?label ?number
WHERE {
  ?instrument a eli:LegalResource .
  OPTIONAL { ?instrument skos:prefLabel ?label }
  OPTIONAL { ?instrument eli:id_local ?number }
}"""


def router(state) -> APIRouter:
    r = APIRouter(tags=["pages"])
    env = environment()

    def href(iri: str | None) -> str | None:
        return page_href(iri, state.settings.base_iri)

    def catalogs() -> list[dict]:
        """The loaded catalogs that have an id (an IRI under the catalog base), by id."""
        _, found = rows(state.runner.run(CATALOGS))
        out: dict[str, dict] = {}
        for row in found:
            iri = row.get("catalog", "")
            cid = iri[len(CATALOG_BASE):] if iri.startswith(CATALOG_BASE) else ""
            if not cid or "/" in cid or cid in out:
                continue
            out[cid] = {"id": cid, "iri": iri, "href": href(iri), "title": row.get("title") or cid,
                        "place": row.get("placeLabel"), "level": row.get("levelLabel"),
                        "items": int(row.get("items") or 0)}
        return sorted(out.values(), key=lambda c: c["id"])

    def run(name: str, **values: str) -> list[dict]:
        query = state.queries.get(name)
        if query is None:
            raise ServiceUnavailable(f"the named query {name!r} is missing: the comparison page needs "
                                     f"queries/{name}.rq in the project's queries folder")
        try:
            return rows(state.runner.run_named(query, values))[1]
        except QueryError as exc:
            raise BadRequest(str(exc)) from None

    def query_links(a: str, b: str) -> dict[str, str]:
        pair = urlencode({"a": a, "b": b})
        swapped = urlencode({"a": b, "b": a})
        return {
            "counterparts": f"/queries/{COUNTERPARTS}?{pair}",
            "only_in_a": f"/queries/{WITHOUT_COUNTERPART}?{pair}",
            "only_in_b": f"/queries/{WITHOUT_COUNTERPART}?{swapped}",
            "instruments_only_in_a": f"/queries/{NOT_CITED_BY}?{pair}",
            "instruments_only_in_b": f"/queries/{NOT_CITED_BY}?{swapped}",
            "coverage": f"/queries/{COVERAGE}?{pair}",
        }

    def comparison(a: dict, b: dict) -> dict:
        """Everything the page shows, from the named queries."""
        labels = {row["instrument"]: row for row in rows(state.runner.run(INSTRUMENT_LABELS))[1]}

        def instrument(iri: str) -> dict:
            info = labels.get(iri, {})
            return {"instrument": iri, "href": href(iri), "title": info.get("label") or iri.rsplit("/", 1)[-1],
                    "number": info.get("number")}

        def item(row: dict, suffix: str = "") -> dict:
            iri = row[f"item{suffix}"]
            return {"item": iri, "href": href(iri), "number": int(row[f"number{suffix}"]),
                    "name": row.get(f"name{suffix}", "")}

        def only(rows_: list[dict]) -> list[dict]:
            return [item(row) | {"instruments": sorted((instrument(i) for i in row.get("instruments", "").split()),
                                                       key=lambda x: (x["title"], x["instrument"]))}
                    for row in rows_]

        def instruments(rows_: list[dict]) -> list[dict]:
            return [{"instrument": row["instrument"], "href": href(row["instrument"]), "number": row.get("number"),
                     "title": row.get("title") or row["instrument"].rsplit("/", 1)[-1], "items": int(row["items"])}
                    for row in rows_]

        matched = [{"a": item(row, "A"), "b": item(row, "B")}
                   for row in run(COUNTERPARTS, a=a["id"], b=b["id"])]
        coverage = [{"dimension": row["dimension"], "concept": row["concept"], "href": href(row["concept"]),
                     "label": row.get("label") or row["concept"].rsplit("/", 1)[-1], "label_en": row.get("labelEn"),
                     "items_a": int(row["itemsA"]), "items_b": int(row["itemsB"])}
                    for row in run(COVERAGE, a=a["id"], b=b["id"])]
        return {
            "a": a, "b": b,
            "match_rule": MATCH_RULE,
            "matched": matched,
            "only_in_a": only(run(WITHOUT_COUNTERPART, a=a["id"], b=b["id"])),
            "only_in_b": only(run(WITHOUT_COUNTERPART, a=b["id"], b=a["id"])),
            "instruments_only_in_a": instruments(run(NOT_CITED_BY, a=a["id"], b=b["id"])),
            "instruments_only_in_b": instruments(run(NOT_CITED_BY, a=b["id"], b=a["id"])),
            "coverage": coverage,
            "queries": query_links(a["id"], b["id"]),
        }

    def json_link(a: str | None, b: str | None) -> list[dict]:
        params = {k: v for k, v in (("a", a), ("b", b)) if v}
        return [{"url": "/compare?" + urlencode({**params, "format": "json"}), "media_type": REPORT_JSON.media_type,
                 "label": "JSON"}]

    def form_page(request: Request, known: list[dict], a: str | None, b: str | None,
                  status: int = 200, message: str | None = None) -> Response:
        ids = [c["id"] for c in known]
        pick_a = a if a in ids else (ids[0] if ids else None)
        pick_b = b if b in ids else next((i for i in ids if i != pick_a), pick_a)
        links = json_link(None, None)
        html = env.get_template("compare.html").render(
            chooser=True, catalogs=known, pick_a=pick_a, pick_b=pick_b, message=message, alternates=links,
            match_rule=MATCH_RULE, match_rule_zh=MATCH_RULE_ZH)
        return page_response(request, state, html, HTML, links, status)

    @r.api_route("/compare", methods=["GET", "HEAD"], summary="Compare two catalogs",
                 description="`a` and `b` are catalog ids (`yiwu-2024-social-insurance`: the catalog IRI without "
                             "https://w3id.org/zwgk/id/catalog/). The items of a and b that are counterparts (equal "
                             "zwgk:nameKey: names in simplified characters, NFKC, without whitespace or punctuation), "
                             "the items only in a and only in b, the instruments cited by only one of them, and the "
                             "channel and level coverage of both. Each table is a named query (catalog-counterparts, "
                             "catalog-items-without-counterpart, catalog-instruments-not-cited-by, catalog-coverage). "
                             "Without a and b: a form listing the catalogs (JSON: the catalogs). `format`: html or json.")
    def compare(request: Request, a: str | None = None, b: str | None = None, format: str | None = None):
        fmt = choose(FORMATS, request.headers.get("accept"), format, REPORT_ALIASES)
        a, b = (a or "").strip() or None, (b or "").strip() or None
        known = catalogs()
        by_id = {c["id"]: c for c in known}
        names = ", ".join(by_id) or "none is loaded"
        for name, value in (("a", a), ("b", b)):
            if value is not None and value not in by_id:
                message = f"{name}={value!r} is not a loaded catalog; catalog ids: {names}"
                if fmt is HTML and wants_html(request):
                    return form_page(request, known, a, b, 404, message)
                raise NotFound(message)
        if a is None or b is None:
            if fmt is HTML:
                return form_page(request, known, a, b)
            if a is None and b is None:
                doc = {"catalogs": known, "usage": "/compare?a=<catalog id>&b=<catalog id>", "match_rule": MATCH_RULE}
                return page_response(request, state, json.dumps(doc, ensure_ascii=False, indent=2) + "\n", fmt, json_link(None, None))
            raise BadRequest(f"give two catalog ids: /compare?a=ID&b=ID (catalog ids: {names})")
        doc = comparison(by_id[a], by_id[b])
        links = json_link(a, b)
        if fmt.name == "json":
            return page_response(request, state, json.dumps(doc, ensure_ascii=False, indent=2) + "\n", fmt, links)
        html = env.get_template("compare.html").render(
            chooser=False, catalogs=known, pick_a=a, pick_b=b, message=None, alternates=links,
            swap_url="/compare?" + urlencode({"a": b, "b": a}), match_rule_zh=MATCH_RULE_ZH,
            levels=[c for c in doc["coverage"] if c["dimension"] == "level"],
            channels=[c for c in doc["coverage"] if c["dimension"] == "channel"],
            matched_a=len({m["a"]["item"] for m in doc["matched"]}),
            matched_b=len({m["b"]["item"] for m in doc["matched"]}), **doc)
        return page_response(request, state, html, fmt, links)

    return r
