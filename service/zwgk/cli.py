"""The ``zwgk`` command line: thin commands over plain functions.

User errors (a bad source row, an unknown query, a bad parameter) print one
line, ``zwgk: error: …``, and exit with status 2; nothing half-written
replaces a good build.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .build import Project, build
from .records import SourceError
from .queries import QueryError, QueryRunner, load_named_queries, format_results


class UserError(Exception):
    pass


def _project(args) -> Project:
    return Project(Path(args.root).resolve()) if args.root else Project.default()


def cmd_build(args) -> int:
    project = _project(args)
    out = Path(args.out).resolve() if args.out else project.build_dir
    result, files = build(project, out)
    s = result.summary
    print(f"built {out}")
    print(f"  catalogs {len(s['catalogs'])}, items {s['items']}, instruments cited {s['instruments']}, "
          f"citations {s['citations']}, triples {s['triples']}")
    for cat in s["catalogs"]:
        print(f"  {cat['id']}: {cat['items']} items from {cat['file']} ({cat['pages']} pages)")
        for number, fields in sorted(cat["missing"].items(), key=lambda kv: int(kv[0])):
            print(f"    item {number}: the source gives no {', '.join(fields)}")
        for number, values in sorted(cat["unrecognized_levels"].items(), key=lambda kv: int(kv[0])):
            print(f"    item {number}: 公开层级 value not in the level list: {'、'.join(values)}")
        for c in cat["corrections"]:
            print(f"    item {c['item']}: erratum {c['field']}: {c['source']!r} → {c['corrected']!r}")
    if "validation" in s:
        v = s["validation"]
        print(f"  validation: {v['Violation']} violations, {v['Warning']} warnings, {v['Info']} notes "
              "(zwgk validate shows them)")
    for name, path in files.items():
        print(f"  {name}: {path}")
    return 0


def _runner(project: Project):
    from .build import load_inputs
    from .store import open_store

    codelists, registry, *_ = load_inputs(project)
    try:
        store = open_store(project.ntriples)
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
    results = runner.run_named(query, params)
    sys.stdout.write(format_results(results, args.format))
    return 0


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
    return 0


def cmd_validate(args) -> int:
    from rdflib import Graph

    from .validate import FORMATS, load_shapes, validate

    project = _project(args)
    data_path = Path(args.data) if args.data else project.ntriples
    if not data_path.exists():
        raise UserError(f"{data_path} does not exist: run `zwgk build` first")
    data = Graph()
    try:
        data.parse(data_path)
    except Exception as exc:  # a parser error in a user's file: report it, do not crash
        raise UserError(f"cannot read {data_path}: {exc}") from None
    try:
        shapes = load_shapes(Path(args.shapes) if args.shapes else project.shapes)
    except FileNotFoundError as exc:
        raise UserError(str(exc)) from None
    report = validate(data, shapes)
    sys.stdout.write(FORMATS[args.format](report))
    return 0 if report.conforms else 1


def cmd_serve(args) -> int:
    from .web.app import create_app
    from .web.server import run
    from .web.settings import Settings
    from .web.state import AppState

    settings = Settings(
        host=args.host, port=args.port, base_iri=args.base_iri or Settings.base_iri,
        store=args.store, store_path=Path(args.store_path) if args.store_path else None,
        endpoint=args.endpoint, update_endpoint=args.update_endpoint,
        load=tuple(Path(p) for p in args.load or ()),
        update_token=args.update_token, allow_unauthenticated_updates=args.allow_updates,
        query_timeout=args.query_timeout,
    )
    if settings.store == "remote" and not settings.endpoint:
        raise UserError("--store remote needs --endpoint URL")
    if args.endpoint and settings.store != "remote":
        settings = Settings(**{**settings.__dict__, "store": "remote"})
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
    sub = ap.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="parse the catalogs in data/ and write the graph to data/build/")
    b.add_argument("--out", help="output folder (default: data/build)")
    b.set_defaults(func=cmd_build)

    q = sub.add_parser("query", help="run a named query (see `zwgk queries`) or a .rq file on the built graph")
    q.add_argument("query", help="a named query such as items-citing, or a path to a .rq file")
    q.add_argument("--param", action="append", metavar="NAME=VALUE", help="a query parameter (repeatable)")
    q.add_argument("--format", choices=("table", "json", "csv"), default="table")
    q.set_defaults(func=cmd_query)

    v = sub.add_parser(
        "validate",
        help="check the built graph with the SHACL shapes; exit 0: no violation, 1: violations, 2: error",
    )
    v.add_argument("--format", choices=("text", "json", "ttl", "html"), default="text")
    v.add_argument("--data", help="an RDF file to check instead of data/build/zwgk.nt")
    v.add_argument("--shapes", help="a folder of SHACL shapes instead of shapes/")
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
    sv.add_argument("--update-token", help=help_of["update_token"])
    sv.add_argument("--allow-updates", action="store_true", help=help_of["allow_unauthenticated_updates"])
    sv.add_argument("--query-timeout", type=float, default=30.0, help=help_of["query_timeout"])
    sv.set_defaults(func=cmd_serve)

    ls = sub.add_parser("queries", help="list the named queries with their parameters")
    ls.add_argument("--format", choices=("text", "json"), default="text")
    ls.set_defaults(func=cmd_queries)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        return args.func(args)
    except (SourceError, QueryError, UserError) as exc:
        print(f"zwgk: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # never exit 1 (which `validate` uses for "violations") on a crash
        print(f"zwgk: error: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
