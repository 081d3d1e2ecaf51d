"""Publishing: dumps, the JSON-LD context, and the VoID/DCAT description.

* ``/dumps/zwgk.{ttl,nt,jsonld,trig,nq}``: the whole store. The JSON-LD dump is
  compacted with the published context ``/context.jsonld``.
* ``/.well-known/void``: a VoID + DCAT description of the dataset (triples,
  SPARQL endpoint, dumps, URI space, vocabularies), negotiated among RDF formats.

Every answer carries an ``ETag`` per representation (the data version and the
format: the Turtle and the JSON-LD of ``/.well-known/void`` differ) and
``Last-Modified``, and answers 304 to an ``If-None-Match`` that matches it or,
without one, an ``If-Modified-Since`` not older than the data. On a remote
store there are no validators (``respond.validators``). Reads allow CORS (see
``app.py``).
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from functools import lru_cache

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, RDFS

from ..graph import BASE, PREFIXES, ZWGK
from .errors import NotFound
from .negotiation import RDF as RDF_FORMATS
from .negotiation import choose
from .respond import body_response, content_type, not_modified, not_modified_response, validators

VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")

DUMPS = {
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "jsonld": "application/ld+json",
    "trig": "application/trig",
    "nq": "application/n-quads",
}


def jsonld_context(ontology: Graph) -> dict:
    """A JSON-LD context for our terms: classes and object properties as IRIs,
    datatype properties with their datatype, plus the standard prefixes."""
    ctx: dict = {k: str(v) for k, v in PREFIXES.items()}
    ctx["id"] = BASE
    for term in sorted(set(ontology.subjects(RDF.type, OWL.Class)) | set(ontology.subjects(RDF.type, OWL.ObjectProperty))
                       | set(ontology.subjects(RDF.type, OWL.DatatypeProperty))):
        if not str(term).startswith(str(ZWGK)):
            continue
        name = str(term)[len(str(ZWGK)):]
        if (term, RDF.type, OWL.ObjectProperty) in ontology:
            ctx[name] = {"@id": f"zwgk:{name}", "@type": "@id"}
        elif (term, RDF.type, OWL.DatatypeProperty) in ontology:
            rng = ontology.value(term, RDFS.range)
            if rng is not None and str(rng).startswith(str(XSD)) and rng != XSD.string:
                ctx[name] = {"@id": f"zwgk:{name}", "@type": f"xsd:{str(rng)[len(str(XSD)):]}"}
            else:
                ctx[name] = f"zwgk:{name}"
        else:
            ctx[name] = f"zwgk:{name}"
    return {"@context": ctx}


def router(state) -> APIRouter:
    r = APIRouter(tags=["publishing"])

    @lru_cache(maxsize=1)
    def context() -> dict:
        return jsonld_context(Graph().parse(state.project.ontology, format="turtle"))

    @lru_cache(maxsize=8)
    def dump(ext: str) -> bytes:
        media = DUMPS[ext]
        if ext == "jsonld":
            g = Graph()
            g.parse(data=state.backend.dump("application/n-triples"), format="nt")
            return g.serialize(format="json-ld", context=context()["@context"], auto_compact=True, encoding="utf-8")
        return state.backend.dump(media)

    @r.api_route("/context.jsonld", methods=["GET", "HEAD"], summary="The JSON-LD context of the zwgk vocabulary")
    def get_context(request: Request):
        headers = validators(state, "context")
        if not_modified(request, headers):
            return not_modified_response(headers)
        return JSONResponse(context(), media_type="application/ld+json", headers=headers)

    @r.api_route("/dumps/zwgk.{ext}", methods=["GET", "HEAD"], summary="The whole dataset as one file")
    def get_dump(ext: str, request: Request):
        if ext not in DUMPS:
            raise NotFound(f"no dump zwgk.{ext}; dumps: " + ", ".join(f"zwgk.{e}" for e in DUMPS))
        if not hasattr(state.backend, "dump"):
            raise NotFound("dumps are not available on a remote store; use the store's own export")
        headers = validators(state, ext) | {"Content-Disposition": f'attachment; filename="zwgk.{ext}"'}
        if not_modified(request, headers):
            return not_modified_response(headers)
        fmt = next(f for f in RDF_FORMATS if f.media_type == DUMPS[ext])
        return body_response(request, dump(ext), content_type(fmt), headers)

    @r.api_route("/.well-known/void", methods=["GET", "HEAD"], summary="VoID and DCAT description of the dataset")
    def get_void(request: Request):
        fmt = choose(RDF_FORMATS[:4], request.headers.get("accept"), (request.query_params.getlist("format") or [None])[0])
        headers = {"Vary": "Accept"} | validators(state, fmt.name)
        if not_modified(request, headers):
            return not_modified_response(headers)
        root = str(request.base_url).rstrip("/")
        g = void_graph(state, root)
        if fmt.name == "jsonld":
            body = g.serialize(format="json-ld", auto_compact=True, encoding="utf-8")
        else:
            body = g.serialize(format={"turtle": "turtle", "ntriples": "nt", "rdfxml": "xml"}[fmt.name], encoding="utf-8")
        return Response(body, media_type=content_type(fmt), headers=headers)

    return r


def void_graph(state, root: str) -> Graph:
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    g.bind("sd", SD)
    ds = URIRef(f"{root}/.well-known/void#dataset")
    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCTERMS.title, Literal("zwgk：政务公开标准目录知识图谱", lang="zh")))
    g.add((ds, DCTERMS.title, Literal("zwgk: standard disclosure catalogs as a knowledge graph", lang="en")))
    g.add((ds, DCTERMS.description, Literal(
        "Items of Chinese standard disclosure catalogs (政务公开标准目录), the legal instruments they cite, "
        "agencies, channels and provenance to the source rows.", lang="en")))
    g.add((ds, VOID.sparqlEndpoint, URIRef(f"{root}/sparql")))
    g.add((ds, VOID.uriSpace, Literal(state.settings.base_iri)))
    g.add((ds, VOID.exampleResource, URIRef(BASE + "catalog/hami-2024-social-insurance")))
    for vocab in (str(ZWGK), "http://data.europa.eu/eli/ontology#", str(DCAT), "http://www.w3.org/2004/02/skos/core#",
                  "http://www.w3.org/ns/org#", "http://www.w3.org/ns/prov#"):
        g.add((ds, VOID.vocabulary, URIRef(vocab)))
    if hasattr(state.backend, "__len__"):
        g.add((ds, VOID.triples, Literal(len(state.backend), datatype=XSD.integer)))
    summary = state.summary or {}
    for cat in summary.get("catalogs", []):
        catalog = URIRef(BASE + "catalog/" + cat["id"])
        g.add((ds, DCTERMS.source, catalog))
        # each catalog is a named graph of its own (named by the catalog's IRI): a subset of the dataset
        subset = URIRef(f"{root}/.well-known/void#graph-{cat['id']}")
        g.add((ds, VOID.subset, subset))
        g.add((subset, RDF.type, VOID.Dataset))
        g.add((subset, SD.name, URIRef(cat.get("graph", catalog))))
        g.add((subset, DCTERMS.source, catalog))
        if cat.get("title"):
            g.add((subset, DCTERMS.title, Literal(cat["title"], lang="zh")))
        if cat.get("triples") is not None:
            g.add((subset, VOID.triples, Literal(cat["triples"], datatype=XSD.integer)))
    modified = http_date_to_datetime(state.last_modified)
    if modified is not None:
        g.add((ds, DCTERMS.modified, Literal(modified.isoformat(), datatype=XSD.dateTime)))
    for ext, media in (DUMPS.items() if state.settings.store != "remote" else ()):  # a remote store has no dumps here
        url = URIRef(f"{root}/dumps/zwgk.{ext}")
        dist = URIRef(f"{root}/.well-known/void#dump-{ext}")
        g.add((ds, VOID.dataDump, url))
        g.add((ds, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCAT.downloadURL, url))
        g.add((dist, DCAT.mediaType, Literal(media)))
    service = URIRef(f"{root}/sparql")
    g.add((service, RDF.type, DCAT.DataService))
    g.add((service, DCAT.endpointURL, service))
    g.add((service, DCAT.servesDataset, ds))
    return g


def http_date_to_datetime(text: str):
    """An HTTP date (``Last-Modified``) as an aware datetime, or None."""
    try:
        return parsedate_to_datetime(text) if text else None
    except (TypeError, ValueError, IndexError):
        return None


__all__ = ["router", "jsonld_context", "void_graph"]
