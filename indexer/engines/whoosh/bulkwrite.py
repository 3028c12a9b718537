"""A Whoosh segment writer that inverts a commit in memory and writes posting lists whole.

Whoosh's ``SegmentWriter`` sends every posting (field, term, document, weight, value)
through a ``PostingPool``: sorted runs pickled to temporary files, merged back one posting
at a time with ``heapq.merge``, and fed to the codec one ``add`` call per posting, which
buffers it into 128-posting blocks. That pipeline was ~75% of our write CPU.

``BulkSegmentWriter`` is the same writer (locking, deletions, merge policy, commit and TOC
are Whoosh's) except for where postings go: a dict of (field, term) -> postings, sorted
once by term when the segment is flushed, each term's list cut into the codec's blocks and
encoded by the codec's block writer (pickled with protocol 3, a frequent term's blocks left
uncompressed: see BLOCK_PROTOCOL and RAW_FROM_POSTINGS). The segments hold the same
documents, stored fields, columns, terms and posting blocks as Whoosh's writer makes from
the same documents (tests/test_whoosh_bulkwrite.py compares them: the column files byte for
byte, the posting blocks decoded, since a block's pickle may share equal values that
Whoosh's pool, once it has spilled to disk, no longer shares).

Documents may come analyzed (``analyze_document``, run in the build's parse workers by
``WhooshEngine.prepare``): the writer then only appends their postings and per-document
values. When something needs Whoosh's pool after all (a merge of older segments adds
their postings to it; a field with spelling or term vectors), the in-memory postings are
moved into the pool and the segment is flushed Whoosh's way, so the result is the same.
"""

from __future__ import annotations

import zlib
from array import array
from dataclasses import dataclass
from itertools import chain, repeat
from operator import add, sub
from pickle import dumps
from typing import Any, Iterable, Sequence

from whoosh.codec.whoosh3 import STORED_COLUMN, WHOOSH3_HEADER_MAGIC, W3PostingsWriter
from whoosh.columns import VarBytesColumn
from whoosh.filedb.structfile import StructFile
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

# One posting in memory: (docnum, weight, encoded value, the field length Whoosh's block
# statistics see: byte-quantized, 0 when the field keeps none).
Posting = tuple[int, float, bytes, int]

# Rough bytes a posting costs in the dict (tuple, int, float, a share of the value bytes),
# to keep a commit within its memory share: past it the postings go to Whoosh's pool.
BYTES_PER_POSTING = 120

_NO_COLUMN = ...  # a singleton that survives pickling (the documents cross processes)
_STORED_LEVEL = STORED_COLUMN._child._level  # the stored fields: a pickle, zlib-compressed


@dataclass(slots=True)
class AnalyzedDocument:
    """One document as ``SegmentWriter.add_document`` would write it.

    ``values``: per field, in Whoosh's order (sorted names): (field name, field length,
    column value or _NO_COLUMN when the field has no column).
    ``stored``: the stored fields as the stored column keeps them (None: none).
    ``postings``: (field name, term bytes, weight, encoded value, quantized length)."""

    values: list[tuple[str, int, Any]]
    stored: bytes | None
    postings: list[tuple[str, bytes, float, bytes, int]]


@dataclass(slots=True)
class AnalyzedGroup:
    """Consecutive documents (one cable's), their postings grouped by term: (field, term)
    -> [(document's position in the group, weight, encoded value, quantized length)]."""

    documents: list[tuple[list[tuple[str, int, Any]], bytes | None]]
    terms: dict[tuple[str, bytes], list[tuple[int, float, bytes, int]]]


def group_documents(documents: Iterable[AnalyzedDocument]) -> AnalyzedGroup:
    terms: dict[tuple[str, bytes], list[tuple[int, float, bytes, int]]] = {}
    values = []
    for local, doc in enumerate(documents):
        values.append((doc.values, doc.stored))
        for fieldname, tbytes, weight, vbytes, qlen in doc.postings:
            key = (fieldname, tbytes)
            found = terms.get(key)
            if found is None:
                terms[key] = [(local, weight, vbytes, qlen)]
            else:
                found.append((local, weight, vbytes, qlen))
    return AnalyzedGroup(values, terms)


def quantized_length(length: int) -> int:
    """The field length a segment's length column gives back (one byte, logarithmic)."""
    return byte_to_length(length_to_byte(length)) if length else 0


class NeedsWhooshWriter(Exception):
    """A document with a feature the bulk path does not write (spelling, vectors)."""


def analyze_document(schema, fields: dict[str, Any],
                     shared: dict[Any, Any] | None = None) -> AnalyzedDocument:
    """What ``SegmentWriter.add_document(**fields)`` computes before it writes anything.

    ``shared``: a cache of field values already analyzed (the same value gets the same
    posting tuples), for documents that repeat values, such as one cable's paragraphs."""
    docboost = float(fields["_boost"]) if "_boost" in fields else 1.0
    fieldnames = sorted(name for name in fields if not name.startswith("_"))
    values: list[tuple[str, int, Any]] = []
    stored: dict[str, Any] = {}
    postings: list[tuple[str, bytes, float, bytes, int]] = []
    for fieldname in fieldnames:
        value = fields[fieldname]
        if value is None:
            continue
        field = schema[fieldname]  # KeyError for an unknown field, as Whoosh's UnknownFieldError
        if field.separate_spelling() or field.vector:
            raise NeedsWhooshWriter(fieldname)
        length = 0
        if field.indexed:
            boostkw = f"_{fieldname}_boost"
            fieldboost = float(fields[boostkw]) if boostkw in fields else docboost
            key = (fieldname, value, fieldboost) if shared is not None and _hashable(value) else None
            found = shared.get(key) if key is not None else None
            if found is None:
                found = _field_postings(fieldname, field, value, fieldboost)
                if key is not None:
                    shared[key] = found
            length, own = found
            postings.extend(own)
        customval = fields.get(f"_stored_{fieldname}", value)
        if field.stored and customval is not None:
            stored[fieldname] = customval
        column = field.column_type
        cv = field.to_column_value(customval) if column and customval is not None else _NO_COLUMN
        values.append((fieldname, length, cv))
    storedbytes = zlib.compress(dumps(stored, 2), _STORED_LEVEL) if stored else None
    return AnalyzedDocument(values, storedbytes, postings)


def _hashable(value: Any) -> bool:
    return isinstance(value, (str, int, float, bytes)) or hasattr(value, "isoformat")


def _field_postings(fieldname: str, field, value: Any,
                    fieldboost: float) -> tuple[int, list[tuple[str, bytes, float, bytes, int]]]:
    """(field length, postings) of one field value."""
    items = [(tbytes, weight * fieldboost, b"" if vbytes is None else vbytes, freq)
             for tbytes, freq, weight, vbytes in field.index(value)]
    length = sum(item[3] for item in items) if field.scorable else 0
    qlen = quantized_length(length)
    return length, [(fieldname, tbytes, weight, vbytes, qlen)
                    for tbytes, weight, vbytes, _ in items]


Columns = tuple[Sequence[int], Sequence[float], Sequence[bytes], Sequence[int]]


# A term's postings in a commit: the first docnum of each group holding it, and the group's
# postings of the term (document positions in the group), in two parallel lists.
Runs = tuple[list[int], list[list[Posting]]]


def _columns(runs: Runs) -> Columns:
    """A term's postings as columns (document numbers, weights, encoded values, quantized
    lengths) from its runs; transposed and offset in C, not one Python tuple per posting
    or per run."""
    bases, groups = runs
    if len(groups) == 1:
        base, (postings,) = bases[0], groups
        locals_, weights, values, lengths = zip(*postings)
        return (list(map(base.__add__, locals_)) if base else locals_), weights, values, lengths
    locals_, weights, values, lengths = zip(*chain.from_iterable(groups))
    offsets = chain.from_iterable(map(repeat, bases, map(len, groups)))
    return list(map(add, locals_, offsets)), weights, values, lengths


def _write_term(postwriter, columns: Columns) -> None:
    """Fill the codec's block buffer 128 postings at a time, as ``add_posting`` would, and
    write every full block; the last one is left for ``finish_postings``."""
    limit = postwriter._blocklimit
    all_ids, all_weights, all_values, all_lengths = columns
    count = len(all_ids)
    postwriter._compression = 0 if count >= RAW_FROM_POSTINGS else postwriter.level
    for start in range(0, count, limit):
        end = start + limit
        postwriter._ids = array("I", all_ids[start:end])
        weights = all_weights[start:end]
        postwriter._weights = array("f", weights)
        postwriter._values = list(filter(None, all_values[start:end]))
        top = max(weights)  # (of the floats given, as add_posting: not the array's float32)
        postwriter._maxweight = top if top > 0 else 0
        present = list(filter(None, all_lengths[start:end]))
        postwriter._minlength = min(present) if present else None
        postwriter._maxlength = max(present) if present else 0
        if end < count:
            postwriter._write_block()


# A block's data is pickled with protocol 3 rather than Whoosh's 2: protocol 2 writes each
# value (bytes: a posting's positions) as a call of codecs.encode on a str, protocol 3 as
# bytes. Whoosh reads either (pickle.loads), the block is ~40% smaller, and pickling a
# 128-posting block with positions is ~8x faster, unpickling ~7x, compressing it ~2x.
BLOCK_PROTOCOL = 3
# The blocks of a term this frequent in the segment are stored uncompressed (each block
# says how it is stored; Whoosh reads both). These are the blocks a phrase with a common
# word reads by the thousand: "the" at 10x, 1,305 blocks, zlib 2.8 MB vs 7.6 MB raw, but
# decompressing took 25 us a block against 8 us to unpickle it.
RAW_FROM_POSTINGS = 1024


class _CompactBlockWriter(W3PostingsWriter):
    """Whoosh 3's postings writer with its blocks' data pickled with BLOCK_PROTOCOL
    (``W3PostingsWriter._write_block`` otherwise)."""

    @classmethod
    def like(cls, postwriter: W3PostingsWriter) -> "_CompactBlockWriter":
        return cls(postwriter._postfile, postwriter._blocklimit, postwriter._byteids,
                   postwriter._compression, postwriter._inlinelimit)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.level = self._compression  # the codec's; _write_term may store a term raw

    def _mini_ids(self) -> tuple[int, ...]:  # Whoosh's, the deltas taken in C
        ids = self._ids
        return tuple(ids) if self._byteids else tuple(map(sub, ids, chain((0,), ids)))

    def _mini_weights(self) -> tuple[float, ...] | float | None:  # Whoosh's, counted in C
        weights = self._weights
        first = weights[0]
        if weights.count(first) != len(weights):
            return tuple(weights)
        return None if first == 1.0 else first

    def _write_block(self, last: bool = False) -> None:
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        data = dumps((self._mini_ids(), self._mini_weights(), self._mini_values()),
                     BLOCK_PROTOCOL)
        comp = self._compression  # (Whoosh compresses even a tiny block)
        if comp:
            data = zlib.compress(data, comp)
        ids = self._ids
        info = dumps((len(ids), ids[-1], self._maxweight, comp,
                      length_to_byte(self._minlength), length_to_byte(self._maxlength)), 2)
        length = len(info) + len(data)
        self._postfile.write_int(-length if last else length)
        self._postfile.write(info)
        self._postfile.write(data)
        self._blockcount += 1
        self._new_block()


class _CountingFile(StructFile):
    """The postings file, its position counted here: the codec asks for it twice a term,
    and a buffered file's ``tell`` was ~7% of writing a segment."""

    def __init__(self, inner: StructFile) -> None:  # (not StructFile's: nothing to open)
        self.file = inner.file
        self._pos = inner.tell()

    def write(self, data) -> None:
        self._pos += len(data)
        self.file.write(data)

    def tell(self) -> int:
        return self._pos


class BulkSegmentWriter(SegmentWriter):
    """``SegmentWriter`` with the postings of new documents inverted in memory."""

    def __init__(self, ix, bulkmb: int = 512, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        self._terms: dict[tuple[str, bytes], Runs] = {}
        self._postings = 0
        self._max_postings = bulkmb * 1024 * 1024 // BYTES_PER_POSTING
        self._pooled = False  # the in-memory postings went to Whoosh's pool

    # --- adding ---------------------------------------------------------------------------

    def add_document(self, **fields: Any) -> None:
        self._check_state()
        self._check_fields(self.schema, [n for n in fields if not n.startswith("_")])
        try:
            doc = analyze_document(self.schema, fields)
        except NeedsWhooshWriter:
            self._to_pool()
            return super().add_document(**fields)
        self.add_analyzed(doc)

    def add_analyzed(self, doc: AnalyzedDocument) -> None:
        """Add a document ``analyze_document`` made (with this writer's schema)."""
        self.add_group(group_documents([doc]))

    def add_group(self, group: AnalyzedGroup) -> None:
        """Add the documents of a group, in order."""
        self._check_state()
        schema = self.schema
        base = self.docnum
        perdoc = self.perdocwriter
        for values, stored in group.documents:
            perdoc.start_doc(self.docnum)
            for fieldname, length, cv in values:
                field = schema[fieldname]
                perdoc.add_field(fieldname, field, None, length)
                if cv is not _NO_COLUMN:
                    perdoc.add_column_value(fieldname, field.column_type, cv)
            if stored is not None:  # what finish_doc would add, pickled and compressed
                if not perdoc._has_column("_stored"):
                    perdoc._create_column("_stored", STORED_COLUMN)
                VarBytesColumn.Writer.add(perdoc._get_column("_stored")._child, self.docnum,
                                          stored)
            perdoc.finish_doc()
            self.docnum += 1
        if self._pooled:
            add = self.pool.add
            for (fieldname, tbytes), postings in group.terms.items():
                for local, weight, vbytes, _ in postings:
                    add((fieldname, tbytes, base + local, weight, vbytes))
        else:
            terms = self._terms
            count = 0
            for key, postings in group.terms.items():
                found = terms.get(key)
                if found is None:
                    terms[key] = ([base], [postings])
                else:
                    found[0].append(base)
                    found[1].append(postings)
                count += len(postings)
            self._postings += count
            if self._postings > self._max_postings:
                self._to_pool()
        self._added = True

    def _to_pool(self) -> None:
        """From now on, postings go through Whoosh's pool (the ones so far too)."""
        if self._pooled:
            return
        add = self.pool.add
        for (fieldname, tbytes), runs in self._terms.items():
            ids, weights, values, _ = _columns(runs)
            for docnum, weight, vbytes in zip(ids, weights, values):
                add((fieldname, tbytes, docnum, weight, vbytes))
        self._terms = {}
        self._postings = 0
        self._pooled = True

    # --- flushing -------------------------------------------------------------------------

    def _flush_segment(self) -> None:
        if self._pooled or self.pool.current or self.pool.runs:  # merged segments
            self._to_pool()
            return super()._flush_segment()
        self.perdocwriter.close()
        fieldwriter = self.fieldwriter
        schema = self.schema
        terms = self._terms
        current = None
        postfile = fieldwriter._postfile
        fieldwriter._postfile = _CountingFile(postfile)
        for key in sorted(terms):
            fieldname, tbytes = key
            if fieldname != current:
                if current is not None:
                    fieldwriter.finish_field()
                fieldwriter.start_field(fieldname, schema[fieldname])
                fieldwriter._postwriter = _CompactBlockWriter.like(fieldwriter._postwriter)
                current = fieldname
            fieldwriter.start_term(tbytes)
            _write_term(fieldwriter._postwriter, _columns(terms[key]))
            fieldwriter.finish_term()
        if current is not None:
            fieldwriter.finish_field()
        fieldwriter._postfile = postfile
        fieldwriter.close()
        self._terms = {}

    def _close_segment(self) -> None:
        self._terms = {}
        super()._close_segment()
