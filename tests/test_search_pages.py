"""A page is a slice of the whole ranking, whatever the page size.

The tantivy engine never ranks every match: it ranks a prefix long enough for the page
(ties at its edge included), collapses per cable from a growing prefix, and counts cables
with tantivy aggregations. So every small page, later page and per-cable page must equal
the same slice of the full ranking (all matches, pages of 1000) on both engines; and the
highlighter's shortcut must light up exactly the words the Whoosh highlighter does.
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


def test_highlighter_shortcut_lights_up_what_whoosh_does(corpus):
    pytest.importorskip("tantivy")
    from indexer import parse_path
    from indexer.engines.tantivy.analysis import stem_word
    from indexer.engines.tantivy.searching import match_spans
    from indexer.engines.whoosh.analysis import stemming_analyzer
    from indexer.engines.whoosh.highlight import match_spans as whoosh_spans

    analyzer = stemming_analyzer()
    texts = [p.text for part in ("cablegate-html/2009/08", "cablegate-html/2010/02")
             for cable in parse_path(corpus / part) for p in cable.paragraphs if p.text]
    rng = random.Random(5)
    checked = non_ascii = 0
    for text in rng.sample(texts, min(800, len(texts))):
        words = re.findall(r"\w+", text.lower())
        picks = rng.sample(words, min(len(words), rng.choice((1, 2, 3))))
        exact = set(rng.sample(words, 1)) if words and rng.random() < 0.3 else set()
        for stems in ({stem_word(w) for w in picks}, {"die", "lie"}):
            assert match_spans(text, stems, exact) == whoosh_spans(text, analyzer, stems, exact)
            checked += 1
        non_ascii += not text.isascii()
    assert checked > 1000 and non_ascii > 5


@pytest.mark.parametrize("per_cable", [False, True])
def test_a_page_past_the_end_is_empty_with_the_same_total(archive, per_cable):
    first = archive.search("security", per_cable=per_cable, facets=["level"])
    far = archive.search("security", per_cable=per_cable, facets=["level"], limit=1000,
                         page=100_000_000)
    assert first.total > 0 and far.hits == [] and far.total == first.total
    assert far.facets == first.facets
