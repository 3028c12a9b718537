"""References and release history of indexed cables: the Python API behind `cables refs`
and `cables history` (``Archive.references``, ``cited_by``, ``versions``, ``history``).

Everything here reads an index through the engine seam; the rules themselves live in
``indexer.references`` (resolution) and ``indexer.history`` (the paragraph diff).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Iterable

from indexer.engines.base import Engine, IndexProblem
from indexer.history import CableDiff, VersionInfo, diff_cables, sentences, version_list
from indexer.model import Cable, Reference, level_rank
from indexer.references import (STATION_VARIANTS, Catalog, canonical_refid, resolve_references,
                                 split_refid)


class CableNotFound(IndexProblem):
    """The refid is not in the index."""


@dataclass
class CitedCable:
    """One entry of a cable's REF line: what was written, what it resolves to, and the
    cited cable's subject and date when the index holds it."""

    written: str
    refid: str | None
    indexed: bool = False
    subject: str | None = None
    created: str | None = None
    origin: str | None = None
    classification: str | None = None


@dataclass
class CitingCable:
    """An indexed cable that cites the one asked about."""

    refid: str
    subject: str | None = None
    created: str | None = None
    origin: str | None = None
    classification: str | None = None
    written: list[str] = field(default_factory=list)  # how it wrote the reference


@dataclass
class CableReferences:
    """What a cable cites and which indexed cables cite it."""

    refid: str
    subject: str | None
    created: str | None
    indexed: bool  # False: the cable is not in the index (only cited_by is known)
    cites: list[CitedCable]
    cited_by: list[CitingCable]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CableHistory:
    """Every version of a cable the index has seen, oldest release first, and optionally
    the diff between two of them."""

    refid: str
    versions: list[VersionInfo]
    diff: CableDiff | None = None
    withheld: int = 0  # paragraphs (over all versions) above the ceiling, left out
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"refid": self.refid, "versions": [asdict(v) for v in self.versions],
                "diff": self.diff.to_dict() if self.diff else None, "withheld": self.withheld,
                "notes": list(self.notes)}


def _iso(cable: Cable) -> str | None:
    return cable.created.isoformat() if cable.created else None


def canonical(refid: str) -> str:
    return "".join(refid.split()).upper()


def cites(engine: Engine, refid: str, known: Iterable[str] | Catalog | None = None) -> list[CitedCable]:
    """The references of the indexed cable ``refid``, resolved again with the index's own
    refids (and ``known``, when given) preferred among the candidates of each written form."""
    cable = engine.cable(canonical(refid))
    if cable is None:
        raise CableNotFound(f"{canonical(refid)} is not in the index")
    catalog = _catalog(engine, known)
    written = [Reference(r.written) for r in _entries(cable.references)]
    resolved = resolve_references(Cable(refid=cable.refid, created=cable.created,
                                        references=written), catalog)
    out: list[CitedCable] = []
    for reference in resolved:
        target = engine.cable(reference.refid) if reference.refid else None
        out.append(CitedCable(
            written=reference.written, refid=reference.refid, indexed=target is not None,
            subject=target.subject if target else None, created=_iso(target) if target else None,
            origin=target.origin if target else None,
            classification=target.classification if target else None))
    return out


def cited_by(engine: Engine, refid: str, known: Iterable[str] | Catalog | None = None) -> list[CitingCable]:
    """The indexed cables whose references resolve to ``refid`` (oldest first).

    The index records what each reference resolved to from its written form. A reference
    whose form pointed at a neighbour of ``refid`` (the next year's cable of that number,
    the post's other name) that the index lacks, while it holds ``refid``, resolves to
    ``refid`` once the index's refids are preferred (as ``cites`` does): those count too.
    """
    refid = canonical(refid)
    written: dict[str, list[str]] = {}
    for citing in engine.citing(refid):
        cable = engine.cable(citing)
        if cable is not None:
            written[citing] = [r.written for r in cable.references if r.refid == refid]
    catalog: Catalog | None = None
    for neighbour in _neighbours(refid):
        for citing in engine.citing(neighbour):
            if citing in written or engine.cable(neighbour) is not None:
                continue
            catalog = catalog or _catalog(engine, known)
            found = [c.written for c in cites(engine, citing, catalog) if c.refid == refid]
            if found:
                written[citing] = found
    out: list[CitingCable] = []
    for citing, forms in written.items():
        cable = engine.cable(citing)
        out.append(CitingCable(
            refid=cable.refid, subject=cable.subject, created=_iso(cable), origin=cable.origin,
            classification=cable.classification, written=list(dict.fromkeys(forms))))
    out.sort(key=lambda c: (c.created or "", c.refid))
    return out


def _neighbours(refid: str) -> list[str]:
    """Refids a written form may have suggested when it meant ``refid``: the same number a
    year later (a reference without its year), under the post's other name."""
    parts = split_refid(refid)
    if parts is None:
        return []
    year, station, number = parts
    stations = [station, *STATION_VARIANTS.get(station, ())]
    found = [canonical_refid(y, s, number) for s in stations for y in (year, year + 1)]
    return [r for r in dict.fromkeys(found) if r != refid]


def references(engine: Engine, refid: str, known: Iterable[str] | Catalog | None = None) -> CableReferences:
    """What ``refid`` cites and which indexed cables cite it. A refid missing from the
    index still gets its citing cables (``indexed`` False, ``cites`` empty)."""
    refid = canonical(refid)
    cable = engine.cable(refid)
    citing = cited_by(engine, refid, known)
    if cable is None and not citing:
        raise CableNotFound(f"{refid} is not in the index, and no indexed cable cites it")
    return CableReferences(
        refid=refid, subject=cable.subject if cable else None, created=_iso(cable) if cable else None,
        indexed=cable is not None, cites=cites(engine, refid, known) if cable else [],
        cited_by=citing)


def versions(engine: Engine, refid: str) -> list[Cable]:
    """Every version of ``refid`` the index has seen, oldest release first."""
    found = engine.versions(canonical(refid))
    if not found:
        raise CableNotFound(f"{canonical(refid)} is not in the index")
    return found


def history(engine: Engine, refid: str, diff: bool = False, old: int | None = None,
            new: int | None = None, max_level: str | None = None) -> CableHistory:
    """The versions of ``refid`` and, with ``diff``, what changed from version ``old`` to
    version ``new`` (numbered from 1 = oldest; default: the two newest). Paragraphs above
    ``max_level`` are left out of the diff (``withheld`` counts them)."""
    cables = versions(engine, refid)
    withheld = 0
    if max_level:
        cables, withheld = _under_ceiling(cables, max_level)
    listed = version_list(cables)
    result = CableHistory(refid=canonical(refid), versions=listed)
    if diff and len(cables) == 1 and old is None and new is None:
        result.notes.append("only one version in the index: nothing to compare")
    elif diff:
        count = len(cables)
        new = count if new is None else new
        old = (new - 1 if new > 1 else 1) if old is None else old
        for number in (old, new):
            if not 1 <= number <= count:
                raise ValueError(f"no version {number} of {canonical(refid)}: "
                                 f"the index holds {count} (1 = oldest release)")
        result.diff = diff_cables(cables[old - 1], cables[new - 1], old, new)
    result.withheld = withheld
    return result


def _under_ceiling(cables: list[Cable], ceiling: str) -> tuple[list[Cable], int]:
    """The cables without their paragraphs above the ceiling, and how many were dropped."""
    limit = level_rank(ceiling)
    kept: list[Cable] = []
    dropped = 0
    for cable in cables:
        paragraphs = [p for p in cable.paragraphs if level_rank(p.level or cable.level) <= limit]
        dropped += len(cable.paragraphs) - len(paragraphs)
        kept.append(replace(cable, paragraphs=paragraphs))
    return kept, dropped


def _entries(references: list[Reference]) -> list[Reference]:
    """Each written entry once (an entry citing two cables is stored as two references)."""
    seen: list[Reference] = []
    for reference in references:
        if not seen or seen[-1].written != reference.written:
            seen.append(reference)
    return seen


def _catalog(engine: Engine, known: Iterable[str] | Catalog | None) -> Catalog:
    if isinstance(known, Catalog):
        return known
    refids = set(engine.refids())
    refids.update(known or ())
    return Catalog.of(refids)


# --- text and JSON for the CLI ------------------------------------------------------------

def _date(iso: str | None) -> str:
    return iso[:10] if iso else "????-??-??"


def references_text(result: CableReferences) -> str:
    """`cables refs`: the REF entries with what they resolve to, then the citing cables."""
    title = f"{result.refid}  {_date(result.created)}  {result.subject or ''}".rstrip()
    lines = [title if result.indexed else f"{result.refid}  (not in the index)"]
    if result.indexed:
        lines.append(f"cites ({sum(1 for c in result.cites if c.refid)} of {len(result.cites)} "
                     "entries resolved):" if result.cites else "cites: no REF entries")
        width = min(40, max((len(c.written) for c in result.cites), default=0))
        for cited in result.cites:
            written = cited.written if len(cited.written) <= 60 else cited.written[:57] + "..."
            if cited.refid is None:
                lines.append(f"  {written:<{width}}  (not resolved to a cable)")
            elif cited.indexed:
                lines.append(f"  {written:<{width}}  {cited.refid}  {_date(cited.created)}  "
                             f"{cited.subject or ''}".rstrip())
            else:
                lines.append(f"  {written:<{width}}  {cited.refid}  missing from the index")
    lines.append(f"cited by ({len(result.cited_by)}):" if result.cited_by
                 else "cited by: no indexed cable")
    for citing in result.cited_by:
        written = f"  (as {'; '.join(citing.written)})" if citing.written else ""
        lines.append(f"  {citing.refid}  {_date(citing.created)}  {citing.subject or ''}{written}")
    return "\n".join(lines)


_RED, _GREEN, _CYAN, _RESET = "\x1b[31m", "\x1b[32m", "\x1b[36m", "\x1b[0m"


def _paint(line: str, color: bool) -> str:
    """A diff line in red (removed), green (added) or cyan (hunk header) on a terminal."""
    if not color:
        return line
    mark = line.lstrip()[:1]
    code = {"-": _RED, "+": _GREEN, "@": _CYAN}.get(mark)
    return f"{code}{line}{_RESET}" if code else line


def history_text(result: CableHistory, color: bool = False) -> str:
    """`cables history`: the versions, then the diff when one was asked for (coloured only
    with ``color``: a terminal)."""
    count = len(result.versions)
    lines = [f"{result.refid}: {count} version{'s' if count != 1 else ''} in the index"]
    for v in result.versions:
        lines.append(f"  {v.number}  released {v.released or 'unknown'}  {v.paragraphs} paragraphs"
                     f"  {v.format or ''}  {v.source or ''}".rstrip())
    if result.withheld:
        lines.append(f"  ({result.withheld} paragraphs above the ceiling left out)")
    lines.extend(result.notes)
    diff = result.diff
    if diff is None:
        return "\n".join(lines)
    lines.append(f"diff {diff.old.number} → {diff.new.number}:")
    if diff.identical:
        lines.append("  the two versions are identical")
    for name, (old, new) in diff.fields.items():
        lines.append(f"  {name}: {old!r} → {new!r}")
    for change in diff.paragraphs:
        marking = change.new_marking or change.old_marking
        lines.append(f"  {change.label} {change.status}" + (f" ({marking})" if marking else ""))
        if change.status == "added":
            lines.extend(_paint(f"    +{s}", color) for s in sentences(change.new_text or ""))
        elif change.status == "removed":
            lines.extend(_paint(f"    -{s}", color) for s in sentences(change.old_text or ""))
        elif change.unified:
            lines.extend(_paint(f"    {line}", color) for line in change.unified)
        else:
            lines.append(f"    {change.words}")
    if diff.paragraphs or diff.unchanged:
        lines.append(f"  {diff.unchanged} paragraph{'s' if diff.unchanged != 1 else ''} unchanged")
    return "\n".join(lines)


def to_json(result: CableReferences | CableHistory) -> str:
    return json.dumps(result.to_dict(), ensure_ascii=False, indent=2)


def read_refid_list(path) -> set[str]:
    """Refids from a file, one a line (blank lines and ``#`` comments ignored)."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        return {canonical(line) for line in handle if line.strip() and not line.startswith("#")}
