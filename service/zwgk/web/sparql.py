"""The SPARQL 1.1 Protocol at ``/sparql`` (https://www.w3.org/TR/sparql11-protocol/).

* Query (§2.1): ``GET ?query=``, ``POST`` form (``query=``) or ``POST`` direct
  (``application/sparql-query``). ``default-graph-uri`` / ``named-graph-uri``
  (repeatable; in the URL, or in the form or the URL for a POST form) set the
  dataset and win over FROM / FROM NAMED in the query (§2.1.4).
* Update (§2.2): ``POST`` form (``update=``) or ``POST`` direct
  (``application/sparql-update``); ``using-graph-uri`` / ``using-named-graph-uri``
  act as USING / USING NAMED on every DELETE/INSERT … WHERE operation (§2.2.3).
  Off unless the ``update_token`` setting (bearer token) or
  ``allow_unauthenticated_updates`` turns it on. An update is bounded by
  ``query_timeout`` like a query: on the embedded Oxigraph store it is first
  run on a worker's copy of the data (``pool.py``), stopped there at the limit,
  and applied to the served store only when it finished in time.
* Before anything is parsed (``screen``): ``SERVICE`` (federated query, which
  makes the server fetch other URLs) is refused unless the ``allow_service``
  setting is on, and text nested deeper than ``MAX_NESTING`` brackets (which
  would exhaust the parser's stack) is refused, both with 400.
* ``GET /sparql`` with no query: the service description (Turtle by default,
  an HTML page for browsers).

The format of an answer is negotiated from ``Accept`` (q-values) or the
``format`` parameter (``negotiation.choose``). Each fault has its own status
(raised as ``errors`` classes): 400 bad request or syntax (with the parser's
line:column), 401/403 update not allowed, 405 method, 406 no acceptable format,
413 too large, 415 content type, 422 an answer larger than ``max_result_bytes``
(refused whole, never cut short), 502/503 store, 503 timeout (``query_timeout``,
queries and updates).

Queries on the embedded Oxigraph store run in worker processes (``pool.py``),
so that a query past ``query_timeout`` is stopped, not just abandoned.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import hmac
import html
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Iterable
from urllib.parse import parse_qsl

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ..backends import AnswerTooLarge, Dataset, OxigraphBackend, QuerySyntaxError, RemoteBackend, StoreError
from ..queries import QUERY_PREFIXES
from .errors import (BadRequest, Forbidden, MethodNotAllowed, PayloadTooLarge, QueryTimeout, ResultTooLarge,
                     ServiceUnavailable, Unauthorized, UnsupportedMediaType, ZwgkHTTPError)
from .limits import ClientSlots
from .negotiation import HTML, RDF, choose
from .pool import Job, PoolBusy, QueryPool, QueryTimedOut, WorkerLost
from .respond import body_response, content_type, detached, formats_for, outcome_response

log = logging.getLogger("zwgk.web.sparql")

FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"
UTF8 = {"utf-8", "utf8", "us-ascii", "ascii"}
SPEC = "SPARQL 1.1 Protocol"

# ``format`` values other clients send (SPARQLWrapper: xml, rdf+xml, n3 …) that mean an RDF format
GRAPH_FORMAT_SYNONYMS = {"xml": "rdfxml", "rdf+xml": "rdfxml", "n3": "turtle", "json": "jsonld"}


# ------------------------------------------------------------------ the request

@dataclass
class Operation:
    """One protocol operation, read from the request."""

    kind: str  # "query" | "update"
    text: str
    default: list[str] = field(default_factory=list)  # default-graph-uri / using-graph-uri
    named: list[str] = field(default_factory=list)  # named-graph-uri / using-named-graph-uri
    formats: list[str] = field(default_factory=list)  # ``format`` values


def parse_pairs(raw: bytes, where: str) -> list[tuple[str, str]]:
    """Name/value pairs of a query string or form body; UTF-8 only (§2.1.2)."""
    try:
        return parse_qsl(raw.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the {where} is not UTF-8 (byte {exc.start}); the {SPEC} requires UTF-8") from None


def values(pairs: list[tuple[str, str]], name: str) -> list[str]:
    return [v for k, v in pairs if k == name]


def parse_content_type(header: str | None) -> tuple[str | None, str | None]:
    """(media type, charset) of a Content-Type header, lower-cased."""
    if not header or not header.strip():
        return None, None
    media, *params = header.split(";")
    charset = None
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.strip().lower(), charset


def _iris(pairs, name: str) -> list[str]:
    out = []
    for value in values(pairs, name):
        try:
            ox.NamedNode(value)
        except ValueError as exc:
            raise BadRequest(f"{name} {value!r} is not an absolute IRI ({exc})") from None
        out.append(value)
    return out


def operation(kind: str, texts: list[str], pairs) -> Operation:
    if len(texts) > 1:
        raise BadRequest(f"the request has {len(texts)} {kind} strings; send exactly one ({SPEC} §2.1)")
    text = texts[0].lstrip("\ufeff")
    if not text.strip():
        raise BadRequest(f"the {kind} is empty")
    own, other = (("default-graph-uri", "named-graph-uri"), ("using-graph-uri", "using-named-graph-uri"))
    if kind == "update":
        own, other = other, own
    stray = [n for n in other if values(pairs, n)]
    if stray:
        raise BadRequest(f"{stray[0]} does not apply to a {kind}: the dataset of a {kind} is set with "
                         f"{own[0]} and {own[1]}")
    formats = [v.strip() for v in values(pairs, "format") if v.strip()]
    return Operation(kind, text, _iris(pairs, own[0]), _iris(pairs, own[1]), formats)


def _too_large(what: str, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the {what} is larger than {limit} bytes, the limit set by the max_request_bytes setting")


def from_get(request: Request) -> Operation | None:
    """The query of a GET request, or None when it has none (the service description).
    Its length is bounded by the max_url_bytes setting (``limits.RequestLimits``, 414)."""
    raw = request.scope.get("query_string", b"")
    pairs = parse_pairs(raw, "query string")
    if values(pairs, "update"):
        raise MethodNotAllowed(f"SPARQL Update must be sent with POST ({SPEC} §2.2); GET only queries",
                               headers={"Allow": "POST"})
    queries = values(pairs, "query")
    return operation("query", queries, pairs) if queries else None


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large("request body", limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large("request body", limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def from_post(request: Request, limit: int) -> Operation:
    media, charset = parse_content_type(request.headers.get("content-type"))
    if media not in (FORM, QUERY, UPDATE):
        given = f"Content-Type {media}" if media else "no Content-Type"
        raise UnsupportedMediaType(
            f"a POST to /sparql has {given}; send {FORM} (query= or update=), {QUERY} or {UPDATE} ({SPEC} §2.1, §2.2)")
    if charset is not None and charset not in UTF8:
        raise BadRequest(f"the body is declared as charset {charset}; the {SPEC} requires UTF-8")
    body = await read_body(request, limit)
    url_pairs = parse_pairs(request.scope.get("query_string", b""), "query string")
    if media == FORM:
        pairs = url_pairs + parse_pairs(body, "form body")
        queries, updates = values(pairs, "query"), values(pairs, "update")
        if queries and updates:
            raise BadRequest("the request has both a query and an update; send one operation per request")
        if not queries and not updates:
            raise BadRequest(f"the form has neither a query= nor an update= parameter ({SPEC} §2.1.2, §2.2.1)")
        return operation("update" if updates else "query", updates or queries, pairs)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the request body is not UTF-8 (byte {exc.start}); the {SPEC} requires UTF-8") from None
    if values(url_pairs, "query") or values(url_pairs, "update"):
        raise BadRequest(f"with Content-Type {media} the body is the operation; do not also pass query= or "
                         "update= in the URL")
    return operation("query" if media == QUERY else "update", [text], url_pairs)


# ------------------------------------------------------------------ updates

_TOKEN = re.compile(
    r"""(?P<skip>\#[^\n]*
        | <[^<>"{}|^`\\\s]*>
        | \"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\" | '''(?:[^'\\]|\\.|'(?!''))*'''
        | "(?:[^"\\\n]|\\.)*" | '(?:[^'\\\n]|\\.)*')
      | (?P<open>\{) | (?P<close>\}) | (?P<semi>;)
      | (?P<word>[^\s{}()<>"',;\[\]\#]+)""",
    re.VERBOSE,
)


def apply_using(text: str, default: list[str], named: list[str]) -> str:
    """The update with ``USING <g>`` / ``USING NAMED <g>`` before the WHERE of
    each DELETE/INSERT … WHERE operation: the effect of the protocol's
    ``using-graph-uri`` / ``using-named-graph-uri`` (§2.2.3). ``DELETE WHERE
    {P}`` becomes ``DELETE {P} USING … WHERE {P}``. An update that has its own
    USING or WITH conflicts with the parameters: 400 (§2.2.3)."""
    if not default and not named:
        return text
    clause = " ".join([f"USING {ox.NamedNode(g)}" for g in default] + [f"USING NAMED {ox.NamedNode(g)}" for g in named])
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement)
    depth, op, where_at, group_start = 0, None, None, None
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "skip":
            continue
        if kind == "open":
            if depth == 0:
                group_start = m.start()
                if op in ("DELETE", "INSERT"):
                    op = "modify"
            depth += 1
            continue
        if kind == "close":
            depth = max(0, depth - 1)
            if depth == 0 and op == "delete-where" and where_at is not None:
                pattern = text[group_start:m.end()]
                edits.append((where_at, m.end(), f"{pattern} {clause} WHERE {pattern}"))
                op, where_at = None, None
            continue
        if depth > 0:
            continue
        if kind == "semi":
            op = None
            continue
        word = m.group().upper()
        if word in ("USING", "WITH"):
            raise BadRequest(f"the update has its own {word} clause and the request also gives using-graph-uri or "
                             f"using-named-graph-uri; use one or the other ({SPEC} §2.2.3)")
        if word in ("DELETE", "INSERT"):
            op = word if op != "modify" else "modify"
        elif word == "DATA" and op in ("DELETE", "INSERT"):
            op = None
        elif word == "WHERE":
            if op == "DELETE":
                op, where_at = "delete-where", m.start()
            elif op == "modify":
                edits.append((m.start(), m.start(), clause + " "))
                op = None
        else:
            if op not in ("modify", "delete-where"):
                op = None
    for start, end, replacement in reversed(edits):
        text = text[:start] + replacement + text[end:]
    return text


# ------------------------------------------------------------------ screening, before any parsing

MAX_NESTING = 200  # brackets deep; Oxigraph's parser recurses once per level and overflows its stack near 5 000

_LEXEME = re.compile(
    r"""(?P<skip>\#[^\r\n]*
        | \"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\" | '''(?:[^'\\]|\\.|'(?!''))*'''
        | "(?:[^"\\\n]|\\.)*" | '(?:[^'\\\n]|\\.)*')
      | <(?P<iri>[^<>"{}|^`\\\s]*)>
      | (?P<open>[({\[]) | (?P<close>[)}\]])
      | (?P<code>(?:[^\s{}()\[\]<>"'\#\\]|\\.)+)""",  # a backslash escapes the next character (ex:a\')
    re.VERBOSE,
)
# the keywords that make the server fetch a URL: SERVICE (a query) and LOAD (an update), wherever they
# may start a token: glued to what follows (Oxigraph reads ``SERVICE?x{`` and ``SERVICEex:x{`` as
# SERVICE) or to what precedes (``1SERVICE`` is 1 then SERVICE, ``trueSERVICE`` true then SERVICE).
# Only inside a variable, a prefixed name or a blank node (``?service``, ``ex:aSERVICE``,
# ``_:service``) are the letters not the keyword.
_SERVICE = re.compile(r"SERVICE|LOAD", re.IGNORECASE)
_WORD = re.compile(r"(?:[\w.:?$%\-]|\\.)+")  # a run of characters that may belong to one name (\/ escapes one)
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _fetches(code: str) -> bool:
    """Whether a run of code holds SERVICE or LOAD as a keyword (see _SERVICE): in a word that is
    no variable or blank node, before the word's colon (after it, it is a prefixed name's local
    part). Linear in the length of the code."""
    for word in _WORD.finditer(code):
        text = word.group()
        while text[:1] in ("?", "$"):  # a variable name holds letters, digits and _ only: ?o.SERVICE is ?o . SERVICE
            text = text[re.match(r"[?$]\w*", text).end():]
        if text.startswith("_"):
            continue
        m = _SERVICE.search(text)
        colon = text.find(":")
        if m and (colon < 0 or m.start() < colon):
            return True
    return False


def unescaped(text: str) -> str:
    """The text with its \\u and \\U escapes (four or eight hex digits) replaced (SPARQL 1.1 §19.2:
    some engines, rdflib among them, read them anywhere, before parsing)."""
    def char(m: re.Match) -> str:
        code = int(m.group(1) or m.group(2), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else m.group()
    return _ESCAPE.sub(char, text)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*(?=:)")
_DECLARED = re.compile(r"PREFIX\s+([^\s:]*):", re.IGNORECASE)
_BRACKET = re.compile(r"[(){}\[\]]")


@dataclass
class Scan:
    depth: int  # the deepest bracket nesting
    service: bool  # the SERVICE keyword, outside strings, IRIs and comments
    ambiguous: bool  # a ``<…>`` that may be a less-than sign followed by a comment or a string


def scan(text: str) -> Scan:
    """Bracket depth and the SERVICE keyword of a query or update, outside strings,
    IRIs and comments. Whether a ``<`` opens an IRI or is a less-than sign depends
    on the grammar, which this scanner does not follow: brackets inside a ``<…>``
    count (without closing those outside it), and a ``<…>`` holding ``#`` or ``'``
    that could be code (it does not start with an undeclared ``scheme:``) makes
    the text ``ambiguous``, which ``screen`` then judges conservatively."""
    depth = deepest = 0
    service = ambiguous = False
    declared: set[str] | None = None
    for m in _LEXEME.finditer(text):
        kind = m.lastgroup
        if kind == "open":
            depth += 1
            deepest = max(deepest, depth)
        elif kind == "close":
            depth = max(0, depth - 1)
        elif kind == "code":
            service = service or _fetches(m.group())
        elif kind == "iri":
            content, inner, peak = m.group("iri"), 0, 0
            for b in _BRACKET.finditer(content):
                inner = inner + 1 if b.group() in "({[" else max(0, inner - 1)
                peak = max(peak, inner)
            deepest = max(deepest, depth + peak)
            depth += inner
            if not ambiguous and ("#" in content or "'" in content or _SERVICE.search(content)):
                if declared is None:
                    declared = {p.lower() for p in QUERY_PREFIXES} | {p.lower() for p in _DECLARED.findall(text)}
                scheme = _SCHEME.match(content)
                ambiguous = scheme is None or scheme.group().lower() in declared
    return Scan(deepest, service, ambiguous)


def screen(text: str, kind: str, settings) -> None:
    """400 for what must not reach the parser or the engine: nesting deeper than
    ``MAX_NESTING`` (it would crash the parser, and with it the server) and, unless
    ``allow_service`` is on, the SERVICE keyword (a federated query makes the server
    fetch any URL, internal ones included, and report what it got). When ``scan``
    cannot tell what a ``<`` is, every bracket and every SERVICE in the text counts."""
    depth, service = 0, False
    for version in {text, unescaped(text)}:  # as written, and as an engine that reads \\u escapes first sees it
        found = scan(version)
        depth, service = max(depth, found.depth), service or found.service
        if found.ambiguous:
            depth = max(depth, len(re.findall(r"[({\[]", version)))
            service = service or bool(_SERVICE.search(version))
    if depth > MAX_NESTING:
        raise BadRequest(f"the {kind} is nested more than {MAX_NESTING} brackets deep ( ( [ {{ ), the limit of this "
                         "endpoint: deeper text would exhaust the SPARQL parser's stack; write it with fewer nested "
                         "groups, brackets or collections")
    if service and not settings.allow_service:
        raise BadRequest(f"the {kind} uses SERVICE (federated query) or LOAD, which are off on this server because "
                         "they make the server fetch other URLs; the allow_service setting (zwgk serve --allow-service) "
                         "turns them on (the letters SERVICE or LOAD count as the keyword anywhere outside strings, "
                         "IRIs, comments, variables and prefixed names, \\u escapes read)")


def authorize(request: Request, settings) -> None:
    """403 when updates are off, 401 without the right bearer token."""
    if not settings.updates_enabled:
        raise Forbidden("SPARQL Update is off on this server: the update_token setting (zwgk serve --update-token) "
                        "enables it for clients that send the token; allow_unauthenticated_updates (--allow-updates) "
                        "enables it for anyone, for a local test server only")
    if settings.update_token and not settings.allow_unauthenticated_updates:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        expected = settings.update_token.encode("utf-8")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode("latin-1", "replace"), expected):
            raise Unauthorized("this update needs the header Authorization: Bearer <token>, with the token of the "
                               "update_token setting", headers={"WWW-Authenticate": 'Bearer realm="zwgk"'})


# ------------------------------------------------------------------ queries

@dataclass
class Written:
    """A query outcome already written in one format (inside the time limit)."""

    kind: str
    media_type: str
    body: bytes

    def serialize(self, media_type: str) -> Iterable[bytes]:
        yield self.body


def format_override(kind: str, formats: list[str]) -> str | None:
    """The ``format`` value to use for an answer of this kind. Clients repeat
    ``format`` with synonyms (SPARQLWrapper: ``format=rdf+xml&format=application/rdf+xml``):
    the first value that names a format of the kind wins."""
    if not formats:
        return None
    table = formats_for(kind)
    for value in formats:
        candidates = [value]
        if kind == "graph" and value.lower() in GRAPH_FORMAT_SYNONYMS:
            candidates.append(GRAPH_FORMAT_SYNONYMS[value.lower()])
        for candidate in candidates:
            try:
                return choose(table, None, candidate).name
            except BadRequest:
                continue
    return formats[0]  # choose() answers 400 with the formats there are


async def within(fn, seconds: float | None):
    """``fn()`` in a daemon thread, awaited at most ``seconds``. Oxigraph cannot
    cancel a query from Python: on time-out the thread runs on in the background
    and its result is dropped."""
    future: concurrent.futures.Future = concurrent.futures.Future()

    def target():
        if future.set_running_or_notify_cancel():
            try:
                future.set_result(fn())
            except BaseException as exc:  # handed to the awaiting request
                future.set_exception(detached(exc))

    threading.Thread(target=target, name="zwgk-sparql-query", daemon=True).start()
    return await asyncio.wait_for(asyncio.wrap_future(future), seconds if seconds and seconds > 0 else None)


def _timeout_message(timeout: float, stopped: bool) -> str:
    fate = ("it was stopped" if stopped else
            "this store cannot stop it (it runs on in the background; the query_workers setting stops queries on "
            "the embedded Oxigraph store)")
    return (f"the query ran longer than {timeout:g} s, the limit set by the query_timeout setting "
            f"(zwgk serve --query-timeout), and {fate}; make it more selective (LIMIT, more specific patterns) "
            "or raise the setting")


def _all_busy(pool: QueryPool, timeout: float, advice: str) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"all {pool.size} query workers stayed busy for {timeout:g} s (the query_workers and query_timeout "
        f"settings); {advice}", headers={"Retry-After": str(max(1, round(timeout / 2)))})


def _too_large_result(limit: int) -> ResultTooLarge:
    return ResultTooLarge(f"the answer is larger than {limit} bytes, the limit set by the max_result_bytes setting "
                          "(zwgk serve --max-result-bytes); nothing was sent rather than a part: ask for less "
                          "(LIMIT and OFFSET to page through it, fewer variables) or raise the setting")


async def run_in_worker(request: Request, state, op: Operation, pool: QueryPool, dataset) -> Response:
    """The query on a worker process (``pool.py``): stopped for real at the time limit."""
    settings = state.settings
    accept = request.headers.get("accept")
    media: dict[str, str | None] = {}
    refusals: dict[str, ZwgkHTTPError] = {}
    for kind in ("solutions", "boolean", "graph"):  # negotiated here; the worker learns the kind
        try:
            media[kind] = choose(formats_for(kind), accept, format_override(kind, op.formats)).media_type
        except ZwgkHTTPError as exc:
            media[kind], refusals[kind] = None, exc
    job = Job(op.text, media, settings.max_result_bytes, dataset, endpoint_iri(request), QUERY_PREFIXES,
              union=bool(getattr(state.backend, "union_default_graph", False)))
    timeout = settings.query_timeout
    try:
        answer = await pool.answer(state.backend, job, timeout)
    except QuerySyntaxError as exc:
        raise BadRequest(f"SPARQL query error: {exc}") from None
    except QueryTimedOut:
        raise QueryTimeout(_timeout_message(timeout, stopped=True)) from None
    except PoolBusy:
        raise _all_busy(pool, timeout, "try again shortly") from None
    except WorkerLost as exc:
        limit = (f"more memory than the {settings.query_memory_mb} MiB of the query_memory_mb setting"
                 if settings.query_memory_mb else "more memory than the server has")
        raise ServiceUnavailable(f"{exc}: the query may need {limit}; make it more selective or raise the "
                                 "setting") from None
    if answer.status == "refused":
        raise refusals[answer.kind]
    if answer.status == "too-large":
        raise _too_large_result(settings.max_result_bytes)
    written = Written(answer.kind, answer.media_type, answer.body)
    return outcome_response(request, written, written.media_type)


async def run_query(request: Request, state, op: Operation, pool: QueryPool | None = None) -> Response:
    screen(op.text, "query", state.settings)
    dataset = Dataset(op.default or None, op.named or None) if (op.default or op.named) else None
    if pool is not None and isinstance(state.backend, OxigraphBackend):
        return await run_in_worker(request, state, op, pool, dataset)
    # another store (rdflib, a remote server) or query_workers = 0: in this process, awaited at most the
    # time limit (a remote server is asked with the same limit; rdflib cannot be stopped)
    accept = request.headers.get("accept")
    base = endpoint_iri(request)
    backend = state.backend
    limit = state.settings.max_result_bytes

    def work() -> Written:
        try:
            outcome = backend.query(op.text, dataset=dataset, base_iri=base, prefixes=QUERY_PREFIXES)
        except AnswerTooLarge:  # a remote store's answer, cut off while it was read
            raise _too_large_result(limit) from None
        fmt = choose(formats_for(outcome.kind), accept, format_override(outcome.kind, op.formats))
        try:  # oxigraph evaluates lazily: the query runs while its results are written
            body = b"".join(outcome.serialize(fmt.media_type))
        except (OSError, RuntimeError) as exc:
            raise StoreError(f"the query failed while its results were written: {exc}") from None
        if limit and len(body) > limit:
            raise _too_large_result(limit)
        return Written(outcome.kind, fmt.media_type, body)

    timeout = state.settings.query_timeout
    try:
        written = await within(work, timeout)
    except QuerySyntaxError as exc:
        raise BadRequest(f"SPARQL query error: {exc}") from None
    except TimeoutError:
        raise QueryTimeout(_timeout_message(timeout, stopped=False)) from None
    return outcome_response(request, written, written.media_type)


def refuse_cross_origin(request: Request) -> None:
    """Writes are not open to other sites: an update whose Origin is not this server's
    own is refused, token or not. (CORS lets other sites' pages POST queries, a read,
    but never send Authorization: ``limits.ReadOnlyCORS``.)"""
    origin = request.headers.get("origin")
    if origin is None:
        return
    own = f"{request.url.scheme}://{request.url.netloc}"
    if origin.rstrip("/").lower() != own.lower():
        raise Forbidden(f"updates are not accepted from pages of other sites (Origin {origin}): CORS is open to reads "
                        "only; send updates from a program, or from a page of this server")


def _update_timeout_message(timeout: float, stopped: bool) -> str:
    fate = ("it was stopped on a worker's copy of the data before it changed anything" if stopped else
            "this store cannot stop it: it runs on in the background and may still change the data (the "
            "query_workers setting stops updates on the embedded Oxigraph store)")
    return (f"the update ran longer than {timeout:g} s, the limit set by the query_timeout setting "
            f"(zwgk serve --query-timeout), and {fate}; make its WHERE more selective or raise the setting")


async def run_update(request: Request, state, op: Operation, pool: QueryPool | None = None,
                     lock: threading.Lock | None = None) -> Response:
    """The update, bounded by ``query_timeout``. On the embedded Oxigraph store with
    query workers it is first run on a worker's copy of the data: one past the limit
    (or one that crashes the parser) is stopped there and never reaches the served
    store, and one that finished is then applied to it (a second run, itself not bounded: it
    did finish once on the same data). The worker's copy counts against the limit: hard links
    for an on-disk store, a reload of the N-Quads snapshot for one in memory.
    Elsewhere it runs in this process and is answered 503 at the limit, unstopped.
    Updates run one at a time (``lock``), so the copy is the data they change."""
    refuse_cross_origin(request)
    authorize(request, state.settings)
    screen(op.text, "update", state.settings)
    text = apply_using(op.text, op.default, op.named)
    settings, backend, base = state.settings, state.backend, endpoint_iri(request)
    timeout = settings.query_timeout
    lock = lock or threading.Lock()
    rehearse = pool is not None and isinstance(backend, OxigraphBackend)

    def apply() -> None:
        with lock:
            if rehearse:
                limit = timeout if timeout and timeout > 0 else 365 * 86400.0
                pool.run(backend, Job(text, {}, 0, base_iri=base, update=True), time.monotonic() + limit)
            try:
                backend.update(text, base)
            finally:
                if pool is not None:  # even a failed update may have changed some data
                    pool.invalidate()
                # the data changed: validators handed out before no longer match
                state.etag = '"' + hashlib.sha256(f"{state.etag}{time.time_ns()}{text}".encode()).hexdigest()[:20] + '"'
                state.last_modified = formatdate(usegmt=True)

    try:
        if rehearse:
            await run_in_threadpool(apply)
        else:
            await within(apply, timeout)
    except QuerySyntaxError as exc:
        raise BadRequest(f"SPARQL update error: {exc}") from None
    except QueryTimedOut:
        raise QueryTimeout(_update_timeout_message(timeout, stopped=True)) from None
    except TimeoutError:
        raise QueryTimeout(_update_timeout_message(timeout, stopped=False)) from None
    except PoolBusy:
        raise _all_busy(pool, timeout, "try the update again shortly") from None
    except WorkerLost as exc:
        raise ServiceUnavailable(f"{exc} while it tried the update; nothing was changed") from None
    log.info("SPARQL update applied (%d characters) from %s", len(op.text),
             request.client.host if request.client else "?")
    return Response(status_code=204)


def endpoint_iri(request: Request) -> str:
    """The endpoint's own IRI: the service description's sd:endpoint and the base IRI of
    operations (§2.2.3: the base "MAY be the service endpoint")."""
    return str(request.url).split("?", 1)[0]


# ------------------------------------------------------------------ service description

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS_NS = "http://www.w3.org/ns/formats/"
FORMAT_IRIS = {
    "application/sparql-results+json": "SPARQL_Results_JSON",
    "application/sparql-results+xml": "SPARQL_Results_XML",
    "text/csv": "SPARQL_Results_CSV",
    "text/tab-separated-values": "SPARQL_Results_TSV",
    "text/turtle": "Turtle",
    "application/n-triples": "N-Triples",
    "application/ld+json": "JSON-LD",
    "application/rdf+xml": "RDF_XML",
    "application/n-quads": "N-Quads",
    "application/trig": "TriG",
}
SD_PREFIXES = {"sd": SD, "formats": FORMATS_NS, "dcterms": "http://purl.org/dc/terms/",
               "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#"}
SD_TABLE = (*RDF, HTML)  # Turtle unless the client prefers another format, HTML for browsers
EXAMPLE = """SELECT ?item ?number ?title
WHERE {
  ?item zwgk:legalBasis ?instrument ; zwgk:itemNumber ?number ; skos:prefLabel ?title .
  ?instrument zwgk:lookupKey "国务院令765号" .
}
ORDER BY ?number"""


def description_triples(endpoint: str, updates: bool, union: bool = False, graphs: list[str] = ()) -> list[ox.Triple]:
    def sd(name: str) -> ox.NamedNode:
        return ox.NamedNode(SD + name)

    rdf_type = ox.NamedNode(SD_PREFIXES["rdf"] + "type")
    # labelled, not random: the same description, byte for byte, on every request (its length and ETag hold)
    service, dataset, graph = ox.BlankNode("service"), ox.BlankNode("dataset"), ox.BlankNode("default")
    triples = [
        ox.Triple(service, rdf_type, sd("Service")),
        ox.Triple(service, sd("endpoint"), ox.NamedNode(endpoint)),
        ox.Triple(service, ox.NamedNode(SD_PREFIXES["dcterms"] + "title"),
                  ox.Literal("zwgk SPARQL 1.1 endpoint: standard disclosure catalogs (政务公开标准目录)", language="en")),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(service, sd("defaultEntailmentRegime"), ox.NamedNode("http://www.w3.org/ns/entailment/Simple")),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, rdf_type, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), graph),
        ox.Triple(graph, rdf_type, sd("Graph")),
    ]
    if union:  # the default graph is the union of the named graphs (the built dataset; not with --load)
        triples.append(ox.Triple(service, sd("feature"), sd("UnionDefaultGraph")))
    for n, name in enumerate(graphs, 1):
        named = ox.BlankNode(f"graph{n}")
        triples += [ox.Triple(dataset, sd("namedGraph"), named), ox.Triple(named, rdf_type, sd("NamedGraph")),
                    ox.Triple(named, sd("name"), ox.NamedNode(name))]
    if updates:
        triples.append(ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Update")))
    triples += [ox.Triple(service, sd("resultFormat"), ox.NamedNode(FORMATS_NS + name)) for name in FORMAT_IRIS.values()]
    return triples


def description_page(request: Request, endpoint: str, updates: bool) -> str:
    e = html.escape
    path = request.url.path
    prefixes = ", ".join(f"{k}:" for k in sorted(QUERY_PREFIXES))
    alternates = "".join(f'<link rel="alternate" type="{e(f.media_type)}" href="{e(path)}?format={e(f.name)}">' for f in RDF)
    links = " · ".join(f'<a href="{e(path)}?format={e(f.name)}">{e(f.name)}</a>' for f in RDF)
    options = "".join(f'<option value="{e(n)}">{e(n)}</option>' for n in ("json", "xml", "csv", "tsv", "turtle", "ntriples", "jsonld", "rdfxml"))
    update_note = ("SPARQL Update is enabled (POST, see the service description)." if updates
                   else "SPARQL Update is off on this server.")
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>SPARQL endpoint · zwgk</title>{alternates}"
        "<link rel='stylesheet' href='/static/zwgk.css'></head><body><main>"
        f"<p><a href='/'>zwgk</a></p><h1>SPARQL 1.1 endpoint</h1>"
        f"<p>This is the <a href='https://www.w3.org/TR/sparql11-protocol/'>SPARQL 1.1 Protocol</a> endpoint "
        f"<code>{e(endpoint)}</code>: send a query with GET (<code>?query=</code>) or POST. "
        f"These prefixes are declared for every query: <code>{e(prefixes)}</code>.</p>"
        f"<form method='get' action='{e(path)}'><p><label for='query'>Query</label></p>"
        f"<textarea id='query' name='query' rows='10' cols='80'>{e(EXAMPLE)}</textarea>"
        f"<p><label for='format'>Format</label> <select id='format' name='format'>{options}</select> "
        "<button type='submit'>Run</button></p></form>"
        f"<p>{e(update_note)}</p><p>This description as RDF: {links}</p>"
        "</main></body></html>"
    )


def service_description(request: Request, state) -> Response:
    endpoint = endpoint_iri(request)
    updates = state.settings.updates_enabled
    formats = [v for v in values(parse_pairs(request.scope.get("query_string", b""), "query string"), "format") if v]
    fmt = choose(SD_TABLE, request.headers.get("accept"), formats[0] if formats else None)
    headers = {"Vary": "Accept",
               "Link": ", ".join(f'<{request.url.path}?format={f.name}>; rel="alternate"; type="{f.media_type}"' for f in RDF)}
    if fmt is HTML:
        body = description_page(request, endpoint, updates).encode("utf-8")
    else:
        rdf_format = ox.RdfFormat.from_media_type(fmt.media_type)
        embedded = not isinstance(state.backend, RemoteBackend)  # a remote store's graphs are its own to list
        triples = description_triples(endpoint, updates, union=embedded and state.backend.union_default_graph,
                                      graphs=state.backend.graphs() if embedded else ())
        items = [ox.Quad(t.subject, t.predicate, t.object) for t in triples] if rdf_format.supports_datasets else triples
        body = ox.serialize(items, format=rdf_format, prefixes=SD_PREFIXES)
    return body_response(request, body, content_type(fmt), headers)


# ------------------------------------------------------------------ the router, documented

ANSWER_TYPES = ("application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                "text/tab-separated-values", *FORMAT_IRIS, "text/html")
ANSWERS = {200: {"description": "query results (SELECT/ASK) or RDF (CONSTRUCT/DESCRIBE, the service description), "
                                "in the format negotiated from Accept or format",
                 "content": {t: {"schema": {"type": "string"}} for t in dict.fromkeys(ANSWER_TYPES)}}}


def _param(name: str, description: str, repeated: bool = False) -> dict:
    schema = {"type": "array", "items": {"type": "string"}} if repeated else {"type": "string"}
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema,
            **({"style": "form", "explode": True} if repeated else {})}


def openapi_get() -> dict:
    return {"parameters": [
        _param("query", "the SPARQL query; without it, the service description"),
        _param("default-graph-uri", "a graph of the default graph (repeatable)", repeated=True),
        _param("named-graph-uri", "a named graph of the dataset (repeatable)", repeated=True),
        _param("format", "the answer's format, instead of Accept: json, xml, csv, tsv, turtle, ntriples, jsonld, …"),
    ]}


def openapi_post() -> dict:
    form = {"type": "object", "properties": {
        "query": {"type": "string"}, "update": {"type": "string"},
        "default-graph-uri": {"type": "array", "items": {"type": "string"}},
        "named-graph-uri": {"type": "array", "items": {"type": "string"}},
        "using-graph-uri": {"type": "array", "items": {"type": "string"}},
        "using-named-graph-uri": {"type": "array", "items": {"type": "string"}}}}
    return {"requestBody": {"required": True, "content": {
        FORM: {"schema": form},
        QUERY: {"schema": {"type": "string"}},
        UPDATE: {"schema": {"type": "string"}},
    }}}


# ------------------------------------------------------------------ the router

def router(state, pool: QueryPool | None = None) -> APIRouter:
    """The endpoint; queries on the embedded Oxigraph store run on ``pool`` when one is given."""
    r = APIRouter(tags=["SPARQL"])
    limit = state.settings.max_request_bytes
    update_lock = threading.Lock()  # one update at a time
    slots = ClientSlots(state.settings.max_client_queries)

    description = (
        "Query with GET `?query=`, POST form `query=` or POST `application/sparql-query`; `default-graph-uri` / "
        "`named-graph-uri` set the dataset. Update with POST form `update=` or POST `application/sparql-update` "
        "(off unless enabled; bearer token); `using-graph-uri` / `using-named-graph-uri` set its dataset. "
        "Results by `Accept` or `format`. GET without a query: the service description."
    )

    async def sparql(request: Request):
        if request.method == "POST":
            op = await from_post(request, limit)
        else:
            op = from_get(request)
            if op is None:
                return service_description(request, state)
        with slots.hold(request.client.host if request.client else "unknown"):
            if op.kind == "update":
                return await run_update(request, state, op, pool, update_lock)
            return await run_query(request, state, op, pool)

    r.add_api_route("/sparql", sparql, methods=["GET"], operation_id="sparql_get",
                    summary="SPARQL 1.1 Protocol: query, or the service description", description=description,
                    openapi_extra=openapi_get(), responses=ANSWERS)
    r.add_api_route("/sparql", sparql, methods=["POST"], operation_id="sparql_post",
                    summary="SPARQL 1.1 Protocol: query or update", description=description,
                    openapi_extra=openapi_post(), responses=ANSWERS | {204: {"description": "the update was applied"}})
    r.add_api_route("/sparql", sparql, methods=["HEAD"], include_in_schema=False)
    # other methods: 405 naming GET, HEAD, POST and OPTIONS (methods.py)

    return r
