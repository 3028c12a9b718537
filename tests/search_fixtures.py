"""One index of real cables for the search tests, built once per test session.

A subset of the corpus keeps the suite quick: the cablegate pages of August 2009 to 2010
(about 440 cables, 09LONDON1933 among them) plus the sample corpus. Imported by the
search test modules; the build happens once per process whichever module asks first.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

SUBSET = ["cablegate-html/2009/08", "cablegate-html/2009/09", "cablegate-html/2009/10",
          "cablegate-html/2009/11", "cablegate-html/2009/12", "cablegate-html/2010"]

_built: dict[str, Path] = {}
_lock = threading.Lock()


def build_search_index(tmp_path_factory: pytest.TempPathFactory, corpus: Path,
                       sample_corpus: Path, engine_name: str = "whoosh") -> Path:
    from indexer.build import build_index

    with _lock:
        if engine_name not in _built:
            target = tmp_path_factory.mktemp("search") / "index"
            summary = build_index([corpus / part for part in SUBSET] + [sample_corpus], target,
                                  engine_name=engine_name)
            assert summary.cables > 400 and summary.paragraphs > 3000, summary
            _built[engine_name] = target
        return _built[engine_name]


@pytest.fixture(scope="session")
def search_index(tmp_path_factory, corpus, sample_corpus, engine_name) -> Path:
    """The index, once per engine (engine_name, tests/conftest.py)."""
    return build_search_index(tmp_path_factory, corpus, sample_corpus, engine_name)


@pytest.fixture(scope="session")
def archive(search_index):
    from search import Archive

    opened = Archive(search_index)
    yield opened
    opened.close()
