"""Impact analysis: which items must be updated after a change to an instrument, and by when.

One module for the CLI (``zwgk impact``), the HTTP API and the pages
(``GET /impact/{instrument}``, the instrument page): given a change event — a
recorded one (``data/changes.toml``, in the graph) or a hypothetical one (what-if,
never recorded) — it lists every item, in every loaded catalog, that cites the
affected instrument, with the date by which its catalog must update it:

* the deadline is the item's own 公开时限 in working days (``zwgk:deadlineWorkingDays``);
* counted from the day after the change (民法典 第二百零一条: the first day is not counted);
* on the official calendar with its public holidays and adjusted working days (``workdays.py``).

An item whose catalog gives no working days, a change whose date is not known
to the day, and a deadline that runs past the calendar's last year get no date
and a reason. The graph is read through SPARQL (``QueryRunner``), so any store works.

Which items a change affects (``assess``, the one rule for the CLI, the pages and
the build's zwgk:UpdateObligation nodes that the named query change-impact reads):

* an item whose citations of the instrument name only the version the change
  produced, or later ones, is not affected (工伤保险条例 cited as 国务院令第586号
  after the 2010 revision); one that also names the replaced text is affected;
* in a catalog issued in a later year than the change no 公开时限 runs from the
  change, so there is no deadline: an item naming a replaced version is still to be
  *updated* (correct it), one naming no version is to be *reviewed* (whether it
  means the text in force cannot be told from the catalog);
* any other citing item is to be *updated* by its deadline;
* a what-if change dated before the text an item cites does not affect the item.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass, field

import pyoxigraph as ox

from .changes import TYPE_WORDS, ChangeEvent
from .graph import BASE, iri
from .queries import QueryRunner, render_table, rows
from .registry import Registry
from .workdays import LAW, Coverage, Deadline, coverage, deadline, parse_day

_PREFIXES = """PREFIX zwgk: <https://w3id.org/zwgk/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX eli: <http://data.europa.eu/eli/ontology#>
"""

CITING = _PREFIXES + """
SELECT ?instrument ?item ?catalog ?catalogTitle ?issued ?number ?name ?days ?deadlineText ?c ?cited ?v ?version
WHERE {
  ?item zwgk:legalBasis ?instrument ; zwgk:itemNumber ?number .
  OPTIONAL { ?item zwgk:inCatalog ?catalog
             OPTIONAL { ?catalog dct:title ?catalogTitle } OPTIONAL { ?catalog dct:issued ?issued } }
  OPTIONAL { ?item skos:prefLabel ?name }
  OPTIONAL { ?item zwgk:deadlineWorkingDays ?days }
  OPTIONAL { ?item zwgk:deadlineText ?deadlineText }
  OPTIONAL { ?item zwgk:citation ?c . ?c zwgk:citesInstrument ?instrument ; zwgk:citedText ?cited .
             OPTIONAL { ?c zwgk:citedVersion ?v . ?v rdfs:label ?version } }
}"""

VERSIONS = _PREFIXES + """
SELECT ?instrument ?v ?date WHERE {
  ?instrument zwgk:version ?v .
  OPTIONAL { ?v eli:date_document ?date }
}"""

EVENTS = _PREFIXES + """
SELECT ?instrument ?event ?type ?date ?inForce ?act ?by ?version ?confidence ?note ?source
WHERE {
  ?event zwgk:affectedInstrument ?instrument ; zwgk:changeEventType ?t .
  ?t skos:notation ?type .
  OPTIONAL { ?event zwgk:changeDate ?date }
  OPTIONAL { ?event zwgk:changeInForce ?inForce }
  OPTIONAL { ?event zwgk:affectingAct ?act }
  OPTIONAL { ?event zwgk:affectingInstrument ?by }
  OPTIONAL { ?event zwgk:resultingVersion ?version }
  OPTIONAL { ?event zwgk:confidence ?confidence }
  OPTIONAL { ?event zwgk:confidenceNote ?note }
  OPTIONAL { ?event dct:source ?source }
}"""

INSTRUMENT = _PREFIXES + """
SELECT ?instrument ?title ?number ?label WHERE {
  ?instrument a eli:LegalResource .
  OPTIONAL { ?instrument eli:title ?title }
  OPTIONAL { ?instrument eli:id_local ?number }
  OPTIONAL { ?instrument skos:prefLabel ?label }
}"""

TYPE_LABELS = {"promulgation": ("公布", "promulgation"), "amendment": ("修正", "amendment"),
               "revision": ("修订", "revision"), "repeal": ("废止", "repeal"),
               "replacement": ("替代", "replacement")}


class ImpactError(ValueError):
    """A user error: an unknown instrument, a bad date or type, a date outside the calendar."""


UPDATE, REVIEW = "update", "review"


@dataclass(frozen=True)
class Assessment:
    """What a change asks of one citing item: ``update`` by a deadline, or ``review`` (no deadline)."""

    action: str
    deadline: Deadline


def assess(event: ChangeEvent, cited: list[str | None], version_dates: dict[str, str | None],
           catalog_year: int | None, working_days: int | None) -> Assessment | None:
    """The one rule (module docstring) for one item: ``cited`` holds the version id each of the item's
    citations of the instrument names (None: no version), ``version_dates`` the instrument's versions
    with their dates. None when the change does not affect the item."""
    if not event.updates_citations:
        return None
    made = event.version
    made_date = version_dates.get(made) if made else None

    def current(v: str) -> bool:
        """The version the change made, or a text made after the change."""
        dated = version_dates.get(v)
        if made is not None:
            return v == made or bool(made_date and dated and dated > made_date)
        return bool(event.date and dated and dated > event.date)  # a what-if dated before this text existed

    named = [v for v in cited if v is not None]
    stale = sorted({v for v in named if not current(v)})
    if named and not stale:
        return None  # every version it names is the one the change produced, or a later one
    change_year = int(event.date[:4]) if event.date else None
    if change_year is not None and catalog_year is not None and catalog_year > change_year:
        if stale:  # a replaced text named in a catalog made after the change: to correct, but no 公开时限 runs
            return Assessment(UPDATE, Deadline(None, (
                f"update, no deadline: its citation names a version this change replaced ({', '.join(stale)}): "
                f"correct it; the catalog was issued in {catalog_year}, after this change ({event.date}), so no "
                "公开时限 runs from the change")))
        return Assessment(REVIEW, Deadline(None, (
            f"review, no deadline: the catalog was issued in {catalog_year}, after this change ({event.date}), "
            "so no 公开时限 runs from the change; its citation names no version: check that it means the text "
            "in force")))
    day = dt.date.fromisoformat(event.full_date) if event.full_date else None
    return Assessment(UPDATE, deadline(day, working_days))


@dataclass
class Instrument:
    iri: str
    id: str
    title: str | None
    number: str | None

    @property
    def label(self) -> str:
        name = self.title or self.number or self.id
        return f"{name} ({self.number})" if self.title and self.number else name


@dataclass
class ImpactItem:
    item: str
    number: int
    name: str | None
    catalog: str | None
    catalog_title: str | None
    catalog_year: int | None
    working_days: int | None
    deadline_text: str | None
    deadline: Deadline
    cited: list[str] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)
    version_ids: list[str | None] = field(default_factory=list)  # per citation: the version it names (None: none)
    action: str = UPDATE

    @property
    def catalog_id(self) -> str | None:
        prefix = BASE + "catalog/"
        return self.catalog[len(prefix):] if self.catalog and self.catalog.startswith(prefix) else self.catalog

    @property
    def note(self) -> str | None:
        return self.deadline.reason


@dataclass
class Impact:
    instrument: Instrument
    event: ChangeEvent
    items: list[ImpactItem]
    calendar: Coverage
    current: int = 0  # citing items left out: they already cite the version the change made, or a later one

    @property
    def note(self) -> str | None:
        if not self.event.updates_citations:
            return "a promulgation changes no item that cites the instrument: nothing to update"
        current = (f"{self.current} citing item{'s' if self.current != 1 else ''} already "
                   f"cite{'s' if self.current == 1 else ''} the version this change produced ({self.event.version}) "
                   "or a later one and need no update") if self.current else None
        if not self.items:
            return current + ": nothing to update" if current else "no item of the loaded catalogs cites this instrument"
        reviews = sum(1 for it in self.items if it.action == REVIEW)
        review = (f"{reviews} item{'s' if reviews != 1 else ''} to review without a deadline: "
                  "the catalog is younger than the change") if reviews else None
        return "; ".join(x for x in (current, review) if x) or None


# ---------------------------------------------------------------- reading the graph

def _instrument_id(instrument_iri: str) -> str:
    prefix = BASE + "instrument/"
    return instrument_iri[len(prefix):] if instrument_iri.startswith(prefix) else instrument_iri


def describe_instrument(runner: QueryRunner, instrument_iri: str) -> Instrument:
    found = rows(runner.run(INSTRUMENT, {ox.Variable("instrument"): ox.NamedNode(instrument_iri)}))[1]
    row = found[0] if found else {}
    return Instrument(instrument_iri, _instrument_id(instrument_iri), row.get("title"),
                      row.get("number") or (None if row.get("title") else row.get("label")))


def citing_items(runner: QueryRunner, instrument_iri: str) -> list[dict]:
    """Every item citing the instrument, once, with its catalog, deadline and citations."""
    found = rows(runner.run(CITING, {ox.Variable("instrument"): ox.NamedNode(instrument_iri)}))[1]
    items: dict[str, dict] = {}
    citations: dict[str, dict[str, str | None]] = {}
    for r in found:
        it = items.setdefault(r["item"], {
            "item": r["item"], "number": int(r["number"]), "name": r.get("name"), "catalog": r.get("catalog"),
            "catalog_title": r.get("catalogTitle"),
            "catalog_year": int(r["issued"][:4]) if r.get("issued", "")[:4].isdigit() else None,
            "working_days": int(r["days"]) if r.get("days") else None, "deadline_text": r.get("deadlineText"),
            "cited": [], "versions": []})
        for key, value in (("cited", r.get("cited")), ("versions", r.get("version"))):
            if value and value not in it[key]:
                it[key].append(value)
        if r.get("c"):
            citations.setdefault(r["item"], {})[r["c"]] = r["v"].rsplit("/", 1)[-1] if r.get("v") else None
    for key, it in items.items():
        it["version_ids"] = [v for _, v in sorted(citations.get(key, {}).items())] or [None]
    return sorted(items.values(), key=lambda x: (x["catalog"] or "", x["number"], x["item"]))


def version_dates(runner: QueryRunner, instrument_iri: str) -> dict[str, str | None]:
    """The instrument's versions (their ids) with their dates, as the graph states them."""
    found = rows(runner.run(VERSIONS, {ox.Variable("instrument"): ox.NamedNode(instrument_iri)}))[1]
    return {r["v"].rsplit("/", 1)[-1]: r.get("date") for r in found}


def recorded_events(runner: QueryRunner, instrument_iri: str) -> list[tuple[str, ChangeEvent]]:
    """The change events of the graph that affect the instrument: (event IRI, event), by date."""
    found = rows(runner.run(EVENTS, {ox.Variable("instrument"): ox.NamedNode(instrument_iri)}))[1]
    events: dict[str, ChangeEvent] = {}
    for r in found:
        if r["event"] in events:
            continue
        version = r.get("version")
        events[r["event"]] = ChangeEvent(
            id=r["event"].rsplit("/", 1)[-1], type=r["type"], instrument=_instrument_id(instrument_iri),
            by=_instrument_id(r["by"]) if r.get("by") else None, act=r.get("act"),
            version=version.rsplit("/", 1)[-1] if version else None, date=r.get("date"),
            date_in_force=r.get("inForce"), confidence=r.get("confidence"), confidence_note=r.get("note"),
            source=r.get("source"))
    order = {t: i for i, t in enumerate(TYPE_LABELS)}
    return sorted(events.items(), key=lambda kv: (kv[1].date or "9999", order.get(kv[1].type, 9), kv[0]))


# ---------------------------------------------------------------- the analysis

def analyse(runner: QueryRunner, instrument_iri: str, event: ChangeEvent,
            items: list[dict] | None = None, versions: dict[str, str | None] | None = None) -> Impact:
    """The items affected by ``event``, each to update by its deadline or to review (``assess``)."""
    cov = coverage()
    out, current = [], 0
    if event.updates_citations:
        if versions is None:
            versions = version_dates(runner, instrument_iri)
        for it in citing_items(runner, instrument_iri) if items is None else items:
            found = assess(event, it["version_ids"], versions, it["catalog_year"], it["working_days"])
            if found is None:
                current += 1
                continue
            out.append(ImpactItem(deadline=found.deadline, action=found.action, **it))
    return Impact(describe_instrument(runner, instrument_iri), event, out, cov, current)


def resolve(registry: Registry, text: str) -> str:
    """The IRI of the instrument a person names (an id of the registry, a title or a number in any spelling)."""
    from .registry import ResolutionError

    if text in registry.by_id:
        return str(iri("instrument", text))
    try:
        return str(iri("instrument", registry.resolve_text(text).instrument.id))
    except ResolutionError as exc:
        raise ImpactError(str(exc)) from None


def what_if(runner: QueryRunner, registry: Registry, instrument: str, date: str, type_word: str = "amended") -> Impact:
    """A hypothetical change (nothing is recorded): every citing item with its deadline.
    ImpactError when the instrument is unknown, the type or date malformed, or the date outside the calendar."""
    instrument_iri = resolve(registry, instrument)
    if type_word not in TYPE_WORDS:
        raise ImpactError(f"--type {type_word!r} is not one of {', '.join(TYPE_WORDS)}")
    if not isinstance(date, str) or len(date.strip()) != 10:
        raise ImpactError(f"--date {date!r} is not a date: write it as YYYY-MM-DD, e.g. 2025-09-30")
    try:
        day = parse_day(date)
    except ValueError as exc:
        raise ImpactError(f"--date {exc}") from None
    cov = coverage()
    if day < cov.first:
        raise ImpactError(
            f"--date {day.isoformat()} is before the official holiday calendar ({cov.describe()}): the package holds "
            f"the State Council's arrangements from {cov.first_year} on only, so no deadline can be computed for a "
            f"change in {day.year}; give a date from {cov.first.isoformat()} on")
    if not cov.covers(day):
        raise ImpactError(
            f"--date {day.isoformat()} is outside the official holiday calendar ({cov.describe()}): "
            f"no deadline can be computed for it. Update the package (pip install -U chinesecalendar) once the "
            f"State Council has published the arrangements for {day.year}")
    event = ChangeEvent(id="hypothetical", type=TYPE_WORDS[type_word], instrument=_instrument_id(instrument_iri),
                        date=day.isoformat(), hypothetical=True)
    return analyse(runner, instrument_iri, event)


# ---------------------------------------------------------------- output

def rule_text(cov: Coverage) -> str:
    return (f"deadline = the item's 公开时限 in working days, counted from the day after the change "
            f"({LAW}: the day of the change is not counted), on the official calendar with its holidays and "
            f"adjusted working days (调休); {cov.describe()}")


def headline(impact: Impact) -> str:
    e = impact.event
    zh_type, en_type = TYPE_LABELS.get(e.type, (e.type, e.type))
    what = "hypothetical " if e.hypothetical else "recorded "
    when = f" on {e.date}" if e.date else " (date unknown)"
    conf = f", confidence {e.confidence}" if e.confidence else ""
    by = f" by {e.act}" if e.act else ""
    return f"{impact.instrument.label}: {what}{en_type} ({zh_type}){by}{when}{conf}"


def as_dict(impact: Impact) -> dict:
    e, cov = impact.event, impact.calendar
    return {
        "instrument": {"iri": impact.instrument.iri, "id": impact.instrument.id, "title": impact.instrument.title,
                       "number": impact.instrument.number},
        "change": {"type": e.type, "date": e.date, "date_in_force": e.date_in_force, "act": e.act,
                   "by": str(iri("instrument", e.by)) if e.by else None, "hypothetical": e.hypothetical,
                   "iri": None if e.hypothetical else str(iri("change", e.id)),
                   "confidence": e.confidence, "confidence_note": e.confidence_note, "source": e.source},
        "rule": rule_text(cov),
        "calendar": {"package": cov.package, "version": cov.version, "first_year": cov.first_year,
                     "last_year": cov.last_year},
        "note": impact.note,
        "already_current": impact.current,
        "items": [{"catalog": it.catalog, "catalog_id": it.catalog_id, "catalog_title": it.catalog_title,
                   "item": it.item, "number": it.number, "name": it.name, "working_days": it.working_days,
                   "deadline_text": it.deadline_text, "action": it.action, "deadline": it.deadline.iso,
                   "reason": it.deadline.reason, "cited": it.cited, "cited_versions": it.versions}
                  for it in impact.items],
    }


def as_json(impact: Impact) -> str:
    return json.dumps(as_dict(impact), ensure_ascii=False, indent=2) + "\n"


CSV_COLUMNS = ("catalog", "item", "number", "name", "working_days", "action", "deadline", "reason", "cited_versions")


def _csv_row(it: ImpactItem) -> list:
    return [it.catalog_id or "", it.item, it.number, it.name or "", "" if it.working_days is None else it.working_days,
            it.action, it.deadline.iso or "", it.deadline.reason or "", "；".join(it.versions)]


def as_csv(impact: Impact) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for it in impact.items:
        w.writerow(_csv_row(it))
    return out.getvalue()


def recorded_csv(impacts: list[Impact]) -> str:
    """The recorded events' analyses as one CSV: the columns of ``as_csv``, each row led by its change event."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(("change",) + CSV_COLUMNS)
    for impact in impacts:
        for it in impact.items:
            w.writerow([str(iri("change", impact.event.id))] + _csv_row(it))
    return out.getvalue()


def as_table(impact: Impact) -> str:
    head = [headline(impact), rule_text(impact.calendar)]
    if impact.note:
        head.append(impact.note)
    noted = any(it.deadline.reason for it in impact.items)
    body = [[it.catalog_id or "", str(it.number), it.name or "",
             "" if it.working_days is None else str(it.working_days), it.action, it.deadline.iso or "—",
             "；".join(it.versions)] + ([it.deadline.reason or ""] if noted else []) for it in impact.items]
    names = ["catalog", "item", "name", "working days", "action", "deadline", "cited version"] + (
        ["no date because"] if noted else [])
    table = render_table(names, body)
    n = len(body)
    table = table.replace(f"({n} row{'s' if n != 1 else ''})", f"({n} item{'s' if n != 1 else ''})")
    return "\n".join(head) + "\n\n" + table


FORMATS = {"table": as_table, "json": as_json, "csv": as_csv}

__all__ = ["Impact", "ImpactItem", "ImpactError", "Assessment", "assess", "analyse", "recorded_csv", "what_if", "recorded_events", "citing_items",
           "resolve", "as_dict", "as_json", "as_csv", "as_table", "FORMATS", "headline", "rule_text"]
