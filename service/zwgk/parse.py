"""Parser of standard catalogs, whatever their layout: rows of cells
(``tables.py``) → columns named by the header (``header.py``) → item records.

A catalog's columns are the standard ones (序号 | 公开事项 主项 子项 二级子项 |
公开内容 | 公开依据 | 公开时限 | 公开主体 | 公开渠道和载体 | 公开对象 | 公开方式 |
公开层级 | 电话 …), found by name in the header, in whatever order and with
whatever extra columns the publisher added.

In tab-separated text from a PDF (format ``tsv``) merged cells make the
extraction insert or drop empty cells, so the cells of a row can slide. Cells
are then found by content: the channel cell (■/□ or ``<input type="checkbox">``),
the deadline cell (…工作日…) and the basis cell (《…》) are anchors; every other
cell is read at its header column shifted as they are, and the anchors must
agree. Name cells (主项/子项/二级子项) that overflow the name columns are moved
back by the same shift. In the other formats cells stay where they are.

Cell rules (``ItemParser``): an empty name cell inherits from the rows above
(merged cells); a cell that says 同上 ("ditto") has the value of the row
above; documents in traditional characters are read in simplified characters
(the source line is kept as published).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

from .citations import parse_basis
from .codelists import CodeList
from .header import Layout, find_layout, is_header_row, simplified
from .records import CatalogRecord, Element, ItemRecord, PartialRow, SourceError, SourceRow
from .tables import Line, Table, canonical_format, read_text_table, read_xlsx
from .text import clean_label, is_subsequence, unwrap

NAME_COLUMNS = (1, 2, 3)  # name levels: 主项, 子项, 二级子项

# a source larger than this is refused before it is read (Project.max_source_bytes, zwgk --max-source-bytes)
MAX_SOURCE_BYTES = 50_000_000

CHECK_MARKS = {"√", "✓", "✔", "☑", "■", "●", "✅"}
NO_MARKS = {"□", "☐", "口", "×", "✗", "○"}
DITTO = {"同上", "同上。", "同上行"}
_ON, _OFF = "■☑√✓✔", "□☐口"

_INPUT_CHECKED = re.compile(r"<input\b[^>]*\bchecked\b[^>]*>", re.IGNORECASE)
_INPUT = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
_ELEMENT = re.compile(r"(?:^|(?<=\s))(\d{1,2})[.．、]\s*")
_DEADLINE_DAYS = re.compile(r"(\d+)\s*个?\s*工作日")
_PHONE_LIKE = re.compile(r"[\d\-－()（）\s,，、;；/]*\d{5}[\d\-－()（）\s,，、;；/]*")  # numbers, even malformed
_TIME_WORD = re.compile(r"[时日天月年期]")  # words of a time limit: 实时, 及时, 工作日, 长期, 每年 …
_PHONE = re.compile(r"(?<!\d)(0\d{2,3})-?(\d{7,8})(?!\d)|(?<!\d)(1\d{10})(?!\d)")
_LIST_SEPARATORS = re.compile(r"[、，,；;／/\s]+")


@dataclass
class _Row:
    """A data row with its cells placed in the header's columns, before the cell rules."""

    source: SourceRow
    number: int
    names: dict[int, str]  # name level (1..3) → text
    cells: dict[int, str]  # header column → raw text (non-empty cells only)
    cell_index: dict[int, int]  # header column → index of the cell in the row (for messages)


class CatalogParser:
    def __init__(self, codelists: dict[str, CodeList], max_bytes: int = MAX_SOURCE_BYTES):
        self.max_bytes = max_bytes
        self.channels = codelists["channel"]
        self.levels = codelists["level"]
        self.audiences = codelists["audience"]
        self.modes = codelists["mode"]

    # ------------------------------------------------------------ file level

    def parse_file(self, path: Path, display_name: str | None = None, fmt: str = "tsv") -> CatalogRecord:
        name = display_name or path.name
        data = path.read_bytes()
        return self.parse_bytes(data, name, fmt)

    def parse_bytes(self, data: bytes, name: str, fmt: str = "tsv") -> CatalogRecord:
        fmt = canonical_format(fmt)
        if self.max_bytes and len(data) > self.max_bytes:
            raise too_large(name, len(data), self.max_bytes)
        if not data.strip():
            raise SourceError("the file is empty", file=name)
        if fmt == "xlsx":
            return self.parse_table(read_xlsx(data, name))
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise SourceError("the file is UTF-16 (it starts with a UTF-16 byte-order mark); convert it to UTF-8",
                              file=name, line=1)
        if data.startswith(b"PK\x03\x04"):
            raise SourceError(f"the file is a ZIP archive (an XLSX workbook?), not {fmt} text: register it with "
                              "format \"xlsx\"", file=name)
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line_start = data.rfind(b"\n", 0, exc.start) + 1
            line = data[: exc.start].count(b"\n") + 1
            cell = data[line_start : exc.start].count(b"\t")
            if exc.end == len(data) and exc.reason == "unexpected end of data":
                # the file stops inside a character: what comes before it is read, the row it cuts is reported
                text = data[: exc.start].decode("utf-8", errors="strict")
            elif b"\x00" in data[:4096]:
                raise SourceError("the file holds NUL bytes: it is binary, not a catalog table",
                                  file=name, line=line, cell=cell) from None
            else:
                cell_start = max(line_start, data.rfind(b"\t", 0, exc.start) + 1)
                cell_end = min((i for i in (data.find(b"\t", exc.start), data.find(b"\n", exc.start)) if i >= 0),
                               default=len(data))
                raise SourceError(f"not UTF-8 text (byte {exc.start} cannot be decoded); convert the file to UTF-8 "
                                  f"(is it GBK? {_gbk_hint(data, data[cell_start:cell_end])})",
                                  file=name, line=line, cell=cell) from None
        if "\x00" in text:
            line = text[: text.index("\x00")].count("\n") + 1
            raise SourceError("the file holds NUL bytes: it is binary, not a catalog table", file=name, line=line)
        return self.parse_text(text, name, fmt)

    def parse_text(self, text: str, name: str, fmt: str = "tsv") -> CatalogRecord:
        return self.parse_table(read_text_table(text, name, fmt))

    def parse_table(self, table: Table) -> CatalogRecord:
        name = table.name
        traditional = _to_simplified(table)
        layout, start = find_layout(table)
        title = compiler = None
        for k, line in enumerate(table.lines):  # title and compiler: before the table, and on every page
            text = line.cells[0].strip() if len(line.cells) == 1 else ""
            if text.startswith("编制单位"):
                compiler = compiler or clean_label(re.sub(r"^编制单位\s*[:：]\s*", "", text)) or None
            elif text.startswith("#") or (k < start and "目录" in text):
                title = title or clean_label(text.lstrip("#").strip()) or None
        shifting = table.format == "tsv"
        rows: list[_Row] = []
        page = 1
        page_break_before: set[int] = set()
        partial = None
        data_lines = table.lines[start:]
        for k, line in enumerate(data_lines):
            first = line.cells[0].strip() if line.cells else ""
            if len(line.cells) == 1 and first.startswith("#"):
                page += 1
                page_break_before.add(len(rows))
                continue
            if len(line.cells) == 1 and first.startswith("编制单位"):
                continue
            if is_header_row(line):
                continue
            if (k == len(data_lines) - 1 and not table.ends_with_newline and table.format != "xlsx"
                    and len(line.cells) < layout.width):
                partial = PartialRow(line.number, len(line.cells), layout.width, line.raw)
                break
            if not re.fullmatch(r"\d+", first):
                raise SourceError(f"expected an item number (序号) in the first cell, found {first[:40]!r}",
                                  file=name, line=line.number, cell=0)
            source = SourceRow(file=name, line=line.number, page=page, raw=line.raw, last_line=line.last_line,
                               cell_texts=None if table.format == "tsv" else tuple(line.cells))
            rows.append(self._place_cells(source, int(first), line.cells, layout, shifting))
        if table.partial is not None:
            partial = PartialRow(table.partial.number, len(table.partial.cells), table.expected_cells or layout.width,
                                 table.partial.raw)
        if not rows:
            where = f" (the only row, line {partial.line}, is incomplete)" if partial else ""
            raise SourceError(f"no catalog rows found: no row under the header starts with an item number{where}",
                              file=name, line=layout.header_lines[-1])
        self._check_numbers(rows)
        items = ItemParser(self, rows, page_break_before, layout).items()
        return CatalogRecord(title=title, compiler=compiler, source_file=name, pages=page, items=items,
                             format=table.format, partial_rows=[partial] if partial else [],
                             traditional=traditional, extra_columns=[layout.labels[i] for i in layout.indexes("extra")])

    @staticmethod
    def _check_numbers(rows: list[_Row]) -> None:
        seen: dict[int, int] = {}
        for row in rows:
            if row.number in seen:
                raise SourceError(
                    f"item number {row.number} is repeated (first on line {seen[row.number]})",
                    file=row.source.file,
                    line=row.source.line,
                    cell=0,
                )
            seen[row.number] = row.source.line

    # ------------------------------------------------------------- row level

    def _place_cells(self, source: SourceRow, number: int, cells: list[str], layout: Layout, shifting: bool) -> _Row:
        err = lambda msg, cell=None: SourceError(msg, file=source.file, line=source.line, cell=cell)  # noqa: E731
        shift = self._shift(cells, layout, err) if shifting else 0
        content = layout.index("content")
        name_columns = layout.name_columns
        names: dict[int, str] = {}
        placed: dict[int, str] = {}
        index: dict[int, int] = {}
        if shifting:
            # name cells lie left of the content cell; those past the last name column slid with the row
            name_cells = [(i, cells[i]) for i in range(1, min(content + shift, len(cells))) if cells[i].strip()]
            overflow = any(i > max(name_columns) for i, _ in name_cells)
            for i, text in name_cells:
                column = i - shift if overflow else i
                if column not in name_columns:
                    raise err(f"a name cell ({clean_label(text)!r}) lies outside the 主项/子项/二级子项 columns", cell=i)
                names[name_columns[column]] = clean_label(text)
            first_value = content + shift
        else:
            first_value = 0
        number_column = layout.index("number")
        for i in range(first_value, len(cells)):
            if not cells[i].strip() or i == number_column:
                continue
            column = i - shift
            if column in name_columns and not shifting:
                names[name_columns[column]] = clean_label(cells[i])
                continue
            if column not in layout.roles or column in name_columns:
                raise err(f"an unexpected cell outside the columns of the header ({layout.width} columns): "
                          f"{cells[i].strip()[:40]!r}", cell=i)
            placed[column] = cells[i]
            index[column] = i
        return _Row(source, number, names, placed, index)

    @staticmethod
    def _shift(cells: list[str], layout: Layout, err) -> int:
        """How far the cells of a PDF-extracted row slid, from the anchors."""
        at = {"channels": layout.index("channels"), "deadline": layout.index("deadline"), "basis": layout.index("basis")}
        anchors: dict[str, int] = {}
        for idx, cell in enumerate(cells):
            if idx == 0:
                continue
            if re.search(r"[■□☑☐]|<input\b", cell):
                anchors.setdefault("channels", idx - at["channels"])
            elif "工作日" in cell or "之日起" in cell:
                anchors.setdefault("deadline", idx - at["deadline"])
        basis_idx = [i for i, c in enumerate(cells)
                     if i and ("《" in c or re.search(r"[〔\[]\d{4}[〕\]]\d+号|令\s*第?\s*\d+\s*号", c))]
        if basis_idx:
            anchors["basis"] = basis_idx[0] - at["basis"]
        if not anchors:
            raise err("cannot find the columns of this row: no channel (■/□), deadline (…工作日…) or basis (《…》) cell")
        if len(set(anchors.values())) > 1:
            found = ", ".join(f"{k} at cell {v + at[k] + 1}" for k, v in anchors.items())
            raise err(f"the cells of this row disagree on where the columns are ({found})")
        shift = anchors.popitem()[1]
        if layout.index("content") + shift < 1:
            raise err("the 公开内容 column would lie before the name columns", cell=0)
        return shift

    # ------------------------------------------------------------ cell level

    def channels_of(self, row: _Row, column: int | None) -> tuple[list[str], list[str]]:
        text = row.cells.get(column, "") if column is not None else ""
        marked, unmarked = [], []
        for checked, label in split_channels(text, self.channels):
            code = self.channels.code_for(label)
            if code is None:
                raise SourceError(
                    f"unknown channel {label!r}: add it to data/codelists.toml [channel]",
                    file=row.source.file,
                    line=row.source.line,
                    cell=row.cell_index[column],
                )
            (marked if checked else unmarked).append(code)
        return marked, unmarked

    def marks_of(self, row: _Row, columns: dict[int, str]) -> list[str]:
        codes = []
        for column, code in columns.items():
            value = row.cells.get(column, "").strip()
            if not value or value in NO_MARKS:
                continue
            if value not in CHECK_MARKS:
                raise SourceError(
                    f"expected a √ mark or nothing, found {value[:40]!r}",
                    file=row.source.file,
                    line=row.source.line,
                    cell=row.cell_index[column],
                )
            codes.append(code)
        return codes

    def coded_text(self, row: _Row, column: int | None, codes: CodeList, what: str) -> list[str]:
        """Codes named by a text cell (公开对象: 全社会、特定群体); an unknown name is an error."""
        if column is None or column not in row.cells:
            return []
        out = []
        for part in _LIST_SEPARATORS.split(clean_label(row.cells[column])):
            if not part:
                continue
            code = codes.code_for(part)
            if code is None:
                raise SourceError(f"unknown {what} {part!r}: add it to data/codelists.toml [{codes.name}]",
                                  file=row.source.file, line=row.source.line, cell=row.cell_index[column])
            if code not in out:
                out.append(code)
        return out

    def levels_of(self, row: _Row, layout: Layout) -> tuple[list[str], list[str]]:
        column = layout.index("level")
        text = clean_label(row.cells.get(column, "")) if column is not None else ""
        known, unknown = [], []
        for part in re.split(r"[、，；/]", text):
            if not part:
                continue
            if _PHONE.search(part):
                raise SourceError(f"the 公开层级 cell holds a phone number ({part[:40]!r}): has the phone cell slid "
                                  "into it?", file=row.source.file, line=row.source.line, cell=row.cell_index[column])
            code = self.levels.code_for(part)
            if code:
                known.append(code)
            else:
                unknown.append(part)
        for column, label in layout.level_marks.items():  # a √ under 县级, 乡级 …
            if self.marks_of(row, {column: "x"}):
                code = self.levels.code_for(label)
                if code and code not in known:
                    known.append(code)
                elif not code:
                    unknown.append(clean_label(label))
        return known, unknown

    def phones_of(self, row: _Row, columns: list[int]) -> list[str]:
        phones: list[str] = []
        for column in columns:
            text = unwrap(row.cells.get(column, ""))
            for m in _PHONE.finditer(text):
                phone = f"{m.group(1)}-{m.group(2)}" if m.group(1) else m.group(3)
                if phone not in phones:
                    phones.append(phone)
            rest = _PHONE.sub("", text).strip(" ,，、;；/")
            for piece in re.split(r"[\s,，、;；/]+", rest) if _PHONE_LIKE.fullmatch(rest) else ():
                if piece and piece not in phones:  # digits and dashes that are no valid number: kept as written,
                    phones.append(piece)  # for the report to flag (a Violation of the phone pattern)
            if rest and not _PHONE_LIKE.fullmatch(rest):
                raise SourceError(
                    f"the phone cell holds something that is not a phone number: {rest[:40]!r}",
                    file=row.source.file,
                    line=row.source.line,
                    cell=row.cell_index[column],
                )
        return phones


def split_channels(text: str, channels: CodeList) -> list[tuple[bool, str]]:
    """(used, label) pairs of a 公开渠道和载体 cell. Marks: ■ ☑ √ ✓ ✔ used, □ ☐ and 口
    (how OCR reads □) not used, ``<input type="checkbox" [checked]>`` either. 口 is a
    mark only at the start, after a space or a mark, or before a known channel label
    (窗口 is a word). A cell without any mark lists the channels used, separated by
    、，； or spaces."""
    text = _INPUT.sub("□", _INPUT_CHECKED.sub("■", text or ""))
    marks: list[int] = []
    for i, ch in enumerate(text):
        if ch in _ON or ch in _OFF[:2]:
            marks.append(i)
        elif ch == "口":
            before = text[i - 1] if i else ""
            after = unwrap(text[i + 1 :])
            if not before or before.isspace() or before in _ON + _OFF or _starts_with_label(after, channels):
                marks.append(i)
    if not marks:
        return [(True, part) for part in _LIST_SEPARATORS.split(clean_label(text)) if part]
    out = []
    if clean_label(text[: marks[0]]):
        out.append((True, clean_label(text[: marks[0]])))
    for i, nxt in zip(marks, marks[1:] + [len(text)]):
        label = clean_label(text[i + 1 : nxt])
        if label:
            out.append((text[i] in _ON, label))
    return out


def _starts_with_label(text: str, channels: CodeList) -> bool:
    text = clean_label(text)
    return any(text.startswith(label) for c in channels.concepts for label in (c.zh, *c.aliases) if label)


def _to_simplified(table: Table) -> bool:
    """Read a document in traditional characters in simplified ones (cells only; the raw
    lines stay as published): when at least 1% of its Chinese characters (and 3) change.
    Returns whether it was."""
    rows = table.lines + ([table.partial] if table.partial is not None else [])
    converted = [[simplified(c) for c in row.cells] for row in rows]
    changed = cjk = 0
    for row, new in zip(rows, converted):
        for old, cell in zip(row.cells, new):
            changed += sum(a != b for a, b in zip(old, cell)) + abs(len(old) - len(cell))
            cjk += sum(1 for ch in old if "\u4e00" <= ch <= "\u9fff")
    if changed < 3 or changed < 0.01 * cjk:
        return False
    for row, new in zip(rows, converted):
        row.cells = new
    return True


def refuse_truncated(record: CatalogRecord, name: str) -> None:
    """A file that stops inside a row is refused, unless its catalog is registered as published
    cut short (``truncated = true``): a cut copy must not replace a good build silently."""
    for partial in record.partial_rows:
        raise SourceError(
            f"the file stops inside this row ({partial.cells} of {partial.expected} cells): is it truncated? Use the "
            "complete file; if the source itself is published cut short, register the catalog with truncated = true "
            "in data/catalogs.toml (zwgk add --truncated) to build its complete rows and report this one",
            file=name, line=partial.line, cell=partial.cells)


def too_large(name: str, size: int, limit: int) -> SourceError:
    return SourceError(f"the file is {size} bytes, larger than the limit of {limit} bytes (max_source_bytes: "
                       "zwgk --max-source-bytes N build); is it the right file?", file=name)


def _gbk_hint(data: bytes, cell: bytes) -> str:
    """Whether the whole file, or the cell that fails, is GBK text."""
    for what, chunk in (("the file", data), ("this cell", cell)):
        try:
            chunk.decode("gb18030")
        except UnicodeDecodeError:
            continue
        if what == "the file":
            return "the file decodes as GBK: iconv -f GBK -t UTF-8"
        return "this cell decodes as GBK while the file is mostly UTF-8: re-type or re-save the cell in UTF-8"
    return "it does not decode as GBK either"


def parse_elements(text: str) -> list[Element]:
    """The standard elements of a content cell: numbered ("1. 事项名称 2. 事项简述 …",
    "1、…") or a list of short names separated by 、 (at least three, none longer than
    20 characters, none holding sentence punctuation). Free text gives []."""
    marks = list(_ELEMENT.finditer(text))
    if marks and marks[0].start() == 0:
        elements = []
        for m, nxt in zip(marks, marks[1:] + [None]):
            label = clean_label(text[m.end() : nxt.start() if nxt else len(text)])
            elements.append(Element(int(m.group(1)), label))
        return elements
    parts = [clean_label(p) for p in clean_label(text).rstrip("。.").split("、")]
    if len(parts) >= 3 and all(0 < len(p) <= 20 and not re.search(r"[，。；：,.;:]", p) for p in parts):
        return [Element(k, p) for k, p in enumerate(parts, 1)]
    return []


class ItemParser:
    """Turns placed rows into items, applying the merged-cell rules for names.

    1. A name cell left empty inherits from the rows above (merged cell). A new
       主项 clears 子项 and 二级子项; a new 子项 clears 二级子项.
    2. When a row has both a 子项 and a 二级子项 and the 二级子项 text is a
       shorter subsequence of the 子项 text, the two came out swapped: the
       merged parent cell was extracted after its child ("暂停职工养老保险待遇申请"
       | "暂停养老保").
    3. At a page break, a merged name cell can be split over the last row of
       one page and the first row of the next ("暂停养老保" / "险待遇申请"). The
       two parts are joined when the joined text is a subsequence of the
       names of both rows' own items (the parent names its children).
    """

    def __init__(self, parser: CatalogParser, rows: list[_Row], page_breaks: set[int], layout: Layout):
        self.parser = parser
        self.rows = rows
        self.page_breaks = page_breaks
        self.layout = layout

    def items(self) -> list[ItemRecord]:
        self._ditto()
        for row in self.rows:
            self._unswap(row)
        self._join_page_splits()
        items = []
        path: list[str | None] = [None, None, None]
        for row in self.rows:
            for column in NAME_COLUMNS:
                if column in row.names:
                    path[column - 1] = row.names[column]
                    for deeper in range(column, 3):
                        if deeper + 1 not in row.names:
                            path[deeper] = None
            items.append(self._item(row, tuple(path)))
        return items

    def _ditto(self) -> None:
        """A cell that says 同上 has the value of the same column in the row above
        (a name cell saying 同上 inherits, as an empty one does)."""
        previous: _Row | None = None
        for row in self.rows:
            for level, text in list(row.names.items()):
                if text in DITTO:
                    del row.names[level]
            for column, text in list(row.cells.items()):
                if clean_label(text) not in DITTO:
                    continue
                if previous is None:
                    raise SourceError("同上 (ditto) in the first row: there is no row above",
                                      file=row.source.file, line=row.source.line, cell=row.cell_index[column])
                if column in previous.cells:
                    row.cells[column] = previous.cells[column]
                else:
                    del row.cells[column]  # the row above has nothing there either
            previous = row

    @staticmethod
    def _unswap(row: _Row) -> None:
        sub, subsub = row.names.get(2), row.names.get(3)
        if sub and subsub and len(subsub) < len(sub) and is_subsequence(subsub, sub):
            row.names[2], row.names[3] = subsub, sub

    def _join_page_splits(self) -> None:
        for i in sorted(self.page_breaks):
            if i == 0 or i >= len(self.rows):
                continue
            before, after = self.rows[i - 1], self.rows[i]
            for column in (1, 2):
                head, tail = before.names.get(column), after.names.get(column)
                if not head or not tail:
                    continue
                joined = head + tail
                children = [r.names.get(c) for r in (before, after) for c in range(column + 1, 4) if r.names.get(c)]
                deepest = [max((r.names.get(c) for c in range(column + 1, 4) if r.names.get(c)), key=len, default=None) for r in (before, after)]
                if children and all(d and is_subsequence(joined, d) for d in deepest):
                    before.names[column] = joined
                    after.names[column] = joined
                    after.source = dataclasses.replace(after.source, continuation_lines=(before.source.line,))
                    before.source = dataclasses.replace(before.source, continuation_lines=(after.source.line,))

    def _item(self, row: _Row, path: tuple[str | None, ...]) -> ItemRecord:
        p, lay = self.parser, self.layout
        cell = lambda role: row.cells.get(lay.index(role), "") if lay.index(role) is not None else ""  # noqa: E731
        raw_content = cell("content").strip()
        elements = parse_elements(raw_content)
        if elements:
            content = " ".join(f"{e.number}. {e.label}" for e in elements)
        else:
            content = clean_label(raw_content) or None
        basis = cell("basis").strip() or None
        deadline = clean_label(cell("deadline")) or None
        days = None
        if deadline:
            m = _DEADLINE_DAYS.search(deadline)
            if m:
                days = int(m.group(1))
            elif not _TIME_WORD.search(deadline):
                # not a time limit at all: a cell of another column has slid here
                raise SourceError(
                    f"the 公开时限 cell is not a time limit: {deadline[:40]!r}",
                    file=row.source.file,
                    line=row.source.line,
                    cell=row.cell_index[lay.index("deadline")],
                )
            # else a time limit in other words (实时公开, 长期公开, 及时): kept as written, no number
            # of working days is made up, and the report says impact analysis has no deadline for it
        marked, unmarked = p.channels_of(row, lay.index("channels"))
        levels, unknown_levels = p.levels_of(row, lay)
        audiences = p.marks_of(row, {i: c for r, c in (("public", "public"), ("specific", "specific-groups"))
                                     for i in lay.indexes(r)})
        audiences += [c for c in p.coded_text(row, lay.index("audience"), p.audiences, "audience (公开对象)")
                      if c not in audiences]
        modes = p.marks_of(row, {i: c for r, c in (("proactive", "proactive"), ("on_request", "on-request"))
                                 for i in lay.indexes(r)})
        modes += [c for c in p.coded_text(row, lay.index("mode"), p.modes, "mode (公开方式)") if c not in modes]
        extras = [(lay.labels[i], unwrap(row.cells[i])) for i in lay.indexes("extra") if row.cells.get(i, "").strip()]
        return ItemRecord(
            number=row.number,
            path=path,  # type: ignore[arg-type]
            content_text=content,
            elements=elements,
            basis_text=unwrap(basis) if basis else None,
            citations=parse_basis(basis or ""),
            deadline_text=deadline,
            deadline_days=days,
            agency=clean_label(cell("agency")) or None,
            channels=marked,
            channels_unmarked=unmarked,
            audiences=audiences,
            modes=modes,
            levels=levels,
            unrecognized_levels=unknown_levels,
            phones=p.phones_of(row, lay.indexes("phone")),
            source=row.source,
            extras=extras,
            empty_phone_columns=[lay.labels[i] for i in lay.indexes("phone") if not row.cells.get(i, "").strip()]
            if len(lay.indexes("phone")) > 1 else [],
        )
