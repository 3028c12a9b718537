"""Read files, directories and strings into RawCables, whatever their format.

The format is detected from the content (the first few KB), not from the file name;
gzip, bzip2 and xz files are decompressed on the fly (recognised by their magic bytes).
Single-cable formats are read whole; the dump (cables.csv) and mongoexport JSON lines are
streamed record by record. Every file or record that cannot be read is reported through
``on_skip(source, reason)`` and the walk goes on.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import logging
import lzma
import os
import re
import stat
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from indexer.formats.base import RawCable
from indexer.formats.csvdump import CSV, RECORD_START, iter_csv, looks_like_csv
from indexer.formats.html import BODY_PRE, HTML, read_body_pre, read_html_page
from indexer.formats.markdown import MARKDOWN, looks_like_markdown, read_markdown
from indexer.formats.mongo import JSONL, iter_mongo, looks_like_mongo
from indexer.formats.plain import PLAIN, read_plain
from indexer.formats.records import Shard, Skipped
from indexer.model import ParseError

log = logging.getLogger("cablesearch")

FORMATS: frozenset[str] = frozenset({HTML, BODY_PRE, PLAIN, MARKDOWN, CSV, JSONL})
STREAMED: frozenset[str] = frozenset({CSV, JSONL})

SNIFF_BYTES = 8192
MAX_FILE_BYTES = 64 * 1024 * 1024  # a single-cable file larger than this is not one cable
MAX_LINE_BYTES = 8 * 1024 * 1024  # in a streamed file (records are capped at 4 M characters)
BLOCK_BYTES = 1024 * 1024  # a plain streamed file is read and decoded this much at a time
_COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz")
# Failures of the file system or a decompressor, turned into skips at the file boundary.
_READ_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError)

OnSkip = Callable[[str, str], None]


def _log_skip(source: str, reason: str) -> None:
    log.warning("skipped %s: %s", source, reason)


# --- detection ----------------------------------------------------------------------------

def _looks_like_html_page(head: str) -> bool:
    start = head.lstrip("\ufeff \t\r\n")[:400].lower()
    return start.startswith(("<?xml", "<!doctype html", "<html")) or "<html" in start


def _has_markup(head: str) -> bool:
    lower = head.lower()
    return any(tag in lower for tag in ("<pre", "<code", "<br", "<a href", "<div", "<p>"))


def detect_format(head: str) -> str:
    """The format of a text from its first few KB (plain text when nothing else fits)."""
    if looks_like_mongo(head):
        return JSONL
    if looks_like_csv(head):
        return CSV
    if _looks_like_html_page(head):
        return HTML
    if _has_markup(head):
        return BODY_PRE
    if looks_like_markdown(head):
        return MARKDOWN
    return PLAIN


# --- decoding -----------------------------------------------------------------------------

def _cp1252_or_latin1(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: bytes that are not UTF-8 are read as cp1252 (latin-1 where
    cp1252 leaves a byte undefined), so one stray byte does not garble a whole file."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start:error.end]
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in bad), error.end


codecs.register_error("cablesearch-cp1252", _cp1252_or_latin1)

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_UTF8_BOM = codecs.BOM_UTF8
_utf8 = bytes.decode  # (UTF-8, strict)
_BOMS = (_UTF8_BOM, *_UTF16_BOMS)


def decode_bytes(data: bytes) -> tuple[str, str | None]:
    """UTF-8 (BOM allowed; UTF-16 with a BOM); bytes that are not UTF-8 are read as cp1252 or
    latin-1. Returns (text, a note when the fallback was used)."""
    if data.startswith(_UTF16_BOMS):
        return data.decode("utf-16", errors="replace"), "UTF-16 text"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return data.decode("utf-8-sig", errors="cablesearch-cp1252"), "not UTF-8: read as cp1252/latin-1"


_CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or b > 13)


def _is_binary(head: bytes) -> bool:
    if b"\x00" in head:
        return True
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return len(head) > 0 and controls / len(head) > 0.05


# --- strings ------------------------------------------------------------------------------

def _refid_hint(source: str) -> str | None:
    name = Path(source).name
    for suffix in _COMPRESSED_SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    stem = name.split(".")[0]
    return stem.upper() or None


def _read_single(text: str, source: str, fmt: str) -> RawCable:
    hint = _refid_hint(source)
    if fmt == HTML:
        return read_html_page(text, source)
    if fmt == BODY_PRE:
        return read_body_pre(text, source, hint)
    if fmt == MARKDOWN:
        return read_markdown(text, source, hint)
    return read_plain(text, source, hint)


def _iter_records(fmt: str, lines: Iterable[str], source: str,
                  shard: Shard = None) -> Iterator[RawCable | Skipped | None]:
    return iter_csv(lines, source, shard) if fmt == CSV else iter_mongo(lines, source, shard)


def read_text(text: str, source: str = "<text>", format: str | None = None) -> list[RawCable]:
    """Read a string: all its cables. Raises ParseError for a non-cable or a broken record."""
    if format is not None and format not in FORMATS:
        raise ParseError(f"{source}: unknown format {format!r} (one of: {', '.join(sorted(FORMATS))})")
    fmt = format or detect_format(text[:SNIFF_BYTES])
    if fmt in STREAMED:
        cables: list[RawCable] = []
        for item in _iter_records(fmt, text.splitlines(keepends=True), source):
            if item is None:  # (never without a shard)
                continue
            if isinstance(item, Skipped):
                raise ParseError(f"{item.source}: {item.reason}")
            cables.append(item)
        if not cables:
            raise ParseError(f"{source}: no cable records")
        return cables
    try:
        return [_read_single(text, source, fmt)]
    except ParseError as exc:
        raise ParseError(f"{source}: {exc}") from exc


# --- files --------------------------------------------------------------------------------

def open_binary(path: Path) -> BinaryIO:
    """Open a file for reading, decompressing gzip, bzip2 or xz by their magic bytes."""
    with open(path, "rb") as probe:
        magic = probe.read(6)
    # The decompressors open the file themselves, so that closing them closes it.
    if magic.startswith(b"\x1f\x8b"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if magic.startswith(b"BZh"):
        return bz2.open(path, "rb")  # type: ignore[return-value]
    if magic.startswith(b"\xfd7zXZ\x00"):
        return lzma.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


class _LineDecoder:
    """Decoded lines of a binary stream; remembers fallbacks and a read error that ended it.

    A line longer than MAX_LINE_BYTES (a file without line breaks) is dropped up to its end
    and reported, so that memory stays bounded whatever the input.

    A plain file is read in blocks of BLOCK_BYTES, split into lines and decoded in C (a line
    that is not UTF-8, or a block with a BOM, goes through ``_decode`` as before): the same
    lines and notes, at ~0.15 rather than ~0.35 us a line (a Cablegate dump has ~90 lines a
    cable, and every shard reads them all). A compressed stream is read line by line, so
    that a truncated one yields every line before the break.
    """

    def __init__(self, stream: BinaryIO, source: str, on_skip: OnSkip) -> None:
        self._stream = stream
        self._source = source
        self._on_skip = on_skip
        self.fallbacks = 0
        self.error: str | None = None
        self.line_no = 0  # lines read so far (for reporting a dropped line)

    def __iter__(self) -> Iterator[str]:
        if isinstance(self._stream, io.BufferedReader):
            return self._blocks()
        return self._lines()

    def _decode(self, raw: bytes) -> str:
        text = None
        if not raw.startswith(_BOMS):  # then decode_bytes reads UTF-8 as plain UTF-8
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                pass
        if text is None:
            text, note = decode_bytes(raw)
            if note:
                self.fallbacks += 1
        return text

    def _drop_long_line(self) -> None:
        self._on_skip(f"{self._source} (line {self.line_no})",
                      f"line longer than {MAX_LINE_BYTES // 2**20} MB dropped")

    def _lines(self) -> Iterator[str]:
        readline = self._stream.readline
        try:
            while True:
                raw = readline(MAX_LINE_BYTES + 1)
                if not raw:
                    return
                self.line_no += 1
                if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                    while raw and not raw.endswith(b"\n"):  # drop the rest of the line
                        raw = self._stream.readline(MAX_LINE_BYTES)
                    self._drop_long_line()
                    continue
                yield self._decode(raw)
        except _READ_ERRORS as exc:
            self.error = _describe(exc)

    def _blocks(self) -> Iterator[str]:
        try:
            for block in self._whole_line_blocks():
                self.line_no += block.count(b"\n") + (not block.endswith(b"\n"))
                lines = io.BytesIO(block)  # (splits at b"\n" only, as readline does)
                if _UTF8_BOM in block:  # a line may start with one: each as _decode reads it
                    yield from map(self._decode, lines)
                    continue
                while True:
                    try:
                        yield from map(_utf8, lines)
                        break
                    except UnicodeDecodeError as exc:  # (its object is the line)
                        yield self._decode(exc.object)
        except _READ_ERRORS as exc:
            self.error = _describe(exc)

    def _whole_line_blocks(self) -> Iterator[bytes]:
        """The stream in blocks that end at a newline (the last one may lack it), a line
        longer than MAX_LINE_BYTES dropped and reported."""
        read = self._stream.read
        carry = b""  # the start of a line whose end is in a later block
        while True:
            chunk = read(BLOCK_BYTES)
            if not chunk:
                break
            data = carry + chunk if carry else chunk
            first = data.find(b"\n")
            if first < 0 and len(data) <= MAX_LINE_BYTES:
                carry = data
                continue
            if first < 0 or first > MAX_LINE_BYTES:  # its first line is too long
                self.line_no += 1
                while first < 0:  # drop it up to its end
                    data = read(BLOCK_BYTES)
                    if not data:
                        break
                    first = data.find(b"\n")
                self._drop_long_line()
                data = data[first + 1:] if first >= 0 else b""
            cut = data.rfind(b"\n") + 1
            carry = data[cut:]
            if cut:
                yield data[:cut] if carry else data
        if carry:
            yield carry


def _describe(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "truncated compressed file"
    if isinstance(exc, FileNotFoundError):
        return "no such file (vanished, or a broken link)"
    if isinstance(exc, PermissionError):
        return "permission denied"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"unreadable: {text[:160]}"


def _ignore_skip(source: str, reason: str) -> None:
    pass


def _read_file(path: Path, on_skip: OnSkip, shard: Shard = None) -> Iterator[RawCable]:
    """The cables of one file. With ``shard`` (k, n): only shard k's share of a streamed
    file (``read_path``), and what concerns the whole file is reported by shard 0 alone."""
    source = str(path)
    first = shard is None or shard[0] == 0
    file_skip = on_skip if first else _ignore_skip
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a FIFO or device would block or never end
            file_skip(source, "not a regular file")
            return
        with open_binary(path) as stream:
            head = stream.read(SNIFF_BYTES)
            if not head.strip():
                file_skip(source, "empty file")
                return
            utf16 = head.startswith(_UTF16_BOMS)  # line by line streaming needs an 8-bit text
            if not utf16 and _is_binary(head):
                file_skip(source, "binary file, not text")
                return
            fmt = detect_format(decode_bytes(head)[0])
            if fmt in STREAMED and not utf16:
                yield from _stream_records(path, fmt, on_skip, file_skip, shard)
                return
            if not first and fmt not in STREAMED:
                return  # one cable: shard 0's
            data = head + stream.read(MAX_FILE_BYTES + 1 - len(head))
            if len(data) > MAX_FILE_BYTES:
                file_skip(source, f"too large to read whole ({fmt}, over {MAX_FILE_BYTES // 2**20} MB)")
                return
    except _READ_ERRORS as exc:
        file_skip(source, _describe(exc))
        return
    text, note = decode_bytes(data)
    if fmt in STREAMED:  # only UTF-16 files get here
        items: Iterable[RawCable | Skipped | None] = _iter_records(fmt, text.splitlines(keepends=True),
                                                                  source, shard)
    else:
        try:
            items = [_read_single(text, source, fmt)]
        except ParseError as exc:
            on_skip(source, str(exc))
            return
    for item in items:
        if item is None:  # another shard's record
            continue
        if isinstance(item, Skipped):
            on_skip(item.source, item.reason)
            continue
        if note:
            item.notes.append(note)
        yield item


# A line that starts a record of the CSV dump, as bytes: csvdump's own rule after a line
# break (the pattern is all ASCII, so a line's bytes start so exactly when its text does).
_CSV_RECORD_LINE = re.compile(b"\n" + RECORD_START.pattern.encode("ascii"))
_LOOKBACK = 64  # bytes kept between blocks, more than a _CSV_RECORD_LINE match


def _record_line_at(stream: BinaryIO, offset: int) -> int | None:
    """Where the first line at or after byte ``offset`` that starts a CSV record begins
    (None: no such line)."""
    if offset <= 0:
        return 0
    stream.seek(offset - 1)  # (a line starting at ``offset`` follows the newline before it)
    base, data = offset - 1, b""
    while True:
        block = stream.read(BLOCK_BYTES)
        if not block:
            return None
        data += block
        found = _CSV_RECORD_LINE.search(data)
        if found:
            return base + found.start() + 1
        keep = min(len(data), _LOOKBACK)
        base += len(data) - keep
        data = data[-keep:]


def _newlines(stream: BinaryIO, start: int, end: int) -> int:
    """Line breaks in bytes ``start`` to ``end`` of the stream (counted in C, read into one
    buffer: a new bytes object per block cost three times as much, ~2.7 s a GB)."""
    stream.seek(start)
    buffer = bytearray(min(16 * BLOCK_BYTES, max(end - start, 0)))
    view = memoryview(buffer)
    count = 0
    while start < end:
        got = stream.readinto(view[:min(len(buffer), end - start)])  # type: ignore[attr-defined]
        if not got:
            break
        count += buffer.count(b"\n", 0, got)
        start += got
    return count


def _byte_range(stream: BinaryIO, shard: tuple[int, int]) -> tuple[int, int, int | None]:
    """Shard k of n of a plain CSV dump as a byte range: the k-th n-th of the file, from the
    first line that starts a record in it to the first that starts one in the next share.
    Returns (start byte, its line number, the next share's first line number or None)."""
    k, n = shard
    size = os.fstat(stream.fileno()).st_size
    start = _record_line_at(stream, size * k // n)
    if start is None:
        return size, 1 + _newlines(stream, 0, size), None  # (nothing of its own)
    stop = _record_line_at(stream, size * (k + 1) // n) if k + 1 < n else None
    first_line = 1 + _newlines(stream, 0, start)
    stop_line = None if stop is None else first_line + _newlines(stream, start, stop)
    return start, first_line, stop_line


def _stream_records(path: Path, fmt: str, on_skip: OnSkip, file_skip: OnSkip,
                    shard: Shard = None) -> Iterator[RawCable]:
    source = str(path)
    with open_binary(path) as stream:
        if fmt == CSV and shard is not None and isinstance(stream, io.BufferedReader):
            yield from _csv_byte_range(stream, source, on_skip, shard)
            return
        lines = _LineDecoder(stream, source, file_skip)
        yield from _cables_noted(_iter_records(fmt, lines, source, shard), lines, on_skip)
        if lines.error:
            file_skip(source, f"{lines.error} (reading stopped)")


def _cables_noted(items: Iterable[RawCable | Skipped | None], lines: _LineDecoder,
                  on_skip: OnSkip) -> Iterator[RawCable]:
    """The cables among a reader's ``items``, each noted when lines read since the last
    one were not UTF-8; skipped records go to ``on_skip``; None (another shard's good
    record) takes the note, if any."""
    seen_fallbacks = 0
    for item in items:
        if item is None:
            seen_fallbacks = lines.fallbacks
            continue
        if isinstance(item, Skipped):
            on_skip(item.source, item.reason)
            continue
        if lines.fallbacks > seen_fallbacks:
            item.notes.append("some lines not UTF-8: read as cp1252/latin-1")
            seen_fallbacks = lines.fallbacks
        yield item


def _csv_byte_range(stream: BinaryIO, source: str, on_skip: OnSkip,
                    shard: tuple[int, int]) -> Iterator[RawCable]:
    """The records of a plain CSV dump that start in shard k of n's byte range
    (``_byte_range``): each shard reads and splits its share only, not the whole file.
    Records are named by their first line, as in one read of the whole file; a problem
    (a record, a dropped line, a read error) is reported by the shard whose lines hold it.
    (One difference: lines not UTF-8 in a skipped record at the end of a share note no
    cable; a whole read notes them on the next cable, the next share's first.)"""
    start, first_line, stop_line = _byte_range(stream, shard)
    stream.seek(start)

    def own_skip(where: str, reason: str) -> None:
        if stop_line is None or lines.line_no < stop_line:
            on_skip(where, reason)

    lines = _LineDecoder(stream, source, own_skip)
    lines.line_no = first_line - 1
    yield from _cables_noted(iter_csv(lines, source, None, first_line, stop_line), lines, on_skip)
    if lines.error:
        own_skip(source, f"{lines.error} (reading stopped)")


def _walk(root: Path, on_skip: OnSkip) -> Iterator[Path]:
    """Files under a directory, sorted, hidden files and directories left out."""
    def report(error: OSError) -> None:
        on_skip(str(error.filename or root), _describe(error))

    for folder, dirs, files in os.walk(root, onerror=report):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                yield Path(folder) / name


def read_path(path: str | os.PathLike[str], on_skip: OnSkip | None = None,
              shard: Shard = None) -> Iterator[RawCable]:
    """All cables in a file or (recursively) a directory; unreadable input goes to on_skip.

    ``shard`` (k, n) reads one of n shares of a file, for n readers working at once: of a
    plain (uncompressed) CSV dump, the records that start in the k-th n-th of its bytes
    (``_csv_byte_range``); of another streamed file, the records numbered k+1, k+1+n, …
    (another shard's records are numbered but not built); the whole of a one-cable file for
    shard 0 only. Each problem is reported by one shard (the record's own, or shard 0 for
    the whole file's). A record of a CSV dump is named by its file and first line,
    ``cables.csv (line 2043)``, however it is read."""
    report = on_skip or _log_skip
    root = Path(path)
    if root.is_dir():
        files: Iterable[Path] = _walk(root, report)
    elif root.exists():
        files = [root]
    else:
        report(str(root), "no such file or directory")
        return
    for file in files:
        yield from _read_file(file, report, shard)
