"""Impact analysis and catalog diffs over HTTP.

``GET /impact/{instrument}``: the instrument's timeline, its recorded change
events (``data/changes.toml``) each with the items it affects and their
deadlines, and with ``?date=YYYY-MM-DD&type=amended|revised|repealed|replaced``
a hypothetical change (nothing is recorded). ``{instrument}`` is a registry id
(``social-insurance-handling-regulation``) or any spelling the resolver
accepts. HTML, JSON or CSV by ``Accept`` or ``?format=html|json|csv``.

``GET /diff?old=ID&new=ID``: two editions of a catalog compared (catalog ids of
``data/catalogs.toml``; never a file path: the server reads no file a request
names). HTML, JSON or Turtle (the zwgk:CatalogDiff change set).

Both run the same code as the CLI (``zwgk.impact``, ``zwgk.diff``).
"""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from markupsafe import Markup

from ..changes import TYPE_WORDS
from ..diff import as_dict as diff_dict, as_turtle, diff_editions, load_edition
from ..impact import (TYPE_LABELS, Impact, ImpactError, analyse, as_csv, as_dict, citing_items, recorded_csv,
                      recorded_events, resolve, rule_text, version_dates, what_if)
from ..records import SourceError
from ..workdays import coverage
from . import svg
from .errors import BadRequest, NotFound
from .negotiation import HTML, RDF, REPORT_ALIASES, REPORT_CSV, REPORT_JSON, choose
from .pages import environment, page_href
from .respond import page_response

IMPACT_FORMATS = (HTML, REPORT_JSON, REPORT_CSV)
DIFF_FORMATS = (HTML, REPORT_JSON, RDF[0])
LABELS = {"json": "JSON", "csv": "CSV", "turtle": "Turtle", "html": "HTML"}


class ImpactView:
    """What the templates show of one analysis: the impact, its event, links."""

    def __init__(self, impact: Impact, href, event_iri: str | None = None):
        self.impact = impact
        self.event = impact.event
        self.type_zh = TYPE_LABELS.get(self.event.type, (self.event.type,))[0]
        self.href = href(event_iri) if event_iri else None
        self.by_href = href(impact.instrument.iri.rsplit("/", 1)[0] + "/" + self.event.by) if self.event.by else None
        self.by_label = self.event.by


def impact_views(runner, instrument_iri: str, href) -> list[ImpactView]:
    """The recorded change events of an instrument, each analysed (the citing items are read once)."""
    items = citing_items(runner, instrument_iri)
    versions = version_dates(runner, instrument_iri)
    return [ImpactView(analyse(runner, instrument_iri, event, items, versions), href, event_iri)
            for event_iri, event in recorded_events(runner, instrument_iri)]


def timeline_events(views: list[ImpactView], href) -> list[tuple[str, str, str, str | None]]:
    events = []
    for x in views:
        e = x.event
        label = e.act or x.type_zh
        if e.date:
            events.append((e.date, label, e.type, x.href))
        if e.date_in_force and e.type != "repeal":
            events.append((e.date_in_force, f"{label} 施行", "entry-into-force", x.href))
    return events


def router(state) -> APIRouter:
    r = APIRouter(tags=["impact analysis"])
    env = environment()
    diff_cache: dict = {}

    def href(iri: str) -> str:
        return page_href(iri, state.settings.base_iri)

    def alternates(path: str, params: dict, table) -> list[dict]:
        out = []
        for f in table:
            if f.name == "html":
                continue
            query = urlencode({**{k: v for k, v in params.items() if v}, "format": f.name})
            out.append({"url": f"{path}?{query}", "media_type": f.media_type, "label": LABELS[f.name]})
        return out

    @r.api_route("/impact/{instrument}", methods=["GET", "HEAD"], summary="Impact analysis of a change to an instrument",
                 description="Every item, in every loaded catalog, that cites the instrument, with the date by which "
                             "its catalog must update it: the item's 公开时限 in working days after the change (the day "
                             "of the change not counted, 民法典 第二百零一条), on the official calendar with its public "
                             "holidays and adjusted working days. `date` (YYYY-MM-DD) and `type` (amended, revised, "
                             "repealed, replaced) describe a hypothetical change; the recorded changes of "
                             "data/changes.toml are always analysed. `format`: html, json or csv.")
    def impact(instrument: str, request: Request, date: str | None = None, type: str = "amended",
               format: str | None = None):
        runner = state.runner
        try:
            instrument_iri = resolve(state.registry, instrument)
        except ImpactError as exc:
            raise NotFound(f"no instrument {instrument!r}: {exc}; see /id/instrument/ for the list") from None
        fmt = choose(IMPACT_FORMATS, request.headers.get("accept"), format, REPORT_ALIASES)
        inst_id = instrument_iri.rsplit("/", 1)[-1]
        hypothetical = None
        if date:
            try:
                hypothetical = what_if(runner, state.registry, inst_id, date, type)
            except ImpactError as exc:
                raise BadRequest(str(exc).replace("--date", "date").replace("--type", "type")) from None
        elif type != "amended":
            raise BadRequest("type describes a hypothetical change: give its date too (date=YYYY-MM-DD)")
        path = f"/impact/{quote(inst_id)}"
        links = alternates(path, {"date": date, "type": type if date else None}, IMPACT_FORMATS)
        views = impact_views(runner, instrument_iri, href)
        if fmt.name == "csv":
            if hypothetical is not None:
                return page_response(request, state, as_csv(hypothetical), fmt, links)
            return page_response(request, state, recorded_csv([x.impact for x in views]), fmt, links)
        if fmt.name == "json":
            doc = {"instrument": instrument_iri, "page": path,
                   "hypothetical": as_dict(hypothetical) if hypothetical else None,
                   "recorded": [as_dict(x.impact) for x in views]}
            return page_response(request, state, json.dumps(doc, ensure_ascii=False, indent=2) + "\n", fmt, links)
        cov = coverage()
        hyp_view = ImpactView(hypothetical, href) if hypothetical else None
        events = timeline_events(views, href)
        if hypothetical:
            events.append((hypothetical.event.date, f"假设 hypothetical {hypothetical.event.type}",
                           hypothetical.event.type, None))
        info = views[0].impact.instrument if views else (hypothetical.instrument if hypothetical else None)
        if info is None:
            from ..impact import describe_instrument
            info = describe_instrument(runner, instrument_iri)
        title = info.title or info.number or info.id
        html = env.get_template("impact.html").render(
            instrument=info, instrument_href=href(instrument_iri), alternates=links, form_action=path,
            form_date=date or "", form_type=type, types=list(TYPE_WORDS), calendar=cov, rule=rule_text(cov),
            hypothetical=hyp_view, recorded=views, href=href,
            timeline=Markup(svg.timeline(events, title=f"{title}：变更时间线 (changes over time)")))
        return page_response(request, state, html, fmt, links)

    @r.api_route("/diff", methods=["GET", "HEAD"], summary="Compare two editions of a catalog",
                 description="`old` and `new` are catalog ids of data/catalogs.toml. Items added, removed, renamed, "
                             "changed (which fields) or renumbered, and citations added or dropped, as published "
                             "(errata not applied). `format`: html, json or turtle (the zwgk:CatalogDiff change set).")
    def diff(request: Request, old: str | None = None, new: str | None = None, format: str | None = None):
        from ..refdata import load_catalogs

        ids = [e.id for e in load_catalogs(state.project.data / "catalogs.toml")]
        if not old or not new:
            raise BadRequest(f"give two catalog ids: /diff?old=ID&new=ID (catalogs: {', '.join(ids)})")
        for name, value in (("old", old), ("new", new)):
            if value not in ids:
                raise NotFound(f"{name}={value!r} is not a catalog id of data/catalogs.toml ({', '.join(ids)})")
        fmt = choose(DIFF_FORMATS, request.headers.get("accept"), format, REPORT_ALIASES)
        key = (old, new, state.etag)
        if key not in diff_cache:
            try:
                a = load_edition(old, state.project, state.codelists, state.registry)
                b = load_edition(new, state.project, state.codelists, state.registry)
            except SourceError as exc:
                raise BadRequest(str(exc)) from None
            diff_cache.clear()
            diff_cache[key] = diff_editions(a, b, state.codelists)
        d = diff_cache[key]
        links = alternates("/diff", {"old": old, "new": new}, DIFF_FORMATS)
        if fmt.name == "json":
            return page_response(request, state, json.dumps(diff_dict(d), ensure_ascii=False, indent=2) + "\n", fmt, links)
        if fmt.name == "turtle":
            return page_response(request, state, as_turtle(d, state.codelists), fmt, links)
        loaded = {cid for cid in (old, new) if state.summary and any(c.get("id") == cid
                                                                     for c in state.summary.get("catalogs", []))}
        base = state.settings.base_iri

        def item_href(cid: str, number: int | None) -> str | None:
            return f"/id/catalog/{cid}/item/{number}" if number is not None and cid in loaded else None

        rows = []
        for ch in d.changes:
            name = ch.new.name if ch.new else ch.old.name
            if ch.kind == "renamed":
                name = f"{ch.old.name} → {ch.new.name}"
            rows.append({
                "kind": ch.kind, "name": name,
                "old_number": ch.old.number if ch.old else None, "new_number": ch.new.number if ch.new else None,
                "old_href": item_href(old, ch.old.number if ch.old else None),
                "new_href": item_href(new, ch.new.number if ch.new else None),
                "fields": [f for f in ch.fields if f.field != "name"],
                "added": [{"label": v, "href": href(f"{base}instrument/{k}")} for k, v in ch.citations_added.items()],
                "dropped": [{"label": v, "href": href(f"{base}instrument/{k}")} for k, v in ch.citations_dropped.items()],
                "versions": [{"label": (d.new.instruments.get(ch.new.number, {}) if ch.new else {}).get(k, k),
                              "href": href(f"{base}instrument/{k}"), "old": gone, "new": came}
                             for k, (gone, came) in ch.versions_changed.items()],
            })
        html = env.get_template("diff.html").render(
            diff=d, diff_iri=str(d.iri), counts=d.counts, rows=rows, alternates=links,
            old_href=f"/id/catalog/{old}" if old in loaded else None,
            new_href=f"/id/catalog/{new}" if new in loaded else None)
        return page_response(request, state, html, fmt, links)

    return r
