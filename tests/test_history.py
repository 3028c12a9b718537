"""The paragraph-level diff of two versions of a cable (indexer/history.py)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from indexer.history import diff_cables, normalize, sentence_diff, version_list, word_diff
from indexer.model import Cable, Paragraph
from indexer.parse import parse_path

OLD_BUILD = "cablegate-html-2010-12"
NEW_BUILD = "cablegate-html"


def _cable(*texts: str, released: date | None = None, markings: tuple[str, ...] = ()) -> Cable:
    paragraphs = [Paragraph(number, text, marking=markings[number - 1] if markings else None)
                  for number, text in enumerate(texts, start=1)]
    return Cable("09TEST1", released=released, paragraphs=paragraphs)


# --- pure rules ----------------------------------------------------------------------------

def test_identical_versions_have_no_changes():
    a = _cable("One two.", "Three four.")
    diff = diff_cables(a, _cable("One  two.", "Three\nfour."))  # re-wrapped is not changed
    assert diff.identical and diff.unchanged == 2


def test_a_changed_word_names_its_paragraph():
    diff = diff_cables(_cable("Alpha beta.", "Met the minister. He agreed.", "Gamma."),
                       _cable("Alpha beta.", "Met the minister. He refused.", "Gamma."))
    assert [(c.status, c.old_number, c.new_number) for c in diff.paragraphs] == [("changed", 2, 2)]
    change = diff.paragraphs[0]
    assert change.words == "Met the minister. He [-agreed.-] {+refused.+}"
    assert change.unified == ["@@ -1,2 +1,2 @@", " Met the minister.", "-He agreed.", "+He refused."]
    assert diff.unchanged == 2


def test_an_inserted_paragraph_does_not_change_the_ones_after_it():
    old = _cable("First paragraph here.", "Second paragraph here.", "Third paragraph here.")
    new = _cable("First paragraph here.", "A new paragraph entirely.", "Second paragraph here.",
                 "Third paragraph here.")
    diff = diff_cables(old, new)
    assert [(c.status, c.new_number) for c in diff.paragraphs] == [("added", 2)]
    assert diff.paragraphs[0].label == "¶2 (new)"


def test_removed_and_replaced_paragraphs():
    old = _cable("Kept as it is.", "Dropped completely from the release.", "The ambassador met X.")
    new = _cable("Kept as it is.", "The ambassador met XXXXXXXXXXXX.")
    statuses = [(c.status, c.old_number, c.new_number) for c in diff_cables(old, new).paragraphs]
    assert statuses == [("removed", 2, None), ("changed", 3, 2)]


def test_a_marking_change_is_a_change():
    diff = diff_cables(_cable("Same text.", markings=("C",)), _cable("Same text.", markings=("S",)))
    assert [(c.status, c.old_marking, c.new_marking) for c in diff.paragraphs] == [("changed", "C", "S")]


def test_header_fields_and_versions():
    old = _cable("Text.", released=date(2010, 12, 1))
    new = _cable("Text.", released=date(2011, 2, 8))
    diff = diff_cables(old, new)
    assert diff.fields == {"released": ("2010-12-01", "2011-02-08")}
    assert [v.number for v in version_list([old, new])] == [1, 2]
    json.dumps(diff.to_dict())  # JSON-ready


def test_typographic_quotes_are_not_a_change():
    diff = diff_cables(_cable("Ukraine’s “gas princess”.", "Met X."),
                       _cable("Ukraine's \"gas princess\".", "Met Y."))
    assert [c.old_number for c in diff.paragraphs] == [2]


def test_word_and_sentence_diffs_of_equal_texts_are_plain():
    assert word_diff("a b c", "a b c") == "a b c"
    assert sentence_diff("One. Two.", "One. Two.") == []


# --- real re-releases ----------------------------------------------------------------------

def _pages(corpus: Path, build: str, station: str) -> dict[str, Path]:
    return {p.stem: p for p in (corpus / build).glob(f"*/*/*{station}*.html")}


def _parse(path: Path) -> Cable:
    (cable,) = parse_path(path)
    return cable


@pytest.mark.corpus
def test_a_redacted_url_is_the_one_change_of_09LONDON2005(corpus: Path):
    """Read by hand: the February 2011 release replaced the intelink URL at the end of the
    last paragraph with XXXXXXXXXXXX; nothing else in the text changed."""
    old = _parse(_pages(corpus, OLD_BUILD, "LONDON")["09LONDON2005"])
    new = _parse(_pages(corpus, NEW_BUILD, "LONDON")["09LONDON2005"])
    diff = diff_cables(old, new)
    assert diff.fields["released"] == (old.released.isoformat(), new.released.isoformat())
    assert old.released < new.released
    last = new.paragraphs[-1].number
    assert [(c.status, c.old_number, c.new_number) for c in diff.paragraphs] == [("changed", last, last)]
    removed = [line for line in diff.paragraphs[0].unified if line.startswith("-")]
    added = [line for line in diff.paragraphs[0].unified if line.startswith("+")]
    assert any("intelink.sgov.gov" in line for line in removed)
    assert any("XXXXXXXXXXXX" in line for line in added)
    assert not any("intelink" in line for line in added)
    assert diff.unchanged == len(new.paragraphs) - 1


@pytest.mark.corpus
def test_diff_names_exactly_the_paragraphs_whose_text_differs(corpus: Path):
    """Over every London cable in both builds: where both versions number their paragraphs
    alike, the changed paragraphs are exactly those whose text differs."""
    old_pages, new_pages = _pages(corpus, OLD_BUILD, "LONDON"), _pages(corpus, NEW_BUILD, "LONDON")
    both = sorted(set(old_pages) & set(new_pages))
    assert len(both) >= 10
    checked = 0
    for refid in both:
        old, new = _parse(old_pages[refid]), _parse(new_pages[refid])
        assert diff_cables(old, old).identical
        if [p.number for p in old.paragraphs] != [p.number for p in new.paragraphs]:
            continue
        differs = {a.number for a, b in zip(old.paragraphs, new.paragraphs)
                   if normalize(a.text) != normalize(b.text) or a.marking != b.marking}
        diff = diff_cables(old, new)
        assert {c.new_number for c in diff.paragraphs} == differs, refid
        assert all(c.status == "changed" for c in diff.paragraphs), refid
        checked += 1
    assert checked >= 10


@pytest.mark.corpus
def test_an_un_redacted_sentence_of_08KYIV2414(corpus: Path):
    """Read by hand: the February 2011 release restored a redacted sentence of paragraph 4
    ("He added that Tymoshenko hid her wealth …"); the rest differs only in quote marks."""
    old = _parse(_pages(corpus, OLD_BUILD, "KYIV")["08KYIV2414"])
    new = _parse(_pages(corpus, NEW_BUILD, "KYIV")["08KYIV2414"])
    diff = diff_cables(old, new)
    assert [(c.status, c.new_number) for c in diff.paragraphs] == [("changed", 4)]
    unified = diff.paragraphs[0].unified
    assert any(line.startswith("-") and "XXXXXXXXXXXX" in line for line in unified)
    assert any(line.startswith("+") and "hid her wealth" in line for line in unified)
    assert "{+He added that Tymoshenko hid her wealth" in diff.paragraphs[0].words
