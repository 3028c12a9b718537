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
    leaves read as terms (each holds every match holding the term); ``plan``: the query's
    node tree (``query``: the query it was made for)."""

    def __init__(self, scores: dict[int, float], leaves: dict[tuple[str, bytes], dict[int, float]],
                 terms: set[tuple[str, bytes]], q: query.Query | None = None,
                 plan: "_Part | None" = None) -> None:
        self.scores = scores
        self.leaves = leaves
        self.terms = terms
        self.query = q
        self.plan = plan

    def matching(self, searcher, q: query.Query, docs: set[int]) -> set[int] | None:
        """The documents of ``docs`` (matches) that ``q`` matches, from what was read; None
        when ``q`` needs a term that was not read as a term (or is not a plain AND/OR)."""
        part = plan(searcher.schema, q)
        return None if part is None else part.matching(self, docs)


def approximate(searcher, q: query.Query, universe: set[int]) -> Estimate | None:
    """The documents of ``universe`` matching ``q`` and their estimated scores; None
    when ``q`` has a part this cannot score (the caller then lets Whoosh score)."""
    weighting = searcher.weighting
    if type(weighting) is not scoring.BM25F:
        return None
    part = plan(searcher.schema, q)
    if part is None:
        return None
    ctx = _Context(searcher, weighting)
    if not all(hasattr(reader, "_perdoc") for _s, _e, reader in ctx.segments):
        return None  # lengths are read from Whoosh 3 segments' columns
    matched = part.matches(ctx, universe) if universe else set()
    ctx.terms = {key for key, universes in ctx.read_over.items()
                 if any(u is universe or matched <= u for u in universes)}
    for key, weights in ctx.weights.items():  # BM25F only where the query matched
        ctx.leaf(key, weights, matched)
    scores = part.totals(ctx, matched) if matched else {}
    return Estimate(scores, ctx.leaves, ctx.terms, q, part)


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


# --- the query as a tree of the node kinds scored here ----------------------------------------

def plan(schema, q: query.Query) -> "_Part | None":
    """``q`` as a tree of ``_Part``: terms (BM25F, or weight-only fields), OR, AND, checked
    phrases, AND NOT (what ``-word`` parses to) and the null query, with boosts; None when
    some node is another kind (or an OR with a scale or a minimum to match)."""
    if isinstance(q, CheckedPhrase):
        return _Phrase(q, schema) if q.weights is not None and q.fieldname in schema else None
    if isinstance(q, query.Term):
        return _Term(q, schema) if q.fieldname in schema else None
    if isinstance(q, (query.And, query.Or)):
        if isinstance(q, query.Or) and (q.scale or q.minmatch):
            return None
        children = [plan(schema, c) for c in q.subqueries]
        if any(c is None for c in children):
            return None
        if len(children) == 1:  # Whoosh matches its one child alone, without its boost
            return children[0]
        return _And(q, children) if isinstance(q, query.And) else _Or(q, children)
    if isinstance(q, query.AndNot):
        positive = plan(schema, q.a)  # the score is the positive part's
        return None if positive is None else _AndNot(q, positive, plan(schema, q.b))
    if q is query.NullQuery:
        return _Null(q)
    return None


class _Part:
    """One node of the query. For its documents: ``matches`` (reading every weight into
    the context), ``totals`` (scores up to the order of additions), ``tree`` (the shape of
    the matcher Whoosh builds in a segment), ``size`` (Whoosh's ``estimate_size`` in a
    segment, which shapes that tree) and ``matching`` (from an ``Estimate`` alone)."""

    def __init__(self, q: query.Query) -> None:
        self.q = q
        self.boost = q.boost

    def matches(self, ctx: _Context, universe: set[int]) -> set[int]:
        """The documents of ``universe`` (not empty) matching this node, keeping every
        weight read. Every term is read over a superset of the final matches, so a match
        missing from a term's weights does not hold the term (a phrase's words: only where
        the phrase stands)."""
        raise NotImplementedError

    def totals(self, ctx: _Context, docs: set[int]) -> dict[int, float]:
        """Per document of ``docs`` (matches of the whole query, not empty) matching this
        node, its score up to the order of additions."""
        raise NotImplementedError

    def tree(self, sub, excluded) -> "_Node":
        """The shape of ``q.matcher(sub, context)`` (Whoosh 2.7.4, a search context that
        does not need the current match, as collectors have), as far as scores go."""
        raise NotImplementedError

    def size(self, reader) -> int:
        """``q.estimate_size(reader)`` for one segment, its terms' sizes remembered
        (``segment_term``): the same numbers, so the same trees."""
        return self.q.estimate_size(reader)

    def matching(self, estimate: Estimate, docs: set[int]) -> set[int] | None:
        """The documents of ``docs`` this node matches, from what ``estimate`` read; None
        when that cannot tell."""
        return None

    def _boosted_node(self, node: "_Node") -> "_Node":
        return _Boost(node, self.boost) if self.boost != 1.0 else node


class _Term(_Part):
    def __init__(self, q: query.Term, schema) -> None:
        super().__init__(q)
        self.key = (q.fieldname, schema[q.fieldname].to_bytes(q.text))

    def matches(self, ctx, universe):
        if self.key not in ctx.searcher.reader():
            return set()
        weights = term_items(ctx.searcher, *self.key, universe, WEIGHT)
        ctx.read(self.key, weights)
        ctx.read_over.setdefault(self.key, []).append(universe)
        return set(weights)

    def totals(self, ctx, docs):
        scores = ctx.leaves.get(self.key, {})
        mine = docs.intersection(scores)
        if len(mine) == len(scores):  # the leaf holds matches only: the usual case
            return _boosted(dict(scores), self.boost)
        return _boosted(dict(zip(mine, map(scores.__getitem__, mine))), self.boost)

    def tree(self, sub, excluded):
        if segment_term(sub.reader(), *self.key) is None:
            return _NULL
        return self._boosted_node(_Leaf(self.key))

    def size(self, reader):
        return segment_doc_frequency(reader, *self.key)

    def matching(self, estimate, docs):
        if self.key not in estimate.terms:
            return None
        return docs.intersection(estimate.leaves.get(self.key, ()))


class _Phrase(_Part):
    """A ``CheckedPhrase``: its documents are known, its words' weights in them read."""

    def __init__(self, q: CheckedPhrase, schema) -> None:
        super().__init__(q)
        field = schema[q.fieldname]
        self.keys = [(q.fieldname, field.to_bytes(w)) for w in q.words]

    def matches(self, ctx, universe):
        docs = self.q.docs & universe
        if docs:
            for key in self.keys:
                weights = self.q.weights[key[1]]
                ctx.read(key, {d: weights[d] for d in docs})
        return docs

    def totals(self, ctx, docs):
        mine = self.q.docs & docs
        if not mine:
            return {}
        out: dict[int, float] = dict.fromkeys(mine, 0.0)
        for key in self.keys:
            scores = ctx.leaves[key]
            for d in mine:
                out[d] += scores[d]
        return _boosted(out, self.boost)

    def tree(self, sub, excluded):
        reader = sub.reader()
        if not self.q.docs_by_segment.get(id(sub)) or any(segment_term(reader, *key) is None
                                                           for key in self.keys):
            return _NULL
        leaves = [_Leaf(key) for key in self.keys]
        return self._boosted_node(_Only(make_binary_tree(_Both, leaves), self.q.docs))

    def size(self, reader):  # Whoosh sizes a phrase as the AND of its words
        return min(segment_doc_frequency(reader, *key) for key in self.keys)

    def matching(self, estimate, docs):
        return self.q.docs & docs


class _Compound(_Part):
    """AND and OR: Whoosh's matcher for one child is the child's own (the boost unused)."""

    def __init__(self, q: query.Query, children: list[_Part]) -> None:
        super().__init__(q)
        self.children = children

    def tree(self, sub, excluded):
        if not self.children:
            return _NULL
        if len(self.children) == 1:
            return self.children[0].tree(sub, excluded)
        return self._tree_of(sub, [c.tree(sub, excluded) for c in self.children])

    def _tree_of(self, sub, nodes: list["_Node"]) -> "_Node":
        raise NotImplementedError

    def matching(self, estimate, docs):
        parts = [c.matching(estimate, docs) for c in self.children]
        if any(p is None for p in parts):
            return None
        return self._combine(parts) if parts else set()

    def _combine(self, parts: list[set[int]]) -> set[int]:
        raise NotImplementedError


class _Or(_Compound):
    def matches(self, ctx, universe):
        out: set[int] = set()
        for child in self.children:
            out |= child.matches(ctx, universe)
        return out

    def totals(self, ctx, docs):
        out: dict[int, float] = {}
        for child in self.children:
            for d, s in child.totals(ctx, docs).items():
                out[d] = out.get(d, 0.0) + s
        return _boosted(out, self.boost)

    def _tree_of(self, sub, nodes):
        reader = sub.reader()
        if len(nodes) < query.Or.TOO_MANY_CLAUSES and (len(nodes) == 2
                                                       or sub.doc_count_all() > 5000):
            return self._boosted_node(make_weighted_tree(
                _Either, [(c.size(reader), m) for c, m in zip(self.children, nodes)]))
        # Whoosh's PreloadedOr: an array adding each child's score times the boost in turn
        return _Array(nodes, self.boost)

    def size(self, reader):
        return min(sum(c.size(reader) for c in self.children), reader.doc_count())

    def _combine(self, parts):
        return set.union(*parts)


class _And(_Compound):
    def matches(self, ctx, universe):
        candidates = universe
        for child in sorted(self.children, key=lambda c: estimate(ctx.searcher, c.q)):
            candidates = child.matches(ctx, candidates)
            if not candidates:
                break
        return candidates

    def totals(self, ctx, docs):
        out: dict[int, float] = {}
        for i, child in enumerate(self.children):
            part = child.totals(ctx, docs)
            out = part if i == 0 else {d: s + part[d] for d, s in out.items() if d in part}
        return _boosted(out, self.boost)

    def _tree_of(self, sub, nodes):
        reader = sub.reader()
        return self._boosted_node(make_weighted_tree(
            _Both, [(0 - c.size(reader), m) for c, m in zip(self.children, nodes)]))

    def size(self, reader):
        if not self.children:
            return super().size(reader)
        return min(c.size(reader) for c in self.children)

    def _combine(self, parts):
        return set.intersection(*parts)


class _AndNot(_Part):
    """``-word``: the positive part's matches and scores, without the excluded part's
    documents (``negative``: the excluded part's plan, when it has one)."""

    def __init__(self, q: query.AndNot, positive: _Part, negative: _Part | None) -> None:
        super().__init__(q)
        self.positive = positive
        self.negative = negative

    def matches(self, ctx, universe):
        positive = self.positive.matches(ctx, universe)
        return positive - docset(ctx.searcher, self.q.b, positive) if positive else positive

    def totals(self, ctx, docs):
        positive = self.positive.totals(ctx, docs)
        excluded = docset(ctx.searcher, self.q.b, set(positive))
        return {d: s for d, s in positive.items() if d not in excluded}

    def tree(self, sub, excluded):
        return _Without(self.positive.tree(sub, excluded), excluded(self.q.b))

    def size(self, reader):  # CompoundQuery.estimate_size: both parts, at most every document
        negative = self.negative.size(reader) if self.negative else self.q.b.estimate_size(reader)
        return min(self.positive.size(reader) + negative, reader.doc_count())


class _Null(_Part):
    def matches(self, ctx, universe):
        return set()

    def totals(self, ctx, docs):
        return {}

    def tree(self, sub, excluded):
        return _NULL


def _boosted(scores: dict[int, float], boost: float) -> dict[int, float]:
    if boost != 1.0:
        return {d: s * boost for d, s in scores.items()}
    return scores


# --- exact totals: Whoosh's matcher tree, rebuilt without its matchers -----------------------

class _Node:
    """One matcher of the tree Whoosh would build in a segment: ``total`` is what it does
    with its children's scores (None where it would not match the document). Whoosh
    compares matchers only to break ties of weight in its weighted trees, and those
    comparisons all come out False (its matchers define ``<`` and ``==`` by class), so the
    tie order is the list's: these nodes compare the same way."""

    __slots__ = ()

    def total(self, docnum: int, leaves: dict) -> float | None:
        return None  # the null matcher

    def __lt__(self, other) -> bool:
        return False

    def __eq__(self, other) -> bool:
        return True

    __hash__ = object.__hash__


class _Leaf(_Node):
    __slots__ = ("key",)

    def __init__(self, key: tuple[str, bytes]) -> None:
        self.key = key

    def total(self, docnum, leaves):
        return leaves.get(self.key, {}).get(docnum)


class _Pair(_Node):
    """A matcher of two children, whose totals it combines."""
    __slots__ = ("a", "b")

    def __init__(self, a: _Node, b: _Node) -> None:
        self.a, self.b = a, b

    def total(self, docnum, leaves):
        return self.combine(self.a.total(docnum, leaves), self.b.total(docnum, leaves))

    @staticmethod
    def combine(a: float | None, b: float | None) -> float | None:
        raise NotImplementedError


class _Both(_Pair):
    """Whoosh's IntersectionMatcher."""
    __slots__ = ()

    @staticmethod
    def combine(a, b):
        return None if a is None or b is None else a + b


class _Either(_Pair):
    """Whoosh's UnionMatcher."""
    __slots__ = ()

    @staticmethod
    def combine(a, b):
        if a is None:
            return b
        return a if b is None else a + b


class _Boost(_Node):
    """Whoosh's WrappingMatcher with a boost."""
    __slots__ = ("child", "boost")

    def __init__(self, child: _Node, boost: float) -> None:
        self.child, self.boost = child, boost

    def total(self, docnum, leaves):
        a = self.child.total(docnum, leaves)
        return None if a is None else a * self.boost


class _Only(_Node):
    """A checked phrase: its words' scores, in its documents only."""
    __slots__ = ("child", "docs")

    def __init__(self, child: _Node, docs: set[int]) -> None:
        self.child, self.docs = child, docs

    def total(self, docnum, leaves):
        return self.child.total(docnum, leaves) if docnum in self.docs else None


class _Without(_Node):
    """Whoosh's AndNotMatcher: the child's score, except in the excluded documents."""
    __slots__ = ("child", "excluded")

    def __init__(self, child: _Node, excluded: set[int]) -> None:
        self.child, self.excluded = child, excluded

    def total(self, docnum, leaves):
        return None if docnum in self.excluded else self.child.total(docnum, leaves)


class _Array(_Node):
    """Whoosh's PreloadedOr: each child's score times the boost, added in turn."""
    __slots__ = ("children", "boost")

    def __init__(self, children: list[_Node], boost: float) -> None:
        self.children, self.boost = tuple(children), boost

    def total(self, docnum, leaves):
        total, found = 0.0, False
        for child in self.children:
            a = child.total(docnum, leaves)
            if a is not None:
                total += a * self.boost
                found = True
        return total if found else None


_NULL = _Node()


def exact_scores(searcher, q: query.Query, docs: set[int], estimate: Estimate
                 ) -> list[tuple[float, int]]:
    """(score, docnum) of each of ``docs`` (matches of ``q`` that ``approximate`` read), the
    score added up as Whoosh's matcher for ``q`` in the document's segment adds it."""
    part = estimate.plan if estimate.query is q else plan(searcher.schema, q)
    if part is None:
        raise ValueError(f"cannot score {q!r} from posting blocks")
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
        tree = part.tree(sub, excluded)
        for docnum in inside:
            score = tree.total(docnum, estimate.leaves)
            if score is None:
                raise ValueError(f"document {docnum} does not match {q!r}")
            out.append((score, docnum))
    return out
