"""One writer per index: an fcntl lock file of our own, held for a whole run.

The kernel drops the lock when the process dies (even by SIGKILL), so a crashed run never
leaves a stale lock behind. The file holds the holder's pid, for the message.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from .engines.base import IndexBusy
from .engines.safety import private_files

LOCK_FILE = "cablesearch.lock"


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

    @staticmethod
    def _holder(fd: int) -> str:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        return text if text.isdigit() else "unknown"

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing drops the flock
            self.fd = None

    def __enter__(self) -> "WriteLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
