"""WhooshEngine: the write side of the Whoosh index, the cable store and index statistics.

Search and ``similar`` live in ``searching.py``; this class only delegates to them.
"""

from __future__ import annotations

import os
from collections import Counter
from contextlib import contextmanager
from functools import partial
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Iterator

from whoosh import index as whoosh_index
from whoosh.index import EmptyIndexError, IndexVersionError
from whoosh.query import And, Term

from ...model import Cable, LEVELS
from ...versions import version_digest
from ..base import Engine, EngineResult, IndexIncompatible, SearchRequest, WriteReport
from ..safety import existing_index_dir, new_index_dir, private_files
from ..writing import Known, Plan, apply_plan, plan_write, stored_version_key
from . import patches  # noqa: F401  (Whoosh fixes, applied on import)
from .bulkwrite import AnalyzedGroup
from .durable import DurableFileStorage
from .mpwriter import open_writer
from .documents import (cable_document, decode_cable, paragraph_documents, version_document,
                        version_id)
from .prepared import PreparedCable, prepare, prepare_batch, split_batch
from .schema import (KIND_CABLE, KIND_PARAGRAPH, KIND_VERSION, READS_SCHEMA_VERSIONS,
                     SCHEMA_VERSION, TEXT_PAIRS, build_schema)

# Writer settings chosen by measurement (python -m bench --scale 10; figures in
# indexer/build.py): one writer process, the bulk segment writer (bulkwrite.py: postings
# inverted in memory, documents analyzed by the parse workers). Whoosh's MpWriter with two
# processes (each leaving its own segment) used 1.53x the CPU and 1.54x the wall time of
# one plain writer on 173,210 paragraphs. Whoosh's pool (what a merge of older segments
# goes through) is at most 128 MB (a larger pool bought nothing); the memory budget can
# only shrink it. (bench/index_speed.py still measures the other settings, through
# mpwriter.open_writer.)
MAX_LIMITMB = 128
MIN_LIMITMB = 32
RSS_PER_LIMITMB = 2  # measured: a writer peaks at ~250 MB RSS with limitmb 128


class WhooshEngine(Engine):
    name = "whoosh"
    schema_version = SCHEMA_VERSION
    reads_schema_versions = READS_SCHEMA_VERSIONS

    def __init__(self, path: Path, ix: whoosh_index.Index) -> None:
        self.path = Path(path)
        self.index = ix
        self._searcher = None
        self.writer_options: dict[str, Any] = {}
        self._prepared: dict[tuple[str, str], PreparedCable] = {}  # this write's, by version
        self._groups: _Groups | None = None  # this write's analyzed documents to add
        self.set_memory_budget(2048)
        # An index from before word pairs (schema 1) gets documents without them.
        self.pairs = TEXT_PAIRS in ix.schema

    # --- opening -------------------------------------------------------------------------

    @classmethod
    def create(cls, path: Path) -> "WhooshEngine":
        path = new_index_dir(path)
        with private_files():
            ix = DurableFileStorage(str(path)).create().create_index(build_schema())
        return cls(path, ix)

    @classmethod
    def open(cls, path: Path) -> "WhooshEngine":
        path = existing_index_dir(path)
        try:
            ix = DurableFileStorage(str(path)).open_index()
        except (EmptyIndexError, IndexVersionError) as exc:
            raise IndexIncompatible(f"{path} is not a usable Whoosh index ({exc})") from None
        return cls(path, ix)

    @property
    def writer_takes_a_core(self) -> bool:  # type: ignore[override]
        """Whoosh's own writer keeps a core busy; with the bulk writer the parse workers do
        the analysis, so they get every core (measured: 1,670 cables, 2 cores)."""
        return not self.writer_options.get("bulk")

    def set_memory_budget(self, megabytes: int) -> None:
        """Fit the writer's postings (its largest part) within ``megabytes``: a commit's
        postings are inverted in memory (bulkwrite.py) up to half the budget, the rest goes
        through Whoosh's pool, of at most MAX_LIMITMB."""
        limit = max(MIN_LIMITMB, min(MAX_LIMITMB, int(megabytes) // RSS_PER_LIMITMB))
        self.writer_options = {"limitmb": limit, "bulk": True,
                               "bulkmb": max(MIN_LIMITMB, int(megabytes) // 2)}

    def use_library_writer_defaults(self) -> None:
        """Write with a plain ``ix.writer()``: Whoosh's defaults, the benchmark's reference."""
        self.writer_options = {}

    def searcher(self):
        """A searcher on the last committed state (reused, refreshed when the index changed)."""
        if self._searcher is None:
            self._searcher = self.index.searcher()
        else:
            self._searcher = self._searcher.refresh()
        return self._searcher

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None

    # --- writing -------------------------------------------------------------------------

    @classmethod
    def prepare(cls, cable: Cable) -> PreparedCable:
        """The cable's documents analyzed (prepared.py), in the build's parse workers."""
        return prepare(cable)

    @classmethod
    def prepare_batch(cls, cables: list[Cable]) -> list[PreparedCable]:
        """The cables' documents analyzed and grouped by term together (prepared.py)."""
        return prepare_batch(cables)

    def build_prepare(self):
        """Only the bulk writer uses analyzed documents (and only those of the current
        schema); Whoosh's own writer gets cables."""
        return type(self).prepare_batch if self.writer_options.get("bulk") and self.pairs \
            else Engine.prepare_batch

    def write(self, cables: Iterable[Cable | PreparedCable]) -> WriteReport:
        """Add, replace or keep each cable; all of it goes into one commit or none of it."""
        batch: dict[str, dict[str, Cable]] = {}
        self._prepared: dict[tuple[str, str], PreparedCable] = {}
        report = WriteReport()
        for item in cables:
            if isinstance(item, PreparedCable):
                cable, digest = item.cable, item.digest
            else:
                cable, digest = item, version_digest(item)
            versions = batch.setdefault(cable.refid, {})
            if digest in versions:
                report.unchanged += 1  # the same version twice in one batch (two sources)
            else:
                versions[digest] = cable
                if isinstance(item, PreparedCable):
                    self._prepared[(cable.refid, digest)] = item
        searcher = self.searcher()
        plans = [plan for refid, candidates in batch.items()
                 if (plan := self._plan(searcher, refid, candidates, report)) is not None]
        if not plans:
            self._prepared = {}
            return report  # nothing new: the index files stay untouched
        try:
            with self._writer() as writer:
                wsearcher = writer.searcher()
                self._groups = _Groups(self._prepared, plans)
                try:
                    for plan in plans:
                        self._apply(writer, wsearcher, plan, report)
                finally:
                    wsearcher.close()
                writer.commit()
        finally:
            self._prepared = {}
            self._groups = None
        return report

    @contextmanager
    def _writer(self) -> Iterator[Any]:
        """A writer opened owner-only, cancelled when the block fails (nothing half-written)."""
        with private_files():
            writer = open_writer(self.index, self.writer_options)
            try:
                yield writer
            except BaseException:
                writer.cancel()
                raise

    def _known(self, searcher, refid: str) -> Known:
        docnum = searcher.document_number(id=refid)
        if docnum is None:
            return Known()
        stored = searcher.stored_fields(docnum)
        return Known(stored_version_key(stored), stored)

    def _plan(self, searcher, refid: str, candidates: dict[str, Cable],
              report: WriteReport) -> Plan | None:
        """What to do with the versions of one cable a batch brings (None: all seen before)."""
        return plan_write(
            refid, self._known(searcher, refid), candidates,
            lambda digest: searcher.document_number(id=version_id(refid, digest)) is not None,
            report)

    def _apply(self, writer, searcher, plan: Plan, report: WriteReport) -> None:
        prepared = self._prepared.get((plan.refid, plan.digest))
        if self.pairs and _is_new(plan, prepared) and hasattr(writer, "add_group"):
            # a new cable: its documents as the parse worker analyzed them
            report.added += 1
            report.paragraphs += prepared.paragraphs
            group = self._groups.to_add(prepared)
            if group is not None:
                writer.add_group(group)
            return

        def replace_current(plan: Plan) -> None:
            writer.delete_by_query(And([Term("kind", KIND_PARAGRAPH), Term("refid", plan.refid)]),
                                   searcher=searcher)
            writer.delete_by_term("id", plan.refid, searcher=searcher)
            self._demote(writer, plan.known.stored)

        apply_plan(plan, report, add=lambda doc: writer.add_document(**doc),
                   replace_current=replace_current,
                   paragraph_documents=partial(paragraph_documents, pairs=self.pairs),
                   cable_document=cable_document, version_document=version_document)

    @staticmethod
    def _demote(writer, stored: dict[str, Any]) -> None:
        """Keep the replaced cable document as a version document (its payload as it is)."""
        writer.add_document(kind=KIND_VERSION, id=version_id(stored["refid"], stored["digest"]),
                            refid=stored["refid"], digest=stored["digest"],
                            **{k: stored[k] for k in ("released", "created", "payload")
                               if stored.get(k) is not None})

    def remove(self, refids: Iterable[str]) -> WriteReport:
        report = WriteReport()
        refids = list(dict.fromkeys(refids))
        if not refids:
            return report
        with self._writer() as writer:
            searcher = writer.searcher()
            try:
                for refid in refids:
                    if searcher.document_number(id=refid) is not None:
                        report.removed += 1
                    writer.delete_by_term("refid", refid, searcher=searcher)
            finally:
                searcher.close()
            if report.removed:
                writer.commit()
            else:
                writer.cancel()
        return report

    def optimize(self) -> None:
        with self._writer() as writer:
            writer.commit(optimize=True)

    # --- reading whole cables ------------------------------------------------------------

    def cable(self, refid: str) -> Cable | None:
        stored = self.searcher().document(id=refid)
        if not stored or stored.get("kind") != KIND_CABLE:
            return None
        return decode_cable(stored["payload"])

    def versions(self, refid: str) -> list[Cable]:
        searcher = self.searcher()
        query = And([Term("refid", refid), Term("kind", KIND_VERSION)])
        docnums = list(searcher.docs_for_query(query))
        current = searcher.document_number(id=refid)
        if current is not None:
            docnums.append(current)
        stored = [searcher.stored_fields(n) for n in docnums]
        stored.sort(key=stored_version_key)
        return [decode_cable(s["payload"]) for s in stored]

    def citing(self, refid: str) -> list[str]:
        from .citations import citing_refids
        return citing_refids(self.searcher(), refid)

    def refids(self) -> Iterator[str]:
        for reader, docnums in self._live_docs(KIND_CABLE):
            column = reader.column_reader("refid")
            for docnum in docnums:
                yield column[docnum]

    def known_digests(self) -> set[str]:
        """Every digest in the term dictionary (a deleted document's stays until a merge)."""
        return {term.decode("ascii") for term in self.searcher().lexicon("digest")}

    # --- search: delegated to searching.py -----------------------------------------------

    def search(self, request: SearchRequest) -> EngineResult:
        from . import searching
        return searching.search(self, request)

    def similar(self, refid: str, paragraph: int, request: SearchRequest) -> EngineResult:
        from . import searching
        return searching.similar(self, refid, paragraph, request)

    # --- statistics ----------------------------------------------------------------------

    def _live_docs(self, kind: str) -> Iterator[tuple[Any, list[int]]]:
        """(segment reader, its live document numbers of one kind), segment by segment."""
        searcher = self.searcher()
        for reader, _offset in searcher.reader().leaf_readers():
            if ("kind", kind) not in reader:
                continue
            yield reader, list(reader.postings("kind", kind).all_ids())

    def _count_column(self, kind: str, field: str) -> Counter:
        counts: Counter = Counter()
        for reader, docnums in self._live_docs(kind):
            if not reader.has_column(field):
                counts["(unknown)"] += len(docnums)
                continue
            column = reader.column_reader(field)
            for docnum in docnums:
                counts[column[docnum] or "(unknown)"] += 1
        return counts

    def _count_keywords(self, kind: str, field: str) -> Counter:
        """Count a multi-valued keyword field over the live documents of one kind."""
        counts: Counter = Counter()
        for reader, docnums in self._live_docs(kind):
            wanted = set(docnums)
            for term in reader.lexicon(field):
                ids = reader.postings(field, term).all_ids()
                n = sum(1 for d in ids if d in wanted)
                if n:
                    counts[term.decode("utf-8")] += n
        return counts

    def _date_range(self) -> tuple[str | None, str | None]:
        low = high = None
        for reader, docnums in self._live_docs(KIND_CABLE):
            if not reader.has_column("created"):
                continue
            column = reader.column_reader("created", translate=True)
            for docnum in docnums:
                try:
                    value = column[docnum]
                except (OverflowError, ValueError):  # no created date: a default out of range
                    continue
                if not isinstance(value, datetime) or value.year < 1900:
                    continue  # no created date: the column's default
                low = value if low is None or value < low else low
                high = value if high is None or value > high else high
        return (low.date().isoformat() if low else None, high.date().isoformat() if high else None)

    def _size_on_disk(self) -> int:
        total = 0
        for entry in os.scandir(self.path):
            try:
                total += entry.stat().st_size
            except FileNotFoundError:  # removed by a writer committing meanwhile
                pass
        return total

    @staticmethod
    def _top(counts: Counter, n: int | None = None) -> list[tuple[str, int]]:
        """Most frequent first, ties by name: the same index state gives the same list."""
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]

    def stats(self) -> dict[str, Any]:
        cables = sum(len(d) for _r, d in self._live_docs(KIND_CABLE))
        paragraphs = sum(len(d) for _r, d in self._live_docs(KIND_PARAGRAPH))
        versions = sum(len(d) for _r, d in self._live_docs(KIND_VERSION))
        first, last = self._date_range()
        levels = self._count_column(KIND_PARAGRAPH, "level")
        level_order = {name: i for i, name in enumerate(LEVELS)}
        return {
            "engine": self.name,
            "cables": cables,
            "paragraphs": paragraphs,
            "older_versions": versions,
            "date_from": first,
            "date_to": last,
            "by_classification": dict(self._top(self._count_column(KIND_CABLE, "classification"))),
            "by_paragraph_level": dict(sorted(levels.items(),
                                              key=lambda kv: level_order.get(kv[0], len(LEVELS)))),
            "top_origins": self._top(self._count_column(KIND_CABLE, "origin"), 20),
            "top_tags": self._top(self._count_keywords(KIND_CABLE, "tags"), 20),
            "segments": len(self.searcher().reader().leaf_readers()),
            "size_bytes": self._size_on_disk(),
        }


def _is_new(plan: Plan, prepared: PreparedCable | None) -> bool:
    """A cable the index has no version of, and the only version this write brings."""
    return prepared is not None and plan.known.key is None and not plan.others


class _Groups:
    """What ``add_group`` gets for each new cable of a write: a batch of cables prepared
    together (``prepare_batch``) whole, once, when every cable of it is new (a first
    build); else each cable's own part of it."""

    def __init__(self, prepared: dict[tuple[str, str], PreparedCable], plans: list[Plan]) -> None:
        self._members: dict[int, list[PreparedCable]] = {}  # by id of their batch
        for item in prepared.values():
            self._members.setdefault(id(item.batch), []).append(item)
        new = Counter(id(item.batch) for plan in plans
                      if _is_new(plan, item := prepared.get((plan.refid, plan.digest))))
        self._whole = {key for key, count in new.items()
                       if count == self._members[key][0].batch_cables}
        self._added: set[int] = set()
        self._split: dict[int, dict[int, AnalyzedGroup]] = {}  # by batch, by first document

    def to_add(self, prepared: PreparedCable) -> AnalyzedGroup | None:
        """The group to add for this new cable (None: its batch was already added whole)."""
        key = id(prepared.batch)
        if key in self._whole:
            if key in self._added:
                return None
            self._added.add(key)
            return prepared.batch
        if key not in self._split:
            members = sorted(self._members[key], key=lambda p: p.first)
            spans = [(p.first, p.count) for p in members]
            self._split[key] = dict(zip((p.first for p in members),
                                        split_batch(prepared.batch, spans)))
        return self._split[key][prepared.first]
