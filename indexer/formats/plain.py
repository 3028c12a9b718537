"""Plain text cables, with or without the routing header (VZCZC…, DE, date-time group, FM, TO).

PDF conversions lost the ``¶``: as latin-1 it decodes back to ``¶``; where a converter already
turned it into U+FFFD at the start of a paragraph, it is restored here.
"""

from __future__ import annotations

import re

from indexer.formats.base import RawCable
from indexer.formats.text import (
    ANCHOR,
    PILCROW,
    find_banner,
    place_anchors,
    tidy_lines,
    trusted_refid,
    unwrap_entities,
    without_marks,
)
from indexer.model import ParseError

PLAIN = "plain-text"

# A paragraph mark at the start of a line: "¶1.", "\ufffd2.", "¶ 3." or a lettered anchor.
_LOST_PILCROW = re.compile(r"^[ \t]{0,40}[\ufffd" + PILCROW + r"](?=[ \t]{0,4}[0-9A-Z])", re.MULTILINE)
# Lines that belong to a routing header.
_ROUTING_RE = re.compile(
    r"^(?:VZCZC|DE [A-Z]{4}|ZN[RY] |FM |TO |INFO |[OPRZ]{1,2} [0-9]{6}Z |[A-Z]{2,3} RUE)"
)


def split_header(lines: list[str]) -> tuple[list[str], list[str]]:
    """Split a cable at its banner: (routing header lines, body lines).

    The header is only what precedes the banner when it really is a routing header (it has
    an FM line or a VZCZC / DE line); otherwise everything is body.
    """
    routing = [i for i, line in enumerate(lines[:400]) if _ROUTING_RE.match(line.strip())]
    if not routing:
        return [], lines
    banner = find_banner(lines, routing[0] + 1)
    if banner is None:
        return [], lines
    return lines[:banner], lines[banner:]


_CABLE_FIELD_RE = re.compile(r"^[ \t]{0,8}(?:TAGS?\b|SUBJ(?:ECT)?\b|E\.? ?O\.? ?1[0-9]{4})", re.IGNORECASE)


_CABLE_FIELD_INLINE = re.compile(r"\b(?:TAGS:|SUBJECT:|E\.O\. ?1[0-9]{4})")


def looks_like_cable(lines: list[str]) -> bool:
    """A banner, a paragraph anchor, or a TAGS / SUBJECT / E.O. field near the top."""
    head = lines[:300]
    return (
        find_banner(head) is not None
        or any(line.lstrip().startswith((ANCHOR, PILCROW)) for line in head)
        or any(_CABLE_FIELD_RE.match(line) for line in head)
        or _CABLE_FIELD_INLINE.search("\n".join(head)[:20000]) is not None
    )


def read_plain(text: str, source: str, refid_hint: str | None = None, fmt: str = PLAIN) -> RawCable:
    """A plain-text cable → RawCable."""
    text = _LOST_PILCROW.sub(ANCHOR, tidy_lines(unwrap_entities(without_marks(text))))
    if not text.strip():
        raise ParseError("empty file")
    return raw_from_text(text, source, fmt, refid_hint)


def raw_from_text(text: str, source: str, fmt: str, refid_hint: str | None,
                  tags: list[str] | None = None) -> RawCable:
    """Split cleaned cable text into header and body, and check it is a cable at all."""
    header, body = split_header(text.split("\n"))
    if not looks_like_cable(body):
        raise ParseError("not a cable (no classification banner, TAGS or SUBJECT)")
    body_text = place_anchors(tidy_lines("\n".join(body)))
    refid, record_id, notes = trusted_refid(refid_hint, body_text)
    return RawCable(
        source=source,
        format=fmt,
        header=tidy_lines("\n".join(header)),
        body=body_text,
        refid=refid,
        record_id=record_id,
        notes=notes,
        tags=tags or [],
    )
