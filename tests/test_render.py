"""Rendering: colour only when asked (a terminal without NO_COLOR), spans kept exact."""

from __future__ import annotations

import io
from datetime import datetime

import pytest

from search import render
from search.results import Hit, SearchResult


def _hit(**changes) -> Hit:
    values = dict(refid="09LONDON1933", paragraph=9, marking="C/NF", level="CONFIDENTIAL",
                  heading="Pakistan Strategy", subject="UK GOVERNMENT SEEKS DEEPER COORDINATION",
                  created=datetime(2009, 8, 21, 13, 58), origin="Embassy London",
                  classification="CONFIDENTIAL//NOFORN", tags=["KISL", "PTER"], score=3.5,
                  snippet="The FCO is sharing its strategic\ncommunications research",
                  highlights=[(23, 32), (33, 47)], text="The FCO is sharing its strategic "
                  "communications research")
    values.update(changes)
    return Hit(**values)


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_use_color_only_on_a_terminal_without_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    assert render.use_color(_Tty())
    assert not render.use_color(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not render.use_color(_Tty())


def test_highlight_wraps_exactly_the_spans():
    hit = _hit()
    coloured = render.highlight(hit.snippet, hit.highlights, color=True)
    assert coloured.count(render.MATCH_ON) == 2
    assert f"{render.MATCH_ON}strategic{render.MATCH_OFF}" in coloured
    assert render.highlight(hit.snippet, hit.highlights, color=False) == hit.snippet


def test_text_lines_of_a_hit():
    result = SearchResult(query="strategic communications", total=12, page=1, limit=1,
                          hits=[_hit()], facets={"year": [("2009", 12)]})
    plain = render.search_text(result)
    lines = plain.splitlines()
    assert lines[0] == ("09LONDON1933 ¶9 (C/NF)  2009-08-21  Embassy London  "
                        "UK GOVERNMENT SEEKS DEEPER COORDINATION")
    assert lines[1] == "    Pakistan Strategy"
    assert lines[2] == "    The FCO is sharing its strategic communications research"
    assert "12 paragraphs match (page 1 of 12)" in plain and "year: 2009 12" in plain
    assert "\x1b" not in plain
    assert "\x1b[1;33mcommunications\x1b[0m" in render.search_text(result, color=True)


@pytest.mark.parametrize("unicode_text", ["naïve “quotes” — ¶", "e\u0301"])
def test_csv_and_json_keep_text_as_is(unicode_text):
    import csv
    import json
    result = SearchResult(query=unicode_text, total=1, page=1, limit=10,
                          hits=[_hit(snippet=unicode_text, highlights=[])])
    row = list(csv.DictReader(io.StringIO(render.search_csv(result))))[0]
    assert row["snippet"] == unicode_text and row["tags"] == "KISL PTER"
    assert json.loads(render.search_json(result))["query"] == unicode_text
