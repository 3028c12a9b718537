"""What a multi-record reader yields for a record it cannot read: reported, then skipped."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Skipped:
    """One unreadable record of a multi-record file (a broken CSV row, a bad JSON line)."""

    source: str  # file name plus record number, e.g. "cables.csv#17 (line 2043)"
    reason: str  # one short line
