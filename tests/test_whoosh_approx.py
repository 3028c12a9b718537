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
           '"security forces"^2 AND police', "pakistan AND NOT india",
           # the commonest word read last, only where the others stand; at two places
           '"the president of the"']


@pytest.fixture(scope="module")
def whoosh_index(search_index):
    from whoosh import index

    return index.open_dir(str(search_index))


def _whoosh_scores(whoosh_index, text: str):
    """The searcher, the compiled query, the allowed documents and Whoosh's own score of
    every match (its matcher tree, no block reading)."""
    from indexer.engines.base import SearchRequest
    from indexer.engines.querylang import parse_query
    from indexer.engines.whoosh import searching

    state = searching._state(whoosh_index)
    s = state.searcher()
    gen = state.generation(s)
    compiled = searching.compile_query(parse_query(text), s, gen.keywords(s.reader()))
    allowed = searching.allowed_docs(s, gen, SearchRequest(query=text))
    scores = {d: float(score) for score, d in
              s.search(compiled.query, filter=allowed, limit=None).top_n}
    return s, compiled, allowed, scores


@pytest.mark.parametrize("text", QUERIES)
def test_block_scores_are_whooshs_scores(whoosh_index, text):
    from indexer.engines.whoosh.approx import MARGIN, approximate, exact_scores
    from indexer.engines.whoosh.postings import with_checked_phrases

    s, compiled, allowed, expected = _whoosh_scores(whoosh_index, text)
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


# An exclusion or an AND under an OR: a document may match through one branch and hold
# the excluded word, or a tier word read only over the AND's candidates.
COMPOUND = ["(iran -nuclear) OR oil", "(oil -gas)^2 OR iran", "(nuclear AND minister) OR iran",
            "(oil AND the) OR russia", '"prime minister" OR (police AND government)',
            # an exclusion's size (both parts) shapes a three-part AND's tree of additions
            "said would economic (also -minister)", "would OR people OR (said -nuclear)"]


@pytest.mark.parametrize("text", COMPOUND)
def test_compound_queries_score_and_tier_as_whoosh(whoosh_index, text):
    from indexer.engines.whoosh.approx import approximate, exact_scores
    from indexer.engines.whoosh.postings import docset, with_checked_phrases

    s, compiled, allowed, whoosh = _whoosh_scores(whoosh_index, text)
    q = with_checked_phrases(s, compiled.query, allowed)
    estimate = approximate(s, q, allowed)
    matched = set(estimate.scores)
    exact = {d: score for score, d in exact_scores(s, q, matched, estimate)}
    # Whoosh 2.7.4's AndNotMatcher keeps a segment's first document even when it holds the
    # excluded word, so only the shared matches are compared
    shared = matched & set(whoosh)
    assert shared and {d: exact[d] for d in shared} == {d: whoosh[d] for d in shared}
    tier = with_checked_phrases(s, compiled.tier, matched, {})
    found = estimate.matching(s, tier, matched)
    assert found is None or found == docset(s, compiled.tier, matched)


def test_a_one_part_group_scores_as_its_part(whoosh_index):
    """Whoosh matches a group of one part by that part alone, the group's boost unused (the
    query parser normalises such groups away; a query built in code may keep them)."""
    from whoosh import query

    from indexer.engines.whoosh.approx import MARGIN, approximate, exact_scores

    s, iran, allowed, _ = _whoosh_scores(whoosh_index, "iran")
    oil = _whoosh_scores(whoosh_index, "oil")[1]
    q = query.Or([query.And([iran.query], boost=3.0), oil.query])
    whoosh = {d: float(score) for score, d in s.search(q, filter=allowed, limit=None).top_n}
    estimate = approximate(s, q, allowed)
    assert set(estimate.scores) == set(whoosh)
    assert {d: score for score, d in exact_scores(s, q, set(whoosh), estimate)} == whoosh
    assert all(abs(estimate.scores[d] - score) <= abs(score) * MARGIN
               for d, score in whoosh.items())
