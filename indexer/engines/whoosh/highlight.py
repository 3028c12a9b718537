"""Snippets: the best window of a paragraph, with the character spans of matched words.

A snippet carries plain text and spans; how a match is shown (colour, ``<mark>``, bold) is
decided by whoever renders it.
"""

from __future__ import annotations

from typing import Callable

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
