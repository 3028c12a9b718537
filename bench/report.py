"""Figures from the raw job results, every one also as a ratio to FTS5; JSON and Markdown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .engines import BASELINE
from .measure import latency_summary
from .queries import CLASSES

BUILD_FIGURES = ("seconds", "paragraphs_per_s", "mb_text_per_s", "peak_mb", "private_peak_mb",
                 "size_mb", "cpu_seconds")
LATENCY_FIGURES = ("median_ms", "p95_ms", "max_ms", "cpu_median_ms", "cpu_p95_ms",
                   "cpu_max_ms")


def ratio(value: float | None, base: float | None) -> float | None:
    if value is None or not base:
        return None
    return round(value / base, 3)


def build_figures(raw: dict[str, Any], text_mb: float) -> dict[str, Any]:
    seconds = raw["seconds"]
    return {
        "seconds": seconds,
        "paragraphs": raw.get("paragraphs"),
        "paragraphs_per_s": round(raw["paragraphs"] / seconds, 1) if seconds else None,
        "mb_text_per_s": round(text_mb / seconds, 3) if seconds else None,
        "peak_mb": raw.get("peak_mb"),
        "self_peak_mb": raw.get("self_peak_mb"),
        "workers_peak_mb": raw.get("workers_peak_mb"),
        "tree_peak_mb": raw.get("tree_peak_mb"),
        "private_peak_mb": raw.get("tree_private_peak_mb"),
        "size_mb": raw.get("size_mb"),
        "process_seconds": raw.get("process_seconds"),
        "cpu_seconds": raw.get("cpu_seconds"),
    }


def query_figures(raw: dict[str, Any], baseline: dict[str, Any] | None) -> dict[str, Any]:
    """Latency per class; how many paragraphs matched; top-10 overlap with the baseline."""
    by_class: dict[str, Any] = {}
    base_by_qid = {q["qid"]: q for q in baseline["queries"]} if baseline else {}
    for cls in CLASSES:
        answers = [q for q in raw["queries"] if q["cls"] == cls]
        figures = latency_summary([q["ms"] for q in answers])
        if answers and all("cpu_ms" in q for q in answers):
            cpu = latency_summary([q["cpu_ms"] for q in answers])
            figures.update({f"cpu_{k}": v for k, v in cpu.items() if k != "n"})
        figures["matches"] = sum(q["total"] for q in answers)
        overlaps = []
        for answer in answers:
            base = base_by_qid.get(answer["qid"])
            if base is None:
                continue
            ours = {tuple(h) for h in answer["hits"]}
            theirs = {tuple(h) for h in base["hits"]}
            if ours or theirs:
                overlaps.append(len(ours & theirs) / max(len(ours), len(theirs)))
        figures["top10_overlap_with_fts5"] = (round(sum(overlaps) / len(overlaps), 3)
                                              if overlaps else None)
        by_class[cls] = figures
    return by_class


def add_ratios(results: dict[str, Any]) -> None:
    """Every engine's figures divided by FTS5's in the same run (``ratio_to_fts5``)."""
    engines = results["engines"]
    base = engines.get(BASELINE)
    for data in engines.values():
        if base and "build" in data and "build" in base:
            data["build_ratio_to_fts5"] = {k: ratio(data["build"].get(k), base["build"].get(k))
                                           for k in BUILD_FIGURES}
        if base and data.get("queries") and base.get("queries"):
            data["queries_ratio_to_fts5"] = {
                cls: {k: ratio(data["queries"][cls].get(k), base["queries"][cls].get(k))
                      for k in LATENCY_FIGURES}
                for cls in CLASSES}
        if data.get("queries"):
            facets, common = data["queries"]["facets"], data["queries"]["common"]
            data["facets_p95_over_common_p95"] = ratio(facets["p95_ms"], common["p95_ms"])
            data["facets_cpu_p95_over_common_cpu_p95"] = ratio(facets.get("cpu_p95_ms"),
                                                               common.get("cpu_p95_ms"))


def write_json(results: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8")


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def _x(value: float | None) -> str:
    return "" if value is None else f" (×{value:.2f})"


def markdown(results: dict[str, Any]) -> str:
    archive, machine = results["archive"], results["machine"]
    engines = results["engines"]
    lines = [
        f"### Benchmark at {results['scale']}× — {archive['cables']:,} cables, "
        f"{archive['paragraphs']:,} paragraphs, {archive['text_mb']:.1f} MB of paragraph text",
        "",
        f"Machine: {machine['machine']}; {machine['cores']} cores; "
        f"{machine['memory_gb']} GB; Python {machine['python']}; SQLite {machine['sqlite']}. "
        f"Load average at start {_load(machine.get('load_average'))}, at end "
        f"{_load(results.get('load_average_end'))}. "
        f"Input: {results['input']}. Ratios are to FTS5 in the same run.",
        "",
        "**Build** (from the dump layout, parsing included)",
        "",
        "| engine | seconds | paragraphs/s | MB text/s | peak MB | private peak MB "
        "| size on disk MB | CPU s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, data in engines.items():
        if "build" not in data:
            continue
        build, ratios = data["build"], data.get("build_ratio_to_fts5", {})
        cells = [_num(build.get(k), 2 if k == "mb_text_per_s" else 1) + _x(ratios.get(k))
                 for k in BUILD_FIGURES]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    searched = [n for n, d in engines.items() if d.get("queries")]
    lines += [
        "",
        f"**Queries**, warm, top {results['queries']['limit']} with ranking: median / p95 / max "
        "ms per class (p95 as a ratio to FTS5)",
        "",
        "| class | n | " + " | ".join(searched) + " |",
        "|---|---:|" + "---:|" * len(searched),
    ]
    for cls in CLASSES:
        cells = []
        for name in searched:
            q = engines[name]["queries"][cls]
            p95_ratio = engines[name].get("queries_ratio_to_fts5", {}).get(cls, {}).get("p95_ms")
            cells.append(f"{_num(q['median_ms'])} / {_num(q['p95_ms'])} / {_num(q['max_ms'])}"
                         + ("" if name == BASELINE else _x(p95_ratio)))
        n = engines[searched[0]]["queries"][cls]["n"] if searched else 0
        lines.append(f"| {cls} | {n} | " + " | ".join(cells) + " |")
    if searched and all("cpu_p95_ms" in engines[n]["queries"][CLASSES[0]] for n in searched):
        lines += [
            "",
            "The same queries in CPU time of the searching process (less moved by other load): "
            "median / p95 ms (p95 as a ratio to FTS5)",
            "",
            "| class | " + " | ".join(searched) + " |",
            "|---|" + "---:|" * len(searched),
        ]
        for cls in CLASSES:
            cells = []
            for name in searched:
                q = engines[name]["queries"][cls]
                p95_ratio = engines[name].get("queries_ratio_to_fts5", {}).get(cls, {}).get(
                    "cpu_p95_ms")
                cells.append(f"{_num(q['cpu_median_ms'])} / {_num(q['cpu_p95_ms'])}"
                             + ("" if name == BASELINE else _x(p95_ratio)))
            lines.append(f"| {cls} | " + " | ".join(cells) + " |")
    if searched:
        lines += ["", "Facets p95 over the plain query's p95 (same words), wall / CPU: "
                  + "; ".join(f"{n} ×{_ratio_text(engines[n].get('facets_p95_over_common_p95'))}"
                              f" / ×{_ratio_text(engines[n].get('facets_cpu_p95_over_common_cpu_p95'))}"
                              for n in searched) + "."]
        overlap = [f"{n} {_overlap(engines[n])}" for n in searched if n != BASELINE]
        if overlap:
            lines.append("Top-10 overlap with FTS5 (mean over queries, all classes): "
                         + "; ".join(overlap) + ".")
    return "\n".join(lines) + "\n"


def _overlap(data: dict[str, Any]) -> str:
    values = [q["top10_overlap_with_fts5"] for q in data["queries"].values()
              if q.get("top10_overlap_with_fts5") is not None]
    return f"{sum(values) / len(values):.2f}" if values else "–"


def _load(values: list[float] | None) -> str:
    return "/".join(f"{v:.1f}" for v in values) if values else "unknown"


def _ratio_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"
