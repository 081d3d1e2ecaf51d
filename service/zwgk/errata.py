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
    items: tuple[int, ...]  # the item, or a range of items ("24-33") for a 主项 spanning a block
    field: str
    source: str
    corrected: str
    reason: str
    lines: tuple[tuple[str, int], ...] = ()  # (key, line) of the entry's keys in the file, for messages

    def line(self, key: str | None = None) -> int | None:
        found = dict(self.lines)
        return found.get(key) if key in found else found.get("[[erratum]]")


_ENTRY = re.compile(r"^\s*\[\[\s*erratum\s*\]\]")
_KEY = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=")


def _entry_lines(text: str) -> list[dict[str, int]]:
    """For each [[erratum]] entry, the line of its header and of each of its keys."""
    entries: list[dict[str, int]] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if _ENTRY.match(line):
            entries.append({"[[erratum]]": lineno})
        elif line.lstrip().startswith("["):
            entries.append({})  # another table: keys below are not an erratum's
        elif entries and (m := _KEY.match(line)):
            entries[-1].setdefault(m.group(1), lineno)
    return [e for e in entries if "[[erratum]]" in e]


def load_errata(path: Path) -> list[Erratum]:
    if not path.exists():
        return []
    text = path.read_bytes().decode("utf-8", errors="replace")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise SourceError(f"not valid TOML: {exc}", file=path.name, line=int(m.group(1)) if m else None) from None
    positions = _entry_lines(text)
    errata = []
    for i, entry in enumerate(raw.get("erratum", []), 1):
        where = positions[i - 1] if i <= len(positions) else {}
        missing = [k for k in REQUIRED if k not in entry]
        if missing:
            raise SourceError(f"erratum {i} lacks {', '.join(missing)}", file=path.name, line=where.get("[[erratum]]"))
        if entry["field"] not in _APPLY:
            raise SourceError(
                f"erratum {i}: field {entry['field']!r} cannot be corrected (known: {', '.join(_APPLY)})",
                file=path.name,
                line=where.get("field"),
            )
        numbers = _item_numbers(entry["item"])
        if numbers is None:
            raise SourceError(f"erratum {i}: item {entry['item']!r} is not an item number or a range such as \"24-33\"",
                              file=path.name, line=where.get("item"))
        if len(numbers) > 1 and entry["field"] not in _RANGE_FIELDS:
            raise SourceError(f"erratum {i}: a range of items is allowed only for {', '.join(_RANGE_FIELDS)}",
                              file=path.name, line=where.get("item"))
        errata.append(
            Erratum(i, entry["catalog"], numbers, entry["field"], str(entry["source"]), str(entry["corrected"]),
                    entry["reason"], tuple(where.items()))
        )
    return errata


def _item_numbers(value: object) -> tuple[int, ...] | None:
    """An item number (48) or an inclusive range of them ("24-33")."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,) if value >= 1 else None
    m = re.fullmatch(r"\s*(\d+)\s*(?:[-–—~～]\s*(\d+)\s*)?", str(value))
    if not m:
        return None
    first = int(m.group(1))
    last = int(m.group(2) or first)
    if first < 1 or last < first:
        return None
    return tuple(range(first, last + 1))


def _element(value: str, erratum: Erratum, file: str) -> Element:
    m = re.fullmatch(r"\s*(\d+)[.．]\s*(.+?)\s*", value)
    if not m:
        raise SourceError(f"erratum {erratum.index}: {value!r} is not of the form 'N. label'", file=file,
                          line=erratum.line("source"))
    return Element(int(m.group(1)), m.group(2))


def _apply_element(item: ItemRecord, e: Erratum, file: str) -> None:
    old, new = _element(e.source, e, file), _element(e.corrected, e, file)
    for i, el in enumerate(item.elements):
        if el == old:
            item.elements[i] = new
            item.content_text = " ".join(f"{x.number}. {x.label}" for x in item.elements)
            return
    raise SourceError(f"erratum {e.index}: item {item.number} has no element {e.source!r}", file=file, line=e.line("source"))


def _apply_phone(item: ItemRecord, e: Erratum, file: str) -> None:
    if e.source not in item.phones:
        raise SourceError(f"erratum {e.index}: item {item.number} has no phone {e.source!r}", file=file, line=e.line("source"))
    item.phones[item.phones.index(e.source)] = e.corrected


def _apply_deadline(item: ItemRecord, e: Erratum, file: str) -> None:
    if str(item.deadline_days) != e.source:
        raise SourceError(f"erratum {e.index}: item {item.number} has deadline {item.deadline_days}, not {e.source}", file=file,
                          line=e.line("source"))
    item.deadline_days = int(e.corrected)


def _path_text(path: tuple[str | None, ...]) -> str:
    return " / ".join(p for p in path if p)


def _apply_main_item(item: ItemRecord, e: Erratum, file: str) -> None:
    """The 主项 of an item; an empty corrected value removes a 主项 the source does not give
    (one inherited from the rows above)."""
    if (item.path[0] or "") != e.source:
        raise SourceError(f"erratum {e.index}: item {item.number} has 主项 {item.path[0] or '(none)'!r}, "
                          f"not {e.source!r}", file=file, line=e.line("source"))
    item.path = (e.corrected.strip() or None, item.path[1], item.path[2])


def _apply_category_path(item: ItemRecord, e: Erratum, file: str) -> None:
    """The whole 主项 / 子项 / 二级子项 path, written with " / "; the item's own name may not change.
    A level the source does not give is left empty ("养老保险服务 /  / 恢复职工养老保险待遇申请")."""
    if _path_text(item.path) != e.source.strip():
        raise SourceError(f"erratum {e.index}: item {item.number} has the path {_path_text(item.path)!r}, "
                          f"not {e.source!r}", file=file, line=e.line("source"))
    parts = [p.strip() for p in e.corrected.split("/")]
    if not 1 <= len(parts) <= 3 or not parts[-1]:
        raise SourceError(f"erratum {e.index}: {e.corrected!r} is not a path of one to three names separated by ' / ' "
                          "(only a level above the last may be left empty)", file=file, line=e.line("corrected"))
    path = tuple(p or None for p in parts) if len(parts) == 3 else _right_aligned(parts)
    if next(p for p in reversed(path) if p) != item.name:
        raise SourceError(f"erratum {e.index}: the corrected path of item {item.number} must end with its name "
                          f"{item.name!r}", file=file, line=e.line("corrected"))
    item.path = path  # type: ignore[assignment]


def _right_aligned(parts: list[str]) -> tuple[str | None, str | None, str | None]:
    """A path of one or two names: 主项 (and 子项); a 二级子项 needs all three written."""
    return (parts[0] or None, parts[1] if len(parts) > 1 else None, None)


_APPLY = {
    "disclosureElement": _apply_element,
    "contactPhone": _apply_phone,
    "deadlineWorkingDays": _apply_deadline,
    "mainItem": _apply_main_item,
    "categoryPath": _apply_category_path,
}
_RANGE_FIELDS = ("mainItem",)


def apply_errata(catalog_id: str, catalog: CatalogRecord, errata: list[Erratum], file: str = "errata.toml") -> None:
    """Apply the errata of one catalog in place; each applied one is recorded on its item."""
    by_number = {item.number: item for item in catalog.items}
    for e in errata:
        if e.catalog != catalog_id:
            continue
        for number in e.items:
            item = by_number.get(number)
            if item is None:
                raise SourceError(f"erratum {e.index} names item {number}, which catalog {catalog_id} does not have",
                                  file=file, line=e.line("item"))
            _APPLY[e.field](item, e, file)
            item.corrections.append(Correction(e.field, e.source, e.corrected, e.reason, file, e.index))
