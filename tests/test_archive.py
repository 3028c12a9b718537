"""The Archive API: opening, JSON-ready results, threads, fresh commits, whole cables."""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from search import Archive, IndexMissing, NotFound, QueryError
from search_fixtures import archive, search_index  # noqa: F401  (fixtures)

pytestmark = pytest.mark.corpus

QUERIES = ["pakistan", '"prime minister"', "nuclear program", "tags:PTER", "security forces",
           "counterterror*", "pakistn~", "human rights NOT china", "subject:iran"]


def test_default_path_comes_from_the_environment(search_index, monkeypatch):
    monkeypatch.setenv("CABLES_INDEX", str(search_index))
    assert Archive().search("pakistan").total > 0


def test_missing_index_raises_with_how_to_build_one(tmp_path):
    with pytest.raises(IndexMissing) as caught:
        Archive(tmp_path / "nothing-here")
    assert "cables index" in str(caught.value)


def test_results_are_json_serialisable(archive):
    result = archive.search("strategic communications", facets=True, limit=3)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["hits"][0]["refid"] == result.hits[0].refid
    assert data["facets"]["level"] == dict(result.facets["level"])
    cable = json.loads(json.dumps(archive.cable("09LONDON1933").to_dict()))
    assert cable["created"].startswith("2009-08-21")


def test_threads_get_the_same_answers_as_one_thread(archive):
    expected = {q: [(h.refid, h.paragraph, h.score) for h in archive.search(q, limit=20).hits]
                for q in QUERIES}

    def run(query: str):
        return query, [(h.refid, h.paragraph, h.score) for h in archive.search(query, limit=20).hits]

    with ThreadPoolExecutor(max_workers=6) as pool:
        for query, hits in pool.map(run, QUERIES * 6):
            assert hits == expected[query], query


def test_a_new_commit_is_seen_without_reopening(search_index, tmp_path, corpus):
    from indexer.build import build_index

    copy = tmp_path / "index"
    shutil.copytree(search_index, copy)
    archive = Archive(copy)
    assert archive.search("refid:08ANKARA73").total == 0  # January 2008: not in the subset
    build_index([corpus / "cablegate-html" / "2008" / "01" / "08ANKARA73.html"], copy, workers=0)
    assert archive.search("refid:08ANKARA73").total > 0
    assert archive.cable("08ANKARA73") is not None


def test_cable_and_its_paragraphs(archive):
    cable = archive.cable("09london1933")
    assert cable.refid == "09LONDON1933" and cable.origin == "Embassy London"
    assert cable.classification == "CONFIDENTIAL//NOFORN" and "PTER" in cable.tags
    assert [p.number for p in cable.paragraphs][:4] == [1, 2, 3, 4]
    assert archive.cable("99NOWHERE1") is None


def test_similar_finds_related_paragraphs(archive):
    result = archive.similar("09LONDON1933#9", limit=10)
    assert result.total > 0
    assert ("09LONDON1933", 9) not in {(h.refid, h.paragraph) for h in result.hits}
    assert any("communication" in h.text.lower() for h in result.hits)
    with pytest.raises(NotFound):
        archive.similar("09LONDON1933", 999)
    with pytest.raises(NotFound):
        archive.similar("99NOWHERE1#1")


def test_bad_arguments_raise_query_errors(archive):
    for kwargs in ({"sort": "sideways"}, {"facets": ["colour"]}, {"max_level": "ultra"},
                   {"date_from": "last year"}, {"page": 0}, {"limit": -1},
                   {"date_from": "2010", "date_to": "2009"}):
        with pytest.raises(QueryError):
            archive.search("pakistan", **kwargs)


def test_paging_walks_the_same_ranking(archive):
    whole = archive.search("government", limit=30)
    pages = [archive.search("government", limit=10, page=p).hits for p in (1, 2, 3)]
    assert [(h.refid, h.paragraph) for page in pages for h in page] == \
        [(h.refid, h.paragraph) for h in whole.hits]
