"""Re-render a parsed catalog into each layout zwgk reads (for tests).

The rendering is what a publisher of the same catalog in another layout would
write: the standard two-row header (flattened for one-cell-per-line text), the
title and compiler lines where the layout has room for them, merged name cells
left empty below their first row, ■/□ channel marks, √ marks. The values are the
parsed ones (wrap spaces gone), so reading the rendering back must give the same
graph as the original, apart from provenance (lines, raw text, file, digest).
"""

from __future__ import annotations

import csv
import io

from zwgk.codelists import CodeList
from zwgk.records import CatalogRecord, ItemRecord

TOP = ["序号", "公开事项", "", "", "公开内容（要素）", "公开依据", "公开时限", "公开主体", "公开渠道和载体",
       "公开对象", "", "公开方式", "", "公开层级", "咨询及监督举报电话"]
SUB = ["", "主项", "子项", "二级子项", "", "", "", "", "", "全社会", "特定群体", "主动", "依申请", "", ""]
LEAVES = ["序号", "主项", "子项", "二级子项", "公开内容（要素）", "公开依据", "公开时限", "公开主体", "公开渠道和载体",
          "全社会", "特定群体", "主动", "依申请", "公开层级", "咨询及监督举报电话"]
GROUP_LINES = {"主项": "公开事项", "全社会": "公开对象", "主动": "公开方式"}  # a group line goes before these


def rows(record: CatalogRecord, codelists: dict[str, CodeList]) -> list[list[str]]:
    out, previous = [], (None, None, None)
    for item in record.items:
        out.append(_row(item, previous, codelists))
        previous = item.path
    return out


def _names(path, previous) -> list[str]:
    """Merged name cells: a leading run of levels equal to the row above is left empty,
    as long as the row still writes its own deepest level."""
    deepest = max((k for k, v in enumerate(path) if v), default=-1)
    same = 0
    while same < deepest and path[same] == previous[same]:
        same += 1
    return ["" if k < same or k > deepest else (path[k] or "") for k in range(3)]


def _row(item: ItemRecord, previous, codelists) -> list[str]:
    channels = codelists["channel"]
    marked = " ".join(f"■{channels.concept(c).zh}" for c in item.channels)
    unmarked = " ".join(f"□{channels.concept(c).zh}" for c in item.channels_unmarked)
    levels = [codelists["level"].concept(c).zh for c in item.levels] + item.unrecognized_levels
    return [
        str(item.number), *_names(item.path, previous), item.content_text or "", _basis(item),
        item.deadline_text or "", item.agency or "", " ".join(p for p in (marked, unmarked) if p),
        "√" if "public" in item.audiences else "", "√" if "specific-groups" in item.audiences else "",
        "√" if "proactive" in item.modes else "", "√" if "on-request" in item.modes else "",
        "、".join(levels), " ".join(item.phones),
    ]


def _basis(item: ItemRecord) -> str:
    """The citations, numbered when there are several ("1. 《…》 2. 《…》")."""
    if len(item.citations) <= 1:
        return item.basis_text or ""
    return " ".join(f"{c.ordinal}. {c.text}" for c in item.citations)


def render(record: CatalogRecord, codelists: dict[str, CodeList], fmt: str) -> bytes:
    body = rows(record, codelists)
    title, compiler = record.title or "", f"编制单位：{record.compiler}" if record.compiler else ""
    if fmt == "pipe":
        def line(cells):
            return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"
        lines = [f"# {title}", "", compiler, "", line(TOP), "|" + "---|" * len(TOP), line(SUB)]
        lines += [line(r) for r in body]
        return ("\n".join(lines) + "\n").encode("utf-8")
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow([title])
        w.writerow([compiler])
        w.writerow(TOP)
        w.writerow(SUB)
        w.writerows(body)
        return buf.getvalue().encode("utf-8")
    if fmt == "cells":
        lines = [f"# {title}", compiler]
        for leaf in LEAVES:
            if leaf in GROUP_LINES:
                lines.append(GROUP_LINES[leaf])
            lines.append(leaf)
        for r in body:
            lines.extend(r)
        return ("\n".join(lines) + "\n").encode("utf-8")
    if fmt == "xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "目录"
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(TOP))
        sheet.append([compiler])
        sheet.append(TOP)
        sheet.append(SUB)
        for first, last in ((2, 4), (10, 11), (12, 13)):  # 公开事项, 公开对象, 公开方式 span their sub-columns
            sheet.merge_cells(start_row=3, start_column=first, end_row=3, end_column=last)
        for r in body:
            sheet.append([int(r[0]), *r[1:]])
        buf = io.BytesIO()
        book.save(buf)
        return buf.getvalue()
    raise ValueError(fmt)
