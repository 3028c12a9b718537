"""Paragraph rules: numbering, markings, headings, summary/comment, cleanup, linear time."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.formats.base import RawCable
from indexer.model import ParseError
from indexer.paragraphs import (clean_text, find_starts, parse_marking, sensible_numbers,
                                split_paragraphs, split_trailing_heading)
from indexer.parse import build_cable


def numbers(text: str) -> list[int]:
    return [p.number for p in split_paragraphs(text)[0]]


def test_anchors_start_paragraphs_and_lettered_subparagraphs_stay_inside() -> None:
    text = ("¶1. (C) Summary: three points.\n\nA. first point\n(b) second point\n\n"
            "¶2. (S/NF) Second paragraph.\n¶3. (U) Third.")
    paragraphs, _ = split_paragraphs(text)
    assert [p.number for p in paragraphs] == [1, 2, 3]
    assert "A. first point (b) second point" in paragraphs[0].text


def test_numbers_without_anchors_must_increase_sensibly() -> None:
    text = ("1. (C) The minister listed:\n2. roads\n3. schools\n\n2. (C) Second paragraph.\n"
            "In 2005.\n2005. was a year on its own line.\n3. (C) Third paragraph.")
    # `2. roads` is the next expected number: it is taken; the later `2.` cannot restart.
    assert numbers(text) == [1, 2, 3]
    assert sensible_numbers([1, 2, 3, 4, 5, 6, 2005, 7, 8]) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert sensible_numbers([1, 2, 4, 5, 1, 2]) == [1, 2, 4, 5]


def test_space_before_the_dot_and_no_space_after() -> None:
    assert numbers("1 . (C) One.\n2.(SBU) Two.\n3.  Three.") == [1, 2, 3]


def test_flattened_text_numbers_inline() -> None:
    text = ("1.  (C)  SUMMARY:  INDIAN REACTION HAS BEEN MEASURED.  END SUMMARY  PROMINENT COVERAGE--BUT "
            "RELATIVELY MILD REACTION --------------------------------------------- --- 2.  (U)  INDIAN "
            "NEWSPAPERS PROVIDED COVERAGE OF 3 MISSILES.  3.  (U)  DEFENSE MINISTER SPOKE.")
    paragraphs, _ = split_paragraphs(text)
    assert [p.number for p in paragraphs] == [1, 2, 3]
    assert paragraphs[1].heading == "PROMINENT COVERAGE--BUT RELATIVELY MILD REACTION"
    assert paragraphs[0].text.endswith("END SUMMARY")
    assert paragraphs[0].in_summary and not paragraphs[1].in_summary
    assert [p.marking for p in paragraphs] == ["C", "U", "U"]


def test_text_before_paragraph_one_is_paragraph_zero() -> None:
    paragraphs, _ = split_paragraphs("Thank you for including Cairo in your travel.\n\n¶1. (C) Text.")
    assert [(p.number, p.text) for p in paragraphs] == [
        (0, "Thank you for including Cairo in your travel."), (1, "Text.")]
    assert numbers("No numbered paragraphs at all.\nJust text.") == [0]


@pytest.mark.parametrize("marking, level, caveats", [
    ("C", "CONFIDENTIAL", []),
    ("SBU", "UNCLASSIFIED", ["SENSITIVE"]),
    ("U", "UNCLASSIFIED", []),
    ("S", "SECRET", []),
    ("S/NF", "SECRET", ["NOFORN"]),
    ("S//NF", "SECRET", ["NOFORN"]),
    ("C/NF", "CONFIDENTIAL", ["NOFORN"]),
    ("SBU/NF", "UNCLASSIFIED", ["SENSITIVE", "NOFORN"]),
    ("U//FOUO", "UNCLASSIFIED", ["FOUO"]),
    ("S/RELNATO", "SECRET", ["REL NATO"]),
    ("C/REL UK", "CONFIDENTIAL", ["REL UK"]),
    ("S//FGI//NF", "SECRET", ["FGI", "NOFORN"]),
    ("CNF", "CONFIDENTIAL", ["NOFORN"]),
    ("S-NF", "SECRET", ["NOFORN"]),
    ("C/Noforn", "CONFIDENTIAL", ["NOFORN"]),
    ("c", "CONFIDENTIAL", []),
])
def test_markings(marking: str, level: str, caveats: list[str]) -> None:
    assert parse_marking(marking) == (level, caveats)


@pytest.mark.parametrize("not_a_marking", ["Iceland", "Afghanistan", "U.S.", "TF/Embassy Tbilisi telcon"])
def test_words_in_parentheses_are_not_markings(not_a_marking: str) -> None:
    assert parse_marking(not_a_marking) is None


def test_marking_is_taken_off_the_text() -> None:
    (paragraph,) = split_paragraphs("¶1. (C/REL UK) The UK agreed.")[0]
    assert (paragraph.marking, paragraph.level, paragraph.caveats, paragraph.text) == \
        ("C/REL UK", "CONFIDENTIAL", ["REL UK"], "The UK agreed.")


@pytest.mark.parametrize("chunk, text, heading", [
    ("efforts.  \n\nUK Believes Programs Working in Pakistan ----------------------------------------  \n\n",
     "efforts.", "UK Believes Programs Working in Pakistan"),
    ("the end.\n\nOverly Optimistic\n----------------- \n\n", "the end.", "Overly Optimistic"),
    ("the end.\n\n--- SUMMARY ---\n", "the end.", "SUMMARY"),
    ("the end.\n-------\nBACKGROUND\n-------\n", "the end.", "BACKGROUND"),
    ("efforts. UK Believes Programs Working in Pakistan -----", "efforts.", "UK Believes Programs Working in Pakistan"),
    ("UK officials said that the Government Funding Not Death Knell For Programs -----",
     "UK officials said that the", "Government Funding Not Death Knell For Programs"),
    ("according to HMG Working With Pakistan Government, Civil Society -----",
     "according to", "HMG Working With Pakistan Government, Civil Society"),
    ("the end of a sentence.\n\nComment\n-------\n", "the end of a sentence.", "Comment"),
    ("a paragraph that simply ends.\n", "a paragraph that simply ends.", None),
    ('"or I would have met with him."  AN ALERT AND ENGAGING HOST  ', '"or I would have met with him."',
     "AN ALERT AND ENGAGING HOST"),
    ("IN AN UPPER-CASE CABLE.  THIS IS TEXT  ", "IN AN UPPER-CASE CABLE. THIS IS TEXT", None),
    ("in the world.\nU.S. SAUDI RELATIONS\n\n", "in the world.", "U.S. SAUDI RELATIONS"),
    ("we met him.\nMore text follows here\n", "we met him. More text follows here", None),
    ("the talks went on.  End Summary  ", "the talks went on. End Summary", None),
    ("the talks went on.\n\nSUMMARY:\n", "the talks went on.", "SUMMARY"),
    ("a sentence that ends in a rule.\n---------------\n", "a sentence that ends in a rule.", None),
])
def test_trailing_headings(chunk: str, text: str, heading: str | None) -> None:
    rest, found = split_trailing_heading(chunk)
    assert found == heading
    assert " ".join(rest.split()) == text


def test_headings_carry_over_and_comment_regions() -> None:
    text = ("¶1. (C) Summary: things happened. End Summary.\n\nBackground\n----------\n\n"
            "¶2. (C) Background one.\n\n¶3. (C) Background two. (Comment: an aside. End Comment.)\n\n"
            "Comment\n-------\n\n¶4. (C) We think so.\n\n¶5. (C) We also think so.")
    paragraphs, _ = split_paragraphs(text)
    assert [p.heading for p in paragraphs] == [None, "Background", "Background", "Comment", "Comment"]
    assert [p.in_summary for p in paragraphs] == [True, False, False, False, False]
    assert [p.in_comment for p in paragraphs] == [False, False, False, True, True]


def test_comment_until_end_comment() -> None:
    text = "¶1. (C) Text.\n¶2. (C) Comment: we believe.\n¶3. (C) And more. End Comment.\n¶4. (C) Facts."
    assert [p.in_comment for p in split_paragraphs(text)[0]] == [False, True, True, False]


def test_cleanup_of_continuation_headers_banners_and_page_breaks() -> None:
    text = ("¶1. (C) The first part of a sentence\nNEW DELHI 00009127  002 OF 006\ncontinues here.\n"
            "C O N F I D E N T I A L SECTION 02 OF 06 NEW DELHI 009127\n"
            "SECTION 03 OF 06\nPAGE 02        STATE  123456  211358Z\n¶2. (C) Next.")
    cleaned = clean_text(text, "NEW DELHI", 9127)
    paragraphs, _ = split_paragraphs(cleaned)
    assert paragraphs[0].text == "The first part of a sentence continues here."
    assert [p.number for p in paragraphs] == [1, 2]


def test_pathological_inputs_are_read_in_linear_time() -> None:
    """A megabyte of spaces, dashes or one long line must not make a regex backtrack."""
    head = "C O N F I D E N T I A L LONDON 001933\n\nE.O. 12958: DECL: 08/20/2019\nTAGS: PREL\nSUBJECT: X\n\n"
    bodies = [head + " " * 1_000_000, head + "-" * 1_000_000, head + "- " * 500_000,
              head + "1. (C) " + "word " * 200_000, "C O N F I D E N T I A L " * 40_000,
              "UNCLAS STATE 1\nSUBJECT: " + "A " * 500_000, "UNCLAS STATE 1\nClassified By: " + "x " * 500_000,
              head + "\t" * 1_000_000 + "x", head + "\n" * 500_000 + "x", head + "1." * 500_000,
              "UNCLAS STATE 1\nREF: " + "A. " * 300_000, head + "(" * 500_000,
              "UNCLAS STATE 1\nTAGS: " + "PREL " * 200_000 + "and then text"]
    for body in bodies:
        try:
            cable = build_cable(RawCable(source="<test>", format="plain", body=body, refid="09LONDON1933"))
        except ParseError:
            continue
        assert cable.refid == "09LONDON1933"


def test_find_starts_positions() -> None:
    starts = find_starts("intro\n¶1. (C) a\n¶2. (C) b")
    assert [(s.number, s.anchored) for s in starts] == [(1, True), (2, True)]


# --- only ParseError escapes, whatever the text ------------------------------------------------

_PIECES = st.sampled_from([
    "C O N F I D E N T I A L LONDON 001933", "UNCLAS SECTION 01 OF 02 STATE 1", "\n", "\n\n", "  ", "¶",
    "1. ", "2.", "(C/NF) ", "(S//REL UK, FR//)", "SUBJECT: ", "SUBJ:", "REF: A. STATE 1 B. ", "TAGS: PREL ",
    "E.O. 12958: DECL: 02/04/2015", "Classified By: X for reasons 1.4 (b) and (d)", "-----", "--- SUMMARY ---",
    "End Summary.", "Comment:", "END COMMENT", "P 211358Z AUG 09", "FM AMEMBASSY LONDON", "TO SECSTATE WASHDC",
    "NEW DELHI 00009127 002 OF 006", "PAGE 02 STATE 123456 211358Z", "SIPDIS", "NOFORN", "x", "Word ", "ä€",
])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=20)), max_size=40), st.sampled_from([None, "09LONDON1933"]))
def test_any_text_gives_a_cable_or_a_parse_error(pieces: list[str], refid: str | None) -> None:
    body = "".join(pieces)
    try:
        cable = build_cable(RawCable(source="<fuzz>", format="plain", body=body, refid=refid))
    except ParseError:
        return
    assert cable.refid
    assert all(p.number >= 0 and p.text == " ".join(p.text.split()) for p in cable.paragraphs)
    numbers = [p.number for p in cable.paragraphs]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
