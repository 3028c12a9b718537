"""Did-you-mean, built only from words the user may see.

A query word that no visible paragraph holds is replaced by the closest word (edit distance
1, then 2, then the most frequent) that some paragraph at or below the ceiling holds; the
corrected query is offered only if it finds more than the original did under the same
filters. Words that occur only above the ceiling are never offered.
"""

from __future__ import annotations

import re
from typing import Callable

from whoosh import query

from ..querylang import ParsedQuery, positive_leaves

MAX_CANDIDATES = 25


def suggest(searcher, parsed: ParsedQuery, visible: set[int], found: int,
            count: Callable[[str], int]) -> str | None:
    """A corrected query string, or None."""
    text = parsed.text
    changed = False
    for word in _plain_words(parsed):
        if _visible(searcher, word, visible):
            continue
        better = _closest_visible(searcher, word, visible)
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
    words = []
    for leaf in positive_leaves(parsed.tree):
        if isinstance(leaf, query.Term) and leaf.fieldname in ("any", "text", "heading",
                                                                "subject", "exact"):
            if leaf.text.isalpha() and len(leaf.text) >= 3 and leaf.text not in words:
                words.append(leaf.text)
        elif isinstance(leaf, query.Phrase) and leaf.fieldname != "exact":
            words.extend(w for w in leaf.words if w.isalpha() and len(w) >= 3 and w not in words)
    return words


def _visible(searcher, word: str, visible: set[int]) -> bool:
    if ("exact", word) not in searcher.reader():
        return False
    return any(d in visible for d in searcher.docs_for_query(query.Term("exact", word)))


def _closest_visible(searcher, word: str, visible: set[int]) -> str | None:
    reader = searcher.reader()
    for distance in (1, 2):
        candidates = [w for w in reader.terms_within("exact", word, distance, prefix=1)
                      if w != word]
        candidates.sort(key=lambda w: -reader.doc_frequency("exact", w))
        for candidate in candidates[:MAX_CANDIDATES]:
            if _visible(searcher, candidate, visible):
                return candidate
    return None
