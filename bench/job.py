"""The child side of a measurement: one build or one query pass, then its figures as JSON.

Run by ``measure.run_job`` as ``python -m bench.job SPEC.json OUT.json``; never by hand.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from .engines import ENGINES
from .measure import dir_size_mb, own_peak_mb
from .queries import BenchQuery


def run_build(spec: dict[str, Any]) -> dict[str, Any]:
    engine = ENGINES[spec["engine"]]
    target = Path(spec["target"])
    started = time.perf_counter()
    counts = engine.build(Path(spec["dump"]), target, spec.get("options", {}))
    seconds = time.perf_counter() - started
    return {**counts, "seconds": round(seconds, 3), **own_peak_mb(),
            "size_mb": dir_size_mb(target)}


def run_queries(spec: dict[str, Any]) -> dict[str, Any]:
    """Open the index, answer every query once to warm up, then time ``repeat`` passes."""
    engine = ENGINES[spec["engine"]]
    queries = [BenchQuery.from_dict(q) for q in spec["queries"]]
    started = time.perf_counter()
    searcher = engine.searcher(Path(spec["target"]))
    open_ms = (time.perf_counter() - started) * 1000
    answers: dict[int, dict[str, Any]] = {}
    for query in queries:
        answers[query.qid] = searcher.search(query)
    timings: dict[int, list[float]] = {q.qid: [] for q in queries}
    cpu: dict[int, list[float]] = {q.qid: [] for q in queries}
    for _ in range(max(1, int(spec.get("repeat", 1)))):
        for query in queries:
            started, started_cpu = time.perf_counter(), time.process_time()
            searcher.search(query)
            timings[query.qid].append((time.perf_counter() - started) * 1000)
            cpu[query.qid].append((time.process_time() - started_cpu) * 1000)
    searcher.close()
    results = []
    for query in queries:
        times, cpu_times = sorted(timings[query.qid]), sorted(cpu[query.qid])
        answer = answers[query.qid]
        results.append({"qid": query.qid, "cls": query.cls, "ms": round(times[len(times) // 2], 3),
                        "cpu_ms": round(cpu_times[len(cpu_times) // 2], 3),
                        "total": answer["total"], "hits": answer["hits"]})
    return {"open_ms": round(open_ms, 3), "queries": results, **own_peak_mb()}


def main(argv: list[str]) -> int:
    spec_path, out_path = Path(argv[0]), Path(argv[1])
    spec = json.loads(spec_path.read_text())
    job = {"build": run_build, "query": run_queries}[spec["job"]]
    result = job(spec)
    out_path.write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
