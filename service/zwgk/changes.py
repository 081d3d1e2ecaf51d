"""Change events (``data/changes.toml``): promulgations, amendments, revisions,
repeals and replacements of the instruments the catalogs cite.

A recorded event is reviewed data; a *hypothetical* event (``zwgk impact``'s
what-if) has the same shape and is never written anywhere. Both feed the same
impact analysis (``impact.py``).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .records import SourceError
from .registry import Registry

CHANGE_TYPES = ("promulgation", "amendment", "revision", "repeal", "replacement")
ACT_FIELDS = ("id", "title", "number", "type", "issuers", "date_document", "date_in_force", "confidence",
              "confidence_note", "source")
# the words `zwgk impact --type` takes, and the change type each one names
TYPE_WORDS = {"amended": "amendment", "revised": "revision", "repealed": "repeal", "replaced": "replacement"}
CONFIDENCES = ("V", "S")  # R (recollection) is never recorded
FIELDS = ("id", "type", "instrument", "by", "act", "version", "date", "date_in_force", "confidence",
          "confidence_note", "source")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass(frozen=True)
class Act:
    """An act that made a recorded change (a decree, a decision), known as a document of its own.

    In the graph it is an eli:LegalResource (IRI ``instrument/<id>``) that ``eli:amends`` (or
    repeals, changes) the instrument it changed. It is not in the instrument registry, so a
    citation never resolves to it: its number (国务院令第586号) is also the number of the version
    it made, and a citation of that number names the amended instrument in that version."""

    id: str
    type: str
    issuers: tuple[str, ...]
    title: str | None = None
    number: str | None = None
    date_document: str | None = None
    date_in_force: str | None = None
    confidence: str | None = None
    confidence_note: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class ChangeEvent:
    id: str
    type: str
    instrument: str  # the affected instrument (registry id)
    by: str | None = None  # the affecting instrument (registry id) or act (an [[act]] id), when known
    act: str | None = None  # the act that made the change, as known
    version: str | None = None  # the version of the affected instrument it produced
    date: str | None = None  # YYYY-MM-DD, YYYY-MM or YYYY
    date_in_force: str | None = None
    confidence: str | None = None
    confidence_note: str | None = None
    source: str | None = None
    hypothetical: bool = False
    affecting: Act | None = None  # the act `by` names, when it is an [[act]] of data/changes.toml

    @property
    def full_date(self) -> str | None:
        """The date when it names a day (a deadline can only be counted from a day)."""
        return self.date if self.date and len(self.date) == 10 else None

    @property
    def updates_citations(self) -> bool:
        """Whether items citing the affected instrument must be reviewed: every change but the first promulgation."""
        return self.type != "promulgation"


def load_changes(path: Path, registry: Registry) -> list[ChangeEvent]:
    """Read and check the change events; an error names the event and the field to fix."""
    if not path.exists():
        return []
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    acts = _load_acts(raw.get("act", []), registry, path)
    used: set[str] = set()
    events: list[ChangeEvent] = []
    seen: set[str] = set()
    for n, entry in enumerate(raw.get("change", []), 1):
        fail = _checked(entry, f"change {n} ({entry.get('id', 'no id')})", FIELDS,
                        ("id", "type", "instrument", "confidence"), path)
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", entry["id"]):
            raise fail("id must be lower-case letters, digits and hyphens")
        if entry["id"] in seen:
            raise fail("the id is used twice")
        seen.add(entry["id"])
        if entry["type"] not in CHANGE_TYPES:
            raise fail(f"type {entry['type']!r} is not one of {', '.join(CHANGE_TYPES)}")
        if entry["confidence"] not in CONFIDENCES:
            raise fail(f"confidence {entry['confidence']!r} is not V or S (recollections are left out)")
        for key in ("date", "date_in_force"):
            value = entry.get(key)
            if value is not None and not (isinstance(value, str) and _DATE.match(value)):
                raise fail(f"{key} {value!r} is not YYYY-MM-DD, YYYY-MM or YYYY (write it as a quoted string)")
        inst = registry.by_id.get(entry["instrument"])
        if inst is None:
            raise fail(f"instrument {entry['instrument']!r} is not in data/instruments.toml")
        if entry.get("by") and entry["by"] not in registry.by_id and entry["by"] not in acts:
            raise fail(f"by {entry['by']!r} is neither an instrument of data/instruments.toml nor an [[act]] "
                       "of this file")
        if entry["type"] == "repeal" and inst.repealed_by and entry.get("by") and entry["by"] != inst.repealed_by:
            raise fail(f"instruments.toml says {inst.id} is repealed by {inst.repealed_by}, not {entry['by']}")
        if entry.get("version"):
            version = next((v for v in inst.versions if v.id == entry["version"]), None)
            if version is None:
                raise fail(f"{inst.id} has no version {entry['version']!r} in data/instruments.toml")
            for mine, theirs in (("date", version.date_document), ("date_in_force", version.date_in_force)):
                if entry.get(mine) and theirs and entry[mine] != theirs:
                    raise fail(f"{mine} {entry[mine]} disagrees with version {version.id} of {inst.id} ({theirs})")
        act = acts.get(entry.get("by"))
        if act is not None:
            used.add(act.id)
            if entry.get("date") and act.date_document and entry["date"] != act.date_document:
                raise fail(f"date {entry['date']} disagrees with the date of act {act.id} ({act.date_document})")
        events.append(ChangeEvent(**entry, affecting=act))
    unused = sorted(set(acts) - used)
    if unused:
        raise SourceError(f"act {unused[0]} is not the `by` of any change: name it in a [[change]] or remove it",
                          file=path.name)
    return events


def _checked(entry: dict, where: str, fields, required: tuple[str, ...], path: Path):
    """Refuse an entry with an unknown field or without a required one; return the function that
    makes the entry's further errors (they name the entry and the file)."""

    def fail(message: str) -> SourceError:
        return SourceError(f"{where}: {message}", file=path.name)

    unknown = sorted(set(entry) - set(fields))
    if unknown:
        raise fail(f"unknown field {', '.join(unknown)}; fields: {', '.join(fields)}")
    for key in required:
        if not entry.get(key):
            raise fail(f"{key} is required")
    return fail


def _load_acts(entries: list[dict], registry: Registry, path: Path) -> dict[str, Act]:
    acts: dict[str, Act] = {}
    for n, entry in enumerate(entries, 1):
        fail = _checked(entry, f"act {n} ({entry.get('id', 'no id')})", ACT_FIELDS,
                        ("id", "type", "issuers", "confidence"), path)
        if not (entry.get("title") or entry.get("number")):
            raise fail("an act needs its title or its number (or both)")
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", entry["id"]):
            raise fail("id must be lower-case letters, digits and hyphens")
        if entry["id"] in acts or entry["id"] in registry.by_id:
            raise fail("the id is already used (by another act or by an instrument of data/instruments.toml)")
        if entry["confidence"] not in CONFIDENCES:
            raise fail(f"confidence {entry['confidence']!r} is not V or S (recollections are left out)")
        for key in ("date_document", "date_in_force"):
            value = entry.get(key)
            if value is not None and not (isinstance(value, str) and _DATE.match(value)):
                raise fail(f"{key} {value!r} is not YYYY-MM-DD, YYYY-MM or YYYY (write it as a quoted string)")
        acts[entry["id"]] = Act(**{**entry, "issuers": tuple(entry["issuers"])})
    return acts


def hypothetical(registry: Registry, instrument: str, date: str, type_word: str) -> ChangeEvent:
    """A what-if event from the command line or a query string; nothing is recorded."""
    resolution = registry.resolve_text(instrument)
    change = TYPE_WORDS.get(type_word, type_word)
    if change not in TYPE_WORDS.values():
        raise ValueError(f"type {type_word!r} is not one of {', '.join(TYPE_WORDS)}")
    return ChangeEvent(id="hypothetical", type=change, instrument=resolution.instrument.id, date=date,
                       hypothetical=True)


__all__ = ["CHANGE_TYPES", "TYPE_WORDS", "Act", "ChangeEvent", "load_changes", "hypothetical"]
