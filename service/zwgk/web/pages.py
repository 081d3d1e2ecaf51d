"""HTML rendering helpers for the linked-data pages.

* ``environment()``: the Jinja2 environment (templates in ``web/templates``,
  autoescape always on). ``base.html`` is the shared layout (blocks ``title``,
  ``head``, ``content``); other routers may extend it too.
* ``Graph``: a small read-only index over the triples of one description
  (pyoxigraph terms), with label lookup.
* ``View``: what a template uses to write a term: ``link()`` (every IRI becomes
  a link to its page), ``literal()`` (with a ``lang`` attribute), ``value()``,
  ``prop()`` (a property's Chinese and English labels). Everything it returns
  is ``Markup`` built from escaped parts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup

TEMPLATES = Path(__file__).parent / "templates"

ZWGK = "https://w3id.org/zwgk/ontology#"
ONTOLOGY = "https://w3id.org/zwgk/ontology"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
ELI = "http://data.europa.eu/eli/ontology#"
PROV = "http://www.w3.org/ns/prov#"

PREFIXES = {
    "zwgk": ZWGK,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "dct": DCT,
    "dcat": "http://www.w3.org/ns/dcat#",
    "eli": ELI,
    "cv": "http://data.europa.eu/m8g/",
    "cpsv": "http://purl.org/vocab/cpsv#",
    "org": "http://www.w3.org/ns/org#",
    "prov": PROV,
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "void": "http://rdfs.org/ns/void#",
    "vann": "http://purl.org/vocab/vann/",
    "sh": "http://www.w3.org/ns/shacl#",
}

# Labels of terms from other vocabularies (the graph holds labels of our own terms only).
EXTERNAL_LABELS: dict[str, tuple[str, str]] = {
    RDF + "type": ("类型", "type"),
    RDFS + "label": ("标签", "label"),
    RDFS + "comment": ("说明", "comment"),
    RDFS + "seeAlso": ("参见", "see also"),
    RDFS + "domain": ("定义域", "domain"),
    RDFS + "range": ("值域", "range"),
    RDFS + "subClassOf": ("上位类", "subclass of"),
    RDFS + "subPropertyOf": ("上位属性", "subproperty of"),
    RDFS + "isDefinedBy": ("定义于", "defined by"),
    OWL + "inverseOf": ("逆属性", "inverse of"),
    OWL + "versionInfo": ("版本", "version"),
    SKOS + "prefLabel": ("名称", "preferred label"),
    SKOS + "altLabel": ("别名", "alternative label"),
    SKOS + "notation": ("代码", "notation"),
    SKOS + "definition": ("定义", "definition"),
    SKOS + "inScheme": ("所属代码表", "in scheme"),
    SKOS + "topConceptOf": ("顶层概念于", "top concept of"),
    SKOS + "hasTopConcept": ("顶层概念", "has top concept"),
    SKOS + "Concept": ("概念", "Concept"),
    SKOS + "ConceptScheme": ("代码表", "Concept scheme"),
    DCT + "title": ("标题", "title"),
    DCT + "description": ("描述", "description"),
    DCT + "publisher": ("编制单位", "publisher"),
    DCT + "spatial": ("行政区域", "jurisdiction"),
    DCT + "issued": ("发布", "issued"),
    DCT + "subject": ("领域", "subject"),
    DCT + "source": ("来源", "source"),
    DCT + "format": ("格式", "format"),
    DCT + "created": ("创建", "created"),
    DCT + "license": ("许可", "license"),
    DCT + "Location": ("地点", "Location"),
    "http://www.w3.org/ns/dcat#Catalog": ("数据目录", "Catalog"),
    "http://www.w3.org/ns/dcat#mediaType": ("媒体类型", "media type"),
    "http://www.w3.org/ns/org#Organization": ("机关", "Organization"),
    PROV + "wasDerivedFrom": ("来源于", "derived from"),
    PROV + "used": ("使用", "used"),
    ELI + "LegalResource": ("法规文件", "Legal resource"),
    ELI + "title": ("标题", "title"),
    ELI + "id_local": ("文号", "document number"),
    ELI + "type_document": ("文件类型", "document type"),
    ELI + "passed_by": ("制定机关", "passed by"),
    ELI + "date_document": ("公布日期", "date of document"),
    ELI + "first_date_entry_in_force": ("施行日期", "first date of entry into force"),
    ELI + "date_no_longer_in_force": ("失效日期", "date no longer in force"),
    ELI + "in_force": ("效力", "in force"),
    ELI + "amends": ("修改", "amends"),
    ELI + "amended_by": ("被修改", "amended by"),
    ELI + "repeals": ("废止", "repeals"),
    ELI + "repealed_by": ("被废止", "repealed by"),
    ELI + "InForce-inForce": ("有效", "in force"),
    ELI + "InForce-notInForce": ("失效", "not in force"),
    ELI + "InForce-partiallyInForce": ("部分有效", "partially in force"),
    "http://purl.org/vocab/vann/preferredNamespacePrefix": ("推荐前缀", "preferred namespace prefix"),
    "http://purl.org/vocab/vann/preferredNamespaceUri": ("命名空间", "preferred namespace URI"),
    OWL + "Class": ("类", "Class"),
    OWL + "ObjectProperty": ("对象属性", "Object property"),
    OWL + "DatatypeProperty": ("数据属性", "Datatype property"),
    OWL + "AnnotationProperty": ("注释属性", "Annotation property"),
    OWL + "Ontology": ("本体", "Ontology"),
}

LABEL_PROPERTIES = (SKOS + "prefLabel", RDFS + "label", ELI + "title", DCT + "title")


def environment() -> Environment:
    """The Jinja2 environment of the web pages: autoescape on for every template."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.globals["bi"] = bilingual
    return env


def page_href(iri: str | None, base: str) -> str | None:
    """The local page (``/id/…``) of a data IRI under ``base``; any other IRI as it is."""
    if not iri:
        return None
    return "/id/" + iri[len(base):] if iri.startswith(base) else iri


def bilingual(zh: str, en: str | None = None) -> Markup:
    """``zh`` followed by ``en`` in a ``lang="en"`` span (both escaped)."""
    if not en:
        return Markup('<span lang="zh">{}</span>').format(zh)
    return Markup('<span lang="zh">{}</span> <span class="en" lang="en">{}</span>').format(zh, en)


# ---------------------------------------------------------------- terms

def iri(value: str) -> ox.NamedNode:
    return ox.NamedNode(value)


def curie(value: str) -> str:
    """``zwgk:itemNumber`` for a term of a known namespace, else the IRI."""
    for prefix, ns in PREFIXES.items():
        if value.startswith(ns) and len(value) > len(ns) and "/" not in value[len(ns):] and "#" not in value[len(ns):]:
            return f"{prefix}:{value[len(ns):]}"
    return value


def local_name(value: str) -> str:
    return value.rstrip("/").rsplit("#", 1)[-1].rsplit("/", 1)[-1] or value


def sort_key(term) -> tuple:
    """A deterministic order for terms: numbers by value, then text."""
    if isinstance(term, ox.Literal):
        if term.datatype.value in (XSD + "integer", XSD + "int", XSD + "decimal"):
            try:
                return (0, float(term.value), "")
            except ValueError:
                pass
        rank = {"zh": 0, "en": 1}.get(term.language or "", 2)
        return (1, 0.0, rank, term.value)
    if isinstance(term, ox.NamedNode):
        # item/10 after item/9: compare trailing numbers as numbers
        head, _, tail = term.value.rpartition("/")
        if tail.isdigit():
            return (2, 0.0, head, int(tail))
        return (2, 0.0, term.value, -1)
    return (3, 0.0, str(term))


class Graph:
    """Triples indexed by subject and predicate, and by predicate and object."""

    def __init__(self, triples: Iterable = ()):
        self.triples: list = []
        self._sp: dict = defaultdict(lambda: defaultdict(list))
        self._po: dict = defaultdict(lambda: defaultdict(list))
        seen = set()
        for t in triples:
            key = (t.subject, t.predicate, t.object)
            if key in seen:
                continue
            seen.add(key)
            self.triples.append(t)
            self._sp[t.subject][t.predicate].append(t.object)
            self._po[t.predicate][t.object].append(t.subject)

    def __len__(self) -> int:
        return len(self.triples)

    def __contains__(self, subject) -> bool:
        return subject in self._sp

    def add(self, triples: Iterable) -> None:
        for t in triples:
            if t.object not in self._sp[t.subject][t.predicate]:
                self.triples.append(t)
                self._sp[t.subject][t.predicate].append(t.object)
                self._po[t.predicate][t.object].append(t.subject)

    def predicates(self, s) -> list:
        return sorted(self._sp.get(s, {}).keys(), key=lambda p: p.value)

    def objects(self, s, p: str) -> list:
        return sorted(self._sp.get(s, {}).get(ox.NamedNode(p), []), key=sort_key)

    def value(self, s, p: str):
        values = self.objects(s, p)
        return values[0] if values else None

    def text(self, s, p: str, default: str = "") -> str:
        v = self.value(s, p)
        return v.value if v is not None else default

    def subjects(self, p: str, o) -> list:
        return sorted(self._po.get(ox.NamedNode(p), {}).get(o, []), key=sort_key)

    def types(self, s) -> list[str]:
        return [t.value for t in self.objects(s, RDF + "type")]

    def label(self, term, lang: str = "zh") -> str | None:
        """The best label: one in ``lang``, else one with no language, else any."""
        literals = [v for p in LABEL_PROPERTIES for v in self.objects(term, p) if isinstance(v, ox.Literal)]
        for test in (lambda v: v.language == lang, lambda v: not v.language, lambda v: True):
            for v in literals:
                if test(v):
                    return v.value
        return None

    def label_en(self, term) -> str | None:
        for p in LABEL_PROPERTIES:
            for v in self.objects(term, p):
                if isinstance(v, ox.Literal) and v.language == "en":
                    return v.value
        return None


class View:
    """Writes terms as HTML for one page: IRIs under the data base link to
    their page, ontology terms to the ontology page, other IRIs to themselves."""

    def __init__(self, graph: Graph, base: str, terms: dict[str, dict] | None = None, prefix: str = ""):
        self.g = graph
        self.base = base
        self.terms = terms or {}  # ontology term IRI -> {"zh": …, "en": …, "definition": …}
        self.prefix = prefix  # the path the app is served under ("" at the root)

    # -------------------------------------------------------------- places
    def href(self, term) -> str | None:
        value = term.value if isinstance(term, ox.NamedNode) else str(term) if isinstance(term, str) else None
        if value is None:
            return None
        if value.startswith(self.base):
            return f"{self.prefix}/id/{value[len(self.base):]}"
        if value == ONTOLOGY:
            return f"{self.prefix}/ontology"
        if value.startswith(ZWGK):
            return f"{self.prefix}/ontology#{value[len(ZWGK):]}"
        if value.startswith(("http://", "https://")):
            return value
        return None

    # -------------------------------------------------------------- labels
    def label(self, term) -> str:
        if isinstance(term, ox.Literal):
            return term.value
        if isinstance(term, ox.BlankNode):
            return "_:" + term.value
        found = self.g.label(term)
        if found:
            return found
        described = self._described_label(term)
        if described:
            return described
        info = self.terms.get(term.value)
        if info and (info.get("zh") or info.get("en")):
            return info.get("zh") or info.get("en")
        if term.value in EXTERNAL_LABELS:
            return EXTERNAL_LABELS[term.value][0]
        short = curie(term.value)
        if short != term.value:
            return short
        if term.value.startswith(self.base):
            return term.value[len(self.base):]
        return term.value

    def _described_label(self, term) -> str | None:
        """A label for an unlabelled sub-node from its own numbers (source row, citation, correction)."""
        line = self.g.value(term, ZWGK + "lineNumber")
        if line is not None:
            return f"第 {line.value} 行 (line {line.value})"
        number = self.g.value(term, ZWGK + "citationNumber")
        if number is not None:
            return f"引用 {number.value} (citation {number.value})"
        field = self.g.value(term, ZWGK + "field")
        if field is not None:
            return f"勘误 {local_name(term.value)}：{field.value} (correction)"
        return None

    def label_en(self, term) -> str | None:
        if not isinstance(term, ox.NamedNode):
            return None
        found = self.g.label_en(term)
        if found:
            return found
        info = self.terms.get(term.value)
        if info and info.get("en"):
            return info["en"]
        if term.value in EXTERNAL_LABELS:
            return EXTERNAL_LABELS[term.value][1]
        return None

    # -------------------------------------------------------------- markup
    def link(self, term, text: str | None = None, *, en: bool = False) -> Markup:
        """A link to the term's page, labelled (in Chinese; ``en`` adds English)."""
        if isinstance(term, ox.Literal):
            return self.literal(term)
        if isinstance(term, ox.BlankNode):
            return Markup('<span class="bnode">{}</span>').format("_:" + term.value)
        label = text if text is not None else self.label(term)
        href = self.href(term)
        inner = Markup('<span lang="{}">{}</span>').format(_guess_lang(label), label)
        if en:
            english = self.label_en(term)
            if english and english != label:
                inner += Markup(' <span class="en" lang="en">{}</span>').format(english)
        if href is None:
            return Markup('<span title="{}">{}</span>').format(term.value, inner)
        return Markup('<a href="{}" title="{}">{}</a>').format(href, term.value, inner)

    def literal(self, term) -> Markup:
        if not isinstance(term, ox.Literal):
            return self.link(term)
        if term.language:
            return Markup('<span class="lit" lang="{}">{}</span>').format(term.language, term.value)
        if term.datatype.value in (XSD + "string",):
            if _guess_lang(term.value) == "zh":
                return Markup('<span class="lit" lang="zh">{}</span>').format(term.value)
            return Markup('<span class="lit">{}</span>').format(term.value)
        return Markup('<span class="lit typed" title="{}">{}</span>').format(curie(term.datatype.value), term.value)

    def value(self, term, *, en: bool = False) -> Markup:
        return self.literal(term) if isinstance(term, ox.Literal) else self.link(term, en=en)

    def values(self, terms: Iterable, sep: str = "、", *, en: bool = False) -> Markup:
        return Markup(sep).join(self.value(t, en=en) for t in terms)

    def prop(self, predicate) -> Markup:
        """A property name: Chinese label, English label, linked, with its CURIE as hover."""
        value = predicate.value if isinstance(predicate, ox.NamedNode) else str(predicate)
        info = self.terms.get(value) or {}
        zh = info.get("zh") or EXTERNAL_LABELS.get(value, (None, None))[0]
        en = info.get("en") or EXTERNAL_LABELS.get(value, (None, None))[1]
        short = curie(value)
        href = self.href(ox.NamedNode(value))
        text = bilingual(zh, en) if zh else Markup('<span lang="en">{}</span>').format(en or short)
        if href:
            return Markup('<a class="prop" href="{}" title="{}">{}</a>').format(href, short, text)
        return Markup('<span class="prop" title="{}">{}</span>').format(short, text)

    def iri_text(self, term) -> Markup:
        """The IRI itself, as a link to its page."""
        value = term.value if isinstance(term, ox.NamedNode) else str(term)
        href = self.href(ox.NamedNode(value)) if value.startswith(("http://", "https://")) else None
        if href:
            return Markup('<a class="iri" href="{}"><code>{}</code></a>').format(href, value)
        return Markup("<code>{}</code>").format(value)

    def curie(self, term) -> str:
        return curie(term.value if isinstance(term, ox.NamedNode) else str(term))

    def text(self, s, p: str, default: str = "") -> str:
        return self.g.text(s, p, default)

    def property_rows(self, subject, skip: Iterable[str] = ()) -> list[tuple[Markup, list]]:
        """``(property markup, sorted objects)`` for every property of ``subject``
        not in ``skip``: rdf:type first, then labels, then by CURIE."""
        skipped = set(skip)
        first = [RDF + "type", SKOS + "prefLabel", RDFS + "label", ELI + "title", DCT + "title"]
        preds = [p for p in self.g.predicates(subject) if p.value not in skipped]
        preds.sort(key=lambda p: (first.index(p.value) if p.value in first else len(first), curie(p.value)))
        return [(self.prop(p), self.g.objects(subject, p.value)) for p in preds]


def _guess_lang(text: str) -> str:
    """``zh`` if the text has a CJK character, else ``en``."""
    return "zh" if any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in str(text)) else "en"
