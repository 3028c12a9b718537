"""TantivyEngine: the Whoosh engine's behaviour on a tantivy index.

Writing follows ``indexer/engines/whoosh/engine.py`` step for step: plan each cable against
the last commit (new, replacing, older, already seen), then delete and add its documents in
one commit; tantivy's commit is atomic, so a cable is whole or absent after a crash. One
tantivy writer is kept open across the batches of a run (its segments merge in the
background) and released by ``close``; tantivy's own writer lock then guards the directory
besides cablesearch's lock file. Search and ``similar`` live in ``searching.py``.
"""

from __future__ import annotations

import errno
import os
from collections import Counter
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable, Iterator

import tantivy

from ...model import Cable, LEVELS
from ...versions import version_digest
from ..base import (Engine, EngineResult, IndexBusy, IndexIncompatible, SearchRequest,
                    WriteReport)
from ..safety import existing_index_dir, new_index_dir, private_files
from ..writing import Known, Plan, apply_plan, plan_write, stored_version_key
from . import analysis
from .documents import (PreparedCable, add_document, cable_document, decode_cable, demoted,
                        paragraph_documents, prepare, stored_fields, version_document,
                        version_id)
from .schema import KIND_CABLE, KIND_PARAGRAPH, KIND_VERSION, SCHEMA_VERSION, build_schema

Q = tantivy.Query
Occur = tantivy.Occur
DEFAULT_HEAP_MB = 256
MIN_HEAP_MB_PER_THREAD = 16
UNKNOWN = "(unknown)"
MAX_BUCKETS = 60_000
LOW_SPACE_BYTES = 64 * 1024 * 1024  # below this, a failed write is put down to a full disk  # below tantivy's aggregation bucket limit (65,000)


class TantivyEngine(Engine):
    name = "tantivy"
    schema_version = SCHEMA_VERSION
    # Commits of 50,000 paragraphs rather than 10,000: every commit leaves a segment per
    # indexing thread, and fewer, larger segments need less merging. On the corpus
    # replicated 10x (173,210 paragraphs, 2 parse workers): 3 commits instead of 17, the
    # writer process 22.2 CPU s instead of 25.4, peak 560 MB instead of 330 MB (the batch
    # waiting in the writer: ~5 KB a paragraph).
    build_batch = (8_000, 50_000)
    # The writer process uses about 40% of a build's CPU (tantivy's indexing threads and
    # the Python that feeds them), the parse workers the rest: a worker on every core.
    writer_takes_a_core = False

    def __init__(self, path: Path, index: tantivy.Index) -> None:
        self.path = Path(path)
        self.index = index
        self.schema = index.schema
        analysis.register(index)
        self._writer: tantivy.IndexWriter | None = None
        self.threads = max(1, min(2, os.cpu_count() or 1))
        self.heap_mb = DEFAULT_HEAP_MB
        self.library_defaults = False
        self._meta_seen: tuple | None = None
        self._shadow = None  # a read-only index is read through a directory of symlinks

    # --- opening -------------------------------------------------------------------------

    @classmethod
    def create(cls, path: Path) -> "TantivyEngine":
        path = new_index_dir(path)
        with private_files():
            index = tantivy.Index(build_schema(), path=str(path), reuse=False)
        return cls(path, index)

    @classmethod
    def open(cls, path: Path) -> "TantivyEngine":
        path = existing_index_dir(path)
        try:
            index, shadow = _open_index(path)
        except (OSError, ValueError) as exc:
            raise IndexIncompatible(f"{path} is not a usable tantivy index ({exc})") from None
        if _field_names(path) != _schema_names():
            raise IndexIncompatible(f"{path}: the tantivy schema differs from this version's: "
                                    "rebuild it with `cables index PATH --index NEWDIR`")
        engine = cls(path, index)
        engine._shadow = shadow
        return engine

    def set_memory_budget(self, megabytes: int) -> None:
        self.heap_mb = max(MIN_HEAP_MB_PER_THREAD * self.threads, int(megabytes))

    def use_library_writer_defaults(self) -> None:
        self.library_defaults = True

    def searcher(self) -> tantivy.Searcher:
        """A searcher on the last commit (one per query: it pins a consistent segment set).

        A commit by another engine object or process replaces meta.json (a rename): seeing
        it changed, the reader reloads at once rather than after tantivy's watch delay."""
        try:
            info = os.stat(self.path / "meta.json")
            seen = (info.st_ino, info.st_mtime_ns, info.st_size)
        except OSError:
            seen = None
        if seen != self._meta_seen:
            self.index.reload()
            self._meta_seen = seen
        return self.index.searcher()

    def close(self) -> None:
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.wait_merging_threads()
        if self._shadow is not None:
            self._shadow.cleanup()
            self._shadow = None

    # --- writing -------------------------------------------------------------------------

    def _writer_for_batch(self) -> tantivy.IndexWriter:
        if self._writer is None:
            try:
                with private_files():
                    if self.library_defaults:
                        self._writer = self.index.writer()
                    else:
                        self._writer = self.index.writer(heap_size=self.heap_mb * 1_000_000,
                                                         num_threads=self.threads)
            except (ValueError, OSError) as exc:
                if "LockBusy" in str(exc):
                    raise IndexBusy(f"index {self.path} is being written by another process") from None
                raise self._write_error(exc) from None
        return self._writer

    def _write_error(self, exc: BaseException) -> OSError:
        """Tantivy reports a full disk or a read-only directory as a killed writer: say which,
        as the OSError the build turns into one clear line (the last commit is intact)."""
        self._writer = None  # a failed writer cannot be used again
        try:
            info = os.statvfs(self.path)
        except OSError as err:
            return err
        if info.f_flag & os.ST_RDONLY or not os.access(self.path, os.W_OK):
            return OSError(errno.EROFS, "Read-only file system")
        if info.f_bavail * info.f_frsize < LOW_SPACE_BYTES:
            return OSError(errno.ENOSPC, "No space left on device")
        return OSError(errno.EIO, f"tantivy could not write: {exc}")

    @contextmanager
    def _rolled_back_on_failure(self, writer: tantivy.IndexWriter) -> Iterator[None]:
        """Roll the writer back if the block fails; tantivy's errors become ``_write_error``."""
        try:
            yield
        except (ValueError, OSError) as exc:
            _rollback(writer)
            raise self._write_error(exc) from None
        except BaseException:
            _rollback(writer)
            raise

    def _commit(self, writer: tantivy.IndexWriter) -> None:
        with self._rolled_back_on_failure(writer), private_files():
            writer.commit()
        self.index.reload()

    @classmethod
    def prepare(cls, cable: Cable) -> PreparedCable:
        """The cable's documents as far as they go without the index (see documents.py)."""
        return prepare(cable)

    def write(self, cables: Iterable[Cable | PreparedCable]) -> WriteReport:
        """Add, replace or keep each cable; all of it goes into one commit or none of it.

        A cable that comes unprepared is prepared here only if it is written."""
        batch: dict[str, dict[str, Cable | PreparedCable]] = {}
        report = WriteReport()
        for item in cables:
            digest = item.digest if isinstance(item, PreparedCable) else version_digest(item)
            versions = batch.setdefault(item.refid, {})
            if digest in versions:
                report.unchanged += 1  # the same version twice in one batch (two sources)
            else:
                versions[digest] = item
        self.index.reload()
        searcher = self.searcher()
        plans = [_prepared(plan) for refid, candidates in batch.items()
                 if (plan := self._plan(searcher, refid, candidates, report)) is not None]
        if not plans:
            return report
        writer = self._writer_for_batch()
        with self._rolled_back_on_failure(writer):
            for plan in plans:
                self._apply(writer, plan, report)
        self._commit(writer)
        return report

    def _stored_by_id(self, searcher: tantivy.Searcher, doc_id: str) -> dict[str, Any] | None:
        hits = searcher.search(Q.term_query(self.schema, "id", doc_id), 1, count=False).hits
        return stored_fields(searcher.doc(hits[0][1])) if hits else None

    def _known(self, searcher, refid: str) -> Known:
        stored = self._stored_by_id(searcher, refid)
        if stored is None or stored.get("kind") != KIND_CABLE:
            return Known()
        return Known(stored_version_key(stored), stored)

    def _exists(self, searcher, doc_id: str) -> bool:
        return searcher.search(Q.term_query(self.schema, "id", doc_id), 1, count=True).count > 0

    def _plan(self, searcher, refid: str, candidates: dict[str, Cable | PreparedCable],
              report: WriteReport) -> Plan | None:
        return plan_write(refid, self._known(searcher, refid), candidates,
                          lambda digest: self._exists(searcher, version_id(refid, digest)),
                          report)

    def _apply(self, writer: tantivy.IndexWriter, plan: Plan, report: WriteReport) -> None:
        def replace_current(plan: Plan) -> None:
            writer.delete_documents_by_query(self._kind_of(KIND_PARAGRAPH, plan.refid))
            writer.delete_documents_by_term("id", plan.refid)
            writer.add_document(demoted(plan.known.stored))

        apply_plan(plan, report, add=lambda doc: add_document(writer, doc),
                   replace_current=replace_current,
                   paragraph_documents=paragraph_documents, cable_document=cable_document,
                   version_document=version_document)

    def _kind_of(self, kind: str, refid: str) -> tantivy.Query:
        return Q.boolean_query([(Occur.Must, Q.term_query(self.schema, "kind", kind)),
                                (Occur.Must, Q.term_query(self.schema, "refid", refid))])

    def remove(self, refids: Iterable[str]) -> WriteReport:
        report = WriteReport()
        refids = list(dict.fromkeys(refids))
        if not refids:
            return report
        self.index.reload()
        searcher = self.searcher()
        present = [r for r in refids if self._known(searcher, r).key is not None]
        report.removed = len(present)
        if not present:
            return report
        writer = self._writer_for_batch()
        for refid in refids:
            writer.delete_documents_by_term("refid", refid)
        self._commit(writer)
        return report

    def optimize(self) -> None:
        """Merge segments: tantivy merges in the background; wait for it, then collect files."""
        writer = self._writer_for_batch()
        self._commit(writer)
        self._writer = None
        writer.wait_merging_threads()
        writer = self._writer_for_batch()
        writer.garbage_collect_files()
        self.close()
        self.index.reload()

    # --- reading whole cables ------------------------------------------------------------

    def cable(self, refid: str) -> Cable | None:
        stored = self._stored_by_id(self.searcher(), refid)
        if not stored or stored.get("kind") != KIND_CABLE:
            return None
        return decode_cable(stored["payload"])

    def _stored_where(self, query: tantivy.Query) -> list[dict[str, Any]]:
        searcher = self.searcher()
        count = searcher.search(query, 1, count=True).count
        if not count:
            return []
        return [stored_fields(searcher.doc(a)) for _s, a in searcher.search(query, count).hits]

    def versions(self, refid: str) -> list[Cable]:
        stored = self._stored_where(self._kind_of(KIND_VERSION, refid))
        current = self._stored_where(self._kind_of(KIND_CABLE, refid))
        stored.extend(current)
        stored.sort(key=stored_version_key)
        return [decode_cable(s["payload"]) for s in stored]

    def citing(self, refid: str) -> list[str]:
        query = Q.boolean_query([
            (Occur.Must, Q.term_query(self.schema, "kind", KIND_PARAGRAPH)),
            (Occur.Must, Q.term_query(self.schema, "cites", refid.upper()))])
        return sorted(self._terms("refid", query))

    def _terms(self, field: str, query: tantivy.Query) -> dict[str, int]:
        """Every value of a keyword field among the documents ``query`` matches, with counts."""
        return {t: n for t, n in self.searcher().terms_with_prefix(field, "", filter_query=query)
                if n > 0}

    def refids(self) -> Iterator[str]:
        yield from sorted(self._terms("refid", Q.term_query(self.schema, "kind", KIND_CABLE)))

    def known_digests(self) -> set[str]:
        """Every digest in the term dictionary (a deleted document's stays until a merge)."""
        return {term for term, _count in self.searcher().terms_with_prefix("digest", "")}

    # --- search: delegated to searching.py -----------------------------------------------

    def search(self, request: SearchRequest) -> EngineResult:
        from . import searching
        return searching.search(self, request)

    def similar(self, refid: str, paragraph: int, request: SearchRequest) -> EngineResult:
        from . import searching
        return searching.similar(self, refid, paragraph, request)

    # --- statistics ----------------------------------------------------------------------

    def _count(self, kind: str) -> int:
        return self.searcher().search(Q.term_query(self.schema, "kind", kind), 1, count=True).count

    def _count_values(self, kind: str, field: str) -> Counter:
        """Documents of one kind per value of a keyword field; none counts as (unknown)."""
        query = Q.term_query(self.schema, "kind", kind)
        agg = {"v": {"terms": {"field": field, "size": MAX_BUCKETS, "missing": UNKNOWN}}}
        buckets = self.searcher().aggregate(query, agg)["v"]["buckets"]
        return Counter({str(b["key"]): int(b["doc_count"]) for b in buckets})

    def _date_range(self) -> tuple[str | None, str | None]:
        from datetime import datetime, timezone
        query = Q.term_query(self.schema, "kind", KIND_CABLE)
        agg = {"s": {"stats": {"field": "created_ts"}}}
        found = self.searcher().aggregate(query, agg)["s"]
        if not found.get("count"):
            return None, None

        def day(seconds: float) -> str:
            return datetime.fromtimestamp(seconds, timezone.utc).date().isoformat()
        return day(found["min"]), day(found["max"])

    def stats(self) -> dict[str, Any]:
        levels = self._count_values(KIND_PARAGRAPH, "level")
        level_order = {name: i for i, name in enumerate(LEVELS)}
        first, last = self._date_range()
        tags = self._count_values(KIND_CABLE, "tags")
        tags.pop(UNKNOWN, None)
        return {
            "engine": self.name,
            "cables": self._count(KIND_CABLE),
            "paragraphs": self._count(KIND_PARAGRAPH),
            "older_versions": self._count(KIND_VERSION),
            "date_from": first,
            "date_to": last,
            "by_classification": dict(self._count_values(KIND_CABLE, "classification").most_common()),
            "by_paragraph_level": dict(sorted(levels.items(),
                                              key=lambda kv: level_order.get(kv[0], len(LEVELS)))),
            "top_origins": self._count_values(KIND_CABLE, "origin").most_common(20),
            "top_tags": tags.most_common(20),
            "segments": self.searcher().num_segments,
            "size_bytes": _size_on_disk(self.path),
        }


def _checked_open(directory: str) -> tantivy.Index:
    if not tantivy.Index.exists(directory) or not tantivy.Index.is_compatible(directory):
        raise IndexIncompatible(f"{directory} is not a usable tantivy index "
                                "(written by another tantivy version?): rebuild it")
    return tantivy.Index.open(directory)


def _open_index(path: Path):
    """Open the index; on a read-only file system, through a temporary directory of symbolic
    links to its files, since tantivy's reader creates a lock file beside meta.json."""
    try:
        return _checked_open(str(path)), None
    except (OSError, ValueError) as exc:
        if "Read-only file system" not in str(exc) and "ReadOnlyFilesystem" not in str(exc):
            raise
    import tempfile
    shadow = tempfile.TemporaryDirectory(prefix="cablesearch-ro-")
    for entry in path.iterdir():
        if entry.is_file() and not entry.name.startswith(".tantivy-"):
            os.symlink(entry.resolve(), Path(shadow.name) / entry.name)
    try:
        return _checked_open(shadow.name), shadow
    except BaseException:
        shadow.cleanup()
        raise


def _size_on_disk(path: Path) -> int:
    """Bytes of the index's files (a writer may remove temporary files meanwhile)."""
    total = 0
    for entry in path.iterdir():
        try:
            info = entry.stat()
        except FileNotFoundError:
            continue
        if not entry.is_symlink() and info.st_mode & 0o170000 == 0o100000:
            total += info.st_size
    return total


def _prepared(plan: Plan) -> Plan:
    """The plan with the versions it writes prepared (``write`` may get them as parsed)."""
    def ready(item: Cable | PreparedCable) -> PreparedCable:
        return item if isinstance(item, PreparedCable) else prepare(item)
    return replace(plan, winner=ready(plan.winner) if plan.winner is not None else None,
                   others={digest: ready(item) for digest, item in plan.others.items()})


def _rollback(writer: tantivy.IndexWriter) -> None:
    try:
        writer.rollback()
    except (ValueError, OSError):
        pass  # a killed writer has nothing to roll back: its work never reached a commit


def _field_names(path: Path) -> set[str]:
    """Field names of the tantivy index at ``path``, from its meta.json (the bindings' Schema
    object has no listing)."""
    import json
    try:
        meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
        return {f["name"] for f in meta.get("schema", [])}
    except (OSError, ValueError, TypeError, KeyError):
        return set()


def _schema_names() -> set[str]:
    from .schema import FIELD_NAMES
    return set(FIELD_NAMES)
