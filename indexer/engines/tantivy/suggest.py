"""Did-you-mean on a tantivy index, built only from words the user may see.

The rule of ``indexer/engines/whoosh/suggest.py``: a query word that no visible paragraph
holds is replaced by the closest word (edit distance 1, then 2; among those the most
frequent) that some paragraph at or below the ceiling holds; the corrected query is offered
only if it finds more than the original did under the same filters.
"""

from __future__ import annotations

import re
from typing import Callable

import tantivy
from whoosh import query

from ..querylang import ParsedQuery, positive_leaves
from .compile import Vocabulary, zero

Q = tantivy.Query
Occur = tantivy.Occur
MAX_CANDIDATES = 25


def suggest(searcher: tantivy.Searcher, schema: tantivy.Schema, vocabulary: Vocabulary,
            parsed: ParsedQuery, visible: tantivy.Query, found: int,
            count: Callable[[str], int]) -> str | None:
    text = parsed.text
    changed = False
    for word in _plain_words(parsed):
        if _visible(searcher, schema, vocabulary, word, visible):
            continue
        better = _closest_visible(searcher, schema, vocabulary, word, visible)
        if better is None:
            continue
        pattern = re.compile(r"(?<![\w:])" + re.escape(word) + r"(?!\w)", re.IGNORECASE)
        text, replaced = pattern.subn(better, text)
        changed = changed or replaced > 0
    if not changed or text == parsed.text:
        return None
    try:
        return text if count(text) > found else None
    except Exception:  # a correction that no longer parses is simply not offered
        return None


def _plain_words(parsed: ParsedQuery) -> list[str]:
    words: list[str] = []
    for leaf in positive_leaves(parsed.tree):
        if isinstance(leaf, query.Term) and leaf.fieldname in ("any", "text", "heading",
                                                                "subject", "exact"):
            if leaf.text.isalpha() and len(leaf.text) >= 3 and leaf.text not in words:
                words.append(leaf.text)
        elif isinstance(leaf, query.Phrase) and leaf.fieldname != "exact":
            words.extend(w for w in leaf.words if w.isalpha() and len(w) >= 3 and w not in words)
    return words


def _visible(searcher, schema, vocabulary: Vocabulary, word: str, visible) -> bool:
    if not vocabulary.exists("exact", word):
        return False
    q = Q.boolean_query([(Occur.Must, Q.term_query(schema, "exact", word)),
                         (Occur.Must, zero(visible))])
    return searcher.search(q, 1, count=True).count > 0


def _closest_visible(searcher, schema, vocabulary: Vocabulary, word: str, visible) -> str | None:
    for distance in (1, 2):
        candidates = [w for w in sorted(vocabulary.within("exact", word, distance, 1)) if w != word]
        candidates.sort(key=lambda w: -vocabulary.frequency("exact", w))
        for candidate in candidates[:MAX_CANDIDATES]:
            if _visible(searcher, schema, vocabulary, candidate, visible):
                return candidate
    return None
