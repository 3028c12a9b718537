"""Regex scans that skip ahead: the same matches as ``finditer``/``sub``, found faster.

Python's regex engine jumps straight to the next possible start only when a pattern begins
with a literal or a plain character set. Patterns that begin with a lookbehind, a line
anchor, a group or an ignore-case letter are instead tried at every position of the text,
which made those scans most of the parser's time. Here such a pattern is tried only where
a cheap *candidate* pattern (which begins with a character set) matches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator


def scan(pattern: re.Pattern[str], candidates: re.Pattern[str], text: str,
         pos: int = 0, endpos: int | None = None) -> Iterator[re.Match[str]]:
    """The matches of ``pattern.finditer(text, pos, endpos)``.

    ``candidates`` must match at every position where ``pattern`` can match (a necessary
    condition, within the same endpos), and ``pattern`` must never match the empty string.
    """
    end = len(text) if endpos is None else min(endpos, len(text))
    search, match = candidates.search, pattern.match
    while pos <= end:
        candidate = search(text, pos, end)
        if candidate is None:
            return
        at = candidate.start()
        found = match(text, at, end)
        if found is None:
            pos = at + 1
            continue
        yield found
        pos = found.end()


def scan_sub(pattern: re.Pattern[str], candidates: re.Pattern[str] | Iterable[int],
             repl: str | Callable[[re.Match[str]], str], text: str) -> str:
    """``pattern.sub(repl, text)`` for a pattern that never matches the empty string, tried
    where ``candidates`` (a regex for scan, or positions for scan_at) says it can match; a
    string ``repl`` is used literally (it must hold no backslash or group reference)."""
    pieces: list[str] = []
    last = 0
    matches = scan(pattern, candidates, text) if isinstance(candidates, re.Pattern) \
        else scan_at(pattern, candidates, text)
    for found in matches:
        pieces.append(text[last:found.start()])
        pieces.append(repl if isinstance(repl, str) else repl(found))
        last = found.end()
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


def scan_at(pattern: re.Pattern[str], positions: Iterable[int], text: str,
            pos: int = 0, endpos: int | None = None) -> Iterator[re.Match[str]]:
    """The matches of ``pattern.finditer(text, pos, endpos)``, trying ``pattern`` only at
    ``positions`` (ascending; every position where it can match must be among them). For
    candidates that str.find or a literal-prefixed regex finds faster than any pattern the
    engine would try at every position. ``pattern`` must never match the empty string."""
    end = len(text) if endpos is None else min(endpos, len(text))
    match = pattern.match
    for at in positions:
        if at < pos:
            continue
        if at >= end:
            return
        found = match(text, at, end)
        if found is not None:
            yield found
            pos = found.end()


def line_starts(text: str, positions: Iterable[int]) -> list[int]:
    """The starts of the lines holding these positions, ascending, once each (each stretch
    of text looked at once, so a long text without line breaks stays linear)."""
    starts: list[int] = []
    looked, start = 0, 0
    for at in sorted(positions):
        newline = text.rfind("\n", looked, at)
        if newline >= 0:
            start = newline + 1
        if not starts or starts[-1] != start:
            starts.append(start)
        looked = max(looked, at)
    return starts


def find_all(text: str, literal: str) -> list[int]:
    """Every position where ``literal`` begins (overlapping ones included)."""
    found: list[int] = []
    at = text.find(literal)
    while at >= 0:
        found.append(at)
        at = text.find(literal, at + 1)
    return found
