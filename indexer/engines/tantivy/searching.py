"""Ranked paragraph search and ``similar`` on a tantivy index.

The same steps and rules as ``indexer/engines/whoosh/searching.py``: parse (``querylang``),
compile (``compile.py``), restrict to the allowed paragraphs (ceiling and filters, added as
zero-score clauses so they never change scores), rank (paragraphs whose own text matches
first, then score, then the newest cable; or by date), count facets over everything that
matched (tantivy aggregations on fast fields; the tags of a large result from the tags term
dictionary), build snippets with the Whoosh engine's highlighter (the same analyzer, so the same words light up), suggest a correction when
little matched.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from math import log
from typing import Any, Callable

import tantivy

from ...model import LEVELS
from ..base import EngineHit, EngineResult, QueryError, SearchRequest
from ..filtering import filter_clauses
from ..querylang import parse_query
from ..whoosh.analysis import stemming_analyzer
from ..whoosh.highlight import snippet, stem_spans
from .analysis import whoosh_stems
from .compile import (NOTHING, Compiled, Vocabulary, any_key, compile_query, date_range,
                      zero)
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
COUNTING_TIE_SLACK = 250
MEMBER_BATCH = 16
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


def filter_query(schema, request: SearchRequest, vocabulary: Vocabulary,
                 paragraphs: bool = True) -> tantivy.Query | None:
    """Paragraphs at or below the ceiling that pass every filter (unscored); None when
    nothing needs checking (``paragraphs=False``: the query matches paragraphs only, so the
    ``kind`` clause, which every paragraph passes, is left out)."""
    parts = filter_clauses(
        request, vocabulary, Q.term_query(schema, "kind", KIND_PARAGRAPH) if paragraphs else None,
        at_most_rank=lambda rank: _at_most_rank(schema, vocabulary, rank),
        term=lambda name, value: Q.term_query(schema, name, value),
        any_value=lambda name, values: _values(schema, name, values),
        created_between=lambda start, end: date_range(schema, start, end))
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else Q.boolean_query([(Occur.Must, p) for p in parts])


def _at_most_rank(schema, vocabulary: Vocabulary, rank: int) -> tantivy.Query | None:
    """Paragraphs whose level ranks at most ``rank`` (None: every paragraph does), as the
    level values' posting lists: a range on the ``level_rank`` column scans the column.
    A level outside LEVELS ranks highest (``model.level_rank``), so below the top rank only
    the listed levels pass."""
    if rank >= len(LEVELS) - 1:
        return None
    allowed = {name for name in LEVELS[:rank + 1]}
    values = [v for v in vocabulary.indexed_values("level") if v.upper() in allowed]
    return _values(schema, "level", values)


def ceiling_only(request: SearchRequest) -> SearchRequest:
    return SearchRequest(query=request.query, max_level=request.max_level)


def restricted(q, allowed: tantivy.Query | None, *, also=(), without=()) -> tantivy.Query:
    """``q`` scored as it is, on the allowed documents only (and ``also``, not ``without``)."""
    filters = ([] if allowed is None else [allowed]) + list(also)
    if not filters and not without:
        return q
    clauses = [(Occur.Must, q)] + [(Occur.Must, zero(f)) for f in filters]
    clauses += [(Occur.MustNot, w) for w in without]
    return Q.boolean_query(clauses)


def count(searcher: tantivy.Searcher, q) -> int:
    if q is NOTHING:
        return 0
    return searcher.search(q, 1, count=True).count


# --- ranking --------------------------------------------------------------------------------
#
# Only a prefix of the ranking is ever built: the best ``need`` matches, plus every match
# tied with the last of them, so that equal scores (or equal dates) can be ordered exactly.
# The number of matches is counted in the same tantivy pass as the first prefix.

Item = tuple[float, Any]  # (score, DocAddress)


def _where(address) -> tuple[int, int]:
    return address.segment_ord, address.doc


def _closed_prefix(searcher, q, want: int, counting: bool) -> tuple[list[Item], int | None]:
    """Matches of ``q`` by score: every match scoring at least the ``want``-th best (all of
    them when fewer; beyond MAX_TIE_FETCH extra ties, approximately), and, when
    ``counting``, the number of matches.

    A counting pass visits and scores every match whatever the limit, so it asks for a
    wide slack at once: a run of equal scores (the same paragraph in many cables) then
    needs no second pass over every match."""
    limit = want + (COUNTING_TIE_SLACK if counting else TIE_SLACK)
    total = None
    while True:
        result = searcher.search(q, limit, count=counting and total is None)
        if total is None and counting:
            total = result.count
        items = [(float(s), a) for s, a in result.hits]
        if len(items) < limit or want == 0:
            return items, total
        edge = items[want - 1][0]
        if items[-1][0] < edge or limit >= want + MAX_TIE_FETCH:
            return [it for it in items if it[0] >= edge], total
        limit = min(limit * 4, want + MAX_TIE_FETCH)


def _ties_newest_first(searcher, items: list[Item]) -> list[Item]:
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


def _created(searcher, addresses: list) -> list[int | None]:
    return searcher.fast_field_values("created_ts", addresses) if addresses else []


def _newest_first(value: int | None) -> float:
    return -value if value is not None else float("inf")


def _members(searcher, schema, q, items: list[Item]) -> set[tuple[int, int]]:
    """Which of ``items`` match ``q`` (one small search, restricted to their doc_keys; each
    key is looked up in every segment's term dictionary, so callers ask for few)."""
    if not items:
        return set()
    keys = searcher.fast_field_values("doc_key", [a for _s, a in items])
    only = any_key(schema, "doc_key", keys)
    found = searcher.search(Q.boolean_query([(Occur.Must, zero(q)), (Occur.Must, only)]),
                            len(items), count=False).hits
    return {_where(a) for _s, a in found}


def _split_by_tier(searcher, schema, tier, ordered: list[Item],
                   need: int) -> tuple[list[Item], list[Item]]:
    """The tier members among ``ordered`` (in its order) and the others.

    Membership is checked a batch at a time in rank order, and stops once ``need`` members
    are found: those are the first ``need`` members whatever the rest hold. ``rest`` is
    complete only when every item was checked (callers use it only then)."""
    own: list[Item] = []
    rest: list[Item] = []
    start, batch = 0, max(need, MEMBER_BATCH)
    while start < len(ordered) and len(own) < need:
        chunk = ordered[start:start + batch]
        inside = _members(searcher, schema, tier, chunk)
        for item in chunk:
            (own if _where(item[1]) in inside else rest).append(item)
        start += len(chunk)
        batch *= 2
    return own, rest


def _rank(searcher, schema, main, tier, sort: str, need: int) -> tuple[list[Item], int]:
    """The first ``need`` matches in the request's order, and the number of matches."""
    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r}: use one of {', '.join(SORTS)}")
    if sort == "relevance":
        return _by_relevance(searcher, schema, main, tier, need)
    return _by_date(searcher, schema, main, sort, need)


def _by_relevance(searcher, schema, main, tier, need: int) -> tuple[list[Item], int]:
    """Own-text matches (the tier) first, then score, then the newest cable.

    One pass ranks and counts ``main``; when the best of it hold ``need`` tier matches (the
    usual case: a word scores most in the paragraph's own text), those are the page.
    Otherwise the tier and the rest are ranked apart."""
    items, total = _closed_prefix(searcher, main, need, counting=True)
    ordered = _ties_newest_first(searcher, items)
    if tier is None:
        return ordered[:need], total
    own, rest = _split_by_tier(searcher, schema, tier, ordered, need)
    if len(own) >= need or len(items) >= total:
        # ``own`` and ``rest`` keep the order of ``ordered``: score, then newest cable
        return (own + rest)[:need], total
    ranked: list[Item] = []
    for part in (Q.boolean_query([(Occur.Must, main), (Occur.Must, zero(tier))]),
                 Q.boolean_query([(Occur.Must, main), (Occur.MustNot, tier)])):
        want = need - len(ranked)
        if want <= 0:
            break
        part_items, _ = _closed_prefix(searcher, part, want, counting=False)
        ranked.extend(_ties_newest_first(searcher, part_items)[:want])
    return ranked, total


def _by_date(searcher, schema, main, sort: str, need: int) -> tuple[list[Item], int]:
    """By the cable's creation date (``date``: oldest first), equal dates by score, then by
    document address.

    The first ``need`` matches by date, then every match from the newest (oldest) date down
    to the last date among them, scored, so the last date's whole run is ordered."""
    order = tantivy.Order.Asc if sort == "date" else tantivy.Order.Desc
    result = searcher.search(main, max(need, 1), count=True, order_by_field="created_ts",
                             order=order)
    total = result.count
    dated = result.hits
    if not dated or need <= 0:
        return [], total
    edge = dated[-1][0]
    if edge is None or any(value is None for value, _a in dated):
        # undated cables: as tantivy orders them, scores read for the page
        return _scored_window(searcher, schema, main, [a for _v, a in dated][:need]), total
    span = (None, edge) if sort == "date" else (edge, None)
    upto = Q.boolean_query([(Occur.Must, main), (Occur.Must, zero(Q.range_query(
        schema, "created_ts", tantivy.FieldType.Integer, *span)))])
    limit = len(dated) + TIE_SLACK
    found = searcher.search(upto, limit, count=True)
    if found.count > limit:
        found = searcher.search(upto, found.count, count=False)
    scored = [(float(s), a) for s, a in found.hits]
    created = _created(searcher, [a for _s, a in scored])
    sign = 1 if sort == "date" else -1
    keyed = sorted(zip(scored, created),
                   key=lambda pair: (sign * pair[1], -pair[0][0], _where(pair[0][1])))
    return [item for item, _c in keyed[:need]], total


def _scored_window(searcher, schema, main, window: list) -> list[Item]:
    """``window`` in its order, each with its score for ``main``."""
    if not window:
        return []
    keys = searcher.fast_field_values("doc_key", window)
    only = any_key(schema, "doc_key", keys)
    found = searcher.search(Q.boolean_query([(Occur.Must, main), (Occur.Must, zero(only))]),
                            len(keys), count=False).hits
    scores = {_where(a): float(s) for s, a in found}
    return [(scores.get(_where(a), 0.0), a) for a in window]


# --- per-cable collapse ---------------------------------------------------------------------

def _collapse(searcher, ranked: list[Item]) -> tuple[list[Item], list[int]]:
    """The best paragraph of each cable, in rank order, and the cables' refid_keys."""
    keys = searcher.fast_field_values("refid_key", [a for _s, a in ranked]) if ranked else []
    seen: set[int] = set()
    best, best_keys = [], []
    for item, key in zip(ranked, keys):
        if key not in seen:
            seen.add(key)
            best.append(item)
            best_keys.append(key)
    return best, best_keys


def _cables_ranked(searcher, schema, main, tier, sort: str, stop: int):
    """The best paragraph of the first ``stop`` cables in rank order, their refid_keys,
    whether every match was seen (then these are all the cables), and the number of
    matching paragraphs.

    Grows a ranked prefix of paragraphs until it holds ``stop`` cables."""
    need = min(max(4 * stop, 50), max(searcher.num_docs, 1))
    while True:
        ranked, total = _rank(searcher, schema, main, tier, sort, need)
        best, keys = _collapse(searcher, ranked)
        complete = len(ranked) >= total
        if len(best) >= stop or complete:
            return best, keys, complete, total
        need = min(total, need * 4)


def _matched_per_cable(searcher, schema, main, keys: list[int]) -> list[int]:
    """How many paragraphs of each of these cables match ``main``."""
    if not keys:
        return []
    only = any_key(schema, "refid_key", keys)
    found = searcher.aggregate(Q.boolean_query([(Occur.Must, main), (Occur.Must, only)]),
                               {"n": {"terms": {"field": "refid_key", "size": len(keys)}}})
    counts = {int(b["key"]): int(b["doc_count"]) for b in found["n"]["buckets"]}
    return [counts.get(k, 0) for k in keys]


KEY_RANGE = (-2**63, 2**63 - 1)


# One pass settles the count when it has room for every cable with three matches or more
# (see _repeats_at_once), and there are at most matched / 3 of those. It asks for room for
# one bucket per ONE_PASS_MATCHES matching paragraphs (each bucket returned costs ~0.45 us,
# the pass itself ~0.26 us a matching cable), at least MIN_ROOM, then MAX_BUCKETS. At
# Cablegate size (2 million paragraphs; 34 words of 30,000 to 504,000 matches measured)
# the cables with 3+ matches number 0.08 to 0.15 of the matching paragraphs. Beyond
# ONE_PASS_MATCHES * MAX_BUCKETS matches, the key-range parts come at once.
ONE_PASS_MATCHES = 6
MIN_ROOM = 10_000


def _cables_matching(searcher, schema, main, matched: int) -> int:
    """How many cables have a matching paragraph, exactly, given that ``matched``
    paragraphs match (each has its cable's refid_key).

    A cable with m matching paragraphs is counted m - 1 times too many by ``matched``, so
    only the cables with two or more need a bucket of their own: cables = matched - sum of
    (m - 1). One aggregation usually settles it (``_repeats_at_once``); otherwise, since
    tantivy returns at most MAX_BUCKETS buckets a call and there are at most matched / 2
    such cables, the key range is cut into parts that should each hold fewer, and a part
    that was cut short is halved."""
    if matched <= ONE_PASS_MATCHES * MAX_BUCKETS:
        room = min(MAX_BUCKETS, max(MIN_ROOM, matched // ONE_PASS_MATCHES + 1))
        for size in dict.fromkeys((room, MAX_BUCKETS)):  # each size once, in this order
            repeats = _repeats_at_once(searcher, main, size)
            if repeats is not None:
                return matched - repeats
    low, high = KEY_RANGE
    parts = max(1, -(-matched // (2 * MAX_BUCKETS)))
    width = (high - low) // parts
    bounds = [low + i * width for i in range(parts)] + [high + 1]
    return matched - sum(_repeats(searcher, schema, main, bounds[i], bounds[i + 1] - 1)
                         for i in range(parts))


def _repeats_at_once(searcher, main, size: int) -> int | None:
    """Sum of (m - 1) over the cables with m >= 2 matching paragraphs, from one
    aggregation returning at most ``size`` buckets, or None when that does not settle it.

    The buckets come largest first, and ``sum_other_doc_count`` holds the paragraphs of
    the cables with m >= 2 that did not fit. Segments are never cut short (a segment holds
    at most as many cables as documents), so that sum is exact
    (``doc_count_error_upper_bound`` 0). When the smallest bucket returned has m = 2, every
    cable left out has m = 2 too, and adds exactly 1: their number is that sum / 2."""
    found = searcher.aggregate(main, {"n": {"terms": {
        "field": "refid_key", "size": size, "min_doc_count": 2,
        "segment_size": max(searcher.num_docs, size)}}})["n"]
    if found.get("doc_count_error_upper_bound", 0):
        return None
    buckets = found["buckets"]
    shown = sum(int(b["doc_count"]) - 1 for b in buckets)
    other = int(found.get("sum_other_doc_count", 0))
    if not other:
        return shown
    if buckets and int(buckets[-1]["doc_count"]) == 2 and other % 2 == 0:
        return shown + other // 2
    return None


def _repeats(searcher, schema, main, low: int, high: int) -> int:
    """Sum of (m - 1) over the cables with refid_key in [low, high] that have m >= 2
    matching paragraphs."""
    q = main
    if (low, high) != KEY_RANGE:
        q = Q.boolean_query([(Occur.Must, main), (Occur.Must, zero(Q.range_query(
            schema, "refid_key", tantivy.FieldType.Integer, low, high)))])
    found = searcher.aggregate(q, {"n": {"terms": {"field": "refid_key", "size": MAX_BUCKETS,
                                                   "min_doc_count": 2}}})["n"]
    buckets = found["buckets"]
    cut = len(buckets) >= MAX_BUCKETS or found.get("sum_other_doc_count", 0) > 0
    if not cut or low == high:
        return sum(int(b["doc_count"]) - 1 for b in buckets)
    middle = (low + high) // 2
    return (_repeats(searcher, schema, main, low, middle)
            + _repeats(searcher, schema, main, middle + 1, high))


# --- facets ---------------------------------------------------------------------------------

MULTI_VALUED_FACETS = ("tags",)
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _facet_pool() -> ThreadPoolExecutor:
    """Two threads for facet aggregations, made once per process."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(2, thread_name_prefix="tantivy-facets")
        return _pool


def _forget_pool_in_child() -> None:
    """A forked child makes its own pool: the parent's threads (and perhaps its lock's
    holder) do not exist there."""
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool_in_child)


Facets = dict[str, list[tuple[str, int]]]


def _start_facets(searcher, names: list[str], units) -> Callable[[int], Facets]:
    """Start counting the single-valued facets over ``units``; the returned function, told
    how many documents ``units`` matches, counts the tags and waits for the rest.

    Tantivy lets go of the GIL while it aggregates, so the single-valued columns are
    counted on the other core while this thread ranks the page. The multi-valued ``tags``,
    the slowest to count, waits for the number of matches to choose its way
    (``_tag_counts``)."""
    for name in names:
        if name not in FACETS:
            raise QueryError(f"unknown facet {name!r}: use some of {', '.join(FACETS)}")
    if not names or units is NOTHING:
        return lambda matched: _facet_lists(names, {})
    # the year of a paragraph is the first four characters of its month (both are the
    # cable's creation date): one column read fewer per match
    fields = list(dict.fromkeys("month" if name == "year" else name for name in names))
    single = [f for f in fields if f not in MULTI_VALUED_FACETS]
    request = {name: {"terms": {"field": name, "size": MAX_BUCKETS, "missing": UNKNOWN}}
               for name in single}
    pool = _facet_pool()
    counted = [_submit_or_run(pool, searcher.aggregate, units, request)] if request else []

    def finish(matched: int) -> Facets:
        found: dict[str, Any] = {}
        for name in fields:
            if name in MULTI_VALUED_FACETS:
                found.update(_tag_counts(searcher, units, name, matched, pool))
        for future in counted:
            found.update(future.result())
        return _facet_lists(names, found)
    return finish


def _submit_or_run(pool: ThreadPoolExecutor, fn: Callable[..., Any], *args: Any) -> Future:
    """``fn(*args)`` on the pool; counted here while the interpreter shuts down (no new
    threads then)."""
    try:
        return pool.submit(fn, *args)
    except RuntimeError:
        done: Future = Future()
        done.set_result(fn(*args))
        return done


# Above this share of the index's documents matching, a multi-valued facet is counted from
# the term dictionary. The terms aggregation reads every value of every match (~90 ns a
# match at Cablegate size: 45 ms for 504,000 matches); the dictionary walk reads every
# posting of the field once, whatever matched (~21 ms for 2.25 million documents), plus
# one count of the matches without a value (~6 ms for 504,000).
BY_DICTIONARY_SHARE = 0.1


def _tag_counts(searcher, units, name: str, matched: int,
                pool: ThreadPoolExecutor) -> dict[str, Any]:
    """The buckets of a multi-valued facet, as the terms aggregation gives them: each value
    with its number of matching documents, and the documents without one as UNKNOWN."""
    if matched < BY_DICTIONARY_SHARE * searcher.num_docs:
        return searcher.aggregate(units, {name: {"terms": {
            "field": name, "size": MAX_BUCKETS, "missing": UNKNOWN}}})
    without = Q.boolean_query([(Occur.Must, units), (Occur.MustNot, Q.exists_query(name))])
    missing = _submit_or_run(pool, count, searcher, without)
    values = searcher.terms_with_prefix(name, "", filter_query=units)
    unknown = missing.result()
    buckets = [{"key": value, "doc_count": n} for value, n in values if n > 0]
    if unknown:
        buckets.append({"key": UNKNOWN, "doc_count": unknown})
    return {name: {"buckets": buckets}}


def _facet_lists(names: list[str], found: dict[str, Any]) -> Facets:
    """Each facet's (value, count) list from tantivy's buckets."""
    out: Facets = {}
    for name in names:
        counts: Counter = Counter()
        for bucket in found.get("month" if name == "year" else name, {}).get("buckets", []):
            value = _facet_value(bucket["key"])
            if name == "year" and value != UNKNOWN:
                value = value[:4]
            counts[value] += int(bucket["doc_count"])
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
        spans = stem_spans(text, compiled.stems, compiled.words)
        snip, highlights = snippet(text, spans)
        hits.append(EngineHit(
            refid=stored.get("refid", ""), paragraph=int(stored.get("paragraph") or 0),
            score=float(score), fields=stored, snippet=snip, highlights=highlights,
            matched_in_cable=counts[i] if counts is not None else 1))
    return hits


def _result(searcher, schema, request: SearchRequest, compiled: Compiled, main, tier) -> EngineResult:
    limit = max(0, min(int(request.limit), MAX_LIMIT))
    page = max(1, int(request.page))
    # a page past every document is empty (asking tantivy for that many hits would make it
    # allocate room for them all)
    stop = min(page * limit, searcher.num_docs)
    start = min((page - 1) * limit, stop)
    window_counts = None
    if request.sort not in SORTS:
        raise QueryError(f"unknown sort {request.sort!r}: use one of {', '.join(SORTS)}")
    pending = None  # the facet counts, when they can start before the page is ranked
    if main is NOTHING:
        window, total, units, counted = [], 0, NOTHING, 0
    elif request.per_cable:
        # facets count the best paragraph of every cable: then every cable is needed
        wanted = count(searcher, main) if request.facets else stop
        best, keys, complete, matched = _cables_ranked(searcher, schema, main, tier,
                                                       request.sort, max(wanted, 1))
        total = len(best) if complete else _cables_matching(searcher, schema, main, matched)
        window = best[start:stop]
        window_counts = _matched_per_cable(searcher, schema, main, keys[start:stop])
        units = NOTHING
        if request.facets and best:
            doc_keys = searcher.fast_field_values("doc_key", [a for _s, a in best])
            units = any_key(schema, "doc_key", doc_keys)
        counted = len(best)
    else:
        units = main
        if request.facets:
            pending = _start_facets(searcher, list(request.facets), units)
        ranked, total = _rank(searcher, schema, main, tier, request.sort, stop)
        window = ranked[start:stop]
        counted = total
    if pending is None:
        pending = _start_facets(searcher, list(request.facets), units)
    hits = _hits(searcher, window, compiled, window_counts)
    return EngineResult(total=total, hits=hits, facets=pending(counted),
                        notices=list(compiled.notices))


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
    allowed = filter_query(schema, request, vocabulary,
                           paragraphs=not compiled.paragraphs_only)
    main = NOTHING if compiled.query is NOTHING else restricted(compiled.query, allowed)
    result = _result(searcher, schema, request, compiled, main, compiled.tier)
    if result.total < SUGGEST_BELOW:
        visible = filter_query(schema, ceiling_only(request), vocabulary)
        filtered = filter_query(schema, request, vocabulary)

        def count_of(text: str) -> int:
            again = compile_query(parse_query(text), schema, vocabulary, _cited(engine))
            return 0 if again.query is NOTHING else count(searcher,
                                                          restricted(again.query, filtered))
        result.suggestion = suggest(searcher, schema, vocabulary, parsed, visible, result.total,
                                    count_of)
    return result


def _key_terms(searcher, text: str, number: int) -> list[tuple[str, float]]:
    """Whoosh's key_terms_from_text with the Bo1 model; the collection frequency of a word
    is approximated by its document frequency (tantivy's bindings give no term totals)."""
    weights: Counter = Counter(t.text for t in _ANALYZER(text))
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
