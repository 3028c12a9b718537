"""The benchmark's archive: the input's cables, each counted once, copied up to a scale.

Copy 0 is the cables as they are. Copy k (k ≥ 1) has the same text, a synthetic reference id
(the number part prefixed with k: 09LONDON1933 → 09LONDON2001933 for k = 2) and its dates
shifted k weeks later. The archive is written in the layout of the release's ``cables.csv``,
so every engine builds from one file, end to end, as a user with the dump would.
"""

from __future__ import annotations

import csv
import multiprocessing
import os
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Callable, Iterable, Iterator

from indexer.model import Cable

SHIFT = timedelta(weeks=1)
_NUMBERED = re.compile(r"^(.*?)(\d+)$")


def parse_path_function() -> Callable:
    """The parser's entry point (``indexer.parse.parse_path``)."""
    from indexer.parse import parse_path
    return parse_path


def load_cables(path: Path, on_skip: Callable[[str, str], None] | None = None,
                workers: int | None = None) -> list[Cable]:
    """Every cable under ``path`` (a folder or one file), each refid once, the newest release.

    Of two versions of one cable the later release wins (ties: the one with more paragraphs),
    so a folder holding the same cables in several formats or builds counts each one once.
    Files are parsed on every core.
    """
    from indexer.build import input_files

    files = input_files([path], [])
    workers = workers or len(os.sched_getaffinity(0))
    best: dict[str, Cable] = {}
    with multiprocessing.get_context("fork").Pool(max(1, workers)) as pool:
        for cables, skipped in pool.imap(_parse_file, files, chunksize=4):
            for source, reason in skipped:
                if on_skip:
                    on_skip(source, reason)
            for cable in cables:
                kept = best.get(cable.refid)
                if cable.paragraphs and (kept is None or _version_rank(cable) > _version_rank(kept)):
                    best[cable.refid] = cable
    return [best[refid] for refid in sorted(best)]


def _parse_file(path: Path) -> tuple[list[Cable], list[tuple[str, str]]]:
    skipped: list[tuple[str, str]] = []
    parse_path = parse_path_function()
    try:
        cables = list(parse_path(path, lambda source, reason: skipped.append((str(source),
                                                                              str(reason)))))
    except Exception as exc:  # the parser's problem, reported as a skip like the build does
        return [], [*skipped, (str(path), f"{type(exc).__name__}: {exc}")]
    return cables, skipped


def _version_rank(cable: Cable) -> tuple:
    return (cable.released.toordinal() if cable.released else 0, len(cable.paragraphs))


def copy_refid(refid: str, k: int) -> str:
    """The synthetic reference id of copy ``k`` (copy 0 keeps the real one)."""
    if k == 0:
        return refid
    found = _NUMBERED.match(refid)
    if found is None:
        return f"{refid}R{k}"
    return f"{found.group(1)}{k}{int(found.group(2)):06d}"


def replicate(cables: list[Cable], scale: int) -> Iterator[Cable]:
    """``scale`` copies of every cable: copy k of all cables, then copy k + 1."""
    for k in range(scale):
        shift = SHIFT * k
        for cable in cables:
            if k == 0:
                yield cable
                continue
            yield replace(
                cable, refid=copy_refid(cable.refid, k),
                created=cable.created + shift if cable.created else None,
                released=cable.released + shift if cable.released else None)


def dump_row(record_id: int, cable: Cable) -> list[str]:
    """One row of the release's cables.csv layout."""
    created = cable.created
    when = f"{created.month}/{created.day}/{created.year} {created.hour}:{created.minute:02d}" \
        if created else ""
    references = "|".join(r.refid for r in cable.references if r.refid)
    return [str(record_id), when, cable.refid, cable.origin or "", cable.classification or "",
            references, cable.header or "", cable.body or ""]


def write_dump(cables: Iterable[Cable], path: Path) -> dict[str, float]:
    """Write the cables as one cables.csv; return cables, paragraphs and MB of paragraph text."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = paragraphs = text_bytes = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, escapechar="\\", doublequote=False,
                            lineterminator="\n")
        for count, cable in enumerate(cables, start=1):
            writer.writerow(dump_row(count, cable))
            paragraphs += len(cable.paragraphs)
            text_bytes += sum(len(p.text.encode("utf-8")) for p in cable.paragraphs)
    return {"cables": count, "paragraphs": paragraphs, "text_mb": round(text_bytes / 2**20, 3),
            "file_mb": round(path.stat().st_size / 2**20, 3)}
