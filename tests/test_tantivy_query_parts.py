"""The tantivy engine's shortcuts give the answers of the long way.

Ranking checks tier membership (own-text matches first) in rank order and stops at the
page; the per-cable total is derived from the cables with two or more matching paragraphs
(matched - sum(m - 1)), in parts of the key range; facets are counted on a thread pool
beside the ranking, which a forked child must make again. Each is compared here with the
plain computation on the real cables.
"""

from __future__ import annotations

import multiprocessing

import pytest

from search_fixtures import archive, search_index  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.corpus,
              pytest.mark.parametrize("engine_name", ["tantivy"], indirect=True)]

WORDS = ["security", "pakistan", "iran", "election", "minister", "nuclear", "embassy",
         "afghanistan", "oil", "police"]


def _prefix(archive, text: str, need: int):
    """The ranked prefix of a query as ``_by_relevance`` sees it, and its tier query."""
    from indexer.engines.base import SearchRequest
    from indexer.engines.querylang import parse_query
    from indexer.engines.tantivy import searching
    from indexer.engines.tantivy.compile import compile_query

    engine = archive.engine
    searcher, vocabulary = searching._open(engine)
    compiled = compile_query(parse_query(text), engine.schema, vocabulary,
                             searching._cited(engine))
    allowed = searching.filter_query(engine.schema, SearchRequest(query=text), vocabulary,
                                     paragraphs=not compiled.paragraphs_only)
    main = searching.restricted(compiled.query, allowed)
    items, total = searching._closed_prefix(searcher, main, need, counting=True)
    return searcher, engine.schema, compiled.tier, searching._ties_newest_first(searcher, items)


def test_tier_members_checked_in_rank_order_are_the_first_members(archive):
    from indexer.engines.tantivy import searching

    outsiders = 0
    for word in WORDS:
        for need in (1, 10, 40):
            searcher, schema, tier, ordered = _prefix(archive, word, need)
            inside = searching._members(searcher, schema, tier, ordered)
            every_own = [it for it in ordered if searching._where(it[1]) in inside]
            own, rest = searching._split_by_tier(searcher, schema, tier, ordered, need)
            assert own[:need] == every_own[:need], (word, need)
            if len(own) < need:  # every item was checked: the rest is whole
                assert rest == [it for it in ordered if searching._where(it[1]) not in inside]
            outsiders += len(ordered) - len(every_own)
    # some prefix holds a paragraph matched through its heading or subject alone
    assert outsiders > 0


def _distinct_cables(archive, text: str) -> int:
    refids, page = set(), 1
    while True:
        result = archive.search(text, limit=1000, page=page)
        refids.update(h.refid for h in result.hits)
        if page * 1000 >= result.total:
            return len(refids)
        page += 1


@pytest.mark.parametrize("buckets", [60_000, 7, 1])
def test_cable_total_is_the_number_of_distinct_cables(archive, monkeypatch, buckets):
    from indexer.engines.tantivy import searching

    expected = {word: _distinct_cables(archive, word) for word in WORDS[:6]}
    monkeypatch.setattr(searching, "MAX_BUCKETS", buckets)
    for word, cables in expected.items():
        # a page of 2 leaves most cables unseen: the total is counted, not collapsed
        assert archive.search(word, per_cable=True, limit=2).total == cables, word


def _facets_in_child(index, queue) -> None:
    from search import Archive

    with Archive(index) as opened:
        queue.put(opened.search("security", facets=True).facets)


def test_facets_after_fork(archive, search_index):
    """The parent's facet threads do not exist in a forked child; it counts with its own."""
    expected = archive.search("security", facets=True).facets  # the parent's pool exists
    assert expected["tags"] and expected["month"]
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_facets_in_child, args=(search_index, queue))
    child.start()
    try:
        assert queue.get(timeout=60) == expected
    finally:
        child.join(10)
        if child.is_alive():
            child.kill()
