"""Word pairs: a phrase with a common word answered from one posting list.

A phrase such as "the iranian" is checked by positions: every paragraph holding "iranian"
is a candidate, and the positions of "the" are read for each (thousands of posting blocks
at 10x the corpus). Lucene's CommonGrams and Elasticsearch's ``index_phrases`` index the
adjacent pairs instead; so does the ``text_pairs`` field here, for every two adjacent
stems of a paragraph's text of which at least one is a common English word (``COMMON``):
the stems joined by a space (words never hold one), e.g. ``"the iranian"``.

A pair's posting holds how often the pair stands in the paragraph (its weight) and how
often each of its two words does (its value): a two-word phrase's matches and the scores
Whoosh would give them (its words' weights in ``text``) come from the pair's postings
alone. A longer phrase takes as candidates the paragraphs holding all of its pairs, then
checks positions there only.

The common words are kept in the field (the index's schema), so an index keeps answering
with the words it was built with; an index without the field checks positions as before.
"""

from __future__ import annotations

import struct
from collections import Counter
from functools import lru_cache
from itertools import islice
from typing import Iterable, Iterator

from whoosh import fields, formats

from .analysis import stemming_analyzer, stems

FIELD_SUFFIX = "_pairs"
SEPARATOR = " "

# The English words in at least half of the corpus's paragraphs (Porter2 leaves them as
# they are; "s" is what remains of "'s"). Pairs holding one: ~0.7 postings per posting of
# ``text``, ~108k distinct pairs at 1x. Each more word costs build time (the pairs of the
# 46 commonest function words: 0.96 and 212k, a build ~80% slower in one trial) and spares less: a
# phrase is slow when its rarer word is frequent and the other in nearly every paragraph.
COMMON = frozenset("a and for in is of on s that the to with".split())

_TWO_BYTES = struct.Struct("!BB")
_TWO_INTS = struct.Struct("!II")


@lru_cache(maxsize=65536)  # one bytes object per value: pickled once per block, then by reference
def encode_frequencies(first: int, second: int) -> bytes:
    """The two words' frequencies: one byte each when both fit, else four."""
    if first < 256 and second < 256:
        return _TWO_BYTES.pack(first, second)
    return _TWO_INTS.pack(first, second)


def decode_frequencies(value: bytes) -> tuple[int, int]:
    return (_TWO_BYTES if len(value) == 2 else _TWO_INTS).unpack(value)


def pair_postings(terms: list[str], common: frozenset[str], boost: float = 1.0
                  ) -> Iterator[tuple[bytes, int, float, bytes]]:
    """(pair bytes, frequency, weight, value) of each distinct pair of adjacent ``terms``
    (a text's stems, in order) holding a common word."""
    pairs = Counter([a + SEPARATOR + b for a, b in zip(terms, islice(terms, 1, None))
                     if a in common or b in common])
    if not pairs:
        return
    counts = Counter(terms)
    for pair, freq in pairs.items():
        first, second = pair.split(SEPARATOR)
        yield (pair.encode("utf-8"), freq, freq * boost,
               encode_frequencies(counts[first], counts[second]))


class PairFrequencies(formats.Format):
    """Postings of word pairs: weight, the pair's frequency; value, its two words'
    frequencies in the paragraph (``encode_frequencies``)."""

    posting_size = -1  # one or two bytes per word

    def __init__(self, common: Iterable[str], field_boost: float = 1.0, **options) -> None:
        self.common = frozenset(common)
        self.field_boost = field_boost
        self.options = options

    def word_values(self, value, analyzer, **kwargs):
        """The postings from ``analyzer``'s tokens (Whoosh's token pipeline): pairs of
        words at adjacent positions."""
        kwargs.update(positions=True, mode="index")
        tokens = [(t.pos, t.text) for t in analyzer(value, **kwargs)]
        adjacent = all(b[0] == a[0] + 1 for a, b in zip(tokens, tokens[1:]))
        if not adjacent:  # the analyzers here never skip a position
            raise ValueError("word pairs need an analyzer that keeps every position")
        return pair_postings([text for _pos, text in tokens], self.common, self.field_boost)


class WordPairs(fields.FieldType):
    """The adjacent stem pairs of a text that hold a common word (not stored, not scored:
    read by ``postings.phrase_matches`` only). ``of``: the field whose text it pairs."""

    def __init__(self, of: str, common: Iterable[str] = COMMON) -> None:
        super().__init__(PairFrequencies(common), stemming_analyzer(), scorable=False,
                         stored=False)
        self.of = of

    @property
    def common(self) -> frozenset[str]:
        return self.format.common

    def index(self, value, **kwargs):
        """What ``format.word_values`` yields, without the token pipeline."""
        if kwargs or not isinstance(value, str):
            return super().index(value, **kwargs)
        return pair_postings(stems(value), self.common, self.format.field_boost)

    def phrase_pairs(self, words: list[str]) -> list[str]:
        """The pair terms of a phrase's stems (adjacent, one of them common), in order."""
        return [a + SEPARATOR + b for a, b in zip(words, words[1:])
                if a in self.common or b in self.common]


def pairs_field(schema, fieldname: str) -> tuple[str, WordPairs] | None:
    """The pair field of ``fieldname`` in ``schema`` (its name and type); None when the
    index has none (it was built before pairs, or pairs another field)."""
    name = fieldname + FIELD_SUFFIX
    field = schema[name] if name in schema else None
    if isinstance(field, WordPairs) and field.of == fieldname:
        return name, field
    return None
