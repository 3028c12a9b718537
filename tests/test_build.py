"""The build loop on the real corpus: completeness, idempotence, release order, crash safety."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from indexer.build import build_index, input_files, remove_cables
from indexer.engines.registry import open_index
from indexer.engines.whoosh.documents import decode_cable
from indexer.parse import parse_path
from indexer.versions import version_digest, version_key

pytestmark = pytest.mark.corpus

CABLES = [sys.executable, "-c", "from search.cli import main; main()"]  # the `cables` command


def index_state(index_dir: Path) -> dict:
    """Everything the index holds, independent of document order and segment layout."""
    engine = open_index(index_dir)
    try:
        docs = Counter()
        for doc in engine.searcher().documents():
            doc = dict(doc)
            if "payload" in doc:
                # the same version read from two places is one version: whichever source
                # came first is recorded
                cable = decode_cable(doc.pop("payload")).to_dict()
                cable.pop("source")
                doc["payload"] = cable
            docs[tuple(sorted((k, repr(v)) for k, v in doc.items()))] += 1
        return {"docs": docs, "stats": {k: v for k, v in engine.stats().items()
                                        if k not in ("segments", "size_bytes")}}
    finally:
        engine.close()


def without_source(cable) -> dict:
    """The cable minus where it was read: one version read from two places is one version."""
    data = cable.to_dict()
    data.pop("source")
    return data


def paragraph_numbers(engine) -> dict[str, list[int]]:
    """refid -> sorted paragraph numbers of its paragraph documents."""
    found: dict[str, list[int]] = {}
    for doc in engine.searcher().documents(kind="para"):
        found.setdefault(doc["refid"], []).append(doc["paragraph"])
    return {refid: sorted(numbers) for refid, numbers in found.items()}


def assert_whole_cables(engine) -> None:
    """Every cable's paragraph documents are exactly the paragraphs of its stored cable."""
    indexed = paragraph_numbers(engine)
    refids = set(engine.refids())
    assert set(indexed) <= refids, "paragraphs without their cable"
    for refid in refids:
        expected = sorted(p.number for p in engine.cable(refid).paragraphs)
        assert indexed.get(refid, []) == expected, refid


# --- the whole corpus, indexed once --------------------------------------------------------

@pytest.fixture(scope="session")
def corpus_build(corpus, tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("corpus") / "ix"
    # two parse workers: cables arrive in no fixed order, as in a user's build
    summary = build_index([corpus], index_dir, workers=2)
    return index_dir, summary


@pytest.fixture(scope="session")
def parsed_corpus(corpus) -> dict:
    """refid -> {digest: cable} for every cable the parser finds in the corpus."""
    versions: dict[str, dict] = {}
    for path in input_files([corpus], []):
        for cable in parse_path(path, on_skip=lambda source, reason: None):
            versions.setdefault(cable.refid, {})[version_digest(cable)] = cable
    return versions


def test_every_parsed_paragraph_is_indexed_once(corpus_build, parsed_corpus):
    index_dir, summary = corpus_build
    engine = open_index(index_dir)
    try:
        assert not summary.interrupted
        ids = [doc["id"] for doc in engine.searcher().documents(kind="para")]
        assert len(ids) == len(set(ids))
        indexed = paragraph_numbers(engine)
        assert set(engine.refids()) == set(parsed_corpus)
        for refid, versions in parsed_corpus.items():
            newest = max(versions, key=lambda d: version_key(versions[d].released, d))
            assert indexed.get(refid, []) == sorted(p.number for p in versions[newest].paragraphs)
            assert without_source(engine.cable(refid)) == without_source(versions[newest])
            assert {version_digest(c) for c in engine.versions(refid)} == set(versions)
        total = sum(len(v[max(v, key=lambda d: version_key(v[d].released, d))].paragraphs)
                    for v in parsed_corpus.values())
        assert engine.stats()["paragraphs"] == total
        # paragraphs written: a cable replaced by a later release in the same run counts twice
        assert summary.paragraphs >= total
        assert summary.added == len(parsed_corpus)
        assert summary.cables == (summary.added + summary.replaced + summary.unchanged
                                  + summary.kept)
    finally:
        engine.close()


def test_non_cables_are_reported_and_skipped(corpus_build, corpus):
    _index_dir, summary = corpus_build
    skipped = {s.source: s.reason for s in summary.skipped}
    body_pre = [s for s in skipped if "/body-pre/" in s]
    assert body_pre, "the press-article lists in body-pre must be reported"
    assert all("not a cable" in skipped[s] for s in body_pre)
    assert str(corpus / "README.md") in skipped


def test_second_run_changes_nothing(corpus_build, corpus):
    index_dir, first = corpus_build
    files_before = {p.name: p.stat().st_mtime_ns for p in index_dir.iterdir()
                    if p.name != "cablesearch.lock"}
    again = build_index([corpus], index_dir, workers=2)
    assert (again.added, again.replaced, again.kept, again.paragraphs, again.commits) == (0, 0, 0, 0, 0)
    assert again.unchanged == first.cables
    assert {p.name: p.stat().st_mtime_ns for p in index_dir.iterdir()
            if p.name != "cablesearch.lock"} == files_before


def public_view(index_dir: Path) -> dict:
    """What any engine's index answers: each cable and its versions, and the counts."""
    engine = open_index(index_dir)
    try:
        cables = {refid: (without_source(engine.cable(refid)),
                          [without_source(v) for v in engine.versions(refid)])
                  for refid in engine.refids()}
        stats = {k: v for k, v in engine.stats().items() if k not in ("segments", "size_bytes")}
        return {"cables": cables, "stats": stats}
    finally:
        engine.close()


def test_a_rerun_prepares_only_the_cables_the_index_lacks(engine_name, release_pairs, tmp_path,
                                                           monkeypatch):
    newer, _older = release_pairs
    index_dir = tmp_path / "ix"
    build_index(newer[:20], index_dir, workers=0, engine_name=engine_name)
    removed = next(parse_path(newer[0])).refid  # its digest may stay in the term dictionary
    assert remove_cables([removed], index_dir).removed == 1
    engine_class = type(open_index(index_dir))
    prepared: list[str] = []
    prepare_batch = engine_class.prepare_batch

    def recording(cls, cables):
        prepared.extend(cable.refid for cable in cables)
        return prepare_batch(cables)
    monkeypatch.setattr(engine_class, "prepare_batch", classmethod(recording))

    again = build_index(newer, index_dir, workers=0)
    assert (again.added, again.unchanged) == (21, 19)
    assert set(prepared) - {removed} == {next(parse_path(p)).refid for p in newer[20:]}
    build_index(newer, tmp_path / "fresh", workers=0, engine_name=engine_name)
    assert public_view(index_dir) == public_view(tmp_path / "fresh")


# --- release order: cablegate-html-2010-12 holds older versions ----------------------------

@pytest.fixture(scope="module")
def release_pairs(corpus) -> tuple[list[Path], list[Path]]:
    """(newer pages, older pages) of the same cables, a few dozen of each."""
    older = {p.name: p for p in (corpus / "cablegate-html-2010-12").rglob("*.html")}
    newer = {p.name: p for p in (corpus / "cablegate-html").rglob("*.html")}
    common = sorted(set(older) & set(newer))[:40]
    assert common
    return [newer[n] for n in common], [older[n] for n in common]


def test_older_release_never_replaces_newer_in_either_order(release_pairs, tmp_path):
    newer, older = release_pairs
    new_first = build_index(newer + older, tmp_path / "a", workers=0, batch_cables=10)
    build_index(older, tmp_path / "b", workers=0)
    old_first = build_index(newer, tmp_path / "b", workers=0)
    assert old_first.replaced > 0 and new_first.kept == old_first.replaced
    assert index_state(tmp_path / "a") == index_state(tmp_path / "b")
    engine = open_index(tmp_path / "a")
    try:
        changed = 0
        for page in newer:
            cable = next(parse_path(page))
            assert engine.cable(cable.refid).released == cable.released
            history = engine.versions(cable.refid)
            assert history[-1].released == cable.released
            changed += len(history) > 1
            assert [c.released for c in history] == sorted(c.released for c in history)
        assert changed == old_first.replaced
        assert_whole_cables(engine)
    finally:
        engine.close()


# --- crash safety --------------------------------------------------------------------------

def _cables_in(index_dir: Path) -> int:
    try:
        engine = open_index(index_dir)
    except Exception:
        return 0
    try:
        return engine.stats()["cables"]
    finally:
        engine.close()


@pytest.fixture(scope="module")
def kill_subset(corpus) -> list[Path]:
    pages = sorted((corpus / "cablegate-html").rglob("*.html"))
    return pages[::15]  # ~110 cables from every year


@pytest.fixture(scope="module")
def uninterrupted(kill_subset, tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("ref") / "ix"
    subprocess.run([*CABLES, "index", *map(str, kill_subset), "--index", str(index_dir)],
                   check=True, capture_output=True)
    return index_state(index_dir)


@pytest.mark.parametrize("after_commits", [1, 3, 6])
def test_sigkill_leaves_whole_cables_and_rerun_completes(kill_subset, uninterrupted, tmp_path,
                                                         after_commits):
    index_dir = tmp_path / "ix"
    command = [*CABLES, "index", *map(str, kill_subset),
               "--index", str(index_dir), "--batch", "10", "--workers", "1"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while proc.poll() is None and _cables_in(index_dir) < 10 * after_commits:
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    engine = open_index(index_dir)
    try:
        cables = engine.stats()["cables"]
        assert 10 * after_commits <= cables < len(kill_subset)
        assert cables % 10 == 0  # whole batches only
        assert_whole_cables(engine)
    finally:
        engine.close()
    rerun = subprocess.run(command, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert index_state(index_dir) == uninterrupted
