"""A cable's Whoosh documents analyzed where the cable was parsed (``WhooshEngine.prepare``).

The build's parse workers run this, so the writer process only appends postings and
per-document values (``bulkwrite.BulkSegmentWriter.add_analyzed``). The documents are the
ones a new cable gets (its paragraphs, then the cable document); a write that turns out to
need others (a replaced cable, older versions) uses ``cable`` the usual way.

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
from .bulkwrite import AnalyzedGroup, analyze_document, group_documents
from .documents import cable_document, paragraph_documents
from .schema import build_schema


@dataclass(slots=True)
class PreparedCable:
    cable: Cable
    digest: str
    documents: AnalyzedGroup  # the paragraphs' documents, then the cable document
    paragraphs: int

    @property
    def refid(self) -> str:
        return self.cable.refid


@lru_cache(maxsize=1)
def _schema():
    return build_schema()


def prepare(cable: Cable) -> PreparedCable:
    digest = version_digest(cable)
    schema = _schema()
    shared: dict[Any, Any] = {}
    documents = [analyze_document(schema, doc, shared) for doc in paragraph_documents(cable)]
    paragraphs = len(documents)
    documents.append(analyze_document(schema, cable_document(cable, digest), shared))
    return PreparedCable(cable, digest, group_documents(documents), paragraphs)
