"""What the Python API returns: plain dataclasses, JSON-ready through ``to_dict()``.

Dates are ``datetime``/``date`` objects on the objects and ISO 8601 strings in ``to_dict``.
Nothing here holds text above the ceiling the request was made with: the engine never
returns it, and :class:`ParagraphText` of a withheld paragraph keeps only its number,
marking and level.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return value


class _Serialisable:
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (dates as ISO 8601 strings)."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]


@dataclass
class Hit(_Serialisable):
    """One matching paragraph.

    ``snippet`` is plain text (the best window of the paragraph, ``…`` where cut) and
    ``highlights`` the ``(start, end)`` character spans of matched words inside it; how to
    show them is up to the caller. ``text`` is the whole paragraph. ``matched`` is, with
    ``per_cable=True``, how many paragraphs of this cable matched (1 otherwise).
    """

    refid: str
    paragraph: int
    marking: str | None
    level: str | None
    heading: str | None
    subject: str | None
    created: datetime | None
    origin: str | None
    classification: str | None
    tags: list[str]
    score: float
    snippet: str
    highlights: list[tuple[int, int]]
    text: str
    matched: int = 1

    @property
    def spans(self) -> list[tuple[int, int]]:
        """Alias of ``highlights``."""
        return self.highlights


@dataclass
class SearchResult(_Serialisable):
    """One page of a search.

    ``total`` counts every matching paragraph under the filters and ceiling (with
    ``per_cable=True``: every matching cable). ``facets`` maps a facet name to
    ``(value, count)`` pairs over the whole filtered result, not the page: most frequent
    first, except ``year`` and ``month`` (a date histogram, in date order); with
    ``per_cable=True`` they count cables (each by its best paragraph). Paragraphs without a
    value count under ``"(unknown)"``; ``tags`` counts every tag of a paragraph. ``suggestion`` is a corrected query when
    this one found little; ``notices`` say when a limit was applied (e.g. a wildcard cut).
    """

    query: str
    total: int
    page: int
    limit: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    suggestion: str | None = None
    notices: list[str] = field(default_factory=list)
    per_cable: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit)) if self.limit else 1

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["facets"] = {name: dict(pairs) for name, pairs in self.facets.items()}
        return data


@dataclass
class ParagraphText(_Serialisable):
    """One paragraph of a shown cable. A withheld paragraph (above the ceiling) keeps its
    number, marking and level only: ``text`` and ``heading`` are None."""

    number: int
    marking: str | None
    level: str | None
    heading: str | None
    text: str | None
    withheld: bool = False
    in_summary: bool = False
    in_comment: bool = False


@dataclass
class CableText(_Serialisable):
    """A whole cable as a reader wants it: header fields, then its paragraphs.

    ``max_level`` is the ceiling it was read under; ``withheld`` counts the paragraphs
    above it. The full body text is not included (it would hold withheld paragraphs).
    """

    refid: str
    created: datetime | None
    released: date | None
    classification: str | None
    level: str | None
    origin: str | None
    subject: str | None
    tags: list[str]
    caveats: list[str]
    precedence: str | None
    dtg: str | None
    sender: str | None
    recipients: list[str]
    info: list[str]
    executive_order: str | None
    declassify_on: str | None
    classified_by: str | None
    reasons: str | None
    references: list[dict[str, Any]]
    partial: bool
    paragraphs: list[ParagraphText]
    max_level: str | None = None
    withheld: int = 0
