"""What every format module yields: the raw pieces of one cable, before any cable rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass
class RawCable:
    """One cable as a format found it.

    ``header`` is the routing header (VZCZC…, date-time group, FM/TO/INFO), empty where the
    source has none. ``body`` is the text from the classification banner on, with line breaks
    restored. Paragraph anchors are normalised to a ``¶`` at the start of the line
    (``¶1. (C) …``), whatever the source wrote (an HTML anchor, U+FFFD, a Markdown link).
    ``meta`` holds what the source states outside the text (a metadata table, CSV columns,
    JSON keys); the cable rules trust it over what they read from the text.
    """

    source: str
    format: str
    body: str
    header: str = ""
    refid: str | None = None
    created: datetime | None = None
    released: date | None = None
    classification: str | None = None
    origin: str | None = None
    subject: str | None = None
    tags: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    partial: bool = False
    anchors: list[str] = field(default_factory=list)  # paragraph anchor ids as the page gave them
    # The id the source gave when it is not trusted as the refid (a mongoexport ``_id`` that
    # disagrees with the banner), or a row id (the dump's first column).
    record_id: str | None = None
    # What the reader noticed and repaired (a cp1252 fallback, junk after a JSON object …);
    # the cable rules may copy these into Cable.warnings.
    notes: list[str] = field(default_factory=list)
