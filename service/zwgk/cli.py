"""The ``zwgk`` command line: thin commands over plain functions.

User errors (a bad source row, an unknown query, a bad parameter) print one
line, ``zwgk: error: …``, and exit with status 2; nothing half-written
replaces a good build.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .build import Project, build
from .records import SourceError
from .queries import QueryError, QueryRunner, format_results, load_named_queries, rows_number
from .validate import ShapesError


class UserError(Exception):
    pass


def _project(args) -> Project:
    project = Project(Path(args.root).resolve()) if args.root else Project.default()
    limit = getattr(args, "max_source_bytes", None)
    return Project(project.root, limit) if limit is not None else project


def cmd_build(args) -> int:
    project = _project(args)
    out = Path(args.out).resolve() if args.out else project.build_dir
    result, files = build(project, out)
    s = result.summary
    print(f"built {out}")
    print(f"  catalogs {len(s['catalogs'])}, items {s['items']}, instruments cited {s['instruments']}, "
          f"citations {s['citations']}, triples {s['triples']}")
    for cat in s["catalogs"]:
        pages = f", {cat['pages']} pages" if cat["pages"] > 1 else ""
        print(f"  {cat['id']}: {cat['items']} items from {cat['file']} ({cat['format']}{pages}"
              f"{', traditional characters read as simplified' if cat['traditional_characters'] else ''})")
        for p in cat["partial_rows"]:
            print(f"    line {p['line']}: the file stops inside this row ({p['cells']} of {p['expected']} cells): "
                  "the row is not read; is the file truncated?")
        if cat["extra_columns"]:
            print(f"    extra columns kept as extra fields: {'、'.join(cat['extra_columns'])}")
        for number, fields in sorted(cat["missing"].items(), key=lambda kv: int(kv[0])):
            print(f"    item {number}: the source gives no {', '.join(fields)}")
        for number, values in sorted(cat["unrecognized_levels"].items(), key=lambda kv: int(kv[0])):
            print(f"    item {number}: 公开层级 value not in the level list: {'、'.join(values)}")
        for number, text in sorted(cat["deadlines_without_working_days"].items(), key=lambda kv: int(kv[0])):
            print(f"    item {number}: 公开时限 {text!r} names no number of working days (impact analysis gives no date)")
        for c in cat["corrections"]:
            print(f"    item {c['item']}: erratum {c['field']}: {c['source']!r} → {c['corrected']!r}")
    if "validation" in s:
        v = s["validation"]
        print(f"  validation: {v['Violation']} violations, {v['Warning']} warnings, {v['Info']} notes "
              "(zwgk validate shows them)")
    for name, path in files.items():
        print(f"  {name}: {path}")
    return 0


def cmd_add(args) -> int:
    from .register import NewCatalog, RegistryError, apply, plan

    project = _project(args)
    new = NewCatalog(
        id=args.id, file=Path(args.file), jurisdiction=args.jurisdiction, domain_zh=args.domain, year=args.year,
        domain_en=args.domain_en, format=args.format, publisher=args.publisher, publisher_zh=args.publisher_zh,
        title=args.title, source_url=args.source_url, jurisdiction_zh=args.jurisdiction_zh,
        jurisdiction_en=args.jurisdiction_en, jurisdiction_level=args.jurisdiction_level,
        jurisdiction_parent=args.parent, division_code=args.division_code, truncated=args.truncated)
    try:
        reg = plan(project, new)
    except (RegistryError, ValueError) as exc:
        if isinstance(exc, SourceError):
            raise
        raise UserError(str(exc)) from None
    apply(project, reg, Path(args.file))
    e = reg.entry
    print(f"added {e['id']}: {reg.items} items ({e['format']}) from {args.file} → data/{e['file']}")
    if reg.jurisdiction:
        print(f"  jurisdiction {reg.jurisdiction['id']} ({reg.jurisdiction['zh']}) in {reg.jurisdiction['parent']}"
              + ("" if reg.jurisdiction.get("code") else ": no division code given (the report will say so)"))
    for a in reg.agencies:
        print(f"  agency {a['id']}: {a['zh']}" + (f" (also {'、'.join(a['aliases'])})" if a.get("aliases") else ""))
    for aid, names in reg.aliases.items():
        if not any(a["id"] == aid for a in reg.agencies):
            print(f"  agency {aid}: also written {'、'.join(names)}")
    print("  run `zwgk build` to rebuild the graph with it")
    return 0


def _runner(project: Project):
    from .build import load_inputs
    from .store import open_store

    codelists, registry, *_ = load_inputs(project)
    try:
        store = open_store(project.dataset)
    except FileNotFoundError as exc:
        raise UserError(str(exc)) from None
    return QueryRunner(store, registry, codelists)


def _params(pairs: list[str]) -> dict[str, str]:
    values = {}
    for pair in pairs:
        if "=" not in pair:
            raise UserError(f"--param {pair!r}: write it as NAME=VALUE")
        k, v = pair.split("=", 1)
        values[k.strip()] = v
    return values


def cmd_query(args) -> int:
    project = _project(args)
    named = load_named_queries(project.queries)
    params = _params(args.param or [])
    target = args.query
    if target.endswith(".rq") or "/" in target:
        path = Path(target)
        if not path.exists():
            raise UserError(f"no query file {target}")
        from .queries import parse_named_query

        query = parse_named_query(path)
    elif target in named:
        query = named[target]
    else:
        raise UserError(f"no named query {target!r}; named queries: {', '.join(named)}")
    runner = _runner(project)
    results = runner.run_named(query, params, args.limit, args.offset)
    sys.stdout.write(format_results(results, args.format))
    return 0


def _rows(name: str):
    """The type of --limit or --offset: a whole number of rows, 0 or more."""
    def number(value: str) -> int:
        try:
            return rows_number(name, value)
        except QueryError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return number


def cmd_queries(args) -> int:
    named = load_named_queries(_project(args).queries)
    if args.format == "json":
        print(json.dumps([
            {"name": q.name, "summary": q.summary, "description": q.description,
             "params": [p.__dict__ for p in q.params], "example": q.example}
            for q in named.values()], ensure_ascii=False, indent=2))
        return 0
    for q in named.values():
        print(f"{q.name}: {q.summary}")
        for p in q.params:
            print(f"    --param {p.name}=…  ({p.type}) {p.description}; example: {p.example}")
    print("\nEvery query also takes --limit N and --offset N (zwgk query NAME --limit 20 --offset 40) to page "
          "through its answer, and --format table, json or csv.")
    return 0


def cmd_validate(args) -> int:
    from rdflib import Graph

    from .validate import FORMATS, ShapesError, load_shapes, validate

    project = _project(args)
    data_path = Path(args.data) if args.data else project.ntriples
    if not data_path.exists():
        raise UserError(f"{data_path} does not exist: run `zwgk build` first")
    try:
        shapes = load_shapes(Path(args.shapes) if args.shapes else project.shapes)
    except ShapesError as exc:
        raise UserError(str(exc)) from None
    data = Graph()
    try:
        data.parse(data_path)
    except Exception as exc:  # a parser error in a user's file: report it, do not crash
        raise UserError(f"cannot read {data_path}: {exc}") from None
    report = validate(data, shapes, engine=args.engine)
    sys.stdout.write(FORMATS[args.format](report))
    return 0 if report.conforms else 1


def cmd_impact(args) -> int:
    from .impact import FORMATS, ImpactError, analyse, as_dict, recorded_events, resolve, what_if

    project = _project(args)
    runner = _runner(project)
    try:
        if args.date is not None:
            impact = what_if(runner, runner.registry, args.instrument, args.date, args.type)
            sys.stdout.write(FORMATS[args.format](impact))
            return 0
        if args.type != "amended":
            raise ImpactError("--type describes a hypothetical change: give its --date too")
        instrument = resolve(runner.registry, args.instrument)
    except ImpactError as exc:
        raise UserError(str(exc)) from None
    # no --date: the change events recorded in data/changes.toml, each with the items it affects
    impacts = [analyse(runner, instrument, event) for _, event in recorded_events(runner, instrument)]
    if args.format == "csv":
        from .impact import recorded_csv

        sys.stdout.write(recorded_csv(impacts))
        return 0
    if args.format == "json":
        print(json.dumps([as_dict(i) for i in impacts], ensure_ascii=False, indent=2))
        return 0
    if not impacts:
        print(f"{args.instrument}: no change event is recorded in data/changes.toml; "
              "give --date YYYY-MM-DD for a hypothetical one")
    for impact in impacts:
        sys.stdout.write(FORMATS["table"](impact) + "\n")
    return 0


def cmd_push(args) -> int:
    from .push import PushError, push

    project = _project(args)
    if not project.nquads.exists():
        print(f"zwgk: no build in {project.build_dir}: building the graph", file=sys.stderr)
        build(project)
    token = None
    if args.token_file:
        try:
            token = Path(args.token_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"--token-file {args.token_file}: cannot read it ({exc.__class__.__name__})") from None
    try:
        done = push(project.nquads, args.graph_store, args.update_endpoint, token=token, timeout=args.timeout)
    except PushError as exc:
        raise UserError(f"{exc}; the store's graphs are as they were") from None
    print(f"pushed {project.nquads}: {done.graphs} graphs, {done.triples} triples, to {args.graph_store}")
    print("  serve it with: zwgk serve --store remote --endpoint <its query URL> (the store must query the union "
          "of its graphs as default graph, e.g. oxigraph serve --union-default-graph)")
    return 0


def cmd_diff(args) -> int:
    from .build import load_inputs
    from .diff import as_json, as_table, as_turtle, diff_editions, load_edition

    project = _project(args)
    codelists, registry, *_ = load_inputs(project)
    old = load_edition(args.old, project, codelists, registry)
    new = load_edition(args.new, project, codelists, registry)
    diff = diff_editions(old, new, codelists)
    out = {"table": as_table, "json": as_json, "ttl": lambda d: as_turtle(d, codelists)}[args.format](diff)
    sys.stdout.write(out)
    return 0


LIMITS = ("query_workers", "query_memory_mb", "max_result_bytes", "max_request_bytes", "max_url_bytes", "rate_limit",
          "max_client_queries")


TOKEN_VARIABLE = "ZWGK_UPDATE_TOKEN"


def update_token(args, environ=os.environ) -> str | None:
    """The update token: --update-token, else the file of --update-token-file, else the
    environment variable ZWGK_UPDATE_TOKEN (the only setting read from the environment,
    here and nowhere else). A file or variable keeps the token out of the process list."""
    if args.update_token and args.update_token_file:
        raise UserError("give --update-token or --update-token-file, not both")
    if args.update_token_file:
        path = Path(args.update_token_file)
        try:
            token = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"--update-token-file {path}: cannot read it ({exc.__class__.__name__}: "
                            f"{getattr(exc, 'strerror', None) or exc})") from None
        if not token:
            raise UserError(f"--update-token-file {path}: the file is empty; write the token in it")
        return token
    if args.update_token is not None:
        if not args.update_token.strip():
            raise UserError("--update-token is empty")
        return args.update_token.strip()
    token = (environ.get(TOKEN_VARIABLE) or "").strip()
    return token or None


def serve_settings(args, environ=os.environ):
    """The settings of ``zwgk serve``, from its options (and ZWGK_UPDATE_TOKEN)."""
    from .web.settings import Settings

    settings = Settings(
        host=args.host, port=args.port, base_iri=args.base_iri or Settings.base_iri,
        store=args.store, store_path=Path(args.store_path) if args.store_path else None,
        endpoint=args.endpoint, update_endpoint=args.update_endpoint,
        load=tuple(Path(p) for p in args.load or ()),
        update_token=update_token(args, environ), allow_unauthenticated_updates=args.allow_updates,
        allow_service=args.allow_service, query_timeout=args.query_timeout,
        cors_origins=tuple(args.cors_origin) if args.cors_origin else Settings.cors_origins,
        forwarded_allow_ips=args.forwarded_allow_ips or None,
        **{name: getattr(args, name) for name in LIMITS},
    )
    if settings.store == "remote" and not settings.endpoint:
        raise UserError("--store remote needs --endpoint URL")
    if args.endpoint and settings.store != "remote":
        settings = Settings(**{**settings.__dict__, "store": "remote"})
    return settings


def cmd_serve(args) -> int:
    from .web.app import create_app
    from .web.server import run
    from .web.state import AppState

    settings = serve_settings(args)
    for path in settings.load:
        if not path.exists():
            raise UserError(f"--load {path}: no such file")
    try:
        state = AppState.open(settings, _project(args))
    except (ValueError, OSError) as exc:
        raise UserError(str(exc)) from None
    app = create_app(settings, state)
    print(f"zwgk: serving {len(state.backend) if hasattr(state.backend, '__len__') else 'remote'} "
          f"triples on http://{settings.host}:{settings.port}/ (store: {settings.store})", flush=True)
    run(app, settings.host, settings.port)
    return 0


def make_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="zwgk", description="Disclosure catalogs (政务公开标准目录) as a knowledge graph.")
    ap.add_argument("--root", help="project folder holding data/, ontology/ and queries/ (default: this checkout)")
    ap.add_argument("--max-source-bytes", type=int, metavar="N",
                    help=f"refuse a catalog source file larger than N bytes (default {Project.max_source_bytes})")
    sub = ap.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="parse the catalogs in data/ and write the graph to data/build/")
    b.add_argument("--out", help="output folder (default: data/build)")
    b.set_defaults(func=cmd_build)

    q = sub.add_parser("query", help="run a named query (see `zwgk queries`) or a .rq file on the built graph")
    q.add_argument("query", help="a named query such as items-citing, or a path to a .rq file")
    q.add_argument("--param", action="append", metavar="NAME=VALUE", help="a query parameter (repeatable)")
    q.add_argument("--format", choices=("table", "json", "csv"), default="table")
    q.add_argument("--limit", type=_rows("limit"), help="at most this many rows (replaces the query's own LIMIT)")
    q.add_argument("--offset", type=_rows("offset"), help="skip this many rows first (with --limit, pages through the answer)")
    q.set_defaults(func=cmd_query)

    v = sub.add_parser(
        "validate",
        help="check the built graph with the SHACL shapes; exit 0: no violation, 1: violations, 2: error",
    )
    v.add_argument("--format", choices=("text", "json", "ttl", "html"), default="text")
    v.add_argument("--data", help="an RDF file to check instead of data/build/zwgk.nt")
    v.add_argument("--shapes", help="a folder of SHACL shapes instead of shapes/")
    v.add_argument("--engine", choices=("auto", "fast", "pyshacl"), default="auto",
                   help="auto (default): the shapes compiled to SPARQL on Oxigraph, pySHACL for shapes it cannot "
                        "compile; fast: the compiled shapes only; pyshacl: pySHACL (the reference, slower)")
    v.set_defaults(func=cmd_validate)

    from .web.settings import Settings

    help_of = {name: text for name, _, text in Settings.help_table()}
    sv = sub.add_parser("serve", help="build the graph if needed and serve it: SPARQL endpoint, named queries, pages")
    sv.add_argument("--host", default="127.0.0.1", help=help_of["host"])
    sv.add_argument("--port", type=int, default=8000, help=help_of["port"])
    sv.add_argument("--base-iri", help=help_of["base_iri"])
    sv.add_argument("--store", choices=("oxigraph", "rdflib", "remote"), default="oxigraph", help=help_of["store"])
    sv.add_argument("--store-path", help=help_of["store_path"])
    sv.add_argument("--endpoint", help=help_of["endpoint"])
    sv.add_argument("--update-endpoint", help=help_of["update_endpoint"])
    sv.add_argument("--load", nargs="+", metavar="FILE", help=help_of["load"])
    sv.add_argument("--update-token", metavar="TOKEN",
                    help="bearer token that enables SPARQL Update (visible in the process list: prefer "
                         f"--update-token-file or the environment variable {TOKEN_VARIABLE})")
    sv.add_argument("--update-token-file", metavar="PATH",
                    help="a file holding the update token (surrounding whitespace is ignored)")
    sv.add_argument("--allow-updates", action="store_true", help=help_of["allow_unauthenticated_updates"])
    sv.add_argument("--allow-service", action="store_true", help=help_of["allow_service"])
    sv.add_argument("--cors-origin", action="append", metavar="ORIGIN",
                    help=help_of["cors_origins"] + " (repeatable; default: any, *)")
    sv.add_argument("--forwarded-allow-ips", metavar="IPS", help=help_of["forwarded_allow_ips"])
    sv.add_argument("--query-timeout", type=float, default=30.0, help=help_of["query_timeout"])
    defaults = {name: default for name, default, _ in Settings.help_table()}
    for name in LIMITS:  # the limits of web/settings.py, each with its default and help line
        sv.add_argument("--" + name.replace("_", "-"), type=int, default=defaults[name], help=help_of[name])
    sv.set_defaults(func=cmd_serve)

    im = sub.add_parser(
        "impact",
        help="items that cite an instrument, with the date by which each catalog must update them after a change",
        description="Every item, in every loaded catalog, that cites INSTRUMENT (any spelling the resolver accepts), "
                    "with its deadline: the item's 公开时限 in working days after the change (the day of the change "
                    "not counted, 民法典 第二百零一条) on the official calendar (package chinesecalendar). "
                    "With --date: a hypothetical change (nothing is recorded). Without: the change events "
                    "recorded in data/changes.toml.")
    im.add_argument("instrument", help="title or document number, any spelling (国务院令765号, 《社会保险经办条例》 …)")
    im.add_argument("--date", help="the day of a hypothetical change, YYYY-MM-DD")
    im.add_argument("--type", choices=("amended", "repealed", "revised", "replaced"), default="amended",
                    help="the kind of hypothetical change (default: amended)")
    im.add_argument("--format", choices=("table", "json", "csv"), default="table")
    im.set_defaults(func=cmd_impact)

    ps = sub.add_parser(
        "push", help="put the build into a remote SPARQL 1.1 store (Graph Store Protocol, then one MOVE update)")
    ps.add_argument("--graph-store", required=True, metavar="URL",
                    help="the store's Graph Store Protocol URL (Oxigraph server: …/store; Fuseki: …/DATASET/data)")
    ps.add_argument("--update-endpoint", required=True, metavar="URL",
                    help="the store's SPARQL Update URL (Oxigraph server: …/update; Fuseki: …/DATASET/update)")
    ps.add_argument("--token-file", metavar="PATH", help="a file holding a bearer token for the store, if it needs one")
    ps.add_argument("--timeout", type=float, default=600.0, help="seconds per request (default 600)")
    ps.set_defaults(func=cmd_push)

    df = sub.add_parser(
        "diff", help="compare two editions of a catalog: items added, removed, renamed, changed; citations added or dropped",
        description="OLD and NEW are catalog ids of data/catalogs.toml or paths of source files (same layout). "
                    "Editions are compared as published (errata not applied).")
    df.add_argument("old", help="the earlier edition: a catalog id or a source file")
    df.add_argument("new", help="the later edition: a catalog id or a source file")
    df.add_argument("--format", choices=("table", "json", "ttl"), default="table")
    df.set_defaults(func=cmd_diff)

    ad = sub.add_parser("add", help="register a catalog file (any layout) in data/catalogs.toml, checked first")
    ad.add_argument("file", help="the catalog as published: tsv, pipe, csv, one-cell-per-line text or xlsx")
    ad.add_argument("--id", required=True, help="the catalog's id, e.g. yiwu-2024-social-insurance (its IRI: …/catalog/<id>)")
    ad.add_argument("--jurisdiction", required=True, help="id of its jurisdiction in data/jurisdictions.toml (or a new one)")
    ad.add_argument("--domain", required=True, help="the domain in Chinese, e.g. 社会保险")
    ad.add_argument("--domain-en", help="the domain in English (known domains need not be given)")
    ad.add_argument("--year", required=True, type=int, help="the edition year")
    ad.add_argument("--format", help="tsv | pipe | csv | cells | xlsx (default: from the file)")
    ad.add_argument("--publisher", help="id of the publishing agency in data/agencies.toml (default: the file's 编制单位)")
    ad.add_argument("--publisher-zh", help="the publisher's name, when the file has no 编制单位 line")
    ad.add_argument("--title", help="the catalog's title, when the file does not print it")
    ad.add_argument("--source-url", help="where the catalog was published")
    ad.add_argument("--jurisdiction-zh", help="a new jurisdiction: its name")
    ad.add_argument("--jurisdiction-en", help="a new jurisdiction: its English name")
    ad.add_argument("--jurisdiction-level", help="a new jurisdiction: province | city | county | township | village")
    ad.add_argument("--parent", help="a new jurisdiction: the id of the jurisdiction it belongs to")
    ad.add_argument("--division-code", help="a new jurisdiction: its administrative division code, when known")
    ad.add_argument("--truncated", action="store_true",
                    help="the file is published cut short: build its complete rows and report the cut one "
                         "(without this, a file that stops inside a row is refused)")
    ad.set_defaults(func=cmd_add)

    ls = sub.add_parser("queries", help="list the named queries with their parameters")
    ls.add_argument("--format", choices=("text", "json"), default="text")
    ls.set_defaults(func=cmd_queries)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        return args.func(args)
    except (SourceError, QueryError, ShapesError, UserError) as exc:
        print(f"zwgk: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # never exit 1 (which `validate` uses for "violations") on a crash
        print(f"zwgk: error: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
