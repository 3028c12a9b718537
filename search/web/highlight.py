"""Highlighted cable text as safe HTML: escape the text first, then wrap the matched spans.

Cable text is never trusted as markup: every character goes through `markupsafe.escape`,
and the only tags in the result are the `<mark>` elements added here.
"""

from __future__ import annotations

from typing import Iterable

from markupsafe import Markup, escape


def merge_spans(spans: Iterable[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """Sorted, clipped, non-overlapping (start, end) spans."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted((max(0, s), min(length, e)) for s, e in spans):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def mark_spans(text: str, spans: Iterable[tuple[int, int]]) -> Markup:
    """`text` escaped, with each (start, end) character span wrapped in `<mark>`."""
    out: list[str] = []
    position = 0
    for start, end in merge_spans(spans, len(text)):
        out.append(str(escape(text[position:start])))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        position = end
    out.append(str(escape(text[position:])))
    return Markup("".join(out))
