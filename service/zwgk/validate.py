"""The data-quality report: SHACL shapes (``shapes/*.ttl``) run by pySHACL.

``validate()`` always returns a ``Report`` (conforms, results, report graph).
``conforms`` means *no Violation*: Warnings and Infos are reported but do not
fail a catalog. ``zwgk validate`` exits 0 when there is no Violation, 1 when
there is, 2 on an error (the pySHACL convention).
"""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, SH

from .graph import ZWGK

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
        messages = list(report_graph.objects(node, SH.resultMessage))
        zh = next((str(m) for m in messages if isinstance(m, Literal) and m.language == "zh"), None)
        en = next((str(m) for m in messages if isinstance(m, Literal) and m.language == "en"), None)
        plain = next((str(m) for m in messages if not getattr(m, "language", None)), None)
        path = report_graph.value(node, SH.resultPath)
        value = report_graph.value(node, SH.value)
        results.append(
            Result(
                severity=severity,
                focus=str(focus),
                item=numbers.get(focus),
                path=str(path) if isinstance(path, URIRef) else None,
                message=zh or en or plain or "",
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
        lines.append(f"  {r.severity:<9}{where}{focus} {r.message}{en}")
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
