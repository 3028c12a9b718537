"""Median and 95th-percentile time of 100 searches through ``search.Archive``.

    python -m bench.query_mix --index cables-index [--rounds 3] [--json]

The mix covers every kind of query the language offers (words, AND/OR/NOT, phrases,
proximity, fields, tags, date ranges, wildcards, fuzzy, exact words), with filters,
ceilings, facets, per-cable collapse and date sorts; 100 searches in all. One warm-up pass
fills the per-generation caches (as a long-running Archive has them); then each search is
timed ``--rounds`` times and its median kept.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

WORDS = ["pakistan", "nuclear", "election", "corruption", "terrorism", "embassy", "oil",
         "minister", "security", "refugees", "china", "human rights", "military", "iran",
         "trade", "police", "president", "drugs", "border", "taliban"]
PHRASES = ['"prime minister"', '"human rights"', '"nuclear program"', '"foreign minister"',
           '"security forces"', '"strategic communications"', '"civil society"',
           '"armed forces"', '"national security"', '"united nations"']
STRUCTURED = ['"nuclear program"~4', '"government officials"~3', "iran AND nuclear",
              "pakistan OR afghanistan", "corruption NOT police", "(oil OR gas) AND russia",
              "subject:pakistan", "heading:comment", 'origin:"Embassy London"', "tags:PTER",
              "tags:PREL AND election", "marking:C/NF", "level:secret", "created:[2009 to 2010]",
              "created:>=2009-10 military", "counterterror*", "refuge*", "pakistn~",
              "terorism~", '"meetings"']
FILTERED: list[tuple[str, dict[str, Any]]] = [
    ("security", {"tags": ["PTER"]}), ("election", {"origin": "Embassy Islamabad"}),
    ("nuclear", {"max_level": "CONFIDENTIAL"}), ("minister", {"max_level": "UNCLASSIFIED"}),
    ("oil", {"date_from": "2009-01-01", "date_to": "2009-12-31"}),
    ("corruption", {"classification": "SECRET"}), ("police", {"marking": "C"}),
    ("president", {"level": "SECRET"}), ("trade", {"tags": ["ECON", "PREL"]}),
    ("taliban", {"max_level": "SECRET", "tags": ["PTER"]}),
]


def query_mix() -> list[tuple[str, dict[str, Any]]]:
    """100 searches: (query, keyword arguments of Archive.search)."""
    mix: list[tuple[str, dict[str, Any]]] = []
    mix += [(w, {}) for w in WORDS]                                            # 20
    mix += [(p, {}) for p in PHRASES]                                          # 10
    mix += [(q, {}) for q in STRUCTURED]                                       # 20
    mix += FILTERED                                                            # 10
    mix += [(w, {"facets": True}) for w in WORDS[:15]]                         # 15
    mix += [(w, {"per_cable": True}) for w in WORDS[5:15]]                     # 10
    mix += [(w, {"sort": "-date"}) for w in WORDS[10:20]]                      # 10
    mix += [(w, {"page": 3}) for w in WORDS[:5]]                               # 5
    assert len(mix) == 100, len(mix)
    return mix


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _paragraphs(archive) -> int | None:
    try:
        return archive.stats().get("paragraphs")
    except Exception:  # stats are not what this measures
        return None


def run(index: str, rounds: int) -> dict[str, Any]:
    from search import Archive

    archive = Archive(index)
    mix = query_mix()
    for query, kwargs in mix:  # warm-up: caches of this index generation
        archive.search(query, **kwargs)
    times, cpu = [], []
    for query, kwargs in mix:
        samples, cpu_samples = [], []
        for _ in range(rounds):
            start, start_cpu = time.perf_counter(), time.process_time()
            archive.search(query, **kwargs)
            samples.append(time.perf_counter() - start)
            cpu_samples.append(time.process_time() - start_cpu)
        times.append((statistics.median(samples) * 1000, query, kwargs))
        cpu.append(statistics.median(cpu_samples) * 1000)
    ms = [t for t, _q, _k in times]
    return {
        "index": index, "queries": len(mix), "rounds": rounds,
        "paragraphs": _paragraphs(archive),
        "median_ms": round(statistics.median(ms), 1),
        "p95_ms": round(percentile(ms, 0.95), 1),
        "max_ms": round(max(ms), 1),
        # CPU time of this process: what the search costs on a busy machine
        "cpu_median_ms": round(statistics.median(cpu), 1),
        "cpu_p95_ms": round(percentile(cpu, 0.95), 1),
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "slowest": [{"ms": round(t, 1), "query": q, **k} for t, q, k in sorted(times, key=lambda x: x[0])[-5:]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = run(args.index, args.rounds)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return
    print(f"{report['queries']} searches on {report['index']} ({report['paragraphs'] or '?'} paragraphs): "
          f"median {report['median_ms']} ms, p95 {report['p95_ms']} ms, max {report['max_ms']} ms; "
          f"CPU median {report['cpu_median_ms']} ms, p95 {report['cpu_p95_ms']} ms "
          f"(load average {report['load_average']})")
    for slow in report["slowest"]:
        print(f"  {slow['ms']:>8} ms  {slow}")


if __name__ == "__main__":
    main()
