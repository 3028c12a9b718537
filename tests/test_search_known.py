"""Known answers on real cables: phrases, proximity, fields, tags, dates, per-cable, sorting,
facets, ranking tiers, filters that never score, wildcards, fuzzy and exact words."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime

import pytest

from search import QueryError
from search_fixtures import archive, search_index  # noqa: F401  (fixtures)

pytestmark = pytest.mark.corpus


def all_hits(archive, query, **kwargs):
    """Every hit of a search (pages of 1000)."""
    result = archive.search(query, limit=1000, **kwargs)
    assert result.total <= 1000, "query too broad for an exhaustive check"
    return result


def words(text: str | None) -> str:
    return " ".join(re.findall(r"\w+", (text or "").lower()))


def test_phrase_occurs_in_each_hit(archive):
    result = all_hits(archive, '"strategic communications"')
    assert result.total >= 3
    assert "09LONDON1933" in {h.refid for h in result.hits}
    for hit in result.hits:
        fields = " | ".join(words(f) for f in (hit.text, hit.heading, hit.subject))
        assert re.search(r"\bstrategic communications?\b", fields), hit.refid


def test_proximity_finds_more_than_the_phrase_and_words_stay_close(archive):
    phrase = all_hits(archive, '"nuclear program"')
    near = all_hits(archive, '"nuclear program"~4')
    assert {(h.refid, h.paragraph) for h in phrase.hits} <= {(h.refid, h.paragraph) for h in near.hits}
    assert near.total > phrase.total
    for hit in near.hits:
        ok = False
        for text in (hit.text, hit.heading, hit.subject):
            tokens = words(text).split()
            a = [i for i, t in enumerate(tokens) if t == "nuclear"]
            b = [i for i, t in enumerate(tokens) if t.startswith("program")]
            ok = ok or any(abs(i - j) <= 5 for i in a for j in b)
        assert ok, (hit.refid, hit.paragraph)


def test_field_queries(archive):
    subject = all_hits(archive, "subject:pakistan")
    assert subject.total > 5
    assert all("pakistan" in words(h.subject) for h in subject.hits)

    london = archive.search('origin:"Embassy London"', limit=200)
    assert london.total > 10
    assert {h.origin for h in london.hits} == {"Embassy London"}

    marking = archive.search("marking:c/nf", limit=200)
    assert marking.total > 10
    assert {h.marking for h in marking.hits} == {"C/NF"}

    heading = all_hits(archive, "heading:comment")
    assert heading.total > 0
    assert all("comment" in words(h.heading) for h in heading.hits)


def test_tag_query_and_tag_filter_agree(archive):
    query = archive.search("tags:PTER", limit=1000)
    assert query.total > 50
    assert all("PTER" in h.tags for h in query.hits)
    filtered = archive.search("terrorism", tags=["pter"], limit=1000)
    assert filtered.total > 0
    assert all("PTER" in h.tags for h in filtered.hits)
    unfiltered = archive.search("terrorism", limit=1000)
    assert filtered.total < unfiltered.total


def test_date_range_query_and_filter_agree(archive):
    query = archive.search("government created:[2009-10 to 2009-11]", limit=1000)
    filtered = archive.search("government", date_from="2009-10", date_to="2009-11", limit=1000)
    assert query.total > 10
    assert {(h.refid, h.paragraph) for h in query.hits} == {(h.refid, h.paragraph) for h in filtered.hits}
    for hit in query.hits:
        assert datetime(2009, 10, 1) <= hit.created < datetime(2009, 12, 1)
    after = archive.search("government", date_from=date(2010, 1, 1), limit=200)
    assert after.total > 0 and all(h.created >= datetime(2010, 1, 1) for h in after.hits)


def test_sort_by_date_orders_hits(archive):
    relevance = archive.search("nuclear", limit=100)
    oldest = archive.search("nuclear", sort="date", limit=100)
    newest = archive.search("nuclear", sort="-date", limit=100)
    assert relevance.total == oldest.total == newest.total > 20
    old_dates = [h.created for h in oldest.hits]
    new_dates = [h.created for h in newest.hits]
    assert old_dates == sorted(old_dates)
    assert new_dates == sorted(new_dates, reverse=True)
    assert old_dates != new_dates


def test_per_cable_collapses_to_the_best_paragraph(archive):
    paragraphs = all_hits(archive, "counterterrorism")
    counts = Counter(h.refid for h in paragraphs.hits)
    cables = archive.search("counterterrorism", per_cable=True, limit=1000)
    assert cables.total == len(counts) < paragraphs.total
    assert len({h.refid for h in cables.hits}) == len(cables.hits)
    first_seen = {}
    for hit in paragraphs.hits:
        first_seen.setdefault(hit.refid, hit)
    for hit in cables.hits:
        assert hit.matched == counts[hit.refid]
        assert hit.paragraph == first_seen[hit.refid].paragraph  # the cable's best paragraph


def test_facets_count_the_whole_filtered_result(archive):
    result = archive.search("security", tags=["PREL"], limit=5, facets=True)
    assert result.total > len(result.hits)
    for name in ("classification", "level", "year", "month", "origin"):
        assert sum(count for _value, count in result.facets[name]) == result.total, name
    assert dict(result.facets["tags"])["PREL"] == result.total
    years = [value for value, _count in result.facets["year"]]
    assert years == sorted(years)
    per_cable = archive.search("security", per_cable=True, facets=["level", "year"])
    assert sum(c for _v, c in per_cable.facets["year"]) == per_cable.total


def test_filters_never_change_scores(archive):
    plain = {(h.refid, h.paragraph): h.score for h in archive.search("pakistan", limit=1000).hits}
    for kwargs in ({"tags": ["PTER"]}, {"max_level": "CONFIDENTIAL"},
                   {"origin": "Embassy Islamabad"}, {"date_from": "2009-11"}):
        filtered = archive.search("pakistan", limit=1000, **kwargs)
        assert filtered.hits, kwargs
        for hit in filtered.hits:
            assert hit.score == plain[(hit.refid, hit.paragraph)], kwargs


def test_own_text_matches_rank_above_subject_only_matches(archive):
    result = all_hits(archive, "pakistan")
    in_text = [bool(re.search(r"\bpakistan\b", h.text.lower())) for h in result.hits]
    assert any(in_text) and not all(in_text)  # both kinds are present
    first_without = in_text.index(False)
    assert not any(in_text[first_without:]), "a text match ranked below a subject-only match"


def test_equal_scores_fall_back_to_newest_cable(archive):
    result = all_hits(archive, "tags:PTER")  # a keyword: many hits share a score
    by_score: dict[float, list] = {}
    for hit in result.hits:
        by_score.setdefault(hit.score, []).append(hit.created)
    assert max(len(dates) for dates in by_score.values()) > 10
    for dates in by_score.values():
        assert dates == sorted(dates, reverse=True)
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)


def test_exact_word_fuzzy_and_wildcards(archive):
    stemmed = archive.search("meetings")
    exact = all_hits(archive, '"meetings"')
    assert 0 < exact.total < stemmed.total
    for hit in exact.hits:
        assert "meetings" in " ".join(words(f) for f in (hit.text, hit.heading, hit.subject)).split()
    fuzzy = archive.search("pakistn~", limit=50)
    assert fuzzy.total > 0 and any("pakistan" in words(h.text) for h in fuzzy.hits)
    prefix = archive.search("counterterror*", limit=50)
    assert prefix.total > 0
    for hit in prefix.hits:
        assert re.search(r"\bcounterterror", " ".join(words(f) for f in (hit.text, hit.heading, hit.subject)))


def test_snippets_carry_spans_of_matched_words(archive):
    result = archive.search("extremism", limit=20)
    assert result.hits
    for hit in result.hits:
        assert hit.highlights
        for start, end in hit.highlights:
            assert hit.snippet[start:end].lower().startswith("extrem")
        assert hit.snippet.strip("…") in hit.text


@pytest.mark.parametrize("query, fix", [
    ('"strategic communications', "quote"),
    ("(pakistan OR india", "bracket"),
    ("pakistan)", "bracket"),
    ("colour:red", "unknown field"),
    ("created:2009-13", "bad date"),
    ("created:[2010 to 2009]", "backwards"),
    ("*", "everything"),
    ("a*", "too broad"),
    ("war~", "too broad"),
    ("", "empty"),
])
def test_malformed_queries_say_what_to_fix(archive, query, fix):
    with pytest.raises(QueryError) as caught:
        archive.search(query)
    message = str(caught.value)
    assert fix in message and "\n" not in message


def test_broad_wildcard_is_capped_with_a_notice(archive):
    result = archive.search("co*")
    assert result.total > 0
    assert any("most frequent" in notice for notice in result.notices)
    assert not archive.search("counterterror*").notices


def test_did_you_mean_offers_a_word_of_the_index(archive):
    result = archive.search("pakistn")
    assert result.total == 0
    assert result.suggestion == "pakistan"
    assert archive.search(result.suggestion).total > 0
    assert archive.search("pakistan").suggestion is None
