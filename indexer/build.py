"""The build loop: parse files in worker processes, write whole cables in batched commits.

Worker processes parse (``indexer.parse.parse_path``) and send cables back in small batches
through a bounded queue; the main process writes them to the engine. Every commit holds
whole cables only, so a run killed at any point leaves the last committed index intact, and
since writing is idempotent (the same version again is "unchanged") re-running the same
command finishes the job with exactly the result of an uninterrupted run.

Whoosh writer settings, measured by the benchmark (``python -m bench --scale 10``: the
corpus replicated to 21,040 cables and 173,210 paragraphs in one cables.csv, parsing
included, 2 cores, another benchmark running beside it):

  settings                                  wall s  CPU s (all processes)  peak RSS MB
  one writer, limitmb 128 (Whoosh's default)  453     456                  247 + 40
  two writer processes (MpWriter), each        698     696                  301 + 207
    leaving its own segment, limitmb 128

The two-process writer costs more CPU than it saves, so the index is written by one process
(engines/whoosh/engine.py) and the second core parses. A larger pool bought nothing
(limitmb 412: the same CPU, 590 MB). Memory stays flat across commits since readers map
segment files in place (engines/whoosh/patches.py; before, every reader copied the
segments into the heap and forked sub-writers inherited it: 4.3 GB at this size).

The workers also run the engine's ``prepare_batch`` on the cables of each message (the
index-free part of writing them; for tantivy the paragraph documents as JSON and the cable
document; for Whoosh the message's documents analyzed, their postings grouped by term), so
the writer process only adds documents. A file larger than SHARD_BYTES (an archive dump, one
cables.csv) is parsed by every worker at once: a plain CSV dump in byte ranges, each worker
reading and building the records that start in its share of the file (reading.py); a
compressed one, or mongoexport lines, by every worker reading the whole file and building
every n-th record. The engine sets the number of workers and the commit size
(``Engine.writer_takes_a_core``, ``Engine.build_batch``).

Tantivy, the same 10x cables.csv, `cables index --engine tantivy` (CPU = user + sys of all
processes; another benchmark and other tests ran beside it, load 4-5, so wall is loose):

  commit                                         wall s  CPU s  peak RSS MB
  f62f8ab (regex tokenizer, dicts, 1 worker)      163     109     376
  now (see engines/tantivy/*.py, 2 workers)        55      59     518

Split now, per paragraph of CPU: parse workers ~0.2 ms (parsing ~0.075, the documents
~0.11, sending), writer process ~0.13 ms (tantivy's indexing threads ~0.1, feeding them
~0.03).
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing as mp
import os
import pickle
import queue
import signal
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .engines.base import Engine, IndexWriteFailed
from .engines.registry import open_index, open_or_create_index
from .lock import WriteLock
from .model import Cable, ParseError
from .progress import Progress
from .versions import version_digest

DEFAULT_MEMORY_MB = 2048
DEFAULT_BATCH_CABLES, DEFAULT_BATCH_PARAGRAPHS = Engine.build_batch  # engines may differ
SEND_CABLES = 50  # cables per message from a parse worker
QUEUED_PER_WORKER = 12  # messages a parse worker may have waiting for the writer
SHARD_BYTES = 32 * 1024 * 1024  # a larger file is parsed by several workers at once


@dataclass
class Skipped:
    source: str
    reason: str


@dataclass
class BuildSummary:
    """What one `cables index` run did."""

    index: str
    files: int = 0
    cables: int = 0  # cables read
    added: int = 0
    replaced: int = 0
    unchanged: int = 0
    kept: int = 0  # an older release seen after a newer one: kept as a version, not applied
    removed: int = 0
    paragraphs: int = 0  # paragraph documents written
    commits: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    interrupted: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        return data


def default_workers(engine: Engine | None = None) -> int:
    """Parse processes: every core but the one the writer uses (``writer_takes_a_core``),
    at least one."""
    cores = os.cpu_count() or 2
    if engine is not None and not engine.writer_takes_a_core:
        return cores
    return max(1, cores - 1)


def input_files(paths: Iterable[str | Path], skipped: list[Skipped]) -> list[Path]:
    """Files under the given paths (directories walked, hidden names left out), sorted."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(Path(root) / f for f in sorted(files) if not f.startswith("."))
        elif path.exists():
            found.append(path)
        else:
            skipped.append(Skipped(str(path), "no such file or directory"))
    return list(dict.fromkeys(found))


# --- parsing, in worker processes or inline ------------------------------------------------

# the engine's index-free part of writing, for one message's cables (Engine.prepare_batch)
Prepare = Callable[[list[Cable]], list[Any]]


@dataclass(frozen=True)
class _PrepareNew:
    """``prepare`` for the cables the index does not hold yet; a cable whose version it holds
    (``Engine.known_digests``, taken under the write lock) goes to the writer as parsed, to
    be counted unchanged. A rerun over files already indexed then parses them but analyzes
    nothing: on the corpus with two workers, Whoosh 63 s -> 11 s, tantivy 11 s -> 8 s."""

    prepare: Prepare
    known: frozenset[str]

    def __call__(self, cables: list[Cable]) -> list[Any]:
        if not self.known:  # a first build: no digest to compute
            return self.prepare(cables)
        new: list[Cable] = []
        held: list[Cable] = []
        for cable in cables:
            (held if version_digest(cable) in self.known else new).append(cable)
        return (self.prepare(new) if new else []) + held


@dataclass(frozen=True)
class _Task:
    """One file, or one shard of a large one: shard k of n reads the records that start in
    the k-th n-th of a plain CSV dump's bytes, else the records numbered k + 1, k + 1 + n …
    (see reading.read_path)."""

    path: str
    shard: int = 0
    shards: int = 1


def _tasks(files: list[Path], workers: int) -> list[_Task]:
    """Large files (an archive dump) are split between the workers, the rest go whole."""
    tasks = []
    for path in files:
        try:
            size = path.stat().st_size
        except OSError:
            size = 0
        shards = max(1, min(workers, size // SHARD_BYTES + 1))
        tasks.extend(_Task(str(path), k, shards) for k in range(shards))
    return tasks


def _parse_file(task: _Task, emit: Callable[[tuple], None], prepare: Prepare) -> None:
    """Parse one file or shard, emitting ("cables", [prepared cable, ...], paragraphs),
    ("skip", source, reason) and finally ("done", path) messages. What concerns the whole
    file (unreadable input) is reported by its shard 0 only, a skipped record by its own shard."""
    from .parse import build_cable
    from .reading import read_path

    first = task.shard == 0

    def skip(source: Any, reason: Any) -> None:  # (read_path reports each problem to one shard)
        emit(("skip", str(source), str(reason)))

    batch: list[Cable] = []
    paragraphs = 0
    building = False  # an error while building a cable is this shard's, else the file's
    try:
        shard = (task.shard, task.shards) if task.shards > 1 else None
        for raw in read_path(task.path, on_skip=skip, shard=shard):
            building = True
            try:
                cable = build_cable(raw)
            except ParseError as exc:
                emit(("skip", str(raw.source), str(exc)))
                continue
            batch.append(cable)
            paragraphs += len(cable.paragraphs)
            if len(batch) >= SEND_CABLES:
                ready, count = batch, paragraphs
                batch, paragraphs = [], 0  # (sent or reported below, never twice)
                emit(("cables", prepare(ready), count))
            building = False
    except ParseError as exc:
        if first or building:
            emit(("skip", task.path, str(exc)))
    except OSError as exc:
        if first or building:
            emit(("skip", task.path, f"unreadable: {exc.strerror or exc}"))
    except Exception as exc:  # a parser bug must not end the run: report the file and go on
        if first or building:
            emit(("skip", task.path, _parser_failed(exc)))
    if batch:
        try:
            emit(("cables", prepare(batch), paragraphs))
        except Exception as exc:
            emit(("skip", task.path, _parser_failed(exc)))
    emit(("done", task.path))


def _parser_failed(exc: Exception) -> str:
    return f"parser failed: {type(exc).__name__}: {exc}"


def _close_inherited_index_files(index_dir: str) -> None:
    """Close this forked process's copies of descriptors on files in ``index_dir``.

    An engine thread may hold a file lock at the moment we are forked (tantivy's meta lock,
    taken while it reloads): our copy of the descriptor would keep the lock held after the
    thread lets go, and the writer would wait for it for ever. A parse worker never touches
    the index. Found through /proc (Linux); elsewhere nothing is closed.
    """
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return
    inside = os.path.join(os.path.realpath(index_dir), "")
    for name in names:
        try:
            if os.readlink(f"/proc/self/fd/{name}").startswith(inside):
                os.close(int(name))
        except OSError:
            continue


# Collect cyclic garbage after 20,000 net allocations rather than 700: a build makes
# millions of short-lived containers (cables, documents, batches unpickled) and almost no
# cycles, and the collector's passes were ~7% of a parse worker's CPU and half the writer's
# unpickling (tantivy engine, corpus replicated 3x).
GC_THRESHOLD = (20_000, 50, 1000)


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    previous = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def _worker(tasks, results, prepare: Prepare, index_dir: str) -> None:
    # (forked while the index lock is held: indexer.lock closed our copy of it and made us
    # die with the build process)
    _close_inherited_index_files(index_dir)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.freeze()  # what the parent made stays: no collection needs to look at it again
    gc.set_threshold(*GC_THRESHOLD)
    while (task := tasks.get()) is not None:
        _parse_file(task, _sender(results), prepare)
    results.put(("exit",))


def _sender(results) -> Callable[[tuple], None]:
    """``results.put``, a message's cables pickled first: the queue's feeder thread holds
    what waits for the pipe as objects (~18 MB for 50 cables' Whoosh documents, ~3 MB
    pickled), and a worker may have QUEUED_PER_WORKER messages waiting."""
    def send(message: tuple) -> None:
        if message[0] == "cables":
            message = ("cables", pickle.dumps(message[1], pickle.HIGHEST_PROTOCOL), message[2])
        results.put(message)
    return send


class _ParallelParser:
    """Parse processes fed from a task queue, their messages read through a bounded queue."""

    def __init__(self, tasks: list[_Task], workers: int, prepare: Prepare,
                 index_dir: Path) -> None:
        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
        self.tasks = ctx.Queue()
        self.results = ctx.Queue(maxsize=QUEUED_PER_WORKER * workers)
        for task in tasks:
            self.tasks.put(task)
        for _ in range(workers):
            self.tasks.put(None)
        self.procs = [ctx.Process(target=_worker, args=(self.tasks, self.results, prepare,
                                                          str(index_dir)),
                                  daemon=True) for _ in range(workers)]
        for proc in self.procs:
            proc.start()

    def messages(self, should_stop: Callable[[], bool]) -> Iterator[tuple]:
        running = len(self.procs)
        while running and not should_stop():
            try:
                message = self.results.get(timeout=0.2)
            except queue.Empty:
                if not any(p.is_alive() for p in self.procs):
                    yield ("skip", "(parser)", "a parse process died; files it had not "
                           "finished were not indexed")
                    return
                continue
            if message[0] == "exit":
                running -= 1
            elif message[0] == "cables":
                yield ("cables", pickle.loads(message[1]), message[2])
            else:
                yield message

    def close(self) -> None:
        for proc in self.procs:
            if proc.is_alive():
                proc.terminate()
        for proc in self.procs:
            proc.join(timeout=5)
        self.results.cancel_join_thread()
        self.tasks.cancel_join_thread()


def _inline_messages(files: list[Path], should_stop: Callable[[], bool],
                     prepare: Prepare) -> Iterator[tuple]:
    out: list[tuple] = []
    for path in files:
        if should_stop():
            return
        _parse_file(_Task(str(path)), out.append, prepare)
        yield from out
        out.clear()


# --- the build -----------------------------------------------------------------------------

class _StopFlag:
    """Ctrl-C asks the build to stop at the next message; a second Ctrl-C interrupts at once."""

    def __init__(self) -> None:
        self.requested = False
        self._previous = None

    def __enter__(self) -> "_StopFlag":
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def __call__(self) -> bool:
        return self.requested


def writer_memory_mb(memory_mb: int, workers: int) -> int:
    """The engine writer's share of the run's memory budget.

    Measured (bench/index_speed.py): the main process needs ~170 MB besides the writer
    (interpreter, one batch of cables), a parse worker ~100 MB.
    """
    return max(64, memory_mb - 170 - 100 * workers)


@contextlib.contextmanager
def _write_errors(index_dir: Path) -> Iterator[None]:
    """A full disk or a read-only index becomes one clear error; the engines cancel the
    commit under way, so the index stays as it was last committed."""
    try:
        yield
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise IndexWriteFailed(f"cannot write index {index_dir}: {reason}; "
                               "what was committed before is intact") from None


def build_index(paths: Iterable[str | Path], index_dir: str | Path, *,
                memory_mb: int = DEFAULT_MEMORY_MB, workers: int | None = None,
                progress: Callable[[Progress], None] | None = None, wait: bool = False,
                on_skip: Callable[[Skipped], None] | None = None,
                writer_settings: str = "tuned", engine_name: str | None = None,
                batch_cables: int | None = None,
                batch_paragraphs: int | None = None) -> BuildSummary:
    """Index every cable found under ``paths`` into ``index_dir`` (created when missing).

    ``engine_name`` (whoosh | tantivy) is the engine of a new index; an existing index keeps
    its own, and naming another one is an error.

    ``writer_settings="library"`` writes with the engine library's own defaults instead of
    cablesearch's tuned ones: the benchmark's reference point (bench/engines.py).

    ``on_skip`` is called with each skipped input as soon as it is found.

    ``workers`` (parse processes), ``batch_cables`` and ``batch_paragraphs`` (a commit's
    limits) default to the engine's (``default_workers``, ``Engine.build_batch``).
    """
    started = time.monotonic()
    index_dir = Path(index_dir)
    summary = BuildSummary(index=str(index_dir))
    inside_index = index_dir.resolve()
    files = [f for f in input_files(paths, summary.skipped)
             if inside_index not in f.resolve().parents]
    summary.files = len(files)
    for skip in summary.skipped if on_skip else ():  # paths that do not exist
        on_skip(skip)
    with _write_errors(index_dir):
        return _build(files, index_dir, summary, started, memory_mb=memory_mb, workers=workers,
                      progress=progress, on_skip=on_skip, wait=wait, batch_cables=batch_cables,
                      batch_paragraphs=batch_paragraphs, writer_settings=writer_settings,
                      engine_name=engine_name)


def _build(files: list[Path], index_dir: Path, summary: BuildSummary, started: float, *,
           memory_mb: int, workers: int | None, progress, on_skip, wait: bool,
           batch_cables: int | None, batch_paragraphs: int | None, writer_settings: str,
           engine_name: str | None) -> BuildSummary:
    engine = open_or_create_index(index_dir, engine_name)
    workers = default_workers(engine) if workers is None else max(0, workers)
    batch_cables = batch_cables or engine.build_batch[0]
    batch_paragraphs = batch_paragraphs or engine.build_batch[1]
    try:
        with WriteLock(index_dir, wait=wait), _StopFlag() as stop:
            engine.set_memory_budget(writer_memory_mb(memory_mb, workers))
            if writer_settings == "library":
                engine.use_library_writer_defaults()
            with _fewer_collections():
                _run(engine, index_dir, files, workers, stop, summary, progress, started,
                     batch_cables, batch_paragraphs, on_skip)
            summary.interrupted = stop.requested
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        engine.close()
        summary.seconds = time.monotonic() - started
    return summary


def _run(engine: Engine, index_dir: Path, files: list[Path], workers: int, stop: _StopFlag,
         summary: BuildSummary, progress: Callable[[Progress], None] | None, started: float,
         batch_cables: int, batch_paragraphs: int,
         on_skip: Callable[[Skipped], None] | None = None) -> None:
    pending: list[Any] = []  # cables as the engine's prepare made them
    pending_paragraphs = 0
    files_done = 0

    def commit() -> None:
        nonlocal pending, pending_paragraphs
        if not pending:
            return
        report = engine.write(pending)
        summary.commits += bool(report.added or report.replaced or report.kept_newer)
        summary.cables += len(pending)
        summary.added += report.added
        summary.replaced += report.replaced
        summary.unchanged += report.unchanged
        summary.kept += report.kept_newer
        summary.paragraphs += report.paragraphs
        pending, pending_paragraphs = [], 0

    def tick() -> None:
        if progress is not None:
            progress(Progress(files_done, len(files), summary.cables + len(pending),
                              summary.paragraphs, summary.commits, time.monotonic() - started))

    prepare = _PrepareNew(engine.build_prepare(), frozenset(engine.known_digests()))
    tasks = _tasks(files, workers)
    shards_left = Counter(task.path for task in tasks)
    parallel = (_ParallelParser(tasks, workers, prepare, index_dir)
                if workers and len(files) > 0 else None)
    try:
        messages = parallel.messages(stop) if parallel else _inline_messages(files, stop, prepare)
        for message in messages:
            kind = message[0]
            if kind == "cables":
                pending.extend(message[1])
                pending_paragraphs += message[2]
                if len(pending) >= batch_cables or pending_paragraphs >= batch_paragraphs:
                    commit()
            elif kind == "skip":
                summary.skipped.append(Skipped(message[1], message[2]))
                if on_skip is not None:
                    on_skip(summary.skipped[-1])
            elif kind == "done":
                shards_left[message[1]] -= 1
                files_done += shards_left[message[1]] <= 0
            tick()
        if not stop():
            commit()
    finally:
        if parallel:
            parallel.close()


def remove_cables(refids: Iterable[str], index_dir: str | Path, *, wait: bool = False) -> BuildSummary:
    """Remove whole cables (every paragraph and version) from the index."""
    started = time.monotonic()
    summary = BuildSummary(index=str(index_dir))
    engine = open_index(index_dir)
    try:
        with _write_errors(Path(index_dir)), WriteLock(Path(index_dir), wait=wait):
            report = engine.remove(refids)
            summary.removed = report.removed
            summary.commits = 1
    finally:
        engine.close()
        summary.seconds = time.monotonic() - started
    return summary


def optimize_index(index_dir: str | Path, *, wait: bool = False) -> None:
    """Merge the index's segments into one."""
    engine = open_index(index_dir)
    try:
        with _write_errors(Path(index_dir)), WriteLock(Path(index_dir), wait=wait):
            engine.optimize()
    finally:
        engine.close()
