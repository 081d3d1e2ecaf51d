"""Comparing two editions of a catalog (``zwgk diff``, ``GET /diff``).

Editions are compared *as published*: the reviewed errata of ``data/errata.toml``
are not applied, so the diff says what the publisher changed between them.

Items are matched in this order, each step only among items not yet matched:

1. the same category path (主项/子项/二级子项) and the same number (序号);
2. the same category path, found once in each edition (the item was renumbered);
3. the same name, found once in each edition (the item moved in the hierarchy);
4. the same number and the same levels above the item's own name (the item was renamed).

What is left is removed (old edition only) or added (new edition only). A matched
item is *renamed* when its name changed, *changed* when another field changed,
*renumbered* when only its number changed. Fields, with the property that states
them in the graph: name (skos:prefLabel), categoryPath (the levels above the own
name), content, legalBasis (the citations as written), deadline text and working
days, agency, channels, audiences, modes, levels, phones, number. For the legal
basis, the instruments an item cites in one edition only are the citations added or
dropped: those of a matched item, and every instrument an added item cites (added) or
a removed item cited (dropped). An instrument a matched item cites in both editions,
but in another version (工伤保险条例 as 国务院令第586号, then as 第375号), is a cited
version change: the version dropped and the version added. The counts give all three.

The result is a ``CatalogDiff``; ``diff_graph`` writes it as RDF (zwgk:CatalogDiff,
zwgk:ItemChange, zwgk:FieldChange), ``as_table`` / ``as_json`` as text.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, RDFS, SKOS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from .codelists import CodeList
from .graph import BASE, PREFIXES, ZWGK, en, iri, zh
from .records import ItemRecord, SourceError
from .registry import Registry, ResolutionError

KINDS = ("removed", "added", "renamed", "changed", "renumbered")
FIELDS = (  # (field name, property IRI) in the order they are reported
    ("name", str(SKOS.prefLabel)),
    ("itemNumber", str(ZWGK.itemNumber)),
    ("categoryPath", str(ZWGK.categoryPath)),
    ("content", str(ZWGK.contentText)),
    ("legalBasis", str(ZWGK.legalBasis)),
    ("deadlineText", str(ZWGK.deadlineText)),
    ("deadlineWorkingDays", str(ZWGK.deadlineWorkingDays)),
    ("responsibleAgency", str(ZWGK.responsibleAgency)),
    ("disclosureChannel", str(ZWGK.disclosureChannel)),
    ("audience", str(ZWGK.audience)),
    ("disclosureMode", str(ZWGK.disclosureMode)),
    ("disclosureLevel", str(ZWGK.disclosureLevel)),
    ("contactPhone", str(ZWGK.contactPhone)),
)
PROPERTY = dict(FIELDS)
JOIN = "、"


@dataclass
class Edition:
    """One edition of a catalog as published, with each item's cited instruments."""

    id: str
    title: str | None
    file: str
    items: list[ItemRecord]
    instruments: dict[int, dict[str, str]]  # item number → {instrument id: title or number}
    versions: dict[int, dict[str, set[str]]] = field(default_factory=dict)  # item → {instrument id: version ids}

    @classmethod
    def from_resolved(cls, rc, registry: Registry) -> "Edition":
        record = rc.published or rc.record
        ed = cls(rc.entry.id, record.title, rc.entry.file, record.items, {})
        for (number, _), res in sorted(rc.resolutions.items()):
            ed.cite(number, res)
        return ed

    def cite(self, number: int, res) -> None:
        """Record that item ``number`` cites the resolved instrument (and version)."""
        inst = res.instrument
        self.instruments.setdefault(number, {})[inst.id] = inst.title or inst.number or inst.id
        versions = self.versions.setdefault(number, {}).setdefault(inst.id, set())
        if res.version is not None:
            versions.add(res.version.id)


@dataclass
class FieldChange:
    field: str
    old: str | None
    new: str | None

    @property
    def property(self) -> str:
        return PROPERTY[self.field]


@dataclass
class ItemChange:
    kind: str
    old: ItemRecord | None
    new: ItemRecord | None
    fields: list[FieldChange] = field(default_factory=list)
    citations_added: dict[str, str] = field(default_factory=dict)  # instrument id → label
    citations_dropped: dict[str, str] = field(default_factory=dict)
    # instrument id → (versions cited in the old edition only, in the new edition only)
    versions_changed: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The stable last segment of the change's IRI."""
        if self.old is None:
            return f"added-{self.new.number}"
        if self.new is None:
            return f"removed-{self.old.number}"
        return f"item-{self.old.number}"

    @property
    def sort_key(self) -> tuple:
        number = self.old.number if self.old is not None else self.new.number
        return (number, 0 if self.new is None else 1 if self.old is None else 2)


@dataclass
class CatalogDiff:
    old: Edition
    new: Edition
    changes: list[ItemChange]
    title_changed: bool = False

    @property
    def counts(self) -> dict[str, int]:
        c = Counter(ch.kind for ch in self.changes)
        out = {k: c.get(k, 0) for k in KINDS}
        out["citations_added"] = sum(len(ch.citations_added) for ch in self.changes)
        out["citations_dropped"] = sum(len(ch.citations_dropped) for ch in self.changes)
        out["cited_versions_changed"] = sum(len(ch.versions_changed) for ch in self.changes)
        return out

    @property
    def iri(self) -> URIRef:
        return iri("diff", self.old.id, self.new.id)


# ---------------------------------------------------------------- loading

def load_edition(ref: str, project, codelists: dict[str, CodeList], registry: Registry) -> Edition:
    """An edition named by a catalog id of ``data/catalogs.toml`` or by the path of a source file."""
    from .parse import CatalogParser
    from .refdata import load_catalogs

    entries = load_catalogs(project.data / "catalogs.toml")
    entry = next((e for e in entries if e.id == ref), None)
    if entry is not None:
        path, cid, name = project.data / entry.file, entry.id, entry.file
    else:
        path = Path(ref)
        if not path.is_file():
            known = ", ".join(e.id for e in entries) or "none"
            raise SourceError(f"{ref!r} is neither a catalog id of data/catalogs.toml ({known}) nor a source file",
                              file=ref)
        registered = next((e for e in entries if (project.data / e.file).resolve() == path.resolve()), None)
        cid = registered.id if registered else _id_of(path)
        name = path.name
    record = CatalogParser(codelists).parse_bytes(path.read_bytes(), name)
    edition = Edition(cid, record.title, name, record.items, {})
    for item in record.items:
        for c in item.citations:
            try:
                res = registry.resolve(c)
            except ResolutionError as exc:
                raise SourceError(f"citation {c.ordinal} {c.text!r}: {exc}", file=name, line=item.source.line) from None
            edition.cite(item.number, res)
    return edition


def _id_of(path: Path) -> str:
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", path.stem).strip("-")
    return stem or "edition"


# ---------------------------------------------------------------- comparing

def _parent(item: ItemRecord) -> tuple:
    path = [p for p in item.path if p]
    return tuple(path[:-1])


def _values(item: ItemRecord, codelists: dict[str, CodeList] | None) -> dict[str, str | None]:
    def labels(scheme: str, codes: list[str]) -> str | None:
        if not codes:
            return None
        if codelists and scheme in codelists:
            return JOIN.join(codelists[scheme].concept(c).zh for c in codes)
        return JOIN.join(codes)

    levels = labels("level", item.levels)
    if item.unrecognized_levels:
        levels = JOIN.join([x for x in [levels] if x] + item.unrecognized_levels)
    return {
        "name": item.name,
        "itemNumber": str(item.number),
        "categoryPath": " / ".join(_parent(item)) or None,
        "content": item.content_text,
        "legalBasis": "；".join(c.text for c in item.citations) or None,
        "deadlineText": item.deadline_text,
        "deadlineWorkingDays": None if item.deadline_days is None else str(item.deadline_days),
        "responsibleAgency": item.agency,
        "disclosureChannel": labels("channel", item.channels),
        "audience": labels("audience", item.audiences),
        "disclosureMode": labels("mode", item.modes),
        "disclosureLevel": levels,
        "contactPhone": JOIN.join(item.phones) or None,
    }


def _match(old: list[ItemRecord], new: list[ItemRecord]) -> list[tuple[ItemRecord, ItemRecord]]:
    pairs: list[tuple[ItemRecord, ItemRecord]] = []
    left, right = list(old), list(new)

    def take(key) -> None:
        nonlocal left, right
        lk = Counter(key(i) for i in left)
        rk = Counter(key(i) for i in right)
        by_key = {key(i): i for i in right if rk[key(i)] == 1}
        matched_right = set()
        rest = []
        for i in left:
            k = key(i)
            if k is not None and lk[k] == 1 and k in by_key:
                pairs.append((i, by_key[k]))
                matched_right.add(id(by_key[k]))
            else:
                rest.append(i)
        left = rest
        right = [i for i in right if id(i) not in matched_right]

    take(lambda i: (i.path, i.number))  # 1. same place, same number
    take(lambda i: i.path)  # 2. renumbered
    take(lambda i: i.name)  # 3. moved in the hierarchy
    take(lambda i: (i.number, _parent(i)))  # 4. renamed
    return pairs


def diff_editions(old: Edition, new: Edition, codelists: dict[str, CodeList] | None = None) -> CatalogDiff:
    pairs = _match(old.items, new.items)
    matched_old = {id(a) for a, _ in pairs}
    matched_new = {id(b) for _, b in pairs}
    changes: list[ItemChange] = []
    for a, b in pairs:
        va, vb = _values(a, codelists), _values(b, codelists)
        fields = [FieldChange(f, va[f], vb[f]) for f, _ in FIELDS if va[f] != vb[f]]
        ia, ib = old.instruments.get(a.number, {}), new.instruments.get(b.number, {})
        added = {k: ib[k] for k in ib if k not in ia}
        dropped = {k: ia[k] for k in ia if k not in ib}
        va_, vb_ = old.versions.get(a.number, {}), new.versions.get(b.number, {})
        versions = {k: (sorted(va_[k] - vb_[k]), sorted(vb_[k] - va_[k])) for k in ia if k in ib
                    and va_.get(k, set()) != vb_.get(k, set())}
        if not fields:
            continue
        names = {f.field for f in fields}
        kind = "renamed" if "name" in names else "renumbered" if names == {"itemNumber"} else "changed"
        changes.append(ItemChange(kind, a, b, fields, added, dropped, versions))
    changes += [ItemChange("removed", a, None, citations_dropped=dict(old.instruments.get(a.number, {})))
                for a in old.items if id(a) not in matched_old]
    changes += [ItemChange("added", None, b, citations_added=dict(new.instruments.get(b.number, {})))
                for b in new.items if id(b) not in matched_new]
    changes.sort(key=lambda c: c.sort_key)
    return CatalogDiff(old, new, changes, title_changed=(old.title or "") != (new.title or ""))


# ---------------------------------------------------------------- output

def _item_iri(edition: Edition, number: int) -> URIRef:
    return iri("catalog", edition.id, "item", number)


def diff_graph(diff: CatalogDiff, codelists: dict[str, CodeList] | None = None) -> Graph:
    """The diff as RDF: one zwgk:CatalogDiff with a zwgk:ItemChange per changed item."""
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    g.bind("id", BASE)
    node = diff.iri
    old_cat, new_cat = iri("catalog", diff.old.id), iri("catalog", diff.new.id)
    g.add((node, RDF.type, ZWGK.CatalogDiff))
    g.add((node, ZWGK.oldEdition, old_cat))
    g.add((node, ZWGK.newEdition, new_cat))
    g.add((node, RDFS.label, zh(f"{diff.old.id} → {diff.new.id} 版本比较")))
    g.add((node, RDFS.label, en(f"Changes from {diff.old.id} to {diff.new.id}")))
    for cat, ed in ((old_cat, diff.old), (new_cat, diff.new)):
        if ed.title:
            g.add((cat, DCTERMS.title, zh(ed.title)))
    for ch in diff.changes:
        c = URIRef(f"{node}/change/{ch.key}")
        g.add((node, ZWGK.itemChange, c))
        g.add((c, RDF.type, ZWGK.ItemChange))
        g.add((c, ZWGK.itemChangeKind, iri("item-change", ch.kind)))
        name = (ch.new or ch.old).name or ""
        g.add((c, RDFS.label, zh(f"{ch.kind}: {(ch.old or ch.new).number} {name}".strip())))
        if ch.old is not None:
            g.add((c, ZWGK.oldItem, _item_iri(diff.old, ch.old.number)))
        if ch.new is not None:
            g.add((c, ZWGK.newItem, _item_iri(diff.new, ch.new.number)))
        for f in ch.fields:
            fnode = URIRef(f"{c}/field/{f.field}")
            g.add((c, ZWGK.fieldChange, fnode))
            g.add((fnode, RDF.type, ZWGK.FieldChange))
            g.add((fnode, ZWGK.changedProperty, URIRef(f.property)))
            if f.old is not None:
                g.add((fnode, ZWGK.oldValue, Literal(f.old)))
            if f.new is not None:
                g.add((fnode, ZWGK.newValue, Literal(f.new)))
        for inst in ch.citations_added:
            g.add((c, ZWGK.citationAdded, iri("instrument", inst)))
        for inst in ch.citations_dropped:
            g.add((c, ZWGK.citationDropped, iri("instrument", inst)))
        for inst, (gone, came) in ch.versions_changed.items():
            for v in gone:
                g.add((c, ZWGK.citedVersionDropped, iri("instrument", inst, "version", v)))
            for v in came:
                g.add((c, ZWGK.citedVersionAdded, iri("instrument", inst, "version", v)))
    if codelists and "item-change" in codelists:
        cl = codelists["item-change"]
        for kind in {ch.kind for ch in diff.changes}:
            concept = cl.concept(kind)
            g.add((iri(cl.path, kind), SKOS.prefLabel, zh(concept.zh)))
            g.add((iri(cl.path, kind), SKOS.prefLabel, en(concept.en)))
    return g


def as_dict(diff: CatalogDiff) -> dict:
    def edition(ed: Edition) -> dict:
        return {"id": ed.id, "title": ed.title, "file": ed.file, "items": len(ed.items),
                "iri": str(iri("catalog", ed.id))}

    def change(ch: ItemChange) -> dict:
        return {
            "kind": ch.kind,
            "old_number": ch.old.number if ch.old else None,
            "new_number": ch.new.number if ch.new else None,
            "old_name": ch.old.name if ch.old else None,
            "new_name": ch.new.name if ch.new else None,
            "fields": [{"field": f.field, "property": f.property, "old": f.old, "new": f.new} for f in ch.fields],
            "citations_added": [{"instrument": k, "label": v, "iri": str(iri("instrument", k))}
                                for k, v in ch.citations_added.items()],
            "citations_dropped": [{"instrument": k, "label": v, "iri": str(iri("instrument", k))}
                                  for k, v in ch.citations_dropped.items()],
            "cited_versions_changed": [{"instrument": k, "iri": str(iri("instrument", k)), "old": gone, "new": came}
                                       for k, (gone, came) in ch.versions_changed.items()],
        }

    return {"diff": str(diff.iri), "old": edition(diff.old), "new": edition(diff.new),
            "title_changed": diff.title_changed, "counts": diff.counts,
            "changes": [change(ch) for ch in diff.changes]}


def as_json(diff: CatalogDiff) -> str:
    return json.dumps(as_dict(diff), ensure_ascii=False, indent=2) + "\n"


def describe_change(ch: ItemChange) -> str:
    """One line saying what changed: the fields, old → new for short values, and the citations."""
    parts = []
    for f in ch.fields:
        if f.field == "name":
            parts.append("name")
            continue
        if f.field == "legalBasis" and (ch.citations_added or ch.citations_dropped or ch.versions_changed):
            cites = [f"+ {v}" for v in ch.citations_added.values()] + [f"− {v}" for v in ch.citations_dropped.values()]
            cites += [f"{k} version {'、'.join(gone) or '—'} → {'、'.join(came) or '—'}"
                      for k, (gone, came) in ch.versions_changed.items()]
            parts.append(f"legalBasis: {' '.join(cites)}")
        elif max(len(f.old or ""), len(f.new or "")) <= 40:
            parts.append(f"{f.field}: {f.old or '—'} → {f.new or '—'}")
        else:
            parts.append(f.field)
    if not ch.fields and (ch.citations_added or ch.citations_dropped):  # an added or removed item
        parts.append("cites: " + "、".join([*ch.citations_added.values(), *ch.citations_dropped.values()]))
    return "; ".join(parts)


def as_table(diff: CatalogDiff) -> str:
    from .queries import render_table

    c = diff.counts
    head = [
        f"{diff.old.id} ({len(diff.old.items)} items) → {diff.new.id} ({len(diff.new.items)} items)",
        f"  {c['added']} added, {c['removed']} removed, {c['renamed']} renamed, {c['changed']} changed, "
        f"{c['renumbered']} renumbered; citations: {c['citations_added']} added, {c['citations_dropped']} dropped "
        f"(with added and removed items), {c['cited_versions_changed']} cited in another version",
    ]
    if diff.title_changed:
        head.append(f"  title: {diff.old.title} → {diff.new.title}")
    rows = []
    for ch in diff.changes:
        name = ch.new.name if ch.new else ch.old.name
        if ch.kind == "renamed":
            name = f"{ch.old.name} → {ch.new.name}"
        rows.append([ch.kind, str(ch.old.number) if ch.old else "—", str(ch.new.number) if ch.new else "—",
                     name or "", describe_change(ch)])
    table = render_table(["change", "old", "new", "item", "what changed"], rows)
    table = table.replace(f"({len(rows)} row{'s' if len(rows) != 1 else ''})", f"({len(rows)} changed item{'s' if len(rows) != 1 else ''})")
    return "\n".join(head) + "\n\n" + table


def as_turtle(diff: CatalogDiff, codelists: dict[str, CodeList] | None = None) -> str:
    return diff_graph(diff, codelists).serialize(format="turtle")


FORMATS = ("table", "json", "ttl")

__all__ = ["Edition", "CatalogDiff", "ItemChange", "FieldChange", "load_edition", "diff_editions", "diff_graph",
           "as_dict", "as_json", "as_table", "as_turtle"]
