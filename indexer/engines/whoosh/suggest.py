"""Did-you-mean on a Whoosh index: the rule of ``indexer/engines/suggestions.py``, with the
index lookups read from the searcher's reader."""

from __future__ import annotations

from typing import Callable

from whoosh import query

from ..querylang import ParsedQuery, plain_words
from ..suggestions import suggest_correction


def suggest(searcher, parsed: ParsedQuery, visible: set[int], found: int,
            count: Callable[[str], int]) -> str | None:
    """A corrected query string, or None."""
    reader = searcher.reader()

    def is_visible(word: str) -> bool:
        if ("exact", word) not in reader:
            return False
        return any(d in visible for d in searcher.docs_for_query(query.Term("exact", word)))

    return suggest_correction(
        parsed.text, plain_words(parsed), is_visible,
        near=lambda word, distance: reader.terms_within("exact", word, distance, prefix=1),
        frequency=lambda word: reader.doc_frequency("exact", word),
        found=found, count=count)
