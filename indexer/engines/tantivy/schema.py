"""The tantivy schema: the Whoosh engine's fields, with the same names and meanings.

One document per paragraph (``kind=para``), one per cable (``kind=cable``, the whole newest
version as compressed JSON in ``payload``), one per older version (``kind=version``); see
``indexer/engines/whoosh/schema.py``. Keyword fields use tantivy's ``raw`` tokenizer (the
value is the term); the columns that filters, sorting and facets read are fast fields.
Three integer columns exist only here: ``created_ts`` (seconds since the epoch, for sorting
and tie-breaks), ``refid_key`` and ``doc_key`` (hashes of the refid and of the document id,
so that hits can be grouped per cable and re-selected without reading stored documents).
"""

from __future__ import annotations

import tantivy

from .analysis import STEM_TOKENIZER, WORDS_TOKENIZER

SCHEMA_VERSION = 2

KIND_PARAGRAPH = "para"
KIND_CABLE = "cable"
KIND_VERSION = "version"

KEYWORD_FIELDS = ("kind", "id", "refid", "marking", "level", "classification", "cable_level",
                  "caveats", "tags", "origin", "month", "cites", "digest")
INTEGER_FIELDS = ("paragraph", "level_rank", "cable_level_rank", "year", "created_ts",
                  "refid_key", "doc_key")
DATE_FIELDS = ("created", "released")
STEMMED_FIELDS = ("subject", "heading", "text")
MULTI_VALUED = ("caveats", "tags", "cites")
# Whoosh indexes these with commas turned to spaces but stores the lists as given: here they
# are stored apart, as JSON in the ``extra`` field (with the original words of texts indexed
# with surrogates, see analysis.py).
STORED_AS_LISTS = ("tags", "caveats")
UNSTORED = ("created_ts", "refid_key", "doc_key")  # columns of our own, not Whoosh fields


FIELD_NAMES = frozenset({*KEYWORD_FIELDS, *INTEGER_FIELDS, *DATE_FIELDS, *STEMMED_FIELDS, "exact",
                         "in_summary", "in_comment", "payload", "extra"})


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    for name in KEYWORD_FIELDS:
        builder.add_text_field(name, stored=name not in STORED_AS_LISTS, fast=True,
                               tokenizer_name="raw", index_option="basic")
    for name in INTEGER_FIELDS:
        builder.add_integer_field(name, stored=name not in UNSTORED,
                                  indexed=True, fast=True)
    for name in DATE_FIELDS:
        builder.add_date_field(name, stored=True, indexed=True, fast=True)
    for name in STEMMED_FIELDS:
        builder.add_text_field(name, stored=True, tokenizer_name=STEM_TOKENIZER,
                               index_option="position")
    builder.add_text_field("exact", stored=False, tokenizer_name=WORDS_TOKENIZER,
                           index_option="position")
    builder.add_boolean_field("in_summary", stored=True, indexed=True)
    builder.add_boolean_field("in_comment", stored=True, indexed=True)
    builder.add_bytes_field("payload", stored=True)
    builder.add_bytes_field("extra", stored=True)  # tags and caveats as given, patches (JSON)
    return builder.build()
