"""Readers: a catalog file, in any of the layouts catalogs are published in,
as a ``Table`` of numbered lines of cells. What the columns mean is found
afterwards from the header (``header.py``); this module only splits.

Formats (``format`` in data/catalogs.toml, or sniffed by ``sniff``):

``tsv``  (also ``pdf-tsv``) tab-separated text as PDF extraction leaves it;
         cells may slide because of merged cells (``parse.py`` places them).
``pipe`` pipe tables copied from web pages: ``| 序号 | 公开事项 | … |``;
         separator rows (``|---|---|``) are skipped, ``<br>`` is a line break.
``csv``  RFC 4180, comma-separated, UTF-8; a quoted cell may hold line breaks.
``cells`` one cell per line, as text copied out of a web table: the header
         names one column per line (group names such as 公开对象 directly
         followed by their sub-columns are not columns), then each row is that
         many lines, an empty cell an empty line, the first its 序号.
``xlsx`` the first worksheet that holds a header row; a merged cell is read
         at its top-left cell and empty elsewhere (as PDF extraction does).

Lines outside the table (a ``#`` title, ``编制单位：…``) are kept as one-cell
lines. Every line keeps its number in the file (the row number in a sheet)
and its text as published, for provenance and error messages.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from .records import SourceError

FORMATS = ("tsv", "pipe", "csv", "cells", "xlsx")
ALIASES = {"pdf-tsv": "tsv", "txt": "tsv", "tab": "tsv", "markdown": "pipe", "md": "pipe", "lines": "cells"}
MEDIA_TYPES = {
    "tsv": "text/tab-separated-values",
    "pipe": "text/markdown",
    "csv": "text/csv",
    "cells": "text/plain",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class Line:
    number: int  # 1-based line of the file (row of the sheet) where the row starts
    cells: list[str]
    raw: str  # the text as published (the lines of a multi-line row joined by line ends)
    last_line: int | None = None  # the last line of a row that spans several lines


@dataclass
class Table:
    name: str
    format: str
    lines: list[Line] = field(default_factory=list)
    ends_with_newline: bool = True  # False: the last line may stop mid-row
    partial: Line | None = None  # a last row the file stops inside (cells format: fewer lines than columns)
    expected_cells: int | None = None  # how many cells the partial row should have had


def canonical_format(fmt: str) -> str:
    fmt = ALIASES.get(fmt, fmt)
    if fmt not in FORMATS:
        raise ValueError(f"unknown catalog format {fmt!r}: one of {', '.join(FORMATS)} (pdf-tsv is tsv)")
    return fmt


def sniff(data: bytes, filename: str = "") -> str:
    """The format of a file from its name and first lines."""
    lower = filename.lower()
    if data.startswith(b"PK\x03\x04") or lower.endswith(".xlsx"):
        return "xlsx"
    if lower.endswith(".csv"):
        return "csv"
    head = data[:20000].decode("utf-8", errors="replace").splitlines()
    lines = [ln.strip() for ln in head if ln.strip()]
    if sum(ln.startswith("|") for ln in lines) >= max(2, len(lines) // 3):
        return "pipe"
    if any("\t" in ln for ln in lines):
        return "tsv"
    if any(ln in ("序号", "序號") for ln in lines):
        return "cells"
    if any(ln.count(",") >= 4 for ln in lines):
        return "csv"
    return "tsv"


def read_text_table(text: str, name: str, fmt: str) -> Table:
    fmt = canonical_format(fmt)
    table = Table(name, fmt, ends_with_newline=text.endswith(("\n", "\r")))
    if fmt == "tsv":
        for n, line in enumerate(text.split("\n"), 1):
            line = line.rstrip("\r")
            if line.strip():
                table.lines.append(Line(n, line.split("\t"), line))
    elif fmt == "pipe":
        _read_pipe(text, table)
    elif fmt == "csv":
        _read_csv(text, table)
    elif fmt == "cells":
        _read_cells(text, table)
    else:
        raise ValueError(f"{fmt} is not a text format")
    return table


_PIPE_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _read_pipe(text: str, table: Table) -> None:
    for n, line in enumerate(text.split("\n"), 1):
        line = line.rstrip("\r")
        stripped = line.strip()
        if not stripped or _PIPE_SEPARATOR.match(stripped):
            continue
        if not stripped.startswith("|"):
            table.lines.append(Line(n, [stripped], line))
            continue
        body = stripped[1:]
        if body.endswith("|") and not body.endswith("\\|"):
            body = body[:-1]
        cells = [_BR.sub("\n", c.replace("\\|", "|")).strip() for c in re.split(r"(?<!\\)\|", body)]
        table.lines.append(Line(n, cells, line))


def _read_csv(text: str, table: Table) -> None:
    if text.startswith("\ufeff"):
        text = text[1:]
    physical = text.split("\n")
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise SourceError(f"not a CSV table: {exc}", file=table.name, line=reader.line_num) from None
        end = reader.line_num
        raw = "\n".join(ln.rstrip("\r") for ln in physical[start - 1 : end])
        if any(c.strip() for c in cells):
            non_empty = [c for c in cells if c.strip()]
            table.lines.append(Line(start, cells if len(non_empty) > 1 or cells[0].strip() else non_empty, raw,
                                    end if end > start else None))
        start = end + 1


def _read_cells(text: str, table: Table) -> None:
    from .header import header_role

    lines = [(n, ln.rstrip("\r")) for n, ln in enumerate(text.split("\n"), 1)]
    if lines and not lines[-1][1] and table.ends_with_newline:
        lines.pop()  # the line end of the last line starts no new line
    i = 0
    # lines before the header: title, compiler, blank
    while i < len(lines) and header_role(lines[i][1]) != "number":
        if lines[i][1].strip():
            table.lines.append(Line(lines[i][0], [lines[i][1].strip()], lines[i][1]))
        i += 1
    if i == len(lines):
        return  # no header: the parser says so
    header_line = lines[i][0]
    columns: list[str] = []
    while i < len(lines):
        n, ln = lines[i]
        value = ln.strip()
        if columns and re.fullmatch(r"\d+", value):
            break
        if not value:
            raise SourceError("an empty line inside the header (one column name per line)", file=table.name, line=n)
        following = lines[i + 1][1] if i + 1 < len(lines) else ""
        if not _is_group_line(value, following):
            columns.append(value)
        i += 1
    width = len(columns)
    table.lines.append(Line(header_line, columns, "\n".join(columns)))
    table.expected_cells = width
    while i < len(lines):
        chunk = lines[i : i + width]
        first_n, first = chunk[0]
        if not first.strip() and all(not ln.strip() for _, ln in chunk):
            i += len(chunk)
            continue
        if len(chunk) < width:
            table.partial = Line(first_n, [ln for _, ln in chunk], "\n".join(ln for _, ln in chunk), chunk[-1][0])
            break
        if not re.fullmatch(r"\d+", first.strip()):
            if header_role(first.strip()) == "number":  # the header again (a new page): skip it
                i = _skip_repeated_header(lines, i)
                continue
            raise SourceError(
                f"expected the item number (序号) that starts a row of {width} lines (one per column of the header), "
                f"found {first.strip()[:40]!r}: does the row above have {width} lines?",
                file=table.name, line=first_n, cell=0)
        _check_row_end(table, lines, i, width)
        table.lines.append(Line(first_n, [ln for _, ln in chunk], "\n".join(ln for _, ln in chunk), chunk[-1][0]))
        i += width


def _check_row_end(table: Table, lines: list[tuple[int, str]], i: int, width: int) -> None:
    """A row of ``width`` lines must be followed by the next row's number (or the end): when it
    is not, a line is missing or extra inside the row, and the error says where the next row starts."""
    after = i + width
    if after >= len(lines) or re.fullmatch(r"\d+", lines[after][1].strip()) or not lines[after][1].strip():
        return
    number = int(lines[i][1].strip())
    for k in range(1, min(len(lines) - i, 2 * width)):  # where the next item's number is: fewer or more lines
        if lines[i + k][1].strip() == str(number + 1):
            raise SourceError(f"the row of item {number} has {k} lines, not {width} (one per column of the header): "
                              f"item {number + 1} starts at line {lines[i + k][0]}", file=table.name, line=lines[i][0])


def _skip_repeated_header(lines: list[tuple[int, str]], i: int) -> int:
    while i < len(lines) and not re.fullmatch(r"\d+", lines[i][1].strip()):
        i += 1
    return i


def _is_group_line(value: str, following: str) -> bool:
    """A group name (公开事项, 公开对象, 公开方式, 公开层级) directly followed by one of its sub-columns."""
    from .header import GROUPS, header_key, header_role

    subs = GROUPS.get(header_key(value))
    return bool(subs) and header_role(following) in subs


def read_xlsx(data: bytes, name: str) -> Table:
    try:
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException
    except ImportError:  # pragma: no cover - a dependency of the package
        raise SourceError("reading XLSX needs openpyxl (pip install openpyxl)", file=name) from None
    import zipfile

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise SourceError(f"not a readable XLSX workbook (is it truncated or another format?): {exc}", file=name) from None
    from .header import header_role

    chosen = None
    for sheet in book.worksheets:
        rows = [[_xlsx_value(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        if any(header_role(c) == "number" for row in rows[:50] for c in row):
            chosen = rows
            break
    book.close()
    table = Table(name, "xlsx")
    if chosen is None:
        raise SourceError("no worksheet has a header row (a cell 序号)", file=name)
    for n, cells in enumerate(chosen, 1):
        while cells and not cells[-1].strip():
            cells.pop()
        if not cells:
            continue
        non_empty = [c for c in cells if c.strip()]
        if len(non_empty) == 1 and not cells[0].strip():
            cells = non_empty
        table.lines.append(Line(n, cells, "\t".join(cells)))
    return table


def _xlsx_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


__all__ = ["FORMATS", "MEDIA_TYPES", "Line", "Table", "canonical_format", "sniff", "read_text_table", "read_xlsx"]
