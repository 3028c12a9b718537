"""`cables search`, `show` and `similar`: every format parses, no colour when piped, errors
are one line with the documented exit codes, and the README's quick start works."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from search.cli import cli
from search_fixtures import search_index  # noqa: F401  (fixture)

pytestmark = pytest.mark.corpus


@pytest.fixture()
def run(search_index):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, [*args, "--index", str(search_index)], catch_exceptions=False)
    return invoke


def test_json_is_one_object_with_the_api_fields(run):
    result = run("search", "strategic communications", "--format", "json", "--facets")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"query", "total", "page", "hits", "facets", "suggestion"} <= set(data)
    assert data["query"] == "strategic communications" and data["total"] >= len(data["hits"]) > 0
    hit = data["hits"][0]
    assert isinstance(hit["paragraph"], int)
    assert hit["created"][:4].isdigit() and "T" in hit["created"]
    for key in ("refid", "marking", "level", "heading", "subject", "origin", "classification",
                "tags", "score", "snippet", "highlights", "text"):
        assert key in hit
    assert sum(data["facets"]["level"].values()) == data["total"]


def test_json_lines_one_hit_per_line(run):
    result = run("search", "pakistan", "--format", "jsonl", "--limit", "7")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert len(lines) == 7
    assert all(isinstance(json.loads(line)["paragraph"], int) for line in lines)


def test_csv_has_a_header_and_one_row_per_hit(run):
    result = run("search", "nuclear", "--format", "csv", "--limit", "5", "--sort", "-date")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert len(rows) == 5
    assert all(row["refid"] and row["paragraph"].isdigit() for row in rows)
    dates = [row["created"] for row in rows]
    assert dates == sorted(dates, reverse=True)


def test_text_output_has_no_colour_when_piped(run):
    result = run("search", "strategic communications", "--facets", "--limit", "3")
    assert result.exit_code == 0
    assert "\x1b" not in result.output
    first = result.output.splitlines()[0]
    assert first.startswith("09LONDON1933 ¶") and "(C/NF)" in first and "2009-08-21" in first
    assert "paragraphs match" in result.output and "level:" in result.output


def test_filters_and_per_cable_from_the_command_line(run):
    result = run("search", "terrorism", "--tag", "PTER", "--max-level", "C", "--from", "2009-09",
                 "--to", "2009-12", "--per-cable", "--format", "json", "--limit", "50")
    data = json.loads(result.output)
    assert data["total"] > 0
    assert all("PTER" in h["tags"] and h["level"] in ("UNCLASSIFIED", "CONFIDENTIAL")
               and "2009-09" <= h["created"][:7] <= "2009-12" for h in data["hits"])
    assert len({h["refid"] for h in data["hits"]}) == len(data["hits"])


def test_show_text_and_json(run):
    text = run("show", "09LONDON1933", "--para", "4")
    assert text.exit_code == 0
    assert "UK GOVERNMENT SEEKS DEEPER COUNTER-RADICALIZATION" in text.output
    assert ">> ¶4 (C/NF)" in text.output and "   ¶3 (C/NF)" in text.output
    data = json.loads(run("show", "09LONDON1933", "--format", "json").output)
    assert data["refid"] == "09LONDON1933" and len(data["paragraphs"]) >= 13
    withheld = json.loads(run("show", "09LONDON1933", "--max-level", "U", "--format", "json").output)
    assert all(p["withheld"] and p["text"] is None for p in withheld["paragraphs"])


def test_similar_accepts_both_spellings(run):
    one = json.loads(run("similar", "09LONDON1933#4", "--format", "json").output)
    two = json.loads(run("similar", "09LONDON1933", "4", "--format", "json").output)
    assert one["hits"] and one == two
    assert ("09LONDON1933", 4) not in {(h["refid"], h["paragraph"]) for h in one["hits"]}


@pytest.mark.parametrize("args, code", [
    (("search", '"unclosed phrase'), 2),
    (("search", "colour:red"), 2),
    (("search", "created:2009-02-30"), 2),
    (("search", "x", "--max-level", "ultra"), 2),
    (("show", "99NOWHERE1"), 1),
    (("similar", "09LONDON1933#999"), 1),
    (("similar", "09LONDON1933"), 2),
])
def test_errors_are_one_line_with_exit_codes(run, args, code):
    result = run(*args)
    assert result.exit_code == code, result.output
    assert result.output.count("\n") == 1 and result.output.startswith("Error:")


def test_missing_index_says_how_to_build_one(tmp_path):
    result = CliRunner().invoke(cli, ["search", "x", "--index", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "cables index" in result.output


def test_quick_start_on_the_sample_corpus(tmp_path, sample_corpus):
    runner = CliRunner()
    index = str(tmp_path / "cables-index")
    built = runner.invoke(cli, ["index", str(sample_corpus), "--index", index])
    assert built.exit_code == 0, built.output
    result = runner.invoke(cli, ["search", "strategic communications", "--index", index])
    assert result.exit_code == 0, result.output
    heads = [line for line in result.output.splitlines() if line.startswith("09LONDON1933 ¶")]
    assert len(heads) >= 3 and all("(C/NF)" in line for line in heads)
