"""Text analysis for the tantivy engine: exactly the Whoosh engine's words and stems.

Whoosh indexes ``\\w+`` words, lower case, stemmed by its snowball English (Porter2). The
index uses tantivy's ``simple`` tokenizer (runs of alphanumeric characters) with its
lowercase filter and its English stemmer, which yield the same tokens for nearly every text,
at about half the cost of a ``\\w+`` regex tokenizer. Where they differ, a text is made to
agree before tantivy sees it (``index_value``):

- Words. ``\\w`` also takes ``_``, and for non-ASCII text Python's and Rust's ideas of a
  word character and of lower case may differ. A text with ``_``, or a non-ASCII text whose
  words tantivy's tokenizer splits otherwise (compared word for word), is handed to tantivy
  pre-tokenized by the Whoosh rules. In the corpus that is 25 of its 17,321 paragraphs, all
  for an underscore (1,477 paragraphs have non-ASCII text: tantivy splits them all alike).
- Stems. tantivy's stemmer (rust-stemmers) and Whoosh's are both Porter2 but not the same
  revision: over the 61,242 distinct words of the corpus' cablegate-html pages they disagree
  on 58 (``international``: Whoosh ``intern``, tantivy ``internat``; ``added``: ``ad`` /
  ``add``; ``organization``: ``organ`` / ``organiz``; ``university``, ``emergency``,
  ``internal``, ``evening``, the ``-ologist`` words …), 0.04% of word occurrences but about
  a quarter of all paragraphs. In such a text each of those words is replaced by a
  *surrogate*, a word that tantivy's stemmer stems to the Whoosh stem (the Whoosh stem
  itself, or with a short ending: ``universe`` for ``university``), so tantivy indexes Whoosh's terms at the same
  positions (28% of the corpus' paragraphs have such a word); the original words are
  stored beside the document (``Patches``) and put back when it is read. A word without a
  surrogate sends its texts the pre-tokenized way (none in the corpus).

Measured on the corpus replicated 3x (51,963 paragraphs): tantivy's indexing CPU per
paragraph 0.225 ms with the regex tokenizer and every differing text pre-tokenized, 0.106
ms this way (pre-tokenized texts cost as much in the writer, making their Token objects,
as tantivy's own tokenizing); the worker's tokenizing in Python is gone with it.

The comparison is learnt word by word as texts come (``_learn``), once per distinct word.
"""

from __future__ import annotations

import functools
import re
import threading
from array import array
from typing import Iterable

import tantivy

from ..whoosh.analysis import WORD, exact_analyzer, stemming_analyzer
from ..whoosh.analysis import stem as stem_word  # Whoosh's stem, cached there
from ..whoosh.analysis import words as whoosh_words

STEM_TOKENIZER = "cs_simple_stem"  # alphanumeric runs, lowercase, English stemming
WORDS_TOKENIZER = "cs_simple_words"  # alphanumeric runs, lowercase

_lock = threading.Lock()
_stemming = stemming_analyzer()
_exact = exact_analyzer()
_native_stem = None
_native_words = None
_known: set[str] = set()  # words whose two stems were compared
# words tantivy's stemmer stems otherwise than Whoosh's -> their surrogate (None: none found)
_divergent: dict[str, str | None] = {}


def stem_analyzer() -> tantivy.TextAnalyzer:
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.lowercase()).filter(tantivy.Filter.stemmer("english")).build())


def words_analyzer() -> tantivy.TextAnalyzer:
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.lowercase()).build())


def register(index: tantivy.Index) -> None:
    """Register the analyzers the schema names (needed each time an index is opened)."""
    index.register_tokenizer(STEM_TOKENIZER, stem_analyzer())
    index.register_tokenizer(WORDS_TOKENIZER, words_analyzer())


def whoosh_stems(word: str) -> list[str]:
    """The stems the Whoosh engine indexes for ``word`` (usually one)."""
    return [t.text for t in _stemming(word)]


def _natives() -> tuple[tantivy.TextAnalyzer, tantivy.TextAnalyzer]:
    global _native_stem, _native_words
    if _native_stem is None:
        with _lock:
            _native_words = words_analyzer()
            _native_stem = stem_analyzer()
    return _native_stem, _native_words


def native_words(text: str) -> list[str] | None:
    """The Whoosh analyzer's words of ``text`` (unstemmed) if tantivy's tokenizer and
    lowercase filter yield the same ones, else None."""
    if text.isascii():
        # ASCII: alphanumeric runs are \w+ runs unless an underscore joins them
        return None if "_" in text else whoosh_words(text)
    words = whoosh_words(text)
    return words if _natives()[1].analyze(text) == words else None


def words_native(text: str) -> bool:
    """True when tantivy's own unstemmed analyzer yields the Whoosh analyzer's words."""
    if text.isascii():
        return "_" not in text
    return native_words(text) is not None


SURROGATE_ENDINGS = ("", "e", "s", "es", "ed")  # tried in turn after the Whoosh stem


def _surrogate(stem: str, native_stem: tantivy.TextAnalyzer) -> str | None:
    """A word tantivy's analyzer turns into exactly ``stem``, one token long: the stem
    itself (``intern``: ``international``), else the stem with an ending (``universe``:
    ``university``, whose Whoosh stem ``univers`` tantivy would cut to ``univer``)."""
    if not (stem.isascii() and stem.isalnum()):
        return None
    for ending in SURROGATE_ENDINGS:
        if native_stem.analyze(stem + ending) == [stem]:
            return stem + ending
    return None


def _learn(words: set[str]) -> None:
    """Compare the two stemmers on those of ``words`` not compared yet."""
    if words.issubset(_known):
        return
    native_stem, _words = _natives()
    with _lock:
        for word in words.difference(_known):
            stem = stem_word(word)
            if native_stem.analyze(word) != [stem]:
                _divergent[word] = _surrogate(stem, native_stem)
            _known.add(word)


def native_ok(text: str, stem: bool = True) -> bool:
    """True when tantivy's own analyzer yields exactly the Whoosh analyzer's tokens."""
    _indexed, patches, tokens = index_value(text, stem)
    return patches is None and tokens is None


# A text's tokens: the words (or stems) in order, their start and end offsets. Three flat
# sequences rather than a tuple per token: made in a parse worker and sent to the writer,
# they unpickle fast (the offsets as raw arrays), and the writer makes its tantivy Tokens
# in one C-level map.
Tokens = tuple[list[str], array, array]

# Where surrogates replaced words of a stored text: (start, end, original word) per
# replacement, offsets in the text as stored (with the surrogates), in order.
Patches = list[tuple[int, int, str]]


def _tokens(text: str, stem: bool) -> Tokens:
    words, starts, ends = [], array("I"), array("I")
    for m in WORD.finditer(text):
        word = m.group().lower()
        words.append(stem_word(word) if stem else word)
        start, end = m.span()
        starts.append(start)
        ends.append(end)
    return words, starts, ends


@functools.lru_cache(maxsize=1024)
def _words_pattern(words: frozenset[str], flags: int = re.IGNORECASE) -> re.Pattern:
    """A pattern finding any of ``words`` as a whole \\w+ word (in any case, by default)."""
    return re.compile(r"\b(?:%s)\b" % "|".join(map(re.escape, sorted(words))), flags)


def _substituted(text: str, surrogates: dict[str, str]) -> tuple[str, Patches]:
    """``text`` with each word in ``surrogates`` (by its lower case) replaced."""
    parts: list[str] = []
    patches: Patches = []
    last = 0
    length = 0  # of the new text so far
    if text.isascii():  # lower case keeps ASCII offsets; a case-sensitive search is faster
        matches = _words_pattern(frozenset(surrogates), 0).finditer(text.lower())
    else:
        matches = _words_pattern(frozenset(surrogates)).finditer(text)
    for m in matches:
        start, end = m.span()
        word = text[start:end]
        surrogate = surrogates.get(word.lower())
        if surrogate is None:  # matched only by case folding
            continue
        parts.append(text[last:start])
        length += start - last
        parts.append(surrogate)
        patches.append((length, length + len(surrogate), word))
        length += len(surrogate)
        last = end
    parts.append(text[last:])
    return "".join(parts), patches


def restored(text: str, patches: Patches) -> str:
    """A stored text with its original words put back (inverse of the substitution)."""
    parts: list[str] = []
    last = 0
    for start, end, word in patches:
        parts.append(text[last:start])
        parts.append(word)
        last = end
    parts.append(text[last:])
    return "".join(parts)


# What tantivy is given for a text: the text to index (tantivy's analyzer tokenizes it),
# the patches that restore the stored text when surrogates are in it, or instead the
# Whoosh tokens (the text is then indexed pre-tokenized and stored as it is).
IndexValue = tuple[str, Patches | None, Tokens | None]


@functools.lru_cache(maxsize=256)  # a cable's subject and headings repeat in its paragraphs
def index_value(text: str, stem: bool) -> IndexValue:
    """How ``text`` goes to tantivy so that it indexes the Whoosh analyzer's tokens:
    ``(text, None, None)`` where tantivy's analyzer agrees, ``(text with surrogates,
    patches, None)``, or ``(text, None, Whoosh tokens)`` when neither will do."""
    if not stem:
        return (text, None, None) if words_native(text) else (text, None, _tokens(text, False))
    words = native_words(text)
    if words is None:
        return text, None, _tokens(text, stem)
    distinct = set(words)
    _learn(distinct)
    if _divergent.keys().isdisjoint(distinct):
        return text, None, None
    surrogates = {w: _divergent[w] for w in distinct.intersection(_divergent)}
    if None in surrogates.values():
        return text, None, _tokens(text, stem)
    return (*_substituted(text, surrogates), None)


# ASCII bytes: letters and digits lowercased, every other byte a space (``_`` too: a text
# with one never takes the ASCII route)
_ASCII_WORD_BYTES = bytes(ord(chr(b).lower()) if b < 128 and chr(b).isalnum() else 32
                          for b in range(256))


def _ascii_words(text: str) -> list[str]:
    """The lowercased ``\\w+`` words of a text without ``_`` whose characters are ASCII or
    separators (``_separators_only``; each becomes a ``?``, a space here): one C pass, twice
    as fast as the regex."""
    return text.encode("ascii", "replace").translate(_ASCII_WORD_BYTES).decode("ascii").split()


_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_separators: set[str] = set()  # non-ASCII characters that no word holds, for either side
_not_separators: set[str] = set()


def _is_separator(char: str) -> bool:
    """Whether ``char`` is outside every word for Whoosh's ``\\w+`` and for tantivy's
    tokenizer (``’``, ``“``, ``—`` … but not ``é``, nor ``Ⓐ``, a letter only to tantivy)."""
    if WORD.match(char):
        return False
    try:
        return _natives()[1].analyze(f"a{char}b") == ["a", "b"]
    except (ValueError, UnicodeError):  # (a lone surrogate cannot reach tantivy)
        return False


def _separators_only(text: str) -> bool:
    """True when the non-ASCII characters of ``text`` are all separators: its words are then
    the ASCII words of the text with those characters as spaces, for Whoosh and tantivy
    alike. (5% of the corpus' paragraphs hold one, nearly always a typographic quote.)"""
    chars = set(_NON_ASCII.findall(text))
    if chars.issubset(_separators):
        return True
    if not chars.isdisjoint(_not_separators):
        return False
    _natives()  # (made before taking the lock, which making them takes)
    with _lock:
        for char in chars.difference(_separators):
            (_separators if _is_separator(char) else _not_separators).add(char)
    return chars.issubset(_separators)


def stemmed_index_values(texts: Iterable[str]) -> dict[str, IndexValue]:
    """``index_value(text, True)`` of each of ``texts`` (a cable's), their words checked at
    once: the words of the texts without ``_`` that are ASCII or hold only non-ASCII
    separators (nearly all), joined, are split in C (no regex): they tell the words to learn
    and whether any divergent word occurs at all; only if one does is each text searched for
    those words (as substrings first, in C)."""
    out: dict[str, IndexValue] = {}
    plain: list[str] = []
    for text in texts:
        if text in out:
            continue
        if "_" not in text and (text.isascii() or _separators_only(text)):
            out[text] = (text, None, None)
            plain.append(text)
        else:
            out[text] = index_value(text, True)
    if not plain:
        return out
    words = set(_ascii_words("\n".join(plain)))
    _learn(words)
    if _divergent.keys().isdisjoint(words):
        return out
    surrogates = {w: _divergent[w] for w in words.intersection(_divergent)}
    if None in surrogates.values():  # a word without surrogate: each text on its own
        for text in plain:
            out[text] = index_value(text, True)
        return out
    for text in plain:
        found = _whole_words(text.lower(), surrogates)
        if found:
            out[text] = (*_replaced(text, found, surrogates), None)
    return out


def _whole_words(lowered: str, words: Iterable[str]) -> list[tuple[int, int, str]]:
    """Where ``words`` (lowercase, alphanumeric) occur as whole words in ``lowered``, in order:
    ``_words_pattern`` found by str.find (several times faster than the regex), for a lowered
    text without ``_`` that is ASCII or holds only separators (``_separators_only``), where
    a \\w character is an alphanumeric one and lower case keeps every offset."""
    found = []
    size = len(lowered)
    for word in words:
        at = lowered.find(word)
        while at >= 0:
            end = at + len(word)
            if (at == 0 or not lowered[at - 1].isalnum()) \
                    and (end == size or not lowered[end].isalnum()):
                found.append((at, end, word))
                at = lowered.find(word, end)
            else:
                at = lowered.find(word, at + 1)
    found.sort()  # (two whole words never overlap)
    return found


def _replaced(text: str, found: list[tuple[int, int, str]],
              surrogates: dict[str, str]) -> tuple[str, Patches]:
    """``_substituted`` given the words' places (``_whole_words``)."""
    parts: list[str] = []
    patches: Patches = []
    last = 0
    length = 0  # of the new text so far
    for start, end, word in found:
        surrogate = surrogates[word]
        parts.append(text[last:start])
        length += start - last
        parts.append(surrogate)
        patches.append((length, length + len(surrogate), text[start:end]))
        length += len(surrogate)
        last = end
    parts.append(text[last:])
    return "".join(parts), patches


def pretokenized_string(text: str, tokens: Tokens) -> tantivy.PreTokenizedString:
    words, starts, ends = tokens
    return tantivy.PreTokenizedString(
        text, list(map(tantivy.Token, words, range(len(words)), starts, ends)))


def pretokenized(text: str, stem: bool) -> tantivy.PreTokenizedString:
    """``text`` tokenized as the Whoosh analyzer does (\\w+, lowercase, stem), positions and
    offsets kept."""
    return pretokenized_string(text, _tokens(text, stem))


def token_positions(text: str, stem: bool) -> dict[str, list[int]]:
    """Each token's positions, as the Whoosh analyzer numbers them."""
    analyzer = _stemming if stem else _exact
    out: dict[str, list[int]] = {}
    for t in analyzer(text, positions=True):
        out.setdefault(t.text, []).append(t.pos)
    return out
