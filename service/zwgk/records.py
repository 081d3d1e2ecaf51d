"""Typed records: what the parser makes of a catalog, before any RDF exists.

Every record keeps where it came from (file, line, raw cells) so the graph can
carry provenance and an error can name the line and cell that caused it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class SourceError(ValueError):
    """A source value the parser cannot make sense of. Names file, line and cell."""

    def __init__(self, message: str, *, file: str, line: int | None = None, cell: int | None = None):
        self.file, self.line, self.cell, self.reason = file, line, cell, message
        where = file
        if line is not None:
            where += f", line {line}"
        if cell is not None:
            where += f", cell {cell + 1}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class SourceRow:
    file: str
    line: int  # 1-based
    page: int  # 1-based, counted by header blocks
    raw: str  # the line exactly as in the file
    continuation_lines: tuple[int, ...] = ()
    last_line: int | None = None  # the last line of a row written over several lines (csv, cells)
    cell_texts: tuple[str, ...] | None = None  # the cells as read (None: the raw line split at tabs)

    @property
    def cells(self) -> list[str]:
        return list(self.cell_texts) if self.cell_texts is not None else self.raw.split("\t")


@dataclass(frozen=True)
class PartialRow:
    """The row a truncated file stops inside: reported, not read."""

    line: int
    cells: int  # cells found
    expected: int  # cells of the header
    raw: str


@dataclass
class CitationRecord:
    ordinal: int  # position in the 公开依据 cell, 1-based
    text: str  # as written, wrap spaces removed
    title: str | None  # without 《》
    number: str | None  # canonical spelling of the written number
    edition: int | None = None  # standards: LD/T 32—2015 → 2015
    note: str | None = None  # a parenthetical that is not a number (dates, amendments)
    dates: tuple[str, ...] = ()  # ISO dates found in the note


@dataclass
class Element:
    number: int
    label: str


@dataclass
class Correction:
    """An erratum applied to a record: both values are kept."""

    field: str
    source_value: str
    corrected_value: str
    reason: str
    erratum_file: str
    erratum_index: int


@dataclass
class ItemRecord:
    number: int
    path: tuple[str | None, str | None, str | None]  # 主项, 子项, 二级子项 after inheritance
    content_text: str | None
    elements: list[Element]
    basis_text: str | None
    citations: list[CitationRecord]
    deadline_text: str | None
    deadline_days: int | None
    agency: str | None
    channels: list[str]  # channel codes marked as used
    channels_unmarked: list[str]  # channel codes listed but not marked
    audiences: list[str]  # audience codes
    modes: list[str]  # mode codes
    levels: list[str]  # level codes
    unrecognized_levels: list[str]
    phones: list[str]
    source: SourceRow
    corrections: list[Correction] = field(default_factory=list)
    extras: list[tuple[str, str]] = field(default_factory=list)  # (column header, value) of extra columns
    empty_phone_columns: list[str] = field(default_factory=list)  # of several phone columns, those left empty

    @property
    def name(self) -> str | None:
        """The item's own name: the most specific 事项 of its path."""
        return next((p for p in reversed(self.path) if p), None)

    @property
    def missing(self) -> list[str]:
        """Fields the source leaves empty for this item (never filled in)."""
        checks = {
            "name": self.name,
            "content": self.content_text,
            "legalBasis": self.citations,
            "deadline": self.deadline_text,
            "agency": self.agency,
            "channel": self.channels,
            "audience": self.audiences,
            "mode": self.modes,
            "level": self.levels or self.unrecognized_levels,
            "phone": self.phones,
        }
        missing = [name for name, value in checks.items() if not value]
        if self.path[2] and not self.path[1]:  # a 二级子项 whose 子项 the source does not give
            missing.append("子项 (sub-item)")
        if self.phones:  # a phone, but one of several phone columns (咨询电话, 监督举报电话) is empty
            missing += [f"phone ({column})" for column in self.empty_phone_columns]
        return missing


@dataclass
class CatalogRecord:
    title: str | None  # as printed on the first page
    compiler: str | None  # 编制单位
    source_file: str
    pages: int
    items: list[ItemRecord]
    format: str = "tsv"
    partial_rows: list[PartialRow] = field(default_factory=list)  # a truncated file's incomplete last row
    traditional: bool = False  # read from traditional characters
    extra_columns: list[str] = field(default_factory=list)
