"""Did-you-mean on a tantivy index: the rule of ``indexer/engines/suggestions.py``, with the
index lookups read from the term dictionaries (``Vocabulary``) and the visible-paragraph
filter."""

from __future__ import annotations

from typing import Callable

import tantivy

from ..querylang import ParsedQuery, plain_words
from ..suggestions import suggest_correction
from .compile import Vocabulary, zero

Q = tantivy.Query
Occur = tantivy.Occur


def suggest(searcher: tantivy.Searcher, schema: tantivy.Schema, vocabulary: Vocabulary,
            parsed: ParsedQuery, visible: tantivy.Query, found: int,
            count: Callable[[str], int]) -> str | None:
    """A corrected query string, or None."""

    def is_visible(word: str) -> bool:
        if not vocabulary.exists("exact", word):
            return False
        q = Q.boolean_query([(Occur.Must, Q.term_query(schema, "exact", word)),
                             (Occur.Must, zero(visible))])
        return searcher.search(q, 1, count=True).count > 0

    return suggest_correction(
        parsed.text, plain_words(parsed), is_visible,
        near=lambda word, distance: sorted(vocabulary.within("exact", word, distance, 1)),
        frequency=lambda word: vocabulary.frequency("exact", word),
        found=found, count=count)
