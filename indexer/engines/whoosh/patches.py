"""Small, safe fixes to Whoosh 2.7.4 internals, applied on import of the engine.

W3PerDocReader._cached_reader caches a field's length column, but not its absence: for
every posting of a field without lengths (ID, NUMERIC, KEYWORD …) writing a segment asks
the file system whether the column file exists. On an index of these fields that is one
``stat`` call per posting and about a quarter of the writing time. The absence is cached
here too (a segment's files never change once written).

BufferFile (a file inside a compound segment, read through the segment's mmap) wraps its
buffer in a BytesIO, and BytesIO copies it: opening a reader copied every segment's postings
and term index into the heap. On an index of 50,000 paragraphs that was 240 MB per reader,
plus the mapped pages the copy touched; a build opens two readers per commit, and any
writer process forked from it (Whoosh's MpWriter) started that much larger. Here the file
reads the buffer in place.
"""

from __future__ import annotations

import os

from whoosh.codec import whoosh3
from whoosh.filedb import structfile

_MISSING = object()


def _cached_reader(self, fieldname, column):
    reader = self._readers.get(fieldname, _MISSING)
    if reader is _MISSING:
        reader = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        self._readers[fieldname] = reader
    return reader


whoosh3.W3PerDocReader._cached_reader = _cached_reader


class _BufferReader:
    """A read-only file over a buffer (a slice of a segment's mmap), without copying it."""

    def __init__(self, buf) -> None:
        self._buf = memoryview(buf)
        self._pos = 0
        self.closed = False

    def read(self, size: int | None = -1) -> bytes:
        start = self._pos
        end = len(self._buf) if size is None or size < 0 else min(len(self._buf), start + size)
        self._pos = max(start, end)
        return bytes(self._buf[start:end])

    def peek(self, size: int = 1) -> memoryview:
        """The bytes ahead, not consumed: pickle reads a whole pickle with one call of this
        (without it, one Python-level read per opcode: ten times slower)."""
        return self._buf[self._pos:self._pos + max(size, 1)]

    def readinto(self, target) -> int:
        data = self.read(len(target))
        target[:len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        line = bytearray()
        while size is None or size < 0 or len(line) < size:
            byte = self.read(1)
            line += byte
            if not byte or byte == b"\n":
                break
        return bytes(line)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: len(self._buf)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


_buffer_file_init = structfile.BufferFile.__init__


def _buffer_file_init_in_place(self, buf, name=None, onclose=None):
    _buffer_file_init(self, b"", name=name, onclose=onclose)
    self._buf = buf
    self.file = _BufferReader(buf)


structfile.BufferFile.__init__ = _buffer_file_init_in_place


# W3PerDocReader.doc_field_length reads a field length with a seek and a one-byte read per
# call: once per posting when a segment is written (block statistics) and once per scored
# document in a search. Here a segment's length column of a field is read once, whole
# (one byte per document), and looked up in memory (about 3% less write CPU, one writer).
from whoosh.util.numeric import byte_to_length  # noqa: E402

_LENGTH_OF_BYTE = (None,) + tuple(byte_to_length(b) for b in range(1, 256))


def _length_bytes(self, fieldname):
    cache = self.__dict__.setdefault("_length_bytes", {})
    data = cache.get(fieldname, _MISSING)
    if data is _MISSING:
        reader = self._cached_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
        data = None if reader is None else reader._dbfile.get(reader._basepos, reader._count)
        cache[fieldname] = data
    return data


def _doc_field_length(self, docnum, fieldname, default=0):
    if docnum > self._doccount:
        raise IndexError("Asked for docnum %r of %d" % (docnum, self._doccount))
    data = _length_bytes(self, fieldname)
    if data is None:
        return default
    return _LENGTH_OF_BYTE[data[docnum]] if docnum < len(data) else None


whoosh3.W3PerDocReader.doc_field_length = _doc_field_length
