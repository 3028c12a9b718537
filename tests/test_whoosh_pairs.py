"""Word pairs (``pairs.py``): the pair field holds what Whoosh's token pipeline gives, a
phrase answered from pairs is the phrase checked by positions, and an index built before
pairs existed still opens, answers and grows."""

from __future__ import annotations

import json

import pytest

from search_fixtures import search_index  # noqa: F401  (fixture)

from indexer.engines.whoosh.pairs import WordPairs, decode_frequencies, encode_frequencies


def test_frequencies_round_trip_small_and_large():
    for first, second in [(1, 1), (3, 255), (255, 256), (70_000, 2)]:
        assert decode_frequencies(encode_frequencies(first, second)) == (first, second)
    assert len(encode_frequencies(1, 255)) == 2


def test_pairs_hold_a_common_word_and_count_both_words():
    field = WordPairs(of="text")
    text = "The minister said that the minister of the interior met the minister. " * 100
    postings = {term.decode(): (freq, weight, decode_frequencies(value))
                for term, freq, weight, value in field.index(text)}
    assert postings["the minist"] == (300, 300.0, (400, 300))  # 300 minister, 400 the
    assert postings["of the"] == (100, 100.0, (100, 400))
    assert "minist said" not in postings  # neither word is common
    assert field.phrase_pairs(["the", "minist", "said", "that"]) == ["the minist", "said that"]


@pytest.mark.corpus
def test_pair_postings_equal_the_token_pipeline_on_corpus_paragraphs(corpus):
    """The lean path (``WordPairs.index``) yields what the format makes of Whoosh's own
    tokens with their positions."""
    from indexer import parse_path

    field = WordPairs(of="text")
    texts = [p.text for c in parse_path(corpus / "cablegate-html" / "2009" / "08")
             for p in c.paragraphs if p.text]
    assert len(texts) > 300
    seen = 0
    for text in texts:
        lean = list(field.index(text))
        assert lean == list(field.format.word_values(text, field.analyzer)), text[:80]
        seen += len(lean)
    assert seen > 10_000


# Two words (one or both common, the same word twice), three and four words, a phrase
# without a common word (no pairs: positions only), one that nothing matches.
PHRASES = [["the", "govern"], ["of", "the"], ["prime", "minist"], ["note", "that"],
           ["the", "the"], ["the", "prime", "minist"], ["minist", "of", "foreign", "affair"],
           ["human", "right"], ["in", "the", "region"], ["the", "zzyzx"]]


@pytest.mark.corpus
@pytest.mark.parametrize("engine_name", ["whoosh"], indirect=True)
@pytest.mark.parametrize("words", PHRASES, ids=" ".join)
def test_phrases_from_pairs_equal_phrases_by_positions(search_index, words, monkeypatch):
    """The same documents and the same word weights, over every document and over a
    part of them, as the phrase checked by its words' positions alone."""
    from whoosh import index, query

    from indexer.engines.whoosh import postings

    searcher = index.open_dir(str(search_index)).searcher()
    everything = set(range(searcher.doc_count_all()))
    phrase = query.Phrase("text", words)
    for universe in (everything, {d for d in everything if d % 3}):
        with_pairs = postings.phrase_matches(searcher, phrase, universe)
        with monkeypatch.context() as m:
            m.setattr(postings, "pairs_field", lambda schema, fieldname: None)
            by_positions = postings.phrase_matches(searcher, phrase, universe)
        assert with_pairs == by_positions
    if words[-1] != "zzyzx":
        assert with_pairs[0], words  # the corpus holds each phrase


@pytest.mark.corpus
def test_an_index_from_before_pairs_opens_answers_and_grows(tmp_path, corpus, monkeypatch):
    from indexer.build import build_index
    from indexer.engines.registry import METADATA_FILE
    from indexer.engines.whoosh import engine as whoosh_engine
    from indexer.engines.whoosh.schema import TEXT_PAIRS, build_schema
    from search import Archive

    def schema_one():
        schema = build_schema()
        schema.remove(TEXT_PAIRS)
        return schema

    august = corpus / "cablegate-html" / "2009" / "08"
    old, new = tmp_path / "old", tmp_path / "new"
    with monkeypatch.context() as m:
        m.setattr(whoosh_engine, "build_schema", schema_one)
        m.setattr(whoosh_engine.WhooshEngine, "schema_version", 1)
        build_index([august], old)
    assert json.loads((old / METADATA_FILE).read_text())["schema_version"] == 1
    build_index([august], new)
    for query in ['"the government"', '"of the prime minister"', 'minister "in the"']:
        with Archive(old) as before, Archive(new) as after:
            answers = before.search(query, limit=20), after.search(query, limit=20)
        assert answers[0].total == answers[1].total > 0, query
        assert [(h.refid, h.paragraph, h.score) for h in answers[0].hits] == \
            [(h.refid, h.paragraph, h.score) for h in answers[1].hits]
    with Archive(old) as before:
        total_before = before.search('"the government"').total
    build_index([corpus / "cablegate-html" / "2009" / "09"], old)  # grows in the old schema
    with Archive(old) as grown:
        assert TEXT_PAIRS not in grown.engine.index.schema
        assert grown.search('"the government"').total > total_before
