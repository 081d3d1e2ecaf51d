"""The data-quality report: SHACL shapes (``shapes/*.ttl``) run by pySHACL.

``validate()`` always returns a ``Report`` (conforms, results, report graph).
``conforms`` means *no Violation*: Warnings and Infos are reported but do not
fail a catalog. ``zwgk validate`` exits 0 when there is no Violation, 1 when
there is, 2 on an error (the pySHACL convention).
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, SH

from .graph import ZWGK
from .text import is_cjk

SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}
# links from an item to the nodes that belong to it
_ITEM_PARTS = (ZWGK.citation, ZWGK.disclosureElement, ZWGK.correction, PROV.wasDerivedFrom)


@dataclass(frozen=True)
class Result:
    severity: str
    focus: str
    item: int | None
    path: str | None
    message: str
    message_en: str | None
    constraint: str
    shape: str | None
    value: str | None


@dataclass
class Report:
    conforms: bool
    results: list[Result]
    graph: Graph

    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in SEVERITY_ORDER}
        for r in self.results:
            out[r.severity] += 1
        return out


def load_shapes(folder: Path) -> Graph:
    shapes = Graph()
    files = sorted(folder.glob("*.ttl"))
    if not files:
        raise FileNotFoundError(f"no SHACL shapes (*.ttl) in {folder}")
    for f in files:
        shapes.parse(f, format="turtle")
    return shapes


def _item_numbers(data: Graph) -> dict[URIRef, int]:
    numbers: dict[URIRef, int] = {}
    for item, number in data.subject_objects(ZWGK.itemNumber):
        numbers[item] = int(number)
        for prop in _ITEM_PARTS:
            for part in data.objects(item, prop):
                numbers.setdefault(part, int(number))
    return numbers


def _template(message: Literal) -> re.Pattern[str]:
    parts = re.split(r"\{[?$]\w+\}", str(message))
    return re.compile(".*?".join(re.escape(p) for p in parts) + r"\Z", re.S)


def _messages(report_graph: Graph, result, shapes: Graph) -> tuple[str | None, str | None]:
    """The zh and en message of a result. pySHACL drops the language tag when it
    fills in a message template, so each message is matched back to the tagged
    templates of its constraint (then of its shape); a SPARQL constraint's own
    message wins over the static message of the node shape that holds it."""
    templates = []  # (priority, language, pattern): the constraint's own templates first
    for priority, source in enumerate((report_graph.value(result, SH.sourceConstraint),
                                       report_graph.value(result, SH.sourceShape))):
        if source is not None:
            templates += [(priority, m.language, _template(m)) for m in shapes.objects(source, SH.message)
                          if isinstance(m, Literal)]
    found: dict[str, tuple[int, str]] = {}
    for m in sorted(report_graph.objects(result, SH.resultMessage), key=str):
        match = next(((p, lang) for p, lang, t in sorted(templates, key=lambda x: x[0]) if lang and t.match(str(m))), None)
        if m.language:
            match = (match[0] if match else 2, m.language)
        if match is None:  # no template matched: tell by the first letter
            first = next((ch for ch in str(m) if ch.isalpha()), "")
            match = (2, "zh" if is_cjk(first) else "en")
        priority, lang = match
        if lang not in found or priority < found[lang][0]:
            found[lang] = (priority, str(m))
    return (found["zh"][1] if "zh" in found else None), (found["en"][1] if "en" in found else None)


def validate(data: Graph, shapes: Graph) -> Report:
    from pyshacl import validate as shacl_validate

    _, report_graph, _ = shacl_validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True, abort_on_first=False
    )
    numbers = _item_numbers(data)
    results = []
    for node in report_graph.subjects(SH.resultSeverity, None):
        severity = str(report_graph.value(node, SH.resultSeverity)).rsplit("#", 1)[-1]
        focus = report_graph.value(node, SH.focusNode)
        zh, en = _messages(report_graph, node, shapes)
        path = report_graph.value(node, SH.resultPath)
        value = report_graph.value(node, SH.value)
        results.append(
            Result(
                severity=severity,
                focus=str(focus),
                item=numbers.get(focus),
                path=str(path) if isinstance(path, URIRef) else None,
                message=zh or en or "",
                message_en=en,
                constraint=str(report_graph.value(node, SH.sourceConstraintComponent)),
                shape=str(report_graph.value(node, SH.sourceShape)) if isinstance(report_graph.value(node, SH.sourceShape), URIRef) else None,
                value=str(value) if value is not None else None,
            )
        )
    results.sort(key=lambda r: (r.item is None, r.item or 0, SEVERITY_ORDER.get(r.severity, 9), r.constraint, r.path or "", r.focus, r.message))
    conforms = not any(r.severity == "Violation" for r in results)
    return Report(conforms, results, report_graph)


# ---------------------------------------------------------------- formats

def as_json(report: Report) -> str:
    keys = ("severity", "focus", "item", "path", "message", "constraint")
    doc = {
        "conforms": report.conforms,
        "counts": report.counts(),
        "results": [{k: asdict(r)[k] for k in keys} | {"message_en": r.message_en, "value": r.value, "shape": r.shape} for r in report.results],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def as_text(report: Report) -> str:
    """Readable by a person: grouped by item, most severe first."""
    c = report.counts()
    lines = [
        f"{'conforms' if report.conforms else 'does not conform'}: "
        f"{c['Violation']} violations, {c['Warning']} warnings, {c['Info']} notes"
    ]
    current = object()
    for r in sorted(report.results, key=lambda r: (r.item is None, r.item or 0, SEVERITY_ORDER.get(r.severity, 9))):
        if r.item != current:
            current = r.item
            lines.append("")
            lines.append(f"item {r.item}" if r.item is not None else "not tied to an item")
        where = f" [{r.path.rsplit('#', 1)[-1].rsplit('/', 1)[-1]}]" if r.path else ""
        en = f" / {r.message_en}" if r.message_en and r.message_en != r.message else ""
        focus = "" if r.item is not None else f" {r.focus}"
        shown = f" ({r.value})" if r.value and not r.value.startswith(("http://", "https://")) and r.value not in r.message else ""
        lines.append(f"  {r.severity:<9}{where}{focus} {r.message}{shown}{en}")
    return "\n".join(lines) + "\n"


def as_html(report: Report) -> str:
    c = report.counts()
    rows = "\n".join(
        f"<tr class='{html.escape(r.severity.lower())}'><td>{'' if r.item is None else r.item}</td>"
        f"<td>{html.escape(r.severity)}</td><td>{html.escape(r.path or '')}</td>"
        f"<td lang='zh'>{html.escape(r.message)}</td><td lang='en'>{html.escape(r.message_en or '')}</td>"
        f"<td>{html.escape(r.focus)}</td></tr>"
        for r in report.results
    )
    return (
        "<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>zwgk data-quality report</title></head><body>"
        f"<h1>Data-quality report</h1><p>{'Conforms' if report.conforms else 'Does not conform'}: "
        f"{c['Violation']} violations, {c['Warning']} warnings, {c['Info']} notes.</p>"
        "<table><thead><tr><th>item</th><th>severity</th><th>path</th><th>message</th><th>message (en)</th><th>focus</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></body></html>\n"
    )


def as_turtle(report: Report) -> str:
    return report.graph.serialize(format="turtle")


FORMATS = {"text": as_text, "json": as_json, "ttl": as_turtle, "html": as_html}
