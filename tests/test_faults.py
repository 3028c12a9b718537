"""Faults during indexing: SIGKILL, concurrent searches, two writers, a full or read-only disk.

Each runs the real `cables` command in a child process, on both engines. In CI a quick
version runs (a few kill points); `pytest --runslow` kills at 24 points per engine.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from indexer.engines.base import SearchRequest
from indexer.engines.registry import open_index

SEED_CABLE = Path(__file__).resolve().parent.parent / "sample_corpus" / "09LONDON1933.md"
CABLES = [sys.executable, "-c", "from search.cli import main; main()"]

Snapshot = dict[str, tuple[int, ...]]


def cables_command(*args: str) -> list[str]:
    return [*CABLES, *args]


def run_cables(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(cables_command(*args), capture_output=True, text=True, timeout=timeout)


def snapshot(index_dir: Path) -> tuple[Snapshot, dict]:
    """Every cable's paragraph numbers as the index answers them, and its stats."""
    engine = open_index(index_dir)
    try:
        paragraphs: Snapshot = {}
        for refid in sorted(engine.refids()):
            found = engine.search(SearchRequest(query=f"refid:{refid}", limit=10_000))
            paragraphs[refid] = tuple(sorted(hit.paragraph for hit in found.hits))
        stats = engine.stats()
        return paragraphs, {"cables": stats["cables"], "paragraphs": stats["paragraphs"]}
    finally:
        engine.close()


@pytest.fixture(scope="module")
def archive_input(corpus: Path, tmp_path_factory) -> Path:
    """172 real cable pages: long enough to kill part-way (7 commits), short enough for CI."""
    folder = tmp_path_factory.mktemp("input")
    shutil.copytree(corpus / "cablegate-html" / "2007", folder / "2007")
    return folder


@pytest.fixture(scope="module")
def reference_run(archive_input: Path, tmp_path_factory, engine_name: str):
    """The uninterrupted run every killed run is compared with, and how long it took."""
    index_dir = tmp_path_factory.mktemp("reference") / "index"
    started = time.monotonic()
    done = run_cables("index", str(archive_input), "--index", str(index_dir), "--batch", "25",
                      "--engine", engine_name)
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    paragraphs, stats = snapshot(index_dir)
    pages = len(list(archive_input.rglob("*.html")))
    assert stats["cables"] == pages and stats["paragraphs"] == sum(map(len, paragraphs.values()))
    return paragraphs, stats, seconds


def kill_points(count: int, seconds: float, seed: int) -> list[float]:
    rng = random.Random(seed)
    return sorted(rng.uniform(0.3, seconds * 0.95) for _ in range(count))


def test_sigkill_at_random_points_leaves_whole_cables_and_a_rerun_finishes(
        request, archive_input, reference_run, engine_name, tmp_path):
    reference, reference_stats, seconds = reference_run
    count = 24 if request.config.getoption("--runslow") else 3
    survived = 0
    for number, delay in enumerate(kill_points(count, seconds, seed=5 + len(engine_name))):
        index_dir = tmp_path / f"killed-{number}"
        child = subprocess.Popen(
            cables_command("index", str(archive_input), "--index", str(index_dir), "--batch", "25",
                           "--engine", engine_name),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(delay)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        if (index_dir / "cablesearch.json").exists():
            paragraphs, stats = snapshot(index_dir)  # it opens and answers
            for refid, numbers in paragraphs.items():
                assert numbers == reference[refid], f"kill at {delay:.2f}s left {refid} partial"
            assert stats["paragraphs"] == sum(map(len, paragraphs.values()))
        rerun = run_cables("index", str(archive_input), "--index", str(index_dir), "--batch", "25",
                           "--engine", engine_name)
        assert rerun.returncode == 0, rerun.stderr
        assert snapshot(index_dir) == (reference, reference_stats)
        survived += 1
    print(f"\nfaults[{engine_name}]: {survived} SIGKILLs survived, each rerun identical to the reference")


SEARCH_LOOP = textwrap.dedent("""
    import json, os, sys, time
    from search import Archive
    from indexer.engines.base import IndexProblem
    index, stop_file = sys.argv[1], sys.argv[2]
    seen, errors, runs = [], [], 0
    archive = None
    last = False
    while not last:
        last = os.path.exists(stop_file)  # the writer is done: one more search sees its end
        try:
            archive = archive or Archive(index)
            result = archive.search("government", limit=5, facets=["level"])
            seen.append([archive.stats()["cables"], result.total])
            runs += 1
        except IndexProblem as exc:   # not created yet
            time.sleep(0.05)
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
    print(json.dumps({"runs": runs, "seen": seen, "errors": errors}))
""")


def test_searches_in_other_processes_never_fail_during_indexing(archive_input, reference_run,
                                                                engine_name, tmp_path):
    _, reference_stats, _ = reference_run
    index_dir = tmp_path / "index"
    # A committed index exists before the searches start, then grows under them.
    assert run_cables("index", str(SEED_CABLE), "--index", str(index_dir),
                      "--engine", engine_name).returncode == 0
    stop_file = tmp_path / "indexing-done"
    searchers = [subprocess.Popen([sys.executable, "-c", SEARCH_LOOP, str(index_dir), str(stop_file)],
                                  stdout=subprocess.PIPE, text=True) for _ in range(2)]
    indexing = run_cables("index", str(archive_input), "--index", str(index_dir), "--batch", "25")
    stop_file.touch()
    assert indexing.returncode == 0, indexing.stderr
    reports = [json.loads(searcher.communicate(timeout=300)[0]) for searcher in searchers]
    runs = sum(report["runs"] for report in reports)
    for report in reports:
        assert report["errors"] == []
        cables_seen = [cables for cables, _ in report["seen"]]
        assert cables_seen == sorted(cables_seen), "a search went back to an older state"
        assert cables_seen[-1] == reference_stats["cables"] + 1, "the last commit is seen"
    print(f"\nfaults[{engine_name}]: {runs} searches in 2 processes during indexing, 0 failed")


def test_a_second_writer_is_refused_or_waits(archive_input, reference_run, engine_name, tmp_path):
    reference, reference_stats, _ = reference_run
    index_dir = tmp_path / "index"
    first = subprocess.Popen(cables_command("index", str(archive_input), "--index", str(index_dir),
                                            "--batch", "25", "--engine", engine_name),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lock_file = index_dir / "cablesearch.lock"
    while not lock_file.exists() and first.poll() is None:
        time.sleep(0.02)
    time.sleep(0.5)
    second = run_cables("index", str(SEED_CABLE), "--index", str(index_dir))
    waiting = subprocess.Popen(cables_command("index", str(SEED_CABLE), "--index", str(index_dir),
                                              "--wait", "--json"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert first.wait(timeout=600) == 0, first.stderr.read()
    assert second.returncode != 0
    assert "being written by another process" in second.stderr
    assert len(second.stderr.strip().splitlines()) == 1 and "Traceback" not in second.stderr
    out, err = waiting.communicate(timeout=600)
    assert waiting.returncode == 0, err
    assert json.loads(out)["added"] == 1
    paragraphs, stats = snapshot(index_dir)
    assert stats["cables"] == reference_stats["cables"] + 1
    assert {k: v for k, v in paragraphs.items() if k in reference} == reference


# --- a full disk and a read-only index --------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A 4 MB file system of its own (tmpfs, as root); skipped elsewhere, never in CI."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        if os.environ.get("CABLES_REQUIRE_CORPUS"):
            pytest.fail(f"cannot mount a small tmpfs for the full-disk test: {done.stderr.strip()}")
        pytest.skip("mounting a tmpfs needs root")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def assert_one_line_error(done: subprocess.CompletedProcess) -> None:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, done.stderr[-2000:]


def search_sample(index_dir: Path) -> list[tuple[str, int]]:
    done = run_cables("search", "strategic communications", "--index", str(index_dir),
                      "--format", "json", "--limit", "50")
    assert done.returncode == 0, done.stderr
    return [(hit["refid"], hit["paragraph"]) for hit in json.loads(done.stdout)["hits"]]


def test_a_full_disk_gives_a_clear_error_and_the_index_stays_usable(small_disk, corpus, engine_name):
    index_dir = small_disk / "index"
    assert run_cables("index", str(SEED_CABLE), "--index", str(index_dir),
                      "--engine", engine_name).returncode == 0
    before = search_sample(index_dir)
    assert before and before[0][0] == "09LONDON1933"
    done = run_cables("index", str(corpus / "cablegate-html" / "2009"), "--index", str(index_dir))
    assert_one_line_error(done)
    assert "space" in done.stderr.lower()
    assert search_sample(index_dir) == before


def test_a_read_only_index_gives_a_clear_error_and_still_answers(small_disk, engine_name):
    index_dir = small_disk / "index"
    assert run_cables("index", str(SEED_CABLE), "--index", str(index_dir),
                      "--engine", engine_name).returncode == 0
    before = search_sample(index_dir)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    extra = small_disk.parent / "extra.md"
    extra.write_text(SEED_CABLE.read_text(encoding="utf-8").replace("LONDON 001933", "LONDON 001934"),
                     encoding="utf-8")
    done = run_cables("index", str(extra), "--index", str(index_dir))
    assert_one_line_error(done)
    assert "read-only" in done.stderr.lower()
    assert search_sample(index_dir) == before
