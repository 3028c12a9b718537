"""Ranked paragraph search and ``similar`` on a tantivy index.

The same steps and rules as ``indexer/engines/whoosh/searching.py``: parse (``querylang``),
compile (``compile.py``), restrict to the allowed paragraphs (ceiling and filters, added as
zero-score clauses so they never change scores), rank (paragraphs whose own text matches
first, then score, then the newest cable; or by date), count facets over everything that
matched (tantivy aggregations on fast fields), build snippets with the Whoosh engine's
highlighter (the same analyzer, so the same words light up), suggest a correction when
little matched.
"""

from __future__ import annotations

from collections import Counter
from math import log
from typing import Any

import tantivy

from ..base import EngineHit, EngineResult, QueryError, SearchRequest
from ..filtering import filter_clauses
from ..querylang import parse_query
from ..whoosh.analysis import stemming_analyzer
from ..whoosh.highlight import snippet
from .analysis import match_spans, whoosh_stems
from .compile import NOTHING, Compiled, Vocabulary, compile_query, date_range, zero
from .documents import stored_fields
from .schema import KIND_PARAGRAPH
from .suggest import suggest

Q = tantivy.Query
Occur = tantivy.Occur

FACETS = ("classification", "level", "origin", "tags", "year", "month")
SORTS = ("relevance", "date", "-date")
UNKNOWN = "(unknown)"
SUGGEST_BELOW = 3
MAX_LIMIT = 1000
SIMILAR_TERMS = 12
TIE_SLACK = 20
MAX_TIE_FETCH = 20_000  # beyond it, ties at the page edge are ordered approximately
MAX_BUCKETS = 60_000
_ANALYZER = stemming_analyzer()


# --- filters --------------------------------------------------------------------------------

def _values(schema, field: str, values: list[str]):
    if not values:
        return Q.empty_query()
    if len(values) == 1:
        return Q.term_query(schema, field, values[0])
    return Q.boolean_query([(Occur.Should, Q.term_query(schema, field, v)) for v in values])


def filter_query(schema, request: SearchRequest, vocabulary: Vocabulary) -> tantivy.Query:
    """Paragraphs at or below the ceiling that pass every filter (unscored)."""
    parts = filter_clauses(
        request, vocabulary, Q.term_query(schema, "kind", KIND_PARAGRAPH),
        at_most_rank=lambda rank: Q.range_query(schema, "level_rank",
                                                tantivy.FieldType.Integer, None, rank),
        term=lambda name, value: Q.term_query(schema, name, value),
        any_value=lambda name, values: _values(schema, name, values),
        created_between=lambda start, end: date_range(schema, start, end))
    return Q.boolean_query([(Occur.Must, p) for p in parts])


def ceiling_only(request: SearchRequest) -> SearchRequest:
    return SearchRequest(query=request.query, max_level=request.max_level)


def restricted(q, allowed: tantivy.Query, *, also=(), without=()) -> tantivy.Query:
    """``q`` scored as it is, on the allowed documents only (and ``also``, not ``without``)."""
    clauses = [(Occur.Must, q), (Occur.Must, zero(allowed))]
    clauses += [(Occur.Must, zero(a)) for a in also]
    clauses += [(Occur.MustNot, w) for w in without]
    return Q.boolean_query(clauses)


def count(searcher: tantivy.Searcher, q) -> int:
    if q is NOTHING:
        return 0
    return searcher.search(q, 1, count=True).count


# --- ranking --------------------------------------------------------------------------------

def _scored(searcher, q, limit: int | None) -> list[tuple[float, Any]]:
    """(score, address) of the best ``limit`` matches of ``q`` (all when None)."""
    if limit is None:
        limit = count(searcher, q)
    if limit <= 0:
        return []
    return [(float(s), a) for s, a in searcher.search(q, limit, count=False).hits]


def _with_whole_ties(searcher, q, want: int | None) -> list[tuple[float, Any]]:
    """The best ``want`` matches (all when None) and every match tied with the last of them,
    so that equal scores can be ordered newest first exactly (up to MAX_TIE_FETCH more)."""
    if want is None:
        return _scored(searcher, q, None)
    limit = want + TIE_SLACK
    while True:
        items = _scored(searcher, q, limit)
        if (len(items) < limit or want == 0 or items[-1][0] < items[min(want, len(items)) - 1][0]
                or limit >= want + MAX_TIE_FETCH):
            return items
        limit = min(limit * 4, want + MAX_TIE_FETCH)


def _ties_newest_first(searcher, items: list[tuple[float, Any]]) -> list[tuple[float, Any]]:
    """Hits in score order (as tantivy gives them), equal scores newest cable first.

    Only the members of runs of equal scores need their dates, and only those runs are
    sorted: cheap when most scores differ."""
    n = len(items)
    tied = [i for i in range(n) if (i and items[i][0] == items[i - 1][0])
            or (i + 1 < n and items[i][0] == items[i + 1][0])]
    if not tied:
        return items
    created = dict(zip(tied, _created(searcher, [items[i][1] for i in tied])))
    out = list(items)
    start = 0
    while start < n:
        end = start + 1
        while end < n and items[end][0] == items[start][0]:
            end += 1
        if end - start > 1:
            # stable: equal dates keep tantivy's order (by document address)
            run = sorted(range(start, end), key=lambda i: _newest_first(created[i]))
            out[start:end] = [items[i] for i in run]
        start = end
    return out


def _created(searcher, addresses: list) -> list[int]:
    values = searcher.fast_field_values("created_ts", addresses) if addresses else []
    return [v if v is not None else None for v in values]


def _newest_first(value: int | None) -> float:
    return -value if value is not None else float("inf")


def _rank(searcher, schema, main, tier, sort: str, need: int | None) -> list[tuple[float, Any]]:
    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r}: use one of {', '.join(SORTS)}")
    if sort == "relevance":
        parts = [main] if tier is None else [
            Q.boolean_query([(Occur.Must, main), (Occur.Must, zero(tier))]),
            Q.boolean_query([(Occur.Must, main), (Occur.MustNot, tier)])]
        ranked: list[tuple[float, Any]] = []
        for part in parts:
            want = None if need is None else need - len(ranked)
            if want is not None and want <= 0:
                break
            items = _ties_newest_first(searcher, _with_whole_ties(searcher, part, want))
            ranked.extend(items if want is None else items[:want])
        return ranked
    total = count(searcher, main)
    limit = total if need is None else min(need, total)
    if limit <= 0:
        return []
    order = tantivy.Order.Asc if sort == "date" else tantivy.Order.Desc
    window = [a for _k, a in searcher.search(main, limit, count=False,
                                             order_by_field="created_ts", order=order).hits]
    keys = searcher.fast_field_values("doc_key", window)
    scores = _scores_of(searcher, schema, main, keys)
    return [(scores.get(k, 0.0), a) for k, a in zip(keys, window)]


def _scores_of(searcher, schema, main, keys: list[int]) -> dict[int, float]:
    """The scores of ``main`` for the documents with these doc_keys."""
    if not keys:
        return {}
    only = Q.term_set_query(schema, "doc_key", list(keys))
    found = _scored(searcher, Q.boolean_query([(Occur.Must, main), (Occur.Must, zero(only))]),
                    len(keys))
    found_keys = searcher.fast_field_values("doc_key", [a for _s, a in found])
    return {k: s for k, (s, _a) in zip(found_keys, found)}


def _per_cable(searcher, ranked: list[tuple[float, Any]]):
    """The best paragraph of each cable, in rank order, and each cable's match count."""
    refid_keys = searcher.fast_field_values("refid_key", [a for _s, a in ranked]) if ranked else []
    counts = Counter(refid_keys)
    first: dict[int, int] = {}
    for i, key in enumerate(refid_keys):
        first.setdefault(key, i)
    order = list(first.values())  # first occurrences, in rank order
    return [ranked[i] for i in order], [counts[refid_keys[i]] for i in order]


# --- facets ---------------------------------------------------------------------------------

def _facets(searcher, names: list[str], units) -> dict[str, list[tuple[str, int]]]:
    for name in names:
        if name not in FACETS:
            raise QueryError(f"unknown facet {name!r}: use some of {', '.join(FACETS)}")
    if not names:
        return {}
    aggs = {name: {"terms": {"field": name, "size": MAX_BUCKETS,
                             "missing": 0 if name == "year" else UNKNOWN}} for name in names}
    found = searcher.aggregate(units, aggs) if units is not NOTHING else {}
    out: dict[str, list[tuple[str, int]]] = {}
    for name in names:
        counts: Counter = Counter()
        for bucket in found.get(name, {}).get("buckets", []):
            counts[_facet_value(bucket["key"])] += int(bucket["doc_count"])
        if name in ("year", "month"):
            out[name] = sorted(counts.items(), key=lambda kv: (kv[0] == UNKNOWN, kv[0]))
        else:
            out[name] = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return out


def _facet_value(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if value is None or value == "" or (isinstance(value, int) and value <= 0):
        return UNKNOWN
    return str(value)


# --- hits -----------------------------------------------------------------------------------

def _hits(searcher, page, compiled: Compiled, counts: list[int] | None) -> list[EngineHit]:
    hits = []
    for i, (score, address) in enumerate(page):
        stored = stored_fields(searcher.doc(address))
        text = stored.get("text") or ""
        spans = match_spans(text, compiled.stems, compiled.words)
        snip, highlights = snippet(text, spans)
        hits.append(EngineHit(
            refid=stored.get("refid", ""), paragraph=int(stored.get("paragraph") or 0),
            score=float(score), fields=stored, snippet=snip, highlights=highlights,
            matched_in_cable=counts[i] if counts is not None else 1))
    return hits


def _result(searcher, schema, request: SearchRequest, compiled: Compiled, main, tier) -> EngineResult:
    limit = max(0, min(int(request.limit), MAX_LIMIT))
    page = max(1, int(request.page))
    counts = None
    if main is NOTHING:
        ranked, total, units = [], 0, NOTHING
        if request.sort not in SORTS:
            raise QueryError(f"unknown sort {request.sort!r}: use one of {', '.join(SORTS)}")
    elif request.per_cable:
        ranked, counts = _per_cable(searcher, _rank(searcher, schema, main, tier, request.sort, None))
        total = len(ranked)
        units = NOTHING
        if request.facets and ranked:  # facets count the best paragraph of each cable
            keys = searcher.fast_field_values("doc_key", [a for _s, a in ranked])
            units = Q.term_set_query(schema, "doc_key", keys)
    else:
        ranked = _rank(searcher, schema, main, tier, request.sort, page * limit)
        total, units = count(searcher, main), main
    start = (page - 1) * limit
    window = ranked[start: start + limit]
    window_counts = counts[start: start + limit] if counts is not None else None
    facets = _facets(searcher, list(request.facets), units) if request.facets else {}
    return EngineResult(total=total, hits=_hits(searcher, window, compiled, window_counts),
                        facets=facets, notices=list(compiled.notices))


# --- entry points ---------------------------------------------------------------------------

def _open(engine) -> tuple[tantivy.Searcher, Vocabulary]:
    searcher = engine.searcher()
    return searcher, Vocabulary(searcher)


def _cited(engine):
    def cited(refid: str) -> list[str]:
        cable = engine.cable(refid)
        if cable is None:
            return []
        return list(dict.fromkeys(r.refid for r in cable.references if r.refid))
    return cited


def search(engine, request: SearchRequest) -> EngineResult:
    parsed = parse_query(request.query)
    searcher, vocabulary = _open(engine)
    schema = engine.schema
    compiled = compile_query(parsed, schema, vocabulary, _cited(engine))
    allowed = filter_query(schema, request, vocabulary)
    main = NOTHING if compiled.query is NOTHING else restricted(compiled.query, allowed)
    result = _result(searcher, schema, request, compiled, main, compiled.tier)
    if result.total < SUGGEST_BELOW:
        visible = filter_query(schema, ceiling_only(request), vocabulary)

        def count_of(text: str) -> int:
            again = compile_query(parse_query(text), schema, vocabulary, _cited(engine))
            return 0 if again.query is NOTHING else count(searcher, restricted(again.query, allowed))
        result.suggestion = suggest(searcher, schema, vocabulary, parsed, visible, result.total,
                                    count_of)
    return result


def _key_terms(searcher, text: str, number: int) -> list[tuple[str, float]]:
    """Whoosh's key_terms_from_text with the Bo1 model; the collection frequency of a word
    is approximated by its document frequency (tantivy's bindings give no term totals)."""
    weights: Counter = Counter(t.text for t in _ANALYZER(text))
    total = sum(weights.values())
    n = max(1, searcher.num_docs)
    scored = []
    maxweight = 0.0
    for word, weight in weights.items():
        cf = searcher.doc_freq("text", word)
        if not cf:
            continue
        f = cf / n
        score = weight * log((1.0 + f) / f, 2) + log(1.0 + f, 2)
        maxweight = max(maxweight, score)
        scored.append((score, word))
    if not scored:
        return []
    f = maxweight / n
    norm = (maxweight * log((1.0 + f) / f) + log(1.0 + f)) / log(2.0)
    scored = sorted(((s / norm, w) for s, w in scored), key=lambda x: (-x[0], x[1]))
    del total
    return [(w, s) for s, w in scored[:number]]


def similar(engine, refid: str, paragraph: int, request: SearchRequest) -> EngineResult:
    searcher, vocabulary = _open(engine)
    schema = engine.schema
    visible = filter_query(schema, ceiling_only(request), vocabulary)
    source_query = Q.boolean_query([
        (Occur.Must, visible),
        (Occur.Must, Q.term_query(schema, "refid", refid)),
        (Occur.Must, Q.range_query(schema, "paragraph", tantivy.FieldType.Integer,
                                   paragraph, paragraph))])
    source = searcher.search(source_query, 1, count=False).hits
    if not source:
        raise QueryError(f"no paragraph {paragraph} of {refid} to compare with"
                         + (f" at or below {request.max_level}" if request.max_level else ""))
    text = stored_fields(searcher.doc(source[0][1])).get("text") or ""
    terms = _key_terms(searcher, text, SIMILAR_TERMS)
    q = NOTHING
    if terms:
        q = Q.boolean_query([(Occur.Should, Q.boost_query(Q.term_query(schema, "text", w),
                                                          max(weight, 0.01)))
                             for w, weight in terms])
    compiled = Compiled(q)
    compiled.stems = {w for w, _ in terms}
    allowed = filter_query(schema, request, vocabulary)
    main = NOTHING if q is NOTHING else restricted(q, allowed, without=[source_query])
    return _result(searcher, schema, request, compiled, main, None)


__all__ = ["search", "similar", "whoosh_stems"]
