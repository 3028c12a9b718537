"""A Whoosh file storage whose commits survive power loss.

Whoosh publishes a commit by renaming a new TOC file (``_MAIN_<generation>.toc``) into
place; the TOC names the segment files the commit wrote. Whoosh never calls fsync, so after
a power loss the rename can be on disk while the segment files, or the TOC's own bytes, are
not: the index would name files that are empty or missing. Here publishing a TOC first
makes the segment files and their directory entries durable, then the TOC's bytes, and only
then renames it into place and makes the rename durable. A crash at any point leaves the
previous TOC, or the new one with everything it names.
"""

from __future__ import annotations

import os

from whoosh.filedb.filestore import FileStorage

TOC_SUFFIX = ".toc"


def fsync_path(path: str) -> None:
    """Flush a file's (or a directory's) data and metadata to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class DurableFileStorage(FileStorage):
    """FileStorage that fsyncs a commit's files before the TOC that publishes them."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._synced: dict[str, tuple[int, int]] = {}  # name -> (size, mtime_ns) at its fsync

    def rename_file(self, oldname: str, newname: str, safe: bool = False) -> None:
        if not newname.endswith(TOC_SUFFIX):
            return super().rename_file(oldname, newname, safe)
        self._sync_segment_files(prefix=newname[1:].rsplit("_", 1)[0] + "_")
        fsync_path(self.folder)  # the segment files' names
        fsync_path(self._fpath(oldname))  # the TOC's bytes
        super().rename_file(oldname, newname, safe)
        fsync_path(self.folder)  # the rename that publishes the commit

    def _sync_segment_files(self, prefix: str) -> None:
        """fsync every segment file (``<indexname>_<segment id>.<ext>``) not synced since it
        last changed: the commit's new ones."""
        present: set[str] = set()
        for entry in os.scandir(self.folder):
            name = entry.name
            present.add(name)
            if not name.startswith(prefix) or not entry.is_file(follow_symlinks=False):
                continue
            stat = entry.stat(follow_symlinks=False)
            if stat.st_size == 0:
                continue  # lock files: nothing to flush
            state = (stat.st_size, stat.st_mtime_ns)
            if self._synced.get(name) == state:
                continue
            try:
                fsync_path(entry.path)
            except FileNotFoundError:
                continue  # a temporary file removed meanwhile
            self._synced[name] = state
        for gone in self._synced.keys() - present:  # merged away: forget, so memory stays flat
            del self._synced[gone]
