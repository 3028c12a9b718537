"""The `cables` command: thin click commands over the Python API.

Errors a user can cause are turned into a one-line message and an exit code here, in
one place (`main`): 1 for a run that skipped input or an index problem, 2 for a usage
or query error. Nothing else in the package prints tracebacks at users.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from indexer.engines.base import IndexProblem, QueryError
from indexer.model import ParseError

DEFAULT_INDEX = "cables-index"


def resolve_index(index: str | None) -> Path:
    """--index DIR, else $CABLES_INDEX, else ./cables-index."""
    return Path(index or os.environ.get("CABLES_INDEX") or DEFAULT_INDEX)


index_option = click.option(
    "--index", "index", metavar="DIR", default=None,
    help="Index directory [default: $CABLES_INDEX, else ./cables-index].",
)


class UserError(click.ClickException):
    """A one-line error with its own exit code."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class CablesGroup(click.Group):
    """Maps the package's user-facing exceptions to one line and an exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except QueryError as exc:
            raise UserError(f"bad query: {exc}", 2) from None
        except (IndexProblem, ParseError) as exc:
            raise UserError(str(exc), 1) from None


@click.group(cls=CablesGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cablesearch")
def cli() -> None:
    """Search archives of diplomatic cables, paragraph by paragraph."""


# --- parse (indexer: formats and cable rules) ---

def _cable_summary(cable) -> str:
    """One readable line per cable: refid, date, classification, origin, subject, counts."""
    created = cable.created.strftime("%Y-%m-%d %H:%M") if cable.created else "????-??-??"
    warned = f", {len(cable.warnings)} warning{'s' if len(cable.warnings) != 1 else ''}" if cable.warnings else ""
    return (f"{cable.refid}  {created}  {cable.classification or 'UNKNOWN'}  {cable.origin or '?'}\n"
            f"    {cable.subject or '(no subject)'}\n"
            f"    {len(cable.paragraphs)} paragraph{'s' if len(cable.paragraphs) != 1 else ''}{warned}")


@cli.command("parse")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--jsonl", is_flag=True, help="One JSON object per cable (all fields, paragraphs included).")
def parse_command(paths: tuple[Path, ...], jsonl: bool) -> None:
    """Read cables from files or directories (any supported format) and print them."""
    import json

    from indexer import parse_path

    skipped = 0

    def on_skip(source: str, reason: str) -> None:
        nonlocal skipped
        skipped += 1
        click.echo(f"skipped {source}: {reason}", err=True)

    for path in paths:
        for cable in parse_path(path, on_skip=on_skip):
            if jsonl:
                click.echo(json.dumps(cable.to_dict(), ensure_ascii=False))
            else:
                click.echo(_cable_summary(cable))
    if skipped:
        sys.exit(1)


# --- index, stats, optimize (indexer: build and engine) ---


def _skip_line(skip) -> str:
    return f"skipped {skip.source}: {skip.reason}"


def _summary_text(summary) -> str:
    lines = [
        f"index {summary.index}: {summary.cables:,} cables read from {summary.files:,} files "
        f"in {summary.seconds:.1f} s ({summary.commits} commits)",
        f"  added {summary.added:,}, replaced {summary.replaced:,}, unchanged "
        f"{summary.unchanged:,}, kept {summary.kept:,} (older release, not applied)",
        f"  paragraphs written {summary.paragraphs:,}",
    ]
    if summary.removed:
        lines.append(f"  removed {summary.removed:,}")
    if summary.skipped:
        lines.append(f"  skipped {len(summary.skipped):,} (reasons above)")
    return "\n".join(lines)


@cli.command("index")
@click.argument("paths", nargs=-1, required=True, metavar="PATH…")
@index_option
@click.option("--remove", is_flag=True,
              help="Remove the cables whose REFIDs are given instead of indexing files.")
@click.option("--memory", "memory_mb", type=click.IntRange(min=128), default=2048,
              show_default=True, metavar="MB", help="Memory budget of the whole run.")
@click.option("--workers", type=click.IntRange(min=0), default=None,
              help="Parse processes [default: cores - 1, tantivy: cores; 0 parses in the writer].")
@click.option("--batch", "batch_cables", type=click.IntRange(min=1), default=None,
              metavar="N", help="Commit every N cables [default: 2000, tantivy: 8000].")
@click.option("--wait", is_flag=True, help="Wait for another run writing this index.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.option("--engine", "engine_name", type=click.Choice(["whoosh", "tantivy"]), default=None,
              help="Engine of a new index [default: whoosh]; an existing index keeps its own.")
def index_command(paths, index, remove, memory_mb, workers, batch_cables, wait, as_json,
                  engine_name):
    """Index the cables in files and directories (PATH…), or --remove cables by REFID."""
    import json

    from indexer.build import build_index, remove_cables
    from indexer.progress import ProgressBar

    index_dir = resolve_index(index)
    if remove:
        summary = remove_cables(paths, index_dir, wait=wait)
    else:
        bar = ProgressBar()
        try:
            summary = build_index(paths, index_dir, memory_mb=memory_mb, workers=workers,
                                  progress=bar, wait=wait,
                                  on_skip=lambda skip: bar.note(_skip_line(skip)),
                                  batch_cables=batch_cables,
                                  engine_name=engine_name)
        finally:
            bar.finish()
    click.echo(json.dumps(summary.to_dict()) if as_json else _summary_text(summary))
    if summary.interrupted:
        raise UserError(f"interrupted: {summary.cables:,} cables in {summary.commits} commits "
                        "are in the index; run the same command again to finish", 130)
    if summary.skipped:
        click.get_current_context().exit(1)


def _stats_text(stats: dict) -> str:
    size = stats.get("size_bytes", 0) / 1e6
    lines = [
        f"cables      {stats['cables']:,} (+{stats.get('older_versions', 0):,} older versions)",
        f"paragraphs  {stats['paragraphs']:,}",
        f"dates       {stats.get('date_from') or '?'} … {stats.get('date_to') or '?'}",
        f"segments    {stats.get('segments')}   size on disk {size:,.1f} MB",
        "by classification:",
        *(f"  {count:>8,}  {name}" for name, count in stats.get("by_classification", {}).items()),
        "paragraphs by level:",
        *(f"  {count:>8,}  {name}" for name, count in stats.get("by_paragraph_level", {}).items()),
        "top origins:",
        *(f"  {count:>8,}  {name}" for name, count in stats.get("top_origins", [])),
        "top TAGS:",
        *(f"  {count:>8,}  {name}" for name, count in stats.get("top_tags", [])),
    ]
    return "\n".join(lines)


@cli.command("stats")
@index_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def stats_command(index, fmt):
    """Counts, date range, breakdowns, segments and size of the index."""
    import json

    from indexer.engines.registry import open_index

    engine = open_index(resolve_index(index))
    try:
        stats = engine.stats()
    finally:
        engine.close()
    click.echo(json.dumps(stats, ensure_ascii=False) if fmt == "json" else _stats_text(stats))


@cli.command("optimize")
@index_option
@click.option("--wait", is_flag=True, help="Wait for another run writing this index.")
def optimize_command(index, wait):
    """Merge the index's segments into one (faster searches after many small runs)."""
    from indexer.build import optimize_index

    index_dir = resolve_index(index)
    optimize_index(index_dir, wait=wait)
    click.echo(f"optimized {index_dir}")


# --- search, show, similar (search package) ---

def _open_archive(index):
    from search import Archive
    return Archive(resolve_index(index))


def _print_result(result, fmt: str) -> None:
    from search import render
    if fmt == "json":
        click.echo(render.search_json(result))
    elif fmt == "jsonl":
        for line in render.search_jsonl(result):
            click.echo(line)
    elif fmt == "csv":
        click.echo(render.search_csv(result), nl=False)
    else:
        click.echo(render.search_text(result, color=render.use_color(sys.stdout)))


format_option = click.option("--format", "fmt", type=click.Choice(["text", "json", "jsonl", "csv"]),
                             default="text", show_default=True, help="Output format.")
max_level_option = click.option("--max-level", metavar="LEVEL", default=None,
                                help="Ceiling: nothing above this level is shown (U, C, S, TS).")
page_options = [
    click.option("--limit", type=click.IntRange(0, 1000), default=10, show_default=True,
                 help="Hits per page."),
    click.option("--page", type=click.IntRange(min=1), default=1, show_default=True),
    click.option("--per-cable", is_flag=True, help="One best paragraph per cable."),
    click.option("--facets", is_flag=True, help="Count results by classification, level, "
                 "origin, tags, year and month."),
]


def _with(options):
    def decorate(fn):
        for option in reversed(options):
            fn = option(fn)
        return fn
    return decorate


@cli.command("search")
@click.argument("query")
@index_option
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="Only cables with this TAG (repeatable: all of them).")
@click.option("--origin", metavar="ORIGIN", help='Only cables from this origin, e.g. "Embassy London".')
@click.option("--classification", metavar="CLASS", help="Only cables of this classification.")
@click.option("--marking", metavar="MARKING", help="Only paragraphs with this marking, e.g. C/NF.")
@click.option("--level", metavar="LEVEL", help="Only paragraphs of this level.")
@max_level_option
@click.option("--from", "date_from", metavar="DATE", help="Created on or after (YYYY[-MM[-DD]]).")
@click.option("--to", "date_to", metavar="DATE", help="Created on or before (YYYY[-MM[-DD]]).")
@click.option("--sort", type=click.Choice(["relevance", "date", "-date"]), default="relevance",
              show_default=True, help="date: oldest first; -date: newest first.")
@_with(page_options)
@format_option
def search_command(query, index, tags, origin, classification, marking, level, max_level,
                   date_from, date_to, sort, limit, page, per_cable, facets, fmt):
    """Ranked paragraphs matching QUERY (AND OR NOT, -word, "phrases"~N, wild*, fuzzy~,
    field:value). A QUERY starting with a minus goes after --: cables search -- "-iran nuclear"."""
    archive = _open_archive(index)
    result = archive.search(query, tags=list(tags), origin=origin, classification=classification,
                            marking=marking, level=level, max_level=max_level,
                            date_from=date_from, date_to=date_to, sort=sort, limit=limit,
                            page=page, per_cable=per_cable, facets=bool(facets))
    _print_result(result, fmt)


@cli.command("show")
@click.argument("refid")
@index_option
@click.option("--para", type=int, metavar="N", help="Point out paragraph N.")
@max_level_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def show_command(refid, index, para, max_level, fmt):
    """A whole cable: header fields, then its paragraphs (REFID or REFID#N)."""
    from search import render
    from search.query import paragraph_ref
    if "#" in refid:
        refid, para = paragraph_ref(refid)
    archive = _open_archive(index)
    cable = archive.cable(refid, max_level=max_level)
    if cable is None:
        raise UserError(f"no cable {refid.upper()} in the index {archive.path}", 1)
    if fmt == "json":
        click.echo(render.cable_json(cable))
    else:
        click.echo(render.cable_text(cable, para, color=render.use_color(sys.stdout)))


@cli.command("similar")
@click.argument("ref", nargs=-1, required=True, metavar="REFID#N")
@index_option
@max_level_option
@_with(page_options)
@format_option
def similar_command(ref, index, max_level, limit, page, per_cable, facets, fmt):
    """Paragraphs like paragraph N of a cable (REFID#N, or REFID N)."""
    from search import NotFound
    from search.query import paragraph_ref
    if len(ref) > 2:
        raise UserError("give one paragraph: REFID#N or REFID N", 2)
    refid, number = paragraph_ref(*ref) if len(ref) == 2 else paragraph_ref(ref[0])
    archive = _open_archive(index)
    try:
        result = archive.similar(refid, number, max_level=max_level, limit=limit, page=page,
                                 per_cable=per_cable, facets=bool(facets))
    except NotFound as exc:
        raise UserError(str(exc), 1) from None
    _print_result(result, fmt)


# --- serve (web) ---


@cli.command()
@index_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; the default (loopback) lets only this machine in.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port).")
@click.option("--max-level", "max_level", metavar="LEVEL", default=None,
              help="Ceiling: no paragraph above this level is served, whatever a request asks.")
def serve(index: str | None, host: str, port: int, max_level: str | None) -> None:
    """A local web page for searching and reading the cables (and its JSON API)."""
    from indexer.model import normalize_level
    from search.web.app import create_app, is_loopback, make_server

    if max_level:
        try:
            max_level = normalize_level(max_level)
        except ValueError as exc:
            raise UserError(f"--max-level: {exc}", 2) from None
    app = create_app(resolve_index(index), max_level=max_level)
    try:
        server = make_server(app, host, port)
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", 1) from None
    if not is_loopback(host):
        click.echo(f"warning: listening on {host}: anyone who can reach this machine can read "
                   "the index", err=True)
    ceiling = f" (ceiling {max_level})" if max_level else ""
    click.echo(f"serving {resolve_index(index)} on http://{host}:{server.server_port}/{ceiling}"
               " — Ctrl-C stops", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


# --- refs, history (references and versions) ---

refs_format_option = click.option("--format", "fmt", type=click.Choice(["text", "json"]),
                                  default="text", show_default=True, help="Output format.")


@cli.command("refs")
@click.argument("refid")
@index_option
@refs_format_option
@click.option("--known", "known_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, metavar="FILE",
              help="Refids known to exist, one a line (e.g. a release's list): preferred, "
                   "besides the index's own, when a reference could mean more than one cable.")
def refs_command(refid: str, index: str | None, fmt: str, known_file: Path | None) -> None:
    """What cable REFID cites (as written, resolved, and whether it is indexed), and which
    indexed cables cite it."""
    from search import Archive, refs

    known = refs.read_refid_list(known_file) if known_file else None
    with Archive(resolve_index(index)) as archive:
        result = archive.references(refid, known)
    click.echo(refs.to_json(result) if fmt == "json" else refs.references_text(result))


@cli.command("history")
@click.argument("refid")
@index_option
@refs_format_option
@click.option("--diff", "show_diff", is_flag=True,
              help="Paragraph-level diff between two versions (default: the two newest).")
@click.option("--from", "old", type=click.IntRange(min=1), default=None, metavar="N",
              help="Diff from version N (1 = oldest release); implies --diff.")
@click.option("--to", "new", type=click.IntRange(min=1), default=None, metavar="M",
              help="Diff to version M; implies --diff.")
@click.option("--max-level", "max_level", metavar="LEVEL", default=None,
              help="Ceiling: paragraphs above this level are left out of the diff.")
def history_command(refid: str, index: str | None, fmt: str, show_diff: bool,
                    old: int | None, new: int | None, max_level: str | None) -> None:
    """The versions of cable REFID the index has seen, with release dates and sources."""
    from search import Archive, refs

    with Archive(resolve_index(index)) as archive:
        try:
            result = archive.history(refid, diff=show_diff or old is not None or new is not None,
                                     old=old, new=new, max_level=max_level)
        except ValueError as exc:
            raise UserError(str(exc), 2) from None
    if fmt == "json":
        click.echo(refs.to_json(result))
    else:
        from search.render import use_color
        click.echo(refs.history_text(result, color=use_color(sys.stdout)))


def main() -> None:
    """Entry point: `cables`. A closed pipe (`cables search … | head`) is not an error."""
    try:
        cli.main(prog_name="cables")
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
