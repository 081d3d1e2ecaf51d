"""Text normalisation shared by the parser, the citation resolver and queries.

Two different normal forms live here:

* ``unwrap`` / ``clean_label`` give the *display* form of a source value: the
  line-wrap spaces that PDF extraction leaves inside Chinese words and numbers
  are removed, ASCII brackets inside Chinese text become full-width, and the
  text otherwise stays as published.
* ``as_written`` gives the *written* form of a citation: only line wraps (a
  run of whitespace holding a line break) are removed, the way ``unwrap``
  removes them; a space typed inside a number ("国务院令 710号") stays.
* ``lookup_key`` gives the *matching* form used to recognise one instrument
  across spellings. Its rule is written down in ``ontology/zwgk.ttl``
  (``zwgk:lookupKey``) so SPARQL users can compute a key by hand.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_CJK = (
    "\u3000-\u303f"  # CJK symbols and punctuation: 、。〔〕《》〈〉
    "\u3400-\u4dbf"  # extension A
    "\u4e00-\u9fff"  # unified ideographs
    "\uf900-\ufaff"  # compatibility ideographs
    "\ufe30-\ufe4f"  # CJK compatibility forms
    "\ufe50-\ufe6f"  # small forms: ﹝﹞
    "\uff00-\uffef"  # full-width forms: （），：
    "\u2018-\u201d"  # curly quotes used in Chinese text
)
_CJK_CHAR = re.compile(f"[{_CJK}]")
_SPACE_RUN = re.compile(r"\s+")


def is_cjk(ch: str) -> bool:
    return bool(ch) and bool(_CJK_CHAR.match(ch))


def unwrap(text: str | None) -> str:
    """Remove line-wrap spaces from a PDF-extracted cell.

    A run of whitespace is dropped when a Chinese character or Chinese
    punctuation stands on either side of it ("暂停职工养 老保险待遇 申请"), or
    when it follows a hyphen inside a number ("0902- 2321695"). Any other run
    becomes one space ("LD/T 32", "0902-2256352 0902-2260097").
    """
    if not text:
        return ""
    text = text.strip()
    out: list[str] = []
    pos = 0
    for m in _SPACE_RUN.finditer(text):
        out.append(text[pos : m.start()])
        if not _joins(text, m):
            out.append(" ")
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def _joins(text: str, space: re.Match[str]) -> bool:
    """True when the whitespace ``space`` in ``text`` is a wrap inside a word or number."""
    before = text[space.start() - 1] if space.start() > 0 else ""
    after = text[space.end()] if space.end() < len(text) else ""
    return is_cjk(before) or is_cjk(after) or (before == "-" and after.isdigit())


_LINE_WRAP = re.compile(r"\s*[\n\r]\s*")


def as_written(text: str | None) -> str:
    """A citation as written: the ends stripped and each line wrap (whitespace holding a
    line break) removed as ``unwrap`` removes a wrap space; every other space stays."""
    text = (text or "").strip()
    return _LINE_WRAP.sub(lambda m: "" if _joins(text, m) else " ", text)


_HALF_TO_FULL = str.maketrans({"(": "（", ")": "）", ",": "，", ";": "；", ":": "："})


def clean_label(text: str | None) -> str:
    """Display form of a Chinese label: unwrapped, with full-width brackets and
    punctuation ("县 (区)级" → "县（区）级")."""
    # brackets first, then wrap spaces: a space beside a bracket that became full-width goes too, so
    # that the display form of a display form is itself
    return unwrap((text or "").translate(_HALF_TO_FULL))


# ---------------------------------------------------------------- lookup keys

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


def chinese_numeral(text: str) -> int | None:
    """Value of a Chinese numeral such as 三十五 (35) or 一百零二 (102)."""
    if not text or any(ch not in _CN_DIGITS and ch not in _CN_UNITS for ch in text):
        return None
    total, digit = 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        else:
            total += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
    return total + (digit or 0)


_STRIP_MARKS = re.compile(r"[《》〈〉<>“”\"'‘’「」『』]")
_YEAR_BRACKETS = re.compile(r"[\[(〔【]\s*(\d{4})\s*[\])〕】]")
_DECREE_NUMBER = re.compile(r"令第?([0-9]+|[零〇一二两三四五六七八九十百千]+)号")
_STANDARD = re.compile(r"^([A-Z]{1,4}(?:/[A-Z])?)(\d+(?:\.\d+)*)(?:[—–\-−―]+\d{4})?$")


def lookup_key(text: str | None) -> str:
    """Normalised matching key of a title or a document number.

    1. Unicode NFKC; 2. drop whitespace; 3. drop 《》〈〉<> and quotation marks;
    4. year brackets of any shape become 〔〕; 5. in decree numbers drop the
    prefix 中华人民共和国 and the 第 before the number, Chinese numerals become
    digits; 6. drop a leading 中华人民共和国; 7. a standard number loses its
    edition (LD/T 33—2015 → LD/T33); 8. repeat until nothing changes.
    """
    if not text:
        return ""
    # the steps are repeated until nothing changes: dropping characters can make more to drop (中华人民共和国
    # twice, a combining mark after a dropped space), and a key must be its own key
    key = _lookup_pass(text)
    for _ in range(8):
        again = _lookup_pass(key)
        if again == key:
            break
        key = again
    return key


def _lookup_pass(text: str) -> str:
    key = unicodedata.normalize("NFKC", text)
    key = _SPACE_RUN.sub("", key)
    key = _STRIP_MARKS.sub("", key)
    key = _YEAR_BRACKETS.sub(r"〔\1〕", key)

    def decree(m: re.Match[str]) -> str:
        num = m.group(1)
        value = int(num) if num.isdigit() else chinese_numeral(num)
        return f"令{value}号" if value is not None else m.group(0)

    key = _DECREE_NUMBER.sub(decree, key)
    if key.startswith("中华人民共和国") and len(key) > len("中华人民共和国"):
        key = key[len("中华人民共和国") :]
    std = _STANDARD.match(key)
    if std:
        key = std.group(1) + std.group(2)
    return key


_NAME_NOISE = re.compile(r"[\s\W_]+")


@lru_cache(maxsize=1 << 16)  # the same standard item names recur in every catalog
def name_key(text: str | None) -> str:
    """Matching key of an item name across catalogs (``zwgk:nameKey``): simplified
    characters, NFKC, without spaces and punctuation. Two items are counterparts
    when their keys are equal."""
    if not text:
        return ""
    from .header import simplified

    return _NAME_NOISE.sub("", unicodedata.normalize("NFKC", simplified(text)))


def is_subsequence(short: str, long: str) -> bool:
    """True when the characters of ``short`` occur in ``long`` in order."""
    it = iter(long)
    return all(ch in it for ch in short)
