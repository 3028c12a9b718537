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

import threading
import weakref
from collections import Counter, OrderedDict
from typing import Any, Iterable

from whoosh import query
from whoosh.classify import Bo1Model

from ..base import EngineHit, EngineResult, QueryError, SearchRequest
from ..filtering import ceiling_rank, filter_clauses
from ..querylang import parse_query
from .compile import Compiled, KeywordValues, compile_query
from .highlight import match_spans, snippet
from .schema import KIND_PARAGRAPH
from .suggest import suggest

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
            searcher = searcher.refresh()  # reuses the unchanged segments' readers
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

def _filter_query(request: SearchRequest, keywords: KeywordValues) -> query.Query:
    parts: list[query.Query] = filter_clauses(
        request, keywords, query.Term("kind", KIND_PARAGRAPH),
        at_most_rank=lambda rank: query.NumericRange("level_rank", None, rank),
        term=query.Term, any_value=_values,
        created_between=lambda start, end: query.DateRange("created", start, end))
    return query.And(parts)


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
    filt = _filter_query(request, gen.keywords(searcher.reader()))
    docs = set(searcher.docs_for_query(filt))  # a set: whoosh takes it as a filter as is
    with gen.lock:
        gen.filters[key] = docs
        while len(gen.filters) > 64:
            gen.filters.popitem(last=False)
    return docs


def ceiling_only(request: SearchRequest) -> SearchRequest:
    """The request with its filters dropped but its ceiling kept."""
    return SearchRequest(query=request.query, max_level=request.max_level)


# --- ranking --------------------------------------------------------------------------------

def _ranked(searcher, q: query.Query, allowed: set[int], exclude: Iterable[int] = ()):
    """Every allowed match as (score, docnum), in one scoring pass (scores as unfiltered)."""
    docs = allowed.difference(exclude) if exclude else allowed
    if q is query.NullQuery or not docs:
        return []
    results = searcher.search(q, filter=docs, limit=None)
    return [(float(score), docnum) for score, docnum in results.top_n]


def _dates_as_filters(searcher, gen: "_Generation", q: query.Query, allowed: set[int]):
    """Date ranges ANDed at the top of a query, applied as filters on the ``created`` column.

    A range scores every document it matches the same, so the ranking is unchanged, and
    Whoosh's numeric-range matcher (a union over many trie terms) is avoided: it is the
    slowest part of a query like ``created:[2009 to 2010] military``.
    """
    children = q.subqueries if isinstance(q, query.And) else [q]
    ranges = [c for c in children if isinstance(c, query.DateRange)]
    if not ranges:
        return q, allowed
    created = gen.column(searcher.reader(), "created")
    docs = allowed
    for r in ranges:
        low = r.start if r.start is not None else 1
        high = r.end if r.end is not None else float("inf")
        docs = {d for d in docs if _in_range(_date_key(created[d]), low, high,
                                             r.startexcl, r.endexcl)}
    rest = [c for c in children if not isinstance(c, query.DateRange)]
    scoring = rest[0] if len(rest) == 1 else query.And(rest) if rest else query.Every()
    return scoring, docs


def _in_range(value: int, low, high, low_excluded: bool, high_excluded: bool) -> bool:
    if value <= 0:  # no date
        return False
    above = value > low if low_excluded else value >= low
    below = value < high if high_excluded else value <= high
    return above and below


def _docset(searcher, q: query.Query, universe: set[int]) -> set[int]:
    """The documents of ``universe`` matching ``q``, by set algebra on posting lists.

    Much faster in Python than stepping a union matcher; other queries (phrases) are
    checked document by document with Whoosh's matcher, skipping to each candidate.
    """
    if not universe:
        return set()
    if isinstance(q, query.Term):
        reader = searcher.reader()
        if (q.fieldname, q.text) not in reader:
            return set()
        return universe.intersection(reader.postings(q.fieldname, q.text).all_ids())
    if isinstance(q, query.Or):
        out: set[int] = set()
        for child in q.subqueries:
            out |= _docset(searcher, child, universe - out)
        return out
    if isinstance(q, query.And):
        out = universe
        for child in sorted(q.subqueries, key=lambda c: not isinstance(c, query.Term)):
            out = _docset(searcher, child, out)
            if not out:
                break
        return out
    if isinstance(q, query.Not):
        return universe - _docset(searcher, q.query, universe)
    if isinstance(q, query.AndNot):
        positive = _docset(searcher, q.a, universe)
        return positive - _docset(searcher, q.b, positive)
    if q is query.NullQuery:
        return set()
    return _skip_through(searcher, q, universe)


def _skip_through(searcher, q: query.Query, candidates: set[int]) -> set[int]:
    found: set[int] = set()
    for subsearcher, offset in searcher.leaf_searchers():
        size = subsearcher.doc_count_all()
        local = sorted(d - offset for d in candidates if offset <= d < offset + size)
        if not local:
            continue
        matcher = q.matcher(subsearcher)
        for docnum in local:
            if not matcher.is_active():
                break
            if matcher.id() < docnum:
                matcher.skip_to(docnum)
            if matcher.is_active() and matcher.id() == docnum:
                found.add(docnum + offset)
    return found


def _order(searcher, gen: "_Generation", ranked: list[tuple[float, int]], tier, sort: str):
    """Relevance: own-text matches (the tier) first, then score, then the newest cable.
    ``date`` / ``-date``: the cable's creation date, then score."""
    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r}: use one of {', '.join(SORTS)}")
    created = gen.column(searcher.reader(), "created")
    if sort == "relevance":
        first = _docset(searcher, tier, {d for _s, d in ranked}) if tier is not None else None
        ranked.sort(key=lambda item: (first is not None and item[1] not in first, -item[0],
                                      -_date_key(created[item[1]]), item[1]))
    else:
        sign = -1 if sort == "-date" else 1
        ranked.sort(key=lambda item: (sign * _date_key(created[item[1]]), -item[0], item[1]))
    return ranked


def _date_key(value: Any) -> int:
    """The raw column value of ``created``: ordered like the dates, missing ones lowest."""
    return value if isinstance(value, int) and value > 0 else 0


def _per_cable(ranked: list[tuple[float, int]], refids: list[str]):
    """The best paragraph of each cable, in rank order, and each cable's match count."""
    counts = Counter(refids[d] for _s, d in ranked)
    seen: set[str] = set()
    best = []
    for score, docnum in ranked:
        refid = refids[docnum]
        if refid not in seen:
            seen.add(refid)
            best.append((score, docnum))
    return best, counts


# --- facets ---------------------------------------------------------------------------------

def _facets(searcher, gen: _Generation, names: list[str], docnums: Iterable[int]):
    reader = searcher.reader()
    out: dict[str, list[tuple[str, int]]] = {}
    for name in names:
        if name not in FACETS:
            raise QueryError(f"unknown facet {name!r}: use some of {', '.join(FACETS)}")
        counts: Counter = Counter()
        if name == "tags":
            lists = gen.tag_lists(reader)
            for d in docnums:
                counts.update(lists.get(d, (UNKNOWN,)))
        else:
            column = gen.column(reader, name)
            for d in docnums:
                counts[_facet_value(column[d])] += 1
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

def _hits(searcher, page: list[tuple[float, int]], compiled: Compiled,
          counts: Counter | None) -> list[EngineHit]:
    analyzer = searcher.schema["text"].analyzer
    hits = []
    for score, docnum in page:
        stored = dict(searcher.stored_fields(docnum))
        text = stored.get("text") or ""
        spans = match_spans(text, analyzer, compiled.stems, compiled.words)
        snip, highlights = snippet(text, spans)
        refid = stored.get("refid", "")
        hits.append(EngineHit(
            refid=refid, paragraph=int(stored.get("paragraph") or 0), score=float(score),
            fields=stored, snippet=snip, highlights=highlights,
            matched_in_cable=counts[refid] if counts is not None else 1))
    return hits


def _result(searcher, gen, request: SearchRequest, compiled: Compiled,
            ranked: list[tuple[float, int]], tier: query.Query | None) -> EngineResult:
    limit = max(0, min(int(request.limit), MAX_LIMIT))
    page = max(1, int(request.page))
    ranked = _order(searcher, gen, ranked, tier, request.sort)
    counts = None
    if request.per_cable:
        ranked, counts = _per_cable(ranked, gen.column(searcher.reader(), "refid"))
    window = ranked[(page - 1) * limit: page * limit]
    facets = _facets(searcher, gen, list(request.facets), [d for _s, d in ranked]) \
        if request.facets else {}
    return EngineResult(total=len(ranked), hits=_hits(searcher, window, compiled, counts),
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
    scoring, matching = _dates_as_filters(searcher, gen, compiled.query, allowed)
    ranked = _ranked(searcher, scoring, matching)
    result = _result(searcher, gen, request, compiled, ranked, compiled.tier)
    if result.total < SUGGEST_BELOW:
        def count(text: str) -> int:
            again = compile_query(parse_query(text), searcher, gen.keywords(searcher.reader()))
            return len(_docset(searcher, again.query, allowed))
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
    allowed = allowed_docs(searcher, gen, request)
    ranked = _ranked(searcher, compiled.query, allowed, exclude=source)
    return _result(searcher, gen, request, compiled, ranked, None)
