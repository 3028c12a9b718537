"""The tantivy engine's shortcuts give the answers of the long way.

Ranking checks tier membership (own-text matches first) in rank order and stops at the
page; the per-cable total is derived from the cables with two or more matching paragraphs
(matched - sum(m - 1)), from one aggregation when it settles it, else in parts of the key
range; facets are counted on a thread pool beside the ranking, which a forked child must
make again, and the tags of a large result from the term dictionary. Each is compared here with the
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


def _per_cable_counts(archive, text: str) -> dict[str, int]:
    """How many paragraphs of each cable match, from every page of the plain search."""
    counts: dict[str, int] = {}
    page = 1
    while True:
        result = archive.search(text, limit=1000, page=page)
        for hit in result.hits:
            counts[hit.refid] = counts.get(hit.refid, 0) + 1
        if page * 1000 >= result.total:
            return counts
        page += 1


def test_cable_total_in_one_pass_when_the_cables_left_out_have_two_matches(archive, monkeypatch):
    """With room for every cable of three matches or more but not for all of two, the
    cables left out are counted from the paragraphs left out (two each), in one pass."""
    from indexer.engines.tantivy import searching

    passes = []
    once = searching._repeats_at_once
    monkeypatch.setattr(searching, "_repeats_at_once",
                        lambda *a: passes.append(once(*a)) or passes[-1])
    monkeypatch.setattr(searching, "ONE_PASS_MATCHES", 10**9)  # always tried, room MIN_ROOM
    tried = 0
    for word in WORDS:
        counts = _per_cable_counts(archive, word)
        three = sum(1 for m in counts.values() if m >= 3)
        two = sum(1 for m in counts.values() if m == 2)
        if not three or two < 2:
            continue
        # (first room, MAX_BUCKETS, which passes settle): too little room is asked again
        # with MAX_BUCKETS, then the key-range parts count
        for room, most, settled in ((three + 1, three + 1, [True]), (three, three, [False]),
                                    (three, three + 1, [False, True])):
            passes.clear()
            monkeypatch.setattr(searching, "MIN_ROOM", room)
            monkeypatch.setattr(searching, "MAX_BUCKETS", most)
            assert archive.search(word, per_cable=True, limit=2).total == len(counts), word
            assert [p is not None for p in passes] == settled, (word, room, most)
        tried += 1
    assert tried >= 3


def test_tag_counts_by_dictionary_are_the_aggregations(corpus, tmp_path, monkeypatch, engine_name):
    """Tags counted by walking the term dictionary give the terms aggregation's buckets,
    the paragraphs without a tag included (real cables of a month, every third without its
    tags: the search subset has no untagged paragraph). A second write replaces every
    fourth cable by a later release with a tag no other cable has: the dictionary then
    holds values of deleted documents only, and the index has several segments."""
    from dataclasses import replace
    from datetime import date

    from indexer import parse_path
    from indexer.engines.base import SearchRequest
    from indexer.engines.registry import create_index
    from indexer.engines.tantivy import searching

    cables = [replace(c, tags=[]) if i % 3 == 0 else c
              for i, c in enumerate(parse_path(corpus / "cablegate-html/2009/08"))]
    engine = create_index(tmp_path / "ix", engine_name)
    try:
        engine.write(cables)
        gone = {c.refid: f"ZZGONE{i}" for i, c in enumerate(cables) if i % 4 == 1 and c.tags}
        for released, tag_of in ((date(2012, 1, 1), gone.get),
                                 (date(2012, 2, 1), lambda refid: "ZZLATER")):
            engine.write([replace(c, tags=[tag_of(c.refid)], released=released)
                          for c in cables if c.refid in gone])
        queries = WORDS[:5] + ["the", "NOT iran", "tags:PREL OR iran"]
        requests = [SearchRequest(query=q, facets=list(searching.FACETS)) for q in queries]
        monkeypatch.setattr(searching, "BY_DICTIONARY_SHARE", 2.0)  # never by dictionary
        expected = [engine.search(r).facets for r in requests]
        monkeypatch.setattr(searching, "BY_DICTIONARY_SHARE", 0.0)  # always
        assert [engine.search(r).facets for r in requests] == expected
    finally:
        engine.close()
    assert len(cables) > 20 and len(gone) > 5
    assert sum(any(v == "(unknown)" for v, _n in f["tags"]) for f in expected) >= 5
    assert sum(any(v == "ZZLATER" for v, _n in f["tags"]) for f in expected) >= 5
    assert not any(v.startswith("ZZGONE") for f in expected for v, _n in f["tags"])
    assert sum(len(f["tags"]) > 10 for f in expected) >= 5
