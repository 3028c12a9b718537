"""A cable as tantivy documents, and stored documents back as plain field dicts.

The documents hold the Whoosh engine's values: they are made from the same field rules
(``indexer/engines/whoosh/documents.py``: ``_cable_fields``, ``paragraph_fields``,
``cable_document``), turned into tantivy values by one conversion (``_values``). Stored
documents come back in the shape Whoosh's ``stored_fields`` gives: one value per field,
lists for tags and caveats, naive datetimes, texts as written.

Building is split for the build's processes: ``prepare`` (in a parse worker) does all that
needs no index, and the writer only adds what it gets. A paragraph goes as one JSON string,
which the writer hands to tantivy as it is (``IndexWriter.add_json``: parsed in Rust; a
string also crosses the process boundary far faster than a dict of lists). A paragraph
with a text tantivy must take pre-tokenized (see analysis.py) goes as a spec, a dict of
values plus the tokens, made into a ``tantivy.Document`` in the writer; so does the cable
document (one per cable), whose payload is bytes.

The cable-level part of a paragraph's values is converted and serialised once per cable,
and the words of all its stemmed texts are checked at once (``stemmed_index_values``).
Measured on 3,000 cables of the 10x file (24,629 paragraphs, words already learnt):
``prepare`` 0.088 ms a paragraph before that check, 0.070 after.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Iterator, Union

import tantivy

from ...model import Cable
from ...versions import version_digest
from ..whoosh import documents as whoosh_documents
from .analysis import (IndexValue, Patches, Tokens, index_value, pretokenized_string, restored,
                       stemmed_index_values)
from .schema import (DATE_FIELDS, INTEGER_FIELDS, KEYWORD_FIELDS, MULTI_VALUED, STEMMED_FIELDS,
                     build_schema)

decode_cable = whoosh_documents.decode_cable
paragraph_id = whoosh_documents.paragraph_id
version_id = whoosh_documents.version_id

# zlib's "stored" level: the payload is not compressed here but by tantivy's document store
# (lz4, in the writer's indexing threads). On the corpus replicated 3x, level 6 cost the
# parse worker 0.03 ms CPU per paragraph and level 1 half that; level 0 costs nothing and
# the index is no larger (104 MB against 107 MB at level 1). Its JSON is written with
# non-ASCII characters escaped: 6 µs a paragraph rather than 12.
PAYLOAD_ZLIB_LEVEL = 0
TEXT_FIELDS = (*STEMMED_FIELDS, "exact")
_STORED_LISTS = {"tags": "_stored_tags", "caveats": "_stored_caveats"}
PATCHED = "patched"  # key, in the stored ``extra`` JSON, of the texts' patches


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


_KEYWORD, _KEYWORDS, _INTEGER, _AS_IS, _BOOLEAN = range(5)
_KINDS = {**{name: _KEYWORDS if name in MULTI_VALUED else _KEYWORD for name in KEYWORD_FIELDS},
          **{name: _INTEGER for name in INTEGER_FIELDS}, **{name: _AS_IS for name in DATE_FIELDS},
          "in_summary": _BOOLEAN, "in_comment": _BOOLEAN, "payload": _AS_IS}


def _values(fields: dict[str, Any]) -> dict[str, list]:
    """The values of a Whoosh document dict (or part of one) as tantivy fields take them,
    texts and the stored lists aside; a None value is no value."""
    values: dict[str, list] = {}
    for name, value in fields.items():
        kind = _KINDS.get(name)
        if kind is None or value is None:
            continue
        if kind == _KEYWORD:
            if value:
                values[name] = [str(value)]
        elif kind == _KEYWORDS:
            parts = _keywords(value)
            if parts:
                values[name] = parts
        elif kind == _INTEGER:
            values[name] = [int(value)]
        elif kind == _BOOLEAN:
            values[name] = [bool(value)]
        else:
            values[name] = [value]
    created = fields.get("created")
    if created is not None:
        values["created_ts"] = [int(created.replace(tzinfo=timezone.utc).timestamp())]
    if fields.get("refid"):
        values["refid_key"] = [key_of(fields["refid"])]
    if fields.get("id"):
        values["doc_key"] = [key_of(fields["id"])]
    return values


def _stored_lists(fields: dict[str, Any]) -> dict[str, list[str]]:
    """Tags and caveats as Whoosh stores them (its keyword fields index them comma-joined)."""
    return {name: fields[key] for name, key in _STORED_LISTS.items()
            if key in fields and fields.get(name) is not None}


# ``json.dumps(…, ensure_ascii=False)``'s C encoder, made once (dumps makes one per call:
# 3.2 against 1.2 us for a paragraph's extra)
_extra_encoder = (json.encoder.c_make_encoder(None, json.JSONEncoder().default,
                                              json.encoder.encode_basestring, None, ": ", ", ",
                                              False, False, True)
                  if json.encoder.c_make_encoder is not None else None)


def _extra(stored: dict[str, Any]) -> list[bytes]:
    if not stored:
        return []
    if _extra_encoder is None:
        return [json.dumps(stored, ensure_ascii=False).encode("utf-8")]
    return ["".join(_extra_encoder(stored, 0)).encode("utf-8")]


Pretokenized = list[tuple[str, str, Tokens]]  # (field, text, Whoosh tokens)


def _index_value(text: str, name: str, stemmed: dict[str, IndexValue] | None,
                 fields: dict[str, Any]) -> IndexValue:
    if name == "exact":
        if text.isascii():
            return (text, None, None) if "_" not in text else index_value(text, False)
        # the paragraph's texts joined by newlines: tantivy reads its words as Whoosh does
        # if it reads each part's so (a stemmed value without tokens; the parts are known)
        if stemmed is not None and all(
                stemmed[part][2] is None for part in
                (fields.get("text"), fields.get("heading"), fields.get("subject"))
                if part):
            return text, None, None
        return index_value(text, False)
    found = stemmed.get(text) if stemmed is not None else None
    return found if found is not None else index_value(text, True)


def _texts(fields: dict[str, Any], values: dict[str, list], patched: dict[str, Patches],
           stemmed: dict[str, IndexValue] | None = None) -> Pretokenized:
    """Put the texts of ``fields`` in ``values`` (with surrogates where needed, their patches
    in ``patched``); return those tantivy must take pre-tokenized. ``stemmed``: the index
    values of the cable's stemmed texts, made at once (``stemmed_index_values``)."""
    pretokenized: Pretokenized = []
    for name in TEXT_FIELDS:
        text = fields.get(name)
        if text:
            indexed, patches, tokens = _index_value(text, name, stemmed, fields)
            if tokens is not None:
                pretokenized.append((name, text, tokens))
                continue
            values[name] = [indexed]
            if patches:
                patched[name] = patches
    return pretokenized


Spec = tuple[dict[str, list], Pretokenized]


def document_spec(fields: dict[str, Any]) -> Spec:
    """A tantivy document's values, from a Whoosh document dict: the field values as
    ``tantivy.Document.from_dict`` takes them, and the texts tantivy must take
    pre-tokenized (field, text, Whoosh tokens)."""
    values = _values(fields)
    stored = dict(_stored_lists(fields))
    patched: dict[str, Patches] = {}
    pretokenized = _texts(fields, values, patched)
    if patched:
        stored[PATCHED] = patched
    if stored:
        values["extra"] = _extra(stored)
    return values, pretokenized


def _json_value(value: Any) -> Any:
    """Dates and bytes as tantivy's JSON documents take them (RFC 3339, base64)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.isoformat() + "Z"
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} in a tantivy document")


_encode_json = json.JSONEncoder(default=_json_value, separators=(",", ":")).encode
# json's C encoder, made once: ``JSONEncoder.encode`` makes one per call (a third of the
# cost for a paragraph's values); the same arguments, so the same output
_c_encoder = (json.encoder.c_make_encoder(None, _json_value, json.encoder.encode_basestring_ascii,
                                          None, ":", ",", False, False, True)
              if json.encoder.c_make_encoder is not None else None)


def _json(values: dict[str, list]) -> str:
    if _c_encoder is None:
        return _encode_json(values)
    return "".join(_c_encoder(values, 0))


Paragraph = Union[str, Spec]  # a JSON document, or a spec where a text is pre-tokenized


def paragraph_specs(cable: Cable) -> list[Paragraph]:
    """The cable's paragraph documents, each the JSON of ``document_spec`` of its Whoosh
    document (or that spec itself, when a text must go pre-tokenized)."""
    shared_fields = whoosh_documents._cable_fields(cable)
    shared = _values(shared_fields)
    shared_json = _json(shared)[1:-1]
    shared_lists = _stored_lists(shared_fields)
    out: list[Paragraph] = []
    extras: dict[tuple, list[bytes]] = {}  # by the paragraph's stored caveats
    stemmed = stemmed_index_values(filter(None, (
        cable.subject, *(t for p in cable.paragraphs for t in (p.heading, p.text)))))
    for paragraph, doc_id in whoosh_documents.paragraph_ids(cable):
        fields = whoosh_documents.paragraph_fields(cable, paragraph, doc_id)
        values = _values(fields)
        patched: dict[str, Patches] = {}
        pretokenized = _texts(fields, values, patched, stemmed)
        lists = _stored_lists(fields)
        if patched:
            values["extra"] = _extra({**shared_lists, **lists, PATCHED: patched})
        else:  # the same for most paragraphs of a cable
            key = tuple(lists.get("caveats") or ())
            found = extras.get(key)
            if found is None:
                found = extras[key] = _extra({**shared_lists, **lists})
            if found:
                values["extra"] = found
        if pretokenized:
            out.append(({**shared, **values}, pretokenized))
        else:
            out.append("{" + ",".join(filter(None, (_json(values)[1:-1], shared_json))) + "}")
    return out


@functools.cache
def _schema() -> tantivy.Schema:
    return build_schema()


def build_document(spec: Spec) -> tantivy.Document:
    """The tantivy document of a spec."""
    values, pretokenized = spec
    doc = tantivy.Document.from_dict(values, _schema())
    for name, text, tokens in pretokenized:
        doc.add_pre_tokenized_text(name, pretokenized_string(text, tokens))
    return doc


def to_document(fields: dict[str, Any]) -> tantivy.Document:
    """One tantivy document from a Whoosh document dict."""
    return build_document(document_spec(fields))


def add_document(writer: tantivy.IndexWriter, doc: str | tantivy.Document) -> None:
    """Add a document, given as JSON or as a ``tantivy.Document``."""
    if type(doc) is str:
        writer.add_json(doc)
    else:
        writer.add_document(doc)


@dataclass(slots=True)
class PreparedCable:
    """A cable with its documents' index-free work done (``TantivyEngine.prepare``, run in
    a parse worker): what the writer needs to plan the write, and the documents. The
    cable itself is not kept: the documents hold all of it, and sending less is faster."""

    refid: str
    digest: str
    released: date | None  # what ``writing.plan_write`` reads of a candidate version
    paragraphs: list[Paragraph]
    cable_spec: Spec


def prepare(cable: Cable) -> PreparedCable:
    digest = version_digest(cable)
    whole = whoosh_documents.cable_document(cable, digest, PAYLOAD_ZLIB_LEVEL, ascii=True)
    return PreparedCable(cable.refid, digest, cable.released, paragraph_specs(cable),
                         document_spec(whole))


def paragraph_documents(prepared: PreparedCable) -> Iterator[str | tantivy.Document]:
    for doc in prepared.paragraphs:
        yield doc if type(doc) is str else build_document(doc)


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
        if name == "extra":
            out.update(json.loads(values[0]))
        elif name in MULTI_VALUED:
            out[name] = ",".join(values)
        elif values:
            out[name] = values[0]
    for name, patches in out.pop(PATCHED, {}).items():
        out[name] = restored(out[name], patches)
    return out
