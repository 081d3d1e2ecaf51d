"""Code lists (channels, levels, audiences, modes, document types, statuses).

They are data (``data/codelists.toml``) and become SKOS concept schemes in the
graph; the parser uses them to turn a label in a source cell into a concept.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from .text import clean_label


@dataclass(frozen=True)
class Concept:
    code: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class CodeList:
    name: str
    path: str
    zh: str
    en: str
    concepts: tuple[Concept, ...]

    def code_for(self, label: str) -> str | None:
        wanted = clean_label(label)
        for concept in self.concepts:
            if wanted == concept.zh or wanted in concept.aliases:
                return concept.code
        return None

    def concept(self, code: str) -> Concept:
        for concept in self.concepts:
            if concept.code == code:
                return concept
        raise KeyError(f"{code!r} is not a code of the {self.name} list")


def load_codelists(path: Path) -> dict[str, CodeList]:
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    lists = {}
    for name, table in raw.items():
        concepts = tuple(
            Concept(c["code"], c["zh"], c["en"], tuple(clean_label(a) for a in c.get("aliases", ())))
            for c in table["concepts"]
        )
        lists[name] = CodeList(name, table["path"], table["zh"], table["en"], concepts)
    return lists
