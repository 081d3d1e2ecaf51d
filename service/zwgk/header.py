"""Which column holds what, read from the header rows of a catalog table.

A header cell is recognised by its *key*: the text in simplified characters,
NFKC (full-width and ASCII forms alike), without spaces and without a
parenthetical (公开内容（要素） → 公开内容). Known names and their variants are
in ``ROLES``; a column under no known name is *extra* data (公开属性, 相应领域,
备注 …), kept with its header, never an error.

Headers come in one row or two: a group cell (公开事项, 公开对象, 公开方式,
公开层级) spanning its sub-columns (主项/子项/二级子项 or 一级/二级/三级事项;
全社会/特定群体; 主动/依申请; 市级/县级/乡级 …) on the row below. A column's
name is its cell in the second row, else its cell in the first. A group with no
sub-columns holds text (公开对象: 全社会 …).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from .records import SourceError
from .tables import Line, Table

ROLES: dict[str, tuple[str, ...]] = {
    "number": ("序号", "编号"),
    "name1": ("主项", "一级事项", "一级"),
    "name2": ("子项", "二级事项", "二级"),
    "name3": ("二级子项", "三级事项", "三级"),
    "names": ("公开事项", "事项", "事项名称"),
    "content": ("公开内容", "公开内容要素", "公开要素"),
    "basis": ("公开依据", "依据"),
    "deadline": ("公开时限", "时限"),
    "agency": ("公开主体", "主体", "责任主体"),
    "channels": ("公开渠道和载体", "公开渠道及载体", "公开渠道", "公开载体", "公开渠道与载体"),
    "audience": ("公开对象",),
    "public": ("全社会",),
    "specific": ("特定群体", "特定群众", "特定对象"),
    "mode": ("公开方式",),
    "proactive": ("主动", "主动公开"),
    "on_request": ("依申请", "依申请公开"),
    "level": ("公开层级",),
    "phone": ("咨询及监督举报电话", "咨询和监督举报电话", "咨询监督举报电话", "咨询电话", "监督举报电话",
              "监督电话", "举报电话", "联系电话", "咨询及监督电话"),
}
NAMES_ZH = {"number": "序号", "names": "公开事项", "content": "公开内容", "basis": "公开依据", "deadline": "公开时限",
            "agency": "公开主体", "channels": "公开渠道和载体"}
REQUIRED = ("number", "names", "content", "basis", "deadline", "agency", "channels")  # names: 公开事项 or 主项…
NAME_ROLES = ("name1", "name2", "name3")
# a group name → the roles of its sub-columns (a group line directly followed by one of them is no column)
GROUPS = {"公开事项": set(NAME_ROLES), "公开对象": {"public", "specific"}, "公开方式": {"proactive", "on_request"},
          "公开层级": {"level-mark"}}
_BY_KEY = {variant: role for role, variants in ROLES.items() for variant in variants}
_PAREN = re.compile(r"[(（][^()（）]*[)）]")
_LEVEL_MARK = re.compile(r"^.{1,8}级$")


@lru_cache(maxsize=1)
def _converter():
    from opencc import OpenCC

    return OpenCC("t2s")


def simplified(text: str) -> str:
    """Traditional characters as simplified (for matching; the source keeps what it says)."""
    return _converter().convert(text) if text else text


def header_key(text: str) -> str:
    key = unicodedata.normalize("NFKC", simplified(text or ""))
    key = re.sub(r"\s+", "", key)
    key = _PAREN.sub("", unicodedata.normalize("NFKC", key))
    return key.strip(":：*＊")


def header_role(text: str) -> str | None:
    """The role of a header cell: a key of ``ROLES``, ``level-mark`` (a 县级 column of
    √ marks), or None for a column no known name matches (extra data)."""
    key = header_key(text)
    if not key:
        return None
    role = _BY_KEY.get(key)
    if role:
        return role
    if _LEVEL_MARK.match(key) and key != "公开层级":
        return "level-mark"
    return None


@dataclass
class Layout:
    """Column index → role, from the header rows of one table."""

    header_lines: tuple[int, ...]  # the file lines of the header rows
    roles: dict[int, str]  # index → role; phones may repeat; "extra" for unknown names
    labels: dict[int, str]  # index → the column's header text as written
    width: int
    level_marks: dict[int, str] = field(default_factory=dict)  # index → level label of a √-column

    def index(self, role: str) -> int | None:
        return next((i for i, r in sorted(self.roles.items()) if r == role), None)

    def indexes(self, role: str) -> list[int]:
        return [i for i, r in sorted(self.roles.items()) if r == role]

    @property
    def name_columns(self) -> dict[int, int]:
        """index → name level (1 主项, 2 子项, 3 二级子项)."""
        out = {i: NAME_ROLES.index(r) + 1 for i, r in self.roles.items() if r in NAME_ROLES}
        if not out and self.index("names") is not None:
            out[self.index("names")] = 1
        return out


def _roles_of(cells: list[str]) -> list[str | None]:
    return [header_role(c) for c in cells]


def is_header_row(line: Line) -> bool:
    """A row of column names: it names 序号, or (a second header row) it has an empty
    first cell and names sub-columns (主项, 全社会, 主动 …)."""
    if line.cells and line.cells[0].strip().isdigit():  # a data row (the common case, decided cheaply)
        return False
    roles = _roles_of(line.cells)
    if roles and roles[0] == "number":
        return True
    subs = {"name1", "name2", "name3", "public", "specific", "proactive", "on_request"}
    return bool(line.cells) and not line.cells[0].strip() and any(r in subs for r in roles)


def find_layout(table: Table) -> tuple[Layout, int]:
    """The layout of ``table`` and the position in ``table.lines`` where its data begins."""
    for pos, line in enumerate(table.lines):
        roles = _roles_of(line.cells)
        if "number" not in roles:
            if re.fullmatch(r"\d+", line.cells[0].strip() if line.cells else ""):
                raise SourceError("a row before the table header (序号 | 公开事项 | 公开内容 …): the column names "
                                  "must come first", file=table.name, line=line.number, cell=0)
            continue
        header = [line]
        nxt = table.lines[pos + 1] if pos + 1 < len(table.lines) else None
        if nxt is not None and is_header_row(nxt) and header_role(nxt.cells[0]) != "number":
            header.append(nxt)
        layout = _combine(table, header)
        return layout, pos + len(header)
    first = next((ln for ln in table.lines), None)
    where = f"; line {first.number} reads {first.raw.strip()[:60]!r}" if first else ""
    raise SourceError("no header row found: a catalog table starts with a row naming its columns (序号, 公开事项, "
                      f"公开内容, 公开依据, 公开时限, 公开主体, 公开渠道和载体 …){where}. Is this a disclosure catalog, "
                      f"and is its format {table.format!r}?", file=table.name, line=first.number if first else None)


def _combine(table: Table, rows: list[Line]) -> Layout:
    width = max(len(r.cells) for r in rows)
    top = rows[0].cells + [""] * (width - len(rows[0].cells))
    sub = (rows[1].cells + [""] * (width - len(rows[1].cells))) if len(rows) > 1 else [""] * width
    roles: dict[int, str] = {}
    labels: dict[int, str] = {}
    level_marks: dict[int, str] = {}
    seen: dict[str, int] = {}
    for i in range(width):
        text = sub[i].strip() or top[i].strip()
        if not text:
            continue
        role = header_role(text) or "extra"
        if role == "level-mark":
            level_marks[i] = text
        elif role not in ("phone", "extra") and role in seen:
            raise SourceError(f"two columns are named {text!r} (cells {seen[role] + 1} and {i + 1})",
                              file=table.name, line=rows[-1].number, cell=i)
        seen.setdefault(role, i)
        roles[i] = role
        labels[i] = text
    found = set(roles.values())
    if found & set(NAME_ROLES):
        found.add("names")
    missing = [NAMES_ZH[r] for r in REQUIRED if r not in found]
    if missing:
        named = "、".join(labels[i] for i in sorted(labels)) or "nothing"
        raise SourceError(f"the header has no column for {'、'.join(missing)} (it names {named})",
                          file=table.name, line=rows[0].number)
    return Layout(tuple(r.number for r in rows), roles, labels, width, level_marks)


__all__ = ["Layout", "ROLES", "GROUPS", "find_layout", "header_key", "header_role", "is_header_row", "simplified"]
