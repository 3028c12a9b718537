"""Snippets: the best window of a paragraph, with the character spans of matched words.

A snippet carries plain text and spans; how a match is shown (colour, ``<mark>``, bold) is
decided by whoever renders it.
"""

from __future__ import annotations

import functools
import re
from typing import Callable

from .analysis import WORD, stem

SNIPPET_CHARS = 280
LEAD_CHARS = 60  # context kept before the first match of the window
ELLIPSIS = "…"

Span = tuple[int, int]


def match_spans(text: str, analyzer, stems: set[str], words: set[str]) -> list[Span]:
    """Character spans of tokens whose stem is in ``stems`` or whose word is in ``words``."""
    if not text or not (stems or words):
        return []
    spans: list[Span] = []
    for token in analyzer(text, chars=True, mode="index"):
        start, end = token.startchar, token.endchar
        if token.text in stems or text[start:end].lower() in words:
            spans.append((start, end))
    return spans


def stem_spans(text: str, stems: set[str], words: set[str]) -> list[Span]:
    """``match_spans`` for the stemming analyzer (``\\w+`` words, lower case, English stems):
    the character spans of the words whose stem is in ``stems`` or that are in ``words``,
    without the analyzer's token pipeline (a long paragraph's highlight cost most of a search).

    Only words that can match are looked at: a stem keeps the beginning of its word (Porter2
    rewrites at most the last two letters of a stem, and keeps the first letter even in its
    exceptions such as dying, die), so in ASCII text each stem's head is searched for and only
    the words starting with it are stemmed. Other text is read word by word."""
    if not text or not (stems or words):
        return []
    if not text.isascii():  # lower() may change lengths and offsets outside ASCII
        return _all_word_spans(text, stems, words)
    heads = _heads(frozenset(stems), frozenset(words))
    if heads is None:
        return []
    lowered = text.lower()
    spans = []
    for m in heads.finditer(lowered):
        start = m.start()
        if start and _is_word(lowered[start - 1]):
            continue  # inside a word, not its beginning
        word = m.group()
        if word in words or stem(word) in stems:
            spans.append(m.span())
    return spans


@functools.lru_cache(maxsize=256)
def _heads(stems: frozenset[str], words: frozenset[str]) -> re.Pattern | None:
    """A pattern for any head a matching word must begin with, and the rest of the word."""
    # (a "word" that is no \w+ run, such as "(c)", is no token and so never matches)
    heads = ({s[:len(s) - 2] if len(s) > 3 else s[:1] for s in stems}
             | {w for w in words if WORD.fullmatch(w)})
    heads = sorted((h for h in heads if h), key=lambda h: (-len(h), h))
    if not heads:
        return None
    return re.compile("(?:" + "|".join(map(re.escape, heads)) + r")\w*")


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _all_word_spans(text: str, stems: set[str], words: set[str]) -> list[Span]:
    """``stem_spans`` for any text: each distinct word stemmed once, then found again."""
    matching = [w for w in set(WORD.findall(text))
                if (low := w.lower()) in words or stem(low) in stems]
    if not matching:
        return []
    # a whole \w+ run equal to one of the words (the alternatives are tried in turn)
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, matching)) + r")(?!\w)")
    return [m.span() for m in pattern.finditer(text)]


def snippet(text: str, spans: list[Span], size: int = SNIPPET_CHARS) -> tuple[str, list[Span]]:
    """The window of ``text`` holding the most matches, and the spans moved into it."""
    text = text or ""
    if len(text) <= size:
        return text, list(spans)
    start = _best_start(text, spans, size)
    end = min(len(text), start + size)
    end = _word_boundary(text, end, backwards=True, limit=start) if end < len(text) else end
    window = text[start:end].strip()
    shift = start + (len(text[start:end]) - len(text[start:end].lstrip()))
    prefix = ELLIPSIS if start > 0 else ""
    suffix = ELLIPSIS if end < len(text) else ""
    moved = [(s - shift + len(prefix), e - shift + len(prefix))
             for s, e in spans if s >= shift and e <= shift + len(window)]
    return prefix + window + suffix, moved


def _best_start(text: str, spans: list[Span], size: int) -> int:
    if not spans:
        return 0
    best, best_count = spans[0][0], 0
    for i, (s, _e) in enumerate(spans):
        count = sum(1 for s2, e2 in spans[i:] if e2 <= s + size - LEAD_CHARS)
        if count > best_count:
            best, best_count = s, count
    start = max(0, best - LEAD_CHARS)
    return _word_boundary(text, start, backwards=False, limit=best) if start > 0 else 0


def _word_boundary(text: str, pos: int, backwards: bool, limit: int) -> int:
    """Move ``pos`` to the nearest whitespace (towards ``limit``) so no word is cut."""
    is_space: Callable[[str], bool] = str.isspace
    step = -1 if backwards else 1
    probe = pos
    while probe != limit and 0 < probe < len(text) and not is_space(text[probe]):
        probe += step
    return probe if probe != limit else pos
