"""The ``geo-ntm`` command line: import boundaries and statuses, list frameworks, report, map, serve."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from pathlib import Path

from geo_ntm.domain import AdminTier
from geo_ntm.errors import GeoNtmError, InputError
from geo_ntm.settings import Settings
from geo_ntm.store import Store, open_store
from geo_ntm.where import Where, checked_year, resolve_where

log = logging.getLogger("geo_ntm")

#: Exit codes, as ``EXIT_CODES`` tells them in ``--help``.
EXIT_OK = 0  # done: an import stored everything, or a dry run found no problem
EXIT_PROBLEMS = 1  # an import found problems and stored nothing
EXIT_BAD_INPUT = 2  # bad input: a file, option, name or setting that cannot be used; nothing changed
EXIT_SKIPPED = 3  # an import with --skip-unmatched stored its good rows and skipped the rows with problems
EXIT_CODES = """exit codes:
  0  done: an import stored everything (a dry run: found no problem)
  1  an import found problems (unmatched, ambiguous, district or invalid rows) and stored nothing
  2  bad input (an unreadable file, a bad option, an unknown province or district, a bad
     GEO_NTM_* setting): the message says what and where, nothing was changed
  3  an import with --skip-unmatched stored the good rows and skipped the rows with problems"""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date of the form YYYY-MM-DD") from None


def _year(text: str) -> int:
    try:
        year = int(text)
        checked_year(year)
    except (ValueError, GeoNtmError) as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a status year: {exc}") from None
    return year


def _cmd_boundaries_import(store: Store, args, settings: Settings) -> int:
    from boundaries.importer import import_boundaries
    from geo_ntm.domain import AdminTier

    vintage, report = import_boundaries(
        store,
        args.path,
        args.vintage,
        layers=args.layer,
        level=AdminTier(args.level) if args.level else None,
        code_field=args.code_field,
        name_field=args.name_field,
        vintage_name=args.name,
        measure_quality=not args.no_quality,
        dry_run=args.dry_run,
    )
    print(report.text())
    print("dry run: nothing stored" if vintage is None else f"stored vintage {vintage.vintage_id}: {vintage.name}")
    return 0


def _cmd_boundaries_list(store: Store, args, settings: Settings) -> int:
    for v in store.vintages():
        until = v.valid_to.isoformat() if v.valid_to else "now"
        print(f"{v.vintage_id}\t{v.valid_from.isoformat()} .. {until}\t{v.name}\t{v.source}")
    return 0


def _cmd_lineage_import(store: Store, args, settings: Settings) -> int:
    from boundaries.vintages import import_lineage

    print(import_lineage(store, args.file, derive=not args.no_derive, dry_run=args.dry_run).text())
    return 0


def _cmd_lineage_show(store: Store, args, settings: Settings) -> int:
    events = store.lineage_events(args.code)
    for e in events:
        role = "became" if args.code in e.before else "came from"
        other = e.after if args.code in e.before else e.before
        names = f" ({'; '.join(e.after_name)})" if e.after_name else ""
        print(f"{e.effective_date.isoformat()}\t{e.kind.value}\t{role} {';'.join(other)}{names}\t{e.legal_act}")
    if not events:
        print(f"no lineage event names unit {args.code}")
    return 0


def _cmd_crosswalk(store: Store, args, settings: Settings) -> int:
    from boundaries.vintages import crosswalk_between

    old, new, table = crosswalk_between(
        store, args.from_date, args.to_date, province=args.province, sliver_tolerance=args.sliver_tolerance
    )
    table.to_csv(args.output)
    print(
        f"crosswalk {old.name} -> {new.name}: {len(table.pairs)} pairs, {len(table.slivers)} slivers "
        f"(under {args.sliver_tolerance:.1%} of both units); wrote {args.output}"
    )
    return 0


def _cmd_frameworks(store: Store | None, args, settings: Settings) -> int:
    from geo_ntm.domain import LEVELS
    from geo_ntm.frameworks import all_frameworks, get_framework

    chosen = [get_framework(args.id)] if args.id else list(all_frameworks().values())
    for fw in chosen:
        levels = ", ".join(f"{lv} ({LEVELS[lv][0]})" for lv in fw.levels)
        count = f"{fw.criteria_total} tiêu chí" if fw.criteria_known else "criteria not known"
        scope = f"\t{fw.province}: {fw.source_act}" if fw.province else ""
        print(
            f"{fw.framework_id}\t{fw.years[0]}-{fw.years[1]}\t{fw.applies_to.value}\t{count}"
            f"\t{fw.legal_act}{scope}\n  {fw.title_vi} / {fw.title_en}\n  levels: {levels}"
        )
        if fw.note:
            print(f"  note: {fw.note}")
        if args.id or args.criteria:
            for c in fw.criteria:
                print(f"  {c.number:>3}. {c.name_vi} — {c.name_en}")
    return 0


def _cmd_status_import(store: Store, args, settings: Settings) -> int:
    from geo_ntm.status_import.importer import import_status_file

    report = import_status_file(
        store,
        args.file,
        sheet=args.sheet,
        dry_run=args.dry_run,
        skip_unmatched=args.skip_unmatched,
        default_framework=args.framework,
        default_level=args.level,
    )
    print(report.text())
    if report.ok:
        return EXIT_OK
    return EXIT_SKIPPED if report.stored else EXIT_PROBLEMS


def _cmd_groups_import(store: Store, args, settings: Settings) -> int:
    from geo_ntm.groups import import_groups_file

    report = import_groups_file(
        store, args.file, sheet=args.sheet, dry_run=args.dry_run, skip_unmatched=args.skip_unmatched
    )
    print(report.text())
    if report.ok:
        return EXIT_OK
    return EXIT_SKIPPED if report.stored else EXIT_PROBLEMS


def _cmd_indicators_import(store: Store, args, settings: Settings) -> int:
    from geo_ntm.indicator_sets import import_indicator_set

    try:
        text = args.file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"indicator set file {args.file}: cannot be read as UTF-8 text ({exc})") from None
    stored = import_indicator_set(store, args.file.name, text)
    with_thresholds = sum(1 for d in stored.indicators if d.thresholds)
    print(
        f"indicator set {stored.set_id} of {stored.framework_id} from {stored.source_file}: "
        f"{len(stored.indicators)} indicators, {with_thresholds} with a threshold for at least one commune group"
    )
    return EXIT_OK


def _add_where_options(
    parser: argparse.ArgumentParser, *, place_required: bool, year_help: str, date_help: str | None
) -> None:
    """The options that say where and when a command looks (resolved by ``_where``)."""
    parser.add_argument(
        "--province",
        required=place_required,
        help="province name or code" + ("" if place_required else " (default: the whole country)"),
    )
    parser.add_argument("--district", help="district name or code (default: the whole province)")
    parser.add_argument("--year", type=_year, required=place_required, help=year_help)
    if date_help is not None:
        parser.add_argument("--date", type=_date, help=date_help)
        parser.add_argument("--vintage", help="draw this boundary vintage (id, name or start date)")


def _where(store: Store, args) -> Where:
    """Where and when the command looks: the boundaries of --vintage, --date or the year, and the
    province/district asked in them."""
    return resolve_where(
        store,
        vintage=getattr(args, "vintage", None),
        day=getattr(args, "date", None),
        year=args.year,
        province=args.province,
        district=args.district,
    )


def _cmd_report(store: Store, args, settings: Settings) -> int:
    from geo_ntm.report import province_report, report_csv, report_table

    report = province_report(store, _where(store, args))
    if args.format == "json":
        print(json.dumps(report, ensure_ascii=False, indent=2))
    elif args.format == "csv":
        sys.stdout.write(report_csv(report, args.by_group))
    else:
        print(report_table(report, args.by_group))
    return 0


def _cmd_issues(store: Store, args, settings: Settings) -> int:
    from geo_ntm.data_flags import check_stored
    from geo_ntm.frameworks import all_frameworks

    where = _where(store, args)
    if args.check and where.province is not None:
        found = check_stored(store, where.province.province_code or where.province.code, all_frameworks())
        print(f"checked the stored rows: {len(found)} new flags stored")
    flags = store.data_flags(year=where.year, **where.place_filters)
    print(f"Kiểm tra dữ liệu / Data checks, {where.label}, {where.year}: {len(flags)}")
    for f in flags:
        codes = ", ".join(f"{u.name} ({u.code})" for u in f.units)
        origin = f"import {f.import_id}" if f.import_id else "check of the stored rows"
        print(f"  [{f.kind.value}] {codes}; {origin}" + (f", rows {', '.join(map(str, f.rows))}" if f.rows else ""))
        print(f"    {f.message_vi}")
        print(f"    {f.message_en}")
    return 0


def _cmd_targets_import(store: Store, args, settings: Settings) -> int:
    from geo_ntm.targets import import_targets

    report = import_targets(store, args.file, sheet=args.sheet, source=args.source, dry_run=args.dry_run)
    stored = "checked, nothing stored" if report.import_id is None else f"stored (import {report.import_id})"
    print(
        f"{report.source_file}: {report.rows_read} rows, {report.commune_targets} commune and "
        f"{report.province_targets} province targets {stored}"
    )
    return EXIT_OK


def _cmd_progress(store: Store, args, settings: Settings) -> int:
    from geo_ntm.targets import progress

    where = _where(store, args)
    assert where.province is not None  # --province is required
    found = progress(store, where.province, args.year)
    if args.format == "json":
        print(json.dumps(found.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(f"Tiến độ so với mục tiêu / Progress against targets, {where.label}, {args.year} ({found.vintage})")
    if found.message:
        print(f"  {found.message}")
        return 0
    print(f"  rule: {found.rule}")
    for p in found.province_targets:
        path = "no path yet" if p.path_share is None else f"path {p.path_share:.1%}"
        recognised = "no xã" if p.recognised_share is None else f"{p.recognised_share:.1%}"
        print(
            f"  province {p.level} {p.target_share:.0%} by {p.target_year}: recognised {recognised} "
            f"({p.recognised}/{p.communes}), {path}: {p.status}"
        )
    for c in found.communes:
        unmet = "unmet not known" if c.unmet is None else f"{c.unmet} unmet, {c.years_left} years left"
        print(f"  {c.name} ({c.code}) {c.level} by {c.target_year}: {unmet}: {c.status}")
    return 0


def _cmd_map(store: Store, args, settings: Settings) -> int:
    from geo_ntm.carry import parse_rule
    from maps.assets import inline
    from maps.province_map import province_map_html

    rule = parse_rule(args.rule) if args.rule else None
    html = province_map_html(
        store,
        _where(store, args),
        args.measure,
        lang=args.lang,
        assets=inline(settings.assets_dir),
        rule=rule,
        scheme=args.scheme,
        classes=args.classes,
        tier=AdminTier(args.tier),
    )
    Path(args.output).write_text(html, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


def _cmd_layers_import(store: Store, args, settings: Settings) -> int:
    from geo_ntm.domain import LayerKind
    from geo_ntm.infrastructure.layers import import_layer

    report = import_layer(
        store,
        args.path,
        args.name or args.path.stem,
        LayerKind(args.kind),
        args.date,
        mapping=args.mapping,
        source_layer=args.layer,
        dry_run=args.dry_run,
    )
    print(report.text())
    return 0


def _cmd_layers_list(store: Store, args, settings: Settings) -> int:
    for x in store.layers():
        print(
            f"{x.layer_id}\t{x.name}\t{x.kind.value}\t{x.valid_date.isoformat()}\t{x.feature_count}\t{x.crs}\t{x.source}"
        )
    return 0


def _cmd_coverage(store: Store, args, settings: Settings) -> int:
    from geo_ntm.infrastructure.coverage import write_table
    from geo_ntm.infrastructure.dask_engine import opened_engine
    from geo_ntm.infrastructure.queries import CoverageRequest, coverage
    from geo_ntm.infrastructure.thresholds import load_thresholds

    request = CoverageRequest(
        args.topic,
        _where(store, args),
        args.layer,
        distance=args.distance,
        kind=args.kind,
        points_layer=args.points_layer,
        population_layer=args.population_layer,
        households_layer=args.households_layer,
    )
    engine = args.engine or settings.engine
    scheduler = args.scheduler or (settings.dask_scheduler if engine == "dask" else None)
    with opened_engine(engine, scheduler) as computing:
        table, totals = coverage(store, request, load_thresholds(settings.thresholds_file), computing)
    write_table(table, args.output, f"coverage_{args.topic}")
    print(json.dumps(totals, ensure_ascii=False))
    print(f"wrote {len(table)} communes to {args.output}")
    return 0


def _cmd_demo(store: Store, args, settings: Settings) -> int:
    from cli.demo import load_demo

    load_demo(store, Path(args.data_dir) if args.data_dir else settings.data_dir)
    return 0


def _cmd_db_upgrade(store: Store, args, settings: Settings) -> int:
    print(f"store schema at version {store.schema_version}")  # opening the store created or migrated it
    return 0


def _cmd_serve(store: Store | None, args, settings: Settings) -> int:
    """Bind HOST:PORT first (a taken port is exit 2, naming them), then run uvicorn on that socket and
    print the URL once it is serving: a printed URL always answers."""
    import socket

    import uvicorn

    from api.app import create_app

    if args.workers < 1:
        print(f"error: --workers {args.workers}: give 1 or more worker processes", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            args.host, args.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        # with its protocol (IPPROTO_TCP), so that asyncio sets TCP_NODELAY on each accepted socket:
        # without it every request after the first on a kept-alive connection waited ~40 ms (Nagle
        # and the client's delayed ACK)
        sock = socket.socket(family, kind, proto)
    except (OSError, UnicodeError) as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: a port in TIME_WAIT is free
        sock.bind(address)
    except OSError as exc:
        sock.close()
        print(
            f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc} (is another service using "
            "it? choose another with --port or GEO_NTM_PORT)",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    port = sock.getsockname()[1]  # the one chosen when --port 0
    url = f"http://[{args.host}]:{port}/" if ":" in args.host else f"http://{args.host}:{port}/"
    uvicorn_log = logging.getLogger("uvicorn.error")

    class Server(uvicorn.Server):
        async def startup(self, sockets=None):
            await super().startup(sockets=sockets)
            uvicorn_log.setLevel(level)  # the start-up chatter is replaced by the one line below
            if self.started:
                print(f"geo_ntm map: {url}", flush=True)

    if args.workers > 1:
        with sock:
            return _serve_workers(sock, url, settings, args.workers)
    config = uvicorn.Config(create_app(settings), log_level=settings.log_level.lower())
    level = uvicorn_log.level
    uvicorn_log.setLevel(max(level, logging.WARNING))
    with sock:
        Server(config).run(sockets=[sock])
    return 0


def _serve_workers(sock, url: str, settings: Settings, workers: int) -> int:
    """``workers`` uvicorn worker processes on the bound socket, each making its own application
    (``api.app:create_app``: its own PostGIS pool, made after the process started) from the
    environment, where the store chosen and the folder of the jobs' states (``GEO_NTM_JOBS_DIR``,
    a temporary one for this run unless set) are put first. The URL is printed once every worker
    serves; the supervisor restarts a worker that dies and stops them all on SIGINT or SIGTERM."""
    import os
    import shutil
    import tempfile

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    made = None if settings.jobs_dir is not None else tempfile.mkdtemp(prefix="geo_ntm_jobs_")
    os.environ["GEO_NTM_DB"] = settings.db  # the workers are new processes: they read the environment
    os.environ["GEO_NTM_JOBS_DIR"] = str(settings.jobs_dir or made)

    class Supervisor(Multiprocess):
        def init_processes(self) -> None:
            super().init_processes()
            if all(p.wait_until_ready(120, self.should_exit) for p in self.processes):
                print(f"geo_ntm map: {url} ({workers} worker processes)", flush=True)

    config = uvicorn.Config("api.app:create_app", factory=True, workers=workers, log_level=settings.log_level.lower())
    try:
        Supervisor(config, sockets=[sock]).run()
    finally:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)
    return 0


def build_parser(settings: Settings) -> argparse.ArgumentParser:
    """The argument parser of ``geo-ntm``."""
    p = argparse.ArgumentParser(
        prog="geo-ntm",
        description="Maps and reports of Vietnam's New Rural Development (Nông thôn mới) criteria per commune.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--db",
        default=settings.db,
        help="store: a GeoPackage file path or a postgresql:// URL (default %(default)s; env GEO_NTM_DB)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log every step")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("boundaries", help="boundary vintages").add_subparsers(dest="action", required=True)
    bi = b.add_parser("import", help="import provinces, districts and communes from a vector file")
    bi.add_argument("path", type=Path, help="GeoPackage, GeoJSON or zipped Shapefile")
    bi.add_argument("--vintage", type=_date, required=True, help="date from which these boundaries are valid")
    bi.add_argument("--layer", action="append", help="layer to import (repeat; default: every recognised layer)")
    bi.add_argument(
        "--level", choices=["province", "district", "commune"], help="level of a layer whose name does not tell"
    )
    bi.add_argument("--code-field", help="column holding the unit code")
    bi.add_argument("--name-field", help="column holding the full unit name")
    bi.add_argument("--name", help="name of the vintage (default: date and file name)")
    bi.add_argument("--no-quality", action="store_true", help="skip measuring overlaps and gaps")
    bi.add_argument("--dry-run", action="store_true", help="validate and report, store nothing")
    bi.set_defaults(handler=_cmd_boundaries_import)
    b.add_parser("list", help="list stored vintages").set_defaults(handler=_cmd_boundaries_list)

    lg = sub.add_parser("lineage", help="legal changes of units").add_subparsers(dest="action", required=True)
    li = lg.add_parser("import", help="import lineage events (CSV) and derive the vintages after them")
    li.add_argument("file", type=Path)
    li.add_argument("--no-derive", action="store_true", help="store the events only, derive no vintage")
    li.add_argument("--dry-run", action="store_true", help="validate and report, store nothing")
    li.set_defaults(handler=_cmd_lineage_import)
    ls = lg.add_parser("show", help="what a unit came from and became")
    ls.add_argument("code")
    ls.set_defaults(handler=_cmd_lineage_show)

    cw = sub.add_parser("crosswalk", help="overlaps between the communes in force on two dates, as CSV")
    cw.add_argument("--from", dest="from_date", type=_date, required=True)
    cw.add_argument("--to", dest="to_date", type=_date, required=True)
    cw.add_argument("--province", help="a province of the --from boundaries (default: the whole country)")
    cw.add_argument(
        "--sliver-tolerance",
        type=float,
        default=0.01,
        help="overlaps under this share of both units are slivers (default %(default)s)",
    )
    cw.add_argument("-o", "--output", required=True)
    cw.set_defaults(handler=_cmd_crosswalk)

    f = sub.add_parser("frameworks", help="list the criteria frameworks")
    f.add_argument("--id", help="show one framework with its criteria")
    f.add_argument("--criteria", action="store_true", help="list the criteria of every framework")
    f.set_defaults(handler=_cmd_frameworks, needs_store=False)

    s = sub.add_parser("status", help="criterion statuses").add_subparsers(dest="action", required=True)
    si = s.add_parser(
        "import",
        help="import statuses from CSV or XLSX (long, wide or counts layout)",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    si.add_argument("file", type=Path)
    si.add_argument("--sheet", help="worksheet name of an XLSX file (default: the first)")
    si.add_argument("--dry-run", action="store_true", help="print the full report, change nothing")
    si.add_argument(
        "--skip-unmatched",
        action="store_true",
        help="store the matched rows even if some do not match (exit 3 when rows were skipped)",
    )
    si.add_argument("--framework", help="framework id for files without a framework column")
    si.add_argument("--level", help="level for files without a level column")
    si.set_defaults(handler=_cmd_status_import)

    g = sub.add_parser("groups", help="NTM commune groups (nhóm 1/2/3)").add_subparsers(dest="action", required=True)
    gi = g.add_parser(
        "import",
        help="import commune groups (and khu vực / loại) from CSV or XLSX; the file must name its numbering_source",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    gi.add_argument("file", type=Path)
    gi.add_argument("--sheet", help="worksheet name of an XLSX file (default: the first with a header)")
    gi.add_argument("--dry-run", action="store_true", help="print the full report, change nothing")
    gi.add_argument(
        "--skip-unmatched",
        action="store_true",
        help="store the matched rows even if some do not match (exit 3 when rows were skipped)",
    )
    gi.set_defaults(handler=_cmd_groups_import)
    ind = sub.add_parser("indicators", help="indicator sets").add_subparsers(dest="action", required=True)
    ii = ind.add_parser("import", help="store an indicator set with thresholds per commune group (TOML or CSV)")
    ii.add_argument("file", type=Path)
    ii.set_defaults(handler=_cmd_indicators_import)
    tg = sub.add_parser("targets", help="targets of the programme").add_subparsers(dest="action", required=True)
    ti = tg.add_parser("import", help="import commune and province targets from CSV or XLSX (docs/progress.md)")
    ti.add_argument("file", type=Path)
    ti.add_argument("--sheet", help="worksheet name of an XLSX file (default: the first with a header)")
    ti.add_argument("--source", help="source of the rows without a source column")
    ti.add_argument("--dry-run", action="store_true", help="check the file, change nothing")
    ti.set_defaults(handler=_cmd_targets_import)
    pg = sub.add_parser("progress", help="a province and its communes against their targets in a year")
    _add_where_options(pg, place_required=True, year_help="the year of progress", date_help=None)
    pg.add_argument("--format", choices=["json", "table"], default="table")
    pg.set_defaults(handler=_cmd_progress)

    for name, handler, help_text in (
        ("report", _cmd_report, "province report for a year"),
        ("map", _cmd_map, "write a choropleth map as a standalone HTML file"),
        ("issues", _cmd_issues, "data checks: the contradictions flagged in a province's statuses of a year"),
    ):
        c = sub.add_parser(name, help=help_text)
        _add_where_options(
            c,
            place_required=True,
            year_help="status year",
            date_help=None
            if name in ("report", "issues")
            else "draw the boundaries in force on this day "
            "(default: those of 31 December of --year); statuses are then carried by --rule",
        )
        c.set_defaults(handler=handler)
        if name == "report":
            c.add_argument("--format", choices=["json", "csv", "table"], default="table")
            c.add_argument(
                "--by-group",
                action="store_true",
                help="rows per NTM commune group (nhóm 1/2/3) instead of per district (table and csv; json has both)",
            )
        elif name == "issues":
            c.add_argument(
                "--check", action="store_true", help="check the stored rows first (e.g. after a lineage import)"
            )
        else:
            c.add_argument(
                "--measure",
                default="criteria_met",
                help="criteria_met, level, tc<N>, share (of an "
                "assessment carried to other boundaries by a share rule), or a computed indicator "
                "<topic>:<column> such as roads:hardened_share_hamlet",
            )
            c.add_argument(
                "--scheme",
                choices=["standard", "quantiles", "equal_interval", "natural_breaks"],
                help="classification (default: the measure's own: categories, or quantiles for numbers)",
            )
            c.add_argument(
                "--classes",
                type=int,
                default=5,
                choices=range(3, 8),
                metavar="3..7",
                help="number of classes of a numeric measure (default 5)",
            )
            c.add_argument(
                "--rule",
                help="carry rule when the boundaries are not those of the year: all "
                "(default), share_area, share_population",
            )
            c.add_argument("--lang", choices=["vi", "en"], default="vi")
            c.add_argument(
                "--tier",
                choices=[t.value for t in AdminTier],
                default=AdminTier.COMMUNE.value,
                help="commune (default), or district or province: colour those by their own status "
                "(measure level or criteria_met)",
            )
            c.add_argument("-o", "--output", required=True, help="HTML file to write")

    ly = sub.add_parser("layers", help="infrastructure layers").add_subparsers(dest="action", required=True)
    lyi = ly.add_parser("import", help="import roads, water, households, facilities (vector) or population (GeoTIFF)")
    lyi.add_argument("path", type=Path, help="GeoPackage, GeoJSON, Shapefile, .osm/.osm.pbf, or GeoTIFF")
    lyi.add_argument("--name", help="layer name (default: the file name)")
    lyi.add_argument(
        "--kind",
        required=True,
        choices=["roads", "water_lines", "water_points", "households", "facilities", "population"],
    )
    lyi.add_argument("--date", type=_date, required=True, help="the day the layer describes")
    lyi.add_argument("--mapping", help="attribute mapping (osm, vn_inventory; default: found from the columns)")
    lyi.add_argument("--layer", help="layer of the source file (default: its only layer; OSM: lines or points)")
    lyi.add_argument("--dry-run", action="store_true", help="check and report, store nothing")
    lyi.set_defaults(handler=_cmd_layers_import)
    ly.add_parser("list", help="list stored layers").set_defaults(handler=_cmd_layers_list)

    cv = sub.add_parser("coverage", help="per-commune infrastructure figures as CSV or GeoPackage")
    cv.add_argument("topic", choices=["roads", "population", "water", "facilities", "discrepancies"])
    _add_where_options(
        cv,
        place_required=False,
        year_help="year (its framework's thresholds apply)",
        date_help="boundaries and layers of this day (default: 31 December of --year)",
    )
    cv.add_argument(
        "--layer",
        help="layer to measure: roads, population, water lines or facilities (default: the "
        "latest of its kind on the day, as for every layer below)",
    )
    cv.add_argument("--distance", type=float, help="water, facilities: the reach in metres")
    cv.add_argument("--kind", help="facilities: the kind whose reach is measured (default: any kind)")
    cv.add_argument("--points-layer", help="water: the supply points layer")
    cv.add_argument(
        "--households-layer",
        help="water: household points (only when named; 17.1 is then a share of households rather than of people)",
    )
    cv.add_argument("--population-layer", help="water, facilities: the population raster")
    cv.add_argument(
        "--engine",
        choices=["local", "dask"],
        help="roads, water, facilities: computed in this process (local) or on a Dask cluster (dask; "
        "pip install -e '.[dask]'); default: env GEO_NTM_ENGINE or local",
    )
    cv.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="--engine dask: the Dask scheduler (tcp://host:8786; default: env GEO_NTM_DASK_SCHEDULER, "
        "else a local cluster of one worker process per core, started and closed by the command)",
    )
    cv.add_argument("-o", "--output", required=True, help="FILE.csv or FILE.gpkg")
    cv.set_defaults(handler=_cmd_coverage)

    d = sub.add_parser("demo", help="load the demo data (2009 boundaries and the status samples)")
    d.add_argument("--data-dir", help="shared data folder (default: env GEO_NTM_DATA_DIR or ../shared/data)")
    d.set_defaults(handler=_cmd_demo)

    db = sub.add_parser("db", help="the store's schema").add_subparsers(dest="action", required=True)
    db.add_parser(
        "upgrade", help="create the store's schema or apply its pending migrations, and print its version"
    ).set_defaults(handler=_cmd_db_upgrade)

    sv = sub.add_parser("serve", help="run the web map and HTTP API")
    sv.add_argument("--host", default=settings.host)
    sv.add_argument("--port", type=int, default=settings.port)
    sv.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes serving the port (default 1); each has its own PostGIS pool of GEO_NTM_DB_POOL_SIZE",
    )
    sv.set_defaults(handler=_cmd_serve, needs_store=False)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (``EXIT_CODES``)."""
    try:
        settings = Settings.from_env()
    except GeoNtmError as exc:  # a GEO_NTM_* variable that is not valid: say which, as for any bad input
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    args = build_parser(settings).parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else getattr(logging, settings.log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        if not getattr(args, "needs_store", True):
            return args.handler(None, args, settings.model_copy(update=dict(db=args.db)))
        with open_store(args.db) as store:
            return args.handler(store, args, settings)
    except GeoNtmError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
