"""Reading a 公开依据 cell: split it into citations and parse each one.

A citation is written in many ways: ``《title》（number）``, ``《title》`` alone,
``《title》（dates and the amending act）``, ``LD/T 32—2015《title》``, or a bare
number. Parsing keeps what is written; matching it to an instrument is the
registry's job (``registry.py``).

A citation's text is kept as written: only line wraps (a run of whitespace
holding a line break) are removed. A space inside a number is part of how
it was written ("中华人民共和国国务院令 第711号") and stays; the title is read
in its display form, wrap spaces removed (``unwrap``).
"""

from __future__ import annotations

import re
import unicodedata

from .records import CitationRecord
from .text import as_written, chinese_numeral, unwrap

# "1. 《…》 2. 《…》": an ordinal at the start or after a space, before a citation.
_ORDINAL = re.compile(r"(?:^|(?<=\s))(\d{1,2})[.．、]\s*(?=[《<〈\"“]|[A-Z]{1,4}/?[A-Z]?\s*\d|[\u4e00-\u9fff])")

_STANDARD = re.compile(
    r"^(?P<code>[A-Z]{1,4}(?:/[A-Z])?)\s*(?P<num>\d+(?:\.\d+)*)\s*(?:[—–\-−―]+\s*(?P<year>\d{4}))?\s*(?P<rest>.*)$"
)
_DECREE = re.compile(
    r"(?:中华人民共和国)?\s*(?P<issuer>[\u4e00-\u9fff]{1,20}?)令\s*第?\s*(?P<num>\d+|[零〇一二两三四五六七八九十百千]+)\s*号"
)
_BARE_DECREE = re.compile(r"^第?\s*(?P<num>\d+)\s*号令$")
_DOCNO = re.compile(
    r"(?P<prefix>[\u4e00-\u9fff]{1,10})\s*[〔\[(（﹝【]\s*(?P<year>\d{4})\s*[〕\])）﹞】]\s*(?P<num>\d+)\s*号"
)
_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")

_OPEN = {"《": "》", "（": "）", "(": ")", "〈": "〉", "<": ">"}


def split_citations(cell: str) -> list[tuple[int, str]]:
    """Split a 公开依据 cell into (ordinal, text) pairs.

    A numbered cell ("1. 《…》 2. 《…》") gives one citation per number; the
    numbers must run 1, 2, 3… A cell without numbers is one citation.
    """
    cell = cell.strip()
    if not cell:
        return []
    marks = list(_ORDINAL.finditer(cell))
    if not marks or marks[0].start() != 0:
        return [(1, as_written(cell))]
    parts: list[tuple[int, str]] = []
    expected = 1
    for i, m in enumerate(marks):
        if int(m.group(1)) != expected:
            # a number inside a citation's text, not an ordinal: glue back on
            continue
        end = next((n.start() for n in marks[i + 1 :] if int(n.group(1)) == expected + 1), len(cell))
        parts.append((expected, as_written(cell[m.end() : end])))
        expected += 1
    return parts


def balanced_end(text: str, start: int) -> int:
    """Index just past the bracket that closes the one at ``start`` (-1 if none): 《…〈…〉…》, （…（…）…）."""
    stack = []
    for i in range(start, len(text)):
        ch = text[i]
        if ch in _OPEN:
            stack.append(_OPEN[ch])
        elif stack and ch == stack[-1]:
            stack.pop()
            if not stack:
                return i + 1
    return -1


def canonical_number(text: str) -> str | None:
    """Canonical spelling of the document number in ``text``, or None.

    国务院令 第765号 / 中华人民共和国国务院令765号 → 国务院令第765号;
    人社部发[2015]32号 / 人社部发（2015）32号 → 人社部发〔2015〕32号;
    765号令 → 第765号令 (issuer unknown); LD/T 33—2015 → LD/T 33.
    """
    text = unicodedata.normalize("NFKC", unwrap(text)).strip()
    std = _STANDARD.match(text)
    if std and not std.group("rest"):
        return f"{std.group('code')} {std.group('num')}"
    m = _DOCNO.search(text)
    if m:
        return f"{m.group('prefix')}〔{m.group('year')}〕{int(m.group('num'))}号"
    m = _DECREE.search(text)
    if m:
        num = m.group("num")
        value = int(num) if num.isdigit() else chinese_numeral(num)
        issuer = m.group("issuer")
        if issuer.startswith("中华人民共和国"):
            issuer = issuer[len("中华人民共和国") :]
        if not num.isdigit():  # keep the Chinese numeral as officially written
            return f"{issuer}令第{num}号"
        return f"{issuer}令第{value}号"
    m = _BARE_DECREE.match(text)
    if m:
        return f"第{int(m.group('num'))}号令"
    return None


def parse_citation(ordinal: int, text: str) -> CitationRecord:
    """Parse one citation as written. Never raises: what cannot be read stays None.

    The record keeps the text as written (``as_written``); title, number and note
    are read from its display form (wrap spaces removed)."""
    written = as_written(text)
    text = unwrap(text)
    norm = unicodedata.normalize("NFKC", text)
    std = _STANDARD.match(norm)
    if std and std.group("rest").startswith("《"):
        rest = std.group("rest")
        end = balanced_end(rest, 0)
        title = rest[1 : end - 1] if end > 0 else rest.strip("《》")
        year = std.group("year")
        return CitationRecord(
            ordinal,
            written,
            title=title,
            number=f"{std.group('code')} {std.group('num')}",
            edition=int(year) if year else None,
        )

    title = None
    rest = text
    start = text.find("《")
    if start >= 0:
        end = balanced_end(text, start)
        if end > 0:
            title = text[start + 1 : end - 1]
            rest = (text[:start] + " " + text[end:]).strip()
        else:
            title = text[start + 1 :]
            rest = text[:start]
    number = None
    note = None
    paren = re.search(r"[（(]", rest)
    if paren:
        close = balanced_end(rest, paren.start())
        inner = rest[paren.start() + 1 : close - 1 if close > 0 else len(rest)]
        number = canonical_number(inner)
        if number is None:
            note = inner
    elif rest:
        number = canonical_number(rest)
    if title is None and number is None:
        title = text.strip("《》 ")
    dates = tuple(f"{y}-{int(m):02d}-{int(d):02d}" for y, m, d in _DATE.findall(note or ""))
    return CitationRecord(ordinal, written, title=title, number=number, note=note, dates=dates)


def _nfkc_with_positions(text: str) -> tuple[str, list[int]]:
    """``text`` in NFKC, with the index in ``text`` of each character of the result."""
    parts: list[str] = []
    at: list[int] = []
    for i, ch in enumerate(text):
        n = unicodedata.normalize("NFKC", ch)
        parts.append(n)
        at.extend([i] * len(n))
    return "".join(parts), at


def written_number(citation: CitationRecord) -> str | None:
    """The document number of a citation as its text writes it ("中华人民共和国国务院令 第711号",
    "LD/T 33—2016"), or None when the citation has no number or it cannot be found in
    the text. What ``canonical_number`` reads, before it is made canonical."""
    if not citation.number:
        return None
    text = citation.text
    start = text.find("《")
    end = balanced_end(text, start) if start >= 0 else -1
    if start >= 0:  # a number inside the title is not the citation's number
        stop = end - 1 if end > 0 else len(text)
        text = text[: start + 1] + "\0" * (stop - start - 1) + text[stop:]
    norm, at = _nfkc_with_positions(text)
    span = None
    std = _STANDARD.match(norm)
    if std and (not std.group("rest") or std.group("rest").startswith("《")):
        span = (std.start(), std.start("rest"))
    else:
        for pattern in (_DOCNO, _DECREE, _BARE_DECREE):  # in the order canonical_number tries them
            m = pattern.search(norm)
            if m:
                span = m.span()
                break
    if span is None or span[0] >= span[1]:
        return None
    found = citation.text[at[span[0]] : at[span[1] - 1] + 1].strip()
    return found if canonical_number(found) == citation.number else None


def written_spellings(citation: CitationRecord) -> list[str]:
    """How a citation names its instrument: its title (display form) and its number as
    written. Each is a spelling the instrument keeps as ``skos:altLabel``."""
    return [s for s in (citation.title, written_number(citation)) if s]


def parse_basis(cell: str) -> list[CitationRecord]:
    return [parse_citation(n, text) for n, text in split_citations(cell)]
