"""`cables index`, `cables stats`, `cables optimize` as a user runs them."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indexer.engines.registry import open_index
from indexer.lock import WriteLock
from indexer.parse import parse_path

pytestmark = pytest.mark.corpus

CABLES = [sys.executable, "-c", "from search.cli import main; main()"]  # the `cables` command


def cables(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*CABLES, *map(str, args)], capture_output=True, text=True, **kwargs)


@pytest.fixture(scope="module")
def pages(corpus) -> list[Path]:
    return sorted((corpus / "cablegate-html").rglob("*.html"))[::60]  # ~28 cables


@pytest.fixture(scope="module")
def built(pages, tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("cli") / "ix"
    result = cables("index", *pages, "--index", index_dir, "--json", "--batch", "10")
    assert result.returncode == 0, result.stderr
    return index_dir, json.loads(result.stdout), result


def test_index_prints_a_json_summary_and_no_progress_when_piped(built, pages):
    index_dir, summary, result = built
    assert {"cables", "paragraphs", "skipped", "seconds"} <= set(summary)
    expected = [c for p in pages for c in parse_path(p)]
    assert summary["cables"] == summary["added"] == len(expected)
    assert summary["paragraphs"] == sum(len(c.paragraphs) for c in expected)
    assert summary["skipped"] == [] and summary["commits"] == 3
    assert "\r" not in result.stderr and result.stderr == ""


def test_index_again_reports_unchanged(built, pages):
    index_dir, first, _ = built
    again = cables("index", *pages, "--index", index_dir)
    assert again.returncode == 0
    assert f"unchanged {first['cables']:,}" in again.stdout and "added 0," in again.stdout


def test_stats_json_and_text(built):
    index_dir, summary, _ = built
    result = cables("stats", "--index", index_dir, "--format", "json")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["cables"] == summary["cables"] and stats["paragraphs"] == summary["paragraphs"]
    assert sum(stats["by_classification"].values()) == stats["cables"]
    assert sum(stats["by_paragraph_level"].values()) == stats["paragraphs"]
    assert stats["date_from"] <= stats["date_to"] and stats["size_bytes"] > 0
    text = cables("stats", "--index", index_dir).stdout
    assert f"paragraphs  {stats['paragraphs']:,}" in text and "top TAGS:" in text


def test_index_from_the_environment_and_missing_index(built, tmp_path):
    index_dir, summary, _ = built
    env = {**os.environ, "CABLES_INDEX": str(index_dir)}
    assert json.loads(cables("stats", "--format", "json", env=env).stdout)["cables"] == summary["cables"]
    missing = cables("stats", "--index", tmp_path / "nothing")
    assert missing.returncode == 1
    assert missing.stderr.strip() == (f"Error: no index at {tmp_path / 'nothing'}: build one with "
                                      f"`cables index PATH --index {tmp_path / 'nothing'}`")


def test_non_cables_are_reported_skipped_and_exit_1(corpus, tmp_path):
    body_pre = sorted((corpus / "body-pre").glob("*.txt"))
    skipped: list[tuple[str, str]] = []
    good = []
    for path in body_pre[:120]:
        before = len(skipped)
        found = list(parse_path(path, on_skip=lambda s, r: skipped.append((s, r))))
        if found and len(skipped) == before and len(good) < 3:
            good.append(path)
    bad = [Path(s) for s, _ in skipped][:3]
    assert bad and good
    result = cables("index", *good, *bad, "--index", tmp_path / "ix", "--json")
    assert result.returncode == 1
    summary = json.loads(result.stdout)
    assert {s["source"] for s in summary["skipped"]} == {str(p) for p in bad}
    assert summary["added"] == len(good)
    for path in bad:  # printed once, as it happened (not again with the summary)
        assert result.stderr.count(f"skipped {path}: not a cable") == 1


def test_remove_and_optimize(pages, tmp_path):
    index_dir = tmp_path / "ix"
    assert cables("index", *pages[:12], "--index", index_dir, "--batch", "4").returncode == 0
    refids = [next(parse_path(p)).refid for p in pages[:2]]
    removed = cables("index", "--remove", *refids, "NOSUCH1", "--index", index_dir, "--json")
    assert removed.returncode == 0 and json.loads(removed.stdout)["removed"] == 2
    engine = open_index(index_dir)
    try:
        assert engine.stats()["segments"] > 1
        assert not set(refids) & set(engine.refids())
    finally:
        engine.close()
    assert cables("optimize", "--index", index_dir).returncode == 0
    stats = json.loads(cables("stats", "--index", index_dir, "--format", "json").stdout)
    assert stats["segments"] == 1 and stats["cables"] == 10


def test_second_writer_says_busy_or_waits(pages, tmp_path):
    index_dir = tmp_path / "ix"
    assert cables("index", pages[0], "--index", index_dir).returncode == 0
    lock = WriteLock(index_dir)
    lock.acquire()
    try:
        busy = cables("index", *pages[1:3], "--index", index_dir)
        assert busy.returncode == 1
        assert busy.stderr.strip() == (f"Error: index {index_dir} is being written by another "
                                       f"process (pid {os.getpid()}); use --wait to wait")
        waiting = subprocess.Popen([*CABLES, "index", *map(str, pages[1:3]), "--index",
                                    str(index_dir), "--wait", "--json"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        assert waiting.poll() is None  # still waiting for the lock
    finally:
        lock.release()
    out, err = waiting.communicate(timeout=300)
    assert waiting.returncode == 0, err
    assert json.loads(out)["added"] == 2


def test_ctrl_c_stops_cleanly_and_says_what_was_committed(pages, tmp_path):
    index_dir = tmp_path / "ix"
    proc = subprocess.Popen([*CABLES, "index", *map(str, pages), "--index", str(index_dir),
                             "--batch", "2", "--workers", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while proc.poll() is None:
        try:
            if open_index(index_dir).stats()["cables"] >= 2:
                break
        except Exception:
            pass
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err
    engine = open_index(index_dir)
    try:
        committed = engine.stats()["cables"]
    finally:
        engine.close()
    assert 2 <= committed < len(pages)
    assert f"interrupted: {committed:,} cables in {committed // 2} commits are in the index" in err
    assert "Traceback" not in err


def test_index_directory_is_owner_only_and_unsafe_ones_are_refused(built, tmp_path, pages):
    index_dir = tmp_path / "ix"
    assert cables("index", pages[0], "--index", index_dir).returncode == 0
    assert stat.S_IMODE(index_dir.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) & 0o077 == 0 for p in index_dir.iterdir())
    os.chmod(index_dir, 0o777)
    refused = cables("stats", "--index", index_dir)
    assert refused.returncode == 1 and "unsafe" in refused.stderr and "Traceback" not in refused.stderr


class _Stream:
    def __init__(self, tty: bool) -> None:
        self.tty, self.text = tty, ""

    def isatty(self) -> bool:
        return self.tty

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


def test_progress_bar_only_on_a_terminal():
    from indexer.progress import Progress, ProgressBar

    state = Progress(files_done=3, files_total=12, cables=40, paragraphs=1200, commits=2,
                     seconds=4.0)
    piped, terminal = _Stream(False), _Stream(True)
    ProgressBar(piped)(state)
    bar = ProgressBar(terminal, interval=0)
    bar(state)
    assert piped.text == ""
    assert terminal.text.startswith("\r[######")
    assert "files 3/12" in terminal.text and "cables 40" in terminal.text
    assert "paragraphs 1,200" in terminal.text and "300 par/s" in terminal.text
    bar.finish()
    assert terminal.text.endswith("\r")
