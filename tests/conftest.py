"""Shared fixtures: where the real corpus is, and whether its tests may skip."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = ROOT / "sample_corpus"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", help="run the long fault and fuzz runs")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--runslow"):
        os.environ["CABLES_SLOW"] = "1"  # read at import by tests that scale their examples


def slow_run() -> bool:
    """True under --runslow: property tests draw thousands of examples instead of a hundred."""
    return os.environ.get("CABLES_SLOW") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--runslow"):
        return
    skip_slow = pytest.mark.skip(reason="long run: use --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)


def _corpus_dir() -> Path | None:
    configured = os.environ.get("CABLES_CORPUS")
    candidate = Path(configured) if configured else ROOT.parent / "shared" / "corpus"
    return candidate if candidate.is_dir() else None


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The real corpus. Skips without it, except in CI (CABLES_REQUIRE_CORPUS=1), where it fails."""
    found = _corpus_dir()
    if found is None:
        if os.environ.get("CABLES_REQUIRE_CORPUS"):
            pytest.fail("CABLES_REQUIRE_CORPUS is set but the corpus is missing (CABLES_CORPUS)")
        pytest.skip("real corpus not found: set CABLES_CORPUS to ../shared/corpus")
    return found


@pytest.fixture(scope="session")
def sample_corpus() -> Path:
    return SAMPLE_CORPUS


# --- engines: tests that take `engine_name` run once per engine ---

ENGINE_NAMES = ("whoosh", "tantivy")


@pytest.fixture(scope="session", params=ENGINE_NAMES)
def engine_name(request: pytest.FixtureRequest) -> str:
    """Each engine in turn; tantivy skips where it is not installed, except in CI."""
    import importlib.util

    if importlib.util.find_spec(request.param) is None:
        if os.environ.get("CABLES_REQUIRE_CORPUS"):
            pytest.fail(f"the {request.param} engine is not installed (pip install -e '.[test,tantivy]')")
        pytest.skip(f"the {request.param} engine is not installed")
    return request.param
