"""One writer per index: an fcntl lock file of our own, held for a whole run.

The kernel drops the lock when the process dies (even by SIGKILL), so a crashed run never
leaves a stale lock behind. The file holds the holder's pid, for the message.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
from pathlib import Path

from .engines.base import IndexBusy
from .engines.safety import private_files

LOCK_FILE = "cablesearch.lock"

_held: set[int] = set()  # lock fds this process holds


def _after_fork_in_child() -> None:
    """A child forked while we hold the lock (parse workers; Whoosh's MpWriter, if used)
    must neither keep the lock alive after we die nor outlive us: close its copy of the
    lock and ask the kernel to kill it when its parent dies (Linux; elsewhere a no-op)."""
    if not _held:
        return
    for fd in list(_held):
        try:
            os.close(fd)
        except OSError:
            pass
    _held.clear()
    die_with_parent()


def die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


os.register_at_fork(after_in_child=_after_fork_in_child)


class WriteLock:
    """``with WriteLock(index_dir, wait=False):`` raises IndexBusy when another run holds it."""

    def __init__(self, index_dir: Path, wait: bool = False) -> None:
        self.index_dir = Path(index_dir)
        self.wait = wait
        self.fd: int | None = None

    def acquire(self) -> None:
        with private_files():
            fd = os.open(self.index_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not self.wait:
                    raise IndexBusy(
                        f"index {self.index_dir} is being written by another process "
                        f"(pid {self._holder(fd)}); use --wait to wait") from None
                fcntl.flock(fd, fcntl.LOCK_EX)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd
        _held.add(fd)

    @staticmethod
    def _holder(fd: int) -> str:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        return text if text.isdigit() else "unknown"

    def release(self) -> None:
        if self.fd is not None:
            _held.discard(self.fd)
            os.close(self.fd)  # closing drops the flock
            self.fd = None

    def __enter__(self) -> "WriteLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
