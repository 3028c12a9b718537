"""``python -m bench``: build the same archive with every engine, query it, report side by side.

Steps: read the input's cables (each refid once, newest release), draw the query mix from
them, write the archive at the chosen scale as one cables.csv, then for each engine build it
in a child process and run the query mix warm in another. Results go to a JSON file and a
Markdown table, every figure also as a ratio to FTS5 in the same run.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import report
from .engines import BASELINE, ENGINES
from .measure import ROOT, dir_size_mb, machine_line, run_job
from .queries import CLASSES, DEFAULT_SEED, build_mix
from .replicate import load_cables, replicate, write_dump

CABLEGATE_PARAGRAPHS = 2_000_000
MIN_SHARE_INDEXED = 0.95  # below this an engine did not read the archive: stop, do not report


def default_input() -> Path:
    configured = os.environ.get("CABLES_CORPUS")
    return Path(configured) if configured else ROOT.parent / "shared" / "corpus"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Build and query the same archive with cablesearch and SQLite FTS5.")
    parser.add_argument("--input", type=Path, default=None,
                        help="a folder of cables or a cables.csv [default: $CABLES_CORPUS, "
                             "else ../shared/corpus]")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--scale", type=int, default=1, help="copies of every cable [default: 1]")
    size.add_argument("--cablegate", action="store_true",
                      help="as many copies as reach Cablegate's ~2 million paragraphs")
    parser.add_argument("--max-cables", type=int, default=None,
                        help="take only the first N cables of the input (by refid)")
    parser.add_argument("--engines", default=",".join(ENGINES),
                        help=f"comma-separated, from: {', '.join(ENGINES)} [default: all]")
    parser.add_argument("--per-class", type=int, default=25,
                        help=f"queries per class ({len(CLASSES)} classes) [default: 25]")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--repeat", type=int, default=1,
                        help="timed passes over the mix after the warm-up pass [default: 1]")
    parser.add_argument("--memory-mb", type=int, default=None,
                        help="cablesearch's memory budget [default: its own]")
    parser.add_argument("--workers", type=int, default=None,
                        help="cablesearch's parse workers [default: its own]")
    parser.add_argument("--out", type=Path, default=Path("bench-results"),
                        help="where the JSON and Markdown go [default: ./bench-results]")
    parser.add_argument("--keep", action="store_true",
                        help="keep the archive and the indexes (under OUT/work-SCALEx)")
    args = parser.parse_args(argv)
    args.input = args.input or default_input()
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = [e for e in args.engines if e not in ENGINES]
    if unknown:
        parser.error(f"unknown engine(s) {', '.join(unknown)}; known: {', '.join(ENGINES)}")
    if not args.input.exists():
        parser.error(f"no input at {args.input}: give a folder of cables or a cables.csv "
                     "with --input")
    if args.scale < 1 or args.per_class < 1:
        parser.error("--scale and --per-class must be at least 1")
    return args


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> dict[str, Any]:
    say(f"reading {args.input}")
    started = time.perf_counter()
    skipped: list[tuple[str, str]] = []
    cables = load_cables(args.input, lambda source, reason: skipped.append((source, reason)))
    undated = [c for c in cables if c.created is None]
    cables = [c for c in cables if c.created is not None]  # the dump layout needs a date
    if args.max_cables:
        cables = cables[:args.max_cables]
    if not cables:
        raise SystemExit(f"no cables with paragraphs found in {args.input}")
    load_seconds = time.perf_counter() - started
    base_paragraphs = sum(len(c.paragraphs) for c in cables)
    scale = (math.ceil(CABLEGATE_PARAGRAPHS / base_paragraphs) if args.cablegate
             else args.scale)
    say(f"{len(cables):,} cables, {base_paragraphs:,} paragraphs at 1× ({len(skipped)} inputs "
        f"skipped, {len(undated)} cables without a date left out); scale {scale}×")

    mix = build_mix(cables, per_class=args.per_class, seed=args.seed)
    work = args.out / f"work-{scale}x"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    dump = work / "cables.csv"
    started = time.perf_counter()
    archive = write_dump(replicate(cables, scale), dump)
    say(f"archive written: {archive['cables']:,} cables, {archive['paragraphs']:,} paragraphs, "
        f"{archive['file_mb']:.0f} MB ({time.perf_counter() - started:.1f} s)")
    archive.update(source_cables=len(cables), source_paragraphs=base_paragraphs,
                   inputs_skipped=len(skipped), undated_cables_left_out=len(undated),
                   load_seconds=round(load_seconds, 2))

    results: dict[str, Any] = {
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_line(), "input": str(args.input), "scale": scale,
        "seed": args.seed, "archive": archive,
        "options": {"memory_mb": args.memory_mb, "workers": args.workers,
                    "repeat": args.repeat},
        "queries": {"count": len(mix), "per_class": args.per_class, "classes": list(CLASSES),
                    "limit": mix[0].limit, "mix": [q.to_dict() for q in mix]},
        "engines": {},
    }
    options = {"memory_mb": args.memory_mb, "workers": args.workers}
    order = sorted(args.engines, key=lambda name: name != BASELINE)  # the baseline first
    for name in order:
        engine = ENGINES[name]
        missing = engine.available()
        if missing:
            say(f"{name}: skipped ({missing})")
            results["engines"][name] = {"description": engine.description, "skipped": missing}
            continue
        target = work / name
        say(f"{name}: building")
        raw = run_job({"job": "build", "engine": name, "dump": str(dump), "target": str(target),
                       "options": options}, work / "jobs")
        entry: dict[str, Any] = {"description": engine.description,
                                 "build": report.build_figures(raw, archive["text_mb"])}
        entry["build"]["size_mb"] = dir_size_mb(target) if engine.answers_queries else None
        say(f"{name}: built {raw['paragraphs']:,} paragraphs in {raw['seconds']:.1f} s")
        if raw["paragraphs"] < MIN_SHARE_INDEXED * archive["paragraphs"]:
            raise SystemExit(f"{name} read only {raw['paragraphs']:,} of the archive's "
                             f"{archive['paragraphs']:,} paragraphs: the figures would mean "
                             f"nothing (is {dump} still read as a cables.csv?)")
        if engine.answers_queries:
            say(f"{name}: {len(mix)} queries, warm")
            raw_queries = run_job({"job": "query", "engine": name, "target": str(target),
                                   "queries": [q.to_dict() for q in mix],
                                   "repeat": args.repeat}, work / "jobs")
            entry["raw_queries"] = raw_queries
            entry["open_ms"] = raw_queries["open_ms"]
        results["engines"][name] = entry
        if not args.keep and name != BASELINE:
            shutil.rmtree(target, ignore_errors=True)

    baseline = results["engines"].get(BASELINE, {}).get("raw_queries")
    for entry in results["engines"].values():
        raw_queries = entry.pop("raw_queries", None)
        if raw_queries:
            entry["queries"] = report.query_figures(raw_queries, baseline)
            entry["per_query"] = [{k: q[k] for k in ("qid", "ms", "cpu_ms", "total") if k in q}
                                  for q in raw_queries["queries"]]
    report.add_ratios(results)
    results["load_average_end"] = machine_line()["load_average"]
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results = run(args)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"bench-{results['scale']}x"
    report.write_json(results, args.out / f"{stem}.json")
    table = report.markdown(results)
    (args.out / f"{stem}.md").write_text(table, encoding="utf-8")
    print(table)
    say(f"wrote {args.out / (stem + '.json')} and {args.out / (stem + '.md')}")
    return 0
