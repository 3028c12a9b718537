"""The bulk segment writer (engines/whoosh/bulkwrite.py) against Whoosh's own writer.

The same cables built both ways must give the same index: the same segments with the
same documents, stored fields, columns and lengths byte for byte, the same terms with the
same statistics, and the same posting blocks once decoded (the pickles may differ only in
how often pickle shares an object and in their protocol, and a frequent term's blocks are
stored raw). Then the same answers, and writing on top of a bulk-written index (replacing,
removing, re-adding) must go on as on any other.
"""

from __future__ import annotations

import io
import pickle
import zlib
from datetime import date
from pathlib import Path

import pytest

from indexer.build import SEND_CABLES, build_index, remove_cables
from indexer.engines.base import SearchRequest
from indexer.engines.whoosh.engine import WhooshEngine
from indexer.parse import build_cable
from indexer.reading import read_path

CABLES = 260  # about 2,000 paragraphs: two commits of at most 1,000
QUERIES = ["iran", "nuclear program", '"prime minister"', "embassy AND security",
           "oil OR gas", "-the election", "minist*", "tags:PREL", "origin:\"Embassy London\"",
           "subject:visit", "exact:talks"]
FACETS = ["tags", "origin", "classification", "year"]


def _cables(corpus: Path) -> list:
    raws = read_path(corpus / "cables-csv" / "cables-dev.csv", on_skip=lambda s, r: None)
    return [build_cable(raw) for _, raw in zip(range(CABLES), raws)]


def _build(path: Path, cables: list, bulk: bool) -> WhooshEngine:
    engine = WhooshEngine.create(path)
    if not bulk:
        engine.use_library_writer_defaults()
    prepare = engine.build_prepare()
    prepared = [item for start in range(0, len(cables), SEND_CABLES)
                for item in prepare(cables[start:start + SEND_CABLES])]
    # commits of about 1,000 paragraphs: some cut a batch prepared together, whose cables
    # are then added one by one (bulk: split out of the batch), the others whole
    batch, paragraphs = [], 0
    for cable, item in zip(cables, prepared):
        batch.append(item)
        paragraphs += len(cable.paragraphs)
        if paragraphs >= 1000:
            engine.write(batch)
            batch, paragraphs = [], 0
    engine.write(batch)
    return engine


def _segment_files(engine: WhooshEngine) -> list[dict[str, bytes]]:
    ix = engine.index
    found = []
    for segment in ix._segments():
        storage = (segment.open_compound_file(ix.storage) if segment.is_compound()
                   else ix.storage)
        files = {}
        for name in storage.list():
            with storage.open_file(name) as f:
                files[name.split(".", 1)[1]] = f.read()
        found.append(files)
    return found


def _blocks(postings: bytes) -> list[tuple]:
    """A term's posting blocks, decoded: (block info, (ids, weights, values))."""
    assert postings[:4] == b"W3Bl"  # whoosh3.WHOOSH3_HEADER_MAGIC
    blocks, pos = [], 4
    while pos < len(postings):
        length = abs(int.from_bytes(postings[pos:pos + 4], "big", signed=True))
        body = io.BytesIO(postings[pos + 4:pos + 4 + length])
        info = pickle.load(body)  # the block info, then the block's data
        data = body.read()
        if info[3]:
            data = zlib.decompress(data)
        blocks.append((info, pickle.loads(data)))
        pos += 4 + length
    return blocks


def _terms(engine: WhooshEngine, segment_number: int) -> list[tuple]:
    reader = engine.index.reader()
    leaf = reader.leaf_readers()[segment_number][0]
    terms = leaf._terms
    postfile = terms._postfile
    rows = []
    for key, info in terms.items():
        offset, length = info.extent()
        length = length[0] if isinstance(length, tuple) else length  # (Whoosh unpacks a tuple)
        stats = (info._weight, info._df, info._minlength, info._maxlength, info._maxweight,
                 info._minid, info._maxid)
        rows.append((key, stats, _blocks(postfile.get(offset, length))))
    reader.close()
    return rows


@pytest.fixture(scope="module")
def both(corpus, tmp_path_factory):
    cables = _cables(corpus)
    root = tmp_path_factory.mktemp("bulk")
    whoosh = _build(root / "whoosh", cables, bulk=False)
    bulk = _build(root / "bulk", cables, bulk=True)
    yield whoosh, bulk
    whoosh.close()
    bulk.close()


def test_the_bulk_writer_is_the_default(tmp_path):
    engine = WhooshEngine.create(tmp_path / "ix")
    assert engine.writer_options.get("bulk")
    engine.use_library_writer_defaults()
    assert not engine.writer_options.get("bulk")


def test_same_segments_documents_and_columns(both):
    whoosh, bulk = both
    ours, theirs = _segment_files(bulk), _segment_files(whoosh)
    assert len(ours) == len(theirs) >= 2
    for mine, reference in zip(ours, theirs):
        assert sorted(mine) == sorted(reference)
        for ext in mine:
            if ext not in ("pst", "trm"):  # terms point into the postings: compared decoded
                assert mine[ext] == reference[ext], ext
    for segment, reference in zip(bulk.index._segments(), whoosh.index._segments()):
        assert segment.doc_count_all() == reference.doc_count_all()
        assert segment._fieldlengths == reference._fieldlengths


def _same_terms(ours_engine: WhooshEngine, theirs_engine: WhooshEngine, raw_from: int) -> int:
    """Assert the same terms, statistics and decoded blocks in every segment, the blocks of
    terms with ``raw_from`` postings or more stored raw (compression 0), the others as
    Whoosh stores them; the number of terms stored raw."""
    stored_raw = 0
    for number in range(len(ours_engine.index._segments())):
        ours, theirs = _terms(ours_engine, number), _terms(theirs_engine, number)
        assert len(ours) == len(theirs) > 1000
        for (key, stats, blocks), (their_key, their_stats, their_blocks) in zip(ours, theirs):
            assert (key, stats) == (their_key, their_stats)
            frequent = sum(info[0] for info, _ in blocks) >= raw_from
            stored_raw += frequent
            assert [info[3] for info, _ in blocks] == \
                [0 if frequent else info[3] for info, _ in their_blocks]
            assert [(info[:3] + info[4:], data) for info, data in blocks] == \
                [(info[:3] + info[4:], data) for info, data in their_blocks]
    return stored_raw


def test_same_terms_statistics_and_posting_blocks(both):
    from indexer.engines.whoosh.bulkwrite import RAW_FROM_POSTINGS

    whoosh, bulk = both
    _same_terms(bulk, whoosh, RAW_FROM_POSTINGS)


def test_frequent_terms_are_stored_raw(both, corpus, tmp_path, monkeypatch):
    """A term with RAW_FROM_POSTINGS postings or more in a segment has its blocks stored
    uncompressed (each block's info says so), here from 100 postings: many terms."""
    from indexer.engines.whoosh import bulkwrite

    monkeypatch.setattr(bulkwrite, "RAW_FROM_POSTINGS", 100)
    whoosh, _ = both
    raw = _build(tmp_path / "raw", _cables(corpus), bulk=True)
    try:
        assert _same_terms(raw, whoosh, 100) > 100
    finally:
        raw.close()


def test_same_answers(both):
    whoosh, bulk = both
    for query in QUERIES:
        for per_cable in (False, True):
            request = SearchRequest(query, limit=50, per_cable=per_cable, facets=FACETS)
            ours, theirs = bulk.search(request), whoosh.search(request)
            assert ours.total == theirs.total > 0 or query.startswith("-"), query
            assert ([(h.refid, h.paragraph, h.score, h.fields, h.matched_in_cable)
                     for h in ours.hits]
                    == [(h.refid, h.paragraph, h.score, h.fields, h.matched_in_cable)
                        for h in theirs.hits]), query
            assert ours.facets == theirs.facets, query
    dated = SearchRequest("economy", date_from=date(1966, 1, 1), date_to=date(2006, 12, 31),
                          sort="date", limit=30)
    ours, theirs = bulk.search(dated), whoosh.search(dated)
    assert ours.total == theirs.total > 0
    assert [(h.refid, h.paragraph, h.score) for h in ours.hits] == \
        [(h.refid, h.paragraph, h.score) for h in theirs.hits]
    assert bulk.stats() | {"size_bytes": 0} == whoosh.stats() | {"size_bytes": 0}


def _answers(index: Path) -> list:
    engine = WhooshEngine.open(index)
    try:
        found = []
        for query in QUERIES[:6]:
            result = engine.search(SearchRequest(query, limit=100, facets=FACETS))
            found.append((result.total, [(h.refid, h.paragraph, h.score) for h in result.hits],
                          result.facets))
        found.append(sorted(engine.refids()))
        found.append({k: v for k, v in engine.stats().items() if k != "size_bytes"})
        return found
    finally:
        engine.close()


def _refids(index: Path) -> list[str]:
    engine = WhooshEngine.open(index)
    try:
        return sorted(engine.refids())
    finally:
        engine.close()


def test_writing_on_top_of_a_bulk_written_index(corpus, tmp_path):
    """Older releases first, then the newer ones (replacing most), a removal and the same
    files again: the bulk writer's index answers as Whoosh's writer's does at every step."""
    older, newer = corpus / "cablegate-html-2010-12" / "2010", corpus / "cablegate-html" / "2010"
    indexes = {"bulk": tmp_path / "bulk", "whoosh": tmp_path / "whoosh"}
    settings = {"bulk": "tuned", "whoosh": "library"}
    steps = [lambda ix, s: build_index([older], ix, writer_settings=s, workers=1),
             lambda ix, s: build_index([newer], ix, writer_settings=s, workers=1),
             lambda ix, s: remove_cables(_refids(ix)[::7], ix),
             lambda ix, s: build_index([older, newer], ix, writer_settings=s, workers=1)]
    for step in steps:
        summaries = {name: step(ix, settings[name]) for name, ix in indexes.items()}
        ours, theirs = (summaries[name].to_dict() | {"seconds": 0, "index": ""}
                        for name in ("bulk", "whoosh"))
        assert ours == theirs
        assert _answers(indexes["bulk"]) == _answers(indexes["whoosh"])
