"""Text analysis for the tantivy engine: exactly the Whoosh engine's words and stems.

Tantivy's own English stemmer (rust-stemmers) and Whoosh's snowball English are both
Porter2, but not the same revision: on the corpus' 61,242 distinct words they disagree on 58
(``international``: Whoosh ``intern``, tantivy ``internat``; ``added``: ``ad`` / ``add``;
``organization``: ``organ`` / ``organiz``; ``university``: ``univers`` / ``universiti`` …,
about 0.04% of word occurrences). So that both engines match the same paragraphs, the index
holds Whoosh's stems: a text is indexed by tantivy's own (fast, Rust) analyzer when every
word in it stems the same way in both, and otherwise is handed to tantivy pre-tokenized by
the Whoosh analyzer. Non-ASCII text always goes the pre-tokenized way, since Python's and
Rust's ideas of ``\\w`` and of lower case may differ there.
"""

from __future__ import annotations

import re
import threading

import tantivy

from ..whoosh.analysis import TOKEN_PATTERN, exact_analyzer, stemming_analyzer

STEM_TOKENIZER = "cs_stem"  # \w+, lowercase, English stemming
WORDS_TOKENIZER = "cs_words"  # \w+, lowercase

_WORD = re.compile(TOKEN_PATTERN)
_lock = threading.Lock()
_stemming = stemming_analyzer()
_exact = exact_analyzer()
_native_stem = None
# word -> does tantivy's stem differ from Whoosh's? (grows with the vocabulary seen)
_divergent: dict[str, bool] = {}


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


def _is_divergent(word: str) -> bool:
    global _native_stem
    known = _divergent.get(word)
    if known is None:
        with _lock:
            if _native_stem is None:
                _native_stem = stem_analyzer()
            known = _divergent[word] = _native_stem.analyze(word) != whoosh_stems(word)
    return known


def native_ok(text: str) -> bool:
    """True when tantivy's own analyzer yields exactly the Whoosh analyzer's stems."""
    if not text.isascii():
        return False
    divergent = _is_divergent
    return not any(divergent(w) for w in set(_WORD.findall(text.lower())))


def pretokenized(text: str, stem: bool) -> tantivy.PreTokenizedString:
    """``text`` tokenized by the Whoosh analyzer (stemmed or not), positions and offsets kept."""
    analyzer = _stemming if stem else _exact
    tokens = [tantivy.Token(t.text, t.pos, t.startchar, t.endchar)
              for t in analyzer(text, positions=True, chars=True)]
    return tantivy.PreTokenizedString(text, tokens)


def token_positions(text: str, stem: bool) -> dict[str, list[int]]:
    """Each token's positions, as the Whoosh analyzer numbers them."""
    analyzer = _stemming if stem else _exact
    out: dict[str, list[int]] = {}
    for t in analyzer(text, positions=True):
        out.setdefault(t.text, []).append(t.pos)
    return out


def add_text(doc: tantivy.Document, field: str, text: str, stem: bool) -> None:
    """Add a text value that tantivy will index with Whoosh's words and stems."""
    if text.isascii() and (not stem or native_ok(text)):
        doc.add_text(field, text)
    else:
        doc.add_pre_tokenized_text(field, pretokenized(text, stem))
