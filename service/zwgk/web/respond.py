"""Answering with a query outcome: negotiate the format, stream what the engine writes."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from fastapi import Request
from fastapi.responses import Response

from ..backends import kind_of_form, query_form
from .negotiation import RDF, RESULTS, Format, choose

BOOLEAN = tuple(f for f in RESULTS if f.name in ("json", "xml", "csv", "tsv"))

CHARSET = {"text/csv", "text/tab-separated-values", "text/turtle", "application/n-triples", "text/html"}


def formats_for(kind: str) -> tuple[Format, ...]:
    return RDF if kind == "graph" else BOOLEAN if kind == "boolean" else RESULTS


def content_type(fmt: Format) -> str:
    return f"{fmt.media_type}; charset=utf-8" if fmt.media_type in CHARSET else fmt.media_type


def format_for_query(request: Request, text: str, override: str | None = None) -> Format:
    """Negotiate before running: the query form (SELECT/ASK/CONSTRUCT/DESCRIBE)
    tells which table applies, so a 406 never leaves a result to clean up."""
    return choose(formats_for(kind_of_form(query_form(text))), request.headers.get("accept"), override)


def render(request: Request, outcome, fmt: Format, headers: dict | None = None) -> Response:
    """The response for an outcome in a negotiated format, serialized in this thread."""
    if fmt not in formats_for(outcome.kind):  # the form detector and the engine disagree
        fmt = choose(formats_for(outcome.kind), request.headers.get("accept"))
    hdrs = {"Vary": "Accept"} | (headers or {})
    return body_response(request, b"".join(outcome.serialize(fmt.media_type)), content_type(fmt), hdrs)


def detached(exc: BaseException) -> BaseException:
    """``exc`` without its tracebacks. pyoxigraph results are bound to the thread
    that made them: the frames of a traceback must not carry them to another."""
    pending, seen = [exc], set()
    while pending:
        e = pending.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        e.__traceback__ = None
        pending += [e.__cause__, e.__context__]
    return exc


def body_response(request: Request, body: bytes, media_type: str, headers: dict, status: int = 200) -> Response:
    """The answer with its body, or for HEAD its headers alone, with the length the body has."""
    if request.method == "HEAD":
        return Response(status_code=status, media_type=media_type, headers=headers | {"Content-Length": str(len(body))})
    return Response(body, status_code=status, media_type=media_type, headers=headers)


def outcome_response(request: Request, outcome, override: str | None = None, headers: dict | None = None) -> Response:
    fmt = choose(formats_for(outcome.kind), request.headers.get("accept"), override)
    hdrs = {"Vary": "Accept"} | (headers or {})
    # pyoxigraph results are bound to the thread that made them: serialize here,
    # in the worker thread that ran the query, not in the thread that sends the body
    return body_response(request, b"".join(outcome.serialize(fmt.media_type)), content_type(fmt), hdrs)


# ------------------------------------------------------------------ conditional requests (RFC 9110 §13)

def validators(state, variant: str = "") -> dict[str, str]:
    """``ETag`` and ``Last-Modified`` of one representation: the data version (``state.etag``)
    tagged with ``variant`` (the format's name), so the CSV and the JSON of one URL differ.

    None on a remote store: its data changes without the server knowing, so any validator
    would let caches keep a stale answer."""
    if state.settings.store == "remote":
        return {}
    headers = {}
    core = state.etag.removeprefix("W/").strip('"')
    if core:
        headers["ETag"] = f'"{core}-{variant}"' if variant else f'"{core}"'
    if state.last_modified:
        headers["Last-Modified"] = state.last_modified
    return headers


def not_modified(request: Request, headers: dict[str, str]) -> bool:
    """Whether the client's copy is current, by the validators in ``headers``:
    ``If-None-Match`` (weak comparison, ``*`` too) decides when present, else
    ``If-Modified-Since`` against ``Last-Modified`` (RFC 9110 §13.2.2)."""
    etag = headers.get("ETag", "")
    inm = request.headers.get("if-none-match")
    if inm is not None:
        tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
        return bool(etag) and ("*" in tags or etag.removeprefix("W/") in tags)
    ims = request.headers.get("if-modified-since")
    modified = headers.get("Last-Modified")
    if not ims or not modified or request.method not in ("GET", "HEAD"):
        return False
    try:
        since = parsedate_to_datetime(ims)
        if since.tzinfo is None or since > datetime.now(timezone.utc):  # a date in the future is ignored (§13.1.3)
            return False
        return parsedate_to_datetime(modified) <= since
    except (TypeError, ValueError, IndexError):  # a date that cannot be read is ignored (§13.1.3)
        return False


def not_modified_response(headers: dict[str, str]) -> Response:
    """304 with the validators and the other headers a 200 would carry (``Vary``, ``Link`` …)."""
    return Response(status_code=304, headers={k: v for k, v in headers.items() if k.lower() != "content-length"})


def page_response(request: Request, state, body: str, fmt: Format, links: list[dict], status: int = 200) -> Response:
    """A report page or document (compare, impact) in ``fmt``: its alternates in a ``Link``
    header, the validators of its representation when it is a 200, no body for HEAD."""
    media = fmt.media_type + ("; charset=utf-8" if fmt.media_type.startswith("text/") else "")
    headers = {"Vary": "Accept",
               "Link": ", ".join(f'<{x["url"]}>; rel="alternate"; type="{x["media_type"]}"' for x in links)}
    if status == 200:
        headers |= validators(state, fmt.name)
    return body_response(request, body.encode("utf-8"), media, headers, status)
