"""Results as text, JSON, JSON lines and CSV: what `cables search/show/similar` print.

Snippets carry match spans; only here is a style chosen: ANSI bold yellow on a terminal,
plain text when piped or when ``NO_COLOR`` is set.
"""

from __future__ import annotations

import csv
import io
import json
import os
from typing import IO, Iterator

from .results import CableText, Hit, SearchResult

MATCH_ON, MATCH_OFF = "\x1b[1;33m", "\x1b[0m"
REF_ON, REF_OFF = "\x1b[1m", "\x1b[0m"
FACET_VALUES_SHOWN = 10
MONTHS_SHOWN = 24
CSV_COLUMNS = ("refid", "paragraph", "marking", "level", "created", "origin", "classification",
               "subject", "heading", "tags", "score", "matched", "snippet")


def use_color(stream: IO | None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def highlight(text: str, spans: list[tuple[int, int]], color: bool) -> str:
    """``text`` with its spans in bold yellow (color) or as is."""
    if not color or not spans:
        return text
    out, last = [], 0
    for start, end in sorted(spans):
        if start < last:
            continue
        out += [text[last:start], MATCH_ON, text[start:end], MATCH_OFF]
        last = end
    out.append(text[last:])
    return "".join(out)


def _one_line(text: str | None) -> str:
    # same length as the input, so highlight spans stay valid
    return "".join(" " if ch in "\r\n\t" else ch for ch in (text or ""))


def _date(value) -> str:
    return value.date().isoformat() if hasattr(value, "date") else (str(value) if value else "????-??-??")


def hit_header(hit: Hit, color: bool = False) -> str:
    """``REFID ¶N (MARKING)  DATE  ORIGIN  SUBJECT``"""
    ref = f"{hit.refid} ¶{hit.paragraph}"
    if color:
        ref = f"{REF_ON}{ref}{REF_OFF}"
    marking = f" ({hit.marking})" if hit.marking else ""
    line = f"{ref}{marking}  {_date(hit.created)}  {hit.origin or '?'}  {hit.subject or ''}"
    return line.rstrip()


def search_text(result: SearchResult, color: bool = False) -> str:
    lines: list[str] = []
    for hit in result.hits:
        lines.append(hit_header(hit, color))
        if hit.heading:
            lines.append(f"    {hit.heading}")
        lines.append("    " + highlight(_one_line(hit.snippet), hit.highlights, color))
        if result.per_cable and hit.matched > 1:
            lines.append(f"    ({hit.matched} paragraphs of this cable match)")
        lines.append("")
    unit = "cable" if result.per_cable else "paragraph"
    plural = "s" if result.total != 1 else ""
    summary = f"{result.total:,} {unit}{plural} match"
    if result.total > len(result.hits) and result.limit:
        summary += f" (page {result.page} of {result.pages})"
    lines.append(summary)
    lines += [f"note: {n}" for n in result.notices]
    if result.suggestion:
        lines.append(f"did you mean: {result.suggestion}")
    for name, pairs in result.facets.items():
        if name == "month" and len(pairs) > MONTHS_SHOWN:  # a long histogram: the latest months
            lines.append(f"month: … {len(pairs) - MONTHS_SHOWN} earlier · "
                         + " · ".join(f"{v} {c:,}" for v, c in pairs[-MONTHS_SHOWN:]))
            continue
        shown = pairs if name in ("year", "month") else pairs[:FACET_VALUES_SHOWN]
        more = "" if len(shown) == len(pairs) else f" · … {len(pairs) - len(shown)} more"
        lines.append(f"{name}: " + " · ".join(f"{v} {c:,}" for v, c in shown) + more)
    return "\n".join(lines)


def search_json(result: SearchResult) -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False)


def search_jsonl(result: SearchResult) -> Iterator[str]:
    for hit in result.hits:
        yield json.dumps(hit.to_dict(), ensure_ascii=False)


def search_csv(result: SearchResult) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for hit in result.hits:
        data = hit.to_dict()
        data["tags"] = " ".join(hit.tags)
        writer.writerow([data.get(c) if data.get(c) is not None else "" for c in CSV_COLUMNS])
    return out.getvalue()


def cable_text(cable: CableText, para: int | None = None, color: bool = False) -> str:
    """Header fields, then every paragraph with number, marking and heading."""
    def field(name: str, value) -> None:
        if value:
            lines.append(f"{name:<15}{value}")

    title = f"{REF_ON}{cable.refid}{REF_OFF}" if color else cable.refid
    lines = [title]
    field("subject", cable.subject)
    field("created", cable.created.isoformat(sep=" ") if cable.created else None)
    field("released", cable.released.isoformat() if cable.released else None)
    field("classification", cable.classification)
    field("caveats", ", ".join(cable.caveats))
    field("origin", cable.origin)
    field("from", cable.sender)
    field("to", "; ".join(cable.recipients))
    field("TAGS", " ".join(cable.tags))
    field("references", "; ".join(r["refid"] or r["written"] for r in cable.references))
    field("classified by", cable.classified_by)
    if cable.partial:
        lines.append("note           the release holds a partial extract of this cable")
    if cable.withheld:
        lines.append(f"withheld       {cable.withheld} paragraph{'s' if cable.withheld != 1 else ''} "
                     f"above {cable.max_level}")
    for p in cable.paragraphs:
        lines.append("")
        if p.heading:
            lines.append(f"   --- {p.heading} ---")
        pointer = ">> " if para is not None and p.number == para else "   "
        marking = f" ({p.marking})" if p.marking else ""
        if p.withheld:
            lines.append(f"{pointer}¶{p.number}{marking}  [withheld: above {cable.max_level}]")
        else:
            lines.append(f"{pointer}¶{p.number}{marking}  {_one_line(p.text)}")
    return "\n".join(lines)


def cable_json(cable: CableText) -> str:
    return json.dumps(cable.to_dict(), ensure_ascii=False)
