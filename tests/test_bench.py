"""The benchmark: end to end at a tiny scale on real cables, and the FTS5 baseline's answers.

No timing is asserted: only that every engine and query class is measured, that the
figures are consistent with each other, and that the baseline answers what it is asked.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ("parse-only", "fts5", "cablesearch", "whoosh-defaults", "cablesearch-tantivy")
CLASSES = ("rare", "common", "and", "phrase", "tag", "origin", "date_range", "facets",
           "per_cable", "sort_date")
PER_CLASS = 3


@pytest.fixture
def bench(monkeypatch):
    """The bench package (it is not installed: it runs from the checkout)."""
    monkeypatch.syspath_prepend(str(ROOT))
    import bench.fts5
    import bench.queries
    import bench.replicate
    return bench


@pytest.fixture(scope="module")
def small_cables(corpus):
    from indexer.parse import parse_path

    cables = []
    for page in sorted((corpus / "cablegate-html" / "2009" / "08").glob("*.html"))[:30]:
        cables.extend(c for c in parse_path(page) if c.paragraphs)
    assert len(cables) >= 25
    return cables


@pytest.fixture(scope="module")
def run_output(corpus, tmp_path_factory):
    """One tiny run: 30 real cables, replicated twice, 3 queries of each class."""
    out = tmp_path_factory.mktemp("bench")
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--input", str(corpus / "cablegate-html" / "2009" / "08"),
         "--max-cables", "30", "--scale", "2", "--per-class", str(PER_CLASS), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return (json.loads((out / "bench-2x.json").read_text()),
            (out / "bench-2x.md").read_text(), completed.stdout, out)


@pytest.mark.corpus
def test_run_measures_every_engine_and_class(run_output):
    results, table, stdout, out = run_output
    archive = results["archive"]
    assert archive["cables"] == 2 * archive["source_cables"] == 60
    assert archive["paragraphs"] == 2 * archive["source_paragraphs"]
    assert set(results["engines"]) == set(ENGINES)
    for name, data in results["engines"].items():
        build = data["build"]
        assert build["seconds"] > 0 and build["paragraphs_per_s"] > 0, name
        assert build["mb_text_per_s"] > 0 and build["peak_mb"] > 0, name
        if sys.platform == "linux":  # private memory is read from /proc
            assert 0 < build["private_peak_mb"] <= build["tree_peak_mb"], name
        assert build["cpu_seconds"] > 0, name
        if name != "parse-only":
            assert build["size_mb"] > 0, name
            assert set(data["queries"]) == set(CLASSES), name
            for cls, figures in data["queries"].items():
                assert figures["n"] == PER_CLASS, (name, cls)
                assert 0 < figures["median_ms"] <= figures["p95_ms"] <= figures["max_ms"]
                assert 0 <= figures["cpu_median_ms"] <= figures["cpu_p95_ms"]
            assert set(data["queries_ratio_to_fts5"]) == set(CLASSES)
            assert len(data["per_query"]) == PER_CLASS * len(CLASSES)
    fts5 = results["engines"]["fts5"]
    assert all(v == 1.0 for v in fts5["build_ratio_to_fts5"].values())
    # FTS5 and the parser see every paragraph of the archive; both Whoosh builds the same ones.
    assert fts5["build"]["paragraphs"] == archive["paragraphs"]
    assert results["engines"]["parse-only"]["build"]["paragraphs"] == archive["paragraphs"]
    whoosh = [results["engines"][n]["build"]["paragraphs"] for n in ("cablesearch", "whoosh-defaults")]
    assert whoosh[0] == whoosh[1] and 0.95 * archive["paragraphs"] <= whoosh[0] <= archive["paragraphs"]
    assert results["machine"]["cores"] >= 1 and results["machine"]["python"]
    for word in (*ENGINES, *CLASSES, "Machine:", "cores", "Python"):
        assert word in table
    assert table in stdout
    assert not (out / "work-2x").exists()  # the archive and indexes are removed without --keep


@pytest.mark.corpus
def test_engines_find_what_the_queries_ask_for(run_output):
    """Every query is drawn from the corpus, so FTS5 and cablesearch find something for most."""
    results = run_output[0]
    for name in ("fts5", "cablesearch"):
        per_query = results["engines"][name]["per_query"]
        found = sum(1 for q in per_query if q["total"] > 0)
        assert found >= 0.9 * len(per_query), name


@pytest.mark.corpus
def test_query_mix_is_fixed_and_drawn_from_the_corpus(bench, small_cables):
    mix = bench.queries.build_mix(small_cables, per_class=4, seed=7)
    again = bench.queries.build_mix(list(reversed(small_cables)), per_class=4, seed=7)
    assert [q.to_dict() for q in mix] == [q.to_dict() for q in again]
    assert {q.cls for q in mix} == set(CLASSES)
    text = " ".join(p.text.lower() for c in small_cables for p in c.paragraphs)
    for query in mix:
        if query.phrase:
            assert " ".join(query.words) in " ".join(bench.queries.TOKEN.findall(text))
        else:
            assert all(word in text for word in query.words)
    tags = {t for c in small_cables for t in c.tags}
    origins = {c.origin for c in small_cables}
    assert all(set(q.tags) <= tags for q in mix)
    assert all(q.origin in origins for q in mix if q.origin)


@pytest.mark.corpus
def test_replicated_cables_are_new_cables_with_the_same_text(bench, small_cables, tmp_path):
    from indexer.parse import parse_path

    copies = list(bench.replicate.replicate(small_cables, 3))
    assert len({c.refid for c in copies}) == 3 * len(small_cables)
    dump = tmp_path / "cables.csv"
    written = bench.replicate.write_dump(copies, dump)
    back = {c.refid: c for c in parse_path(dump)}
    assert len(back) == written["cables"] == len(copies)
    for original in small_cables:
        first = back[original.refid]
        third = back[bench.replicate.copy_refid(original.refid, 2)]
        assert [p.text for p in third.paragraphs] == [p.text for p in original.paragraphs]
        assert [p.text for p in first.paragraphs] == [p.text for p in original.paragraphs]
        assert (third.tags, third.origin, third.subject) == (first.tags, first.origin, first.subject)
        if original.created:
            assert (third.created.date() - first.created.date()).days == 14


@pytest.mark.corpus
def test_fts5_baseline_answers_with_filters_facets_and_per_cable(bench, small_cables, tmp_path):
    conn = bench.fts5.create(tmp_path / "a.db")
    counts = bench.fts5.insert(conn, (bench.fts5.cable_row(c) for c in small_cables))
    conn.close()
    assert counts["paragraphs"] == sum(len(c.paragraphs) for c in small_cables)
    searcher = bench.fts5.Fts5Searcher(tmp_path / "a.db")
    by_refid = {c.refid: c for c in small_cables}
    Query = bench.queries.BenchQuery
    cable = next(c for c in small_cables if c.tags and c.created and len(c.paragraphs) > 2)
    word = next(w for p in cable.paragraphs for w in bench.queries.WORD.findall(p.text.lower())
                if len(w) >= 5 and w not in bench.queries.STOPWORDS)

    plain = searcher.search(Query(0, "common", [word]))
    assert 0 < len(plain["hits"]) <= 10 and plain["total"] >= len(plain["hits"])

    tagged = searcher.search(Query(0, "tag", [word], tags=[cable.tags[0]]))
    assert tagged["total"] >= 1
    assert all(cable.tags[0] in by_refid[refid].tags for refid, _ in tagged["hits"])

    year = cable.created.year
    ranged = searcher.search(Query(0, "date_range", [word], date_from=f"{year}-08-01",
                                   date_to=f"{year}-08-31"))
    assert ranged["total"] >= 1
    assert all(date(year, 8, 1) <= by_refid[r].created.date() <= date(year, 8, 31)
               for r, _ in ranged["hits"])

    faceted = searcher.search(Query(0, "facets", [word], facets=["classification", "year", "tags"]))
    assert faceted["total"] == plain["total"]
    assert sum(n for _, n in faceted["facets"]["year"]) == plain["total"]
    assert sum(n for _, n in faceted["facets"]["classification"]) == plain["total"]

    grouped = searcher.search(Query(0, "per_cable", [word], per_cable=True))
    refids = [refid for refid, _ in grouped["hits"]]
    assert len(refids) == len(set(refids))
    assert cable.refid in refids or grouped["total"] > 10

    newest = searcher.search(Query(0, "sort_date", [word], sort="-date"))
    dates = [by_refid[r].created for r, _ in newest["hits"]]
    assert dates == sorted(dates, reverse=True)

    second = cable.paragraphs[1]
    phrase_words = bench.queries.TOKEN.findall(second.text.lower())[:2]
    phrase = searcher.search(Query(0, "phrase", phrase_words, phrase=True))
    assert (cable.refid, second.number) in {(r, p) for r, p in phrase["hits"]} or phrase["total"] > 10
    searcher.close()


@pytest.mark.corpus
def test_build_phases_account_for_every_paragraph_on_both_builds(engine_name, corpus):
    """The phase breakdown builds the same cables with the engine and with FTS5, each in
    full, and its bounds follow from its own figures."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench.build_phases", "--input",
         str(corpus / "cables-csv" / "cables-dev.csv"), "--max-cables", "60",
         "--engine", engine_name, "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    phases = json.loads(completed.stdout)
    assert phases["cables"] == 60 and phases["paragraphs"] > 60
    assert phases["written"] == phases["inserted"] == phases["paragraphs"]
    engine_cpu, fts5_cpu = phases["engine_cpu"], phases["fts5_cpu"]
    assert engine_cpu["parse"] > 0
    assert engine_cpu["prepare"] > 0 and fts5_cpu["insert"] > 0
    assert engine_cpu["write, this thread"] > 0
    assert phases["bounds"]["engine"] == pytest.approx(sum(engine_cpu.values()) / phases["cores"])
    assert phases["bounds"]["fts5"] >= fts5_cpu["parse"] + fts5_cpu["rows"]


def test_build_phases_refuses_a_missing_input_in_one_line(tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "bench.build_phases", "--input", str(tmp_path / "none")],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 2
    assert "no such file or directory" in completed.stderr.splitlines()[-1]
    assert "Traceback" not in completed.stderr
