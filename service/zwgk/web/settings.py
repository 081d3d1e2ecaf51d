"""One settings object: every setting with its default and a help line.

The CLI (``zwgk serve``) fills it from its options; nothing else reads the
environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

from ..graph import BASE


def setting(default, help: str):
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    host: str = setting("127.0.0.1", "address to listen on")
    port: int = setting(8000, "port to listen on")
    base_iri: str = setting(BASE, "IRI base of the data: <base>X is served at /id/X")
    store: str = setting("oxigraph", "store backend: oxigraph (embedded), rdflib (in memory) or remote")
    store_path: Path | None = setting(None, "folder of an on-disk Oxigraph store (default: in memory)")
    endpoint: str | None = setting(None, "query URL of a remote SPARQL 1.1 server (store=remote)")
    update_endpoint: str | None = setting(None, "update URL of the remote server (default: the query URL)")
    load: tuple[Path, ...] = setting((), "RDF files to serve instead of the built graph (TriG/N-Quads keep their named graphs)")
    update_token: str | None = setting(None, "bearer token that enables SPARQL Update; updates are off without it "
                                             "(zwgk serve reads it from --update-token-file or the environment variable "
                                             "ZWGK_UPDATE_TOKEN, which keep it out of the process list)")
    allow_unauthenticated_updates: bool = setting(False, "enable SPARQL Update with no token (local testing only)")
    allow_service: bool = setting(False, "allow SERVICE (federated query) and LOAD in /sparql queries and updates; "
                                         "off, one that uses them is refused with 400, since they make the server "
                                         "fetch any URL, internal ones included")
    query_timeout: float = setting(30.0, "seconds a SPARQL query or update may run: past it the query is stopped (its "
                                         "worker process is killed) and answered 503; a named query past it is "
                                         "answered 503 too")
    query_workers: int = setting(4, "worker processes that run /sparql queries, so that a query past query_timeout "
                                    "can be stopped; 0 runs queries in the server process, where they cannot be")
    query_memory_mb: int = setting(4096, "address space (MiB) a query worker may use, data included; a query that needs "
                                         "more is stopped and answered 503 (0: no limit)")
    max_result_bytes: int = setting(50_000_000, "largest answer to a /sparql or named query, in bytes of the format asked for; "
                                                "a larger one is refused with 422, never cut short")
    max_request_bytes: int = setting(1_000_000, "largest request body accepted (413 past it)")
    max_url_bytes: int = setting(32_768, "longest request target (path and query string) accepted (414 past it: "
                                         "send long queries by POST)")
    rate_limit: int = setting(0, "requests a client (IP address) may make per minute, in bursts of up to as many; "
                                 "past it 429 with Retry-After (0: no limit)")
    max_client_queries: int = setting(0, "/sparql queries and updates one client (IP address) may have running at "
                                         "once; past it 429, so that one client cannot hold every query worker "
                                         "(0: no limit)")
    cors_origins: tuple[str, ...] = setting(("*",), "origins allowed to read by CORS (read endpoints only; "
                                                    "queries by GET or POST)")
    forwarded_allow_ips: str | None = setting(None, "addresses of the reverse proxies whose X-Forwarded-For and "
                                                    "X-Forwarded-Proto are trusted (comma-separated, * for any); "
                                                    "unset, those headers are ignored and the rate limit counts the "
                                                    "connecting address")

    @property
    def updates_enabled(self) -> bool:
        return bool(self.update_token) or self.allow_unauthenticated_updates

    @classmethod
    def help_table(cls) -> list[tuple[str, object, str]]:
        return [(f.name, f.default, f.metadata.get("help", "")) for f in fields(cls)]
