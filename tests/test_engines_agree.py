"""Whoosh and tantivy give the same answers: the same paragraphs match, the same counts and
facets come back, and the rankings mostly agree.

Both engines index the same subset of the corpus (about 440 cables and the sample corpus,
the search tests' indexes), once per session. A fixed set of queries is drawn deterministically from the
cables' own words and phrases: rare and common words, AND/OR/NOT, phrases and proximity,
exact words, fuzzy words, wildcards, field queries, and requests with filters, ceilings,
per-cable collapse and date sorts. For every query both engines must return the same set of
paragraph ids, the same total and the same facets; the top-10 overlap is printed and must
average at least 80%.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from indexer.engines.base import QueryError, SearchRequest
from indexer.engines.registry import open_index

pytest.importorskip("tantivy")
pytestmark = pytest.mark.corpus

# the words of these folders make the queries; both indexes are the search tests' own
# (tests/search_fixtures.py: cablegate pages of August 2009 to 2010 and the sample corpus)
SUBSET = ["cablegate-html/2009/08", "cablegate-html/2009/09", "cablegate-html/2009/10"]
PAGE = 1000
FACETS = ["classification", "level", "origin", "tags", "year", "month"]


@pytest.fixture(scope="session")
def both_engines(tmp_path_factory, corpus, sample_corpus):
    from search_fixtures import build_search_index

    engines = {name: open_index(build_search_index(tmp_path_factory, corpus, sample_corpus, name))
               for name in ("whoosh", "tantivy")}
    yield engines
    for engine in engines.values():
        engine.close()


def _texts(corpus: Path) -> list[str]:
    from indexer import parse_path

    texts = []
    for part in SUBSET:
        for cable in parse_path(corpus / part):
            texts.extend(p.text for p in cable.paragraphs)
    return texts


def draw_requests(corpus: Path, count: int = 120) -> list[SearchRequest]:
    """A fixed, varied mix of requests made of the corpus' own words."""
    rng = random.Random(8)
    texts = _texts(corpus)
    words = Counter(w for t in texts for w in set(re.findall(r"[a-z]{4,14}", t.lower())))
    rare = sorted(w for w, n in words.items() if 2 <= n <= 6)
    common = sorted(w for w, n in words.items() if 20 <= n <= 300)
    pairs = []
    for text in rng.sample(texts, 200):
        tokens = re.findall(r"[a-z]{3,14}", text.lower())
        if len(tokens) > 3:
            i = rng.randrange(len(tokens) - 2)
            pairs.append((tokens[i], tokens[i + 1], tokens[i + 2]))
    queries = []
    for i in range(12):
        a, b = rng.sample(common, 2)
        x, y, z = pairs[i]
        queries += [
            rng.choice(rare), a, f"{a} {b}", f"{a} OR {rng.choice(rare)}", f"{a} NOT {b}",
            f'"{x} {y}"', f'"{x} {z}"~3', f'"{a}"', f"{a[:-1]}~", f"{a[:5]}*",
        ]
    queries += ["tags:PTER", "tags:PREL AND iran", "origin:london", "subject:nuclear",
                "heading:summary", "created:[2009-08 to 2009-09] election", "level:secret",
                "marking:C/NF", "international", "organization", "university", "added",
                "strategic communications", '"violent extremism"', "NOT tags:PREL AND oil",
                "terorism", "goverment corruption", "pakistn~", "nucleer", "citedby:09STATE152009"]
    requests = [SearchRequest(query=q, limit=10) for q in queries]
    variants = []
    for i, request in enumerate(requests[:40]):
        kind = i % 5
        if kind == 0:
            variants.append(replace(request, max_level=rng.choice(["UNCLASSIFIED", "CONFIDENTIAL"])))
        elif kind == 1:
            variants.append(replace(request, tags=[rng.choice(["PREL", "PGOV", "PTER", "ECON"])]))
        elif kind == 2:
            variants.append(replace(request, date_from=date(2009, 9, 1), date_to=date(2009, 10, 15)))
        elif kind == 3:
            variants.append(replace(request, per_cable=True))
        else:
            variants.append(replace(request, sort=rng.choice(["date", "-date"])))
    return (requests + variants)[:max(count, len(requests))]


def matching_ids(engine, request: SearchRequest) -> tuple[set[str], int]:
    """Every matching paragraph id (all pages), and the total."""
    ids: set[str] = set()
    page = 1
    while True:
        result = engine.search(replace(request, limit=PAGE, page=page, facets=[]))
        ids.update(h.fields["id"] for h in result.hits)
        if page * PAGE >= result.total:
            return ids, result.total
        page += 1


def test_engines_return_the_same_paragraphs(both_engines, corpus):
    whoosh, tantivy = both_engines["whoosh"], both_engines["tantivy"]
    requests = draw_requests(corpus)
    assert len(requests) >= 100
    overlaps, errors, matched, sizes = [], 0, 0, []
    differing = []
    for request in requests:
        try:
            expected = whoosh.search(replace(request, facets=FACETS))
        except QueryError as exc:
            with pytest.raises(QueryError) as raised:
                tantivy.search(request)
            assert str(raised.value) == str(exc)
            errors += 1
            continue
        got = tantivy.search(replace(request, facets=FACETS))
        assert got.total == expected.total, request
        assert got.facets == expected.facets, request
        assert got.notices == expected.notices, request
        assert got.suggestion == expected.suggestion, request
        want_ids, _ = matching_ids(whoosh, request)
        got_ids, _ = matching_ids(tantivy, request)
        assert got_ids == want_ids, (request, sorted(want_ids ^ got_ids)[:10])
        if expected.total:
            matched += 1
            sizes.append(expected.total)
            top_w = [h.fields["id"] for h in expected.hits]
            top_t = [h.fields["id"] for h in got.hits]
            overlap = len(set(top_w) & set(top_t)) / len(top_w)
            overlaps.append(overlap)
            if overlap < 0.8:
                differing.append((request.query, round(overlap, 2)))
            snippets_w = {h.fields["id"]: (h.snippet, h.highlights) for h in expected.hits}
            for hit in got.hits:  # the same words light up in the same snippet
                if hit.fields["id"] in snippets_w:
                    assert (hit.snippet, hit.highlights) == snippets_w[hit.fields["id"]], request
                    fields = next(h.fields for h in expected.hits
                                  if h.fields["id"] == hit.fields["id"])
                    assert hit.fields == fields, {k: (fields.get(k), hit.fields.get(k))
                                                  for k in set(fields) | set(hit.fields)
                                                  if fields.get(k) != hit.fields.get(k)}
            if request.per_cable:
                assert [h.matched_in_cable for h in got.hits if h.fields["id"] in top_w] == \
                       [h.matched_in_cable for h in expected.hits if h.fields["id"] in top_t]
    mean = sum(overlaps) / len(overlaps)
    print(f"\nengines agree: {len(requests)} requests, {matched} with hits "
          f"(median total {sorted(sizes)[len(sizes) // 2]}), {errors} rejected alike; "
          f"identical matching sets on all; top-10 overlap mean {mean:.1%}, "
          f"{sum(o == 1 for o in overlaps)} identical, {len(differing)} below 80%: {differing[:12]}")
    assert matched >= 90
    assert mean >= 0.8


def test_cables_stats_and_similar_agree(both_engines):
    whoosh, tantivy = both_engines["whoosh"], both_engines["tantivy"]
    assert sorted(whoosh.refids()) == sorted(tantivy.refids())
    for refid in sorted(whoosh.refids())[:40]:
        assert tantivy.cable(refid).to_dict() == whoosh.cable(refid).to_dict()
        assert [c.to_dict() for c in tantivy.versions(refid)] == \
               [c.to_dict() for c in whoosh.versions(refid)]
    ws, ts = whoosh.stats(), tantivy.stats()
    for key in ("cables", "paragraphs", "older_versions", "date_from", "date_to",
                "by_classification", "by_paragraph_level", "top_origins", "top_tags"):
        assert ts[key] == ws[key], key
    overlaps = []
    for refid in sorted(whoosh.refids())[:30]:
        request = SearchRequest(query="", limit=10, max_level="SECRET")
        cable = whoosh.cable(refid)
        if not cable.paragraphs:
            continue
        number = cable.paragraphs[0].number
        try:
            want = whoosh.similar(refid, number, request)
        except QueryError:
            with pytest.raises(QueryError):
                tantivy.similar(refid, number, request)
            continue
        got = tantivy.similar(refid, number, request)
        top_w = {h.fields["id"] for h in want.hits}
        top_t = {h.fields["id"] for h in got.hits}
        if top_w:
            overlaps.append(len(top_w & top_t) / len(top_w))
    print(f"\nsimilar: top-10 overlap mean {sum(overlaps) / len(overlaps):.1%} over {len(overlaps)}")
    assert overlaps and sum(overlaps) / len(overlaps) >= 0.5
