"""The query language, parsed once for every engine: what it builds, what it refuses, and
that no input ever escapes as anything but a one-line QueryError."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import query

from indexer.engines.base import QueryError
from indexer.engines.querylang import parse_query, positive_leaves
from search_fixtures import archive, search_index  # noqa: F401  (fixtures)


def tree(text: str) -> query.Query:
    return parse_query(text).tree


def test_plain_words_phrases_and_proximity():
    assert tree("violent extremism") == query.And([query.Term("any", "violent"),
                                                   query.Term("any", "extremism")])
    phrase = tree('"Strategic Communications"~3')
    assert isinstance(phrase, query.Phrase)
    assert phrase.words == ["strategic", "communications"] and phrase.slop == 3


def test_one_quoted_word_is_an_exact_word():
    assert tree('"meetings"') == query.Term("exact", "meetings")
    assert tree('subject:"meetings"') == query.Term("subject", "meetings")


def test_fields_aliases_and_levels():
    assert tree("tag:PTER") == query.Term("tags", "PTER")
    assert tree('origin:"Embassy London"') == query.Term("origin", "Embassy London")
    assert tree("level:c") == query.Term("level", "CONFIDENTIAL")
    assert tree("class:SECRET") == query.Term("classification", "SECRET")


def test_dates_become_inclusive_ranges():
    whole = tree("created:[2009 to 2010]")
    assert isinstance(whole, query.DateRange)
    assert whole.startdate == datetime(2009, 1, 1)
    assert whole.enddate.date().isoformat() == "2010-12-31"
    month = tree("date:2009-02")
    assert month.startdate == datetime(2009, 2, 1) and month.enddate.day == 28
    after = tree("created:>2009-08")
    assert after.startdate == datetime(2009, 9, 1) and after.enddate is None


def test_negated_words_are_not_positive():
    leaves = list(positive_leaves(tree("pakistan NOT india")))
    assert leaves == [query.Term("any", "pakistan")]


def test_a_minus_where_a_term_starts_excludes():
    assert tree("tehran -iran") == query.AndNot(query.Term("any", "tehran"),
                                                query.Term("any", "iran"))
    assert tree("(nuclear -iran) OR reactor") == query.Or([
        query.AndNot(query.Term("any", "nuclear"), query.Term("any", "iran")),
        query.Term("any", "reactor")])
    assert tree('nuclear -"power plant"').b == query.Phrase("any", ["power", "plant"])
    assert tree("tags:PREL -tags:PHUM").b == query.Term("tags", "PHUM")


def test_a_minus_before_a_field_alias_or_in_a_bracket_of_its_own_excludes():
    assert tree("nuclear -tag:PREL") == query.AndNot(query.Term("any", "nuclear"),
                                                     query.Term("tags", "PREL"))
    assert tree("nuclear -Year:2009").b == tree("created:2009")
    assert tree("nuclear (-iran)") == tree("nuclear (NOT iran)")
    assert tree("nuclear (-iran OR -iraq)") == query.And([
        query.Term("any", "nuclear"),
        query.Not(query.Or([query.Term("any", "iran"), query.Term("any", "iraq")]))])
    assert tree("nuclear --iran") == tree("nuclear -iran")


def test_hyphens_inside_words_and_a_lone_minus_do_not_exclude():
    assert tree("al-Qaida") == tree("al Qaida")
    assert tree("counter - terrorism") == tree("counter terrorism")
    assert tree("a +b") == tree("a b")


@pytest.mark.corpus
def test_minus_word_finds_what_not_finds(archive):
    def ids(text: str) -> set[str]:
        result = archive.search(text, limit=1000)
        return {f"{h.refid}#{h.paragraph}" for h in result.hits}

    with_iran, without = ids("nuclear"), ids("nuclear -iran")
    assert without == ids("nuclear NOT iran") == ids("nuclear (-iran)")
    assert without and without < with_iran and not without & ids("iran")
    assert ids("nuclear -tag:PREL") == ids("nuclear NOT tags:PREL") < with_iran
    for excluded in ('"human rights"~3', "created:2009", "subject:iran"):
        assert ids(f"nuclear -{excluded}") == ids(f"nuclear NOT {excluded}"), excluded


@pytest.mark.parametrize("text, fix", [
    ("-iran", "only excludes"), ("iran^0 OR oil", "above 0"), ("(iran oil)^0", "above 0"), ("nuclear text:-iran", "write -text:"),
    ("nuclear -foo:bar", "unknown field"),
    ('"open', "quote"), ("(a OR b", "bracket"), ("a ]", "bracket"), ("x:y", "unknown field"),
    ("created:2009-02-30", "bad date"), ("created:soon", "bad date"), ("*", "everything"),
    ("?x", "too broad"), ("abcd~3", "too large"), ("[a to b]", "dates only"),
    ("level:ultra", "unknown classification level"), ("< x", "cannot read"), ("x" * 3000, "too long"),
])
def test_refusals_say_what_to_fix(text, fix):
    with pytest.raises(QueryError) as caught:
        parse_query(text)
    assert fix in str(caught.value) and "\n" not in str(caught.value)


SYNTAX = st.sampled_from(list('"()[]{}*?~^:-+/\\<>=!,.\'') + ["AND", "OR", "NOT", " to ", "TO",
                         "tags:", "created:", "origin:", "level:", "subject:", "exact:", "¶",
                         "\x00", "\n", "2009", "2009-10", "pakistan", "nuclear", "ab", "é"])
FUZZ = st.lists(st.one_of(SYNTAX, st.text(max_size=4)), max_size=12).map(" ".join)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=FUZZ)
def test_any_input_parses_or_fails_with_query_error(text):
    try:
        parse_query(text)
    except QueryError as exc:
        assert "\n" not in str(exc)


@pytest.mark.corpus
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=FUZZ, per_cable=st.booleans(), ceiling=st.sampled_from([None, "C", "U"]))
def test_any_input_searches_or_fails_with_query_error(archive, text, per_cable, ceiling):
    try:
        result = archive.search(text, per_cable=per_cable, max_level=ceiling, facets=["level"],
                                limit=3)
    except QueryError as exc:
        assert "\n" not in str(exc)
    else:
        assert sum(c for _v, c in result.facets["level"]) == result.total


@pytest.mark.corpus
def test_a_field_value_no_cable_has_matches_nothing(archive):
    iran = archive.search("iran", limit=0).total
    assert iran > 0
    for absent in ("tags:ZZZZ", "origin:Atlantis", "refid:NOSUCH1", "tags:ZZ*",
                   "citedby:NOSUCH1"):
        assert archive.search(f"iran {absent}", limit=0).total == 0, absent
        assert archive.search(f"iran OR {absent}", limit=0).total == iran, absent
        assert archive.search(f"iran -{absent}", limit=0).total == iran, absent
