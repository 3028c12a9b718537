"""The lean highlight (``searching.text_spans``) marks exactly the words Whoosh's analyzer
marks (``highlight.match_spans``), on real paragraphs."""

from __future__ import annotations

import pytest

from indexer import parse_path

pytestmark = pytest.mark.corpus


def test_lean_spans_equal_the_analyzers(corpus):
    from indexer.engines.whoosh.analysis import stems as stems_of
    from indexer.engines.whoosh.highlight import match_spans
    from indexer.engines.whoosh.schema import build_schema
    from indexer.engines.whoosh.searching import text_spans

    from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter

    # as the schema builds it now, and as older indexes stored it (the stemmer by language)
    analyzers = [build_schema()["text"].analyzer,
                 RegexTokenizer(r"\w+") | LowercaseFilter() | StemFilter(lang="en")]
    paragraphs = []
    for cable in parse_path(corpus, lambda *skip: None):
        paragraphs.extend(p.text for p in cable.paragraphs)
        if len(paragraphs) >= 3000:
            break
    assert len(paragraphs) >= 1000
    compared = marked = 0
    for i, text in enumerate(paragraphs):
        found = stems_of(text)
        stems = set(found[::7])  # some of the paragraph's own stems
        words = {text.split()[0].lower()} if i % 3 == 0 and text.split() else set()
        analyzer = analyzers[i % 2]
        expected = match_spans(text, analyzer, stems, words)
        assert text_spans(analyzer, text, stems, words) == expected
        compared += 1
        marked += len(expected)
    assert marked > compared  # the comparison marked words, not only empty lists
