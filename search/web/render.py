"""Between the Python API and the templates: request → API arguments, API objects → views.

JSON goes through the CLI's own functions (`search.render.search_json`, `cable_json`), so
the API routes and `--format json` cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from indexer.engines.base import IndexProblem, QueryError
from search import render as cli_render
from search.results import CableText, Hit, SearchResult

from .highlight import mark_spans
from .params import SearchParams


def search_kwargs(params: SearchParams, facets: Any) -> dict[str, Any]:
    """Keyword arguments of `Archive.search` for one page of this search."""
    return {
        "tags": params.tags, "origin": params.origin, "classification": params.classification,
        "marking": params.marking, "level": params.level, "max_level": params.max_level,
        "date_from": params.date_from, "date_to": params.date_to, "sort": params.sort,
        "limit": params.limit, "page": params.page, "per_cable": params.per_cable,
        "facets": facets,
    }


def result_json(result: SearchResult) -> str:
    """The JSON of `cables search --format json` (and `cables similar`) for this result."""
    return cli_render.search_json(result)


def cable_json(cable: CableText) -> str:
    """The JSON of `cables show --format json` for this cable."""
    return cli_render.cable_json(cable)


@dataclass
class HitView:
    refid: str
    paragraph: int
    marking: str | None
    level: str | None
    date: str
    origin: str | None
    subject: str | None
    heading: str | None
    snippet: Markup
    matched: int


def hit_view(hit: Hit) -> HitView:
    """A hit as the templates show it: the snippet escaped, its matched words in `<mark>`."""
    return HitView(
        refid=hit.refid, paragraph=hit.paragraph, marking=hit.marking, level=hit.level,
        date=hit.created.date().isoformat() if hit.created else "",
        origin=hit.origin, subject=hit.subject, heading=hit.heading,
        snippet=mark_spans(hit.snippet or "", hit.highlights), matched=hit.matched,
    )


@dataclass
class ParagraphView:
    number: int
    marking: str | None
    level: str | None
    heading: str | None
    text: Markup
    withheld: bool
    matched: bool = False


@dataclass
class CableView:
    paragraphs: list[ParagraphView]
    cites: list[Any] | None = None  # None: not known (no references API answer)
    cited_by: list[Any] | None = None
    versions: list[Any] = field(default_factory=list)
    notice: str | None = None


def cable_view(archive: Any, cable: CableText, params: SearchParams) -> CableView:
    """The cable's paragraphs as shown (the query's words marked), its references, its versions."""
    notice = None
    try:
        spans = matched_spans(archive, cable, params) if params.q else {}
    except QueryError as exc:
        spans, notice = {}, f"the words of this query cannot be marked: {exc}"
    paragraphs = [
        ParagraphView(p.number, p.marking, p.level, p.heading,
                      Markup("") if p.withheld
                      else mark_spans(p.text or "", spans.get(p.number, [])),
                      p.withheld, p.number in spans)
        for p in cable.paragraphs]
    view = CableView(paragraphs=paragraphs, notice=notice)
    try:
        references = archive.references(cable.refid)
        view.cites, view.cited_by = references.cites, references.cited_by
        view.versions = archive.history(cable.refid, max_level=params.max_level).versions
    except IndexProblem:  # the cable is shown, so this is an index without that record
        pass
    return view


def matched_spans(archive: Any, cable: CableText,
                  params: SearchParams) -> dict[int, list[tuple[int, int]]]:
    """For each paragraph of `cable` the query matches, the spans of its matched words.

    The engine marks matches in a snippet (a window of the paragraph). The surface words it
    marked there are marked wherever they occur in the whole paragraph: the same word
    always matches the same way, and no second analyzer is needed here.
    """
    result = archive.search(f'refid:"{cable.refid}" AND ({params.q})', max_level=params.max_level,
                            limit=max(1, len(cable.paragraphs)))
    text_of = {p.number: p.text or "" for p in cable.paragraphs if not p.withheld}
    spans: dict[int, list[tuple[int, int]]] = {}
    for hit in result.hits:
        text = text_of.get(hit.paragraph)
        if text is None or hit.refid != cable.refid:  # a query may close the parenthesis
            continue
        words = {hit.snippet[s:e].lower() for s, e in hit.highlights}
        alternatives = "|".join(map(re.escape, sorted(words, key=len, reverse=True)))
        pattern = re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE) if words else None
        spans[hit.paragraph] = [m.span() for m in pattern.finditer(text)] if pattern else []
    return spans
