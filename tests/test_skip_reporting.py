"""Skipped files are reported as they happen: one line each, above the progress bar on a
terminal, plain when piped; the end summary still lists them all."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from indexer.build import build_index
from indexer.parse import parse_path
from indexer.progress import Progress, ProgressBar

pytestmark = pytest.mark.corpus


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def good_and_bad(corpus) -> tuple[list[Path], list[Path]]:
    """Two body-pre files that are cables and two that are not (press article lists)."""
    good, bad = [], []
    for path in sorted((corpus / "body-pre").glob("*.txt")):
        skipped: list[str] = []
        found = list(parse_path(path, on_skip=lambda s, r: skipped.append(s)))
        if found and not skipped and len(good) < 2:
            good.append(path)
        elif skipped and not found and len(bad) < 2:
            bad.append(path)
        if len(good) == 2 and len(bad) == 2:
            return good, bad
    pytest.fail("the corpus's body-pre folder no longer holds two cables and two non-cables")


def test_each_skip_is_reported_when_its_file_is_read(good_and_bad, tmp_path):
    good, bad = good_and_bad
    events: list[tuple] = []
    missing = tmp_path / "no-such-file.txt"
    summary = build_index([bad[0], *good, bad[1], missing], tmp_path / "ix", workers=0,
                          on_skip=lambda skip: events.append(("skip", skip.source, skip.reason)),
                          progress=lambda p: events.append(("progress", p.files_done)))
    skips = [e for e in events if e[0] == "skip"]
    assert [(s, r) for _, s, r in skips] == [(s.source, s.reason) for s in summary.skipped]
    assert [s for _, s, _ in skips] == [str(missing), str(bad[0]), str(bad[1])]

    def files_done_before(source: str) -> int:
        position = next(i for i, e in enumerate(events) if e[:2] == ("skip", source))
        return max((e[1] for e in events[:position] if e[0] == "progress"), default=0)

    assert files_done_before(str(missing)) == 0  # found before any file was read
    assert files_done_before(str(bad[0])) == 0  # while the first file was read
    assert files_done_before(str(bad[1])) == 3  # after the two cables, not at the end
    assert events[-1] == ("progress", 4) and summary.added == 2


def _progress(files_done: int) -> Progress:
    return Progress(files_done, 4, 10, 80, 1, 2.0)


def test_a_note_goes_above_the_bar_on_a_terminal():
    stream = Terminal()
    bar = ProgressBar(stream, interval=0)
    bar(_progress(1))
    drawn = stream.getvalue()
    assert drawn.startswith("\r[") and "files 1/4" in drawn
    bar.note("skipped a.txt: not a cable")
    after = stream.getvalue()[len(drawn):]
    cleared, _, redrawn = after.partition("skipped a.txt: not a cable\n")
    assert cleared.strip(" \r") == ""  # the bar's line wiped before the note
    assert redrawn == drawn  # and the bar drawn again below it
    bar.finish()
    assert stream.getvalue().endswith("\r")


def test_a_note_is_a_plain_line_when_piped():
    stream = io.StringIO()
    bar = ProgressBar(stream, interval=0)
    bar(_progress(1))
    bar.note("skipped a.txt: not a cable")
    bar(_progress(2))
    bar.finish()
    assert stream.getvalue() == "skipped a.txt: not a cable\n"
