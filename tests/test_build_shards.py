"""A large file (an archive dump) is parsed by several workers at once, each building every
n-th record: together they index exactly what one parse of the file finds, each cable once,
and each skipped record is reported once."""

from __future__ import annotations

import pytest

from indexer import build
from indexer.build import build_index
from indexer.engines.registry import open_index
from indexer.parse import parse_path
from indexer.versions import version_digest, version_key

pytestmark = pytest.mark.corpus


def test_a_sharded_dump_indexes_what_one_parse_finds(corpus, tmp_path, monkeypatch):
    pytest.importorskip("tantivy")
    dump = corpus / "cables-csv" / "cables-dev.csv"
    monkeypatch.setattr(build, "SHARD_BYTES", dump.stat().st_size // 3)
    assert [t.shards for t in build._tasks([dump], workers=2)] == [2, 2]

    skipped: list[tuple[str, str]] = []
    newest: dict[str, tuple] = {}  # refid -> (version key, paragraphs) of its newest version
    read = 0
    for cable in parse_path(dump, on_skip=lambda source, reason: skipped.append((source, reason))):
        found = (version_key(cable.released, version_digest(cable)), len(cable.paragraphs))
        newest[cable.refid] = max(newest.get(cable.refid, found), found)
        read += 1

    summary = build_index([dump], tmp_path / "ix", workers=2, engine_name="tantivy")
    assert summary.files == 1 and not summary.interrupted
    assert summary.cables == read  # each record built by one shard only
    assert sorted((s.source, s.reason) for s in summary.skipped) == sorted(skipped)
    engine = open_index(tmp_path / "ix")
    try:
        assert set(engine.refids()) == set(newest)
        assert engine.stats()["paragraphs"] == sum(n for _key, n in newest.values())
    finally:
        engine.close()
    assert summary.cables == summary.added + summary.replaced + summary.unchanged + summary.kept
