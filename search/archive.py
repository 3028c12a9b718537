"""``Archive``: the Python API over one index directory.

    from search import Archive
    archive = Archive("cables-index")
    result = archive.search("violent extremism", tags=["PTER"], max_level="CONFIDENTIAL")
    for hit in result.hits:
        print(hit.refid, hit.paragraph, hit.marking, hit.snippet)

An Archive is cheap to keep open and safe to share between threads: every search runs on
the calling thread's own searcher, refreshed when the index has a new commit.
"""

from __future__ import annotations

import os
import threading
from datetime import date
from pathlib import Path
from typing import Any, Iterable

from indexer.engines.base import EngineHit, EngineResult, SearchRequest
from indexer.engines.registry import open_index
from indexer.model import Cable, level_rank

from . import refs
from .query import check_level, make_request, paragraph_ref
from .results import CableText, Hit, ParagraphText, SearchResult

DEFAULT_INDEX = "cables-index"


class NotFound(LookupError):
    """No such cable or paragraph in the index (or the paragraph is above the ceiling)."""


class Archive:
    """An index directory opened for reading.

    ``path``: the index directory; default ``$CABLES_INDEX``, else ``./cables-index``.
    Raises IndexMissing (with how to build one) or another IndexProblem.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path or os.environ.get("CABLES_INDEX") or DEFAULT_INDEX)
        self.engine = open_index(self.path)
        self._lock = threading.Lock()  # the engine's own cable/stats searcher is shared

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # --- search -----------------------------------------------------------------------------

    def search(self, query: str, *, tags: Iterable[str] | str | None = None,
               origin: str | None = None, classification: str | None = None,
               marking: str | None = None, level: str | None = None,
               max_level: str | None = None, date_from: date | str | None = None,
               date_to: date | str | None = None, sort: str = "relevance", limit: int = 10,
               page: int = 1, per_cable: bool = False,
               facets: Iterable[str] | bool | None = None) -> SearchResult:
        """Ranked paragraphs matching ``query``.

        Filters (``tags`` — all of them —, ``origin``, ``classification``, ``marking``,
        ``level``, ``date_from``/``date_to``, inclusive) narrow the result without changing
        scores. ``max_level`` is a ceiling: nothing above it appears anywhere in the result.
        ``sort``: ``relevance`` | ``date`` (oldest first) | ``-date`` (newest first).
        ``per_cable``: one best paragraph per cable, ``hit.matched`` paragraphs matched.
        ``facets``: names from ``classification, level, origin, tags, year, month``, or True
        for all. Raises QueryError (one line: what to fix) for a malformed query or argument.
        """
        request = make_request(query, tags=tags, origin=origin, classification=classification,
                               marking=marking, level=level, max_level=max_level,
                               date_from=date_from, date_to=date_to, sort=sort, limit=limit,
                               page=page, per_cable=per_cable, facets=facets)
        return self._result(query, request, self.engine.search(request))

    def similar(self, refid: str, paragraph: int | None = None, *,
                max_level: str | None = None, limit: int = 10, page: int = 1,
                per_cable: bool = False, facets: Iterable[str] | bool | None = None,
                **filters: Any) -> SearchResult:
        """Paragraphs like paragraph ``paragraph`` of ``refid`` (or ``refid="REFID#N"``).

        Takes the filters of :meth:`search`. Raises NotFound when the cable or paragraph is
        not in the index or the paragraph is above ``max_level`` (its words would leak).
        """
        refid, number = paragraph_ref(refid, paragraph)
        request = make_request("", max_level=max_level, limit=limit, page=page,
                               per_cable=per_cable, facets=facets, **filters)
        shown = self.cable(refid, max_level=max_level)
        if shown is None:
            raise NotFound(f"no cable {refid} in the index")
        readable = [p for p in shown.paragraphs if p.number == number and not p.withheld]
        if not readable:
            withheld = any(p.number == number for p in shown.paragraphs)
            raise NotFound(f"paragraph {number} of {refid} is above the ceiling {shown.max_level}"
                           if withheld else f"{refid} has no paragraph {number}")
        return self._result(f"{refid}#{number}", request,
                            self.engine.similar(refid, number, request))

    # --- whole cables -----------------------------------------------------------------------

    def cable(self, refid: str, max_level: str | None = None) -> CableText | None:
        """The whole cable, or None when the index does not hold it.

        Under a ceiling, paragraphs above it are withheld: number, marking and level only.
        """
        refid = refid.strip().upper()
        ceiling = check_level(max_level)
        with self._lock:
            cable = self.engine.cable(refid)
        if cable is None:
            return None
        visible = self._visible_paragraphs(refid, ceiling) if ceiling else None
        return _cable_text(cable, ceiling, visible)

    def _visible_paragraphs(self, refid: str, ceiling: str) -> set[str]:
        """Ids of the cable's paragraph documents the engine lets through the ceiling."""
        ids: set[str] = set()
        page = 1
        while True:
            request = SearchRequest(query=f'refid:"{refid}"', max_level=ceiling, limit=1000,
                                    page=page)
            result = self.engine.search(request)
            ids.update(str(h.fields.get("id", "")) for h in result.hits)
            if page * 1000 >= result.total:
                return ids
            page += 1

    def stats(self) -> dict[str, Any]:
        """Counts, date range, breakdowns, segments and size on disk of the index."""
        with self._lock:
            return self.engine.stats()

    # --- references and versions (search/refs.py) ------------------------------------------

    def references(self, refid: str, known: Iterable[str] | None = None) -> "refs.CableReferences":
        """What ``refid`` cites (written form, resolved refid, subject and date where the
        cited cable is indexed) and which indexed cables cite it. ``known``: more refids
        to prefer when resolving (e.g. the release's list), besides the index's own."""
        with self._lock:
            return refs.references(self.engine, refid, known)

    def cited_by(self, refid: str, known: Iterable[str] | None = None) -> list["refs.CitingCable"]:
        """The indexed cables whose references resolve to ``refid`` (``known``: as for
        :meth:`references`)."""
        with self._lock:
            return refs.cited_by(self.engine, refid, known)

    def versions(self, refid: str) -> list["refs.VersionInfo"]:
        """Every version of ``refid`` the index has seen (release date, source), oldest first."""
        return self.history(refid).versions

    def history(self, refid: str, diff: bool = False, old: int | None = None,
                new: int | None = None, max_level: str | None = None) -> "refs.CableHistory":
        """The versions of ``refid`` and, with ``diff``, a paragraph-level diff from version
        ``old`` to ``new`` (1 = oldest; default the two newest). Under ``max_level``,
        paragraphs above the ceiling are left out of the diff."""
        with self._lock:
            return refs.history(self.engine, refid, diff, old, new, check_level(max_level))

    # --- conversion -------------------------------------------------------------------------

    @staticmethod
    def _result(query: str, request: SearchRequest, result: EngineResult) -> SearchResult:
        return SearchResult(query=query, total=result.total, page=request.page,
                            limit=request.limit, hits=[_hit(h) for h in result.hits],
                            facets=dict(result.facets), suggestion=result.suggestion,
                            notices=list(result.notices), per_cable=request.per_cable)


def _hit(hit: EngineHit) -> Hit:
    f = hit.fields
    tags = f.get("tags") or []
    if isinstance(tags, str):
        tags = [t for t in tags.split(",") if t]
    return Hit(refid=hit.refid, paragraph=int(hit.paragraph), marking=f.get("marking"),
               level=f.get("level"), heading=f.get("heading"), subject=f.get("subject"),
               created=f.get("created"), origin=f.get("origin"),
               classification=f.get("classification"), tags=list(tags),
               score=round(float(hit.score), 4), snippet=hit.snippet,
               highlights=[tuple(s) for s in hit.highlights], text=f.get("text") or "",
               matched=hit.matched_in_cable)


def _paragraph_ids(cable: Cable) -> list[str]:
    """The index's document id of each paragraph: ``REFID#N``, a repeated N as ``REFID#N.2``."""
    seen: dict[int, int] = {}
    ids = []
    for p in cable.paragraphs:
        count = seen[p.number] = seen.get(p.number, 0) + 1
        ids.append(f"{cable.refid}#{p.number}" + (f".{count}" if count > 1 else ""))
    return ids


def _cable_text(cable: Cable, ceiling: str | None, visible: set[str] | None) -> CableText:
    paragraphs = []
    for doc_id, p in zip(_paragraph_ids(cable), cable.paragraphs):
        level = p.level or cable.level
        shown = ceiling is None or (doc_id in (visible or set())
                                    and level_rank(level) <= level_rank(ceiling))
        paragraphs.append(ParagraphText(
            number=p.number, marking=p.marking, level=level,
            heading=p.heading if shown else None, text=p.text if shown else None,
            withheld=not shown, in_summary=p.in_summary and shown, in_comment=p.in_comment and shown))
    return CableText(
        refid=cable.refid, created=cable.created, released=cable.released,
        classification=cable.classification, level=cable.level, origin=cable.origin,
        subject=cable.subject, tags=list(cable.tags), caveats=list(cable.caveats),
        precedence=cable.precedence, dtg=cable.dtg, sender=cable.sender,
        recipients=list(cable.recipients), info=list(cable.info),
        executive_order=cable.executive_order, declassify_on=cable.declassify_on,
        classified_by=cable.classified_by, reasons=cable.reasons,
        references=[{"written": r.written, "refid": r.refid} for r in cable.references],
        partial=cable.partial, paragraphs=paragraphs, max_level=ceiling,
        withheld=sum(1 for p in paragraphs if p.withheld))
