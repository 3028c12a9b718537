"""Text analysis for the tantivy engine: exactly the Whoosh engine's words and stems.

Tantivy's own English stemmer (rust-stemmers) and Whoosh's snowball English are both
Porter2, but not the same revision: over the 61,242 distinct words of the corpus'
cablegate-html pages they disagree on 58 (``international``: Whoosh ``intern``, tantivy
``internat``; ``added``: ``ad`` / ``add``; ``organization``: ``organ`` / ``organiz``;
``university``: ``univers`` / ``universiti``; ``emergency``, ``internal``, ``evening``, the
``-ologist`` words …), 0.04% of word occurrences but about a quarter of all paragraphs.
So that both engines match the same paragraphs, the index holds Whoosh's stems: a
paragraph's texts are indexed by tantivy's own (Rust) analyzers when every word in them
stems the same way in both, and otherwise are handed to tantivy pre-tokenized by the Whoosh
rules (``\\w+``, lowercase, Whoosh's stemmer). Non-ASCII text is also compared word for word
with tantivy's tokenizer, since Python's and Rust's ideas of ``\\w`` and of lower case may
differ there."""

from __future__ import annotations

import functools
from array import array
import threading

import tantivy

from ..whoosh.analysis import TOKEN_PATTERN, WORD, exact_analyzer, stemming_analyzer
from ..whoosh.analysis import stem as stem_word  # Whoosh's stem, cached there
from ..whoosh.analysis import words as whoosh_words

STEM_TOKENIZER = "cs_stem"  # \w+, lowercase, English stemming
WORDS_TOKENIZER = "cs_words"  # \w+, lowercase

_lock = threading.Lock()
_stemming = stemming_analyzer()
_exact = exact_analyzer()
_native_stem = None
_native_words = None
_known: set[str] = set()  # words whose two stems were compared
_divergent: set[str] = set()  # words tantivy's stemmer stems otherwise than Whoosh's


def stem_analyzer() -> tantivy.TextAnalyzer:
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(TOKEN_PATTERN))
            .filter(tantivy.Filter.lowercase()).filter(tantivy.Filter.stemmer("english")).build())


def words_analyzer() -> tantivy.TextAnalyzer:
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(TOKEN_PATTERN))
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


def native_check(text: str) -> tuple[bool, bool]:
    """Whether tantivy's own analyzers yield exactly the Whoosh analyzers' tokens for
    ``text``: (unstemmed words alike, stems alike)."""
    words = whoosh_words(text)
    if not text.isascii():
        native_stem, native_words = _natives()
        if native_words.analyze(text) != words:
            return False, False  # Rust's and Python's \\w or lower case differ in it
    distinct = set(words)
    new = distinct.difference(_known)
    if new:
        native_stem, _words = _natives()
        with _lock:
            for word in new:
                if native_stem.analyze(word) != [stem_word(word)]:
                    _divergent.add(word)
                _known.add(word)
    return True, _divergent.isdisjoint(distinct)


def native_ok(text: str, stem: bool = True) -> bool:
    """True when tantivy's own analyzer yields exactly the Whoosh analyzer's tokens."""
    if not stem and text.isascii():
        return True  # ASCII \w+ and lower case are the same in Python and in Rust
    words_ok, stems_ok = native_check(text)
    return stems_ok if stem else words_ok


# A text's tokens: the words (or stems) in order, their start and end offsets. Three flat
# sequences rather than a tuple per token: made in a parse worker and sent to the writer,
# they unpickle fast (the offsets as raw arrays), and the writer makes its tantivy Tokens
# in one C-level map.
Tokens = tuple[list[str], array, array]


def _tokens(text: str, stem: bool) -> Tokens:
    words, starts, ends = [], array("I"), array("I")
    for m in WORD.finditer(text):
        word = m.group().lower()
        words.append(stem_word(word) if stem else word)
        start, end = m.span()
        starts.append(start)
        ends.append(end)
    return words, starts, ends


@functools.lru_cache(maxsize=256)  # a cable's subject and headings repeat in its paragraphs
def whoosh_tokens(text: str, stem: bool) -> Tokens | None:
    """The Whoosh analyzer's tokens for ``text`` if tantivy's own analyzer would index it
    otherwise, else None (tantivy may tokenize it itself). Made in a parse worker
    (``documents.document_spec``)."""
    return None if native_ok(text, stem) else _tokens(text, stem)


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
