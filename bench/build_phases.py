"""Where a build's CPU goes, phase by phase, beside the FTS5 baseline's on the same cables.

    python -m bench.build_phases --input FILE_OR_DIR [--engine tantivy] [--max-cables N] [--json]

Everything runs in this one process, one phase after another over the same parsed cables,
so each figure is that phase's own CPU time (all threads): parsing; the engine's ``prepare``
(the index-free part of writing, run by a build's parse workers); the trip of its result
between processes (pickled and unpickled per message, as ``indexer.build`` sends them);
then the engine's writes in the build's commit sizes, split into this thread (planning,
feeding documents) and the engine's own threads (tantivy's indexing and merging). The FTS5
baseline (bench/fts5.py) turns the same cables into rows and inserts them.

A build on N cores cannot take less wall time than its CPU over N; FTS5's cannot take less
than its parse process (parse + rows) or its insert, whichever is longer. Both bounds are
printed: they say whether an engine can match FTS5's build speed before any run does.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import pickle
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from indexer.build import (DEFAULT_MEMORY_MB, GC_THRESHOLD, SEND_CABLES, default_workers,
                           writer_memory_mb)
from indexer.engines.registry import ENGINES, create_index
from indexer.model import Cable
from indexer.parse import parse_path

from . import fts5


@dataclass
class Phases:
    """CPU seconds per phase, for ``paragraphs`` paragraphs of ``cables`` cables."""

    engine: str
    cables: int = 0
    paragraphs: int = 0
    written: int = 0  # paragraphs the engine reports written
    inserted: int = 0  # paragraphs FTS5 inserted
    cores: int = field(default_factory=lambda: os.cpu_count() or 1)
    parse: float = 0.0  # both builds parse alike: measured once
    engine_own: dict[str, float] = field(default_factory=dict)  # the phases after parsing
    fts5_own: dict[str, float] = field(default_factory=dict)

    @property
    def engine_cpu(self) -> dict[str, float]:
        return {"parse": self.parse, **self.engine_own}

    @property
    def fts5_cpu(self) -> dict[str, float]:
        return {"parse": self.parse, **self.fts5_own}

    def bounds(self) -> dict[str, float]:
        """The least wall time each build can take on this machine's cores."""
        fts5 = self.fts5_cpu
        return {"engine": sum(self.engine_cpu.values()) / self.cores,
                "fts5": max(sum(fts5.values()) / self.cores, fts5["parse"] + fts5["rows"],
                            fts5["insert"])}

    def to_dict(self) -> dict[str, Any]:
        return {"engine": self.engine, "cables": self.cables, "paragraphs": self.paragraphs,
                "written": self.written, "inserted": self.inserted, "cores": self.cores,
                "engine_cpu": self.engine_cpu, "fts5_cpu": self.fts5_cpu,
                "bounds": self.bounds()}


def _cpu() -> float:
    return time.process_time()  # every thread of this process


def parse_cables(source: Path, limit: int | None, phases: Phases) -> list[Cable]:
    started = _cpu()
    cables = list(itertools.islice(parse_path(source, on_skip=lambda _s, _r: None), limit))
    phases.parse = _cpu() - started
    phases.cables = len(cables)
    phases.paragraphs = sum(len(c.paragraphs) for c in cables)
    return cables


def _messages(cables: list[Cable]) -> Iterator[list[Cable]]:
    for start in range(0, len(cables), SEND_CABLES):
        yield cables[start:start + SEND_CABLES]


def measure_engine(cables: list[Cable], engine_name: str, workdir: Path,
                   phases: Phases) -> None:
    engine = create_index(workdir / engine_name, engine_name)
    prepare = engine.build_prepare()
    received: list[Any] = []
    prepare_cpu = transfer_cpu = 0.0
    for message in _messages(cables):
        started = _cpu()
        prepared = prepare(message)
        middle = _cpu()
        received.extend(pickle.loads(pickle.dumps(prepared, pickle.HIGHEST_PROTOCOL)))
        prepare_cpu += middle - started
        transfer_cpu += _cpu() - middle
    phases.engine_own["prepare"] = prepare_cpu
    phases.engine_own["transfer"] = transfer_cpu

    engine.set_memory_budget(writer_memory_mb(DEFAULT_MEMORY_MB, default_workers(engine)))
    batch_cables, batch_paragraphs = engine.build_batch
    started, thread_started = _cpu(), time.thread_time()
    try:
        pending: list[Any] = []
        count = 0
        for item, cable in zip(received, cables):
            pending.append(item)
            count += len(cable.paragraphs)
            if len(pending) >= batch_cables or count >= batch_paragraphs:
                phases.written += engine.write(pending).paragraphs
                pending, count = [], 0
        phases.written += engine.write(pending).paragraphs if pending else 0
    finally:
        engine.close()  # (waits for tantivy's merges)
    this_thread = time.thread_time() - thread_started
    phases.engine_own["write, this thread"] = this_thread
    phases.engine_own["write, engine threads"] = max(0.0, _cpu() - started - this_thread)


def measure_fts5(cables: list[Cable], workdir: Path, phases: Phases) -> None:
    started = _cpu()
    rows = [fts5.cable_row(cable) for cable in cables]
    middle = _cpu()
    conn = fts5.create(workdir / "fts5.db")
    try:
        phases.inserted = fts5.insert(conn, rows)["paragraphs"]
    finally:
        conn.close()
    phases.fts5_own["rows"] = middle - started
    phases.fts5_own["insert"] = _cpu() - middle


def measure(source: Path, engine_name: str, limit: int | None = None) -> Phases:
    phases = Phases(engine_name)
    previous = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLD)  # as the build runs
    try:
        cables = parse_cables(source, limit, phases)
        with tempfile.TemporaryDirectory(prefix="build-phases-") as workdir:
            measure_fts5(cables, Path(workdir), phases)
            measure_engine(cables, engine_name, Path(workdir), phases)
    finally:
        gc.set_threshold(*previous)
    return phases


def table(phases: Phases) -> str:
    per = 1000 / max(phases.paragraphs, 1)
    lines = [f"{phases.cables:,} cables, {phases.paragraphs:,} paragraphs "
             f"({phases.engine} wrote {phases.written:,}, FTS5 inserted {phases.inserted:,})",
             "", "| build | phase | CPU s | ms per paragraph | share |", "|---|---|---:|---:|---:|"]
    for name, cpu in (("cablesearch-" + phases.engine, phases.engine_cpu),
                      ("fts5", phases.fts5_cpu)):
        total = sum(cpu.values())
        for phase, seconds in cpu.items():
            lines.append(f"| {name} | {phase} | {seconds:.1f} | {seconds * per:.3f} | "
                         f"{seconds / total:.0%} |")
        lines.append(f"| {name} | **total** | {total:.1f} | {total * per:.3f} | 100% |")
    bounds = phases.bounds()
    ratio = sum(phases.engine_cpu.values()) / max(sum(phases.fts5_cpu.values()), 1e-9)
    lines += ["", f"CPU, {phases.engine} over FTS5: ×{ratio:.2f}. Least build wall time on "
              f"{phases.cores} cores: {phases.engine} {bounds['engine']:.1f} s, "
              f"FTS5 {bounds['fts5']:.1f} s (×{bounds['engine'] / bounds['fts5']:.2f})."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.build_phases",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--input", type=Path, required=True,
                        help="a folder of cables or a cables.csv (the benchmark's archive)")
    parser.add_argument("--engine", default="tantivy", choices=sorted(ENGINES),
                        help="the engine to measure [default: tantivy]")
    parser.add_argument("--max-cables", type=int, default=None,
                        help="only the first N cables of the input")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if not args.input.exists():
        parser.error(f"no such file or directory: {args.input}")
    phases = measure(args.input, args.engine, args.max_cables)
    print(json.dumps(phases.to_dict(), indent=2) if args.json else table(phases))
    return 0


if __name__ == "__main__":
    sys.exit(main())
