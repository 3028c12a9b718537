"""Partial dates: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` name the span of days they cover."""

from __future__ import annotations

import calendar
import re
from datetime import date

_PARTIAL_DATE = re.compile(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?")


class BadDate(ValueError):
    """Not a date; ``malformed`` tells a wrong form from a day or month that does not exist."""

    def __init__(self, text: str, malformed: bool) -> None:
        super().__init__(text)
        self.malformed = malformed


def date_span(text: str) -> tuple[date, date]:
    """The first and last day of a year, month or day written as YYYY[-MM[-DD]]."""
    match = _PARTIAL_DATE.fullmatch(text.strip())
    if not match:
        raise BadDate(text, malformed=True)
    year, month, day = (int(g) if g else None for g in match.groups())
    try:
        if month is None:
            return date(year, 1, 1), date(year, 12, 31)
        if day is None:
            return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
        return date(year, month, day), date(year, month, day)
    except ValueError:
        raise BadDate(text, malformed=False) from None
