"""Parse workers are forked from the writer process; they must not keep its index files.

A tantivy thread holds the index's meta lock (a flock) for a moment while it reloads. A
worker forked in that moment inherited the descriptor, and a flock stays held while any
copy of its descriptor is open: the writer's next reload waited for ever (seen on a
2-million-paragraph build). Here the lock is held on purpose while the workers fork.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time

import pytest

from indexer.build import _ParallelParser, _Task
from indexer.engines.base import Engine

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="descriptors are found through /proc")


def _can_lock(path) -> bool:
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_a_lock_held_in_the_index_while_workers_fork_is_not_kept_by_them(tmp_path, corpus):
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    lock_file = index_dir / ".engine-meta.lock"
    held = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(held, fcntl.LOCK_EX)  # as an engine thread holds it at the fork
    dump = corpus / "cables-csv" / "cables-dev.csv"
    parser = _ParallelParser([_Task(str(dump))], 1, Engine.prepare, index_dir)
    try:
        first = next(parser.messages(lambda: False))  # the worker is up and parsing
        assert first[0] in ("cables", "skip")
        assert all(p.is_alive() for p in parser.procs)  # still busy: the queue is bounded
        os.close(held)  # the engine thread lets go
        deadline = time.monotonic() + 10
        while not _can_lock(lock_file) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _can_lock(lock_file), "a parse worker still holds the index's lock"
    finally:
        parser.close()
