"""The engine-neutral parts of compiling a parsed query (``querylang``).

Both engines route the same logical fields the same way: plain words search the stemmed
content fields, keyword fields match their indexed values ignoring case, wildcards and fuzzy
words expand to at most ``MAX_EXPANSION`` index words. What differs is only how an engine asks
its index (the abstract lookups of ``KeywordValues``) and how it builds query objects.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

CONTENT_FIELDS = {
    "any": ("text", "heading", "subject"),
    "text": ("text",),
    "heading": ("heading",),
    "subject": ("subject",),
}
KEYWORD_FIELDS = ("tags", "origin", "refid", "marking", "classification", "level", "caveats",
                  "cites")
MAX_EXPANSION = 64  # words a wildcard or fuzzy word expands to, at most (the most frequent)
MAX_KEYWORD_VALUES = 200  # keyword values one keyword term resolves to, at most


@dataclass
class Compiled:
    """An engine's query plus what ranking and highlighting need to know about it."""

    query: Any
    tier: Any = None  # matches when the paragraph's own text matches
    stems: set[str] = field(default_factory=set)  # stemmed words to highlight
    words: set[str] = field(default_factory=set)  # exact (unstemmed) words to highlight
    notices: list[str] = field(default_factory=list)


class KeywordValues:
    """Case-insensitive lookup of keyword-field values, cached per index generation.

    Subclasses say whether a value is indexed (``exists``) and list a field's indexed values
    (``indexed_values``); the matching rules live here, once for both engines.
    """

    def __init__(self) -> None:
        self._maps: dict[str, dict[str, list[str]]] = {}

    def exists(self, fieldname: str, value: str) -> bool:
        """True when ``value`` is an indexed term of ``fieldname`` (exact case)."""
        raise NotImplementedError

    def indexed_values(self, fieldname: str) -> Iterable[str]:
        """Every indexed value of ``fieldname``, in the engine's term order."""
        raise NotImplementedError

    def values(self, fieldname: str) -> dict[str, list[str]]:
        """Lowercased value -> the indexed spellings of it, built once per field."""
        if fieldname not in self._maps:
            mapping: dict[str, list[str]] = {}
            for value in self.indexed_values(fieldname):
                mapping.setdefault(value.lower(), []).append(value)
            self._maps[fieldname] = mapping
        return self._maps[fieldname]

    def resolve(self, fieldname: str, value: str) -> list[str]:
        """Indexed values equal to ``value`` ignoring case; else values containing it as words."""
        for candidate in (value, value.upper()):
            if self.exists(fieldname, candidate):
                return [candidate]
        mapping = self.values(fieldname)
        key = " ".join(value.lower().split())
        if key in mapping:
            return list(mapping[key])
        words = re.compile(r"(?<!\w)" + re.escape(key) + r"(?!\w)")
        found = [v for k, vs in mapping.items() if words.search(k) for v in vs]
        return sorted(found)[:MAX_KEYWORD_VALUES]

    def match(self, fieldname: str, pattern: str) -> list[str]:
        """Indexed values matching a shell-style pattern, ignoring case."""
        regex = re.compile(fnmatch.translate(pattern.lower()))
        found = [v for k, vs in self.values(fieldname).items() if regex.match(k) for v in vs]
        return sorted(found)[:MAX_KEYWORD_VALUES]


class CompilerBase:
    """What a compiler records besides the query: highlight words, notices, tier queries."""

    out: Compiled
    tier: list

    def note_stems(self, stems: list[str], fields: tuple[str, ...], positive: bool,
                   text_query: Callable[[], Any]) -> None:
        """Highlight the stems of a positive word or phrase; its ``text`` query ranks a tier."""
        if positive:
            self.out.stems.update(stems)
            if "text" in fields:
                self.tier.append(text_query())

    def most_frequent(self, words: set[str], shown: str,
                      frequency: Callable[[str], int]) -> set[str]:
        """At most ``MAX_EXPANSION`` of the expanded words, the most frequent, with a notice."""
        if len(words) <= MAX_EXPANSION:
            return words
        kept = sorted(words, key=lambda w: (-frequency(w), w))[:MAX_EXPANSION]
        # no count of the words: it would include words found only above a ceiling
        self.out.notices.append(
            f"{shown} matches more than {MAX_EXPANSION} words; searched the "
            f"{MAX_EXPANSION} most frequent (make it longer to be precise)")
        return set(kept)
