"""``zwgk add``: register a catalog file in the catalog registry (data/catalogs.toml).

The file is read and checked first, as the build will read it: its layout
(header, rows), its citations against the instrument registry, its 公开主体
against the agencies. Only when all of that holds is anything written: the file
is copied byte for byte to ``data/sources/``, and entries are appended to
``data/catalogs.toml`` (and, when asked for, ``data/jurisdictions.toml`` and
``data/agencies.toml``), each file replaced whole, never half-written.

Agencies: the publisher is an existing agency (``--publisher ID``) or a new
one named as the file's 编制单位 says (or ``--publisher-zh``). A 公开主体 that
names no known agency is taken as a short form of the publisher's name when it
is one (its characters occur in the full name in order, it starts with the
level character of the jurisdiction's name — 县, 乡, 市 … — and ends as the
full name ends: 县人社局 of 伊吾县人力资源和社会保障局, 乡人民政府 of
大泉湾乡人民政府); any other is registered as an agency of the catalog's
jurisdiction under the name the catalog gives, marked as not reviewed.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .build import Project, load_inputs
from .parse import CatalogParser, refuse_truncated
from .records import SourceError
from .refdata import resolve_agency
from .registry import ResolutionError
from .tables import canonical_format, sniff
from .text import is_subsequence

ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,80}$")
EXTENSIONS = {"tsv": ".txt", "pipe": ".md", "csv": ".csv", "cells": ".txt", "xlsx": ".xlsx"}


class RegistryError(ValueError):
    """The catalog cannot be registered as asked (what to change is in the message)."""


@dataclass
class NewCatalog:
    id: str
    file: Path
    jurisdiction: str
    domain_zh: str
    year: int
    domain_en: str | None = None
    format: str | None = None
    publisher: str | None = None  # an agency id
    publisher_zh: str | None = None
    title: str | None = None
    source_url: str | None = None
    jurisdiction_zh: str | None = None  # to register a new jurisdiction
    jurisdiction_en: str | None = None
    jurisdiction_level: str | None = None
    jurisdiction_parent: str | None = None
    division_code: str | None = None
    truncated: bool = False  # the file is published cut short: keep its complete rows


@dataclass
class Registration:
    entry: dict
    source: Path
    jurisdiction: dict | None = None
    agencies: list[dict] = field(default_factory=list)
    aliases: dict[str, list[str]] = field(default_factory=dict)  # agency id → new aliases
    items: int = 0


def plan(project: Project, new: NewCatalog) -> Registration:
    """Check everything and say what would be written (nothing is)."""
    codelists, registry, agencies, places, entries, _ = load_inputs(project)
    if not ID.match(new.id):
        raise RegistryError(f"catalog id {new.id!r}: use lower-case letters, digits and hyphens (e.g. yiwu-2024-social-insurance)")
    if any(e.id == new.id for e in entries):
        raise RegistryError(f"data/catalogs.toml already lists a catalog {new.id!r}")
    try:
        data = new.file.read_bytes()
    except OSError as exc:
        raise RegistryError(f"cannot read {new.file}: {exc.strerror or exc}") from None
    fmt = canonical_format(new.format) if new.format else sniff(data, new.file.name)
    target = project.data / "sources" / f"{new.id}{new.file.suffix.lower() or EXTENSIONS[fmt]}"
    if target.exists():
        raise RegistryError(f"{target.relative_to(project.root)} exists already")
    rel = target.relative_to(project.data).as_posix()
    shown = str(new.file)  # errors name the file the user gave
    record = CatalogParser(codelists, project.max_source_bytes).parse_bytes(data, shown, fmt)
    if not new.truncated:
        refuse_truncated(record, shown)

    reg = Registration(entry={}, source=target, items=len(record.items))
    jurisdiction = new.jurisdiction
    place_zh = places[jurisdiction].zh if jurisdiction in places else None
    if jurisdiction not in places:
        if not (new.jurisdiction_zh and new.jurisdiction_level and new.jurisdiction_parent):
            raise RegistryError(f"jurisdiction {jurisdiction!r} is not in data/jurisdictions.toml: give --jurisdiction-zh, "
                                "--jurisdiction-level and --parent to register it (and --division-code when known)")
        if new.jurisdiction_parent not in places:
            raise RegistryError(f"parent jurisdiction {new.jurisdiction_parent!r} is not in data/jurisdictions.toml")
        if codelists["level"].code_for(new.jurisdiction_level) is None and new.jurisdiction_level not in {
                c.code for c in codelists["level"].concepts}:
            raise RegistryError(f"level {new.jurisdiction_level!r}: one of "
                                f"{', '.join(c.code for c in codelists['level'].concepts)}")
        if new.division_code and not re.fullmatch(r"\d{6}(\d{3})?", new.division_code):
            raise RegistryError(f"division code {new.division_code!r}: 6 digits (county and above) or 9 (township)")
        level = codelists["level"].code_for(new.jurisdiction_level) or new.jurisdiction_level
        reg.jurisdiction = {k: v for k, v in {"id": jurisdiction, "zh": new.jurisdiction_zh, "en": new.jurisdiction_en,
                                               "code": new.division_code, "level": level,
                                               "parent": new.jurisdiction_parent}.items() if v}
        place_zh = new.jurisdiction_zh

    # the publisher
    known = dict(agencies)
    if new.publisher:
        if new.publisher not in known:
            raise RegistryError(f"publisher {new.publisher!r} is not in data/agencies.toml")
        publisher = new.publisher
    else:
        name = new.publisher_zh or record.compiler
        if not name:
            raise RegistryError("the file names no 编制单位: give --publisher ID (an agency of data/agencies.toml) "
                                "or --publisher-zh NAME")
        publisher = resolve_agency(known, name, jurisdiction)
        if publisher is None:
            publisher = _agency_id(jurisdiction, known, reg)
            reg.agencies.append({"id": publisher, "zh": name, "jurisdiction": jurisdiction,
                                 "note": f"registered by zwgk add from the 编制单位 of {rel}; not reviewed"})
    publisher_name = reg.agencies[0]["zh"] if reg.agencies else known[publisher].zh

    # every 公开主体
    for item in record.items:
        if not item.agency:
            continue
        if resolve_agency(known, item.agency, jurisdiction) or any(
                item.agency == a["zh"] for a in reg.agencies) or any(
                item.agency in v for v in reg.aliases.values()):
            continue
        if _short_form(item.agency, publisher_name, place_zh):
            reg.aliases.setdefault(publisher, []).append(item.agency)
        else:
            aid = _agency_id(jurisdiction, known, reg)
            reg.agencies.append({"id": aid, "zh": item.agency, "jurisdiction": jurisdiction,
                                 "note": f"registered by zwgk add from the 公开主体 of {rel} (item {item.number}); "
                                         "not reviewed"})

    # every citation must resolve, as in the build
    for item in record.items:
        for c in item.citations:
            try:
                registry.resolve(c)
            except ResolutionError as exc:
                raise SourceError(f"citation {c.ordinal} {c.text!r}: {exc}. Add the instrument to "
                                  "data/instruments.toml first", file=shown, line=item.source.line) from None

    reg.entry = {k: v for k, v in {
        "id": new.id, "file": rel, "format": fmt, "jurisdiction": jurisdiction, "publisher": publisher,
        "domain_zh": new.domain_zh, "domain_en": new.domain_en or _domain_en(entries, new.domain_zh),
        "year": new.year, "title": new.title,
        "source_url": new.source_url, "truncated": True if new.truncated else None}.items() if v is not None}
    if "domain_en" not in reg.entry:
        raise RegistryError(f"no English name known for the domain {new.domain_zh!r}: give --domain-en")
    return reg


def apply(project: Project, reg: Registration, original: Path) -> None:
    """Write what ``plan`` decided: the source copy first, then each data file replaced whole."""
    reg.source.parent.mkdir(parents=True, exist_ok=True)
    tmp = reg.source.with_name(f".{reg.source.name}.part")
    shutil.copyfile(original, tmp)
    os.replace(tmp, reg.source)
    try:
        if reg.jurisdiction:
            _append(project.data / "jurisdictions.toml", "jurisdiction", reg.jurisdiction)
        if reg.agencies or reg.aliases:
            text = (project.data / "agencies.toml").read_text(encoding="utf-8")
            for aid, names in reg.aliases.items():
                text = _add_aliases(text, aid, names, reg)
            for agency in reg.agencies:
                text += _toml_table("agency", agency)
            _replace(project.data / "agencies.toml", text)
        _append(project.data / "catalogs.toml", "catalog", reg.entry)
    except BaseException:
        reg.source.unlink(missing_ok=True)
        raise


def _short_form(short: str, full: str, place: str | None) -> bool:
    return (len(short) < len(full) and is_subsequence(short, full) and short[-1] == full[-1]
            and bool(place) and short[0] == place[-1])


def _agency_id(jurisdiction: str, known: dict, reg: Registration) -> str:
    taken = set(known) | {a["id"] for a in reg.agencies}
    n = 1
    while f"{jurisdiction}-agency-{n}" in taken:
        n += 1
    return f"{jurisdiction}-agency-{n}"


def _domain_en(entries, domain_zh: str) -> str | None:
    return next((e.domain_en for e in entries if e.domain_zh == domain_zh), None)


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    s = str(v).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{s}"'


def _toml_table(name: str, values: dict) -> str:
    return f"\n[[{name}]]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in values.items())


def _append(path: Path, name: str, values: dict) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    _replace(path, text.rstrip("\n") + "\n" + _toml_table(name, values))


def _add_aliases(text: str, aid: str, names: list[str], reg: Registration) -> str:
    new = next((a for a in reg.agencies if a["id"] == aid), None)
    if new is not None:  # an agency registered now: its aliases go with it
        new.setdefault("aliases", []).extend(n for n in names if n not in new.get("aliases", []))
        return text
    block = re.search(rf'(?ms)^\[\[agency\]\]\s*\nid = "{re.escape(aid)}"\n(.*?)(?=^\[\[|\Z)', text)
    if block is None:
        raise RegistryError(f"agency {aid!r}: cannot find its entry in data/agencies.toml to add {names}")
    body = block.group(0)
    m = re.search(r"(?m)^aliases = \[(.*)\]$", body)
    if m:
        current = m.group(1).rstrip()
        added = ", ".join(_toml_value(n) for n in names)
        body2 = body[: m.start()] + f"aliases = [{current}{', ' if current else ''}{added}]" + body[m.end():]
    else:
        lines = body.rstrip("\n").split("\n")
        zh_line = next(i for i, ln in enumerate(lines) if ln.startswith("zh = "))
        lines.insert(zh_line + 1, f"aliases = {_toml_value(names)}")
        body2 = "\n".join(lines) + "\n" + body[len(body.rstrip("\n")) + 1:]
    return text[: block.start()] + body2 + text[block.end():]


def _replace(path: Path, text: str) -> None:
    import tomllib

    tomllib.loads(text)  # never write a file the build could not read
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


__all__ = ["NewCatalog", "Registration", "RegistryError", "plan", "apply"]
