"""Server-side SVG charts for the linked-data pages: pure functions that
return SVG text. No script, no external assets, no randomness.

Every chart:

* escapes all text it is given (labels come from source data) with XML
  escaping, including quotes, and drops characters XML 1.0 cannot hold;
* has ``width``, ``height`` and ``viewBox`` (scale it with CSS
  ``max-width: 100%; height: auto``);
* is ``role="img"`` with an ``aria-label`` and a ``<title>``, and carries a
  ``<title>`` on each mark for hover text;
* links a mark to its page when the caller gives an ``href``;
* is deterministic: the same input gives the same bytes.

Functions: ``bar_chart`` (horizontal bars), ``matrix`` (rows × columns, filled
cells), ``network`` (a two-column bipartite graph), ``timeline`` (dated events
on a time axis).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date

FONT = "system-ui, -apple-system, 'Segoe UI', 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif"
INK = "#1f2933"
MUTED = "#616e7c"
RULE = "#cbd2d9"
ACCENT = "#2563a8"
ACCENT_LIGHT = "#dbe7f5"

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def esc(value: object) -> str:
    """XML-escape text for element content and (double- or single-quoted) attributes."""
    text = _INVALID_XML.sub("", str(value))
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&apos;"))


def text_width(text: str, size: float) -> float:
    """An estimate of the rendered width of ``text`` at font ``size``: wide
    (CJK) characters are one em, others about 0.6 em."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.6 for ch in text)


def clip(text: str, size: float, width: float) -> str:
    """``text`` cut with an ellipsis to fit ``width`` at font ``size``."""
    if text_width(text, size) <= width:
        return text
    out = ""
    for ch in text:
        if text_width(out + ch + "…", size) > width:
            break
        out += ch
    return out + "…"


def _num(x: float) -> str:
    """Coordinates written the same way every time (no float noise)."""
    return f"{x:.1f}".rstrip("0").rstrip(".") if isinstance(x, float) else str(x)


def _open(width: float, height: float, label: str, css_class: str) -> list[str]:
    w, h = _num(float(width)), _num(float(height))
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {esc(css_class)}" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" role="img" aria-label="{esc(label)}" '
        f'font-family="{esc(FONT)}" font-size="12" fill="{INK}">',
        f"<title>{esc(label)}</title>",
    ]


def _link(href: str | None, inner: str) -> str:
    return f'<a href="{esc(href)}">{inner}</a>' if href else inner


def _empty(label: str, css_class: str, message: str = "无数据 (no data)") -> str:
    parts = _open(320, 40, label, css_class)
    parts.append(f'<text x="8" y="24" fill="{MUTED}">{esc(message)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


# ---------------------------------------------------------------- bar chart

def bar_chart(rows: Sequence[tuple[str, str | None, float]], *, title: str = "Bar chart",
              width: int = 720, bar_height: int = 18, gap: int = 6, label_width: int | None = None,
              unit: str = "") -> str:
    """Horizontal bars, one per ``(label, href, value)`` row, in the order given."""
    if not rows:
        return _empty(title, "bar-chart")
    size = 12
    longest = max(text_width(str(label), size) for label, _, _ in rows)
    label_w = label_width if label_width is not None else min(max(80.0, longest + 8), width * 0.45)
    value_w = max(text_width(f"{_fmt(v)}{unit}", size) for _, _, v in rows) + 10
    plot_w = max(40.0, width - label_w - value_w - 8)
    top = 8
    height = top * 2 + len(rows) * (bar_height + gap) - gap
    vmax = max((float(v) for _, _, v in rows), default=0.0) or 1.0
    parts = _open(width, height, title, "bar-chart")
    for i, (label, href, value) in enumerate(rows):
        y = top + i * (bar_height + gap)
        bw = max(0.0, float(value)) / vmax * plot_w
        mid = y + bar_height / 2 + size * 0.35
        shown = clip(str(label), size, label_w - 8)
        hover = f"{label}: {_fmt(value)}{unit}"
        mark = (
            f'<g class="bar"><title>{esc(hover)}</title>'
            f'<text x="{_num(label_w - 8)}" y="{_num(mid)}" text-anchor="end">{esc(shown)}</text>'
            f'<rect x="{_num(label_w)}" y="{_num(float(y))}" width="{_num(bw)}" height="{bar_height}" fill="{ACCENT}"/>'
            f'<text x="{_num(label_w + bw + 4)}" y="{_num(mid)}" fill="{MUTED}">{esc(_fmt(value))}{esc(unit)}</text></g>'
        )
        parts.append(_link(href, mark))
    parts.append("</svg>")
    return "\n".join(parts)


def _fmt(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:.2f}".rstrip("0")


# ---------------------------------------------------------------- matrix

def matrix(rows: Sequence[tuple[str, str | None]], cols: Sequence[tuple[str, str | None]],
           cells: Iterable[tuple[int, int]], *, title: str = "Matrix", cell: int = 16, col_width: int = 28,
           row_label_width: int | None = None) -> str:
    """A grid with one row per ``(label, href)`` in ``rows`` and one column per
    ``(label, href)`` in ``cols``; each ``(row index, column index)`` in ``cells``
    is filled. Rows are ``cell`` high, columns ``col_width`` wide; column labels
    are written slanted above the grid."""
    if not rows or not cols:
        return _empty(title, "matrix")
    size = 12
    cw = max(cell, col_width)
    filled = {(int(i), int(j)) for i, j in cells}
    longest_row = max(text_width(str(label), size) for label, _ in rows)
    row_w = row_label_width if row_label_width is not None else min(max(60.0, longest_row + 10), 260.0)
    longest_col = min(max(text_width(str(label), size) for label, _ in cols), 220.0)
    head = longest_col * 0.72 + 16  # labels at -45°: their height is ~0.7 of their length
    grid_w = len(cols) * cw
    width = row_w + grid_w + longest_col * 0.72 + 12
    height = head + len(rows) * cell + 8
    parts = _open(width, height, title, "matrix")
    for j, (label, href) in enumerate(cols):
        x = row_w + j * cw + cw / 2
        shown = clip(str(label), size, 220.0)
        mark = (f'<g class="col"><title>{esc(label)}</title>'
                f'<text transform="translate({_num(x + 3)} {_num(head - 6)}) rotate(-45)">{esc(shown)}</text></g>')
        parts.append(_link(href, mark))
    for i, (label, href) in enumerate(rows):
        y = head + i * cell
        shown = clip(str(label), size, row_w - 10)
        mark = (f'<g class="row"><title>{esc(label)}</title>'
                f'<text x="{_num(row_w - 6)}" y="{_num(y + cell / 2 + size * 0.35)}" text-anchor="end">{esc(shown)}</text></g>')
        parts.append(_link(href, mark))
        if i % 2 == 0:
            parts.append(f'<rect x="{_num(row_w)}" y="{_num(y)}" width="{_num(float(grid_w))}" height="{cell}" fill="#f5f7fa"/>')
    for i, (rlabel, _) in enumerate(rows):
        for j, (clabel, _) in enumerate(cols):
            x, y = row_w + j * cw + (cw - cell) / 2, head + i * cell
            on = (i, j) in filled
            parts.append(
                f'<rect class="{"on" if on else "off"}" x="{_num(x + 2)}" y="{_num(y + 2)}" width="{cell - 4}" '
                f'height="{cell - 4}" fill="{ACCENT if on else "none"}" stroke="{ACCENT if on else RULE}">'
                f'<title>{esc(rlabel)} × {esc(clabel)}: {"是 yes" if on else "否 no"}</title></rect>'
            )
    parts.append(f'<rect x="{_num(row_w)}" y="{_num(head)}" width="{_num(float(grid_w))}" height="{len(rows) * cell}" '
                 f'fill="none" stroke="{RULE}"/>')
    parts.append("</svg>")
    return "\n".join(parts)


# ---------------------------------------------------------------- network

def network(left: Sequence[tuple[str, str | None]], right: Sequence[tuple[str, str | None]],
            edges: Iterable[tuple[int, int]], *, title: str = "Network", row: int = 14,
            width: int = 900, reorder: bool = True) -> str:
    """A bipartite graph: ``left`` nodes in one column, ``right`` nodes in
    another, a line for each ``(left index, right index)`` in ``edges``.

    With ``reorder`` the right column is sorted by the mean position of its
    neighbours (ties by the given order), which keeps lines short; the layout
    depends only on the input, so it is the same on every call."""
    if not left or not right:
        return _empty(title, "network")
    size = 11
    pairs = sorted({(int(i), int(j)) for i, j in edges})
    order = list(range(len(right)))
    if reorder:
        neighbours: dict[int, list[int]] = {j: [] for j in order}
        for i, j in pairs:
            neighbours.setdefault(j, []).append(i)
        order.sort(key=lambda j: (sum(neighbours[j]) / len(neighbours[j]) if neighbours[j] else len(left), j))
    slot = {j: k for k, j in enumerate(order)}
    n = max(len(left), len(right))
    top = 12
    height = top * 2 + n * row
    label_w = min(max(text_width(str(label), size) for label, _ in left) + 12, width * 0.3)
    right_label_w = min(max(text_width(str(label), size) for label, _ in right) + 12, width * 0.35)
    x_left = label_w + 6
    x_right = width - right_label_w - 6
    lstep = (n * row) / len(left)
    rstep = (n * row) / len(right)

    def ly(i: int) -> float:
        return top + lstep * i + lstep / 2

    def ry(j: int) -> float:
        return top + rstep * slot[j] + rstep / 2

    degree_l: dict[int, int] = {}
    degree_r: dict[int, int] = {}
    for i, j in pairs:
        degree_l[i] = degree_l.get(i, 0) + 1
        degree_r[j] = degree_r.get(j, 0) + 1
    parts = _open(width, height, title, "network")
    parts.append(f'<g class="edges" stroke="{ACCENT}" stroke-opacity="0.35" stroke-width="1">')
    for i, j in pairs:
        if 0 <= i < len(left) and 0 <= j < len(right):
            parts.append(
                f'<line x1="{_num(x_left)}" y1="{_num(ly(i))}" x2="{_num(x_right)}" y2="{_num(ry(j))}">'
                f'<title>{esc(left[i][0])} → {esc(right[j][0])}</title></line>'
            )
    parts.append("</g>")
    for i, (label, href) in enumerate(left):
        y = ly(i)
        shown = clip(str(label), size, label_w - 10)
        mark = (f'<g class="node left"><title>{esc(label)} ({degree_l.get(i, 0)})</title>'
                f'<circle cx="{_num(x_left)}" cy="{_num(y)}" r="3" fill="{INK}"/>'
                f'<text x="{_num(x_left - 6)}" y="{_num(y + size * 0.35)}" text-anchor="end" font-size="{size}">{esc(shown)}</text></g>')
        parts.append(_link(href, mark))
    for j, (label, href) in enumerate(right):
        y = ry(j)
        r = 3 + min(6.0, degree_r.get(j, 0) ** 0.5)
        shown = clip(str(label), size, right_label_w - 10)
        mark = (f'<g class="node right"><title>{esc(label)} ({degree_r.get(j, 0)})</title>'
                f'<circle cx="{_num(x_right)}" cy="{_num(y)}" r="{_num(r)}" fill="{ACCENT}"/>'
                f'<text x="{_num(x_right + r + 4)}" y="{_num(y + size * 0.35)}" font-size="{size}">{esc(shown)}</text></g>')
        parts.append(_link(href, mark))
    parts.append("</svg>")
    return "\n".join(parts)


# ---------------------------------------------------------------- timeline

KIND_COLOURS = {
    "promulgation": "#2563a8",
    "amendment": "#b7791f",
    "revision": "#7b4fb0",
    "entry-into-force": "#2f855a",
    "repeal": "#c53030",
    "replacement": "#975a16",
}
KIND_LABELS = {
    "promulgation": "公布 promulgation",
    "amendment": "修正 amendment",
    "revision": "修订 revision",
    "entry-into-force": "施行 entry into force",
    "repeal": "废止 repeal",
    "replacement": "替代 replacement",
}


def parse_date(value: str) -> date | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (a time zone suffix is ignored)."""
    m = re.match(r"^\s*(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", str(value))
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
    except ValueError:
        return None


def shown_date(value: str) -> str:
    """A date as precise as it is known: ``2014``, ``2015-01`` or ``2015-03-27`` (a time zone suffix dropped)."""
    m = re.match(r"^\s*(\d{4}(?:-\d{2}(?:-\d{2})?)?)", str(value))
    return m.group(1) if m else str(value)


def timeline(events: Sequence[tuple[str, str, str, str | None]], *, title: str = "Timeline",
             width: int = 720, lane: int = 22) -> str:
    """Events ``(date, label, kind, href)`` as points on a time axis, each with
    its label on its own line below, joined to its point. ``kind`` is one of
    promulgation, amendment, revision, entry-into-force, repeal, replacement (others are
    drawn in grey). A date known only to the year or month (``2014``, ``2015-01``) is placed at the
    start of that period and shown as written, never as a day. Events without a readable date are
    left out."""
    dated = [(parse_date(d), shown_date(d), str(label), str(kind), href) for d, label, kind, href in events]
    dated = [e for e in dated if e[0] is not None]
    if not dated:
        return _empty(title, "timeline", "无日期 (no dates)")
    dated.sort(key=lambda e: (e[0], e[3], e[2]))
    first, last = dated[0][0], dated[-1][0]
    start_year, end_year = first.year, last.year + 1
    if end_year - start_year < 4:
        start_year -= 1
        end_year += 1
    x0, x1 = 40.0, width - 40.0
    t0, t1 = date(start_year, 1, 1).toordinal(), date(end_year, 1, 1).toordinal()

    def x_of(d: date) -> float:
        return x0 + (d.toordinal() - t0) / (t1 - t0) * (x1 - x0)

    kinds = [k for k in KIND_COLOURS if any(e[3] == k for e in dated)]
    legend_h = 20
    axis_y = legend_h + 34
    height = axis_y + 20 + len(dated) * lane + 8
    parts = _open(width, height, title, "timeline")
    lx = 0.0
    for k in kinds:
        parts.append(f'<circle cx="{_num(lx + 8)}" cy="10" r="5" fill="{KIND_COLOURS[k]}"/>'
                     f'<text x="{_num(lx + 18)}" y="14" fill="{MUTED}">{esc(KIND_LABELS[k])}</text>')
        lx += 26 + text_width(KIND_LABELS[k], 12)
    parts.append(f'<line x1="{_num(x0)}" y1="{_num(float(axis_y))}" x2="{_num(x1)}" y2="{_num(float(axis_y))}" stroke="{MUTED}"/>')
    span = end_year - start_year
    step = 1 if span <= 12 else 2 if span <= 24 else 5 if span <= 60 else 10
    for year in range(start_year, end_year + 1):
        if (year - start_year) % step:
            continue
        x = x_of(date(year, 1, 1))
        parts.append(f'<line x1="{_num(x)}" y1="{axis_y - 4}" x2="{_num(x)}" y2="{axis_y + 4}" stroke="{MUTED}"/>'
                     f'<text x="{_num(x)}" y="{axis_y - 8}" text-anchor="middle" fill="{MUTED}" font-size="11">{year}</text>')
    for n, (d, raw, label, kind, href) in enumerate(dated):
        x = x_of(d)
        colour = KIND_COLOURS.get(kind, MUTED)
        y = axis_y + 20 + n * lane + lane / 2
        text = f"{raw} {label}"
        anchor, tx = ("end", x - 8) if x > (x0 + x1) / 2 else ("start", x + 8)
        shown = clip(text, 12, (tx - 4) if anchor == "end" else (width - tx - 4))
        hover = f"{raw} · {KIND_LABELS.get(kind, kind)} · {label}"
        mark = (f'<g class="event {esc(kind)}"><title>{esc(hover)}</title>'
                f'<line x1="{_num(x)}" y1="{axis_y}" x2="{_num(x)}" y2="{_num(y)}" stroke="{colour}" stroke-dasharray="2 2"/>'
                f'<circle cx="{_num(x)}" cy="{axis_y}" r="5" fill="{colour}"/>'
                f'<circle cx="{_num(x)}" cy="{_num(y)}" r="2.5" fill="{colour}"/>'
                f'<text x="{_num(tx)}" y="{_num(y + 4)}" text-anchor="{anchor}">{esc(shown)}</text></g>')
        parts.append(_link(href, mark))
    parts.append("</svg>")
    return "\n".join(parts)
