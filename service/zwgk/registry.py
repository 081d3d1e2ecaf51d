"""The instrument registry (``data/instruments.toml``) and the citation resolver.

The resolver maps a citation, however it is written, to exactly one instrument
(the work) and, where the written number names one, to the version it cites.
The same resolver answers users: ``resolve_text("国务院令765号")`` and
``resolve_text("《社会保险经办条例》")`` give the same instrument, and so do
``社会保险经办条例（国务院令第765号）`` (a title without 《》 before its number),
``國務院令第765號`` (traditional characters) and, for a registry title written
with 〈〉, the same title with 《》 (关于印发《X》的通知).

A decree number may name its issuer by any of the agency's names in
``data/agencies.toml``: 人社部令第8号 and 人力资源社会保障部令第8号 are
人力资源和社会保障部令第8号; 劳社部令第1号 is 劳动和社会保障部令第1号.

A known title with a number the registry does not know (《失业保险条例》（国务院令999号）)
resolves to the title's instrument with the method "title, number unknown": the
number is kept on the citation and the data-quality report warns about it.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .citations import balanced_end, canonical_number, parse_citation
from .header import simplified
from .records import CitationRecord
from .text import lookup_key

# how close a written title must be to the registry's when the number matches
TITLE_SIMILARITY = 0.8
# a typed name is tried as "title number" / "number title" at its first spaces only
MAX_SPACES_TRIED = 64


@dataclass(frozen=True)
class Version:
    id: str
    change: str
    number: str | None = None
    label: str | None = None
    date_document: str | None = None
    date_in_force: str | None = None
    confidence: str | None = None


@dataclass
class Instrument:
    id: str
    type: str
    issuers: list[str]
    source: str
    title: str | None = None
    number: str | None = None
    date_document: str | None = None
    date_in_force: str | None = None
    issued: str | None = None
    status: str | None = None
    in_force: bool | None = None
    confidence: str | None = None
    confidence_note: str | None = None
    editions: list[int] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    repealed_by: str | None = None
    versions: list[Version] = field(default_factory=list)

    def title_keys(self) -> set[str]:
        return {lookup_key(t) for t in [self.title, *self.aliases] if t}

    def number_keys(self) -> set[str]:
        numbers = [self.number, *(v.number for v in self.versions)]
        return {lookup_key(n) for n in numbers if n}

    def lookup_keys(self) -> set[str]:
        return self.title_keys() | self.number_keys()


@dataclass(frozen=True)
class Resolution:
    instrument: Instrument
    version: Version | None
    method: str  # "number", "title", "number+title", "number, title differs", "title, number unknown"


class ResolutionError(LookupError):
    pass


_DECREE_KEY = re.compile(r"(?P<issuer>.+?)令(?P<num>\d+)号")


def issuer_names(agencies) -> dict[str, str]:
    """Each name of an agency (full or short, as a lookup key) → the key of its full name, for
    reading the issuer of a decree number. A short name two agencies share maps to neither."""
    names: dict[str, set[str]] = {}
    for agency in agencies:
        full = lookup_key(agency.zh)
        for name in (agency.zh, *agency.aliases):
            names.setdefault(lookup_key(name), set()).add(full)
    return {name: next(iter(fulls)) for name, fulls in names.items() if len(fulls) == 1}


class Registry:
    def __init__(self, instruments: list[Instrument], issuers: dict[str, str] | None = None):
        """``issuers``: the agencies' names (``issuer_names``), so a decree number written with a
        short issuer name finds its instrument."""
        self.instruments = instruments
        self.issuers = dict(issuers or {})
        self.by_id = {i.id: i for i in instruments}
        if len(self.by_id) != len(instruments):
            raise ValueError("instrument ids must be unique")
        self._by_number: dict[str, Instrument] = {}
        self._by_title: dict[str, Instrument] = {}
        self._by_bare_decree: dict[str, list[Instrument]] = {}
        for inst in instruments:
            for key in {self.number_key(k) for k in inst.number_keys()}:  # a key is its own key (lookup_key)
                self._claim(self._by_number, key, inst, "number")
                m = re.search(r"令(\d+)号$", key)
                if m:
                    self._by_bare_decree.setdefault(m.group(1), []).append(inst)
            for key in inst.title_keys():
                self._claim(self._by_title, key, inst, "title")
        for inst in instruments:
            if inst.repealed_by and inst.repealed_by not in self.by_id:
                raise ValueError(f"{inst.id}: repealed_by names unknown instrument {inst.repealed_by!r}")

    @staticmethod
    def _claim(index: dict[str, Instrument], key: str, inst: Instrument, what: str) -> None:
        other = index.get(key)
        if other is not None and other is not inst:
            raise ValueError(f"{what} key {key!r} is claimed by both {other.id} and {inst.id}")
        index[key] = inst

    # ------------------------------------------------------------ resolution

    def number_key(self, number: str) -> str:
        """The lookup key of a document number, a decree's issuer named by its full name."""
        key = lookup_key(number)
        m = _DECREE_KEY.fullmatch(key)
        if m and m.group("issuer") in self.issuers:
            return f"{self.issuers[m.group('issuer')]}令{m.group('num')}号"
        return key

    def _by_written_number(self, number: str) -> Instrument | None:
        key = self.number_key(number)
        if key in self._by_number:
            return self._by_number[key]
        bare = re.fullmatch(r"第?(\d+)号令", key)
        if bare:
            found = self._by_bare_decree.get(bare.group(1), [])
            unique = {i.id: i for i in found}
            if len(unique) == 1:
                return next(iter(unique.values()))
        return None

    def _by_written_title(self, title: str) -> Instrument | None:
        return self._by_title.get(lookup_key(title))

    def _version(self, inst: Instrument, citation: CitationRecord) -> Version | None:
        if citation.number:
            key = self.number_key(citation.number)
            for v in inst.versions:
                if v.number and self.number_key(v.number) == key:
                    return v
            bare = re.fullmatch(r"第?(\d+)号令", key)
            if bare:
                for v in inst.versions:
                    if v.number and lookup_key(v.number).endswith(f"令{bare.group(1)}号"):
                        return v
        if citation.dates:
            # "根据2018年12月29日…修正": the latest date that is a version's date
            for date in sorted(citation.dates, reverse=True):
                for v in inst.versions:
                    if v.date_document == date:
                        return v
        return None

    def resolve(self, citation: CitationRecord) -> Resolution:
        """Resolve a parsed citation to one instrument, or raise ResolutionError."""
        by_number = self._by_written_number(citation.number) if citation.number else None
        by_title = self._by_written_title(citation.title) if citation.title else None
        if by_number and by_title and by_number is not by_title:
            raise ResolutionError(
                f"the number {citation.number} names {by_number.title or by_number.number} "
                f"but the title 《{citation.title}》 names {by_title.title}"
            )
        if by_number:
            if not citation.title or by_title is by_number:
                method = "number+title" if citation.title else "number"
            else:
                best = max(
                    (difflib.SequenceMatcher(None, lookup_key(citation.title), k).ratio() for k in by_number.title_keys()),
                    default=0.0,
                )
                if best < TITLE_SIMILARITY:
                    raise ResolutionError(
                        f"the number {citation.number} names {by_number.title} but the title "
                        f"《{citation.title}》 is too different (similarity {best:.2f} < {TITLE_SIMILARITY})"
                    )
                method = "number, title differs"
            return Resolution(by_number, self._version(by_number, citation), method)
        if citation.number and not by_title:
            raise ResolutionError(f"no instrument in the registry has the number {citation.number}")
        if by_title:
            # a known title with a number the registry does not know: the title's instrument, and the
            # data-quality report warns (the source may be wrong, or the registry may lack a version)
            method = "title, number unknown" if citation.number else "title"
            return Resolution(by_title, self._version(by_title, citation), method)
        raise ResolutionError(f"no instrument in the registry matches {citation.text!r}")

    def resolve_text(self, text: str) -> Resolution:
        """Resolve what a person typed: a number, a title, or both, in any spelling, in
        simplified or traditional characters."""
        text = text.strip()
        if not text:
            raise ResolutionError("an empty instrument name")
        try:
            return self._resolve_typed(text)
        except ResolutionError:
            simple = simplified(text)  # 國務院令第765號, 社會保險經辦條例
            if simple == text:
                raise
        return self._resolve_typed(simple)

    def _resolve_typed(self, text: str) -> Resolution:
        try:
            return self._resolve_as_citation(text)
        except ResolutionError as exc:
            # before saying no: the whole text as one title (关于印发《X》的通知 for the registry's
            # 关于印发〈X〉的通知), or a title, with or without 《》, and its number (in brackets after
            # it, or apart by a space). Ambiguity stays an error: a known title whose number names
            # another instrument is refused, never guessed.
            if lookup_key(text) in self._by_title:
                return self.resolve(CitationRecord(1, text, title=text, number=None))
            for title, number in _titles_and_numbers(text):
                known_title = lookup_key(title) in self._by_title
                if known_title or self._by_written_number(number):
                    try:
                        return self.resolve(CitationRecord(1, text, title=title, number=number))
                    except ResolutionError:
                        if known_title:  # a known title and a number that names another instrument
                            raise
            raise exc

    def _resolve_as_citation(self, text: str) -> Resolution:
        citation = parse_citation(1, text)
        if citation.title and not citation.number and "《" not in text:
            number = canonical_number(text)
            if number:
                citation = CitationRecord(1, text, title=None, number=number)
        leftover = lookup_key(text)
        for piece in (lookup_key(citation.title), lookup_key(citation.number)):
            if piece:
                for form in (piece, piece.replace("第", "")):
                    # a number may keep its 中华人民共和国 prefix inside brackets: 《…》（中华人民共和国国务院令第711号）
                    leftover = leftover.replace("中华人民共和国" + form, "").replace(form, "")
        leftover = leftover.strip("()（）〔〕[]【】,，;； ")
        if leftover:
            raise ResolutionError(f"{text!r} is not a title or document number (cannot read {leftover!r})")
        return self.resolve(citation)


def _titles_and_numbers(text: str) -> Iterator[tuple[str, str]]:
    """Each way to read ``text`` as a title, with or without 《》, and a document number (canonical):
    the number in brackets after the title (工伤保险条例（国务院令第586号）, 关于印发《X》的通知（人社部发
    〔2015〕32号）) or apart from it by a space, on either side (社会保险经办条例 国务院令第765号,
    LD/T 33—2016 社会保障卡读写终端规范). The number part must be a document number and nothing else."""
    text = text.strip()
    splits = []
    opening = _opening_of_last_bracket(text)
    if opening:
        splits.append((text[:opening], text[opening + 1 : -1]))
    for m in list(re.finditer(r"\s+", text))[:MAX_SPACES_TRIED]:
        head, tail = text[: m.start()], text[m.end() :]
        splits += [(head, tail), (tail, head)]
    for title, written in splits:
        if len(written) > 60:  # longer than any document number
            continue
        number = canonical_number(written)
        if number and lookup_key(written).removeprefix("第") == lookup_key(number).removeprefix("第"):
            title = title.strip()
            if title.startswith("《") and balanced_end(title, 0) == len(title):
                title = title[1:-1]
            if title:
                yield title, number


def _opening_of_last_bracket(text: str) -> int | None:
    """Where the bracket that closes ``text`` opens: 规程（暂行）（人社厅发〔2018〕107号） → the second （."""
    if not text.endswith(("）", ")")):
        return None
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        if text[i] in "）)":
            depth += 1
        elif text[i] in "（(":
            depth -= 1
            if depth == 0:
                return i
    return None


def load_registry(path: Path, agencies=()) -> Registry:
    """The registry of ``path``; ``agencies`` (``refdata.Agency``) name the issuers of decrees."""
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    instruments = []
    for entry in raw["instrument"]:
        entry = dict(entry)
        versions = [Version(**v) for v in entry.pop("versions", [])]
        instruments.append(Instrument(**entry, versions=versions))
    return Registry(instruments, issuer_names(agencies))
