"""The parser's fast paths find exactly what the plain forms they replace find.

Each fast scan (indexer/scanning.py and its users) is compared with the straightforward
``finditer``/``search``/``sub`` on cable-shaped random text and on the real corpus bodies;
the date fast path with strptime.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer import header, paragraphs
from indexer.formats import text as text_helpers
from indexer.scanning import find_all, line_starts, scan, scan_at, scan_sub

# Pieces of cable text, with the traps of ignore-case matching (`ſ` is an `s`, `K` a `k`).
TOKENS = ["¶", "1", "2", "3", "12", "2009", "00009127", "002", ".", ". ", " ", "  ", "\t", "\n", "\n\n",
          "(C)", "(U)", "A", "The", "text", "x", "-", "/", ":", "SECTION 2 OF 3", "PAGE 02", " OF ",
          "NEW DELHI", "LONDON", "TAGS:", "tags ", "TAG", "SUBJECT:", "Subj-", "E.O. 12958", "EO 12958",
          "e.o.", "DECL:", "Declassify on:", "REF:", "REFTEL ", "Refs ", "CLASSIFIED BY", "Derived from",
          "\u017fubject:", "TAG\u017f", "\u0130", "\u212a", "SIPDIS", "NOFORN", "NO FOREIGN DISSEM", "FOUO",
          "FOR OFFICIAL USE ONLY", "SENSITIVE BUT UNCLASSIFIED", "SENSITIVE", "SBU", "REL TO UK", "NODIS",
          "Summary:", "SUMMARY :", "END SUMMARY", "end of comment", "COMMENT:", "(Comment:", "x Summary:",
          "END \u017fUMMARY", "C O N F I D E N T I A L", "Ä", "2 . (C) ", "\n\u017fUBJ-", "\n\u017fubject:",
          "LONDON 00001933 002  OF 004", "003\t\tOF 006", "confidential ", "Secret\t", "u n c l a s ",
          "london 001933", " Section 1 of 2 "]
cable_text = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)
EXAMPLES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def spans(matches) -> list[tuple[int, int]]:
    return [m.span() for m in matches]


def reference_remove_continuations(text: str, station: str | None) -> str:
    """remove_continuations as first written: every pattern tried at every position."""
    if "PAGE" in text:
        text = paragraphs.PAGE_BREAK_INLINE_RE.sub(" ", text)
    if not re.search(r"\d{8}[ \t]{1,4}\d{3}", text):
        return text
    if station:
        cut = " ".join(station.split())[:10]
        words = r"[ \t]{1,3}".join(re.escape(w) for w in cut.split(" "))
        text = re.sub(words + r"[A-Z]{0,20}" + paragraphs._CONTINUATION_TAIL, " ", text)
    return paragraphs.CONTINUATION_RE.sub(" ", text)


def check_all(text: str) -> None:
    """Every fast scan of the parser against its plain form, on one text."""
    assert spans(scan_at(paragraphs.PARA_START_RE, paragraphs._para_start_positions(text), text)) \
        == spans(paragraphs.PARA_START_RE.finditer(text))
    for pos, endpos in ((0, len(text)), (len(text) // 3, len(text)), (1, len(text) // 2)):
        plain = header.PARA_START_RE.search(text, pos, endpos)
        assert header.first_para_start(text, pos, endpos) == (plain.start() if plain else None)
        positions = header._field_key_positions(text, pos, endpos)
        for pattern, candidates in ((header.FIELD_RE, header._FIELD_CANDIDATE),
                                    (header.GLUED_FIELD_RE, header._GLUED_FIELD_CANDIDATE)):
            expected = spans(pattern.finditer(text, pos, endpos))
            assert spans(scan(pattern, candidates, text, pos, endpos)) == expected
            if positions is not None:
                assert spans(scan_at(pattern, positions, text, pos, endpos)) == expected
    for station in (None, "NEW DELHI", "LONDON"):
        assert paragraphs.remove_continuations(text, station) == reference_remove_continuations(text, station)
    for pattern, keyword in ((paragraphs.SECTION_LINE_RE, "SECTION"), (paragraphs.PAGE_BREAK_RE, "PAGE")):
        assert scan_sub(pattern, line_starts(text, find_all(text, keyword)), "", text) == pattern.sub("", text)
    end = min(len(text), 6000)
    fast, plain = header._search_any_case(text, end), header.BANNER_ANYCASE_RE.search(text, 0, end)
    assert (fast and (fast.span(), fast.groupdict())) == (plain and (plain.span(), plain.groupdict()))
    head = text[:3000]
    if head.isascii():
        assert spans(text_helpers._BANNER_UPPER_RE.finditer(head.upper())) == spans(text_helpers._BANNER_RE.finditer(head))
    caveats = [header.CAVEAT_NAMES[m.lastgroup] for m in header.CAVEAT_RE.finditer(text) if m.lastgroup != "relto"]
    assert header.find_caveats(text) == list(dict.fromkeys(caveats))
    for fast, plain in ((paragraphs._SUMMARY_ANY, r"(?<![A-Za-z])(?:SUMMARY|Summary)[ \t]*:"),
                        (paragraphs._COMMENT_ANY, r"(?<![A-Za-z(])(?:COMMENT|Comment)[ \t]*:")):
        assert spans(fast.finditer(text)) == spans(re.finditer(plain, text))
    for end_re, end_lower_re in ((paragraphs._SUMMARY_END, paragraphs._SUMMARY_END_LOWER),
                                 (paragraphs._COMMENT_END, paragraphs._COMMENT_END_LOWER)):
        assert paragraphs._ends_region(end_re, end_lower_re, text, text.lower()) == bool(end_re.search(text))


@EXAMPLES
@given(cable_text)
def test_fast_scans_equal_plain_scans_on_cable_shaped_text(text: str) -> None:
    check_all(text)


def test_fast_scans_on_known_traps() -> None:
    check_all("x\n  SECTION 2 OF 3\nNEW DELHI 00009127  002 OF 006 \nPAGE 02 STATE 123 \n¶3. ¶ 12. 2009. 1 .")
    check_all("\u017fUBJECT: a\n  tags: prel\nE.O. 12958: DECL: 1/1/2019\nREFS: A. LONDON 12")
    check_all("intro\n2 . (C) Two.\nLONDON 00001933 002  OF 004\n \u017fUBJ- x")
    check_all("Friday, 20 August 2004\nconfidential section 01 of 02 london 001933\n1. x")
    assert header.find_caveats("LONDON 001352SIPDISE.O. 12958 NOFORN") == ["SIPDIS", "NOFORN"]


def test_fast_scans_equal_plain_scans_on_corpus_bodies(corpus: Path) -> None:
    csv.field_size_limit(1 << 26)
    with open(corpus / "cables-csv" / "cables-dev.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle, escapechar="\\", doublequote=False))
    assert len(rows) > 1000
    for row in rows[::7]:  # a seventh keeps the run short; every body is parsed elsewhere
        check_all(row[7])
        check_all(row[6])


@pytest.mark.parametrize("pos, endpos", [(0, None), (3, 9), (5, 5)])
def test_scan_respects_pos_and_endpos(pos: int, endpos: int | None) -> None:
    pattern, candidates = re.compile(r"(?<![a-z])ab+"), re.compile(r"a(?<![a-z].)")
    text = "ab xab abbb ab"
    assert spans(scan(pattern, candidates, text, pos, endpos)) == \
        spans(pattern.finditer(text, pos, len(text) if endpos is None else endpos))


def test_site_datetime_fast_path_equals_strptime() -> None:
    """parse_site_datetime reads the two usual forms without strptime: same datetimes, and
    the same refusals (month 13, minute 60, February 30 …)."""
    from datetime import datetime
    from itertools import product

    from indexer.formats.text import parse_site_datetime, site_datetime_by_strptime

    def with_strptime(text: str) -> datetime | None:
        return site_datetime_by_strptime(" ".join(text.split()))

    parts = ["0", "00", "1", "02", "12", "13", "29", "30", "31", "32", "99"]
    for first, second, year, (hour, minute) in product(parts, parts, ["2009", "0000", "1900"],
                                                       [("0", "00"), ("23", "59"), ("24", "00"), ("13", "60"), ("7", "5")]):
        for text in (f"{first}/{second}/{year} {hour}:{minute}", f"{year}-{first}-{second} {hour}:{minute}"):
            assert parse_site_datetime(text) == with_strptime(text), text
    assert parse_site_datetime("8/21/2009 13:58") == datetime(2009, 8, 21, 13, 58)


@EXAMPLES
@given(st.text(alphabet="ab\n", max_size=40), st.lists(st.integers(0, 40), max_size=8))
def test_line_starts_are_the_starts_of_the_lines_holding_the_positions(text: str, positions: list[int]) -> None:
    positions = [min(at, len(text)) for at in positions]
    assert line_starts(text, positions) == sorted({text.rfind("\n", 0, at) + 1 for at in positions})
