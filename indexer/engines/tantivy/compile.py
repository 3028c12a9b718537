"""Compile a parsed query (logical fields, see ``querylang``) into a tantivy query.

The same routing as ``indexer/engines/whoosh/compile.py``, node for node: plain words and
phrases search the stemmed ``text``, ``heading`` and ``subject`` fields; one quoted word,
fuzzy words and wildcards search the unstemmed ``exact`` field, expanded here against the
index's own words (at most ``MAX_EXPANSION``, the most frequent, with a notice); keyword
values resolve case-insensitively. Stemming is the Whoosh analyzer's (``analysis.py``), so
the terms are the ones the index holds.

Scoring follows Whoosh's shapes: ``Or`` sums its matching children (tantivy ``Should``),
``And`` sums all (``Must``), ``Not`` adds nothing (``MustNot`` under a zero-score match-all).
Whoosh's field boosts (subject 0.2, heading 0.5) scale the term weight inside BM25F; tantivy
has no BM25F, so they become query boosts on the per-field scores (a linear approximation).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable, Iterable

import tantivy
from whoosh import query
from whoosh.support.levenshtein import distance

from ..compiling import CONTENT_FIELDS, Compiled, CompilerBase, KeywordValues
from ..querylang import ParsedQuery, compile_leaf
from .analysis import token_positions, whoosh_stems
from .documents import stored_fields

Q = tantivy.Query
Occur = tantivy.Occur

FIELD_BOOSTS = {"subject": 0.2, "heading": 0.5}  # Whoosh schema's field_boost
# Fields only paragraph documents have: a query made of these alone matches paragraphs only.
PARAGRAPH_FIELDS = frozenset({"text", "heading", "subject", "exact"})


class _Nothing:
    """Whoosh's NullQuery: matches nothing and is dropped from Or/And."""


NOTHING = _Nothing()


class Vocabulary(KeywordValues):
    """The index's words and keyword values (term dictionaries), cached per searcher state."""

    def __init__(self, searcher: tantivy.Searcher) -> None:
        super().__init__()
        self.searcher = searcher

    def exists(self, fieldname: str, value: str) -> bool:
        return self.searcher.doc_freq(fieldname, value) > 0

    def frequency(self, fieldname: str, value: str) -> int:
        return self.searcher.doc_freq(fieldname, value)

    def with_prefix(self, fieldname: str, prefix: str) -> list[tuple[str, int]]:
        return self.searcher.terms_with_prefix(fieldname, prefix)

    def indexed_values(self, fieldname: str) -> Iterable[str]:
        return (value for value, _count in sorted(self.with_prefix(fieldname, "")))

    def verified_near(self, candidates: tantivy.Query, fieldname: str, words: list[str],
                      slop: int) -> list[int]:
        """doc_keys of the candidates where the words occur in order, each 1..slop positions
        after the previous (Whoosh's proximity rule), read from the stored text."""
        searcher = self.searcher
        total = searcher.search(candidates, 1, count=True).count
        if not total:
            return []
        addresses = [a for _s, a in searcher.search(candidates, total, count=False).hits]
        keys = searcher.fast_field_values("doc_key", addresses)
        stem = fieldname != "exact"
        found = []
        for address, key in zip(addresses, keys):
            doc = stored_fields(searcher.doc(address))
            if fieldname == "exact":
                text = "\n".join(doc[f] for f in ("text", "heading", "subject") if doc.get(f))
            else:
                text = doc.get(fieldname) or ""
            if near(token_positions(text, stem), words, slop):
                found.append(key)
        return found

    def within(self, fieldname: str, text: str, maxdist: int, prefix: int) -> set[str]:
        """Words within ``maxdist`` edits sharing ``prefix`` letters (Whoosh's terms_within)."""
        return {w for w, _n in self.with_prefix(fieldname, text[:prefix])
                if abs(len(w) - len(text)) <= maxdist and distance(w, text, limit=maxdist) <= maxdist}


@dataclass
class TantivyCompiled(Compiled):
    """``Compiled`` plus whether the query can match paragraph documents only."""

    paragraphs_only: bool = True


class _Compiler(CompilerBase):
    def __init__(self, schema: tantivy.Schema, vocabulary: Vocabulary,
                 cited: Callable[[str], list[str]]) -> None:
        self.schema = schema
        self.vocabulary = vocabulary
        self.cited = cited
        self.out = TantivyCompiled(NOTHING)
        self.tier: list[tantivy.Query] = []

    def term_query(self, fieldname: str, text: str) -> tantivy.Query:
        if fieldname not in PARAGRAPH_FIELDS:  # keyword values: cable documents have them too
            self.out.paragraphs_only = False
        return Q.term_query(self.schema, fieldname, text)

    def node(self, node: query.Query, positive: bool):
        if node is query.NullQuery:
            return NOTHING
        if node.is_leaf():
            return self.leaf(node, positive)
        if isinstance(node, query.Not):
            inner = self.node(node.query, False)
            self.out.paragraphs_only = False  # "everything but" includes cable documents
            return _not(inner)
        if isinstance(node, query.AndNot):
            return _and_not(self.node(node.a, positive), self.node(node.b, False))
        children = [self.node(child, positive) for child in node.children()]
        boost = getattr(node, "boost", 1.0)
        if isinstance(node, query.And):
            return _boosted(_all_of(children), boost)
        if isinstance(node, query.Or):
            return _boosted(_any_of(children), boost)
        raise ValueError(f"cannot compile query node {node!r}")

    def leaf(self, node: query.Query, positive: bool):
        return compile_leaf(node, positive, self, self.vocabulary)

    def cited_by(self, refid: str, boost: float):
        refids = self.cited(refid.upper()) or [""]  # none: the empty refid, no cable's
        return _boosted(_any_of([self.term_query("refid", r) for r in refids]), boost)

    def keyword(self, fieldname: str, values: list[str], boost: float):
        return _boosted(_any_of([self.term_query(fieldname, v) for v in values]), boost)

    def dates(self, node: query.Query) -> tantivy.Query:
        self.out.paragraphs_only = False
        return date_range(self.schema, node.startdate, node.enddate)

    def field_term(self, fieldname: str, stems: list[str]) -> tantivy.Query:
        q = _all_of([self.term_query(fieldname, s) for s in stems])
        return _boosted(q, FIELD_BOOSTS.get(fieldname, 1.0))

    def term(self, node: query.Term, positive: bool):
        if node.fieldname == "exact":
            if positive:
                self.out.words.add(node.text)
                self.tier.extend(self.term_query("text", s) for s in whoosh_stems(node.text))
            return _boosted(self.term_query("exact", node.text), node.boost)
        stems = whoosh_stems(node.text)
        if not stems:
            return NOTHING
        fields = CONTENT_FIELDS[node.fieldname]
        self.note_stems(stems, fields, positive,
                        lambda: _all_of([self.term_query("text", s) for s in stems]))
        return _boosted(_any_of([self.field_term(f, stems) for f in fields]), node.boost)

    def phrase_on(self, fieldname: str, words: list[str], slop: int):
        if len(words) == 1:
            return self.term_query(fieldname, words[0])
        if slop <= 1:
            return Q.phrase_query(self.schema, fieldname, words, slop=0)
        # Whoosh: each next word 1..slop positions after the previous one, in order.
        # Tantivy's slop is one budget for the whole phrase and allows reordering: with a
        # budget of every gap at its widest it finds a superset, checked here word by word.
        budget = (len(words) - 1) * (slop - 1)
        candidates = Q.phrase_query(self.schema, fieldname, words, slop=budget)
        keys = self.vocabulary.verified_near(candidates, fieldname, words, slop)
        if not keys:
            return NOTHING
        only = any_key(self.schema, "doc_key", keys)
        return Q.boolean_query([(Occur.Must, candidates), (Occur.Must, zero(only))])

    def phrase(self, node: query.Phrase, positive: bool):
        if node.fieldname == "exact":
            words = [w.lower() for w in node.words]
            if positive:
                self.out.words.update(words)
            return _boosted(self.phrase_on("exact", words, node.slop), node.boost)
        stems = [s for w in node.words for s in whoosh_stems(w)]
        if not stems:
            return NOTHING
        fields = CONTENT_FIELDS[node.fieldname]
        self.note_stems(stems, fields, positive,
                        lambda: self.phrase_on("text", stems, node.slop))
        per_field = [_boosted(self.phrase_on(f, stems, node.slop), FIELD_BOOSTS.get(f, 1.0))
                     for f in fields]
        return _boosted(_any_of(per_field), node.boost)

    def fuzzy(self, node: query.FuzzyTerm, positive: bool):
        prefix = max(node.prefixlength, 1)
        words = self.vocabulary.within("exact", node.text, node.maxdist, prefix)
        return self.expanded(node, f"{node.text}~", words, positive)

    def wildcard(self, node: query.Query, positive: bool):
        pattern = node.text.lower() + ("*" if isinstance(node, query.Prefix) else "")
        literal = re.split(r"[*?]", pattern, maxsplit=1)[0]
        regex = re.compile(fnmatch.translate(pattern))
        words = {w for w, _n in self.vocabulary.with_prefix("exact", literal) if regex.match(w)}
        return self.expanded(node, pattern, words, positive)

    def expanded(self, node: query.Query, shown: str, words: set[str], positive: bool):
        words = self.most_frequent(words, shown, lambda w: self.vocabulary.frequency("exact", w))
        if positive:
            self.out.words.update(words)
            self.tier.extend(self.term_query("text", s) for w in sorted(words)
                             for s in whoosh_stems(w))
        return _boosted(_any_of([self.term_query("exact", w) for w in sorted(words)]), node.boost)


def compile_query(parsed: ParsedQuery, schema: tantivy.Schema, vocabulary: Vocabulary,
                  cited: Callable[[str], list[str]]) -> TantivyCompiled:
    """The tantivy query for a parsed query, with its tier query and highlight words, and
    whether it matches paragraph documents only (then the search needs no ``kind`` filter:
    every leaf is on a paragraph-only field and nothing is negated at the top)."""
    compiler = _Compiler(schema, vocabulary, cited)
    compiled = compiler.out
    compiled.query = compiler.node(parsed.tree, True)
    tier = _any_of(compiler.tier) if compiler.tier else NOTHING
    compiled.tier = None if tier is NOTHING else tier
    return compiled


def near(positions: dict[str, list[int]], words: list[str], slop: int) -> bool:
    """True when some occurrence of the words runs in order, each 1..slop after the last."""
    ends = set(positions.get(words[0], ()))
    for word in words[1:]:
        ends = {p for p in positions.get(word, ()) if any(1 <= p - e <= slop for e in ends)}
        if not ends:
            return False
    return bool(ends)


def date_range(schema: tantivy.Schema, start, end) -> tantivy.Query:
    """Documents created between ``start`` and ``end`` (datetimes, inclusive; None: open).

    A range of whole months (the usual filter: a year, a month) is read from the posting
    lists of the ``year`` and ``month`` terms, which costs in proportion to the matches; a
    range query on the ``created`` column scans the column, whatever the matches."""
    if start is None and end is None:
        return Q.all_query()
    months = _whole_months(start, end)
    if months is None:
        return Q.range_query(schema, "created", tantivy.FieldType.Date, start, end)
    terms = []
    for year in sorted({y for y, _m in months}):
        in_year = [m for y, m in months if y == year]
        if len(in_year) == 12:
            terms.append(Q.term_query(schema, "year", year))
        else:
            terms.extend(Q.term_query(schema, "month", f"{year:04d}-{m:02d}") for m in in_year)
    if not terms:
        return Q.empty_query()
    return terms[0] if len(terms) == 1 else Q.boolean_query([(Occur.Should, t) for t in terms])


MAX_MONTH_TERMS = 600  # fifty years of whole months at most, else a range query


def _whole_months(start, end) -> list[tuple[int, int]] | None:
    """The (year, month)s from ``start`` to ``end`` when these are the first and the last
    instant of whole months, else None."""
    if start is None or end is None or start > end:
        return None
    if (start.day, start.hour, start.minute, start.second, start.microsecond) != (1, 0, 0, 0, 0):
        return None
    after = end + timedelta(microseconds=1)
    if (after.day, after.hour, after.minute, after.second, after.microsecond) != (1, 0, 0, 0, 0):
        return None
    count = (after.year - start.year) * 12 + after.month - start.month
    if count > MAX_MONTH_TERMS or getattr(start, "tzinfo", None) or getattr(end, "tzinfo", None):
        return None
    return [((start.month - 1 + i) // 12 + start.year, (start.month - 1 + i) % 12 + 1)
            for i in range(count)]


SMALL_KEY_SET = 256  # up to this many keys, term queries beat tantivy's term-set query


def any_key(schema: tantivy.Schema, fieldname: str, keys: Iterable[int]) -> tantivy.Query:
    """Documents whose integer ``fieldname`` is one of ``keys``. Tantivy's term-set query
    costs about a millisecond whatever the set (at 170,000 documents); a few term queries
    cost microseconds."""
    keys = list(dict.fromkeys(keys))
    if len(keys) > SMALL_KEY_SET:
        return Q.term_set_query(schema, fieldname, keys)
    if len(keys) == 1:
        return Q.term_query(schema, fieldname, keys[0])
    return Q.boolean_query([(Occur.Should, Q.term_query(schema, fieldname, k)) for k in keys])


def zero(q: tantivy.Query) -> tantivy.Query:
    """``q`` as a pure filter: it must match, and adds nothing to the score."""
    return Q.const_score_query(q, 0.0)


def _not(inner):
    if inner is NOTHING:  # Whoosh: Not(NullQuery) normalizes to NullQuery
        return NOTHING
    return Q.boolean_query([(Occur.Must, zero(Q.all_query())), (Occur.MustNot, inner)])


def _and_not(a, b):
    if a is NOTHING:
        return NOTHING
    if b is NOTHING:
        return a
    return Q.boolean_query([(Occur.Must, a), (Occur.MustNot, b)])


def _any_of(queries: list) -> tantivy.Query | _Nothing:
    queries = [q for q in queries if q is not NOTHING]
    if not queries:
        return NOTHING
    return queries[0] if len(queries) == 1 else Q.boolean_query([(Occur.Should, q) for q in queries])


def _all_of(queries: list) -> tantivy.Query | _Nothing:
    # Whoosh's And.normalize drops NullQuery children (it does not make the And empty)
    queries = [q for q in queries if q is not NOTHING]
    if not queries:
        return NOTHING
    return queries[0] if len(queries) == 1 else Q.boolean_query([(Occur.Must, q) for q in queries])


def _boosted(q, boost: float):
    if q is NOTHING or boost == 1.0:
        return q
    return Q.boost_query(q, boost)
