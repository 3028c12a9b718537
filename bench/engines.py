"""The engines the benchmark compares, by name: each builds from the dump and answers queries.

An engine is an entry in ENGINES, not a branch in the runner: a new one (tantivy) is a new
class here and a new entry. ``build`` and ``searcher`` run inside the child process of a job.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from .queries import BenchQuery

BASELINE = "fts5"


class Searcher(Protocol):
    def search(self, query: BenchQuery) -> dict[str, Any]:
        """``{"total": int, "hits": [[refid, paragraph], …], "facets": {...}}``"""

    def close(self) -> None: ...


class BenchEngine:
    """One way to build an archive from the dump and, unless it only parses, to search it."""

    name = ""
    description = ""
    answers_queries = True

    def available(self) -> str | None:
        """None when the engine can run here, else why not (a missing dependency)."""
        return None

    def build(self, dump: Path, target: Path, options: dict[str, Any]) -> dict[str, Any]:
        """Build from ``dump`` into ``target``; return at least ``paragraphs``."""
        raise NotImplementedError

    def searcher(self, target: Path) -> Searcher:
        raise NotImplementedError


class ParseOnly(BenchEngine):
    """The parser alone, one process: how much of every build is reading the dump."""

    name = "parse-only"
    description = "cablesearch's parser alone, one process, nothing indexed"
    answers_queries = False

    def build(self, dump: Path, target: Path, options: dict[str, Any]) -> dict[str, Any]:
        from .replicate import parse_path_function

        parse_path = parse_path_function()
        cables = paragraphs = 0
        for cable in parse_path(dump, lambda source, reason: None):
            cables += 1
            paragraphs += len(cable.paragraphs)
        target.mkdir(parents=True, exist_ok=True)
        return {"cables": cables, "paragraphs": paragraphs}


class Fts5(BenchEngine):
    name = BASELINE
    description = "SQLite FTS5 (porter), stdlib sqlite3, parser in a second process"

    def build(self, dump: Path, target: Path, options: dict[str, Any]) -> dict[str, Any]:
        from . import fts5

        target.mkdir(parents=True, exist_ok=True)
        return fts5.build([dump], target / "archive.db")

    def searcher(self, target: Path) -> Searcher:
        from .fts5 import Fts5Searcher

        return Fts5Searcher(target / "archive.db")


class Cablesearch(BenchEngine):
    """cablesearch's own build (``build_index``) and search (``Archive.search``)."""

    name = "cablesearch"
    description = "cablesearch: build_index with its own settings, Archive.search"
    writer_settings: str | None = None  # None: cablesearch's own
    engine_name: str | None = None  # None: the default engine (whoosh)

    def build(self, dump: Path, target: Path, options: dict[str, Any]) -> dict[str, Any]:
        from indexer.build import build_index

        extra = {"writer_settings": self.writer_settings} if self.writer_settings else {}
        if self.engine_name:
            extra["engine_name"] = self.engine_name
        kwargs = {k: options[k] for k in ("memory_mb", "workers") if options.get(k) is not None}
        summary = build_index([dump], target, **kwargs, **extra)
        return {"cables": summary.cables, "paragraphs": summary.paragraphs,
                "skipped": len(summary.skipped), "commits": summary.commits}

    def searcher(self, target: Path) -> Searcher:
        return ArchiveSearcher(target)


class WhooshDefaults(Cablesearch):
    """The same build with Whoosh's default writer settings (a plain ``ix.writer()``)."""

    name = "whoosh-defaults"
    description = "cablesearch's build with Whoosh's default writer settings"
    writer_settings = "library"


class CablesearchTantivy(Cablesearch):
    """The same build and search on the tantivy engine (``cables index --engine tantivy``)."""

    name = "cablesearch-tantivy"
    description = "cablesearch on the tantivy engine: build_index(engine_name='tantivy'), Archive.search"
    engine_name = "tantivy"

    def available(self) -> str | None:
        import importlib.util

        return None if importlib.util.find_spec("tantivy") else "needs pip install 'cablesearch[tantivy]'"


class ArchiveSearcher:
    """Queries through ``search.Archive`` exactly as ``cables search`` calls it."""

    def __init__(self, target: Path) -> None:
        from search import Archive

        self.archive = Archive(target)

    def search(self, query: BenchQuery) -> dict[str, Any]:
        date_from, date_to = query.date_range()
        result = self.archive.search(
            query.text, tags=list(query.tags), origin=query.origin, date_from=date_from,
            date_to=date_to, sort=query.sort, per_cable=query.per_cable,
            facets=list(query.facets), limit=query.limit)
        facets = {name: [list(pair) for pair in values]
                  for name, values in (result.facets or {}).items()}
        return {"total": result.total, "hits": [[h.refid, h.paragraph] for h in result.hits],
                "facets": facets}

    def close(self) -> None:
        close = getattr(self.archive, "close", None)
        if close:
            close()


ENGINES: dict[str, BenchEngine] = {
    engine.name: engine for engine in (ParseOnly(), Fts5(), Cablesearch(), WhooshDefaults(),
                                       CablesearchTantivy())
}
