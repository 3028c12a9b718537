"""The write side on both engines (through the Engine API only), and what is tantivy's own:
Whoosh's stems in a tantivy index, the registry's install hint, tantivy's writer lock,
crash safety of a killed run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from datetime import date, datetime

import pytest

from indexer.engines.base import IndexBusy, IndexProblem, SearchRequest
from indexer.engines.registry import create_index, open_index, read_metadata
from indexer.model import Cable, Paragraph, Reference


def make_cable(refid: str = "09LONDON1933", released: date | None = date(2011, 4, 1),
               texts: tuple[str, ...] = ("Officials are running the international programs.",
                                         "More here about organizations."),
               **extra) -> Cable:
    paragraphs = [Paragraph(1, texts[0], marking="C/NF", level="CONFIDENTIAL",
                            caveats=["NOFORN"], heading="UK Believes Programs Working")]
    paragraphs += [Paragraph(i, t) for i, t in enumerate(texts[1:], start=2)]
    fields = dict(refid=refid, created=datetime(2009, 8, 21, 13, 58), released=released,
                  classification="SECRET//NOFORN", origin="Embassy London",
                  caveats=["SIPDIS"], tags=["PREL", "PK"], subject="UK views on Pakistan",
                  references=[Reference("09 STATE 152009", "09STATE152009")],
                  header="P 211358Z AUG 09", body="\n".join(texts), paragraphs=paragraphs)
    fields.update(extra)
    return Cable(**fields)


@pytest.fixture
def engine(tmp_path, engine_name):
    eng = create_index(tmp_path / "ix", engine_name)
    yield eng
    eng.close()


def ids(engine, query: str, **filters) -> list[str]:
    result = engine.search(SearchRequest(query=query, limit=1000, **filters))
    return sorted(h.fields["id"] for h in result.hits)


def test_index_records_its_engine(engine, engine_name):
    assert read_metadata(engine.path)["engine"] == engine_name
    assert open_index(engine.path).name == engine_name


def test_same_cables_again_change_nothing(engine):
    first = engine.write([make_cable(), make_cable("09PARIS1")])
    assert (first.added, first.paragraphs) == (2, 4)
    again = engine.write([make_cable(), make_cable("09PARIS1")])
    assert (again.added, again.replaced, again.unchanged, again.paragraphs) == (0, 0, 2, 0)
    assert engine.stats()["paragraphs"] == 4 and engine.stats()["cables"] == 2


def test_a_version_twice_in_one_write_is_added_once_then_unchanged(engine):
    report = engine.write([make_cable(), make_cable("09PARIS1"), make_cable()])
    assert (report.added, report.unchanged, report.paragraphs) == (2, 1, 4)
    assert engine.stats()["cables"] == 2 and engine.stats()["older_versions"] == 0


def test_newer_release_replaces_all_paragraphs_older_never_does(engine):
    old = make_cable(released=date(2010, 12, 1), texts=("Old words about tariffs.", "Two.", "Three."))
    new = make_cable(released=date(2011, 4, 1), texts=("New words about pipelines.",))
    assert engine.write([new]).added == 1
    report = engine.write([old])  # an older release read later: kept as a version only
    assert (report.kept_newer, report.replaced, report.paragraphs) == (1, 0, 0)
    assert ids(engine, "tariffs") == [] and ids(engine, "pipelines") == ["09LONDON1933#1"]
    assert [c.released for c in engine.versions("09LONDON1933")] == [old.released, new.released]
    assert engine.cable("09LONDON1933").to_dict() == new.to_dict()


def test_replace_then_remove(engine):
    old = make_cable(released=date(2010, 12, 1), texts=("Old words about tariffs.", "Two.", "Three."))
    new = make_cable(released=date(2011, 4, 1), texts=("New words about pipelines.",))
    engine.write([old])
    report = engine.write([new])
    assert (report.replaced, report.paragraphs) == (1, 1)
    assert engine.stats()["paragraphs"] == 1 and engine.stats()["older_versions"] == 1
    assert ids(engine, "tariffs") == []
    assert engine.remove(["09LONDON1933", "09NOWHERE1"]).removed == 1
    assert engine.cable("09LONDON1933") is None and engine.versions("09LONDON1933") == []
    assert engine.stats()["paragraphs"] == 0 and list(engine.refids()) == []


def test_whoosh_stems_match_where_the_stemmers_differ(engine):
    # Whoosh stems "international" to "intern", tantivy's own stemmer to "internat"
    engine.write([make_cable()])
    assert ids(engine, "intern") == ["09LONDON1933#1"]
    assert ids(engine, "organ") == ["09LONDON1933#2"]
    assert ids(engine, '"running"') == ["09LONDON1933#1"]  # the unstemmed word
    assert ids(engine, "run") == ["09LONDON1933#1"]
    hit = engine.search(SearchRequest(query="international")).hits[0]
    assert [hit.snippet[s:e] for s, e in hit.highlights] == ["international"]


def test_stems_agree_with_whoosh_on_corpus_words(corpus):
    """Every word of a slice of the corpus is indexed with the Whoosh analyzer's stems."""
    pytest.importorskip("tantivy")
    import re

    from indexer.engines.tantivy.analysis import native_ok, pretokenized, stem_analyzer, whoosh_stems

    native = stem_analyzer()
    text = " ".join(p.read_text(encoding="utf-8", errors="replace")
                    for p in sorted((corpus / "cablegate-html" / "2009" / "08").glob("*.html")))
    # (words with an underscore go pre-tokenized whatever their stems: test_tantivy_analysis.py)
    words = sorted(set(re.findall(r"\w+", text.lower())) - set(re.findall(r"\w*_\w*", text.lower())))
    differing = [w for w in words if native.analyze(w) != whoosh_stems(w)]
    assert "international" in differing or "organization" in differing  # the known differences
    for word in differing:
        assert not native_ok(word)
        assert [t.text for t in pretokenized(word, stem=True).tokens] == whoosh_stems(word)
    assert len(differing) < len(words) / 100


def test_missing_package_names_the_install_line(monkeypatch, tmp_path):
    import importlib.util

    from indexer.engines import registry

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "tantivy" else real(name, *a))
    with pytest.raises(IndexProblem, match=r"pip install 'cablesearch\[tantivy\]'"):
        registry.create_index(tmp_path / "ix", "tantivy")


def test_tantivy_writer_lock_refuses_a_second_writer(tmp_path):
    pytest.importorskip("tantivy")
    first = create_index(tmp_path / "ix", "tantivy")
    second = open_index(tmp_path / "ix")
    try:
        first.write([make_cable()])  # holds tantivy's writer until closed
        with pytest.raises(IndexBusy):
            second.write([make_cable("09PARIS1")])
    finally:
        first.close()
    assert second.write([make_cable("09PARIS1")]).added == 1
    second.close()


KILLED_WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from indexer.build import build_index
    build_index(sys.argv[2:], Path(sys.argv[1]), engine_name="tantivy", workers=0,
                batch_cables=20)
""")


def _committed_segments(index) -> int:
    import json

    try:
        return len(json.loads((index / "meta.json").read_text())["segments"])
    except (OSError, ValueError, KeyError):
        return 0


def test_killed_build_leaves_an_index_that_opens_and_a_rerun_completes(tmp_path, corpus):
    """SIGKILL part-way through a tantivy build: the last commit is intact, cables are whole,
    and running again ends with the counts of an uninterrupted run."""
    pytest.importorskip("tantivy")
    from indexer.build import build_index

    source = corpus / "cablegate-html" / "2009" / "09"
    index = tmp_path / "ix"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(index), str(source)],
                            cwd=os.path.dirname(os.path.dirname(__file__)))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if _committed_segments(index):
            break  # at least one commit is in
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the build ended before it could be killed"
    engine = open_index(index)
    stats = engine.stats()
    for refid in engine.refids():  # whole cables only
        cable = engine.cable(refid)
        assert len(ids(engine, f"refid:{refid}")) == len(cable.paragraphs)
    engine.close()
    summary = build_index([source], index, engine_name="tantivy", workers=0)
    assert not summary.skipped
    clean = build_index([source], tmp_path / "clean", engine_name="tantivy", workers=0)
    again, reference = open_index(index), open_index(tmp_path / "clean")
    print(f"\nkilled after {stats['cables']} cables committed; a full run has {reference.stats()['cables']}")
    assert again.stats()["paragraphs"] == reference.stats()["paragraphs"] >= stats["paragraphs"]
    assert sorted(again.refids()) == sorted(reference.refids())
    request = SearchRequest(query="government", limit=1000)
    assert sorted(h.fields["id"] for h in again.search(request).hits) == \
           sorted(h.fields["id"] for h in reference.search(request).hits)
    again.close()
    reference.close()
