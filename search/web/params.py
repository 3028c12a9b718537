"""A search as GET parameters: parsed, checked, turned back into URLs.

The URL holds the whole search so a page can be bookmarked and shared. Parsing is strict
(a bad date or level is one clear message, not a guess), and the server's ceiling is applied
here: a request may lower it, never lift it.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Mapping

from indexer.dates import BadDate, date_span
from indexer.model import LEVELS, level_rank, normalize_level

SORTS = ("relevance", "-date", "date")
PAGE_SIZES = (10, 20, 50, 100)
MAX_LIMIT = 1000  # as `cables search --limit`
MAX_PAGE = 500  # deep paging past this is a runaway request, not a reader
HISTOGRAMS = ("auto", "year", "month")
FACETS = ("classification", "level", "origin", "tags", "year", "month")


class BadParameter(ValueError):
    """A GET parameter the user must fix; the message is one line."""


def lower_ceiling(server: str | None, requested: str | None) -> str | None:
    """The stricter of two ceilings (None = no ceiling): a request can only lower the server's."""
    if server is None:
        return requested
    if requested is None:
        return server
    return min(server, requested, key=level_rank)


def parse_level(text: str | None, name: str) -> str | None:
    """A level name from a parameter, or None when empty."""
    if not text or not text.strip():
        return None
    try:
        return normalize_level(text)
    except ValueError as exc:
        raise BadParameter(f"{name}: {exc}") from None


def parse_date(text: str | None, name: str, end: bool) -> date | None:
    """YYYY, YYYY-MM or YYYY-MM-DD; a partial date stands for its first (or, as `end`, last) day."""
    if not text or not text.strip():
        return None
    try:
        first, last = date_span(text)
    except BadDate as exc:
        if exc.malformed:
            raise BadParameter(f"{name}: {text!r} is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)") from None
        raise BadParameter(f"{name}: {text!r} is not a real date") from None
    return last if end else first


def parse_int(text: str | None, name: str, default: int, lowest: int, highest: int) -> int:
    if not text or not text.strip():
        return default
    try:
        value = int(text)
    except ValueError:
        raise BadParameter(f"{name}: {text!r} is not a number") from None
    if not lowest <= value <= highest:
        raise BadParameter(f"{name}: {value} is out of range ({lowest}–{highest})")
    return value


def parse_choice(text: str | None, name: str, choices: Iterable[str], default: str) -> str:
    if not text:
        return default
    choices = tuple(choices)
    if text not in choices:
        raise BadParameter(f"{name}: {text!r} is not one of {', '.join(choices)}")
    return text


def _text(args: Mapping[str, Any], name: str) -> str | None:
    value = args.get(name)
    return value.strip() or None if isinstance(value, str) else None


@dataclass
class SearchParams:
    """One search as the page and the API see it."""

    q: str = ""
    tags: list[str] = field(default_factory=list)
    origin: str | None = None
    classification: str | None = None
    marking: str | None = None
    level: str | None = None  # exact paragraph level (a filter)
    max_level: str | None = None  # the request's own ceiling, already no higher than the server's
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"
    page: int = 1
    limit: int = 10
    per_cable: bool = False
    hist: str = "auto"

    @classmethod
    def from_args(cls, args: Any, server_ceiling: str | None) -> "SearchParams":
        """Parse a request's GET parameters (a werkzeug MultiDict or a plain dict)."""
        getlist = args.getlist if hasattr(args, "getlist") else (
            lambda name: [args[name]] if name in args else [])
        tags: list[str] = []
        for value in getlist("tags"):  # repeated, or comma/space separated in one box
            for tag in re.split(r"[,\s]+", value):
                if tag and tag.upper() not in tags:
                    tags.append(tag.upper())
        date_from = parse_date(_text(args, "from"), "from", end=False)
        date_to = parse_date(_text(args, "to"), "to", end=True)
        if date_from and date_to and date_from > date_to:
            raise BadParameter("from: the start date is after the end date")
        requested = parse_level(_text(args, "max_level"), "max_level")
        return cls(
            q=(_text(args, "q") or ""),
            tags=tags,
            origin=_text(args, "origin"),
            classification=_text(args, "classification"),
            marking=_text(args, "marking"),
            level=parse_level(_text(args, "level"), "level"),
            max_level=lower_ceiling(server_ceiling, requested),
            date_from=date_from,
            date_to=date_to,
            sort=parse_choice(_text(args, "sort"), "sort", SORTS, "relevance"),
            page=parse_int(_text(args, "page"), "page", 1, 1, MAX_PAGE),
            limit=parse_int(_text(args, "limit"), "limit", 10, 1, MAX_LIMIT),
            per_cable=_text(args, "per_cable") in ("1", "on", "true", "yes"),
            hist=parse_choice(_text(args, "hist"), "hist", HISTOGRAMS, "auto"),
        )

    @property
    def filtered(self) -> bool:
        """Whether any filter narrows the search (a query alone is not a filter)."""
        return bool(self.tags or self.origin or self.classification or self.marking
                    or self.level or self.date_from or self.date_to)

    def to_args(self, server_ceiling: str | None = None) -> list[tuple[str, str]]:
        """GET parameters for this search, defaults left out (short, shareable URLs).

        The ceiling is written only when it is lower than the server's, since a shared
        URL needs it only then.
        """
        pairs: list[tuple[str, str]] = []
        if self.q:
            pairs.append(("q", self.q))
        pairs += [("tags", tag) for tag in self.tags]
        for name in ("origin", "classification", "marking", "level"):
            if getattr(self, name):
                pairs.append((name, getattr(self, name)))
        if self.max_level and self.max_level != server_ceiling:
            pairs.append(("max_level", self.max_level))
        if self.date_from:
            pairs.append(("from", self.date_from.isoformat()))
        if self.date_to:
            pairs.append(("to", self.date_to.isoformat()))
        if self.sort != "relevance":
            pairs.append(("sort", self.sort))
        if self.limit != 10:
            pairs.append(("limit", str(self.limit)))
        if self.per_cable:
            pairs.append(("per_cable", "1"))
        if self.hist != "auto":
            pairs.append(("hist", self.hist))
        if self.page != 1:
            pairs.append(("page", str(self.page)))
        return pairs

    def but(self, **changes: Any) -> "SearchParams":
        """A copy with some fields changed; any change but paging goes back to page 1."""
        if "page" not in changes:
            changes["page"] = 1
        return dataclasses.replace(self, **changes)

    def narrowed(self, facet: str, value: str) -> "SearchParams":
        """This search narrowed to one facet value (what clicking a facet does)."""
        if facet == "tags":
            return self.but(tags=self.tags + [value] if value not in self.tags else self.tags)
        if facet in ("classification", "origin", "marking", "level"):
            return self.but(**{facet: value})
        if facet in ("year", "month"):
            return self.but(date_from=parse_date(value, facet, end=False),
                            date_to=parse_date(value, facet, end=True), hist="auto")
        raise ValueError(f"no facet {facet!r}")

    def query_or_filter(self) -> str:
        """The query to run: the user's, or with none, one of the filters written as a query.

        Filters alone mean "every paragraph passing them", but the API wants at least one
        word; a filter restated as a query (it is applied as a filter too) selects the same
        paragraphs. The CLI and the JSON API keep the API's rule.
        """
        if self.q:
            return self.q
        candidates = [field_query("tags", tag) for tag in self.tags]
        candidates += [field_query(name, getattr(self, name) or "")
                       for name in ("origin", "classification", "marking", "level")]
        if self.date_from or self.date_to:
            start = self.date_from.isoformat() if self.date_from else "1900-01-01"
            end = self.date_to.isoformat() if self.date_to else "2100-12-31"
            candidates.append(f"created:[{start} to {end}]")
        return next((c for c in candidates if c), "")

    def has(self, facet: str, value: str) -> bool:
        """Whether this search is already narrowed to that facet value."""
        if facet == "tags":
            return value in self.tags
        return getattr(self, facet, None) == value

    def without(self, name: str, value: str | None = None) -> "SearchParams":
        """This search without one filter (or one tag): the × on an active filter."""
        if name == "tags":
            return self.but(tags=[t for t in self.tags if t != value])
        if name == "dates":
            return self.but(date_from=None, date_to=None)
        return self.but(**{name: None})

    def active_filters(self) -> list[tuple[str, str, str | None]]:
        """(label, shown value, tag or None) for each filter narrowing the search."""
        shown: list[tuple[str, str, str | None]] = [("tags", tag, tag) for tag in self.tags]
        for name in ("origin", "classification", "marking", "level"):
            if getattr(self, name):
                shown.append((name, getattr(self, name), None))
        if self.date_from or self.date_to:
            span = f"{self.date_from or '…'} – {self.date_to or '…'}"
            shown.append(("dates", span, None))
        return shown


def field_query(name: str, value: str) -> str | None:
    """A query for one field value (`tags:PREL`, `origin:"Embassy London"`), None when the
    value cannot be quoted in the query language."""
    if not value or '"' in value:
        return None
    return f"{name}:{value}" if re.fullmatch(r"\w+", value) else f'{name}:"{value}"'


def levels_up_to(ceiling: str | None) -> list[str]:
    """The levels a request may choose under a ceiling (all of them without one)."""
    top = level_rank(ceiling) if ceiling else len(LEVELS) - 1
    return [level for level in LEVELS if level_rank(level) <= top]
