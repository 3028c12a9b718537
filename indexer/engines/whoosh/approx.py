"""Whoosh's scores computed from posting blocks, without stepping its matchers.

Scoring a document through Whoosh's matcher tree costs a few Python calls per posting and
per tree node, and a large AND or phrase has thousands of matches of which only the page is
shown. Here the same BM25F function is applied to the same weights and field lengths, read
a block at a time, for every match (``approximate``): the result is the set the query
matches, each term's score in each document (bit for bit Whoosh's: the same function of
the same numbers), and each document's total up to the order of the additions (a relative
error far below ``MARGIN``), which is enough to choose the documents that may reach the
page (``near_top``). Those few are then totalled exactly as Whoosh's matcher tree adds
them in their segment (``exact_scores``): the tree is built by Whoosh's own rules (its
weighted and binary trees, its choice of OR matcher), so the sums are Whoosh's to the bit.

Supported: terms (BM25F, or weight-only fields), OR, AND, checked phrases and AND NOT (what
``-word`` parses to; ``x AND NOT y`` is an AND holding a NOT, not supported), with boosts;
anything else gives None and the caller scores the usual way.
"""

from __future__ import annotations

from operator import add

from whoosh import query, scoring
from whoosh.util import make_binary_tree, make_weighted_tree

from .patches import _LENGTH_OF_BYTE, _length_bytes
from .postings import (WEIGHT, CheckedPhrase, docset, estimate, in_segment, segment_doc_frequency,
                       segment_term, term_items)

MARGIN = 1e-6  # relative: estimates within this of the k-th may still tie it exactly


class Estimate:
    """Every match of a query: ``scores`` (docnum -> total within ``MARGIN``) and
    ``leaves`` ((field, term bytes) -> docnum -> that term's exact score); ``terms``: the
    leaves read as terms (each holds every match holding the term)."""

    def __init__(self, scores: dict[int, float], leaves: dict[tuple[str, bytes], dict[int, float]],
                 terms: set[tuple[str, bytes]]) -> None:
        self.scores = scores
        self.leaves = leaves
        self.terms = terms

    def matching(self, searcher, q: query.Query, docs: set[int]) -> set[int] | None:
        """The documents of ``docs`` (matches) that ``q`` matches, from what was read; None
        when ``q`` needs a term that was not read as a term (or is not a plain AND/OR)."""
        if isinstance(q, CheckedPhrase):
            return q.docs & docs
        if isinstance(q, query.Term):
            if q.fieldname not in searcher.schema:
                return None
            key = (q.fieldname, searcher.schema[q.fieldname].to_bytes(q.text))
            if key not in self.terms:
                return None
            return docs.intersection(self.leaves.get(key, ()))
        if isinstance(q, (query.Or, query.And)):
            parts = [self.matching(searcher, c, docs) for c in q.subqueries]
            if any(p is None for p in parts):
                return None
            if not parts:
                return set()
            return set.union(*parts) if isinstance(q, query.Or) else set.intersection(*parts)
        return None


def approximate(searcher, q: query.Query, universe: set[int]) -> Estimate | None:
    """The documents of ``universe`` matching ``q`` and their estimated scores; None
    when ``q`` has a part this cannot score (the caller then lets Whoosh score)."""
    weighting = searcher.weighting
    if type(weighting) is not scoring.BM25F or not _supported(searcher, q):
        return None
    ctx = _Context(searcher, weighting)
    if not all(hasattr(reader, "_perdoc") for _s, _e, reader in ctx.segments):
        return None  # lengths are read from Whoosh 3 segments' columns
    matched = _matches(ctx, q, universe)
    ctx.terms = {key for key, universes in ctx.read_over.items()
                 if any(u is universe or matched <= u for u in universes)}
    for key, weights in ctx.weights.items():  # BM25F only where the query matched
        ctx.leaf(key, weights, matched)
    return Estimate(_totals(ctx, q, matched), ctx.leaves, ctx.terms)


def near_top(approx: dict[int, float], docs: set[int], k: int) -> set[int]:
    """The documents of ``docs`` that may be among the ``k`` best by exact score, ties at
    the k-th included: every one whose estimate comes within twice ``MARGIN`` of the k-th
    best estimate (each estimate is within ``MARGIN`` of its exact score)."""
    if k >= len(docs):
        return set(docs)
    values = [approx[d] for d in docs]
    values.sort(reverse=True)  # in C: faster than heapq.nlargest's Python loop
    kth = values[k - 1]
    cut = kth - 2 * (abs(kth) * MARGIN + 1e-9)
    return {d for d in docs if approx[d] >= cut}


def _supported(searcher, q: query.Query) -> bool:
    if isinstance(q, CheckedPhrase):
        return q.weights is not None and q.fieldname in searcher.schema
    if isinstance(q, query.Term):
        return q.fieldname in searcher.schema
    if isinstance(q, query.Or):
        return not q.scale and not q.minmatch and all(_supported(searcher, c) for c in q)
    if isinstance(q, query.And):
        return all(_supported(searcher, c) for c in q)
    if isinstance(q, query.AndNot):
        return _supported(searcher, q.a)  # its score is the positive part's
    return q is query.NullQuery


class _Context:
    """What BM25F needs besides a posting: top-level statistics, per-segment lengths."""

    def __init__(self, searcher, weighting: scoring.BM25F) -> None:
        self.searcher = searcher
        self.weighting = weighting
        self.segments = [(offset, offset + sub.doc_count_all(), sub.reader())
                         for sub, offset in searcher.leaf_searchers()]
        self.weights: dict[tuple[str, bytes], dict[int, float]] = {}  # as read
        self.terms: set[tuple[str, bytes]] = set()  # read as terms
        self.read_over: dict[tuple[str, bytes], list[set[int]]] = {}  # universes read over
        self.leaves: dict[tuple[str, bytes], dict[int, float]] = {}  # scores, matches only

    def read(self, key: tuple[str, bytes], weights: dict[int, float]) -> None:
        """Keep ``weights`` (docnum -> weight, a dict of the caller's own) as read."""
        if key in self.weights:
            self.weights[key].update(weights)
        else:
            self.weights[key] = weights

    def leaf(self, key: tuple[str, bytes], weights: dict[int, float], docs: set[int]) -> None:
        """The term's exact score in each document of ``docs`` that ``weights`` (docnum ->
        weight) holds, as Whoosh's scorer for the term computes it. BM25F is a function of
        the weight and the field's length byte alone, so it is computed once per pair that
        occurs; each pair is keyed by an int (the weight's rank * 256 + the byte)."""
        fieldname, btext = key
        found = docs.intersection(weights)
        if len(found) == len(weights):
            ordered, values = list(weights), list(weights.values())
        else:
            ordered = list(found)
            values = list(map(weights.__getitem__, ordered))
        searcher = self.searcher
        if not searcher.schema[fieldname].scorable:  # Whoosh's WeightScorer
            self.leaves[key] = dict(zip(ordered, values))
            return
        idf = searcher.idf(fieldname, btext)
        avgfl = searcher.avg_field_length(fieldname) or 1
        w = self.weighting
        B, K1 = w._field_B.get(fieldname, w.B), w.K1
        distinct = list(set(values))
        rank = {weight: i << 8 for i, weight in enumerate(distinct)}
        pairs = list(map(add, map(rank.__getitem__, values),
                         map(self.length_bytes(fieldname).__getitem__, ordered)))
        bm25 = scoring.bm25
        score = {pair: bm25(idf, distinct[pair >> 8], _LENGTH_OF_BYTE[pair & 255] or 1,
                            avgfl, B, K1)
                 for pair in set(pairs)}
        self.leaves[key] = dict(zip(ordered, map(score.__getitem__, pairs)))

    def length_bytes(self, fieldname: str) -> bytes:
        """The field's length byte of every document, by top-level docnum (0 where a
        segment has none: Whoosh's scorer then takes the length as 1, as for byte 0)."""
        cache = self.searcher.__dict__.setdefault("_cablesearch_length_bytes", {})
        if fieldname not in cache:
            column = bytearray()
            for start, end, reader in self.segments:  # in docnum order, one after another
                data = _length_bytes(reader._perdoc, fieldname) or b""
                column += bytes(start - len(column))
                column += data[:end - start]
                column += bytes(end - len(column))
            cache[fieldname] = bytes(column)
        return cache[fieldname]


def _matches(ctx: _Context, q: query.Query, universe: set[int]) -> set[int]:
    """The documents of ``universe`` matching ``q``, keeping every weight read. Every term
    is read over a superset of the final matches, so a match missing from a term's weights
    does not hold the term (a phrase's words: only where the phrase stands)."""
    if not universe or q is query.NullQuery:
        return set()
    if isinstance(q, CheckedPhrase):
        field = ctx.searcher.schema[q.fieldname]
        docs = q.docs & universe
        if not docs:
            return docs
        for word in q.words:
            btext = field.to_bytes(word)
            weights = q.weights[btext]
            ctx.read((q.fieldname, btext), {d: weights[d] for d in docs})
        return docs
    if isinstance(q, query.Term):
        btext = ctx.searcher.schema[q.fieldname].to_bytes(q.text)
        if (q.fieldname, btext) not in ctx.searcher.reader():
            return set()
        weights = term_items(ctx.searcher, q.fieldname, btext, universe, WEIGHT)
        ctx.read((q.fieldname, btext), weights)
        ctx.read_over.setdefault((q.fieldname, btext), []).append(universe)
        return set(weights)
    if isinstance(q, query.Or):
        out: set[int] = set()
        for child in q.subqueries:
            out |= _matches(ctx, child, universe)
        return out
    if isinstance(q, query.And):
        candidates = universe
        for child in sorted(q.subqueries, key=lambda c: estimate(ctx.searcher, c)):
            candidates = _matches(ctx, child, candidates)
            if not candidates:
                break
        return candidates
    if isinstance(q, query.AndNot):
        positive = _matches(ctx, q.a, universe)
        return positive - docset(ctx.searcher, q.b, positive)
    raise TypeError(f"cannot estimate {q!r}")  # _supported() is checked first


def _totals(ctx: _Context, q: query.Query, docs: set[int]) -> dict[int, float]:
    """Per document of ``docs`` (matches of the whole query) matching ``q``, its score up
    to the order of additions."""
    if not docs or q is query.NullQuery:
        return {}
    if isinstance(q, CheckedPhrase):
        field = ctx.searcher.schema[q.fieldname]
        mine = q.docs & docs
        if not mine:
            return {}
        out: dict[int, float] = dict.fromkeys(mine, 0.0)
        for word in q.words:
            scores = ctx.leaves[(q.fieldname, field.to_bytes(word))]
            for d in mine:
                out[d] += scores[d]
        return _boosted(out, q.boost)
    if isinstance(q, query.Term):
        key = (q.fieldname, ctx.searcher.schema[q.fieldname].to_bytes(q.text))
        scores = ctx.leaves.get(key, {})
        return _boosted({d: s for d, s in scores.items() if d in docs}, q.boost)
    if isinstance(q, query.Or):
        out = {}
        for child in q.subqueries:
            for d, s in _totals(ctx, child, docs).items():
                out[d] = out.get(d, 0.0) + s
        return _boosted(out, q.boost)
    if isinstance(q, query.And):
        out = {}
        for i, child in enumerate(q.subqueries):
            part = _totals(ctx, child, docs)
            out = part if i == 0 else {d: s + part[d] for d, s in out.items() if d in part}
        return _boosted(out, q.boost)
    if isinstance(q, query.AndNot):
        positive = _totals(ctx, q.a, docs)
        excluded = docset(ctx.searcher, q.b, set(positive))
        return {d: s for d, s in positive.items() if d not in excluded}
    raise TypeError(f"cannot estimate {q!r}")


def _boosted(scores: dict[int, float], boost: float) -> dict[int, float]:
    if boost != 1.0:
        return {d: s * boost for d, s in scores.items()}
    return scores


# --- exact totals: Whoosh's matcher tree, rebuilt without its matchers -----------------------

class _Node:
    """One matcher of the tree Whoosh would build in a segment: ``op`` is what it does with
    its children's scores. Whoosh compares matchers only to break ties of weight in its
    weighted trees, and those comparisons all come out False (its matchers define ``<`` and
    ``==`` by class), so the tie order is the list's: these nodes compare the same way."""

    __slots__ = ("op", "children", "boost", "key")

    def __init__(self, op: str, children=(), boost: float = 1.0, key=None) -> None:
        self.op, self.children, self.boost, self.key = op, children, boost, key

    def __lt__(self, other) -> bool:
        return False

    def __eq__(self, other) -> bool:
        return True

    __hash__ = object.__hash__


_NULL = _Node("null")


def exact_scores(searcher, q: query.Query, docs: set[int], estimate: Estimate
                 ) -> list[tuple[float, int]]:
    """(score, docnum) of each of ``docs`` (matches of ``q`` that ``approximate`` read), the
    score added up as Whoosh's matcher for ``q`` in the document's segment adds it."""
    ordered = sorted(docs)
    out: list[tuple[float, int]] = []
    found: dict[int, set[int]] = {}

    def excluded(negative: query.Query) -> set[int]:
        if id(negative) not in found:
            found[id(negative)] = docset(searcher, negative, docs)
        return found[id(negative)]
    for sub, offset in searcher.leaf_searchers():
        inside = in_segment(ordered, sub, offset)
        if not inside:
            continue
        tree = _tree(sub, q, excluded)
        for docnum in inside:
            score = _total(tree, docnum, estimate.leaves)
            if score is None:
                raise ValueError(f"document {docnum} does not match {q!r}")
            out.append((score, docnum))
    return out


def _tree(sub, q: query.Query, excluded) -> _Node:
    """The shape of ``q.matcher(sub, context)`` (Whoosh 2.7.4, a search context that does
    not need the current match, as collectors have), as far as scores are concerned."""
    reader = sub.reader()
    if isinstance(q, CheckedPhrase):
        field = sub.schema[q.fieldname]
        words = [field.to_bytes(w) for w in q.words]
        if not q.docs_by_segment.get(id(sub)) or any(segment_term(reader, q.fieldname, w) is None
                                                      for w in words):
            return _NULL
        leaves = [_Node("leaf", key=(q.fieldname, w)) for w in words]
        node = _Node("only", (make_binary_tree(lambda a, b: _Node("and", (a, b)), leaves),),
                     key=q.docs)
        return _Node("boost", (node,), q.boost) if q.boost != 1.0 else node
    if isinstance(q, query.Term):
        field = sub.schema[q.fieldname]
        btext = field.to_bytes(q.text)
        if segment_term(reader, q.fieldname, btext) is None:
            return _NULL
        node = _Node("leaf", key=(q.fieldname, btext))
        return _Node("boost", (node,), q.boost) if q.boost != 1.0 else node
    if isinstance(q, query.AndNot):
        return _Node("andnot", (_tree(sub, q.a, excluded),), key=excluded(q.b))
    if q is query.NullQuery:
        return _NULL
    subs = q.subqueries
    if not subs:
        return _NULL
    if len(subs) == 1:  # CompoundQuery.matcher: the only child's matcher, boost unused
        return _tree(sub, subs[0], excluded)
    children = [_tree(sub, c, excluded) for c in subs]
    if isinstance(q, query.And):
        node = make_weighted_tree(lambda a, b: _Node("and", (a, b)),
                                  [(0 - _segment_size(reader, c), m)
                                   for c, m in zip(subs, children)])
    elif len(subs) < query.Or.TOO_MANY_CLAUSES and (len(subs) == 2
                                                    or sub.doc_count_all() > 5000):
        node = make_weighted_tree(lambda a, b: _Node("or", (a, b)),
                                  [(_segment_size(reader, c), m) for c, m in zip(subs, children)])
    else:  # Whoosh's PreloadedOr: an array adding each child's score times the boost in turn
        return _Node("array", tuple(children), q.boost)
    return _Node("boost", (node,), q.boost) if q.boost != 1.0 else node


def _segment_size(reader, q: query.Query) -> int:
    """``q.estimate_size(reader)`` for one segment, its terms' sizes remembered
    (``segment_term``); the same numbers, so the same trees."""
    if isinstance(q, query.Term):
        return segment_doc_frequency(reader, q.fieldname, q.text)
    if isinstance(q, query.Phrase):  # Whoosh sizes a phrase as the AND of its words
        return min(segment_doc_frequency(reader, q.fieldname, w) for w in q.words)
    if isinstance(q, query.And) and q.subqueries:
        return min(_segment_size(reader, c) for c in q.subqueries)
    if isinstance(q, query.Or):
        return min(sum(_segment_size(reader, c) for c in q.subqueries), reader.doc_count())
    if isinstance(q, query.AndNot):  # sic: Whoosh 2.7.4 takes the excluded part's size
        return _segment_size(reader, q.b)
    return q.estimate_size(reader)


def _total(node: _Node, docnum: int, leaves: dict) -> float | None:
    """The node's score for the document, None where its matcher would not match it."""
    op = node.op
    if op == "leaf":
        return leaves.get(node.key, {}).get(docnum)
    if op == "and":
        a = _total(node.children[0], docnum, leaves)
        b = _total(node.children[1], docnum, leaves)
        return None if a is None or b is None else a + b
    if op == "or":
        a = _total(node.children[0], docnum, leaves)
        b = _total(node.children[1], docnum, leaves)
        if a is None:
            return b
        return a if b is None else a + b
    if op == "boost":
        a = _total(node.children[0], docnum, leaves)
        return None if a is None else a * node.boost
    if op == "only":  # a checked phrase: its words' scores, in its documents only
        return _total(node.children[0], docnum, leaves) if docnum in node.key else None
    if op == "andnot":
        return None if docnum in node.key else _total(node.children[0], docnum, leaves)
    if op == "array":
        total, found = 0.0, False
        for child in node.children:
            a = _total(child, docnum, leaves)
            if a is not None:
                total += a * node.boost
                found = True
        return total if found else None
    return None  # null
