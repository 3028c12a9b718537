"""Ranked paragraph search and ``similar`` on a Whoosh index.

One search: parse (``querylang``), compile (``compile``), restrict to the *allowed* documents
(paragraphs at or below the ceiling that pass every filter: a docset, so filters never
change scores), rank, cut a page, count facets over everything that matched, build snippets,
and suggest a correction when little matched.

Ranking: paragraphs whose own text matches come first (the tier), then BM25F score, then
the newest cable. ``sort=date`` / ``-date`` orders by the cable's creation date instead.

Searchers: each thread keeps its own searcher per index (Whoosh searchers read files with
seek/read and are not safe to share across threads); it is reused until a new commit
appears. What can be shared (keyword lookups, facet columns, filter docsets) is cached per
index generation and shared by all threads.
"""

from __future__ import annotations

import heapq
import threading
import weakref
from bisect import bisect_left, bisect_right
from collections import Counter, OrderedDict
from itertools import chain
from typing import Any, Iterable

from whoosh import query
from whoosh.analysis import CompositeAnalyzer, LowercaseFilter, RegexTokenizer, StemFilter
from whoosh.classify import Bo1Model
from whoosh.util.times import datetime_to_long

from ..base import EngineHit, EngineResult, QueryError, SearchRequest
from ..filtering import ceiling_rank, filter_clauses
from ..querylang import parse_query
from .analysis import WORD, stem
from .approx import Estimate, approximate
from .compile import Compiled, KeywordValues, compile_query
from .highlight import match_spans, snippet, stem_spans
from .postings import docset, estimate, with_checked_phrases
from .schema import KIND_PARAGRAPH
from .suggest import suggest
from .topk import all_scored, top_scored

FACETS = ("classification", "level", "origin", "tags", "year", "month")
SORTS = ("relevance", "date", "-date")
UNKNOWN = "(unknown)"
SUGGEST_BELOW = 3  # "nothing or very little": fewer hits than this
MAX_LIMIT = 1000
SIMILAR_TERMS = 12


# --- searchers and per-generation caches ----------------------------------------------------

class _Generation:
    """Caches valid for one committed state of an index, shared by every thread."""

    def __init__(self, generation: int) -> None:
        self.generation = generation
        self.lock = threading.Lock()
        self.keyword_maps: dict[str, dict[str, list[str]]] = {}
        self.columns: dict[str, list[Any]] = {}
        self.tags: dict[int, tuple[str, ...]] | None = None
        self.facet_values: dict[str, list[Any]] = {}
        self.dates: tuple[list[int], list[int]] | None = None
        self.filters: OrderedDict[tuple, set[int]] = OrderedDict()

    def column(self, reader, name: str) -> list[Any]:
        with self.lock:
            if name not in self.columns:
                # dates stay raw (sortable longs): a missing date's default does not translate
                values = list(reader.column_reader(name, translate=name != "created"))
                self.columns[name] = values
            return self.columns[name]

    def tag_lists(self, reader) -> dict[int, tuple[str, ...]]:
        with self.lock:
            if self.tags is None:
                lists: dict[int, list[str]] = {}
                for btext in reader.lexicon("tags"):
                    tag = btext.decode("utf-8")
                    for docnum in reader.postings("tags", btext).all_ids():
                        lists.setdefault(docnum, []).append(tag)
                self.tags = {d: tuple(v) for d, v in lists.items()}
            return self.tags

    def facet_column(self, reader, name: str) -> list[Any]:
        """Per docnum, the facet's value as counted (tags: a tuple of values)."""
        if name not in self.facet_values:
            if name == "tags":
                lists = self.tag_lists(reader)
                values = [lists.get(d, (UNKNOWN,)) for d in range(reader.doc_count_all())]
            else:
                values = [_facet_value(v) for v in self.column(reader, name)]
            with self.lock:
                self.facet_values.setdefault(name, values)
        return self.facet_values[name]

    def dated(self, reader) -> tuple[list[int], list[int]]:
        """The raw ``created`` values of dated documents in order, and their docnums."""
        if self.dates is None:
            created = self.column(reader, "created")
            pairs = sorted((_date_key(v), d) for d, v in enumerate(created) if _date_key(v) > 0)
            with self.lock:
                if self.dates is None:
                    self.dates = ([k for k, _d in pairs], [d for _k, d in pairs])
        return self.dates

    def created_between(self, reader, low, high, low_excluded=False, high_excluded=False
                        ) -> set[int]:
        """Documents whose raw ``created`` value lies in the range (None: open end)."""
        keys, docs = self.dated(reader)
        start = 0 if low is None else (bisect_right if low_excluded else bisect_left)(keys, low)
        end = len(keys) if high is None else \
            (bisect_left if high_excluded else bisect_right)(keys, high)
        return set(docs[start:end])

    def keywords(self, reader) -> KeywordValues:
        values = KeywordValues(reader)
        values._maps = self.keyword_maps  # shared; each map is built whole before it is stored
        return values


class _IndexState:
    """Per-thread searchers and the current generation's caches for one Whoosh index."""

    def __init__(self, ix) -> None:
        self.ix = ix
        self.local = threading.local()
        self.lock = threading.Lock()
        self.current: _Generation | None = None

    def searcher(self):
        searcher = getattr(self.local, "searcher", None)
        if searcher is None:
            searcher = self.ix.searcher()
        elif not searcher.up_to_date():
            searcher = searcher.refresh()
        self.local.searcher = searcher
        return searcher

    def generation(self, searcher) -> _Generation:
        number = searcher.reader().generation()
        with self.lock:
            if self.current is None or self.current.generation != number:
                if self.current is None or number is None or number > (self.current.generation or -1):
                    self.current = _Generation(number)
                else:  # a thread still on an older state: give it private caches
                    return _Generation(number)
            return self.current


_STATES: "weakref.WeakKeyDictionary[Any, _IndexState]" = weakref.WeakKeyDictionary()
_STATES_LOCK = threading.Lock()


def _state(index) -> _IndexState:
    ix = getattr(index, "index", index)  # a WhooshEngine or a whoosh Index
    with _STATES_LOCK:
        state = _STATES.get(ix)
        if state is None:
            state = _STATES[ix] = _IndexState(ix)
        return state


# --- filters: the allowed docset ------------------------------------------------------------

def _filter_parts(request: SearchRequest, keywords: KeywordValues):
    """The filter as a Whoosh query, and its date bounds (read from the column instead)."""
    parts = filter_clauses(
        request, keywords, query.Term("kind", KIND_PARAGRAPH),
        at_most_rank=lambda rank: query.NumericRange("level_rank", None, rank),
        term=query.Term, any_value=_values, created_between=_DateBounds)
    dates = [p for p in parts if isinstance(p, _DateBounds)]
    return query.And([p for p in parts if not isinstance(p, _DateBounds)]), dates


class _DateBounds:
    """A date filter: inclusive datetimes, either end open (None)."""

    def __init__(self, start, end) -> None:
        self.low = datetime_to_long(start) if start is not None else None
        self.high = datetime_to_long(end) if end is not None else None


def _values(field: str, values: list[str]) -> query.Query:
    if not values:
        return query.NullQuery
    return query.Or([query.Term(field, v) for v in values])


def allowed_docs(searcher, gen: _Generation, request: SearchRequest) -> set[int]:
    """Paragraph documents passing the ceiling and every filter (cached per generation)."""
    key = (ceiling_rank(request.max_level), tuple(sorted(request.tags)), request.origin,
           request.classification, request.marking, request.level, request.date_from,
           request.date_to)
    with gen.lock:
        if key in gen.filters:
            gen.filters.move_to_end(key)
            return gen.filters[key]
    filt, dates = _filter_parts(request, gen.keywords(searcher.reader()))
    docs = set(searcher.docs_for_query(filt))
    for bounds in dates:  # a range of the sorted date column, not a union of trie terms
        docs &= gen.created_between(searcher.reader(), bounds.low, bounds.high)
    with gen.lock:
        gen.filters[key] = docs
        while len(gen.filters) > 64:
            gen.filters.popitem(last=False)
    return docs


def ceiling_only(request: SearchRequest) -> SearchRequest:
    """The request with its filters dropped but its ceiling kept."""
    return SearchRequest(query=request.query, max_level=request.max_level)


# --- matching and ranking -------------------------------------------------------------------

SCORE_ALL_BELOW = 3000  # matches (estimated) below which one pass scoring all is cheapest


def _matching(searcher, gen: _Generation, q: query.Query, allowed: set[int], phrases: dict):
    """The query to score, the exact set of allowed documents it matches, when it was
    cheaper to score them all in the same pass every match as (score, docnum) (else None),
    and, for the queries ``approx`` can score, every match's estimated score (else None).

    Date ranges ANDed at the top become a range of the sorted ``created`` column (a range
    scores every document alike, so the ranking is unchanged); phrases are checked once by
    their positions (``postings.with_checked_phrases``). Words, phrases, AND, OR, ``-word``:
    the set and estimated scores come from posting blocks (``approx``), and only what may
    reach the page is totalled, as Whoosh would. Other queries, few matches: Whoosh's
    matchers score every match in one pass; many: the set comes from posting blocks and
    only the page is ranked by Whoosh (``_ranked_prefix``).
    """
    scoring, universe = _dates_as_filters(searcher, gen, q, allowed)
    scoring = with_checked_phrases(searcher, scoring, universe, phrases)
    approx = approximate(searcher, scoring, universe)
    if approx is not None:
        return scoring, set(approx.scores), None, approx
    if estimate(searcher, scoring) < SCORE_ALL_BELOW or _has_and(scoring):
        scored = all_scored(searcher, scoring, universe)
        return scoring, {d for _s, d in scored}, scored, None
    return scoring, docset(searcher, scoring, universe), None, None


def _has_and(q: query.Query) -> bool:
    return isinstance(q, query.And) or (not q.is_leaf() and any(_has_and(c) for c in q.children()))


def _dates_as_filters(searcher, gen: _Generation, q: query.Query, allowed: set[int]):
    children = q.subqueries if isinstance(q, query.And) else [q]
    ranges = [c for c in children if isinstance(c, query.DateRange)]
    if not ranges:
        return q, allowed
    docs = allowed
    for r in ranges:
        docs = docs & gen.created_between(searcher.reader(), r.start, r.end,
                                          r.startexcl, r.endexcl)
    rest = [c for c in children if not isinstance(c, query.DateRange)]
    scoring = rest[0] if len(rest) == 1 else query.And(rest) if rest else query.Every()
    return scoring, docs


def _ranked_prefix(searcher, gen: _Generation, q: query.Query, matched: set[int],
                   tier: query.Query | None, sort: str, k: int,
                   scored: list[tuple[float, int]] | None = None,
                   approx: Estimate | None = None) -> list[tuple[float, int]]:
    """The first ``k`` of ``matched`` in the request's order, as (score, docnum).

    Relevance: own-text matches (the tier) first, then score, then the newest cable, then
    docnum; only documents that can reach the top ``k`` are scored (``topk``, choosing them
    by ``approx`` when given).
    ``date`` / ``-date``: the cable's creation date, then score, then docnum; only the
    documents up to the k-th date (ties included) are scored.
    """
    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r}: use one of {', '.join(SORTS)}")
    if k <= 0 or not matched:
        return []
    created = gen.column(searcher.reader(), "created")
    if scored is not None:  # every match is scored already: order them, keep k
        first = _tier_docs(searcher, tier, matched, approx) \
            if tier is not None and sort == "relevance" else None
        return _first_of(scored, created, first, sort, k)
    if sort == "relevance":
        groups = [matched]
        if tier is not None:
            first = _tier_docs(searcher, tier, matched, approx)
            groups = [first, matched - first]
        out: list[tuple[float, int]] = []
        for group in groups:
            need = k - len(out)
            if need <= 0:
                break
            top = top_scored(searcher, q, group, need, approx)
            top.sort(key=_order_key(sort, created))
            out.extend(top[:need])
        return out
    sign = -1 if sort == "-date" else 1

    def date_order(docnum: int) -> int:
        return sign * _date_key(created[docnum])

    chosen = matched
    if k < len(matched):
        cut = date_order(heapq.nsmallest(k, matched, key=date_order)[-1])
        chosen = {d for d in matched if date_order(d) <= cut}
    scored = top_scored(searcher, q, chosen, len(chosen), approx)
    scored.sort(key=_order_key(sort, created))
    return scored[:k]


def _tier_docs(searcher, tier: query.Query, matched: set[int], approx: Estimate | None
               ) -> set[int]:
    """The matches whose own text matches: from what ``approx`` read when it can tell."""
    first = approx.matching(searcher, tier, matched) if approx is not None else None
    return first if first is not None else docset(searcher, tier, matched)


def _first_of(scored: list[tuple[float, int]], created: list[Any],
              first: set[int] | None, sort: str, k: int) -> list[tuple[float, int]]:
    """The first ``k`` of every scored match, in the order ``_ranked_prefix`` describes."""
    order = _order_key(sort, created, first)
    if k >= len(scored) // 4:
        return sorted(scored, key=order)[:k]
    return heapq.nsmallest(k, scored, key=order)


def _order_key(sort: str, created: list[Any], first: set[int] | None = None):
    """The ranking contract as a sort key over (score, docnum): by relevance, the paragraphs
    matching in their own text (``first``) first, then score, then the newer cable; by date,
    the date, then score. The docnum settles what is left."""
    if sort == "relevance":
        return lambda item: (first is not None and item[1] not in first, -item[0],
                             -_date_key(created[item[1]]), item[1])
    sign = -1 if sort == "-date" else 1
    return lambda item: (sign * _date_key(created[item[1]]), -item[0], item[1])


def _date_key(value: Any) -> int:
    """The raw column value of ``created``: ordered like the dates, missing ones lowest."""
    return value if isinstance(value, int) and value > 0 else 0


def _per_cable(ranked: list[tuple[float, int]], refids: list[str]) -> list[tuple[float, int]]:
    """The best paragraph of each cable, in rank order."""
    seen: set[str] = set()
    best = []
    for score, docnum in ranked:
        refid = refids[docnum]
        if refid not in seen:
            seen.add(refid)
            best.append((score, docnum))
    return best


def _per_cable_prefix(searcher, gen: _Generation, q: query.Query, matched: set[int],
                      tier, sort: str, k: int, refids: list[str],
                      scored: list[tuple[float, int]] | None,
                      approx: Estimate | None) -> list[tuple[float, int]]:
    """The best paragraphs of the first ``k`` cables: ranks longer prefixes until enough."""
    size = max(4 * k, 40)
    while True:
        ranked = _ranked_prefix(searcher, gen, q, matched, tier, sort, size, scored, approx)
        best = _per_cable(ranked, refids)
        if len(best) >= k or len(ranked) < size:
            return best[:k]
        size *= 4


# --- facets ---------------------------------------------------------------------------------

def _facets(searcher, gen: _Generation, names: list[str], docnums: Iterable[int]):
    reader = searcher.reader()
    docnums = list(docnums)
    out: dict[str, list[tuple[str, int]]] = {}
    for name in names:
        if name not in FACETS:
            raise QueryError(f"unknown facet {name!r}: use some of {', '.join(FACETS)}")
        values = gen.facet_column(reader, name)
        found = map(values.__getitem__, docnums)
        counts = Counter(chain.from_iterable(found) if name == "tags" else found)
        if name in ("year", "month"):  # a histogram: in date order
            out[name] = sorted(counts.items(), key=lambda kv: (kv[0] == UNKNOWN, kv[0]))
        else:
            out[name] = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return out


def _facet_value(value: Any) -> str:
    if value is None or value == "" or (isinstance(value, int) and value <= 0):
        return UNKNOWN
    return str(value)


# --- hits -----------------------------------------------------------------------------------

def text_spans(analyzer, text: str, stems: set[str], words: set[str]) -> list[tuple[int, int]]:
    """``highlight.match_spans``, by ``highlight.stem_spans`` when the analyzer is the
    stemming one of ``analysis``."""
    if _plain_stemming(analyzer):
        return stem_spans(text, stems, words)
    return match_spans(text, analyzer, stems, words)


def _plain_stemming(analyzer) -> bool:
    """Is this ``analysis.stemming_analyzer()`` (as built now, or as older indexes stored
    it: Whoosh's English stemmer by language)?"""
    items = getattr(analyzer, "items", None)
    if not isinstance(analyzer, CompositeAnalyzer) or len(items) != 3:
        return False
    tokenizer, lower, stemmer = items
    return (type(tokenizer) is RegexTokenizer and tokenizer.expression.pattern == WORD.pattern
            and not tokenizer.gaps and type(lower) is LowercaseFilter
            and type(stemmer) is StemFilter and not stemmer.ignore
            and (stemmer.lang in ("en", "english") if stemmer.lang else stemmer.stemfn is stem))


def _hits(searcher, page: list[tuple[float, int]], compiled: Compiled,
          counts: Counter | None) -> list[EngineHit]:
    analyzer = searcher.schema["text"].analyzer
    hits = []
    for score, docnum in page:
        stored = dict(searcher.stored_fields(docnum))
        text = stored.get("text") or ""
        spans = text_spans(analyzer, text, compiled.stems, compiled.words)
        snip, highlights = snippet(text, spans)
        refid = stored.get("refid", "")
        hits.append(EngineHit(
            refid=refid, paragraph=int(stored.get("paragraph") or 0), score=float(score),
            fields=stored, snippet=snip, highlights=highlights,
            matched_in_cable=counts[refid] if counts is not None else 1))
    return hits


def _result(searcher, gen, request: SearchRequest, compiled: Compiled, q: query.Query,
            matched: set[int], tier: query.Query | None,
            scored: list[tuple[float, int]] | None = None,
            approx: Estimate | None = None) -> EngineResult:
    """Total and facets over every match; only the requested page is ranked in full."""
    limit = max(0, min(int(request.limit), MAX_LIMIT))
    page = max(1, int(request.page))
    k = page * limit
    counts = None
    facet_docs: Iterable[int] = matched
    if request.per_cable:
        refids = gen.column(searcher.reader(), "refid")
        counts = Counter(map(refids.__getitem__, matched))
        total = len(counts)
        if request.facets:  # facets count the best paragraph of every cable: rank them all
            ranked = _per_cable(_ranked_prefix(searcher, gen, q, matched, tier, request.sort,
                                               len(matched), scored, approx), refids)
            facet_docs = [d for _s, d in ranked]
        else:
            ranked = _per_cable_prefix(searcher, gen, q, matched, tier, request.sort, k, refids,
                                       scored, approx)
    else:
        total = len(matched)
        ranked = _ranked_prefix(searcher, gen, q, matched, tier, request.sort, k, scored, approx)
    window = ranked[(page - 1) * limit: page * limit]
    facets = _facets(searcher, gen, list(request.facets), facet_docs) if request.facets else {}
    return EngineResult(total=total, hits=_hits(searcher, window, compiled, counts),
                        facets=facets, notices=list(compiled.notices))


# --- the entry points -----------------------------------------------------------------------

def search(index, request: SearchRequest) -> EngineResult:
    """Ranked paragraphs for ``request`` (``index``: a WhooshEngine or a whoosh Index)."""
    parsed = parse_query(request.query)
    state = _state(index)
    searcher = state.searcher()
    gen = state.generation(searcher)
    compiled = compile_query(parsed, searcher, gen.keywords(searcher.reader()))
    allowed = allowed_docs(searcher, gen, request)
    phrases: dict = {}  # each phrase's positions are checked once, for query and tier
    scoring, matched, scored, approx = _matching(searcher, gen, compiled.query, allowed, phrases)
    tier = with_checked_phrases(searcher, compiled.tier, matched, phrases) \
        if compiled.tier is not None else None
    result = _result(searcher, gen, request, compiled, scoring, matched, tier, scored, approx)
    if result.total < SUGGEST_BELOW:
        def count(text: str) -> int:
            again = compile_query(parse_query(text), searcher, gen.keywords(searcher.reader()))
            return len(docset(searcher, again.query, allowed))
        visible = allowed_docs(searcher, gen, ceiling_only(request))
        result.suggestion = suggest(searcher, parsed, visible, result.total, count)
    return result


def similar(index, refid: str, paragraph: int, request: SearchRequest) -> EngineResult:
    """Paragraphs like paragraph ``paragraph`` of ``refid``, under the request's filters.

    The source paragraph must itself be at or below the ceiling (its words would otherwise
    leak through the results); otherwise QueryError.
    """
    state = _state(index)
    searcher = state.searcher()
    gen = state.generation(searcher)
    visible = allowed_docs(searcher, gen, ceiling_only(request))
    source = [d for d in searcher.docs_for_query(query.And([
        query.Term("kind", KIND_PARAGRAPH), query.Term("refid", refid),
        query.NumericRange("paragraph", paragraph, paragraph)])) if d in visible]
    if not source:
        raise QueryError(f"no paragraph {paragraph} of {refid} to compare with"
                         + (f" at or below {request.max_level}" if request.max_level else ""))
    text = searcher.stored_fields(source[0]).get("text") or ""
    terms = searcher.key_terms_from_text("text", text, numterms=SIMILAR_TERMS, model=Bo1Model)
    compiled = Compiled(query.Or([query.Term("text", w, boost=max(weight, 0.01))
                                  for w, weight in terms]) if terms else query.NullQuery)
    compiled.stems = {w for w, _ in terms}
    allowed = allowed_docs(searcher, gen, request).difference(source)
    matched = docset(searcher, compiled.query, allowed)
    return _result(searcher, gen, request, compiled, compiled.query, matched, None)
