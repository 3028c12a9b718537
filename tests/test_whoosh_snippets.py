"""The lean highlight (``highlight.stem_spans``, which both engines use, through
``searching.text_spans`` on Whoosh) marks exactly the words Whoosh's analyzer marks
(``highlight.match_spans``), on real paragraphs."""

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
    compared = marked = non_ascii = 0
    for i, text in enumerate(paragraphs):
        found = stems_of(text)
        words = {text.split()[0].lower()} if i % 3 == 0 and text.split() else set()
        analyzer = analyzers[i % 2]
        # some of the paragraph's own stems; and stems whose words do not begin with them
        # (Porter2's exceptions: dying -> die, lying -> lie)
        for stems in (set(found[::7]), {"die", "lie"}):
            expected = match_spans(text, analyzer, stems, words)
            assert text_spans(analyzer, text, stems, words) == expected
            compared += 1
            marked += len(expected)
        non_ascii += not text.isascii()
    assert marked > compared / 2 and non_ascii > 5  # words were marked, odd texts were read
