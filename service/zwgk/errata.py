"""Reviewed errata (``data/errata.toml``), applied to parsed records with provenance."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .records import CatalogRecord, Correction, Element, ItemRecord, SourceError

REQUIRED = ("catalog", "item", "field", "source", "corrected", "reason")


@dataclass(frozen=True)
class Erratum:
    index: int  # 1-based position in the file
    catalog: str
    item: int
    field: str
    source: str
    corrected: str
    reason: str


def load_errata(path: Path) -> list[Erratum]:
    if not path.exists():
        return []
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    errata = []
    for i, entry in enumerate(raw.get("erratum", []), 1):
        missing = [k for k in REQUIRED if k not in entry]
        if missing:
            raise SourceError(f"erratum {i} lacks {', '.join(missing)}", file=path.name)
        if entry["field"] not in _APPLY:
            raise SourceError(
                f"erratum {i}: field {entry['field']!r} cannot be corrected (known: {', '.join(_APPLY)})",
                file=path.name,
            )
        errata.append(
            Erratum(i, entry["catalog"], int(entry["item"]), entry["field"], str(entry["source"]), str(entry["corrected"]), entry["reason"])
        )
    return errata


def _element(value: str, erratum: Erratum, file: str) -> Element:
    m = re.fullmatch(r"\s*(\d+)[.．]\s*(.+?)\s*", value)
    if not m:
        raise SourceError(f"erratum {erratum.index}: {value!r} is not of the form 'N. label'", file=file)
    return Element(int(m.group(1)), m.group(2))


def _apply_element(item: ItemRecord, e: Erratum, file: str) -> None:
    old, new = _element(e.source, e, file), _element(e.corrected, e, file)
    for i, el in enumerate(item.elements):
        if el == old:
            item.elements[i] = new
            item.content_text = " ".join(f"{x.number}. {x.label}" for x in item.elements)
            return
    raise SourceError(f"erratum {e.index}: item {e.item} has no element {e.source!r}", file=file)


def _apply_phone(item: ItemRecord, e: Erratum, file: str) -> None:
    if e.source not in item.phones:
        raise SourceError(f"erratum {e.index}: item {e.item} has no phone {e.source!r}", file=file)
    item.phones[item.phones.index(e.source)] = e.corrected


def _apply_deadline(item: ItemRecord, e: Erratum, file: str) -> None:
    if str(item.deadline_days) != e.source:
        raise SourceError(f"erratum {e.index}: item {e.item} has deadline {item.deadline_days}, not {e.source}", file=file)
    item.deadline_days = int(e.corrected)


_APPLY = {
    "disclosureElement": _apply_element,
    "contactPhone": _apply_phone,
    "deadlineWorkingDays": _apply_deadline,
}


def apply_errata(catalog_id: str, catalog: CatalogRecord, errata: list[Erratum], file: str = "errata.toml") -> None:
    """Apply the errata of one catalog in place; each applied one is recorded on its item."""
    by_number = {item.number: item for item in catalog.items}
    for e in errata:
        if e.catalog != catalog_id:
            continue
        item = by_number.get(e.item)
        if item is None:
            raise SourceError(f"erratum {e.index} names item {e.item}, which catalog {catalog_id} does not have", file=file)
        _APPLY[e.field](item, e, file)
        item.corrections.append(Correction(e.field, e.source, e.corrected, e.reason, file, e.index))
