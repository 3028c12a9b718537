"""The tantivy engine indexes exactly the Whoosh analyzer's tokens, however a text reaches it.

Texts go to tantivy's own ``simple`` analyzer as they are, with surrogates for the words
whose stems differ, or pre-tokenized by the Whoosh rules (underscores, some non-ASCII
words): whichever way, the tokens tantivy indexes must be Whoosh's, and the stored text must
come back as written. Paragraph documents go to the writer as JSON: they must hold what the
generic conversion of the Whoosh document gives.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("tantivy")

from indexer.engines.tantivy import analysis, documents  # noqa: E402
from indexer.engines.whoosh import documents as whoosh_documents  # noqa: E402
from indexer.engines.whoosh.analysis import stems, words  # noqa: E402
from indexer.model import Cable, Paragraph  # noqa: E402


def indexed_tokens(text: str, stem: bool) -> list[str]:
    """The tokens tantivy indexes for ``text`` given the way ``index_value`` chooses."""
    indexed, patches, tokens = analysis.index_value(text, stem)
    if tokens is not None:
        assert patches is None and indexed == text
        return list(tokens[0])
    assert analysis.restored(indexed, patches or []) == text
    native = analysis.stem_analyzer() if stem else analysis.words_analyzer()
    return native.analyze(indexed)


def check(text: str) -> None:
    assert indexed_tokens(text, True) == stems(text)
    assert indexed_tokens(text, False) == words(text)


def test_underscores_go_pretokenized():
    """\\w+ keeps an underscore inside a word, tantivy's simple tokenizer splits there."""
    text = "The CQ_USER_NAME field and ____ lines"
    assert analysis.words_analyzer().analyze(text) != words(text)
    for stem in (True, False):
        assert analysis.index_value(text, stem)[2] is not None
    check(text)


def test_divergent_stems_get_surrogates():
    text = "International organizations ADDED an Internal review."
    assert analysis.stem_analyzer().analyze(text) != stems(text)  # the stemmers differ here
    indexed, patches, tokens = analysis.index_value(text, True)
    assert tokens is None and patches  # indexed natively, with surrogates
    assert [text[0:13], "organizations"][0] in [w for _s, _e, w in patches]
    check(text)
    assert analysis.index_value(text, False) == (text, None, None)  # unstemmed: as it is


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(
    st.sampled_from(["international", "International", "ADDED", "organization", "evening",
                     "university", "emergency", "the", "run", "1933", "x_y", "_", "naïve",
                     "İstanbul", "straße", "Ǆemal", "K", "ǅ", "a\u0301", "٣", "Ⅻ", "日本"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=6)),
    max_size=12), st.sampled_from([" ", "\n", "-", "", "'"]))
def test_any_text_indexes_whoosh_tokens(parts, separator):
    check(separator.join(parts))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.one_of(
    st.sampled_from(["international", "International", "ADDED", "organization", "evening",
                     "university", "the", "run", "x_y", "naïve", "K", "İstanbul", "’s", "“Added”",
                     "evening—the", "Ⓐ", "´", "\u00a0", "\u2028", "a\u0301"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=6)),
    max_size=8).map(" ".join), max_size=6))
def test_a_cables_texts_at_once_as_each_alone(texts):
    """The cable-at-once check (one word set, per-text work only where a divergent word
    occurs; non-ASCII texts whose non-ASCII characters are all separators split like ASCII)
    gives each text what ``index_value`` gives it alone."""
    texts = [t for t in texts if t]
    assert analysis.stemmed_index_values(texts) == {t: analysis.index_value(t, True)
                                                    for t in texts}


def test_typographic_punctuation_separates_words_on_both_sides():
    """Quotes and dashes split words for Whoosh and tantivy alike, so their texts take the
    quick route; a character only one side reads as a letter (``Ⓐ`` is alphabetic to Rust,
    not to Python's ``\\w``) or a letter (``é``) sends its text the careful way."""
    assert analysis._separators_only("the “new” ambassador’s visit—twice")
    assert not analysis._separators_only("Ⓐ plan")
    assert not analysis._separators_only("café")
    text = "He ADDED “international” help—the university’s."
    assert analysis.stemmed_index_values([text]) == {text: analysis.index_value(text, True)}
    check(text)


def test_corpus_texts_index_whoosh_tokens(corpus):
    from indexer import parse_path

    seen = 0
    for cable in parse_path(corpus / "cablegate-html" / "2009"):
        for paragraph in cable.paragraphs:
            check(paragraph.text)
            seen += 1
        if cable.subject:
            check(cable.subject)
    assert seen > 1000


def _json_of_spec(spec) -> dict:
    values, pretokenized = spec
    assert not pretokenized
    return json.loads(documents._json(values))


def test_paragraph_json_is_the_whoosh_document_converted(corpus):
    """The fast paragraph path (JSON, cable part made once) holds what the generic conversion
    of each Whoosh paragraph document gives."""
    from indexer import parse_path

    compared = 0
    for cable in parse_path(corpus / "cablegate-html" / "2009"):
        made = documents.paragraph_specs(cable)
        expected = [documents.document_spec(d) for d in whoosh_documents.paragraph_documents(cable)]
        assert len(made) == len(expected)
        for got, want in zip(made, expected):
            if isinstance(got, str):
                assert json.loads(got) == _json_of_spec(want)
                compared += 1
            else:
                assert got[0] == want[0] and got[1] == want[1]
    assert compared > 1000


def test_stored_paragraph_comes_back_as_written(tmp_path):
    """Surrogates, pre-tokenized texts and JSON documents store the texts as written."""
    from indexer.engines.base import SearchRequest
    from indexer.engines.registry import create_index

    texts = ["The International Organization ADDED it.", "A CQ_USER_NAME, internal.",
             "Plain words only."]
    cable = Cable("09LONDON1933", created=datetime(2009, 8, 21, 13, 58),
                  released=date(2011, 4, 1), classification="SECRET", tags=["PREL", "PK"],
                  caveats=["SIPDIS"], subject="Universities in the evening",
                  header="h", body="\n".join(texts),
                  paragraphs=[Paragraph(i + 1, t, heading="Emergency" if i == 0 else None,
                                        caveats=["NOFORN"] if i == 1 else [])
                              for i, t in enumerate(texts)])
    kinds = {type(p) for p in documents.paragraph_specs(cable)}
    assert kinds == {str, tuple}  # both ways are exercised
    engines = {name: create_index(tmp_path / name, name) for name in ("whoosh", "tantivy")}
    try:
        for engine in engines.values():
            engine.write([cable])
        for query, ids in [("international", [1, 2]), ("organize", [1]),
                           ("university", [1, 2, 3]), ("evening", [1, 2, 3]),
                           ("emergency", [1]), ("cq_user_name", [2]), ("plain", [3])]:
            found = {name: sorted((h.paragraph, h.fields) for h in
                                  engine.search(SearchRequest(query=query)).hits)
                     for name, engine in engines.items()}
            assert [p for p, _f in found["tantivy"]] == ids, query
            assert found["tantivy"] == found["whoosh"], query
        assert engines["tantivy"].cable(cable.refid) == cable
    finally:
        for engine in engines.values():
            engine.close()
