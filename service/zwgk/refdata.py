"""Reference data kept under ``data/``: catalogs to build, agencies, jurisdictions."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Place:
    id: str
    zh: str
    en: str | None = None
    code: str | None = None  # the administrative division code; None when not known (reported, never guessed)
    level: str | None = None  # a code of the level list: province, city, county, township, village
    parent: str | None = None


@dataclass(frozen=True)
class Agency:
    id: str
    zh: str
    en: str | None = None
    jurisdiction: str | None = None
    aliases: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    file: str
    format: str
    jurisdiction: str
    publisher: str
    domain_zh: str
    domain_en: str
    year: int
    revises: str | None = None  # the id of the earlier edition this one revises
    title: str | None = None  # the catalog's title, when the file does not print it
    source_url: str | None = None  # where the publisher published it
    truncated: bool = False  # the source is published cut short: build its complete rows, report the cut one
    extra: dict = field(default_factory=dict)


def _load(path: Path, key: str) -> list[dict]:
    with path.open("rb") as fh:
        return tomllib.load(fh).get(key, [])


def load_places(path: Path) -> dict[str, Place]:
    return {e["id"]: Place(**e) for e in _load(path, "jurisdiction")}


def load_agencies(path: Path) -> dict[str, Agency]:
    out = {}
    for e in _load(path, "agency"):
        e = dict(e)
        e["aliases"] = tuple(e.get("aliases", ()))
        out[e["id"]] = Agency(**e)
    return out


def load_catalogs(path: Path) -> list[CatalogEntry]:
    entries = []
    for e in _load(path, "catalog"):
        known = {k: v for k, v in e.items() if k in CatalogEntry.__dataclass_fields__ and k != "extra"}
        extra = {k: v for k, v in e.items() if k not in CatalogEntry.__dataclass_fields__}
        entries.append(CatalogEntry(**known, extra=extra))
    return entries


def resolve_agency(agencies: dict[str, Agency], name: str, jurisdiction: str) -> str | None:
    """The agency a name denotes in a catalog of ``jurisdiction``: full names
    anywhere, short names (市人社局) only within the catalog's own jurisdiction."""
    for a in agencies.values():
        if name == a.zh:
            return a.id
    for a in agencies.values():
        if name in a.aliases and a.jurisdiction == jurisdiction:
            return a.id
    return None
