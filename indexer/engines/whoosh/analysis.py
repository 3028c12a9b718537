"""Text analysis: ``\\w+`` words, lower case, English (Porter2) stems, and a lean way to index.

Queries and highlights run Whoosh's analyzers (a token pipeline). Indexing does not: for
every word Whoosh's pipeline passes one Token object through three generators and a
Python LFU cache, then ``Positions.word_values`` collects and pickles each word's
positions, about 40% of a paragraph's write time. ``LeanText`` indexes by the same rules
with one regex call per value, a plain dict of stems and cached encodings, yielding exactly
the postings ``fields.TEXT`` would (tests/test_whoosh_analysis.py checks that).
"""

from __future__ import annotations

import re
from collections import defaultdict
from pickle import dumps
from struct import Struct
from typing import Iterator

from whoosh import fields, formats
from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter
from whoosh.lang import stemmer_for_language

# Words with apostrophes and hyphens are split; numbers are kept (refids, years, paragraph refs).
TOKEN_PATTERN = r"\w+"
WORD = re.compile(TOKEN_PATTERN)

_snowball_stem = stemmer_for_language("en")
_stems: dict[str, str] = {}
MAX_CACHED_STEMS = 300_000  # a few tens of MB; the corpus has ~60k distinct words


def stem(word: str) -> str:
    """The English (snowball Porter2) stem of a lowercased word, from a plain dict cache."""
    found = _stems.get(word)
    if found is None:
        if len(_stems) >= MAX_CACHED_STEMS:
            _stems.clear()
        found = _stems[word] = _snowball_stem(word)
    return found


def stemming_analyzer():
    """Tokenize, lowercase, stem with snowball English (cached: ``stem``)."""
    return (RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter()
            | StemFilter(stemfn=stem, cachesize=None))


def exact_analyzer():
    """Tokenize and lowercase only: fuzzy, wildcard and exact words match here."""
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter()


def words(text: str) -> list[str]:
    """The lowercased ``\\w+`` words of ``text``: what ``exact_analyzer`` yields, in order."""
    if text.isascii():  # lower case cannot move a word boundary in ASCII
        return WORD.findall(text.lower())
    return [w.lower() for w in WORD.findall(text)]


_last_stemmed: list = [None, []]  # the last text ``stems`` was given, and its stems


def stems(text: str) -> list[str]:
    """The stems of ``text``'s words: what ``stemming_analyzer`` yields, in order (a list
    the caller must not change: the last one is kept, as a paragraph's text is analyzed
    twice in a row, for ``text`` and its word pairs)."""
    if text == _last_stemmed[0]:
        return _last_stemmed[1]
    cached = _stems.get
    found = [cached(w) or stem(w) for w in words(text)]
    _last_stemmed[:] = [text, found]
    return found


# --- indexing without the token pipeline ---------------------------------------------------

_pack_uint = Struct("!I").pack  # whoosh.system.pack_uint
_ONE = _pack_uint(1)
_single_positions: dict[int, bytes] = {}  # position -> Positions encoding of [position]


def _encode_positions(positions: list[int]) -> bytes:
    """``formats.Positions.encode``: the count, then the pickled position deltas."""
    if len(positions) == 1:
        pos = positions[0]
        found = _single_positions.get(pos)
        if found is None:
            found = _single_positions[pos] = _ONE + dumps(positions, 2)
        return found
    deltas = [positions[0]]
    deltas.extend(b - a for a, b in zip(positions, positions[1:]))
    return _pack_uint(len(deltas)) + dumps(deltas, 2)


def _positions_postings(terms: list[str], boost: float) -> Iterator[tuple]:
    where: defaultdict[str, list[int]] = defaultdict(list)
    for i, term in enumerate(terms):
        where[term].append(i)
    for term, positions in where.items():
        freq = len(positions)
        yield term.encode("utf-8"), freq, freq * boost, _encode_positions(positions)


def _frequency_postings(terms: list[str], boost: float) -> Iterator[tuple]:
    counts: dict[str, int] = {}
    for term in terms:
        counts[term] = counts.get(term, 0) + 1
    for term, freq in counts.items():
        yield term.encode("utf-8"), freq, freq * boost, _pack_uint(freq)


class LeanText(fields.TEXT):
    """A TEXT field (``\\w+`` words, lower case, optionally stemmed) whose indexing skips
    the token pipeline. Queries and highlights use its ``analyzer`` as usual."""

    def __init__(self, stemmed: bool, phrase: bool = True, **kwargs) -> None:
        super().__init__(analyzer=stemming_analyzer() if stemmed else exact_analyzer(),
                         phrase=phrase, **kwargs)
        self.stemmed = stemmed

    def index(self, value, **kwargs):
        """(term bytes, frequency, weight, encoded value) for each distinct term of ``value``."""
        fmt = type(self.format)
        if kwargs or not isinstance(value, str) or fmt not in (formats.Positions,
                                                                formats.Frequency):
            return super().index(value, **kwargs)  # Whoosh's own way
        terms = stems(value) if self.stemmed else words(value)
        boost = float(self.format.field_boost)
        if fmt is formats.Positions:
            return _positions_postings(terms, boost)
        return _frequency_postings(terms, boost)
