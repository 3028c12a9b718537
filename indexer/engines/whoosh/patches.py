"""Small, safe fixes to Whoosh 2.7.4 internals, applied on import of the engine.

W3PerDocReader._cached_reader caches a field's length column, but not its absence: for
every posting of a field without lengths (ID, NUMERIC, KEYWORD …) writing a segment asks
the file system whether the column file exists. On an index of these fields that is one
``stat`` call per posting and about a quarter of the writing time. The absence is cached
here too (a segment's files never change once written).
"""

from __future__ import annotations

from whoosh.codec import whoosh3

_MISSING = object()


def _cached_reader(self, fieldname, column):
    reader = self._readers.get(fieldname, _MISSING)
    if reader is _MISSING:
        reader = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        self._readers[fieldname] = reader
    return reader


whoosh3.W3PerDocReader._cached_reader = _cached_reader
