"""Content negotiation in one place: Accept with q-values → a format table.

Each kind of answer (boolean, solutions, graph, page) has a table of media
types it can be written in, with a short name for the ``format`` override
parameter. ``choose()`` picks the best the client accepts, or raises 406.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import BadRequest, NotAcceptable


@dataclass(frozen=True)
class Format:
    name: str  # the ?format= name
    media_type: str
    extension: str


RESULTS = (
    Format("json", "application/sparql-results+json", "srj"),
    Format("xml", "application/sparql-results+xml", "srx"),
    Format("csv", "text/csv", "csv"),
    Format("tsv", "text/tab-separated-values", "tsv"),
)
RDF = (
    Format("turtle", "text/turtle", "ttl"),
    Format("ntriples", "application/n-triples", "nt"),
    Format("jsonld", "application/ld+json", "jsonld"),
    Format("rdfxml", "application/rdf+xml", "rdf"),
    Format("nquads", "application/n-quads", "nq"),
    Format("trig", "application/trig", "trig"),
)
HTML = Format("html", "text/html", "html")
PAGE = (HTML, *RDF[:4])  # linked-data pages: HTML first, then RDF
# reports that are not query results (impact analysis, catalog diff): plain JSON and CSV
REPORT_JSON = Format("json", "application/json", "json")
REPORT_CSV = Format("csv", "text/csv", "csv")
REPORT_ALIASES = {"application/xhtml+xml": "text/html", "application/x-turtle": "text/turtle"}

ALIASES = {
    "application/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/xml": "application/sparql-results+xml",
    "text/plain": "application/n-triples",
    "application/x-turtle": "text/turtle",
    "application/json+ld": "application/ld+json",
    "application/xhtml+xml": "text/html",
}
ALIASES_BY_NAME = {"nt": "ntriples", "ttl": "turtle", "json-ld": "jsonld", "rdf": "rdfxml", "nq": "nquads", "srj": "json", "srx": "xml"}


def parse_accept(header: str | None, aliases: dict[str, str] | None = None) -> list[tuple[str, float, int]]:
    """(media range, q, position) for each entry, best first. ``aliases`` (default
    ``ALIASES``) maps a media type to the one of the table it stands for."""
    aliases = ALIASES if aliases is None else aliases
    if not header or not header.strip():
        return [("*/*", 1.0, 0)]
    entries = []
    for pos, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if not media:
            continue
        q = 1.0
        for f in fields[1:]:
            if f.lower().startswith("q="):
                try:
                    q = max(0.0, min(1.0, float(f[2:])))
                except ValueError:
                    q = 0.0
        entries.append((aliases.get(media, media), q, pos))
    return sorted(entries, key=lambda e: (-e[1], _specificity(e[0]), e[2]))


def _specificity(media: str) -> int:
    return 2 if media == "*/*" else 1 if media.endswith("/*") else 0


def _matches(media_range: str, media_type: str) -> bool:
    if media_range == "*/*":
        return True
    if media_range.endswith("/*"):
        return media_type.split("/")[0] == media_range[:-2]
    return media_range == media_type


def choose(table: tuple[Format, ...], accept: str | None, override: str | None = None,
           aliases: dict[str, str] | None = None) -> Format:
    """The format to answer in: ``override`` (a name or a media type) wins,
    else the best match for ``accept``, else 406. A table whose JSON is plain
    ``application/json`` passes its own ``aliases`` (e.g. ``REPORT_ALIASES``)."""
    aliases = ALIASES if aliases is None else aliases
    if override:
        wanted = ALIASES_BY_NAME.get(override.lower(), override.lower())
        wanted = aliases.get(wanted, wanted)
        for f in table:
            if wanted in (f.name, f.media_type):
                return f
        names = ", ".join(f.name for f in table)
        raise BadRequest(f"format {override!r} is not available here; use one of: {names}")
    entries = parse_accept(accept, aliases)
    best: tuple[float, int, Format] | None = None
    for index, fmt in enumerate(table):
        q = None
        for media, quality, _ in entries:  # the most specific matching range sets q
            if _matches(media, fmt.media_type):
                if q is None or _specificity(media) < q[1]:
                    q = (quality, _specificity(media))
        if q and q[0] > 0:
            key = (q[0], -index)
            if best is None or key > (best[0], best[1]):
                best = (q[0], -index, fmt)
    if best is None:
        offered = ", ".join(f.media_type for f in table)
        raise NotAcceptable(f"cannot answer in any type the request accepts ({accept}); available: {offered}")
    return best[2]
