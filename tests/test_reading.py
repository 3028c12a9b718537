"""reading.read_path / read_text: detection by content, compression, bad input reported."""

from __future__ import annotations

import bz2
import gzip
import logging
import lzma
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.formats.base import RawCable
from indexer.model import ParseError
from indexer.reading import FORMATS, detect_format, read_path, read_text

SEED = "09LONDON1933.md"


def read_all(path: Path) -> tuple[list[RawCable], list[tuple[str, str]]]:
    skipped: list[tuple[str, str]] = []
    cables = list(read_path(path, on_skip=lambda source, reason: skipped.append((source, reason))))
    return cables, skipped


def comparable(cable: RawCable) -> tuple:
    return (cable.format, cable.refid, cable.header, cable.body, cable.tags, cable.anchors,
            cable.classification, cable.created)


def first_records(path: Path, count: int) -> bytes:
    """The first ``count`` records of a dump file (records start with '"<id>","')."""
    data = path.read_bytes()
    starts = [m.start() + 1 for m in re.finditer(rb'\n"[0-9]+","[0-9]+/', data[:2_000_000])][:count]
    return data[: starts[-1]] if len(starts) == count else data


# --- the public surface ---------------------------------------------------------------------

def test_format_names():
    assert FORMATS == {"cablegate-html", "body-pre", "plain-text", "markdown", "cables-csv", "mongo-jsonl"}


def test_read_text_rejects_non_cables():
    with pytest.raises(ParseError, match="not a cable"):
        read_text("Shopping list\n\nmilk, eggs\n", source="list.txt")
    with pytest.raises(ParseError, match="press articles"):
        read_text("Appears in these articles:<br />\n<a href='http://x'>x</a><br />\n")
    with pytest.raises(ParseError, match="unknown format"):
        read_text("x", format="docx")


def test_read_text_reads_the_seed(sample_corpus):
    text = (sample_corpus / SEED).read_text(encoding="utf-8")
    [cable] = read_text(text, source=SEED)
    assert cable.format == "markdown" and cable.refid == "09LONDON1933"
    [again] = read_text(text, format="markdown")
    assert again.body == cable.body and again.refid is None  # "<text>" names no cable


def test_missing_path_is_reported(tmp_path):
    cables, skipped = read_all(tmp_path / "nope")
    assert cables == [] and skipped == [(str(tmp_path / "nope"), "no such file or directory")]


def test_default_on_skip_logs_a_warning(tmp_path, caplog):
    (tmp_path / "empty.txt").write_bytes(b"")
    with caplog.at_level(logging.WARNING, logger="cablesearch"):
        assert list(read_path(tmp_path)) == []
    assert "empty.txt" in caplog.text and "empty file" in caplog.text


# --- detection by content -------------------------------------------------------------------

@pytest.mark.corpus
def test_detection_by_content_not_name(corpus, tmp_path, sample_corpus):
    page = corpus / "cablegate-html/2009/08/09LONDON1933.html"
    (tmp_path / "a_page.txt").write_bytes(page.read_bytes())
    (tmp_path / "b_dump.dat").write_bytes(first_records(corpus / "cables-csv/cables-dev.csv", 5))
    (tmp_path / "c_lines.csv").write_bytes(
        b"".join((corpus / "mongo-jsonl/delhi.json").read_bytes().splitlines(keepends=True)[:3]))
    (tmp_path / "d_seed.html").write_bytes((sample_corpus / SEED).read_bytes())
    (tmp_path / "e_plain.md").write_bytes((corpus / "plain-text/09PARIS1007.txt").read_bytes())
    cables, skipped = read_all(tmp_path)
    assert skipped == []
    formats = {}
    for cable in cables:
        formats.setdefault(Path(re.split(r"#| \(line ", cable.source)[0]).name,
                           set()).add(cable.format)
    assert formats == {"a_page.txt": {"cablegate-html"}, "b_dump.dat": {"cables-csv"},
                       "c_lines.csv": {"mongo-jsonl"}, "d_seed.html": {"markdown"},
                       "e_plain.md": {"plain-text"}}
    assert sum(1 for c in cables if c.format == "cables-csv") == 5
    assert sum(1 for c in cables if c.format == "mongo-jsonl") == 3


def test_detect_format_from_heads():
    assert detect_format('{ "_id" : "x", "body" : "y" }') == "mongo-jsonl"
    assert detect_format('"1","12/28/1966 18:00","66BUENOSAIRES2481","E","U","","h","b"') == "cables-csv"
    assert detect_format("<code><pre>UNCLAS ROME 001</pre></code>") == "body-pre"
    assert detect_format("TAGS: [PREL](#)\n- [1](#). (U) text") == "markdown"
    assert detect_format("UNCLAS ROME 000001\n\n1. (U) text") == "plain-text"


# --- compression ----------------------------------------------------------------------------

@pytest.mark.corpus
@pytest.mark.parametrize("suffix, compress", [(".gz", gzip.compress), (".bz2", bz2.compress),
                                              (".xz", lzma.compress)])
def test_compressed_round_trip(corpus, tmp_path, suffix, compress):
    originals = [corpus / "cablegate-html/2009/08/09LONDON1933.html",
                 corpus / "plain-text/06NEWDELHI5135.txt",
                 corpus / "mongo-jsonl/wikileaks__prototype__small__Embassy_Islamabad03-06_.json",
                 corpus / "cables-csv/cables_sample.csv"]
    for original in originals:
        packed = tmp_path / (original.name + suffix)
        packed.write_bytes(compress(original.read_bytes()))
        plain, plain_skips = read_all(original)
        unpacked, packed_skips = read_all(packed)
        assert plain and not plain_skips and not packed_skips
        assert [comparable(c) for c in unpacked] == [comparable(c) for c in plain]
    named_wrong = tmp_path / "no_suffix.txt"  # magic bytes, not the name, decide
    named_wrong.write_bytes(compress(originals[1].read_bytes()))
    [cable], _ = read_all(named_wrong)
    assert cable.format == "plain-text"


# --- bad input: reported, and the walk goes on ----------------------------------------------

@pytest.mark.corpus
def test_bad_files_are_reported_and_the_walk_continues(corpus, tmp_path):
    good = corpus / "plain-text/09PARIS1007.txt"
    (tmp_path / "a_binary.txt").write_bytes(bytes(range(256)) * 20)
    (tmp_path / "b_empty.txt").write_bytes(b"")
    (tmp_path / "c_truncated.txt.gz").write_bytes(gzip.compress(good.read_bytes())[:300])
    (tmp_path / "d_good.txt").write_bytes(good.read_bytes())
    (tmp_path / "e_gone.txt").symlink_to(tmp_path / "nowhere")
    (tmp_path / "f_blank.txt").write_text(" " * 100_000 + "\n" * 1000)
    (tmp_path / ".hidden.txt").write_bytes(good.read_bytes())
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "g_good.txt").write_bytes(good.read_bytes())
    cables, skipped = read_all(tmp_path)
    assert [Path(c.source).name for c in cables] == ["d_good.txt", "g_good.txt"]
    reasons = {Path(source).name: reason for source, reason in skipped}
    assert set(reasons) == {"a_binary.txt", "b_empty.txt", "c_truncated.txt.gz", "e_gone.txt", "f_blank.txt"}
    assert "binary" in reasons["a_binary.txt"]
    assert "empty" in reasons["b_empty.txt"] and "empty" in reasons["f_blank.txt"]
    assert "truncated" in reasons["c_truncated.txt.gz"]
    assert all("\n" not in reason for reason in reasons.values())


@pytest.mark.corpus
def test_truncated_stream_keeps_the_records_before_the_break(corpus, tmp_path):
    data = (corpus / "cables-csv/cables-dev.csv").read_bytes()
    packed = gzip.compress(data)
    (tmp_path / "dump.csv.gz").write_bytes(packed[: len(packed) // 2])
    cables, skipped = read_all(tmp_path)
    assert 0 < len(cables) < 1670
    assert any("truncated" in reason for _, reason in skipped)


@pytest.mark.corpus
def test_broken_csv_records_are_skipped_one_by_one(corpus, tmp_path):
    good = first_records(corpus / "cables-csv/cables-dev.csv", 6)
    records = re.split(rb'\n(?="[0-9]+","[0-9]+/)', good)
    assert len(records) == 6
    # a third record whose last field's quote never closes: it runs into the next record
    runaway = b'"9999","1/1/2000 1:00","00X1","O","C","","H","never closed\n' + b"filler line\n" * 50
    broken = b"\n".join(records[:2]) + b"\n" + runaway + b"\n".join(records[2:])
    (tmp_path / "broken.csv").write_bytes(broken)
    cables, skipped = read_all(tmp_path / "broken.csv")
    assert len(skipped) == 1
    source, reason = skipped[0]
    first_line = 1 + b"\n".join(records[:2]).count(b"\n") + 1
    assert source == f"{tmp_path / 'broken.csv'} (line {first_line})"  # where it starts
    assert "broken CSV record" in reason or "longer than" in reason
    assert len(cables) == 6


def test_runaway_quote_is_capped(tmp_path, monkeypatch):
    import indexer.formats.csvdump as csvdump

    monkeypatch.setattr(csvdump, "MAX_RECORD_CHARS", 10_000)
    row = '"{n}","1/2/2003 4:05","03ROME{n}","Embassy Rome","UNCLASSIFIED","","","UNCLAS ROME {n}\n\n1. (U) Text."\n'
    runaway = '"2","1/2/2003 4:05","03ROME2","Embassy Rome","UNCLASSIFIED","","","UNCLAS ROME 2\n' + "more\n" * 5000
    (tmp_path / "dump.csv").write_text(row.format(n=1) + runaway + row.format(n=3))
    cables, skipped = read_all(tmp_path / "dump.csv")
    assert [c.refid for c in cables] == ["03ROME1", "03ROME3"]
    assert len(skipped) == 1 and "longer than" in skipped[0][1]


def test_bad_json_lines_are_reported_with_their_line(tmp_path):
    body = "UNCLAS ROME 000001 SUBJECT: X 1. (U) It\\'s fine."
    lines = [
        '{ "_id" : "03ROME1", "origin" : "Embassy Rome", "date_time" : "1/2/2003 4:05", '
        f'"classification" : "UNCLASSIFIED", "body" : "{body}" }}',
        '{ "_id" : "03ROME2", "body" : "UNCLAS ROME 2 ',  # cut short
        "",
        '{ "_id" : "03ROME9", "origin" : "Embassy Rome", "date_time" : "1/2/2003 4:05", '
        f'"classification" : "UNCLASSIFIED", "body" : "{body.replace("000001", "000003")}" }}',
    ]
    (tmp_path / "export.json").write_text("\n".join(lines) + "\n")
    cables, skipped = read_all(tmp_path)
    assert len(cables) == 2 and len(skipped) == 1
    assert skipped[0][0].endswith("export.json#2 (line 2)")
    assert cables[0].refid == "03ROME1" and "It's fine" in cables[0].body
    assert cables[1].refid is None and cables[1].record_id == "03ROME9"  # banner says 000003


def test_cp1252_fallback_is_noted(tmp_path):
    text = "UNCLAS ROME 000001\n\nSUBJECT: café\n\n¶1. (U) It’s here.\n"
    (tmp_path / "03ROME1.txt").write_bytes(text.encode("cp1252"))
    [cable], skipped = read_all(tmp_path)
    assert skipped == []
    assert "café" in cable.body and "\n¶1. (U) It’s here." in "\n" + cable.body
    assert any("cp1252" in note for note in cable.notes)
    assert cable.refid == "03ROME1"


def test_entity_annotations_are_unwrapped():
    [cable] = read_text("<code><pre>UNCLAS [LOC HARARE  ] 000001\nTAGS: [ORG MDC  ]\n"
                        "<a id='par1' href='#par1'>¶</a>1. (U) [PER MORGAN TSVANGIRAI  ] spoke.</pre></code>")
    assert cable.body == "UNCLAS HARARE 000001\nTAGS: MDC\n¶1. (U) MORGAN TSVANGIRAI spoke."
    assert cable.anchors == ["par1"]


def test_anchor_in_mid_line_starts_a_new_line():
    [cable] = read_text("<pre>UNCLAS ROME 000001\nSUBJECT: X\nIntro text. <a id='parB'>¶</a>B. (U) Next."
                        "<br>Line<br>\nend</pre>")
    assert cable.body.split("\n") == ["UNCLAS ROME 000001", "SUBJECT: X", "Intro text.",
                                      "¶B. (U) Next.", "Line", "end"]
    assert cable.anchors == ["parB"]


# --- hostile input: only ParseError, in linear time -----------------------------------------

HOSTILE = {
    "spaces": " " * 2**20 + "x",
    "newlines": "\n" * 2**18,
    "brackets": "[" * 2**18,
    "entity": "[LOC " + " " * 2**18 + "x",
    "backslashes": "\\" * 2**18 + "'",
    "notice": ("This " + " " * 500) * 500,
    "pilcrows": "\n\ufffd" * 2**17,
    "unclosed_csv": '"1","1/1/2000 1:00","' + "a" * 2**18,
    "json_nest": '{"_id":"' + "[" * 2**16,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_text_raises_only_parse_errors(name):
    for fmt in [None, *sorted(FORMATS)]:
        try:
            result = read_text(HOSTILE[name], source=name, format=fmt)
        except ParseError:
            continue
        assert all(isinstance(cable, RawCable) for cable in result)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(alphabet=st.sampled_from(list('<>[]()"\\\',{}:#¶\ufffd \n\taZ09-/|')) ), fmt=st.sampled_from([None, *sorted(FORMATS)]))
def test_fuzzed_text_raises_only_parse_errors(text, fmt):
    try:
        read_text(text, format=fmt)
    except ParseError:
        pass


def test_unreadable_directory_entries_do_not_stop_the_walk(tmp_path):
    (tmp_path / "a.txt").write_text("UNCLAS ROME 000001\n\n1. (U) Text.\n")
    os.mkfifo(tmp_path / "b_fifo")  # opening it would block: it must be skipped, not read
    (tmp_path / "c.txt").write_text("UNCLAS ROME 000002\n\n1. (U) Text.\n")
    cables, skipped = read_all(tmp_path)
    assert [Path(c.source).name for c in cables] == ["a.txt", "c.txt"]
    assert skipped == [(str(tmp_path / "b_fifo"), "not a regular file")]


def test_one_stray_byte_does_not_garble_the_rest(tmp_path):
    text = "UNCLAS ROME 000001\n\nSUBJECT: café – Zürich\n\n1. (U) Text.\n"
    (tmp_path / "03ROME1.txt").write_bytes(text.encode("utf-8") + b"\x96 end\n")  # cp1252 en dash
    [cable], _ = read_all(tmp_path)
    assert "café – Zürich" in cable.body and cable.body.endswith("– end")
    assert any("not UTF-8" in note for note in cable.notes)


@pytest.mark.corpus
def test_utf16_files(corpus, tmp_path):
    for name in ("plain-text/09PARIS1007.txt", "cables-csv/cables_sample.csv"):
        original = corpus / name
        text = read_text_file(original)
        (tmp_path / original.name).write_bytes(text.encode("utf-16"))
        plain, _ = read_all(original)
        wide, skipped = read_all(tmp_path / original.name)
        assert skipped == []
        assert [(c.refid, c.body) for c in wide] == [(c.refid, c.body) for c in plain]


def read_text_file(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def test_nested_markup_in_a_pre():
    [cable] = read_text("<pre>UNCLAS ROME 000001\nTAGS: <b><a href='/tag/PREL_0.html'>PREL</a></b>\n"
                        "<span><a id='par1' href='#par1'>¶</a>1. (U) <i>Text</i>.</span><!-- x --></pre>")
    assert cable.body == "UNCLAS ROME 000001\nTAGS: PREL\n¶1. (U) Text."
    assert cable.tags == ["PREL"] and cable.anchors == ["par1"]


@pytest.mark.slow
@pytest.mark.corpus
def test_dump_at_volume_streams(corpus, tmp_path):
    """15 copies of the dev dump (~200 MB) through gzip: every record, one at a time."""
    data = (corpus / "cables-csv/cables-dev.csv").read_bytes()
    with gzip.open(tmp_path / "big.csv.gz", "wb", compresslevel=1) as out:
        for _ in range(15):
            out.write(data)
    count = 0
    for cable in read_path(tmp_path / "big.csv.gz", on_skip=lambda s, r: pytest.fail(f"{s}: {r}")):
        count += 1
        assert cable.refid
    assert count == 15 * 1670


def test_bracketed_cable_text_is_not_an_entity():
    [cable] = read_text("UNCLAS ROME 000001\n\n1. (U) The [PER DIEM] rate and [ORG UN  ] staff.\n")
    assert "[PER DIEM] rate and UN staff." in cable.body


def test_markdown_escapes_and_links():
    text = ("C O N F I D E N T I A L ROME 000001\n\nTAGS: [PREL](#) [IT](/tag/IT_0.html)\n\n"
            "SUBJECT: NO\\_NAME \\*FOR\\* NOW\n\n- [1](#). (C) See [REFTEL](#ref).\n- [2](#). (U) End.\n")
    [cable] = read_text(text)
    assert cable.format == "markdown" and cable.tags == ["PREL", "IT"]
    assert cable.body.split("\n")[4:] == ["SUBJECT: NO_NAME *FOR* NOW", "", "¶1. (C) See REFTEL.", "¶2. (U) End."]


@pytest.mark.corpus
def test_dump_with_a_header_row_and_leading_blank_line(corpus, tmp_path):
    records = first_records(corpus / "cables-csv/cables-dev.csv", 3)
    (tmp_path / "export").write_bytes(b"\n" + b",".join(b'"%s"' % c for c in
                                      (b"id", b"date", b"refid", b"origin", b"classification",
                                       b"references", b"header", b"body")) + b"\n" + records)
    cables, skipped = read_all(tmp_path / "export")
    assert skipped == [] and [c.format for c in cables] == ["cables-csv"] * 3
