"""Scores read from posting blocks (``approx``) are Whoosh's own: the same matches, every
exact total bit for bit what Whoosh's matcher gives, every estimate within its margin."""

from __future__ import annotations

import pytest

from search_fixtures import search_index  # noqa: F401  (fixture)

pytestmark = [pytest.mark.corpus,
              pytest.mark.parametrize("engine_name", ["whoosh"], indirect=True)]

QUERIES = ["iran AND nuclear", "meeting minister", "human rights", '"human rights"',
           '"prime minister"', '"the government of"', '"noted that"',
           '"prime minister" AND (iran OR iraq)', '"human rights" OR rights',
           'subject:iran AND text:oil', "heading:comment AND security", "(oil OR gas) AND russia",
           '"security forces"^2 AND police', "pakistan AND NOT india"]


@pytest.fixture(scope="module")
def whoosh_index(search_index):
    from whoosh import index

    return index.open_dir(str(search_index))


@pytest.mark.parametrize("text", QUERIES)
def test_block_scores_are_whooshs_scores(whoosh_index, text):
    from indexer.engines.base import SearchRequest
    from indexer.engines.querylang import parse_query
    from indexer.engines.whoosh import searching
    from indexer.engines.whoosh.approx import MARGIN, approximate, exact_scores
    from indexer.engines.whoosh.postings import with_checked_phrases

    state = searching._state(whoosh_index)
    s = state.searcher()
    gen = state.generation(s)
    compiled = searching.compile_query(parse_query(text), s, gen.keywords(s.reader()))
    allowed = searching.allowed_docs(s, gen, SearchRequest(query=text))
    expected = {d: float(score) for score, d in
                s.search(compiled.query, filter=allowed, limit=None).top_n}
    q = with_checked_phrases(s, compiled.query, allowed)
    estimate = approximate(s, q, allowed)
    if "NOT" in text:  # a negation is left to Whoosh
        assert estimate is None
        return
    assert estimate is not None
    assert expected, "the query should match something in the corpus"
    assert set(estimate.scores) == set(expected)
    exact = dict((d, score) for score, d in exact_scores(s, q, set(expected), estimate))
    assert exact == expected  # bit for bit, so ties break the same way
    for d, score in expected.items():
        assert abs(estimate.scores[d] - score) <= abs(score) * MARGIN
