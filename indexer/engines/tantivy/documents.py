"""A cable as tantivy documents, and stored documents back as plain field dicts.

The documents are the Whoosh engine's (``indexer/engines/whoosh/documents.py`` builds them
as dicts; the same builder is used here so that both engines index the same values), turned
into ``tantivy.Document`` objects. Stored documents come back in the shape Whoosh's
``stored_fields`` gives: one value per field, lists for tags and caveats, naive datetimes.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any, Iterator

import tantivy

from ...model import Cable
from ..whoosh import documents as whoosh_documents
from .analysis import add_text, native_check
from .schema import DATE_FIELDS, INTEGER_FIELDS, KEYWORD_FIELDS, MULTI_VALUED, STEMMED_FIELDS

decode_cable = whoosh_documents.decode_cable
paragraph_id = whoosh_documents.paragraph_id
version_id = whoosh_documents.version_id

_STORED_LISTS = {"tags": "_stored_tags", "caveats": "_stored_caveats"}


def key_of(value: str) -> int:
    """A stable signed 64-bit hash (refid_key, doc_key columns)."""
    return int.from_bytes(hashlib.blake2b(value.encode("utf-8"), digest_size=8).digest(),
                          "big", signed=True)


def _keywords(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def to_document(fields: dict[str, Any]) -> tantivy.Document:
    """One tantivy document from a Whoosh document dict."""
    doc = tantivy.Document()
    for name in KEYWORD_FIELDS:
        value = fields.get(name)
        if name in MULTI_VALUED:
            for part in _keywords(value):
                doc.add_text(name, part)
        elif value:
            doc.add_text(name, str(value))
    lists = {name: fields[key] for name, key in _STORED_LISTS.items()
             if key in fields and fields.get(name) is not None}  # as Whoosh stores them
    if lists:
        doc.add_bytes("lists", json.dumps(lists, ensure_ascii=False).encode("utf-8"))
    for name in INTEGER_FIELDS:
        value = fields.get(name)
        if value is not None:
            doc.add_integer(name, int(value))
    for name in DATE_FIELDS:
        value = fields.get(name)
        if value is not None:
            doc.add_date(name, value)
    created = fields.get("created")
    if created is not None:
        doc.add_integer("created_ts", int(created.replace(tzinfo=timezone.utc).timestamp()))
    if fields.get("refid"):
        doc.add_integer("refid_key", key_of(fields["refid"]))
    if fields.get("id"):
        doc.add_integer("doc_key", key_of(fields["id"]))
    texts = [fields[name] for name in (*STEMMED_FIELDS, "exact") if fields.get(name)]
    if texts:  # one check covers every text field (exact holds the words of the others)
        words_ok, stems_ok = native_check("\n".join(texts))
        for name in STEMMED_FIELDS:
            if fields.get(name):
                add_text(doc, name, fields[name], stem=True, native=stems_ok)
        if fields.get("exact"):
            add_text(doc, "exact", fields["exact"], stem=False, native=words_ok)
    for name in ("in_summary", "in_comment"):
        if name in fields:
            doc.add_boolean(name, bool(fields[name]))
    if fields.get("payload") is not None:
        doc.add_bytes("payload", fields["payload"])
    return doc


def paragraph_documents(cable: Cable) -> Iterator[tantivy.Document]:
    for fields in whoosh_documents.paragraph_documents(cable):
        yield to_document(fields)


def cable_document(cable: Cable, digest: str | None = None) -> tantivy.Document:
    return to_document(whoosh_documents.cable_document(cable, digest))


def version_document(cable: Cable, digest: str | None = None) -> tantivy.Document:
    return to_document(whoosh_documents.version_document(cable, digest))


def demoted(stored: dict[str, Any]) -> tantivy.Document:
    """A replaced cable document kept as a version document (its payload as it is)."""
    fields = {"kind": "version", "id": version_id(stored["refid"], stored["digest"]),
              "refid": stored["refid"], "digest": stored["digest"]}
    fields.update({k: stored[k] for k in ("released", "created", "payload")
                   if stored.get(k) is not None})
    return to_document(fields)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    if isinstance(value, tantivy.PreTokenizedString):
        return value.text
    if isinstance(value, dict) and "text" in value:  # a pre-tokenized text, as a dict
        return value["text"]
    return value


def stored_fields(doc: tantivy.Document) -> dict[str, Any]:
    """A stored tantivy document in the shape of Whoosh's stored fields."""
    out: dict[str, Any] = {}
    for name, values in doc.to_dict().items():
        values = [_plain(v) for v in values]
        if name == "lists":
            out.update(json.loads(values[0]))
        elif name in MULTI_VALUED:
            out[name] = ",".join(values)
        elif values:
            out[name] = values[0]
    return out
