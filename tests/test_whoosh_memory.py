"""Opening the Whoosh index reads segment files in place, not copied into the heap.

Whoosh 2.7.4 wrapped each file of a compound segment in a BytesIO, which copies it: every
reader held a heap copy of the postings and term index of every segment, so a build (two
readers per commit, and writer processes forked from the main one) grew by the index's
size at each commit (2.1 GB at 52,000 paragraphs). indexer/engines/whoosh/patches.py
reads the mmap in place.
"""

from __future__ import annotations

import tracemalloc

import pytest

from indexer.engines.registry import create_index, open_index
from indexer.parse import parse_path

pytestmark = pytest.mark.corpus


def test_a_searcher_does_not_copy_the_segments_into_memory(corpus, tmp_path):
    pages = sorted((corpus / "cablegate-html" / "2009").rglob("*.html"))[:60]
    cables = [c for path in pages for c in parse_path(path, on_skip=lambda s, r: None)]
    engine = create_index(tmp_path / "ix")
    try:
        engine.write(cables[:30])
        engine.write(cables[30:])
    finally:
        engine.close()
    segments = sum(p.stat().st_size for p in (tmp_path / "ix").glob("*.seg"))
    assert segments > 2_000_000

    engine = open_index(tmp_path / "ix")
    try:
        tracemalloc.start()
        try:
            searcher = engine.searcher()
            opened, _peak = tracemalloc.get_traced_memory()
            assert searcher.doc_count() > len(cables)
            assert engine.cable(cables[-1].refid).body == cables[-1].body  # reads work
        finally:
            tracemalloc.stop()
    finally:
        engine.close()
    assert opened < segments / 10, (opened, segments)
