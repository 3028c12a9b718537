"""Search arguments as the API and the CLI take them: checked and turned into a request.

Engine-neutral: the query string itself is parsed by the engine layer
(``indexer.engines.querylang``), which raises QueryError with what to fix.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Iterable

from indexer.engines.base import QueryError, SearchRequest
from indexer.dates import BadDate, date_span
from indexer.model import normalize_level

FACETS = ("classification", "level", "origin", "tags", "year", "month")
SORTS = ("relevance", "date", "-date")
MAX_LIMIT = 1000

_PARAGRAPH_REF = re.compile(r"^\s*([A-Za-z0-9]+)\s*(?:#|¶|\s)\s*(\d+)\s*$")


def parse_date(text: str | date | None, end: bool = False) -> date | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; a year or month stands for its first day
    (its last day with ``end=True``). QueryError on anything else."""
    if text is None or isinstance(text, date):
        return text.date() if isinstance(text, datetime) else text
    if not text.strip():
        return None
    try:
        first, last = date_span(text)
    except BadDate as exc:
        reason = "write YYYY, YYYY-MM or YYYY-MM-DD" if exc.malformed else "no such day or month"
        raise QueryError(f"bad date {text!r}: {reason}") from None
    return last if end else first


def check_level(level: str | None, name: str = "max_level") -> str | None:
    """A level name (``C``, ``secret``, ``TOP SECRET`` …) normalised, or None."""
    if level is None or not str(level).strip():
        return None
    try:
        return normalize_level(str(level))
    except ValueError as exc:
        raise QueryError(f"{name}: {exc}") from None


def paragraph_ref(refid: str, paragraph: int | str | None = None) -> tuple[str, int]:
    """``("09LONDON1933", 4)`` from ``"09LONDON1933#4"``, ``"09LONDON1933 4"`` or both parts."""
    if paragraph is None:
        match = _PARAGRAPH_REF.match(refid)
        if not match:
            raise QueryError(f"{refid!r} names no paragraph: write REFID#N, e.g. 09LONDON1933#4")
        return match.group(1).upper(), int(match.group(2))
    try:
        number = int(paragraph)
    except (TypeError, ValueError):
        raise QueryError(f"paragraph {paragraph!r} is not a number") from None
    return refid.strip().upper(), number


def make_request(query: str, *, tags: Iterable[str] | str | None = None,
                 origin: str | None = None, classification: str | None = None,
                 marking: str | None = None, level: str | None = None,
                 max_level: str | None = None, date_from: date | str | None = None,
                 date_to: date | str | None = None, sort: str = "relevance", limit: int = 10,
                 page: int = 1, per_cable: bool = False,
                 facets: Iterable[str] | bool | None = None) -> SearchRequest:
    """A checked SearchRequest; QueryError names the argument to fix."""
    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r}: use one of {', '.join(SORTS)}")
    if not isinstance(limit, int) or not 0 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit must be a number from 0 to {MAX_LIMIT}")
    if not isinstance(page, int) or page < 1:
        raise QueryError("page must be 1 or more")
    if facets is True:
        facets = FACETS
    facets = list(facets or [])
    unknown = [f for f in facets if f not in FACETS]
    if unknown:
        raise QueryError(f"unknown facet {unknown[0]!r}: use some of {', '.join(FACETS)}")
    if isinstance(tags, str):
        tags = [tags]
    start, end = parse_date(date_from), parse_date(date_to, end=True)
    if start and end and start > end:
        raise QueryError(f"the date range runs backwards: from {start} to {end}")
    return SearchRequest(
        query=query or "", tags=[t.strip() for t in (tags or []) if t and t.strip()],
        origin=origin or None, classification=classification or None, marking=marking or None,
        level=check_level(level, "level"), max_level=check_level(max_level),
        date_from=start, date_to=end, sort=sort, limit=limit, page=page,
        per_cable=bool(per_cable), facets=facets)
