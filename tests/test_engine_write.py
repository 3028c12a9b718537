"""The Whoosh engine's write side, cable store and registry, on cables built here.

The corpus-wide behaviour is in test_build.py; these tests pin the rules one by one.
"""

from __future__ import annotations

import json
import os
import stat
from datetime import date, datetime

import pytest

from indexer.engines.base import IndexBusy, IndexIncompatible, IndexMissing, IndexUnsafe
from indexer.engines.registry import METADATA_FILE, create_index, open_index
from indexer.lock import WriteLock
from indexer.model import Cable, Paragraph, Reference


def make_cable(refid: str = "09LONDON1933", released: date | None = date(2011, 4, 1),
               texts: tuple[str, ...] = ("Officials are running the programs.", "More here."),
               **extra) -> Cable:
    paragraphs = [Paragraph(1, texts[0], marking="C/NF", level="CONFIDENTIAL",
                            caveats=["NOFORN"], heading="UK Believes Programs Working",
                            in_summary=True)]
    paragraphs += [Paragraph(i, t) for i, t in enumerate(texts[1:], start=2)]
    fields = dict(refid=refid, created=datetime(2009, 8, 21, 13, 58), released=released,
                  classification="SECRET//NOFORN", origin="Embassy London",
                  caveats=["SIPDIS"], tags=["PREL", "PK", "KISL"], subject="UK views on Pakistan",
                  references=[Reference("09 STATE 152009", "09STATE152009")],
                  header="P 211358Z AUG 09", body="\n".join(texts), paragraphs=paragraphs)
    fields.update(extra)
    return Cable(**fields)


@pytest.fixture
def engine(tmp_path):
    eng = create_index(tmp_path / "ix")
    yield eng
    eng.close()


def paragraph_docs(engine, refid):
    searcher = engine.searcher()
    return sorted((d for d in searcher.documents(refid=refid) if d["kind"] == "para"),
                  key=lambda d: d["paragraph"])


def test_paragraph_documents_carry_cable_and_paragraph_fields(engine):
    engine.write([make_cable()])
    first, second = paragraph_docs(engine, "09LONDON1933")
    assert first["id"] == "09LONDON1933#1" and second["id"] == "09LONDON1933#2"
    assert first["level"] == "CONFIDENTIAL" and first["level_rank"] == 1
    # no marking: the cable's level applies
    assert second["level"] == "SECRET" and second["level_rank"] == 2
    assert first["cable_level"] == "SECRET" and first["cable_level_rank"] == 2
    assert first["tags"] == ["PREL", "PK", "KISL"]
    assert set(first["caveats"]) == {"SIPDIS", "NOFORN"}
    assert first["month"] == "2009-08" and first["year"] == 2009
    assert first["released"] == datetime(2011, 4, 1)
    assert first["in_summary"] is True and second["in_summary"] is False
    assert first["cites"] == "09STATE152009"


def test_exact_field_keeps_unstemmed_words(engine):
    from whoosh.query import Term

    engine.write([make_cable()])
    searcher = engine.searcher()
    # "running" is stemmed to "run" in text, kept whole in exact
    assert searcher.search(Term("exact", "running")).scored_length() == 1
    assert searcher.search(Term("text", "running")).scored_length() == 0
    assert searcher.search(Term("text", "run")).scored_length() == 1
    # heading and subject words are in exact too
    assert searcher.search(Term("exact", "believes")).scored_length() == 1
    assert searcher.search(Term("exact", "pakistan")).scored_length() == 2


def test_whole_cable_comes_back_from_the_index(engine):
    cable = make_cable()
    engine.write([cable])
    assert engine.cable("09LONDON1933").to_dict() == cable.to_dict()
    assert engine.cable("NOSUCH") is None
    assert list(engine.refids()) == ["09LONDON1933"]


def test_same_cable_again_changes_nothing(engine, tmp_path):
    engine.write([make_cable()])
    files_before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "ix").iterdir()}
    report = engine.write([make_cable()])
    assert (report.added, report.replaced, report.unchanged, report.paragraphs) == (0, 0, 1, 0)
    files_after = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "ix").iterdir()}
    assert files_after == files_before


@pytest.mark.parametrize("order", ["old-first", "new-first", "same-batch"])
def test_later_release_wins_in_any_order(engine, order):
    old = make_cable(released=date(2010, 12, 1), texts=("Old one.", "Old two.", "Old three."))
    new = make_cable(released=date(2011, 4, 1), texts=("New one.", "New two."))
    if order == "same-batch":
        report = engine.write([old, new])
        assert (report.added, report.kept_newer) == (1, 1)
    else:
        first, second = (old, new) if order == "old-first" else (new, old)
        engine.write([first])
        report = engine.write([second])
        if order == "old-first":
            assert (report.replaced, report.kept_newer, report.paragraphs) == (1, 0, 2)
        else:
            assert (report.replaced, report.kept_newer, report.paragraphs) == (0, 1, 0)
    docs = paragraph_docs(engine, "09LONDON1933")
    # all paragraphs of the old version are gone, the new ones are there once
    assert [d["text"] for d in docs] == ["New one.", "New two."]
    assert engine.cable("09LONDON1933").released == date(2011, 4, 1)
    assert [c.released for c in engine.versions("09LONDON1933")] == [date(2010, 12, 1),
                                                                     date(2011, 4, 1)]
    # either version seen again is unchanged
    again = engine.write([old, new, old])
    assert (again.unchanged, again.added, again.replaced, again.kept_newer) == (3, 0, 0, 0)


def test_equal_release_dates_resolve_the_same_in_both_orders(tmp_path):
    a = make_cable(texts=("Text A.",), body="A")
    b = make_cable(texts=("Text B.",), body="B")
    winners = []
    for name, order in (("ab", [a, b]), ("ba", [b, a])):
        eng = create_index(tmp_path / name)
        for cable in order:
            eng.write([cable])
        winners.append(eng.cable("09LONDON1933").body)
        eng.close()
    assert winners[0] == winners[1]


def test_remove_deletes_every_document_of_a_cable(engine):
    engine.write([make_cable(), make_cable("09LONDON1934"),
                  make_cable(released=date(2010, 12, 1), body="older")])
    report = engine.remove(["09LONDON1933", "NOSUCH"])
    assert report.removed == 1
    assert list(engine.searcher().documents(refid="09LONDON1933")) == []
    assert engine.versions("09LONDON1933") == []
    assert engine.stats()["cables"] == 1


def test_stats_counts_live_documents_only(engine):
    engine.write([make_cable(), make_cable("08STATE1", created=datetime(2008, 1, 2),
                                            classification="UNCLASSIFIED", tags=["PREL"])])
    engine.write([make_cable(released=date(2011, 8, 1), texts=("Only one now.",))])
    stats = engine.stats()
    assert stats["cables"] == 2
    assert stats["paragraphs"] == 3  # 1 (replaced 09LONDON1933) + 2
    assert stats["older_versions"] == 1
    assert stats["date_from"] == "2008-01-02" and stats["date_to"] == "2009-08-21"
    assert stats["by_classification"] == {"SECRET//NOFORN": 1, "UNCLASSIFIED": 1}
    assert stats["by_paragraph_level"] == {"UNCLASSIFIED": 1, "CONFIDENTIAL": 2}
    assert dict(stats["top_tags"])["PREL"] == 2 and dict(stats["top_tags"])["PK"] == 1
    engine.optimize()
    assert engine.stats()["segments"] == 1 and engine.stats()["paragraphs"] == 3


def test_index_is_owner_only(engine, tmp_path):
    engine.write([make_cable()])
    ix = tmp_path / "ix"
    assert stat.S_IMODE(ix.stat().st_mode) == 0o700
    for path in ix.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


def test_open_refuses_an_index_others_can_write(engine, tmp_path):
    engine.write([make_cable()])
    victim = next(p for p in (tmp_path / "ix").iterdir() if p.suffix == ".toc")
    os.chmod(victim, 0o666)
    with pytest.raises(IndexUnsafe, match="writable by other users"):
        open_index(tmp_path / "ix")
    os.chmod(victim, 0o600)
    os.chmod(tmp_path / "ix", 0o770)
    with pytest.raises(IndexUnsafe):
        open_index(tmp_path / "ix")


def test_missing_foreign_and_old_indexes_get_clear_messages(tmp_path):
    with pytest.raises(IndexMissing, match=r"no index at .*: build one with `cables index PATH"):
        open_index(tmp_path / "nothing")
    foreign = tmp_path / "foreign"
    foreign.mkdir(mode=0o700)
    (foreign / "notes.txt").write_text("hello")
    with pytest.raises(IndexIncompatible, match="not a cablesearch index"):
        open_index(foreign)
    old = tmp_path / "old"
    create_index(old).close()
    meta = json.loads((old / METADATA_FILE).read_text())
    meta["schema_version"] = 0
    (old / METADATA_FILE).write_text(json.dumps(meta))
    with pytest.raises(IndexIncompatible, match="schema version 0"):
        open_index(old)
    meta["engine"] = "lucene"
    (old / METADATA_FILE).write_text(json.dumps(meta))
    with pytest.raises(IndexIncompatible, match="engine 'lucene'"):
        open_index(old)


def test_second_writer_is_told_who_holds_the_lock(engine, tmp_path):
    with WriteLock(tmp_path / "ix"):
        with pytest.raises(IndexBusy, match=rf"being written by another process \(pid {os.getpid()}\)"):
            WriteLock(tmp_path / "ix").acquire()
    with WriteLock(tmp_path / "ix"):  # released: free again
        pass
