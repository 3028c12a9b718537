"""The format layer on the real corpus: every folder read into RawCables, or reported."""

from __future__ import annotations

import csv
import difflib
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from indexer.formats.base import RawCable
from indexer.formats.text import is_banner, looks_like_refid
from indexer.reading import read_path

pytestmark = pytest.mark.corpus

WORDS = re.compile(r"[A-Za-z0-9]+")


def words(text: str) -> list[str]:
    return WORDS.findall(text.upper())


def read_all(path: Path) -> tuple[list[RawCable], list[tuple[str, str]]]:
    skipped: list[tuple[str, str]] = []
    cables = list(read_path(path, on_skip=lambda source, reason: skipped.append((source, reason))))
    return cables, skipped


def paragraph_lines(body: str) -> Iterator[str]:
    return (line for line in body.split("\n") if line.startswith("¶"))


@pytest.fixture(scope="module")
def metadata(corpus: Path) -> list[dict[str, str]]:
    with open(corpus / "metadata.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def html(corpus: Path) -> dict[str, RawCable]:
    cables, skipped = read_all(corpus / "cablegate-html")
    assert skipped == []
    return {cable.source: cable for cable in cables}


@pytest.fixture(scope="module")
def body_pre(corpus: Path) -> tuple[list[RawCable], list[tuple[str, str]]]:
    return read_all(corpus / "body-pre")


@pytest.fixture(scope="module")
def dump(corpus: Path) -> tuple[list[RawCable], list[tuple[str, str]]]:
    return read_all(corpus / "cables-csv" / "cables-dev.csv")


@pytest.fixture(scope="module")
def html_by_refid(html: dict[str, RawCable]) -> dict[str, RawCable]:
    return {cable.refid: cable for cable in html.values() if cable.refid}


# --- cablegate site pages -------------------------------------------------------------------

def test_every_page_gives_one_cable_matching_metadata(corpus, metadata, html):
    assert len(html) == len(metadata)
    for row in metadata:
        cable = html[str(corpus / row["path"])]
        assert cable.format == "cablegate-html"
        assert cable.refid == row["refid"]
        assert cable.classification == row["classification"], row["refid"]
        assert cable.origin == row["origin"], row["refid"]
        assert cable.created.date().isoformat() == row["created_date"]
        assert f"{cable.created.hour:02d}" == row["created_hour"]
        assert cable.released.isoformat() == row["released_date"]


def test_subject_is_the_h3_without_the_viewing_prefix(metadata, html, corpus):
    for row in metadata:
        cable = html[str(corpus / row["path"])]
        # The site's own subject keeps a literal "<br>" where the cable had one: not text.
        expected = " ".join(row["subject"].replace("<br>", " ").split())
        assert (cable.subject or "") == expected, row["refid"]


def test_bodies_are_text_with_anchors_at_line_starts(html):
    lettered = 0
    for cable in html.values():
        assert "&#x" not in cable.body and "<a " not in cable.body and "\r" not in cable.body
        marks = list(paragraph_lines(cable.body))
        assert len(marks) == len(cable.anchors), cable.refid
        assert cable.body.count("¶") == len(cable.anchors), cable.refid
        for line, anchor in zip(marks, cable.anchors):
            assert anchor.startswith("par")
            assert line[1:].startswith(anchor[3:]), (cable.refid, line[:20], anchor)
        lettered += any(not anchor[3:].isdigit() for anchor in cable.anchors)
        assert all(tag in cable.body for tag in cable.tags)
        assert all(tag == tag.strip() and tag for tag in cable.tags)
    assert lettered > 0  # ids such as parB exist and were kept as given


def test_partial_extract_pages(html, dump):
    """The dump copy of each page says in its header column whether the page is an extract."""
    partial_in_dump = {cable.refid for cable in dump[0] if cable.partial}
    assert partial_in_dump
    for cable in html.values():
        assert cable.partial == (cable.refid in partial_in_dump), cable.refid
        assert "partial extract" not in cable.header.lower()


def test_the_seed_cable_page(corpus, html):
    cable = html[str(corpus / "cablegate-html/2009/08/09LONDON1933.html")]
    assert cable.tags == ["KISL", "PREL", "PTER"]
    assert "FM AMEMBASSY LONDON" in cable.header.split("\n")
    assert is_banner(cable.body.split("\n")[0])
    assert [line.split(" ")[1] for line in paragraph_lines(cable.body)] == ["(C/NF)"] * 13


@pytest.mark.parametrize("build, last_release", [
    ("cablegate-html-2010-12", date(2010, 12, 31)),
    ("cablegate-html-2011-08", date(2011, 8, 31)),
])
def test_other_site_builds(corpus, build, last_release):
    cables, skipped = read_all(corpus / build)
    files = [p for p in (corpus / build).rglob("*.html")]
    assert skipped == [] and len(cables) == len(files)
    for cable in cables:
        assert cable.refid == Path(cable.source).stem
        assert cable.classification and cable.origin and cable.created
        assert cable.released <= last_release
        assert cable.body.strip() and "&#x" not in cable.body
        assert len(list(paragraph_lines(cable.body))) == len(cable.anchors)


# --- body-only <pre> pages ------------------------------------------------------------------

def test_body_pre_rejects_non_cables_and_reads_the_rest(corpus, body_pre, html_by_refid):
    folder = corpus / "body-pre"
    files = sorted(p for p in folder.iterdir() if p.is_file())
    not_cables = {str(p) for p in files if "<pre" not in p.read_text(encoding="utf-8", errors="replace")}
    cables, skipped = body_pre
    assert not_cables  # the folder does hold lists of press articles
    assert {source for source, _ in skipped} == not_cables
    assert all(reason.startswith("not a cable") for _, reason in skipped)
    assert len(cables) + len(skipped) == len(files)
    assert all("[LOC " not in c.body and "[ORG " not in c.body and "[PER " not in c.body for c in cables)

    compared = same = 0
    for cable in cables:
        page = html_by_refid.get(cable.refid or "")
        if page is None:
            continue
        compared += 1
        ours, theirs = words(cable.body), words(page.body)
        same += ours == theirs or difflib.SequenceMatcher(None, ours, theirs, autojunk=False).ratio() > 0.99
    assert compared >= 0.9 * len(cables)
    assert same >= 0.98 * compared


def test_body_pre_refid_from_the_file_name_only_when_the_banner_agrees(body_pre):
    cables, _ = body_pre
    for cable in cables:
        stem = Path(cable.source).stem
        if cable.refid is None:
            assert any("disagrees" in note for note in cable.notes)
            assert cable.record_id == stem
        else:
            assert cable.refid == stem


# --- plain text with the routing header -----------------------------------------------------

def test_plain_text(corpus):
    folder = corpus / "plain-text"
    cables, skipped = read_all(folder)
    assert skipped == []
    assert len(cables) == len([p for p in folder.iterdir() if p.is_file()])
    for cable in cables:
        raw = Path(cable.source).read_bytes()
        assert cable.format == "plain-text"
        assert re.search(r"^FM ", cable.header, re.MULTILINE), cable.source
        assert is_banner(cable.body.split("\n")[0]), cable.source
        assert "\ufffd" not in cable.body
        # latin-1 ¶ (0xB6) at line starts in the file → ¶ lines in the body
        assert len(list(paragraph_lines(cable.body))) == len(re.findall(rb"(?m)^[ \t]*\xb6", raw))
        assert cable.refid == Path(cable.source).stem


# --- Markdown (the seed) --------------------------------------------------------------------

def test_seed_markdown(sample_corpus, html_by_refid):
    cables, skipped = read_all(sample_corpus)
    assert skipped == []
    [cable] = [c for c in cables if c.format == "markdown"]
    page = html_by_refid["09LONDON1933"]
    assert cable.refid == "09LONDON1933"
    assert cable.tags == page.tags
    assert "[" not in cable.body and "](#)" not in cable.body
    marks = list(paragraph_lines(cable.body))
    assert [m.split(".")[0] for m in marks] == [f"¶{n}" for n in range(1, 14)]
    assert all(m.split(" ")[1] == "(C/NF)" for m in marks)
    # the glued heading stays at the end of paragraph 3's line
    assert marks[2].endswith("UK Believes Programs Working in Pakistan -----")
    assert "FM AMEMBASSY LONDON" in cable.header.split("\n")
    assert is_banner(cable.body.split("\n")[0])


# --- the cables.csv dump --------------------------------------------------------------------

def test_dump_dev_file_streams_the_same_cables_as_the_pages(dump, html_by_refid):
    cables, skipped = dump
    assert skipped == []
    assert sorted(c.refid for c in cables) == sorted(html_by_refid)
    same_words = 0
    for cable in cables:
        page = html_by_refid[cable.refid]
        assert cable.classification == page.classification
        assert cable.origin == page.origin
        assert (cable.created.date(), cable.created.hour) == (page.created.date(), page.created.hour)
        assert words(cable.header) == words(page.header)
        same_words += words(cable.body) == words(page.body)
    assert same_words >= 0.99 * len(cables)


def test_dump_sample_quotes_and_references(corpus):
    path = corpus / "cables-csv" / "cables_sample.csv"
    cables, skipped = read_all(path)
    assert skipped == [] and len(cables) == 2
    raw = path.read_text(encoding="utf-8")
    escaped_quotes = raw.count('\\"')
    assert escaped_quotes > 0
    assert sum(c.body.count('"') + c.header.count('"') for c in cables) == escaped_quotes
    assert all('\\"' not in c.body and "\\'" not in c.body for c in cables)
    for cable in cables:
        assert cable.refid and cable.refid in raw
        assert all(looks_like_refid(ref) and ref in raw for ref in cable.references)
    assert any(c.references for c in cables)
    assert any(c.created.minute for c in cables)  # the real dump keeps the minute


# --- mongoexport JSON lines -----------------------------------------------------------------

def test_mongo_records_read_or_reported(corpus):
    folder = corpus / "mongo-jsonl"
    lines = sum(1 for p in folder.iterdir() for line in p.open(encoding="utf-8") if line.strip())
    cables, skipped = read_all(folder)
    assert len(cables) + len(skipped) == lines
    assert len(cables) >= 0.99 * lines
    for cable in cables:
        assert "\n" not in cable.body
        assert cable.classification and cable.origin and cable.created
        if cable.refid is None:
            assert any("banner" in note for note in cable.notes) or cable.record_id is None
        else:
            number = re.search(r"[0-9]+$", cable.refid).group().lstrip("0")
            assert number in cable.body[:3000]


def test_mongo_ids_kept_aside(corpus):
    path = corpus / "mongo-jsonl" / "delhi.json"
    ids = []
    for line in path.open(encoding="utf-8"):
        match = re.search(r'"_id"\s*:\s*"([^"]*)"', line)
        ids.append(match.group(1) if match else "")
    cables, _ = read_all(path)
    assert [c.record_id or "" for c in cables] == ids
    assert all(c.refid in (None, c.record_id) for c in cables)


def test_json_fixture_is_not_strict_json(corpus):
    """Guard for the test above: the folder really does need the lenient reading."""
    strict_failures = 0
    for path in (corpus / "mongo-jsonl").iterdir():
        for line in path.open(encoding="utf-8"):
            try:
                json.loads(line)
            except ValueError:
                strict_failures += 1
    assert strict_failures > 0
