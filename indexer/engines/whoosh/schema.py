"""The Whoosh schema: one document per paragraph, one per cable, one per older version.

``kind`` tells the three apart: ``para`` documents are what search ranks; a ``cable``
document holds the whole newest cable (compressed JSON) so it can be shown without the
source files; ``version`` documents hold every other version the index has seen.
All of one cable's documents are written in one commit, so a cable is whole or absent.

Schema 2 added ``text_pairs`` (``pairs.py``). An index of schema 1 still opens and grows
without it: its documents are written without pairs, its phrases checked by positions.
"""

from __future__ import annotations

from whoosh import fields

from .analysis import LeanText
from .pairs import FIELD_SUFFIX, WordPairs

SCHEMA_VERSION = 2  # 2: text_pairs
READS_SCHEMA_VERSIONS = (1,)  # older indexes still opened: phrases are checked by positions
TEXT_PAIRS = "text" + FIELD_SUFFIX

KIND_PARAGRAPH = "para"
KIND_CABLE = "cable"
KIND_VERSION = "version"


def _datetime(shift_step: int) -> fields.DATETIME:
    """A stored, sortable DATETIME with its own precision tiers (the constructor fixes 8)."""
    field = fields.DATETIME(stored=True, sortable=True)
    field.shift_step = shift_step
    return field


def build_schema() -> fields.Schema:
    # Fewer numeric precision tiers: each tier is one posting per paragraph (Whoosh's default
    # is 8 for ints and dates). Small integers and the few release days need none (a range
    # enumerates the few terms); created dates keep 4 tiers for fast date ranges.
    return fields.Schema(
        kind=fields.ID(stored=True),
        id=fields.ID(stored=True, unique=True),
        refid=fields.ID(stored=True, sortable=True),
        paragraph=fields.NUMERIC(int, stored=True, sortable=True, shift_step=0),
        marking=fields.ID(stored=True, sortable=True),
        level=fields.ID(stored=True, sortable=True),
        level_rank=fields.NUMERIC(int, stored=True, sortable=True, shift_step=0),
        classification=fields.ID(stored=True, sortable=True),
        cable_level=fields.ID(stored=True, sortable=True),
        cable_level_rank=fields.NUMERIC(int, stored=True, sortable=True, shift_step=0),
        caveats=fields.KEYWORD(stored=True, lowercase=False, commas=True),
        tags=fields.KEYWORD(stored=True, lowercase=False, commas=True),
        origin=fields.ID(stored=True, sortable=True),
        created=_datetime(shift_step=16),
        year=fields.NUMERIC(int, stored=True, sortable=True, shift_step=0),
        month=fields.ID(stored=True, sortable=True),  # "2009-08", for the histogram
        released=_datetime(shift_step=0),  # few distinct days
        subject=LeanText(stemmed=True, stored=True, field_boost=0.2),
        heading=LeanText(stemmed=True, stored=True, field_boost=0.5),
        text=LeanText(stemmed=True, stored=True),  # highlights re-analyze
        text_pairs=WordPairs(of="text"),  # the text's word pairs with a common word
        exact=LeanText(stemmed=False),  # unstemmed text+heading+subject
        in_summary=fields.BOOLEAN(stored=True),
        in_comment=fields.BOOLEAN(stored=True),
        cites=fields.KEYWORD(stored=True, commas=True),
        digest=fields.ID(stored=True),  # kind=cable/version: the version's content hash
        payload=fields.STORED(),  # kind=cable/version: the whole cable, zlib-compressed JSON
    )
