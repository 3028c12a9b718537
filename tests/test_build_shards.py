"""A large file (an archive dump) is parsed by several workers at once, each building every
n-th record: together they index exactly what one parse of the file finds, each cable once,
and each skipped record is reported once."""

from __future__ import annotations

import gzip
import re

import pytest

from indexer import build
from indexer.build import build_index
from indexer.engines.registry import open_index
from indexer.parse import parse_path
from indexer.reading import read_path
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


# --- every shard of a dump reads exactly its share of what one read finds -----------------

def _damaged_dump(corpus, tmp_path):
    """The real dev dump (multi-line bodies, backslash-escaped quotes) with faults put in
    between its records: an unclosed quote, a junk line, a byte that is not UTF-8."""
    data = (corpus / "cables-csv" / "cables-dev.csv").read_bytes()
    starts = [m.start() for m in re.finditer(rb'^"[0-9]+","[0-9]', data, re.MULTILINE)]
    assert len(starts) > 100 and b'\\"' in data and b'\n' in data[starts[0]:starts[1]]
    a, b, c = starts[len(starts) // 4], starts[len(starts) // 2], starts[3 * len(starts) // 4]
    unclosed = data[a:b].rstrip(b'"\r\n') + b"\n"  # the record before b loses its closing quote
    path = tmp_path / "cables.csv"
    path.write_bytes(data[:a] + unclosed + data[b:c] + b"junk between records\n"
                     + data[c:c + 40] + b"\xe9" + data[c + 40:])
    return path


def _gzipped_damaged_dump(corpus, tmp_path):
    """The same, gzipped: its shards take every n-th record (a byte range needs seeking)."""
    path = _damaged_dump(corpus, tmp_path)
    gzipped = tmp_path / "cables.csv.gz"
    gzipped.write_bytes(gzip.compress(path.read_bytes()))
    path.unlink()
    return gzipped


def _mongo_with_a_bad_line(corpus, tmp_path):
    lines = (corpus / "mongo-jsonl" / "wikileaks-11-28-10.json").read_bytes().splitlines(keepends=True)
    assert len(lines) > 10
    path = tmp_path / "export.json"
    path.write_bytes(b"".join(lines[:5] + [b'{"_id": "broken\n', b"\n"] + lines[5:]))
    return path


def _read(path, shard=None):
    skipped: list[tuple[str, str]] = []
    cables = list(read_path(path, on_skip=lambda source, reason: skipped.append((source, reason)),
                            shard=shard))
    return cables, skipped


@pytest.mark.parametrize("make", [_damaged_dump, _gzipped_damaged_dump, _mongo_with_a_bad_line])
@pytest.mark.parametrize("shards", [2, 3])
def test_the_shards_of_a_file_read_exactly_what_one_read_finds(corpus, tmp_path, make, shards):
    path = make(corpus, tmp_path)
    whole, whole_skipped = _read(path)
    assert whole_skipped and len(whole) > 10  # the faults are found, the rest is read

    parts = [_read(path, (k, shards)) for k in range(shards)]
    cables = [cable for part, _ in parts for cable in part]
    skipped = [skip for _, part in parts for skip in part]
    assert all(part for part, _ in parts)  # every shard has a share
    assert sorted(skipped) == sorted(whole_skipped)  # each problem reported once
    by_source = {cable.source: cable for cable in cables}
    assert len(by_source) == len(cables) == len(whole)  # no record twice, none lost
    assert all(by_source[cable.source] == cable for cable in whole)  # built the same, notes too


def test_a_shard_reports_a_whole_file_problem_only_as_shard_0(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"  \n")
    assert [_read(path, (k, 2))[1] for k in range(2)] == [[(str(path), "empty file")], []]


def test_a_one_cable_file_is_read_by_shard_0_only(sample_corpus):
    path = sample_corpus / "09LONDON1933.md"
    assert len(_read(path, (0, 2))[0]) == 1 and _read(path, (1, 2)) == ([], [])


def test_the_parse_workers_of_a_split_dump_build_each_record_once(corpus, tmp_path, monkeypatch):
    path = _damaged_dump(corpus, tmp_path)
    expected = list(parse_path(path, on_skip=lambda source, reason: None))
    monkeypatch.setattr(build, "SHARD_BYTES", path.stat().st_size // 5)
    tasks = build._tasks([path], workers=4)
    assert [t.shards for t in tasks] == [4] * 4

    messages: list[tuple] = []
    for task in tasks:
        build._parse_file(task, messages.append, lambda cables: cables)
    built = [cable for m in messages if m[0] == "cables" for cable in m[1]]
    assert sorted(c.source for c in built) == sorted(c.source for c in expected)
    whole_skipped: list[tuple[str, str]] = []
    list(parse_path(path, on_skip=lambda source, reason: whole_skipped.append((source, reason))))
    assert sorted(m[1:] for m in messages if m[0] == "skip") == sorted(whole_skipped)
