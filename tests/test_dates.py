"""Partial dates name the span of days they cover."""

from datetime import date

import pytest

from indexer.dates import BadDate, date_span


@pytest.mark.parametrize("text, span", [
    ("2009", (date(2009, 1, 1), date(2009, 12, 31))),
    ("2008-02", (date(2008, 2, 1), date(2008, 2, 29))),
    ("2009-08-21", (date(2009, 8, 21), date(2009, 8, 21))),
    (" 2009/8 ", (date(2009, 8, 1), date(2009, 8, 31))),
])
def test_date_span(text, span):
    assert date_span(text) == span


@pytest.mark.parametrize("text, malformed", [("09", True), ("2009-13", False), ("2009-02-30", False),
                                             ("next week", True)])
def test_bad_dates_say_why(text, malformed):
    with pytest.raises(BadDate) as caught:
        date_span(text)
    assert caught.value.malformed is malformed
