"""Markdown renderings of cablegate pages (like the seed cable).

``[KISL](#)`` tag links become their words, ``- [1](#). (C/NF)`` list items become ``¶1. (C/NF)``.
Section headings that the rendering glued to the end of the paragraph before them stay in
the text, where the paragraph rules look for them; the line structure is kept.
"""

from __future__ import annotations

import re

from indexer.formats.base import RawCable
from indexer.formats.plain import raw_from_text
from indexer.formats.text import ANCHOR, tidy_lines, unwrap_entities, without_marks
from indexer.model import ParseError

MARKDOWN = "markdown"

# "- [1](#). (C/NF)" or "* [B](#par-b)." at the start of a line (bounded repetitions only).
_PARAGRAPH_ITEM = re.compile(r"^[ \t]{0,8}(?:[-*+][ \t]{1,8})?\[([0-9A-Za-z]{1,4})\]\([^()\s]{0,300}\)", re.MULTILINE)
_LINK = re.compile(r"\[([^\[\]\n]{0,300})\]\([^()\s]{0,1000}\)")
_TAGS_LINE = re.compile(r"^[ \t]{0,8}TAGS?\b", re.IGNORECASE)
# Markdown backslash escapes of punctuation ("\*", "\_", "\[") stand for the character itself.
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")


def looks_like_markdown(head: str) -> bool:
    """Markdown links with fragment targets, as the cable renderings write them."""
    return _PARAGRAPH_ITEM.search(head) is not None or "](#)" in head


def read_markdown(text: str, source: str, refid_hint: str | None = None) -> RawCable:
    """A Markdown rendering → RawCable."""
    text = tidy_lines(unwrap_entities(without_marks(text)))
    if not text.strip():
        raise ParseError("empty file")
    # The links carry no anchor ids (their target is "#"), so RawCable.anchors stays empty.
    text = _PARAGRAPH_ITEM.sub(lambda m: ANCHOR + m.group(1), text)
    tags = [word.strip() for line in text.split("\n") if _TAGS_LINE.match(line)
            for word in _LINK.findall(line) if word.strip()]
    text = _ESCAPE.sub(r"\1", _LINK.sub(lambda m: m.group(1), text))
    return raw_from_text(text, source, MARKDOWN, refid_hint, tags)
