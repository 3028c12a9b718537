"""Did-you-mean, built only from words the user may see: the rule both engines follow.

A query word that no visible paragraph holds is replaced by the closest word (edit distance
1, then 2; among those the most frequent) that some paragraph at or below the ceiling holds;
the corrected query is offered only if it finds more than the original did under the same
filters. Words that occur only above the ceiling are never offered. The engine supplies the
index lookups as functions.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable

MAX_CANDIDATES = 25  # near words tried per query word, the most frequent first


def suggest_correction(text: str, words: list[str], visible: Callable[[str], bool],
                       near: Callable[[str, int], Iterable[str]],
                       frequency: Callable[[str], int], found: int,
                       count: Callable[[str], int]) -> str | None:
    """A corrected query string, or None.

    ``text`` is the query as typed and ``words`` its plain words (``querylang.plain_words``);
    ``visible(word)``: some visible paragraph holds the word; ``near(word, distance)``: index
    words within that many edits; ``frequency(word)``: its document frequency;
    ``count(text)``: how many a query finds under the same filters as the original's ``found``.
    """
    corrected = text
    changed = False
    for word in words:
        if visible(word):
            continue
        better = _closest_visible(word, visible, near, frequency)
        if better is None:
            continue
        pattern = re.compile(r"(?<![\w:])" + re.escape(word) + r"(?!\w)", re.IGNORECASE)
        corrected, replaced = pattern.subn(better, corrected)
        changed = changed or replaced > 0
    if not changed or corrected == text:
        return None
    try:
        return corrected if count(corrected) > found else None
    except Exception:  # a correction that no longer parses is simply not offered
        return None


def _closest_visible(word: str, visible: Callable[[str], bool],
                     near: Callable[[str, int], Iterable[str]],
                     frequency: Callable[[str], int]) -> str | None:
    for distance in (1, 2):
        candidates = [w for w in near(word, distance) if w != word]
        candidates.sort(key=lambda w: -frequency(w))
        for candidate in candidates[:MAX_CANDIDATES]:
            if visible(candidate):
                return candidate
    return None
