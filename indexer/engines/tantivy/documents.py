"""A cable as tantivy documents, and stored documents back as plain field dicts.

The documents are the Whoosh engine's (``indexer/engines/whoosh/documents.py`` builds them
as dicts; the same builder is used here so that both engines index the same values), turned
into ``tantivy.Document`` objects. Stored documents come back in the shape Whoosh's
``stored_fields`` gives: one value per field, lists for tags and caveats, naive datetimes.

Building is split for the build's processes: ``prepare`` (in a parse worker) does all that
needs no index — the Whoosh dicts, the compressed payload, the stem check, Whoosh tokens for
the texts tantivy's analyzer would stem otherwise — as plain picklable specs; the writer
only turns each spec into a ``tantivy.Document`` (``build_document``: one ``from_dict`` call,
plus the pre-tokenized texts) and adds it.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Iterator

import tantivy

from ...model import Cable
from ...versions import version_digest
from ..whoosh import documents as whoosh_documents
from .analysis import Tokens, pretokenized_string, whoosh_tokens
from .schema import (DATE_FIELDS, INTEGER_FIELDS, KEYWORD_FIELDS, MULTI_VALUED, STEMMED_FIELDS,
                     build_schema)

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


Spec = tuple[dict[str, list], list[tuple[str, str, Tokens]]]


def document_spec(fields: dict[str, Any]) -> Spec:
    """Everything about a tantivy document that needs no index, from a Whoosh document dict:
    the field values as ``tantivy.Document.from_dict`` takes them, and the texts tantivy must
    take pre-tokenized (field, text, Whoosh tokens). Plain values, so that a parse worker
    can make it and send it to the writer (tantivy documents themselves pickle slowly)."""
    values: dict[str, list] = {}
    for name in KEYWORD_FIELDS:
        value = fields.get(name)
        if name in MULTI_VALUED:
            parts = _keywords(value)
            if parts:
                values[name] = parts
        elif value:
            values[name] = [str(value)]
    lists = {name: fields[key] for name, key in _STORED_LISTS.items()
             if key in fields and fields.get(name) is not None}  # as Whoosh stores them
    if lists:
        values["lists"] = [json.dumps(lists, ensure_ascii=False).encode("utf-8")]
    for name in INTEGER_FIELDS:
        value = fields.get(name)
        if value is not None:
            values[name] = [int(value)]
    for name in DATE_FIELDS:
        value = fields.get(name)
        if value is not None:
            values[name] = [value]
    created = fields.get("created")
    if created is not None:
        values["created_ts"] = [int(created.replace(tzinfo=timezone.utc).timestamp())]
    if fields.get("refid"):
        values["refid_key"] = [key_of(fields["refid"])]
    if fields.get("id"):
        values["doc_key"] = [key_of(fields["id"])]
    pretokenized: list[tuple[str, str, Tokens]] = []
    for name in (*STEMMED_FIELDS, "exact"):
        text = fields.get(name)
        if text:
            tokens = whoosh_tokens(text, name != "exact")
            if tokens is None:
                values[name] = [text]
            else:
                pretokenized.append((name, text, tokens))
    for name in ("in_summary", "in_comment"):
        if name in fields:
            values[name] = [bool(fields[name])]
    if fields.get("payload") is not None:
        values["payload"] = [fields["payload"]]
    return values, pretokenized


@functools.cache
def _schema() -> tantivy.Schema:
    return build_schema()


def build_document(spec: Spec) -> tantivy.Document:
    """The tantivy document of a spec: the writer's only per-document Python work."""
    values, pretokenized = spec
    doc = tantivy.Document.from_dict(values, _schema())
    for name, text, tokens in pretokenized:
        doc.add_pre_tokenized_text(name, pretokenized_string(text, tokens))
    return doc


def to_document(fields: dict[str, Any]) -> tantivy.Document:
    """One tantivy document from a Whoosh document dict."""
    return build_document(document_spec(fields))


@dataclass(slots=True)
class PreparedCable:
    """A cable with its documents' index-free work done (``TantivyEngine.prepare``, run in
    a parse worker): what the writer needs to plan the write, and the document specs. The
    cable itself is not kept: the specs hold all of it, and sending less is faster."""

    refid: str
    digest: str
    released: date | None  # what ``writing.plan_write`` reads of a candidate version
    paragraphs: list[Spec]
    cable_spec: Spec


def prepare(cable: Cable) -> PreparedCable:
    digest = version_digest(cable)
    return PreparedCable(cable.refid, digest, cable.released,
                         [document_spec(f) for f in whoosh_documents.paragraph_documents(cable)],
                         document_spec(whoosh_documents.cable_document(cable, digest)))


def paragraph_documents(prepared: PreparedCable) -> Iterator[tantivy.Document]:
    for spec in prepared.paragraphs:
        yield build_document(spec)


def cable_document(prepared: PreparedCable, digest: str | None = None) -> tantivy.Document:
    """The cable document, built with the digest ``prepare`` computed (``digest``, the
    write plan's, must be that one: a different one would otherwise be dropped unseen)."""
    if digest is not None and digest != prepared.digest:
        raise ValueError(f"{prepared.refid}: digest {digest} is not the prepared cable's")
    return build_document(prepared.cable_spec)


def _version_document(refid: str, digest: str, whole: dict[str, Any]) -> tantivy.Document:
    """A version document (the Whoosh engine's ``version_document``) from the stored or
    prepared fields of a cable document."""
    fields = {"kind": "version", "id": version_id(refid, digest), "refid": refid,
              "digest": digest}
    fields.update({k: whole[k] for k in ("released", "created", "payload")
                   if whole.get(k) is not None})
    return to_document(fields)


def version_document(prepared: PreparedCable, digest: str | None = None) -> tantivy.Document:
    """A new version that does not become the cable document, kept whole."""
    values = prepared.cable_spec[0]
    return _version_document(prepared.refid, digest or prepared.digest,
                             {k: v[0] for k, v in values.items()})


def demoted(stored: dict[str, Any]) -> tantivy.Document:
    """A replaced cable document kept as a version document (its payload as it is)."""
    return _version_document(stored["refid"], stored["digest"], stored)


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
