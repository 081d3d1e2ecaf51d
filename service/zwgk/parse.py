"""Parser of the standard catalog layout as PDF extraction leaves it (tab-separated).

The layout: each page repeats a title line (``## …``), a compiler line
(``编制单位：…``), and a two-row header; then data rows, one per item, whose
first cell is the item number (序号). Columns, left to right::

    序号 | 主项 子项 二级子项 | 公开内容 | 公开依据 | 公开时限 | 公开主体 | 公开渠道和载体 |
    全社会 特定群体 | 主动 依申请 | 公开层级 | 咨询及监督举报电话

Merged cells make PDF extraction insert empty cells, so the cells of a row can
slide right. Cells are therefore found by content, not by absolute index: the
channel cell (■/□ or ``<input type="checkbox">``), the deadline cell
(…工作日…) and the basis cell (《…》) are anchors; every other cell is read
at its place relative to them, and the anchors must agree. Name cells
(主项/子项/二级子项) that overflow the three name columns are moved back by the
same shift. See ``ItemParser`` for the rules on merged name cells.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .citations import parse_basis
from .codelists import CodeList
from .records import CatalogRecord, Element, ItemRecord, SourceError, SourceRow
from .text import clean_label, is_subsequence, unwrap

# column offsets relative to the 公开内容 cell
CONTENT, BASIS, DEADLINE, AGENCY, CHANNELS = 0, 1, 2, 3, 4
PUBLIC, SPECIFIC, PROACTIVE, ON_REQUEST, LEVEL, PHONE = 5, 6, 7, 8, 9, 10
NAME_COLUMNS = (1, 2, 3)  # 主项, 子项, 二级子项 when nothing slid
CONTENT_COLUMN = 4

# a source larger than this is refused before it is read (Project.max_source_bytes, zwgk --max-source-bytes)
MAX_SOURCE_BYTES = 50_000_000

HEADER_WORDS = ("序号", "公开事项", "公开内容", "公开依据", "公开时限", "公开主体", "公开渠道", "公开对象", "公开方式", "公开层级")
CHECK_MARKS = {"√", "✓", "✔", "☑"}

_CHANNEL_TOKEN = re.compile(
    r"(?P<mark>[■□☑☐]|<input\b[^>]*>)\s*(?P<label>[^■□☑☐<]*)"
)
_ELEMENT = re.compile(r"(?:^|(?<=\s))(\d{1,2})[.．、]\s*")
_DEADLINE_DAYS = re.compile(r"(\d+)\s*个?\s*工作日")
_PHONE = re.compile(r"(?<!\d)(0\d{2,3})-?(\d{7,8})(?!\d)|(?<!\d)(1\d{10})(?!\d)")


@dataclass
class _Row:
    """A data row with its cells placed in columns, before merged-cell rules."""

    source: SourceRow
    number: int
    names: dict[int, str]  # name column (1..3) → text
    cells: dict[int, str]  # offset from the content cell → raw text
    cell_index: dict[int, int]  # offset → index of the cell in the line (for messages)


class CatalogParser:
    def __init__(self, codelists: dict[str, CodeList], max_bytes: int = MAX_SOURCE_BYTES):
        self.max_bytes = max_bytes
        self.channels = codelists["channel"]
        self.levels = codelists["level"]
        self.audiences = codelists["audience"]
        self.modes = codelists["mode"]

    # ------------------------------------------------------------ file level

    def parse_file(self, path: Path, display_name: str | None = None) -> CatalogRecord:
        name = display_name or path.name
        data = path.read_bytes()
        return self.parse_bytes(data, name)

    def parse_bytes(self, data: bytes, name: str) -> CatalogRecord:
        if self.max_bytes and len(data) > self.max_bytes:
            raise too_large(name, len(data), self.max_bytes)
        if not data.strip():
            raise SourceError("the file is empty", file=name)
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise SourceError("the file is UTF-16 (it starts with a UTF-16 byte-order mark); convert it to UTF-8",
                              file=name, line=1)
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line_start = data.rfind(b"\n", 0, exc.start) + 1
            line = data[: exc.start].count(b"\n") + 1
            cell = data[line_start : exc.start].count(b"\t")
            if exc.end == len(data) and exc.reason == "unexpected end of data":
                reason = "the file ends in the middle of a character: it is truncated"
            elif b"\x00" in data[:4096]:
                reason = "the file holds NUL bytes: it is binary, not a catalog table"
            else:
                reason = (f"not UTF-8 text (byte {exc.start} cannot be decoded); convert the file to UTF-8 "
                          f"(is it GBK? {_gbk_hint(data)})")
            raise SourceError(reason, file=name, line=line, cell=cell) from None
        if "\x00" in text:
            line = text[: text.index("\x00")].count("\n") + 1
            raise SourceError("the file holds NUL bytes: it is binary, not a catalog table", file=name, line=line)
        return self.parse_text(text, name)

    def parse_text(self, text: str, name: str) -> CatalogRecord:
        title = compiler = None
        page = 0
        header_seen = False
        rows: list[_Row] = []
        page_break_before: set[int] = set()  # indexes into rows that start a new page
        header_cells = 0
        last_cells: list[str] = []
        for lineno, line in enumerate(text.split("\n"), 1):
            line = line.rstrip("\r")
            if not line.strip():
                continue
            stripped = line.strip()
            if stripped.startswith("#"):
                page += 1
                title = title or clean_label(stripped.lstrip("#").strip())
                page_break_before.add(len(rows))
                continue
            if stripped.startswith("编制单位"):
                compiler = compiler or clean_label(re.sub(r"^编制单位\s*[:：]\s*", "", stripped))
                continue
            cells = line.split("\t")
            first = cells[0].strip()
            if first == "序号" or (not first and "主项" in cells):
                missing = [w for w in HEADER_WORDS if w not in line]
                if first == "序号" and missing:
                    raise SourceError(f"header row lacks the columns {', '.join(missing)}", file=name, line=lineno)
                header_seen = True
                if first == "序号":
                    header_cells = len(cells)
                if page == 0:
                    page = 1
                continue
            if not header_seen:
                raise SourceError(
                    "a row before the table header (序号 | 公开事项 | …): is this a disclosure catalog?",
                    file=name,
                    line=lineno,
                )
            if not re.fullmatch(r"\d+", first):
                raise SourceError(
                    f"expected an item number (序号) in the first cell, found {first!r}", file=name, line=lineno, cell=0
                )
            source = SourceRow(file=name, line=lineno, page=max(page, 1), raw=line)
            rows.append(self._place_cells(source, int(first), cells))
            last_cells = cells
        if not rows:
            raise SourceError("no catalog rows found (no line starts with an item number)", file=name)
        if not text.endswith("\n") and len(last_cells) < header_cells:
            # the last line has no line end and fewer cells than the header: the file stops inside a row
            raise SourceError(
                f"the last row has {len(last_cells)} of the {header_cells} cells of the header and no line end: "
                "the file ends in the middle of a row (is it truncated?)",
                file=name, line=rows[-1].source.line, cell=len(last_cells) - 1,
            )
        self._check_numbers(rows)
        items = ItemParser(self, rows, page_break_before).items()
        return CatalogRecord(title=title, compiler=compiler, source_file=name, pages=max(page, 1), items=items)

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

    def _place_cells(self, source: SourceRow, number: int, cells: list[str]) -> _Row:
        err = lambda msg, cell=None: SourceError(msg, file=source.file, line=source.line, cell=cell)  # noqa: E731
        anchors: dict[str, int] = {}
        for idx, cell in enumerate(cells):
            if idx == 0:
                continue
            if _CHANNEL_TOKEN.search(cell) and ("■" in cell or "□" in cell or "<input" in cell or "☑" in cell or "☐" in cell):
                anchors.setdefault("channels", idx - CHANNELS)
            elif "工作日" in cell or "之日起" in cell:
                anchors.setdefault("deadline", idx - DEADLINE)
        basis_idx = [i for i, c in enumerate(cells) if i and ("《" in c or re.search(r"[〔\[]\d{4}[〕\]]\d+号|令\s*第?\s*\d+\s*号", c))]
        if basis_idx:
            anchors["basis"] = basis_idx[0] - BASIS
        if not anchors:
            raise err("cannot find the columns of this row: no channel (■/□), deadline (…工作日…) or basis (《…》) cell")
        starts = set(anchors.values())
        if len(starts) > 1:
            found = ", ".join(f"{k} at cell {v + {'channels': CHANNELS, 'deadline': DEADLINE, 'basis': BASIS}[k] + 1}" for k, v in anchors.items())
            raise err(f"the cells of this row disagree on where the columns are ({found})")
        content = starts.pop()
        if content < 1:
            raise err("the 公开内容 column would lie before the name columns", cell=0)
        shift = content - CONTENT_COLUMN

        names: dict[int, str] = {}
        name_cells = [(i, cells[i]) for i in range(1, content) if cells[i].strip()]
        overflow = any(i > NAME_COLUMNS[-1] for i, _ in name_cells)
        for i, text in name_cells:
            column = i - shift if overflow else i
            if column not in NAME_COLUMNS:
                raise err(f"a name cell ({clean_label(text)!r}) lies outside the 主项/子项/二级子项 columns", cell=i)
            names[column] = clean_label(text)

        placed: dict[int, str] = {}
        index: dict[int, int] = {}
        for i in range(content, len(cells)):
            offset = i - content
            if not cells[i].strip():
                continue
            if offset > PHONE:
                raise err(f"an unexpected cell after the phone column: {cells[i].strip()[:40]!r}", cell=i)
            placed[offset] = cells[i]
            index[offset] = i
        return _Row(source, number, names, placed, index)

    # ------------------------------------------------------------ cell level

    def channels_of(self, row: _Row) -> tuple[list[str], list[str]]:
        text = row.cells.get(CHANNELS, "")
        marked, unmarked = [], []
        for m in _CHANNEL_TOKEN.finditer(text):
            mark, label = m.group("mark"), clean_label(m.group("label"))
            if not label:
                continue
            checked = mark in ("■", "☑") or (mark.startswith("<input") and re.search(r"\bchecked\b", mark) is not None)
            code = self.channels.code_for(label)
            if code is None:
                raise SourceError(
                    f"unknown channel {label!r}: add it to data/codelists.toml [channel]",
                    file=row.source.file,
                    line=row.source.line,
                    cell=row.cell_index[CHANNELS],
                )
            (marked if checked else unmarked).append(code)
        return marked, unmarked

    def marks_of(self, row: _Row, offsets: dict[int, str]) -> list[str]:
        codes = []
        for offset, code in offsets.items():
            value = row.cells.get(offset, "").strip()
            if not value:
                continue
            if value not in CHECK_MARKS:
                raise SourceError(
                    f"expected a √ mark or nothing, found {value[:40]!r}",
                    file=row.source.file,
                    line=row.source.line,
                    cell=row.cell_index[offset],
                )
            codes.append(code)
        return codes

    def levels_of(self, row: _Row) -> tuple[list[str], list[str]]:
        text = clean_label(row.cells.get(LEVEL, ""))
        known, unknown = [], []
        for part in re.split(r"[、，；/]", text):
            if not part:
                continue
            code = self.levels.code_for(part)
            if code:
                known.append(code)
            else:
                unknown.append(part)
        return known, unknown

    def phones_of(self, row: _Row) -> list[str]:
        text = unwrap(row.cells.get(PHONE, ""))
        phones = []
        for m in _PHONE.finditer(text):
            phones.append(f"{m.group(1)}-{m.group(2)}" if m.group(1) else m.group(3))
        rest = _PHONE.sub("", text).strip(" ,，、;；/")
        if rest:
            raise SourceError(
                f"the phone cell holds something that is not a phone number: {rest[:40]!r}",
                file=row.source.file,
                line=row.source.line,
                cell=row.cell_index[PHONE],
            )
        return phones


def too_large(name: str, size: int, limit: int) -> SourceError:
    return SourceError(f"the file is {size} bytes, larger than the limit of {limit} bytes (max_source_bytes: "
                       "zwgk --max-source-bytes N build); is it the right file?", file=name)


def _gbk_hint(data: bytes) -> str:
    try:
        data.decode("gb18030")
    except UnicodeDecodeError:
        return "it does not decode as GBK either"
    return "it decodes as GBK: iconv -f GBK -t UTF-8"


def parse_elements(text: str) -> list[Element]:
    """Numbered element list "1. 事项名称 2. 事项简述 …"; free text gives []."""
    marks = list(_ELEMENT.finditer(text))
    if not marks or marks[0].start() != 0:
        return []
    elements = []
    for m, nxt in zip(marks, marks[1:] + [None]):
        label = clean_label(text[m.end() : nxt.start() if nxt else len(text)])
        elements.append(Element(int(m.group(1)), label))
    return elements


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

    def __init__(self, parser: CatalogParser, rows: list[_Row], page_breaks: set[int]):
        self.parser = parser
        self.rows = rows
        self.page_breaks = page_breaks

    def items(self) -> list[ItemRecord]:
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
                    after.source = SourceRow(
                        after.source.file, after.source.line, after.source.page, after.source.raw, (before.source.line,)
                    )
                    before.source = SourceRow(
                        before.source.file, before.source.line, before.source.page, before.source.raw, (after.source.line,)
                    )

    def _item(self, row: _Row, path: tuple[str | None, ...]) -> ItemRecord:
        p = self.parser
        raw_content = row.cells.get(CONTENT, "").strip()
        elements = parse_elements(raw_content)
        if elements:
            content = " ".join(f"{e.number}. {e.label}" for e in elements)
        else:
            content = clean_label(raw_content) or None
        basis = row.cells.get(BASIS, "").strip() or None
        deadline = clean_label(row.cells.get(DEADLINE, "")) or None
        days = None
        if deadline:
            m = _DEADLINE_DAYS.search(deadline)
            if not m:
                raise SourceError(
                    f"the 公开时限 cell names no number of working days: {deadline[:40]!r}",
                    file=row.source.file,
                    line=row.source.line,
                    cell=row.cell_index[DEADLINE],
                )
            days = int(m.group(1))
        marked, unmarked = p.channels_of(row)
        levels, unknown_levels = p.levels_of(row)
        return ItemRecord(
            number=row.number,
            path=path,  # type: ignore[arg-type]
            content_text=content,
            elements=elements,
            basis_text=unwrap(basis) if basis else None,
            citations=parse_basis(basis or ""),
            deadline_text=deadline,
            deadline_days=days,
            agency=clean_label(row.cells.get(AGENCY, "")) or None,
            channels=marked,
            channels_unmarked=unmarked,
            audiences=p.marks_of(row, {PUBLIC: "public", SPECIFIC: "specific-groups"}),
            modes=p.marks_of(row, {PROACTIVE: "proactive", ON_REQUEST: "on-request"}),
            levels=levels,
            unrecognized_levels=unknown_levels,
            phones=p.phones_of(row),
            source=row.source,
        )
