"""The lean indexing path (``LeanText``) gives exactly the postings of Whoosh's own TEXT field
with the token pipeline it replaces (``\\w+``, lower case, snowball English stems), so the
index and the queries' analyzers agree word for word."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import fields
from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter

from indexer.engines.whoosh.analysis import (LeanText, exact_analyzer, stemming_analyzer, stems,
                                             words)


def _pipeline(stemmed: bool):
    """Whoosh's own analyzers as the schema used them before the lean path."""
    chain = RegexTokenizer(r"\w+") | LowercaseFilter()
    return chain | StemFilter(lang="en") if stemmed else chain


# (stemmed, positions, field boost): the shapes the schema uses, and positions-less text
SHAPES = [(True, True, 1.0), (True, True, 0.2), (False, True, 1.0), (False, False, 1.0)]


def _pairs():
    for stemmed, phrase, boost in SHAPES:
        lean = LeanText(stemmed=stemmed, phrase=phrase, field_boost=boost)
        whoosh = fields.TEXT(analyzer=_pipeline(stemmed), phrase=phrase, field_boost=boost)
        yield lean, whoosh


def _assert_same_postings(text: str) -> None:
    for lean, whoosh in _pairs():
        assert list(lean.index(text)) == list(whoosh.index(text)), (lean.stemmed, text[:80])


def test_lean_postings_equal_whoosh_on_corpus_paragraphs(corpus):
    from indexer import parse_path

    cables = list(parse_path(corpus / "cablegate-html" / "2009" / "08"))
    texts = [t for c in cables for p in c.paragraphs for t in (p.text, p.heading) if t]
    texts += [c.subject for c in cables if c.subject]
    assert len(texts) > 500
    for text in texts:
        _assert_same_postings(text)


def test_words_and_stems_match_the_query_analyzers(corpus):
    from indexer import parse_path

    for cable in parse_path(corpus / "cablegate-html" / "2009" / "08"):
        for p in cable.paragraphs:
            assert words(p.text) == [t.text for t in exact_analyzer()(p.text)]
            assert stems(p.text) == [t.text for t in stemming_analyzer()(p.text)]
            assert stems(p.text) == [t.text for t in _pipeline(True)(p.text)]


# letters whose lower case is longer or not a word character (İ, ẞ), digits, apostrophes,
# underscores and non-Latin scripts
_ALPHABET = st.sampled_from(list("aBcZ09_ '-.\n\tİıßẞÉéŉǅΣςдЖ中文٣") + ["ﬁ", "\u0307", "\u00a0"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=60).map("".join))
def test_lean_postings_equal_whoosh_on_any_text(text):
    _assert_same_postings(text)


def test_non_text_values_take_whoosh_s_own_path():
    lean = LeanText(stemmed=True)
    whoosh = fields.TEXT(analyzer=_pipeline(True))
    value = ["already", "tokenized"]
    assert list(lean.index(value)) == list(whoosh.index(value))
    with pytest.raises(ValueError):
        list(lean.index(42))


def test_field_lengths_read_from_an_index_are_the_paragraphs_word_counts(corpus, tmp_path):
    """Field lengths (BM25's document lengths, read from the whole length column at once by
    the engine's patch) are each paragraph's word count, in Whoosh's one-byte encoding, in
    every segment of an index written in several commits."""
    from whoosh.util.numeric import byte_to_length, length_to_byte

    from indexer import parse_path
    from indexer.engines.registry import create_index

    cables = list(parse_path(corpus / "cablegate-html" / "2009" / "08"))
    engine = create_index(tmp_path / "ix")
    try:
        for start in range(0, len(cables), 15):
            engine.write(cables[start:start + 15])
        searcher = engine.searcher()
        assert len(searcher.reader().leaf_readers()) > 1
        checked = 0
        for docnum, stored in searcher.iter_docs():
            if stored["kind"] != "para":
                assert searcher.doc_field_length(docnum, "text", 0) in (0, None)
                continue
            for field, value in (("text", stored.get("text")), ("heading", stored.get("heading"))):
                count = len(words(value or ""))
                expected = byte_to_length(length_to_byte(count)) if count else None
                assert searcher.doc_field_length(docnum, field) == expected, (stored["id"], field)
            checked += 1
        assert checked > 300
    finally:
        engine.close()
