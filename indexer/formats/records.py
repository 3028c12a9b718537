"""What a multi-record reader yields for a record it cannot read: reported, then skipped."""

from __future__ import annotations

from dataclasses import dataclass

Shard = tuple[int, int] | None  # (k, n): this reader builds only the k-th of every n records


@dataclass(frozen=True)
class Skipped:
    """One unreadable record of a multi-record file (a broken CSV row, a bad JSON line)."""

    source: str  # file name plus where, e.g. "cables.csv (line 2043)", "export.json#17 (line 17)"
    reason: str  # one short line


def owns(shard: Shard, record: int) -> bool:
    """Whether record number ``record`` (1-based) is this shard's to build and report."""
    return shard is None or (record - 1) % shard[1] == shard[0]
