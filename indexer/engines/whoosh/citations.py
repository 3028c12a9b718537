"""Citations in a Whoosh index: which cables cite a refid, and what one cable cites.

Paragraph documents carry the resolved refids their cable cites in the ``cites`` keyword
field (documents.py); the whole cable (its references included) is the payload of its
cable document. ``cites:X`` in a query is a plain keyword term on that field; ``citedby:X``
is expanded here into the refids X cites.
"""

from __future__ import annotations

from whoosh import query

from .documents import decode_cable
from .schema import KIND_CABLE, KIND_PARAGRAPH


def citing_refids(searcher, refid: str) -> list[str]:
    """Refids of the indexed cables that cite ``refid``, sorted."""
    found = query.And([query.Term("kind", KIND_PARAGRAPH), query.Term("cites", refid.upper())])
    refids = {searcher.stored_fields(docnum)["refid"] for docnum in searcher.docs_for_query(found)}
    return sorted(refids)


def cited_refids(searcher, refid: str) -> list[str]:
    """The refids the indexed cable ``refid`` cites (its newest version), in REF order."""
    stored = searcher.document(id=refid.upper())
    if not stored or stored.get("kind") != KIND_CABLE:
        return []
    cable = decode_cable(stored["payload"])
    return list(dict.fromkeys(r.refid for r in cable.references if r.refid))


def cited_by_query(searcher, refid: str, boost: float = 1.0) -> query.Query:
    """``citedby:X``: the paragraphs of the cables X cites (nothing when X cites none: the
    empty refid, which no cable has; a NullQuery would be dropped from an AND)."""
    refids = cited_refids(searcher, refid) or [""]
    return query.Or([query.Term("refid", r, boost=boost) for r in refids])
