"""A cable's Whoosh documents analyzed where the cable was parsed (``WhooshEngine.prepare``).

The build's parse workers run this, so the writer process only appends postings and
per-document values (``bulkwrite.BulkSegmentWriter.add_group``). The documents are the
ones a new cable gets (its paragraphs, then the cable document); a write that turns out to
need others (a replaced cable, older versions) uses ``cable`` the usual way.

The cables a worker sends together (``prepare_batch``) share one ``AnalyzedGroup``: their
postings grouped by term across all of them, so the writer merges each term once per
message rather than once per cable, and joins fewer, longer runs when it flushes. When
every cable of a batch is new to the index, the writer adds the batch whole; otherwise it
splits it into the cables' own groups (``split_batch``).

Fields with the same value in every paragraph of a cable (refid, origin, tags, dates,
subject …) are analyzed once per cable: their postings are shared, which also makes the
pickle sent to the writer smaller.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ...model import Cable
from ...versions import version_digest
from .bulkwrite import AnalyzedDocument, AnalyzedGroup, analyze_document, group_documents
from .documents import cable_document, paragraph_documents
from .schema import build_schema


@dataclass(slots=True)
class PreparedCable:
    cable: Cable
    digest: str
    batch: AnalyzedGroup  # the documents of every cable prepared with this one
    first: int  # where this cable's documents start in ``batch``
    count: int  # how many they are: its paragraphs, then its cable document
    batch_cables: int  # how many cables ``batch`` holds

    @property
    def refid(self) -> str:
        return self.cable.refid

    @property
    def paragraphs(self) -> int:
        return self.count - 1


@lru_cache(maxsize=1)
def _schema():
    return build_schema()


def _documents(schema, cable: Cable, digest: str) -> list[AnalyzedDocument]:
    shared: dict[Any, Any] = {}
    documents = [analyze_document(schema, doc, shared) for doc in paragraph_documents(cable)]
    documents.append(analyze_document(schema, cable_document(cable, digest), shared))
    return documents


def prepare_batch(cables: list[Cable]) -> list[PreparedCable]:
    """The cables' documents, analyzed and grouped by term together."""
    schema = _schema()
    documents: list[AnalyzedDocument] = []
    spans = []
    for cable in cables:
        digest = version_digest(cable)
        own = _documents(schema, cable, digest)
        spans.append((cable, digest, len(documents), len(own)))
        documents.extend(own)
    batch = group_documents(documents)
    return [PreparedCable(cable, digest, batch, first, count, len(cables))
            for cable, digest, first, count in spans]


def prepare(cable: Cable) -> PreparedCable:
    return prepare_batch([cable])[0]


def split_batch(batch: AnalyzedGroup, spans: list[tuple[int, int]]) -> list[AnalyzedGroup]:
    """The groups of the cables at ``spans`` (first document, count) of a batch, each as
    ``group_documents`` makes it from the cable's own documents (the batch's other
    documents are left out); one pass over the batch's postings."""
    owner: list[int | None] = [None] * len(batch.documents)
    for k, (first, count) in enumerate(spans):
        owner[first:first + count] = [k] * count
    firsts = [first for first, _count in spans]
    terms: list[dict[tuple[str, bytes], list]] = [{} for _ in spans]
    for key, postings in batch.terms.items():
        for local, weight, value, length in postings:
            k = owner[local]
            if k is None:
                continue
            own = terms[k]
            posting = (local - firsts[k], weight, value, length)
            found = own.get(key)
            if found is None:
                own[key] = [posting]
            else:
                found.append(posting)
    return [AnalyzedGroup(batch.documents[first:first + count], own)
            for (first, count), own in zip(spans, terms)]
