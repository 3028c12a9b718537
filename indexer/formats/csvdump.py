"""The Cablegate ``cables.csv`` dump, streamed one record at a time.

No header row; every field quoted; quotes inside fields escaped with a backslash (``\\"``),
backslashes doubled (``\\\\``); fields span lines. Columns: id, date (``M/D/YYYY H:MM``),
refid, origin, classification, references (refids joined by ``|``), header, body.

The csv module (C speed) does the quoting; this module feeds it lines and keeps the lines of
the record in progress, so that a broken record (a quote that never closes, a field longer
than MAX_RECORD_CHARS) is reported and reading resumes at the next line that starts a record,
instead of one bad quote swallowing the rest of a 1.7 GB file.
"""

from __future__ import annotations

import csv
import re
from collections import deque
from collections.abc import Iterable, Iterator

from indexer.formats.base import RawCable
from indexer.formats.records import Shard, Skipped, owns
from indexer.formats.text import parse_site_datetime, strip_partial_notice, tidy_lines, unwrap_entities

CSV = "cables-csv"
COLUMNS = ("id", "date", "refid", "origin", "classification", "references", "header", "body")
MAX_RECORD_CHARS = 4 * 1024 * 1024  # the largest real cable is well under 1 MB

RECORD_START = re.compile(r'"[0-9]{1,9}","[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}[ 0-9:]{0,9}","')


_HEADER_ROW = re.compile(r'"?id"?,"?date"?,"?refid"?,', re.IGNORECASE)


def looks_like_csv(head: str) -> bool:
    """The dump's first record, or a header row naming its columns (some exports add one)."""
    start = head.lstrip("\ufeff \t\r\n")
    return RECORD_START.match(start) is not None or _HEADER_ROW.match(start) is not None


class _RecordTooLong(Exception):
    pass


class _LineFeed:
    """Feeds lines to csv.reader and remembers the lines of the record in progress."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self.replay: deque[tuple[int, str]] = deque()
        self.current: list[tuple[int, str]] = []
        self.size = 0
        self.line_no = 0

    def __iter__(self) -> Iterator[str]:
        """The lines for one csv.reader (a generator: the reader resumes it in C, where a
        __next__ method would be a Python call per line). State stays on self, so the
        reader made after a broken record goes on where this one stopped."""
        lines, replay = self._lines, self.replay
        while True:
            if replay:
                line_no, line = replay.popleft()
            else:
                line = next(lines, None)
                if line is None:  # the input is done: so is the reader
                    return
                self.line_no += 1
                line_no = self.line_no
            self.current.append((line_no, line))
            self.size += len(line)
            if self.size > MAX_RECORD_CHARS:
                raise _RecordTooLong
            yield line

    def record_done(self) -> None:
        self.current = []
        self.size = 0

    def resync(self) -> None:
        """After a broken record: replay its lines after the first, from the next record start."""
        held = self.current[1:]
        self.record_done()
        start = next((i for i, (_, line) in enumerate(held) if RECORD_START.match(line)), len(held))
        held = held[start:]
        self.replay.extendleft(reversed(held))
        if not held:
            self._skip_to_record_start()

    def _skip_to_record_start(self) -> None:
        for line in self._lines:
            self.line_no += 1
            if RECORD_START.match(line):
                self.replay.append((self.line_no, line))
                return

    @property
    def first_line(self) -> int:
        return self.current[0][0] if self.current else self.line_no


def row_to_cable(row: list[str], source: str) -> RawCable:
    """One 8-column row → RawCable."""
    fields = dict(zip(COLUMNS, row))
    header, partial = strip_partial_notice(tidy_lines(fields["header"]))
    refid = fields["refid"].strip()
    created = parse_site_datetime(fields["date"]) if fields["date"].strip() else None
    notes = [f"unreadable date {fields['date'][:40]!r}"] if fields["date"].strip() and created is None else []
    return RawCable(
        source=source,
        format=CSV,
        body=tidy_lines(unwrap_entities(fields["body"])),
        header=header,
        refid=refid or None,
        created=created,
        classification=" ".join(fields["classification"].split()) or None,
        origin=" ".join(fields["origin"].split()) or None,
        references=[ref.strip() for ref in fields["references"].split("|") if ref.strip()],
        partial=partial,
        record_id=fields["id"].strip() or None,
        notes=notes,
    )


def iter_csv(lines: Iterable[str], source: str, shard: Shard = None, first_line: int = 1,
             stop_line: int | None = None) -> Iterator[RawCable | Skipped | None]:
    """Stream the dump: one RawCable or Skipped per record, each named by the file and the
    line its record starts at (``cables.csv (line 2043)``). ``lines`` keep their line ends.

    A record is broken when the csv module rejects it, when it has the wrong number of
    fields, or when one of its inner lines starts like a record (an unclosed quote ran into
    the next one); it is reported and reading resumes at that inner record start.

    With ``shard`` (k, n), only records numbered k+1, k+1+n, … are built or reported; another
    shard's good record yields None (not built: its row is only checked, which every shard
    must do to number the records as one reader would).

    A byte range of the file (``reading.py``) starts at a line that starts a record, numbered
    ``first_line``; records starting at ``stop_line`` or later are the next range's (a
    record that starts before it is read to its end, past it if need be, as one read of the
    whole file would).
    """
    if csv.field_size_limit() < MAX_RECORD_CHARS:
        csv.field_size_limit(MAX_RECORD_CHARS)
    feed = _LineFeed(lines)
    feed.line_no = first_line - 1
    record = 0
    while True:
        reader = csv.reader(feed, escapechar="\\", doublequote=False, strict=True)
        try:
            for row in reader:
                if not row or row == [""]:
                    feed.record_done()
                    continue
                if record == 0 and [name.strip().lower() for name in row] == list(COLUMNS):
                    feed.record_done()  # a header row
                    continue
                if stop_line is not None and feed.first_line >= stop_line:
                    return
                record += 1
                mine = owns(shard, record)
                where = f"{source} (line {feed.first_line})" if mine else ""
                problem = _row_problem(row, feed.current)
                if problem:
                    if mine:
                        yield Skipped(where, problem)
                    feed.resync()
                    continue
                feed.record_done()
                yield row_to_cable(row, where) if mine else None
            return
        except (_RecordTooLong, csv.Error) as exc:
            if stop_line is not None and feed.first_line >= stop_line:
                return
            record += 1
            reason = (f"record longer than {MAX_RECORD_CHARS} characters (unclosed quote?)"
                      if isinstance(exc, _RecordTooLong) else f"broken CSV record: {exc}")
            if owns(shard, record):
                yield Skipped(f"{source} (line {feed.first_line})", reason)
            feed.resync()


def _row_problem(row: list[str], lines: list[tuple[int, str]]) -> str | None:
    if len(row) != len(COLUMNS):
        return f"broken CSV record: {len(row)} fields, expected {len(COLUMNS)}"
    inner_start = next((no for no, line in lines[1:] if line.startswith('"') and RECORD_START.match(line)), None)
    if inner_start is not None:
        return f"broken CSV record: runs into a record starting at line {inner_start}"
    if not row[7].strip():
        return "CSV record with an empty body"
    return None
