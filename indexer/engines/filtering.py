"""The search filters (ceiling, tags, level, origin, …, dates), once for both engines.

A search sees only paragraphs at or below the ceiling that pass every filter of the request.
Which clauses that takes is decided here; the engine supplies how each clause is built.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, Callable

from ..model import LEVELS, normalize_level
from .base import QueryError, SearchRequest
from .compiling import KeywordValues


def ceiling_rank(max_level: str | None) -> int | None:
    """The index in ``LEVELS`` of a level as the user wrote it, or None for no ceiling."""
    if not max_level:
        return None
    try:
        return LEVELS.index(normalize_level(max_level))
    except ValueError as exc:
        raise QueryError(str(exc)) from None


def day_bound(value: date | None, at: time) -> datetime | None:
    """A date filter's day as the datetime at ``at`` (a datetime counts by its date)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.date()
    return datetime.combine(value, at)


def filter_clauses(request: SearchRequest, keywords: KeywordValues, paragraphs: Any, *,
                   at_most_rank: Callable[[int], Any], term: Callable[[str, str], Any],
                   any_value: Callable[[str, list[str]], Any],
                   created_between: Callable[[datetime | None, datetime | None], Any]
                   ) -> list[Any]:
    """The clauses every visible paragraph must match, in the engine's query objects.

    ``paragraphs`` matches every paragraph; ``at_most_rank(rank)``: level_rank at most rank;
    ``term(field, value)``: one value; ``any_value(field, values)``: any of the values;
    ``created_between(start, end)``: the created date in that range.
    """
    parts = [paragraphs]
    rank = ceiling_rank(request.max_level)
    if rank is not None:
        parts.append(at_most_rank(rank))
    for tag in request.tags:
        parts.append(any_value("tags", keywords.resolve("tags", tag)))
    if request.level:
        parts.append(term("level", LEVELS[ceiling_rank(request.level)]))
    for name in ("origin", "classification", "marking"):
        value = getattr(request, name)
        if value:
            parts.append(any_value(name, keywords.resolve(name, value)))
    if request.date_from or request.date_to:
        start = day_bound(request.date_from, time.min)
        end = day_bound(request.date_to, time.max)
        if start and end and start > end:
            raise QueryError("the date range runs backwards: --from is after --to")
        parts.append(created_between(start, end))
    return parts
