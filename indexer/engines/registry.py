"""Engines by name, and the index directory's own metadata file.

Every index directory holds ``cablesearch.json``: which engine wrote it and with which
schema version. ``open_index`` reads it first, so an old, foreign or non-index directory
gets one clear message instead of an engine's traceback.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import shutil
import tempfile
from pathlib import Path

from .base import Engine, IndexIncompatible, IndexMissing, IndexProblem
from .safety import ensure_private, missing_message, private_files

METADATA_FILE = "cablesearch.json"
FORMAT_NAME = "cablesearch-index"

# name -> (module, class). Engines are imported only when used.
ENGINES: dict[str, tuple[str, str]] = {
    "whoosh": ("indexer.engines.whoosh.engine", "WhooshEngine"),
    "tantivy": ("indexer.engines.tantivy.engine", "TantivyEngine"),
}
# engine -> (Python package it needs, the extra that installs it)
REQUIRES: dict[str, tuple[str, str]] = {"tantivy": ("tantivy", "tantivy")}
DEFAULT_ENGINE = "whoosh"


def engine_class(name: str) -> type[Engine]:
    if name not in ENGINES:
        raise IndexIncompatible(f"unknown engine {name!r} (known: {', '.join(sorted(ENGINES))})")
    module, cls = ENGINES[name]
    if name in REQUIRES and importlib.util.find_spec(REQUIRES[name][0]) is None:
        raise IndexProblem(f"the {name} engine needs: pip install 'cablesearch[{REQUIRES[name][1]}]'")
    return getattr(importlib.import_module(module), cls)


def read_metadata(path: Path) -> dict:
    """The metadata of the index at ``path``; IndexMissing / IndexIncompatible otherwise."""
    path = Path(path)
    if not path.exists() or (path.is_dir() and not any(path.iterdir())):
        raise IndexMissing(missing_message(path))
    if not path.is_dir():
        raise IndexIncompatible(f"{path} is not an index directory (it is a file)")
    meta_path = path / METADATA_FILE
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexIncompatible(f"{path} is not a cablesearch index (no {METADATA_FILE}); "
                                "use another --index directory") from None
    except (OSError, ValueError) as exc:
        raise IndexIncompatible(f"{path}: unreadable {METADATA_FILE} ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise IndexIncompatible(f"{path} is not a cablesearch index ({METADATA_FILE} is foreign)")
    name = meta.get("engine")
    if name not in ENGINES:
        raise IndexIncompatible(f"index {path} was written by engine {name!r}, "
                                f"which this version does not have (known: {', '.join(ENGINES)})")
    cls = engine_class(name)
    if meta.get("schema_version") not in (cls.schema_version, *cls.reads_schema_versions):
        raise IndexIncompatible(
            f"index {path} has schema version {meta.get('schema_version')}, this version of "
            f"cablesearch needs {cls.schema_version}: rebuild it with "
            f"`cables index PATH --index NEWDIR`")
    return meta


def open_index(path: Path | str) -> Engine:
    """Open an existing index, whatever engine wrote it."""
    path = Path(path)
    meta = read_metadata(path)
    ensure_private(path)
    return engine_class(meta["engine"]).open(path)


def create_index(path: Path | str, engine: str = DEFAULT_ENGINE) -> Engine:
    """Create an empty index (a missing or empty directory) with owner-only permissions."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise IndexIncompatible(f"{path} is not an index directory (it is a file)")
    if path.is_dir() and any(path.iterdir()):
        read_metadata(path)  # says what is wrong with a non-empty directory
        raise IndexIncompatible(f"an index already exists at {path}")
    cls = engine_class(engine)
    # Build it beside the target and rename it into place: a crash never leaves half an
    # index, and of two processes creating the same index one wins, the other opens it.
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.creating-", dir=path.parent))
    try:
        cls.create(staging).close()
        meta = {"format": FORMAT_NAME, "engine": engine, "schema_version": cls.schema_version}
        with private_files():
            (staging / METADATA_FILE).write_text(json.dumps(meta, indent=2) + "\n",
                                                 encoding="utf-8")
        try:
            os.rename(staging, path)  # replaces an empty directory, fails on a non-empty one
        except OSError:
            if not (path / METADATA_FILE).exists():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return open_index(path)


def open_or_create_index(path: Path | str, engine: str | None = None) -> Engine:
    """The index at ``path``, created (with ``engine``, default whoosh) when the directory
    is missing or empty; an existing index of another engine than the one named is refused."""
    try:
        opened = open_index(path)
    except IndexMissing:
        return create_index(path, engine or DEFAULT_ENGINE)
    if engine and opened.name != engine:
        opened.close()
        raise IndexIncompatible(f"index {path} was built with the {opened.name} engine, not "
                                f"{engine}: leave out --engine, or use another --index directory")
    return opened
