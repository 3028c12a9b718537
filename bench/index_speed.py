"""Measure indexing speed and peak memory with several Whoosh writer settings.

    CABLES_CORPUS=../shared/corpus python bench/index_speed.py [--input FILE] [--configs a,b]

The input (default: cables-csv/cables-dev.csv of the corpus) is parsed once and cached;
then every writer configuration indexes the same cables, in commits of the build loop's
batch size, each in a fresh process so that its peak RSS (ru_maxrss) is its own. The
parse time is reported apart. Finally the whole `cables index` command (parse workers and
writer together, our settings) is timed on the same input.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# name -> writer options (None: our settings from the memory budget)
CONFIGS: dict[str, dict | None] = {
    "ours": None,
    "whoosh-default": {},
    "procs2": {"procs": 2, "limitmb": 256},
    "procs2-multisegment": {"procs": 2, "multisegment": True, "limitmb": 128,
                            "subargs": {"limitmb": 128}},
    "limitmb64": {"limitmb": 64},
    "limitmb512": {"limitmb": 512},
}


def parse_to_cache(source: Path, cache: Path) -> dict:
    from indexer.parse import parse_path

    started = time.monotonic()
    cpu = time.process_time()
    cables = list(parse_path(source, on_skip=lambda s, r: None))
    stats = {"cables": len(cables), "paragraphs": sum(len(c.paragraphs) for c in cables),
             "text_mb": sum(len(c.body.encode("utf-8")) for c in cables) / 1e6,
             "parse_seconds": time.monotonic() - started,
             "parse_cpu_seconds": time.process_time() - cpu}
    with cache.open("wb") as out:
        pickle.dump(cables, out, protocol=pickle.HIGHEST_PROTOCOL)
    return stats


def run_one(name: str, cache: Path, memory_mb: int) -> dict:
    """In this (fresh) process: index the cached cables with one writer configuration."""
    from indexer.build import DEFAULT_BATCH_CABLES, default_workers, writer_memory_mb
    from indexer.engines.registry import create_index

    with cache.open("rb") as f:
        cables = pickle.load(f)
    options = CONFIGS[name]
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_index(Path(tmp) / "ix")
        if options is None:
            engine.set_memory_budget(writer_memory_mb(memory_mb, default_workers()))
        else:
            engine.writer_options = dict(options)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started, cpu = time.monotonic(), time.process_time()
        paragraphs = 0
        for i in range(0, len(cables), DEFAULT_BATCH_CABLES):
            paragraphs += engine.write(cables[i:i + DEFAULT_BATCH_CABLES]).paragraphs
        seconds = time.monotonic() - started
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        size = sum(p.stat().st_size for p in (Path(tmp) / "ix").iterdir())
        engine.close()
    self_usage = resource.getrusage(resource.RUSAGE_SELF)
    self_cpu = time.process_time() - cpu
    return {"config": name, "writer_options": engine.writer_options, "seconds": seconds,
            "cpu_seconds": self_cpu + children.ru_utime + children.ru_stime,
            "main_cpu_seconds": self_cpu, "load_average_1min": os.getloadavg()[0],
            "paragraphs": paragraphs,
            "text_mb": sum(len(c.body.encode("utf-8")) for c in cables) / 1e6,
            "peak_rss_mb": self_usage.ru_maxrss / 1024,
            "rss_before_mb": rss_before / 1024,
            "children_peak_rss_mb": children.ru_maxrss / 1024,
            "index_mb": size / 1e6}


def run_cli(source: Path) -> dict:
    """The whole `cables index` command on the input, our settings."""
    with tempfile.TemporaryDirectory() as tmp:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        proc = subprocess.run([sys.executable, "-c", "from search.cli import main; main()", "index", str(source),
                               "--index", str(Path(tmp) / "ix"), "--json"],
                              capture_output=True, text=True, cwd=ROOT)
        seconds = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    summary = json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else {}
    return {"config": "cables index (end to end)", "seconds": seconds,
            "cpu_seconds": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "paragraphs": summary.get("paragraphs"), "exit": proc.returncode,
            "peak_rss_mb_largest_process": after.ru_maxrss / 1024}


def main() -> None:
    corpus = Path(os.environ.get("CABLES_CORPUS", ROOT.parent / "shared" / "corpus"))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", type=Path, default=corpus / "cables-csv" / "cables-dev.csv")
    parser.add_argument("--configs", default="ours,whoosh-default")
    parser.add_argument("--memory", type=int, default=2048)
    parser.add_argument("--no-cli", action="store_true")
    parser.add_argument("--rounds", type=int, default=1,
                        help="repeat the configurations, interleaved (a busy machine's load drifts)")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_one(args.run, args.cache, args.memory)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cables.pickle"
        info = parse_to_cache(args.input, cache)
        print(json.dumps({"input": str(args.input), "cpus": os.cpu_count(),
                          "load_average": os.getloadavg(), **info}))
        for name in args.configs.split(",") * args.rounds:
            out = subprocess.run([sys.executable, __file__, "--run", name, "--cache", str(cache),
                                  "--memory", str(args.memory)],
                                 capture_output=True, text=True, check=True)
            result = json.loads(out.stdout)
            result["paragraphs_per_second"] = result["paragraphs"] / result["seconds"]
            result["text_mb_per_second"] = result["text_mb"] / result["seconds"]
            result["paragraphs_per_cpu_second"] = result["paragraphs"] / result["cpu_seconds"]
            print(json.dumps(result), flush=True)
    if not args.no_cli:
        result = run_cli(args.input)
        if result["paragraphs"]:
            result["paragraphs_per_second"] = result["paragraphs"] / result["seconds"]
            result["text_mb_per_second"] = info["text_mb"] / result["seconds"]
        print(json.dumps(result))


if __name__ == "__main__":
    main()
