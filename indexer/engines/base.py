"""The seam between cablesearch and a search engine.

Everything outside ``indexer/engines/`` talks to an engine only through the types here:
the parser, the build loop, the ``search`` package and the CLI never import Whoosh (or a
later engine). An engine module offers a class implementing :class:`Engine`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from ..model import Cable


class IndexProblem(Exception):
    """Base for errors about an index directory (missing, foreign, old, busy, unsafe)."""


class IndexMissing(IndexProblem):
    """No index at the path."""


class IndexIncompatible(IndexProblem):
    """An index of another schema version or engine, or not an index at all."""


class IndexBusy(IndexProblem):
    """Another process is writing to the index."""


class IndexWriteFailed(IndexProblem):
    """The index could not be written (disk full, read-only); its last commit is intact."""


class IndexUnsafe(IndexProblem):
    """Index files writable by other users: opening them could run their code (pickle)."""


class QueryError(Exception):
    """A query the user must fix: bad syntax, unknown field, bad date, runaway expansion."""


@dataclass
class SearchRequest:
    """Everything one search asks of an engine. Filters narrow, they never score."""

    query: str
    tags: list[str] = field(default_factory=list)
    origin: str | None = None
    classification: str | None = None
    marking: str | None = None
    level: str | None = None  # only paragraphs of this level (a filter, unlike max_level)
    max_level: str | None = None  # a ceiling: nothing above it may leave the engine
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"  # relevance | date | -date
    limit: int = 10
    page: int = 1
    per_cable: bool = False
    facets: list[str] = field(default_factory=list)


@dataclass
class EngineHit:
    """One matching paragraph, as the engine returns it."""

    refid: str
    paragraph: int
    score: float
    fields: dict[str, Any]  # the stored paragraph document
    snippet: str = ""
    matched_in_cable: int = 1  # with per_cable: how many paragraphs of the cable matched
    highlights: list[tuple[int, int]] = field(default_factory=list)  # match spans in snippet


@dataclass
class EngineResult:
    total: int
    hits: list[EngineHit]
    facets: dict[str, list[tuple[str, int]]]
    suggestion: str | None = None
    notices: list[str] = field(default_factory=list)  # e.g. "wildcard expansion capped"


@dataclass
class WriteReport:
    """What one write batch did to the index."""

    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    kept_newer: int = 0  # an older release that did not replace the indexed one
    paragraphs: int = 0
    removed: int = 0


class Engine(ABC):
    """An index directory opened through one engine."""

    name: str = ""
    schema_version: int = 0  # recorded in the index directory; a mismatch is refused
    reads_schema_versions: tuple[int, ...] = ()  # older versions it still opens
    # How a build (``indexer.build``) feeds this engine: it commits after this many cables or
    # paragraphs, whichever comes first; and whether the writer keeps a whole core busy by
    # itself (the parse workers then take the other cores, else every core).
    build_batch: tuple[int, int] = (2000, 10_000)
    writer_takes_a_core: bool = True

    @classmethod
    @abstractmethod
    def create(cls, path: Path) -> "Engine":
        """Create an empty index at ``path`` (owner-only permissions)."""

    @classmethod
    @abstractmethod
    def open(cls, path: Path) -> "Engine":
        """Open an existing index; raise IndexMissing / IndexIncompatible / IndexUnsafe."""

    @classmethod
    def prepare(cls, cable: Cable) -> Any:
        """The part of writing ``cable`` that needs no index, done where the cable was parsed
        (the build's worker processes): ``write`` takes the result in place of the cable,
        so it must pickle. By default the cable itself."""
        return cable

    @classmethod
    def prepare_batch(cls, cables: list[Cable]) -> list[Any]:
        """``prepare`` for consecutive cables that travel together (one message of a
        build's worker), in order: an engine may share work or data between them. By
        default each cable's ``prepare``."""
        return [cls.prepare(cable) for cable in cables]

    def build_prepare(self) -> Callable[[list[Cable]], list[Any]]:
        """The ``prepare_batch`` a build's workers run for this engine as it is set up now
        (a writer setting may not use what ``prepare`` makes). By default
        ``type(self).prepare_batch``."""
        return type(self).prepare_batch

    def known_digests(self) -> set[str]:
        """A hint for a build: the ``version_digest`` of versions the index holds (it may
        hold others, and some here may be gone). A parse worker sends a cable whose digest
        is here as parsed, without ``prepare``: ``write`` most likely counts it unchanged,
        and prepares it itself when not. By default none."""
        return set()

    @abstractmethod
    def write(self, cables: Iterable[Cable]) -> WriteReport:
        """Add or replace whole cables in one commit (all of a cable's paragraphs or none).

        Each item is a Cable or what ``prepare`` made of one."""

    @abstractmethod
    def remove(self, refids: Iterable[str]) -> WriteReport:
        """Remove whole cables in one commit."""

    @abstractmethod
    def search(self, request: SearchRequest) -> EngineResult:
        """Ranked paragraph hits, facets and a suggestion for one request."""

    @abstractmethod
    def cable(self, refid: str) -> Cable | None:
        """The newest indexed version of a whole cable, from the index alone."""

    @abstractmethod
    def versions(self, refid: str) -> list[Cable]:
        """Every version of a cable the index has seen, oldest release first."""

    def citing(self, refid: str) -> list[str]:
        """Refids of the indexed cables whose resolved references include ``refid``."""
        raise NotImplementedError(f"{type(self).__name__} cannot list citing cables")

    @abstractmethod
    def similar(self, refid: str, paragraph: int, request: SearchRequest) -> EngineResult:
        """Paragraphs like one paragraph, under the request's filters and ceiling."""

    @abstractmethod
    def stats(self) -> dict[str, Any]:
        """Counts, date range, breakdowns, segments and size on disk."""

    @abstractmethod
    def optimize(self) -> None:
        """Merge segments."""

    @abstractmethod
    def refids(self) -> Iterator[str]:
        """Every indexed cable's refid."""

    def set_memory_budget(self, megabytes: int) -> None:
        """Bound the memory the engine's writer may use (a hint; engines may ignore it)."""

    def use_library_writer_defaults(self) -> None:
        """Write with the engine library's default writer settings instead of cablesearch's
        (``build_index(writer_settings="library")``, for the benchmark's comparison)."""

    def close(self) -> None:
        """Release readers and files."""
