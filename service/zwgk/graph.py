"""Records → RDF. Every resource gets a stable IRI under the data base, so the
same source row gives the same IRI on every build (no blank nodes)."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import RDF, RDFS, SKOS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, ORG, OWL, PROV

from .changes import Act, ChangeEvent
from .citations import written_spellings
from .codelists import CodeList
from .records import CatalogRecord, ItemRecord
from .refdata import Agency, CatalogEntry, Place
from .registry import Instrument, Registry, Resolution
from .tables import ALIASES, MEDIA_TYPES
from .text import lookup_key, name_key

BASE = "https://w3id.org/zwgk/id/"
ZWGK = Namespace("https://w3id.org/zwgk/ontology#")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
CV = Namespace("http://data.europa.eu/m8g/")
CPSV = Namespace("http://purl.org/vocab/cpsv#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
VOID = Namespace("http://rdfs.org/ns/void#")

ELI_IN_FORCE = ELI["InForce-inForce"]
ELI_NOT_IN_FORCE = ELI["InForce-notInForce"]

PREFIXES = {
    "zwgk": ZWGK,
    "eli": ELI,
    "cv": CV,
    "cpsv": CPSV,
    "dcat": DCAT,
    "dct": DCTERMS,
    "skos": SKOS,
    "org": ORG,
    "prov": PROV,
    "vcard": VCARD,
    "void": VOID,
    "owl": OWL,
    "xsd": XSD,
}


def iri(*parts: object) -> URIRef:
    return URIRef(BASE + "/".join(str(p) for p in parts))


def zh(text: str) -> Literal:
    return Literal(text, lang="zh")


def en(text: str) -> Literal:
    return Literal(text, lang="en")


def _date(value: str | None) -> Literal | None:
    """A date literal of the precision written (YYYY, YYYY-MM or YYYY-MM-DD); None stays None."""
    if not value:
        return None
    if len(value) == 4:
        return Literal(value, datatype=XSD.gYear)
    if len(value) == 7:
        return Literal(value, datatype=XSD.gYearMonth)
    return Literal(value, datatype=XSD.date)


@dataclass
class ResolvedCatalog:
    entry: CatalogEntry
    record: CatalogRecord
    sha256: str
    resolutions: dict[tuple[int, int], Resolution]  # (item, citation ordinal) → resolution
    agencies: dict[int, str]  # item number → agency id
    published: CatalogRecord | None = None  # the record before errata, kept when an edition diff needs it


class GraphBuilder:
    def __init__(
        self,
        codelists: dict[str, CodeList],
        registry: Registry,
        agencies: dict[str, Agency],
        places: dict[str, Place],
    ):
        self.codelists = codelists
        self.registry = registry
        self.agencies = agencies
        self.places = places
        self.g = Graph()
        for prefix, ns in PREFIXES.items():
            self.g.bind(prefix, ns)
        self.g.bind("id", BASE)

    def add(self, s, p, o) -> None:
        if o is not None:
            self.g.add((s, p, o))

    def concept(self, scheme: str, code: str) -> URIRef:
        return iri(self.codelists[scheme].path, code)

    # ------------------------------------------------------------ reference data

    def add_codelists(self) -> None:
        for cl in self.codelists.values():
            scheme = iri(cl.path)
            self.add(scheme, RDF.type, SKOS.ConceptScheme)
            self.add(scheme, SKOS.prefLabel, zh(cl.zh))
            self.add(scheme, SKOS.prefLabel, en(cl.en))
            for c in cl.concepts:
                node = iri(cl.path, c.code)
                self.add(node, RDF.type, SKOS.Concept)
                if cl.name == "channel":
                    self.add(node, RDF.type, ZWGK.Channel)
                self.add(node, SKOS.prefLabel, zh(c.zh))
                self.add(node, SKOS.prefLabel, en(c.en))
                self.add(node, SKOS.notation, Literal(c.code))
                for alias in c.aliases:
                    self.add(node, SKOS.altLabel, zh(alias))
                self.add(node, SKOS.inScheme, scheme)
                self.add(node, SKOS.topConceptOf, scheme)
                self.add(scheme, SKOS.hasTopConcept, node)

    def add_places(self) -> None:
        for p in self.places.values():
            node = iri("place", p.id)
            self.add(node, RDF.type, ZWGK.Jurisdiction)
            self.add(node, RDF.type, DCTERMS.Location)
            self.add(node, SKOS.prefLabel, zh(p.zh))
            if p.en:
                self.add(node, SKOS.prefLabel, en(p.en))
            if p.code:
                self.add(node, ZWGK.divisionCode, Literal(p.code))
            if p.level:
                self.add(node, ZWGK.administrativeLevel, self.concept("level", p.level))
            if p.parent:
                self.add(node, ZWGK.parentJurisdiction, iri("place", p.parent))

    def add_agencies(self) -> None:
        for a in self.agencies.values():
            node = iri("agency", a.id)
            self.add(node, RDF.type, ORG.Organization)
            self.add(node, SKOS.prefLabel, zh(a.zh))
            if a.en:
                self.add(node, SKOS.prefLabel, en(a.en))
            for alias in a.aliases:
                self.add(node, SKOS.altLabel, zh(alias))
            if a.jurisdiction:
                self.add(node, ZWGK.jurisdiction, iri("place", a.jurisdiction))

    def add_instruments(self, spellings: dict[str, set[str]]) -> None:
        for inst in self.registry.instruments:
            self._instrument(inst, spellings.get(inst.id, set()))

    def add_spellings(self, rc: ResolvedCatalog) -> None:
        """Each spelling of a cited instrument that the catalog's citations show, as written (its title;
        its number: 中华人民共和国国务院令 第765号, 国务院令 710号, LD/T 33—2016), as ``skos:altLabel`` of the
        instrument, with its lookup key when the instrument lacks it. Reference data: the instrument is
        shared by every catalog that cites it, so these are not the catalog's own triples."""
        seen: dict[str, tuple[Instrument, set[str]]] = {}
        for item in rc.record.items:
            for c in item.citations:
                inst = rc.resolutions[(item.number, c.ordinal)].instrument
                seen.setdefault(inst.id, (inst, set()))[1].update(written_spellings(c))
        for inst_id, (inst, written) in sorted(seen.items()):
            node = iri("instrument", inst_id)
            for spelling in sorted(written - {inst.title, inst.number, *inst.aliases}):
                self.add(node, SKOS.altLabel, zh(spelling))
            for key in sorted({lookup_key(s) for s in written} - inst.lookup_keys()):
                self.add(node, ZWGK.lookupKey, Literal(key))

    def _work(self, work: Instrument | Act) -> URIRef:
        """What an instrument of the registry and an act of data/changes.toml both state: an
        eli:LegalResource with its title (or number) as label, number, type, issuers, dates and
        confidence; a fact that is not recorded is not stated."""
        node = iri("instrument", work.id)
        self.add(node, RDF.type, ELI.LegalResource)
        if work.title:
            self.add(node, ELI.title, zh(work.title))
        if work.title or work.number:
            self.add(node, SKOS.prefLabel, zh(work.title or work.number))
        if work.number:
            self.add(node, ELI.id_local, Literal(work.number))
        self.add(node, ELI.type_document, self.concept("document-type", work.type))
        for issuer in work.issuers:
            self.add(node, ELI.passed_by, iri("agency", issuer))
        self.add(node, ELI.date_document, _date(work.date_document))
        self.add(node, ELI.first_date_entry_in_force, _date(work.date_in_force))
        if work.confidence:
            self.add(node, ZWGK.confidence, Literal(work.confidence))
        if work.confidence_note:
            self.add(node, ZWGK.confidenceNote, en(work.confidence_note))
        return node

    def _instrument(self, inst: Instrument, seen: set[str]) -> None:
        node = self._work(inst)
        self.add(node, DCTERMS.issued, _date(inst.issued))
        if inst.in_force is not None:
            self.add(node, ELI.in_force, ELI_IN_FORCE if inst.in_force else ELI_NOT_IN_FORCE)
        if inst.status:
            self.add(node, ZWGK.status, self.concept("status", inst.status))
        if inst.source == "catalog":
            self.add(node, ZWGK.confidenceNote, en("Not identified in any other source: recorded from what the catalog says."))
        for edition in inst.editions:
            self.add(node, ZWGK.edition, Literal(str(edition), datatype=XSD.gYear))
        if inst.repealed_by:
            other = iri("instrument", inst.repealed_by)
            self.add(node, ELI.repealed_by, other)
            self.add(other, ELI.repeals, node)
        labels = {inst.title, inst.number} | {a for a in inst.aliases}
        for spelling in sorted(seen - labels):
            self.add(node, SKOS.altLabel, zh(spelling))
        for alias in inst.aliases:
            self.add(node, SKOS.altLabel, zh(alias))
        for key in sorted(inst.lookup_keys() | {lookup_key(s) for s in seen}):
            self.add(node, ZWGK.lookupKey, Literal(key))
        for v in inst.versions:
            vnode = iri("instrument", inst.id, "version", v.id)
            self.add(vnode, RDF.type, ZWGK.InstrumentVersion)
            self.add(node, ZWGK.version, vnode)
            self.add(vnode, ZWGK.versionOf, node)
            self.add(vnode, ZWGK.changeType, Literal(v.change))
            label = v.label or v.number or f"{inst.title}（{v.id}）"
            self.add(vnode, RDFS.label, zh(label))
            if v.number:
                self.add(vnode, ELI.id_local, Literal(v.number))
            self.add(vnode, ELI.date_document, _date(v.date_document))
            self.add(vnode, ELI.first_date_entry_in_force, _date(v.date_in_force))
            if v.confidence:
                self.add(vnode, ZWGK.confidence, Literal(v.confidence))

    # ------------------------------------------------------------ change events

    def add_changes(self, events: list[ChangeEvent]) -> None:
        """Change events (zwgk:ChangeEvent), the acts that made them (eli:LegalResource, from the
        [[act]] entries of data/changes.toml), and the ELI relations each event implies between the
        affecting and the affected instrument: eli:amends / eli:repeals and their inverses, each
        also stated with their super-property eli:changes / eli:changed_by; a repeal or replacement
        whose date of effect is known gives eli:date_no_longer_in_force. The events are kept for
        ``add_update_obligations``."""
        relation = {"repeal": (ELI.repeals, ELI.repealed_by), "amendment": (ELI.amends, ELI.amended_by),
                    "revision": (ELI.amends, ELI.amended_by), "replacement": (ELI.changes, ELI.changed_by)}
        self.events = list(events)
        acts = {}
        for e in events:
            node = iri("change", e.id)
            affected = iri("instrument", e.instrument)
            self.add(node, RDF.type, ZWGK.ChangeEvent)
            self.add(node, ZWGK.changeEventType, self.concept("change-type", e.type))
            self.add(node, ZWGK.affectedInstrument, affected)
            self.add(affected, ZWGK.changeEvent, node)
            concept = self.codelists["change-type"].concept(e.type)
            inst = self.registry.by_id[e.instrument]
            name = inst.title or inst.number or inst.id
            self.add(node, RDFS.label, zh(f"{name}：{concept.zh}" + (f"（{e.date}）" if e.date else "")))
            self.add(node, RDFS.label, en(f"{concept.en} of {name}" + (f" ({e.date})" if e.date else "")))
            if e.affecting is not None:
                acts[e.affecting.id] = e.affecting
            if e.by:
                by = iri("instrument", e.by)
                self.add(node, ZWGK.affectingInstrument, by)
                if e.type in relation:
                    for forward, inverse in {relation[e.type], (ELI.changes, ELI.changed_by)}:
                        self.add(by, forward, affected)
                        self.add(affected, inverse, by)
            if e.act:
                self.add(node, ZWGK.affectingAct, Literal(e.act))
            if e.version:
                self.add(node, ZWGK.resultingVersion, iri("instrument", e.instrument, "version", e.version))
            self.add(node, ZWGK.changeDate, _date(e.date))
            self.add(node, ZWGK.changeInForce, _date(e.date_in_force))
            if e.type in ("repeal", "replacement") and e.date_in_force:
                self.add(affected, ELI.date_no_longer_in_force, _date(e.date_in_force))
            if e.confidence:
                self.add(node, ZWGK.confidence, Literal(e.confidence))
            if e.confidence_note:
                self.add(node, ZWGK.confidenceNote, en(e.confidence_note))
            if e.source:
                self.add(node, DCTERMS.source, Literal(e.source))
        for act in acts.values():
            self._act(act)

    def _act(self, act: Act) -> None:
        """An act that made a recorded change: an eli:LegalResource with only the facts recorded for it.
        It has no zwgk:lookupKey: a citation or a user's lookup never finds it (see data/changes.toml)."""
        node = self._work(act)
        self.add(node, RDFS.comment, en("An act that made a recorded change (data/changes.toml). A citation of its "
                                        "number names the instrument it changed, in the version it made."))

    def add_version_succession(self) -> None:
        """Each version of an instrument that a later one replaced: ``dct:isReplacedBy`` the next, and
        ``eli:date_no_longer_in_force`` the day the next one entered into force, when that is known."""
        for inst in self.registry.instruments:
            dated = sorted((v for v in inst.versions if v.date_document), key=lambda v: v.date_document)
            for older, newer in zip(dated, dated[1:]):
                a = iri("instrument", inst.id, "version", older.id)
                b = iri("instrument", inst.id, "version", newer.id)
                self.add(a, DCTERMS.isReplacedBy, b)
                self.add(b, DCTERMS.replaces, a)
                self.add(a, ELI.date_no_longer_in_force, _date(newer.date_in_force))

    def add_update_obligations(self, catalogs: list[ResolvedCatalog]) -> None:
        """For each recorded change (``add_changes``) and each item it affects: a zwgk:UpdateObligation
        with the action (update or review) and the date by which the item must be updated
        (zwgk:dueDate), or why there is none (zwgk:noDueDateReason). The rule and the deadline are
        those of ``zwgk impact`` (impact.assess, on the official calendar of workdays.py). They are
        minted under the change (``change/<event>/obligation/<catalog>/<item>``), in the default graph:
        they depend on the change events as much as on the catalog."""
        from .impact import assess

        for e in getattr(self, "events", []):
            if not e.updates_citations:
                continue
            inst = self.registry.by_id[e.instrument]
            versions = {v.id: v.date_document for v in inst.versions}
            event_node = iri("change", e.id)
            for rc in catalogs:
                cited: dict[int, list[str | None]] = {}
                for (number, _), res in sorted(rc.resolutions.items()):
                    if res.instrument.id == e.instrument:
                        cited.setdefault(number, []).append(res.version.id if res.version else None)
                for item in rc.record.items:
                    if item.number not in cited:
                        continue
                    found = assess(e, cited[item.number], versions, rc.entry.year, item.deadline_days)
                    if found is None:
                        continue
                    node = iri("change", e.id, "obligation", rc.entry.id, item.number)
                    self.add(node, RDF.type, ZWGK.UpdateObligation)
                    self.add(node, ZWGK.dueToChange, event_node)
                    self.add(node, ZWGK.itemToUpdate, iri("catalog", rc.entry.id, "item", item.number))
                    self.add(node, ZWGK.updateAction, Literal(found.action))
                    if found.deadline.date:
                        self.add(node, ZWGK.dueDate, Literal(found.deadline.iso, datatype=XSD.date))
                    else:
                        self.add(node, ZWGK.noDueDateReason, en(found.deadline.reason))
                    self.add(node, RDFS.label, en(f"{found.action} item {item.number} of {rc.entry.id} after "
                                                  f"{e.id}" + (f", by {found.deadline.iso}" if found.deadline.date else "")))

    # ------------------------------------------------------------ catalogs

    def add_catalog(self, rc: ResolvedCatalog) -> None:
        """The catalog's triples, into ``self.g`` (an in-memory graph or a streaming sink)."""
        self._catalog(rc)

    def catalog_graph(self, rc: ResolvedCatalog) -> Graph:
        """The catalog's triples in a graph of their own (the catalog's named graph). The spellings
        its citations show go to the instruments, in the builder's graph (``add_spellings``)."""
        outer, self.g = self.g, Graph()
        try:
            self._catalog(rc)
            own = self.g
        finally:
            self.g = outer
        self.add_spellings(rc)
        return own

    def _catalog(self, rc: ResolvedCatalog) -> None:
        e, rec = rc.entry, rc.record
        cat = iri("catalog", e.id)
        src = iri("catalog", e.id, "source")
        self.add(cat, RDF.type, ZWGK.Catalog)
        self.add(cat, RDF.type, DCAT.Catalog)
        title = rec.title or e.title
        if title:
            self.add(cat, DCTERMS.title, zh(title))
        self.add(cat, DCTERMS.publisher, iri("agency", e.publisher))
        self.add(cat, DCTERMS.spatial, iri("place", e.jurisdiction))
        self.add(cat, DCTERMS.issued, Literal(str(e.year), datatype=XSD.gYear))
        self.add(cat, DCTERMS.subject, zh(e.domain_zh))
        self.add(cat, DCTERMS.subject, en(e.domain_en))
        if e.source_url:
            self.add(cat, DCAT.landingPage, URIRef(e.source_url))
        self.add(cat, ZWGK.sourceFile, src)
        self.add(cat, PROV.wasDerivedFrom, src)
        self.add(src, RDF.type, ZWGK.SourceFile)
        self.add(src, DCTERMS.title, Literal(rec.source_file))
        self.add(src, ZWGK.sha256, Literal(rc.sha256))
        self.add(src, DCAT.mediaType, Literal(MEDIA_TYPES.get(ALIASES.get(e.format, e.format), MEDIA_TYPES["tsv"])))
        self.add(src, DCTERMS.format, Literal(e.format))
        if rec.traditional:
            self.add(src, ZWGK.traditionalCharacters, Literal(True))
        for column in rec.extra_columns:
            self.add(src, ZWGK.extraColumn, zh(column))
        for partial in rec.partial_rows:
            node = iri("catalog", e.id, "source", "line", partial.line)
            self.add(src, ZWGK.partialRow, node)
            self.add(node, RDF.type, ZWGK.PartialRow)
            self.add(node, ZWGK.sourceFile, src)
            self.add(node, ZWGK.lineNumber, Literal(partial.line, datatype=XSD.integer))
            self.add(node, ZWGK.cellsFound, Literal(partial.cells, datatype=XSD.integer))
            self.add(node, ZWGK.cellsExpected, Literal(partial.expected, datatype=XSD.integer))
            self.add(node, ZWGK.rawLine, Literal(partial.raw))
        for item in rec.items:
            self._item(rc, cat, src, item)

    def _item(self, rc: ResolvedCatalog, cat: URIRef, src: URIRef, item: ItemRecord) -> None:
        cid = rc.entry.id
        node = iri("catalog", cid, "item", item.number)
        self.add(node, RDF.type, ZWGK.DisclosureItem)
        self.add(node, ZWGK.inCatalog, cat)
        self.add(node, ZWGK.itemNumber, Literal(item.number, datatype=XSD.integer))
        if item.name:
            self.add(node, SKOS.prefLabel, zh(item.name))
            self.add(node, ZWGK.nameKey, Literal(name_key(item.name)))
        for prop, value in zip((ZWGK.mainItem, ZWGK.subItem, ZWGK.subSubItem), item.path):
            if value:
                self.add(node, prop, zh(value))
        path = [p for p in item.path if p]
        if path:
            self.add(node, ZWGK.categoryPath, Literal(" / ".join(path)))
        if item.content_text:
            self.add(node, ZWGK.contentText, zh(item.content_text))
        for k, el in enumerate(item.elements, 1):
            enode = iri("catalog", cid, "item", item.number, "element", k)
            self.add(node, ZWGK.disclosureElement, enode)
            self.add(enode, RDF.type, ZWGK.DisclosureElement)
            self.add(enode, ZWGK.elementNumber, Literal(el.number, datatype=XSD.integer))
            self.add(enode, SKOS.prefLabel, zh(el.label))
        if item.deadline_text:
            self.add(node, ZWGK.deadlineText, zh(item.deadline_text))
        if item.deadline_days is not None:
            self.add(node, ZWGK.deadlineWorkingDays, Literal(item.deadline_days, datatype=XSD.integer))
        if item.agency:
            self.add(node, ZWGK.responsibleAgency, iri("agency", rc.agencies[item.number]))
        for code in item.channels:
            self.add(node, ZWGK.disclosureChannel, self.concept("channel", code))
        for code in item.audiences:
            self.add(node, ZWGK.audience, self.concept("audience", code))
        for code in item.modes:
            self.add(node, ZWGK.disclosureMode, self.concept("mode", code))
        for code in item.levels:
            self.add(node, ZWGK.disclosureLevel, self.concept("level", code))
        for text in item.unrecognized_levels:
            self.add(node, ZWGK.unrecognizedLevel, Literal(text))
        for phone in item.phones:
            self.add(node, ZWGK.contactPhone, Literal(phone))
        for k, (column, value) in enumerate(item.extras, 1):
            xnode = iri("catalog", cid, "item", item.number, "extra", k)
            self.add(node, ZWGK.extraField, xnode)
            self.add(xnode, RDF.type, ZWGK.ExtraField)
            self.add(xnode, RDFS.label, zh(column))
            self.add(xnode, RDF.value, Literal(value))

        row = iri("catalog", cid, "source", "line", item.source.line)
        self.add(node, PROV.wasDerivedFrom, row)
        self.add(row, RDF.type, ZWGK.SourceRow)
        self.add(row, ZWGK.sourceFile, src)
        self.add(row, ZWGK.lineNumber, Literal(item.source.line, datatype=XSD.integer))
        self.add(row, ZWGK.pageNumber, Literal(item.source.page, datatype=XSD.integer))
        self.add(row, ZWGK.rawLine, Literal(item.source.raw))
        if item.source.last_line:
            self.add(row, ZWGK.lastLineNumber, Literal(item.source.last_line, datatype=XSD.integer))
        for extra in item.source.continuation_lines:
            self.add(row, ZWGK.continuationLine, Literal(extra, datatype=XSD.integer))

        for c in item.citations:
            res = rc.resolutions[(item.number, c.ordinal)]
            inst = iri("instrument", res.instrument.id)
            cnode = iri("catalog", cid, "item", item.number, "citation", c.ordinal)
            self.add(node, ZWGK.legalBasis, inst)
            self.add(node, ZWGK.citation, cnode)
            self.add(cnode, RDF.type, ZWGK.Citation)
            self.add(cnode, ZWGK.citationNumber, Literal(c.ordinal, datatype=XSD.integer))
            self.add(cnode, ZWGK.citedText, Literal(c.text))
            if c.title:
                self.add(cnode, ZWGK.citedTitle, Literal(c.title))
            if c.number:
                self.add(cnode, ZWGK.citedNumber, Literal(c.number))
            if c.edition:
                self.add(cnode, ZWGK.citedEdition, Literal(str(c.edition), datatype=XSD.gYear))
            self.add(cnode, ZWGK.citesInstrument, inst)
            if res.version:
                self.add(cnode, ZWGK.citedVersion, iri("instrument", res.instrument.id, "version", res.version.id))
            self.add(cnode, ZWGK.resolution, Literal(res.method))
            self.add(cnode, PROV.wasDerivedFrom, row)

        for corr in item.corrections:
            knode = iri("catalog", cid, "item", item.number, "correction", corr.erratum_index)
            self.add(node, ZWGK.correction, knode)
            self.add(knode, RDF.type, ZWGK.Correction)
            self.add(knode, ZWGK.field, Literal(corr.field))
            self.add(knode, ZWGK.sourceValue, Literal(corr.source_value))
            self.add(knode, ZWGK.correctedValue, Literal(corr.corrected_value))
            self.add(knode, ZWGK.reason, en(corr.reason))
            self.add(knode, PROV.used, row)
            self.add(knode, DCTERMS.source, Literal(f"data/{corr.erratum_file}#erratum-{corr.erratum_index}"))
