"""Whoosh's multi-process writer, made to fail cleanly instead of hanging.

In Whoosh 2.7.4 a sub-writer process that hits an error (a full disk, say) prints a
traceback and dies, while the parent blocks for ever on the bounded job queue or waits for
a result that never comes. Here a sub-writer reports its error through the result queue
and exits quietly; the parent checks its sub-writers whenever it would block, raises the
error (an OSError keeps its errno, so callers can say "No space left on device"), and
cancelling stops the sub-writers, so no process is left waiting.
"""

from __future__ import annotations

import queue
import sys
from dataclasses import dataclass
from typing import Any

from whoosh.multiproc import MpWriter, SubWriterTask

_POLL_SECONDS = 0.5


@dataclass
class _Failure:
    """A sub-writer's error, sent back through the result queue."""

    errno: int | None
    message: str


def raise_failure(failure: _Failure) -> None:
    if failure.errno is not None:
        raise OSError(failure.errno, failure.message)
    raise OSError(f"a Whoosh writer process failed: {failure.message}")


class _ReportingTask(SubWriterTask):
    def run(self) -> None:
        try:
            super().run()
        except BaseException as exc:  # any failure goes back to the parent, which raises it
            message = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            try:
                self.resultqueue.put(_Failure(getattr(exc, "errno", None), message), timeout=5)
            finally:
                sys.exit(1)  # exit code 1, and no traceback on the user's terminal


class _GuardedQueue:
    """The parent's view of a queue: never blocks on a sub-writer that has died."""

    def __init__(self, inner: Any, writer: "SafeMpWriter") -> None:
        self.inner = inner
        self.writer = writer

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        while True:
            try:
                return self.inner.put(item, timeout=_POLL_SECONDS)
            except queue.Full:
                self.writer.check_tasks()

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        item = self.inner.get(block, timeout)
        if isinstance(item, _Failure):
            raise_failure(item)
        return item


class SafeMpWriter(MpWriter):
    """MpWriter whose sub-writer failures become an exception in the parent."""

    def __init__(self, ix, procs: int, **kwargs: Any) -> None:
        super().__init__(ix, procs=procs, **kwargs)
        self._jobs, self._results = self.jobqueue, self.resultqueue
        self.jobqueue = _GuardedQueue(self._jobs, self)
        self.resultqueue = _GuardedQueue(self._results, self)

    def _new_task(self):
        task = _ReportingTask(self.storage, self.indexname, self._jobs, self._results,
                              self.subargs, self.multisegment)
        self.tasks.append(task)
        task.start()
        return task

    def check_tasks(self) -> None:
        """Raise the error of a sub-writer that has died."""
        for task in self.tasks:
            if task.exitcode not in (None, 0):
                try:
                    item = self._results.get(timeout=_POLL_SECONDS)
                except queue.Empty:
                    raise OSError(f"a Whoosh writer process died (exit code {task.exitcode})") from None
                if isinstance(item, _Failure):
                    raise_failure(item)
                raise OSError(f"a Whoosh writer process died (exit code {task.exitcode})")

    def cancel(self) -> None:
        try:
            for task in self.tasks:
                if task.is_alive():
                    task.terminate()
                task.join(5)
        finally:
            super().cancel()


def open_writer(ix, options: dict[str, Any]):
    """A writer with ``options``; several processes get the failure-safe MpWriter,
    ``bulk=True`` the in-memory BulkSegmentWriter (bulkwrite.py)."""
    if options.get("bulk"):
        from .bulkwrite import BulkSegmentWriter
        return BulkSegmentWriter(ix, **{k: v for k, v in options.items() if k != "bulk"})
    procs = options.get("procs", 1)
    if procs > 1:
        rest = {k: v for k, v in options.items() if k != "procs"}
        return SafeMpWriter(ix, procs=procs, **rest)
    return ix.writer(**options)
