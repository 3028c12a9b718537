"""A page is a slice of the whole ranking, whatever the page size.

The tantivy engine never ranks every match: it ranks a prefix long enough for the page
(ties at its edge included), collapses per cable from a growing prefix, and counts cables
with tantivy aggregations. So every small page, later page and per-cable page must equal
the same slice of the full ranking (all matches, pages of 1000) on both engines.
"""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest

from search_fixtures import archive, search_index  # noqa: F401  (fixtures)

pytestmark = pytest.mark.corpus

REQUESTS = [
    ("security", {}),
    ("nuclear", {"sort": "-date"}),
    ("government", {"sort": "date"}),
    ('"prime minister"', {}),
    ("iran OR pakistan", {}),
    ("minister", {"tags": ["PREL"]}),
    ("subject:iran", {}),
]


def ranking(archive, query: str, **kwargs) -> list:
    """Every hit in order, read in pages of 1000."""
    hits, page = [], 1
    while True:
        result = archive.search(query, limit=1000, page=page, **kwargs)
        hits.extend(result.hits)
        if page * 1000 >= result.total:
            assert len(hits) == result.total
            return hits
        page += 1


def ids(hits) -> list[tuple[str, int]]:
    return [(h.refid, h.paragraph) for h in hits]


@pytest.mark.parametrize("query,kwargs", REQUESTS)
def test_small_pages_are_slices_of_the_whole_ranking(archive, query, kwargs):
    whole = ranking(archive, query, **kwargs)
    assert len(whole) > 30, query
    for limit, page in ((7, 1), (7, 2), (10, 4), (3, 9)):
        result = archive.search(query, limit=limit, page=page, **kwargs)
        assert result.total == len(whole)
        assert ids(result.hits) == ids(whole[(page - 1) * limit: page * limit]), (limit, page)
    if kwargs.get("sort") in ("date", "-date"):  # equal dates: the better score first
        sign = 1 if kwargs["sort"] == "date" else -1
        keys = [(sign * h.created.timestamp(), -h.score) for h in whole]
        assert keys == sorted(keys)


@pytest.mark.parametrize("query,kwargs", REQUESTS)
def test_per_cable_pages_collapse_the_whole_ranking(archive, query, kwargs):
    whole = ranking(archive, query, **kwargs)
    matched = Counter(h.refid for h in whole)
    first: dict[str, int] = {}
    for hit in whole:  # each cable's best paragraph, in rank order
        first.setdefault(hit.refid, hit.paragraph)
    best = list(first.items())
    assert len(best) == len(matched) > 5
    for limit, page in ((5, 1), (5, 3), (1000, 1)):
        result = archive.search(query, per_cable=True, limit=limit, page=page, **kwargs)
        assert result.total == len(matched)
        assert ids(result.hits) == best[(page - 1) * limit: page * limit], (limit, page)
        assert [h.matched for h in result.hits] == [matched[h.refid] for h in result.hits]


@pytest.mark.parametrize("per_cable", [False, True])
def test_a_page_past_the_end_is_empty_with_the_same_total(archive, per_cable):
    first = archive.search("security", per_cable=per_cable, facets=["level"])
    far = archive.search("security", per_cable=per_cable, facets=["level"], limit=1000,
                         page=100_000_000)
    assert first.total > 0 and far.hits == [] and far.total == first.total
    assert far.facets == first.facets
