"""Whoosh commits are durable: every file a TOC names is on disk before the TOC exists.

The file system calls of real commits (corpus cables in two commits, a replace, a
remove and an optimize) are recorded: fsync (by path) and the renames that publish a TOC.
At each publication the TOC's segments are read back and every one of their files must
have been fsynced after it last changed, the directory after them, and the TOC's own bytes;
the directory is fsynced again after the rename. The same check finds the holes in plain
Whoosh storage, so it can fail.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

from indexer.engines.registry import create_index
from indexer.parse import parse_path

TOC_PREFIX = "_MAIN_"


class Recorder:
    """Records fsyncs and TOC renames in order, and checks each publication."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
        self.folder = os.path.realpath(folder)
        self.synced: dict[str, int] = {}  # path -> mtime_ns at its last fsync
        self.dir_synced_at = -1  # event number of the last directory fsync
        self.events = 0
        self.publications = 0
        self.problems: list[str] = []
        self.pending_dir_sync: str | None = None
        real_fsync, real_rename = os.fsync, os.rename

        def fsync(fd: int) -> None:
            real_fsync(fd)
            path = os.readlink(f"/proc/self/fd/{fd}")
            self.events += 1
            if path == self.folder:
                self.dir_synced_at = self.events
                self.pending_dir_sync = None
            else:
                self.synced[path] = (os.stat(path).st_mtime_ns, self.events)

        def rename(src, dst, *args, **kwargs) -> None:
            src, dst = os.fspath(src), os.fspath(dst)
            if Path(dst).name.startswith(TOC_PREFIX) and dst.endswith(".toc"):
                self.check_before_publishing(src)
            real_rename(src, dst, *args, **kwargs)
            if dst.endswith(".toc"):
                self.check_named_files(Path(dst))

        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(os, "rename", rename)

    def _fresh_sync(self, path: str) -> int | None:
        """The event number of the fsync of ``path`` since it last changed (None: none)."""
        entry = self.synced.get(path)
        if entry is None or entry[0] != os.stat(path).st_mtime_ns:
            return None
        return entry[1]

    def check_before_publishing(self, temp_toc: str) -> None:
        if self.pending_dir_sync:
            self.problems.append(f"the rename to {self.pending_dir_sync} was never fsynced")
        if self._fresh_sync(temp_toc) is None:
            self.problems.append(f"TOC {Path(temp_toc).name} renamed before its bytes were fsynced")

    def check_named_files(self, toc: Path) -> None:
        self.publications += 1
        generation = int(toc.stem.rsplit("_", 1)[1])
        storage = FileStorage(self.folder)
        named = TOC.read(storage, "MAIN", generation).segments
        files = [os.path.join(self.folder, name)
                 for segment in named for name in segment.list_files(storage)]
        if named and not files:
            self.problems.append(f"{toc.name} names segments without files")
        for path in files:
            synced_at = self._fresh_sync(path)
            if synced_at is None:
                self.problems.append(f"{toc.name} published before {Path(path).name} was fsynced")
            elif synced_at > self.dir_synced_at:
                self.problems.append(f"{toc.name} published before the directory entry of "
                                     f"{Path(path).name} was fsynced")
        self.pending_dir_sync = toc.name

    def finish(self) -> list[str]:
        if self.pending_dir_sync:
            self.problems.append(f"the rename to {self.pending_dir_sync} was never fsynced")
        return self.problems


@pytest.fixture(scope="module")
def cables(corpus):
    found = sorted((corpus / "cablegate-html" / "2009" / "08").glob("*.html"))[:24]
    parsed = [c for path in found for c in parse_path(path, on_skip=lambda s, r: None)]
    assert len(parsed) >= 20
    return parsed


def test_every_commit_fsyncs_what_its_toc_names_before_publishing_it(tmp_path, monkeypatch,
                                                                       cables):
    engine = create_index(tmp_path / "ix")
    recorder = Recorder(monkeypatch, tmp_path / "ix")
    try:
        engine.write(cables[:12])
        engine.write(cables[12:])
        changed = replace(cables[0], body=cables[0].body + " x", released=None)
        engine.write([changed])  # an older version: kept, one small commit
        engine.remove([cables[1].refid])
        engine.optimize()  # a merge in the main process
        assert engine.stats()["cables"] == len(cables) - 1
        engine.write([replace(cables[1], body=cables[1].body + " y")])  # a commit after it
        remembered = set(engine.index.storage._synced)
        assert remembered and remembered <= set(os.listdir(tmp_path / "ix"))  # merged: forgotten
    finally:
        engine.close()
    assert recorder.publications == 6
    assert recorder.finish() == []


def test_the_check_finds_plain_whoosh_storage_unsafe(tmp_path, monkeypatch, cables):
    from whoosh import index as whoosh_index

    from indexer.engines.whoosh.schema import build_schema

    ix = whoosh_index.create_in(str(tmp_path), build_schema())
    recorder = Recorder(monkeypatch, tmp_path)
    with ix.writer() as writer:
        writer.add_document(kind="cable", id=cables[0].refid, refid=cables[0].refid)
    problems = recorder.finish()
    assert recorder.publications == 1
    assert any("before its bytes were fsynced" in p for p in problems)
    assert any("was fsynced" in p and ".seg" in p for p in problems)
    assert any("never fsynced" in p for p in problems)
