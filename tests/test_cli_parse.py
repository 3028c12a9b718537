"""`cables parse`: JSON lines or a readable summary, skips on stderr, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.model import Cable
from search.cli import cli


@pytest.fixture()
def runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        return CliRunner()  # click ≥ 8.2 keeps stderr apart


def test_jsonl_of_the_seed(runner: CliRunner, sample_corpus: Path) -> None:
    result = runner.invoke(cli, ["parse", "--jsonl", str(sample_corpus)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert data["refid"] == "09LONDON1933"
    assert data["created"] == "2009-08-21T13:58:00"
    assert data["released"] is None
    assert data["classification"] == "CONFIDENTIAL//NOFORN"
    assert data["tags"] == ["KISL", "PREL", "PTER"]
    assert [p["number"] for p in data["paragraphs"]] == list(range(1, 14))
    assert data["paragraphs"][3]["heading"] == "UK Believes Programs Working in Pakistan"
    assert Cable.from_dict(data).refid == "09LONDON1933"


def test_summary_of_the_seed(runner: CliRunner, sample_corpus: Path) -> None:
    result = runner.invoke(cli, ["parse", str(sample_corpus)])
    assert result.exit_code == 0
    assert "09LONDON1933" in result.stdout
    assert "2009-08-21 13:58" in result.stdout
    assert "CONFIDENTIAL//NOFORN" in result.stdout and "Embassy London" in result.stdout
    assert "13 paragraphs" in result.stdout


def test_non_cables_are_skipped_with_exit_1(runner: CliRunner, tmp_path: Path, sample_corpus: Path) -> None:
    (tmp_path / "notes.txt").write_text("Shopping list: eggs, milk and bread.\n", encoding="utf-8")
    result = runner.invoke(cli, ["parse", "--jsonl", str(tmp_path), str(sample_corpus)])
    assert result.exit_code == 1
    assert len([line for line in result.stdout.splitlines() if line.strip()]) == 1  # the seed still read
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped ")]
    assert len(skipped) == 1 and "notes.txt" in skipped[0]


def test_missing_path_is_reported(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["parse", str(tmp_path / "nothing-here")])
    assert result.exit_code == 1
    assert result.stderr.startswith("skipped ") and "nothing-here" in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_error_exit_2(runner: CliRunner) -> None:
    assert runner.invoke(cli, ["parse"]).exit_code == 2
    assert runner.invoke(cli, ["parse", "--no-such-option", "x"]).exit_code == 2


@pytest.mark.corpus
def test_body_pre_article_lists_are_skipped(runner: CliRunner, corpus: Path) -> None:
    files = sorted((corpus / "body-pre").iterdir())
    lists = [f for f in files if "appears in these articles" in f.read_text(errors="replace")]
    chosen = lists + [f for f in files if f not in lists][:40]
    result = runner.invoke(cli, ["parse", "--jsonl", *map(str, chosen)])
    assert result.exit_code == 1
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped ")]
    assert all(": " in line for line in skipped)
    assert {f.name for f in lists} <= {line.split()[1].rstrip(":").rsplit("/", 1)[-1] for line in skipped}
    records = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert len(records) + len(skipped) == len(chosen)
    assert all(r["refid"] for r in records)
    # A page without its banner has no classification: unknown, never guessed.
    assert all(r["classification"] or "no classification banner" in r["warnings"] for r in records)
    # Pages cut off right after the header have no paragraph text, and say so.
    assert all(r["paragraphs"] or "no paragraph text" in r["warnings"] for r in records)
