"""Whoosh's fast paths (top-k scoring with ties, matching sets from posting blocks, phrases
checked by positions) give exactly the answers of scoring every match with Whoosh itself."""

from __future__ import annotations

import pytest

from search_fixtures import search_index  # noqa: F401  (fixture)

pytestmark = [pytest.mark.corpus,
              pytest.mark.parametrize("engine_name", ["whoosh"], indirect=True)]

QUERIES = ["minister", "security", "human rights", '"human rights"', '"prime minister"',
           'subject:"human rights"', "iran AND nuclear", "pakistan OR afghanistan",
           "corruption NOT police", '"the government"', "meeting", '"of the"',
           '"the prime minister"', '"minister of foreign affairs"']


def reference(searcher, searching, query_text: str):
    """Every allowed match scored by Whoosh, ordered by the ranking contract."""
    from whoosh import query as wq

    from indexer.engines.base import SearchRequest
    from indexer.engines.querylang import parse_query
    from indexer.engines.whoosh.postings import docset

    state = searching._state(searcher["ix"])
    s = state.searcher()
    gen = state.generation(s)
    compiled = searching.compile_query(parse_query(query_text), s, gen.keywords(s.reader()))
    allowed = searching.allowed_docs(s, gen, SearchRequest(query=query_text))
    if compiled.query is wq.NullQuery:
        return []
    ranked = [(float(score), d) for score, d in
              s.search(compiled.query, filter=allowed, limit=None).top_n]
    first = docset(s, compiled.tier, {d for _s, d in ranked}) if compiled.tier else None
    created = gen.column(s.reader(), "created")
    ranked.sort(key=lambda it: (first is not None and it[1] not in first, -it[0],
                                -searching._date_key(created[it[1]]), it[1]))
    return ranked


@pytest.fixture(scope="module")
def whoosh_index(search_index):
    from whoosh import index

    return {"ix": index.open_dir(str(search_index))}


@pytest.mark.parametrize("text", QUERIES)
@pytest.mark.parametrize("page", [1, 3])
def test_fast_search_equals_scoring_every_match(whoosh_index, text, page):
    from indexer.engines.base import SearchRequest
    from indexer.engines.whoosh import searching

    expected = reference(whoosh_index, searching, text)
    result = searching.search(whoosh_index["ix"], SearchRequest(query=text, limit=10, page=page))
    assert result.total == len(expected)
    window = expected[(page - 1) * 10: page * 10]
    assert [(h.score, h.refid, h.paragraph) for h in result.hits] == [
        (score, *_refid_paragraph(whoosh_index, d)) for score, d in window]


def _refid_paragraph(whoosh_index, docnum: int):
    from indexer.engines.whoosh import searching

    stored = searching._state(whoosh_index["ix"]).searcher().stored_fields(docnum)
    return stored["refid"], int(stored["paragraph"])


@pytest.mark.parametrize("text", ['"the prime minister"', '"of the"', "meeting", "iran AND nuclear"])
def test_remembered_block_directories_give_the_same_answers(whoosh_index, text, monkeypatch):
    """Every term's block directory remembered (and the memory cleared at every new term):
    the answers are still those of scoring every match with Whoosh."""
    from indexer.engines.base import SearchRequest
    from indexer.engines.whoosh import postings, searching

    monkeypatch.setattr(postings, "DIRECTORY_FROM_POSTINGS", 1)
    monkeypatch.setattr(postings, "BLOCKS_REMEMBERED", 1)
    expected = reference(whoosh_index, searching, text)
    for _round in range(2):  # remembered, then read from memory
        result = searching.search(whoosh_index["ix"], SearchRequest(query=text, limit=10))
        assert result.total == len(expected)
        assert [(h.score, h.refid, h.paragraph) for h in result.hits] == [
            (score, *_refid_paragraph(whoosh_index, d)) for score, d in expected[:10]]
