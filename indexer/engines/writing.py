"""The write rules both engines follow, kept apart from how each one stores documents.

For each cable a batch brings: versions the index already holds count as unchanged; of the
new ones the newest (``version_key``) becomes the cable document, unless the indexed cable is
newer still, and every other new one is kept as a version document. The engine supplies the
index lookups and the document writes as functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from ..model import Cable
from ..versions import version_key
from .base import WriteReport

Document = Any  # the engine's document: a field dict (Whoosh) or a tantivy.Document


def stored_version_key(stored: dict[str, Any]) -> tuple[str, str]:
    """The version key of a stored cable or version document."""
    released = stored.get("released")
    return version_key(released.date() if released else None, stored["digest"])


@dataclass
class Known:
    """What the index holds for one refid before a write."""

    key: tuple[str, str] | None = None  # the cable document's version key
    stored: dict[str, Any] | None = None  # its stored fields


@dataclass
class Plan:
    """One cable's write: the winning new version (if any) and the versions to keep."""

    refid: str
    known: Known
    digest: str | None
    winner: Cable | None
    others: dict[str, Cable]


def plan_write(refid: str, known: Known, candidates: dict[str, Cable],
               version_indexed: Callable[[str], bool], report: WriteReport) -> Plan | None:
    """What to do with the versions of one cable a batch brings (None: all seen before).

    ``version_indexed(digest)``: the index holds a version document with that digest."""
    new: dict[str, Cable] = {}
    for digest, cable in candidates.items():
        seen = (known.key is not None and digest == known.key[1]) or version_indexed(digest)
        if seen:
            report.unchanged += 1
        else:
            new[digest] = cable
    if not new:
        return None
    best: str | None = max(new, key=lambda d: version_key(new[d].released, d))
    if known.key is not None and version_key(new[best].released, best) <= known.key:
        best = None  # the indexed version is newer: keep every new one as a version
    winner = new.pop(best) if best is not None else None
    return Plan(refid, known, best, winner, new)


def apply_plan(plan: Plan, report: WriteReport, *, add: Callable[[Document], None],
               replace_current: Callable[[Plan], None],
               paragraph_documents: Callable[[Cable], Iterable[Document]],
               cable_document: Callable[[Cable, str], Document],
               version_document: Callable[[Cable, str], Document]) -> None:
    """Write one plan: ``replace_current`` removes the indexed cable and keeps it as a version;
    ``add`` adds one of the documents the three builders make."""
    if plan.winner is not None:
        if plan.known.key is None:
            report.added += 1
        else:
            report.replaced += 1
            replace_current(plan)
        for doc in paragraph_documents(plan.winner):
            add(doc)
            report.paragraphs += 1
        add(cable_document(plan.winner, plan.digest))
    for digest, cable in plan.others.items():
        report.kept_newer += 1
        add(version_document(cable, digest))
