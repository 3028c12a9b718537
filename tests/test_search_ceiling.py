"""The ceiling (max_level) never leaks: hits, snippets, facets, totals, suggestions, similar
and whole cables, over many random queries built from the index's own words."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.model import LEVELS, level_rank
from search import QueryError
from conftest import slow_run
from search_fixtures import archive, search_index  # noqa: F401  (fixtures)

pytestmark = pytest.mark.corpus

CEILINGS = ["UNCLASSIFIED", "CONFIDENTIAL", "SECRET"]
TAGS = [None, "PREL", "PGOV", "PTER", "MARR", "ECON"]


@pytest.fixture(scope="module")
def vocabulary(archive) -> dict[str, list[str]]:
    """Words of paragraphs at each level (what random queries are made of)."""
    by_level: dict[str, set[str]] = {level: set() for level in LEVELS}
    for probe in ("government", "said", "minister", "security", "president"):
        for hit in archive.search(probe, limit=1000).hits:
            tokens = re.findall(r"\b[a-z]{4,12}\b", hit.text.lower())
            by_level.setdefault(hit.level or "TOP SECRET", set()).update(tokens[:40])
    return {level: sorted(words) for level, words in by_level.items() if words}


def _word(vocabulary):
    pools = [words for words in vocabulary.values() if words]
    return st.sampled_from(pools).flatmap(st.sampled_from)


def _query(vocabulary):
    word = _word(vocabulary)
    return st.one_of(
        word,
        st.tuples(word, word).map(lambda p: f"{p[0]} {p[1]}"),
        st.tuples(word, word).map(lambda p: f"{p[0]} OR {p[1]}"),
        st.tuples(word, word).map(lambda p: f'"{p[0]} {p[1]}"~3'),
        word.map(lambda w: f"{w}~"),
        word.map(lambda w: f"{w[:4]}*"),
        word.map(lambda w: w[:-1] + ("x" if w[-1] != "x" else "y")),  # a misspelling
        st.tuples(word, word).map(lambda p: f"{p[0]} NOT {p[1]}"),
    )


def _assert_visible(level: str | None, ceiling: str) -> None:
    assert level is not None and level_rank(level) <= level_rank(ceiling), (level, ceiling)


def check_search(archive, query: str, ceiling: str, tag: str | None, per_cable: bool, sort: str,
                 since: str | None = None):
    kwargs = {"tags": [tag] if tag else None, "per_cable": per_cable, "sort": sort,
              "date_from": since}
    try:
        result = archive.search(query, max_level=ceiling, facets=True, limit=50, **kwargs)
    except QueryError:
        return None
    for hit in result.hits:
        _assert_visible(hit.level, ceiling)
        assert hit.snippet.strip("…").strip() in hit.text
    levels = dict(result.facets["level"])
    assert all(level_rank(level) <= level_rank(ceiling) for level in levels)
    assert sum(levels.values()) == result.total
    assert sum(c for _v, c in result.facets["classification"]) == result.total
    assert all(c <= result.total for _v, c in result.facets["tags"])
    # the total is exactly the visible part of the unrestricted result
    everything = archive.search(query, limit=1000, **kwargs)
    if everything.total <= 1000 and not per_cable:
        visible = [h for h in everything.hits if level_rank(h.level) <= level_rank(ceiling)]
        assert result.total == len(visible)
    if result.suggestion:
        added = set(re.findall(r"\w+", result.suggestion.lower())) - set(re.findall(r"\w+", query.lower()))
        for word in added:
            assert archive.search(f'"{word}"', max_level=ceiling).total > 0, word
    return result


@settings(max_examples=2500 if slow_run() else 120, deadline=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_searches_never_show_anything_above_the_ceiling(archive, vocabulary, data):
    query = data.draw(_query(vocabulary), label="query")
    ceiling = data.draw(st.sampled_from(CEILINGS), label="ceiling")
    tag = data.draw(st.sampled_from(TAGS), label="tag")
    per_cable = data.draw(st.booleans(), label="per_cable")
    sort = data.draw(st.sampled_from(["relevance", "date", "-date"]), label="sort")
    since = data.draw(st.sampled_from([None, "2009-10", "2010"]), label="date_from")
    result = check_search(archive, query, ceiling, tag, per_cable, sort, since)
    if not result or not result.hits:
        return
    hit = data.draw(st.sampled_from(result.hits), label="hit")
    similar = archive.similar(hit.refid, hit.paragraph, max_level=ceiling, limit=20, facets=["level"])
    for other in similar.hits:
        _assert_visible(other.level, ceiling)
    assert all(level_rank(level) <= level_rank(ceiling) for level, _ in similar.facets["level"])
    cable = archive.cable(hit.refid, max_level=ceiling)
    for paragraph in cable.paragraphs:
        if paragraph.withheld:
            assert paragraph.text is None and paragraph.heading is None
        else:
            _assert_visible(paragraph.level, ceiling)
    assert "body" not in cable.to_dict()


def test_withheld_paragraphs_and_similar_of_a_withheld_paragraph(archive):
    from search import NotFound

    full = archive.cable("09LONDON1933")
    assert full.withheld == 0 and all(p.text for p in full.paragraphs)
    assert {p.marking for p in full.paragraphs} == {"C/NF"}
    hidden = archive.cable("09LONDON1933", max_level="UNCLASSIFIED")
    assert hidden.withheld == len(hidden.paragraphs) == len(full.paragraphs)
    assert all(p.text is None and p.marking == "C/NF" for p in hidden.paragraphs)
    assert not any(p.text and p.text in str(hidden.to_dict()) for p in full.paragraphs)
    with pytest.raises(NotFound):
        archive.similar("09LONDON1933", 4, max_level="UNCLASSIFIED")
    assert archive.similar("09LONDON1933", 4, max_level="CONFIDENTIAL").hits


def test_did_you_mean_never_offers_a_word_found_only_above_the_ceiling(archive, vocabulary):
    secret_only = []
    for word in vocabulary.get("SECRET", []):
        if len(word) < 7 or not word.isalpha():
            continue
        if archive.search(f'"{word}"', max_level="CONFIDENTIAL").total == 0:
            secret_only.append(word)
        if len(secret_only) >= 40:
            break
    assert secret_only, "the subset should hold words found only in SECRET paragraphs"
    offered_without_ceiling = 0
    for word in secret_only:
        typo = word[:3] + word[4:]  # drop a letter
        open_result = archive.search(typo)
        if open_result.suggestion and word in open_result.suggestion:
            offered_without_ceiling += 1
        ceiling_result = archive.search(typo, max_level="CONFIDENTIAL")
        assert not (ceiling_result.suggestion and word in ceiling_result.suggestion), word
        assert all(level_rank(h.level) <= 1 for h in ceiling_result.hits)
    assert offered_without_ceiling > 0  # the same typos are corrected when nothing is withheld
