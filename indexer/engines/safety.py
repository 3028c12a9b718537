"""Owner-only index directories.

Whoosh (and many engines) store the schema and stored fields with pickle: opening an index
that someone else could write can run their code. Indexes are created readable and writable
by their owner only, and an index another user could have written is refused.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import Iterator

from .base import IndexMissing, IndexUnsafe

PRIVATE_UMASK = 0o077


@contextlib.contextmanager
def private_files() -> Iterator[None]:
    """Create files and directories owner-only while the block runs (process-wide umask)."""
    old = os.umask(PRIVATE_UMASK)
    try:
        yield
    finally:
        os.umask(old)


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) with mode 0700; tighten it if it exists and is ours."""
    with private_files():
        path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def missing_message(path: Path) -> str:
    """What to tell someone who names a directory that holds no index."""
    return f"no index at {path}: build one with `cables index PATH --index {path}`"


def new_index_dir(path: Path | str) -> Path:
    """``path`` as a Path, created owner-only (with missing parents) for a new index."""
    path = Path(path)
    make_private_dir(path)
    return path


def existing_index_dir(path: Path | str) -> Path:
    """``path`` as a Path when it is a directory safe to open; else IndexMissing / IndexUnsafe."""
    path = Path(path)
    if not path.is_dir():
        raise IndexMissing(missing_message(path))
    ensure_private(path)
    return path


def ensure_private(path: Path) -> None:
    """Refuse an index whose directory or files another user owns or could write."""
    uid = os.getuid()
    for entry in [path, *sorted(path.iterdir())]:
        try:
            info = entry.lstat()
        except FileNotFoundError:  # a temporary file that a writer just renamed away
            continue
        if stat.S_ISLNK(info.st_mode):
            raise IndexUnsafe(f"index {path} is unsafe: {entry.name} is a symbolic link; "
                              "refusing to open it (Whoosh unpickles index files)")
        if info.st_uid != uid and uid != 0:
            raise IndexUnsafe(f"index {path} is unsafe: {entry} belongs to another user "
                              "(uid {}); opening it could run their code".format(info.st_uid))
        if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise IndexUnsafe(
                f"index {path} is unsafe: {entry} is writable by other users "
                f"(mode {stat.S_IMODE(info.st_mode):o}); opening it could run their code. "
                f"If you trust it: chmod -R go-w {path}")
