"""The cable rules over the real corpus: every format against the site's metadata.

The 1,670 cablegate pages are parsed once per session, twice: with the metadata the page
states (its table, <h3>, tag links) and without it (the header and body text alone), so the
header rules are measured on their own too. Percentages are printed for the CI log.
"""

from __future__ import annotations

import csv
import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from indexer import Cable, ParseError, parse_path, parse_text
from indexer.formats.base import RawCable
from indexer.paragraphs import sensible_numbers
from indexer.header import find_dtg, parse_head
from indexer.parse import build_cable, refid_from_banner, year_from_decl
from indexer.reading import read_path

pytestmark = pytest.mark.corpus


@dataclass
class HtmlRun:
    meta: dict[str, dict[str, str]]  # metadata.csv by refid
    raws: dict[str, RawCable]  # as the HTML reader gave them, by stated refid
    cables: dict[str, Cable]  # with the page's metadata
    text_only: dict[str, Cable]  # from the header and body text alone
    skipped: list[tuple[str, str]]


def _text_only(raw: RawCable) -> RawCable:
    """The same page without what the site states outside the text (but its refid, which a
    cable needs and some texts cannot give: see test_html_refid_from_text)."""
    return dataclasses.replace(raw, created=None, released=None, classification=None,
                               origin=None, subject=None, tags=[], references=[])


@pytest.fixture(scope="session")
def html_run(corpus: Path) -> HtmlRun:
    with open(corpus / "metadata.csv", newline="", encoding="utf-8") as handle:
        meta = {row["refid"]: row for row in csv.DictReader(handle)}
    skipped: list[tuple[str, str]] = []
    raws: dict[str, RawCable] = {}
    cables: dict[str, Cable] = {}
    text_only: dict[str, Cable] = {}
    for raw in read_path(corpus / "cablegate-html", lambda s, r: skipped.append((s, r))):
        cable = build_cable(raw)
        raws[raw.refid or cable.refid] = raw
        cables[cable.refid] = cable
        text_only[raw.refid or cable.refid] = build_cable(_text_only(raw), paragraphs=False)
    return HtmlRun(meta, raws, cables, text_only, skipped)


@pytest.fixture(scope="session")
def csv_cables(corpus: Path) -> dict[str, Cable]:
    skipped: list[tuple[str, str]] = []
    cables = {c.refid: c for c in parse_path(corpus / "cables-csv" / "cables-dev.csv",
                                             lambda s, r: skipped.append((s, r)))}
    assert not skipped, skipped[:5]
    return cables


def _report(name: str, hits: int, total: int, floor: float | None = None) -> float:
    share = 100.0 * hits / total if total else 0.0
    bound = f" (required ≥ {floor}%)" if floor is not None else ""
    print(f"\n[corpus] {name}: {hits}/{total} = {share:.2f}%{bound}")
    return share


def _fold(text: str | None) -> str:
    """Whitespace and case folded; the site drops a leading '(' or quote and keeps a trailing '\\'."""
    folded = " ".join((text or "").replace("\\", " ").split()).casefold()
    return folded.lstrip("(\"'“:; ").rstrip()


def _same_created(cable: Cable, row: dict[str, str]) -> bool:
    return cable.created is not None and cable.created.strftime("%Y-%m-%d") == row["created_date"] \
        and f"{cable.created.hour:02d}" == row["created_hour"]


# Where the site's <h3> ran on into what follows the subject (pages whose head lost its line
# breaks): a REF or Classified By line, or a continuation header. The parser must stop there.
_SITE_RUN_ON = re.compile(
    r"\s(?:REFS?:|CLASSIFIED BY\b|[A-Z]+(?: [A-Z]+){0,3} \d{8} +\d{3}(?:\.\d)? OF \d{3})", re.IGNORECASE)


def site_subject(row: dict[str, str]) -> str:
    """The site's subject without what it swallowed (and without a doubled `SUBJECT:`)."""
    subject = row["subject"].strip()
    if subject.upper().startswith("SUBJECT:"):
        subject = subject[8:]
    run_on = _SITE_RUN_ON.search(subject)
    return subject[: run_on.start()] if run_on else subject


def _subject_matches(cable: Cable, row: dict[str, str]) -> bool:
    site, ours = _fold(site_subject(row)), _fold(cable.subject)
    return ours == site or ours.startswith(site)


def _page_tags(raw: RawCable) -> list[str]:
    return list(dict.fromkeys(raw.tags))


def _tags_match(ours: list[str], page: list[str]) -> bool:
    """Equal, or the page shows only the first nine (the site's limit)."""
    return ours == page or (len(page) >= 9 and ours[: len(page)] == page)


# --- cablegate-html against metadata.csv ----------------------------------------------------

def test_every_page_read(html_run: HtmlRun) -> None:
    assert not html_run.skipped
    assert set(html_run.cables) == set(html_run.meta)


def test_html_refid(html_run: HtmlRun) -> None:
    hits = sum(refid in html_run.cables for refid in html_run.meta)
    assert _report("html refid", hits, len(html_run.meta), 100.0) == 100.0


def test_html_refid_from_text(html_run: HtmlRun) -> None:
    """From the banner and the date-time group's (else the declassification date's) year alone."""
    hits = 0
    for refid, raw in html_run.raws.items():
        head = parse_head(raw.body)
        dtg = find_dtg(raw.header + "\n" + raw.body[: head.start])
        year = dtg.when.year if dtg and dtg.when else year_from_decl(head.declassify_on)
        hits += refid_from_banner(head.banner, year) == refid
    assert _report("text-only refid (banner + year)", hits, len(html_run.meta), 93.0) >= 93.0


def test_html_created(html_run: HtmlRun) -> None:
    hits = sum(_same_created(html_run.cables[r], row) for r, row in html_run.meta.items())
    assert _report("html created date+hour", hits, len(html_run.meta), 99.5) >= 99.5


def test_created_minute_from_dtg(html_run: HtmlRun) -> None:
    """The site's minutes are wrong; where a date-time group agrees, its minute is used."""
    with_dtg = [c for c in html_run.cables.values() if c.dtg and c.created]
    hits = sum(c.created.minute == int(c.dtg.split()[1][4:6]) for c in with_dtg)
    assert _report("created minute from the date-time group", hits, len(with_dtg), 99.0) >= 99.0


def test_text_created(html_run: HtmlRun) -> None:
    """From the date-time group alone, where the header has one."""
    rows = [(html_run.text_only[r], row) for r, row in html_run.meta.items() if html_run.text_only[r].dtg]
    hits = sum(_same_created(c, row) for c, row in rows)
    _report("text-only cables with a date-time group", len(rows), len(html_run.meta))
    assert _report("text-only created date+hour (where a DTG exists)", hits, len(rows), 99.5) >= 99.5


def test_html_classification(html_run: HtmlRun) -> None:
    hits = sum(html_run.cables[r].classification == row["classification"] for r, row in html_run.meta.items())
    assert _report("html classification", hits, len(html_run.meta), 99.5) >= 99.5


def test_text_classification(html_run: HtmlRun) -> None:
    """Banner level plus caveats; the site adds NOFORN to a few cables whose text never says it."""
    hits = sum(html_run.text_only[r].classification == row["classification"] for r, row in html_run.meta.items())
    assert _report("text-only classification", hits, len(html_run.meta), 98.5) >= 98.5
    levels = sum(html_run.text_only[r].level == html_run.cables[r].level for r in html_run.meta)
    assert _report("text-only classification level", levels, len(html_run.meta), 99.5) >= 99.5


def test_html_origin(html_run: HtmlRun) -> None:
    hits = sum(html_run.cables[r].origin == row["origin"] for r, row in html_run.meta.items())
    assert _report("html origin", hits, len(html_run.meta), 99.5) >= 99.5


def test_text_origin(html_run: HtmlRun) -> None:
    """From the FM line, else the banner station (hand-written naming rules, no table)."""
    hits = sum(html_run.text_only[r].origin == row["origin"] for r, row in html_run.meta.items())
    assert _report("text-only origin", hits, len(html_run.meta), 99.5) >= 99.5


def test_html_subject(html_run: HtmlRun) -> None:
    rows = [(r, row) for r, row in html_run.meta.items() if row["subject"].strip()]
    hits = sum(_subject_matches(html_run.cables[r], row) for r, row in rows)
    assert _report("html subject", hits, len(rows), 98.0) >= 98.0
    text_hits = sum(_subject_matches(html_run.text_only[r], row) for r, row in rows)
    assert _report("text-only subject", text_hits, len(rows), 98.0) >= 98.0


def test_subject_never_swallows_what_follows(html_run: HtmlRun) -> None:
    """No subject runs into the REF, Classified By or the first paragraph after it."""
    swallowed = []
    for refid, cable in html_run.text_only.items():
        subject = cable.subject or ""
        paragraphs = html_run.cables[refid].paragraphs
        first = paragraphs[0].text[:40] if paragraphs and paragraphs[0].text else None
        if " REF: " in f" {subject.upper()} " or "CLASSIFIED BY" in subject.upper() \
                or (first and len(first) >= 20 and first in subject) or len(subject) > 400:
            swallowed.append((cable.refid, subject[:120]))
    _report("subjects that swallow what follows", len(swallowed), len(html_run.text_only))
    assert not swallowed


def test_tags_from_text_equal_the_tag_links(html_run: HtmlRun) -> None:
    with_links = [r for r, raw in html_run.raws.items() if raw.tags]
    hits = sum(_tags_match(html_run.text_only[r].tags, _page_tags(html_run.raws[r])) for r in with_links)
    assert _report("text-only TAGS equal the page's tag links", hits, len(with_links), 98.0) >= 98.0


def test_paragraphs_follow_the_anchors(html_run: HtmlRun) -> None:
    """Every sensible numbered anchor starts a paragraph (the site also anchors years like `2005.`)."""
    pages = [(r, raw) for r, raw in html_run.raws.items() if any(a[3:].isdigit() for a in raw.anchors)]
    found = 0
    for refid, raw in pages:
        anchors = sensible_numbers([int(a[3:]) for a in raw.anchors if a[3:].isdigit()])
        numbers = {p.number for p in html_run.cables[refid].paragraphs}
        found += set(anchors) <= numbers
    assert _report("html pages whose anchored paragraphs are all found", found, len(pages), 98.0) >= 98.0


def test_cables_have_paragraph_text(html_run: HtmlRun) -> None:
    """All but the damaged pages (bodies cut off after the header, cancelled telegrams)."""
    with_text = [c for c in html_run.cables.values() if any(p.text for p in c.paragraphs)]
    share = _report("html cables with paragraph text", len(with_text), len(html_run.cables), 98.0)
    assert share >= 98.0
    assert all("no paragraph text" in c.warnings for c in html_run.cables.values() if c not in with_text)


def test_partial_extracts(corpus: Path, html_run: HtmlRun) -> None:
    notices = {p.stem for p in (corpus / "cablegate-html").rglob("*.html")
               if "partial extract of the original cable" in p.read_text(encoding="utf-8", errors="replace")}
    partial = {r for r, c in html_run.cables.items() if c.partial}
    _report("html cables marked partial", len(partial), len(html_run.cables))
    assert partial == notices


def test_paragraph_markings(html_run: HtmlRun) -> None:
    numbered = [p for c in html_run.cables.values() for p in c.paragraphs if p.number > 0]
    marked = [p for p in numbered if p.marking]
    _report("numbered paragraphs with a marking", len(marked), len(numbered))
    assert all(p.level for p in marked)
    forms = {p.marking for p in marked}
    print(f"[corpus] {len(forms)} marking forms")
    assert {"C", "S", "U", "SBU", "C/NF", "S/NF"} <= forms


def test_text_is_clean_of_continuation_headers(html_run: HtmlRun) -> None:
    import re

    continuation = re.compile(r"\b\d{8} +\d{3}(?:\.\d)? +OF +\d{3}\b")
    dirty = [c.refid for c in html_run.cables.values() for p in c.paragraphs if continuation.search(p.text)]
    assert not dirty, dirty[:10]


# --- the seed and its full page -----------------------------------------------------------

SEED_HEADINGS = {
    **{n: None for n in (1, 2, 3)},
    **{n: "UK Believes Programs Working in Pakistan" for n in (4, 5, 6)},
    7: "Government Funding Not Death Knell For Programs",
    8: "Pakistan Strategy Nearly Completed",
    **{n: "HMG Working With Pakistan Government, Civil Society" for n in (9, 10, 11)},
    **{n: "Comment" for n in (12, 13)},
}


def _check_london_1933(cable: Cable) -> None:
    assert cable.refid == "09LONDON1933"
    assert cable.classification == "CONFIDENTIAL//NOFORN"
    assert cable.origin == "Embassy London"
    assert cable.tags == ["KISL", "PREL", "PTER"]
    assert cable.subject == "UK GOVERNMENT SEEKS DEEPER COUNTER-RADICALIZATION COORDINATION"
    assert [p.number for p in cable.paragraphs] == list(range(1, 14))
    assert {p.marking for p in cable.paragraphs} == {"C/NF"}
    assert all(p.level == "CONFIDENTIAL" and p.caveats == ["NOFORN"] for p in cable.paragraphs)
    assert {p.number: p.heading for p in cable.paragraphs} == SEED_HEADINGS
    assert [p.number for p in cable.paragraphs if p.in_comment] == [12, 13]
    assert [p.number for p in cable.paragraphs if p.in_summary] == [1]
    assert not any("-----" in p.text or p.text.endswith("Pakistan") for p in cable.paragraphs)
    assert cable.created is not None and cable.created.strftime("%Y-%m-%d %H:%M") == "2009-08-21 13:58"
    assert cable.dtg == "P 211358Z AUG 09" and cable.precedence == "PRIORITY"
    assert cable.sender == "AMEMBASSY LONDON" and cable.recipients == ["SECSTATE WASHDC"]
    assert cable.executive_order == "12958" and cable.declassify_on == "2019-08-20"
    assert cable.classified_by == "Political Counselor Robin Quinville" and cable.reasons == "1.4 (B,D)"
    assert "NOFORN" in cable.caveats


def test_seed(sample_corpus: Path) -> None:
    cables = list(parse_path(sample_corpus))
    assert len(cables) == 1
    _check_london_1933(cables[0])
    paragraph_3 = cables[0].paragraphs[2].text
    assert paragraph_3.endswith("counter-radicalization efforts.")


def test_seed_full_page(corpus: Path) -> None:
    (cable,) = parse_path(corpus / "cablegate-html" / "2009" / "08" / "09LONDON1933.html")
    _check_london_1933(cable)
    assert cable.released is not None and cable.released.isoformat() == "2011-02-04"
    assert cable.paragraphs[0].text.endswith("End summary.")


# --- cables.csv layout -----------------------------------------------------------------------

def test_csv_paragraphs_equal_the_pages(html_run: HtmlRun, csv_cables: dict[str, Cable]) -> None:
    """Without ¶ anchors the paragraph numbers found equal those of the page."""
    pages = [r for r, raw in html_run.raws.items() if any(a[3:].isdigit() for a in raw.anchors)]
    assert set(csv_cables) == set(html_run.meta)
    same_as_page = sum([p.number for p in csv_cables[r].paragraphs]
                       == [p.number for p in html_run.cables[r].paragraphs] for r in pages)
    assert _report("csv paragraph numbers equal the page's paragraphs", same_as_page, len(pages), 98.0) >= 98.0
    anchors_found = sum(set(sensible_numbers([int(a[3:]) for a in html_run.raws[r].anchors if a[3:].isdigit()]))
                        <= {p.number for p in csv_cables[r].paragraphs} for r in pages)
    assert _report("csv finds every sensible ¶ anchor of the page", anchors_found, len(pages), 98.0) >= 98.0
    exact = sum([p.number for p in csv_cables[r].paragraphs if p.number]
                == [int(a[3:]) for a in html_run.raws[r].anchors if a[3:].isdigit()] for r in pages)
    # Informative: the site anchors years (`2005.`) and misses `5.(C)`; this cannot reach 100%.
    _report("csv paragraph numbers equal the raw numeric ¶ anchors exactly", exact, len(pages))
    same_text = sum([p.text for p in csv_cables[r].paragraphs] == [p.text for p in html_run.cables[r].paragraphs]
                    for r in pages)
    assert _report("csv paragraph texts equal the page's", same_text, len(pages), 98.0) >= 98.0


def test_csv_subject_and_tags_equal_the_pages(html_run: HtmlRun, csv_cables: dict[str, Cable]) -> None:
    refids = sorted(html_run.meta)
    subjects = sum(csv_cables[r].subject == html_run.cables[r].subject for r in refids)
    assert _report("csv subject equals the page's", subjects, len(refids), 98.0) >= 98.0
    tags = sum(csv_cables[r].tags == html_run.cables[r].tags for r in refids)
    assert _report("csv TAGS equal the page's", tags, len(refids), 98.0) >= 98.0


# --- body-pre, plain text, mongo-jsonl --------------------------------------------------------

def test_body_pre(corpus: Path, html_run: HtmlRun) -> None:
    skipped: list[tuple[str, str]] = []
    cables = list(parse_path(corpus / "body-pre", lambda s, r: skipped.append((s, r))))
    files = sorted((corpus / "body-pre").iterdir())
    article_lists = [f for f in files if "appears in these articles" in f.read_text(errors="replace")]
    rejected = {Path(s).name for s, _ in skipped}
    assert {f.name for f in article_lists} <= rejected
    assert len(cables) + len(skipped) == len(files)
    _report("body-pre files read as cables", len(cables), len(files))
    comparable = [c for c in cables if c.refid in html_run.cables]
    same = sum([(p.number, p.text) for p in c.paragraphs]
               == [(p.number, p.text) for p in html_run.cables[c.refid].paragraphs] for c in comparable)
    assert _report("body-pre paragraphs (numbers and texts) equal the page's", same, len(comparable), 95.0) >= 95.0
    fields = sum((c.subject, c.tags, c.classification) == (html_run.text_only[c.refid].subject,
                                                           html_run.text_only[c.refid].tags,
                                                           html_run.text_only[c.refid].classification)
                 for c in comparable)
    assert _report("body-pre subject/tags/classification equal the page's text", fields, len(comparable), 98.0) >= 98.0


def test_mongo_records_read_like_the_pages(corpus: Path, html_run: HtmlRun) -> None:
    """Flattened bodies (one line) give the same paragraphs and, mostly, the same headings."""
    both = [c for c in parse_path(corpus / "mongo-jsonl", lambda s, r: None) if c.refid in html_run.cables]
    assert both
    same_numbers = sum([p.number for p in c.paragraphs] == [p.number for p in html_run.cables[c.refid].paragraphs]
                       for c in both)
    assert _report("mongo-jsonl paragraph numbers equal the page's", same_numbers, len(both), 100.0) == 100.0
    same_headings = sum([p.heading for p in c.paragraphs] == [p.heading for p in html_run.cables[c.refid].paragraphs]
                        for c in both)
    # The mirrors differ in their redactions, so a few headings differ in their words.
    assert _report("mongo-jsonl headings equal the page's", same_headings, len(both), 80.0) >= 80.0


@pytest.mark.parametrize("folder", ["plain-text", "mongo-jsonl"])
def test_every_record_is_a_cable_or_reported(corpus: Path, folder: str) -> None:
    skipped: list[tuple[str, str]] = []
    cables = list(parse_path(corpus / folder, lambda s, r: skipped.append((s, r))))
    complete = [c for c in cables if c.refid and c.classification and c.paragraphs]
    _report(f"{folder}: complete cables ({len(skipped)} reported)", len(complete), len(cables))
    assert cables and len(complete) == len(cables)
    for source, reason in skipped:
        assert reason and source


def test_parse_text(sample_corpus: Path) -> None:
    text = (sample_corpus / "09LONDON1933.md").read_text(encoding="utf-8")
    _check_london_1933(parse_text(text, source="seed.md"))
    with pytest.raises(ParseError):
        parse_text("Shopping list: eggs, milk and bread.\n")
    with pytest.raises(ParseError):
        parse_text("")
