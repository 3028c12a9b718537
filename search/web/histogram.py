"""The date histogram of a search, drawn on the server as inline SVG (no JavaScript).

Each bar is a link that narrows the search to its year or month; empty years or months
between the first and the last are drawn as gaps, so the time axis is true.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable

from markupsafe import Markup, escape

WIDTH = 720
HEIGHT = 130
AXIS = 18  # room for the labels under the bars
TOP = 14  # room for the highest count above the bars
MAX_LABELS = 12


def fill_gaps(buckets: Iterable[tuple[str, int]], unit: str) -> list[tuple[str, int]]:
    """Every year (YYYY) or month (YYYY-MM) from the first bucket to the last, zeros included."""
    counts = {str(key): count for key, count in buckets
              if re.fullmatch(r"\d{4}" if unit == "year" else r"\d{4}-\d{2}", str(key))}
    if not counts:
        return []
    keys = sorted(counts)
    if unit == "year":
        span = [str(y) for y in range(int(keys[0]), int(keys[-1]) + 1)]
    else:
        first_year, first_month = map(int, keys[0].split("-"))
        last_year, last_month = map(int, keys[-1].split("-"))
        span = []
        year, month = first_year, first_month
        while (year, month) <= (last_year, last_month):
            span.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return [(key, counts.get(key, 0)) for key in span]


def histogram_svg(buckets: Iterable[tuple[str, int]], unit: str,
                  href: Callable[[str], str]) -> Markup:
    """An SVG bar chart of hit counts by `unit` ("year" or "month"); empty Markup for no data."""
    bars = fill_gaps(buckets, unit)
    if not bars:
        return Markup("")
    highest = max(count for _, count in bars) or 1
    slot = WIDTH / len(bars)
    gap = min(2.0, slot * 0.2)
    plot = HEIGHT - AXIS - TOP
    every = max(1, -(-len(bars) // MAX_LABELS))  # label every n-th bar, at most MAX_LABELS
    parts = [
        f'<svg class="histogram" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' width="100%" role="img" aria-label="hits by {escape(unit)}">',
        f'<text class="peak" x="0" y="{TOP - 3}">{highest}</text>',
        f'<line class="base" x1="0" x2="{WIDTH}" y1="{TOP + plot}" y2="{TOP + plot}"/>',
    ]
    for index, (key, count) in enumerate(bars):
        x = index * slot
        height = plot * count / highest
        title = f"{key}: {count} hit{'s' if count != 1 else ''}"
        bar = (f'<rect x="{x + gap / 2:.1f}" y="{TOP + plot - height:.1f}"'
               f' width="{max(slot - gap, 0.5):.1f}" height="{height:.1f}">'
               f'<title>{escape(title)}</title></rect>')
        if count:
            bar = f'<a href="{escape(href(key))}" class="bar">{bar}</a>'
        parts.append(bar)
        if index % every == 0:
            parts.append(f'<text class="label" x="{x + slot / 2:.1f}" y="{HEIGHT - 4}"'
                         f' text-anchor="middle">{escape(key)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
