"""Compile a parsed query (logical fields, see ``querylang``) into a Whoosh query.

Routing: plain words and phrases search the stemmed ``text``, ``heading`` and ``subject``
fields; one quoted word, fuzzy words and wildcards search the unstemmed ``exact`` field
(stemmed terms would miss them). Keyword fields (origin, tags, marking, …) match their
values case-insensitively. Wildcards and fuzzy words are expanded here, against the index's
own words, at most ``MAX_EXPANSION`` words each (the most frequent), with a notice when cut.

Besides the ranking query, compilation yields the *tier* query (the paragraph's own text
matches: those paragraphs rank above paragraphs that match only through heading or subject)
and the words to highlight.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Iterable

from whoosh import query

from ..compiling import CONTENT_FIELDS, Compiled, CompilerBase
from ..compiling import KeywordValues as _KeywordValues
from ..querylang import ParsedQuery, compile_leaf
from .citations import cited_by_query

class KeywordValues(_KeywordValues):
    """Keyword-field values read from a Whoosh reader's lexicon."""

    def __init__(self, reader) -> None:
        super().__init__()
        self._reader = reader

    def exists(self, fieldname: str, value: str) -> bool:
        return (fieldname, value) in self._reader

    def indexed_values(self, fieldname: str) -> Iterable[str]:
        return (btext.decode("utf-8") for btext in self._reader.lexicon(fieldname))


class _Compiler(CompilerBase):
    def __init__(self, searcher, keywords: KeywordValues) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.keywords = keywords
        self.analyzer = searcher.schema["text"].analyzer
        self.out = Compiled(query.NullQuery)
        self.tier: list[query.Query] = []

    def stem(self, word: str) -> list[str]:
        return [t.text for t in self.analyzer(word, mode="query")]

    def node(self, node: query.Query, positive: bool) -> query.Query:
        if node.is_leaf():
            return self.leaf(node, positive)
        if isinstance(node, query.Not):
            return query.Not(self.node(node.query, False), boost=node.boost)
        if isinstance(node, query.AndNot):
            return query.AndNot(self.node(node.a, positive), self.node(node.b, False))
        return node.apply(lambda child: self.node(child, positive))

    def leaf(self, node: query.Query, positive: bool) -> query.Query:
        return compile_leaf(node, positive, self, self.keywords)

    def cited_by(self, refid: str, boost: float) -> query.Query:
        return cited_by_query(self.searcher, refid, boost)  # citations.py

    def keyword(self, fieldname: str, values: list[str], boost: float) -> query.Query:
        return _any_of([query.Term(fieldname, v, boost=boost) for v in values])

    def dates(self, node: query.Query) -> query.Query:
        return node

    def term(self, node: query.Term, positive: bool) -> query.Query:
        if node.fieldname == "exact":
            if positive:
                self.out.words.add(node.text)
                self.tier.extend(query.Term("text", s) for s in self.stem(node.text))
            return query.Term("exact", node.text, boost=node.boost)
        stems = self.stem(node.text)
        if not stems:
            return query.NullQuery
        fields = CONTENT_FIELDS[node.fieldname]
        self.note_stems(stems, fields, positive,
                        lambda: _all_of([query.Term("text", s) for s in stems]))
        per_field = [_all_of([query.Term(f, s) for s in stems]) for f in fields]
        return _boosted(_any_of(per_field), node.boost)

    def phrase(self, node: query.Phrase, positive: bool) -> query.Query:
        if node.fieldname == "exact":
            words = [w.lower() for w in node.words]
            if positive:
                self.out.words.update(words)
            return query.Phrase("exact", words, slop=node.slop, boost=node.boost)
        stems = [s for w in node.words for s in self.stem(w)]
        if not stems:
            return query.NullQuery
        fields = CONTENT_FIELDS[node.fieldname]
        self.note_stems(stems, fields, positive, lambda: _phrase("text", stems, node.slop))
        return _boosted(_any_of([_phrase(f, stems, node.slop) for f in fields]), node.boost)

    def fuzzy(self, node: query.FuzzyTerm, positive: bool) -> query.Query:
        prefix = max(node.prefixlength, 1)  # misspellings rarely touch the first letter
        words = set(self.reader.terms_within("exact", node.text, node.maxdist, prefix=prefix))
        return self.expanded(node, f"{node.text}~", words, positive)

    def wildcard(self, node: query.Query, positive: bool) -> query.Query:
        pattern = node.text.lower() + ("*" if isinstance(node, query.Prefix) else "")
        literal = re.split(r"[*?]", pattern, maxsplit=1)[0]
        regex = re.compile(fnmatch.translate(pattern))
        words = set()
        for btext in self.reader.expand_prefix("exact", literal):
            word = btext.decode("utf-8")
            if regex.match(word):
                words.add(word)
        return self.expanded(node, pattern, words, positive)

    def expanded(self, node: query.Query, shown: str, words: set[str], positive: bool):
        words = self.most_frequent(words, shown, lambda w: self.reader.doc_frequency("exact", w))
        if positive:
            self.out.words.update(words)
            self.tier.extend(query.Term("text", s) for w in sorted(words) for s in self.stem(w))
        terms = [query.Term("exact", w) for w in sorted(words)]
        return _boosted(_any_of(terms), node.boost)


def compile_query(parsed: ParsedQuery, searcher, keywords: KeywordValues) -> Compiled:
    """The Whoosh query for a parsed query, with its tier query and highlight words."""
    compiler = _Compiler(searcher, keywords)
    compiled = compiler.out
    compiled.query = compiler.node(parsed.tree, True).normalize()
    compiled.tier = _any_of(compiler.tier) if compiler.tier else None
    return compiled


def _any_of(queries: list[query.Query]) -> query.Query:
    queries = [q for q in queries if q is not query.NullQuery]
    if not queries:
        return query.NullQuery
    return queries[0] if len(queries) == 1 else query.Or(queries)


def _all_of(queries: list[query.Query]) -> query.Query:
    return queries[0] if len(queries) == 1 else query.And(queries)


def _phrase(fieldname: str, stems: list[str], slop: int) -> query.Query:
    if len(stems) == 1:
        return query.Term(fieldname, stems[0])
    return query.Phrase(fieldname, stems, slop=slop)


def _boosted(q: query.Query, boost: float) -> query.Query:
    if boost != 1.0 and q is not query.NullQuery:
        q = q.copy()
        q.boost = boost
    return q
