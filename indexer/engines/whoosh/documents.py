"""A cable as Whoosh documents: one per paragraph, one for the whole cable, one per old version.

Paragraph documents (``kind=para``) are what search ranks. The cable document
(``kind=cable``, id ``REFID``) holds the newest version whole, as compressed JSON, plus the
cable-level columns that ``stats`` counts. A version document (``kind=version``, id
``REFID@DIGEST``) holds every other version the index has seen.
"""

from __future__ import annotations

import json
import zlib
from datetime import date, datetime, time
from typing import Any, Iterator

from ...model import Cable, Paragraph, level_rank
from ...versions import version_digest
from .schema import KIND_CABLE, KIND_PARAGRAPH, KIND_VERSION, TEXT_PAIRS


def paragraph_id(refid: str, number: int) -> str:
    return f"{refid}#{number}"


def version_id(refid: str, digest: str) -> str:
    return f"{refid}@{digest}"


def encode_cable(cable: Cable, level: int = 6, ascii: bool = False) -> bytes:
    """The cable as zlib-compressed JSON (``level``: zlib's; ``ascii``: non-ASCII characters
    escaped, which json writes twice as fast; the tantivy engine takes 0 and True)."""
    return zlib.compress(json.dumps(cable.to_dict(), ensure_ascii=ascii).encode("utf-8"), level)


def decode_cable(payload: bytes) -> Cable:
    return Cable.from_dict(json.loads(zlib.decompress(payload).decode("utf-8")))


def _as_datetime(value: date | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.combine(value, time())


def _keywords(values: list[str]) -> str | None:
    """A comma-separated keyword value (commas inside a value would split it)."""
    cleaned = [v.replace(",", " ").strip() for v in values if v and v.strip()]
    return ",".join(cleaned) if cleaned else None


def _drop_none(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if v is not None}


def _cable_fields(cable: Cable) -> dict[str, Any]:
    """Fields shared by the paragraph documents and the cable document."""
    created = cable.created
    return {
        "refid": cable.refid,
        "classification": cable.classification,
        "cable_level": cable.level,
        "cable_level_rank": level_rank(cable.level),
        "origin": cable.origin,
        "tags": _keywords(cable.tags),
        "_stored_tags": list(dict.fromkeys(cable.tags)),
        "created": created,
        "year": created.year if created else None,
        "month": created.strftime("%Y-%m") if created else None,
        "released": _as_datetime(cable.released),
    }


def paragraph_fields(cable: Cable, paragraph: Paragraph, doc_id: str) -> dict[str, Any]:
    """A paragraph document's own fields (``paragraph_document`` adds the cable's); the
    tantivy engine builds its documents from these too."""
    level = paragraph.level or cable.level
    caveats = list(dict.fromkeys([*cable.caveats, *paragraph.caveats]))
    exact = "\n".join(p for p in (paragraph.text, paragraph.heading, cable.subject) if p)
    return {
        "kind": KIND_PARAGRAPH,
        "id": doc_id,
        "paragraph": paragraph.number,
        "marking": paragraph.marking,
        "level": level,
        "level_rank": level_rank(level),
        "caveats": _keywords(caveats),
        "_stored_caveats": caveats,
        "subject": cable.subject,
        "heading": paragraph.heading,
        "in_summary": paragraph.in_summary,
        "in_comment": paragraph.in_comment,
        "text": paragraph.text,
        "exact": exact,
        "cites": _keywords([r.refid for r in cable.references if r.refid]),
    }


def paragraph_document(cable: Cable, paragraph: Paragraph, doc_id: str,
                       pairs: bool = True) -> dict[str, Any]:
    """``pairs``: with the text's word pairs (``pairs.py``; an index from before them has
    no such field)."""
    doc = {**_cable_fields(cable), **paragraph_fields(cable, paragraph, doc_id)}
    if pairs:
        doc[TEXT_PAIRS] = paragraph.text
    return _drop_none(doc)


def paragraph_ids(cable: Cable) -> Iterator[tuple[Paragraph, str]]:
    """Each paragraph with its document id, ``REFID#N``; a repeated number gets
    ``REFID#N.2`` …"""
    seen: dict[int, int] = {}
    for paragraph in cable.paragraphs:
        count = seen[paragraph.number] = seen.get(paragraph.number, 0) + 1
        doc_id = paragraph_id(cable.refid, paragraph.number)
        if count > 1:
            doc_id = f"{doc_id}.{count}"
        yield paragraph, doc_id


def paragraph_documents(cable: Cable, pairs: bool = True) -> Iterator[dict[str, Any]]:
    """One document per paragraph (ids: ``paragraph_ids``; ``pairs``: as
    ``paragraph_document``)."""
    for paragraph, doc_id in paragraph_ids(cable):
        yield paragraph_document(cable, paragraph, doc_id, pairs)


def cable_document(cable: Cable, digest: str | None = None, level: int = 6,
                   ascii: bool = False) -> dict[str, Any]:
    """The newest version of the cable, whole (``level``, ``ascii``: ``encode_cable``'s)."""
    doc = {
        **_cable_fields(cable),
        "kind": KIND_CABLE,
        "id": cable.refid,
        "digest": digest or version_digest(cable),
        "payload": encode_cable(cable, level, ascii),
    }
    return _drop_none(doc)


def version_document(cable: Cable, digest: str | None = None) -> dict[str, Any]:
    """An older (or otherwise losing) version of the cable, whole."""
    digest = digest or version_digest(cable)
    doc = {
        "kind": KIND_VERSION,
        "id": version_id(cable.refid, digest),
        "refid": cable.refid,
        "digest": digest,
        "released": _as_datetime(cable.released),
        "created": cable.created,
        "payload": encode_cable(cable),
    }
    return _drop_none(doc)
