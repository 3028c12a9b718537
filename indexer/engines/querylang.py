"""The query language, parsed once and shared by every engine.

``parse_query`` turns a user's query string into a tree of ``whoosh.query`` nodes over
*logical* fields (``any``, ``text``, ``heading``, ``subject``, ``exact``, ``tags``,
``origin``, ``refid``, ``marking``, ``classification``, ``level``, ``created``), with
words lowercased but not stemmed, dates resolved to ``DateRange`` nodes and levels
normalised. It validates everything that does not need an index (syntax, fields, dates,
expansion rules) and raises :class:`QueryError` with a one-line message saying what to fix.

Each engine then compiles the tree against its own index (stemming, field routing,
wildcard expansion): see ``indexer/engines/whoosh/compile.py``. Whoosh's parser is used
only as a parser here; nothing in the tree refers to a Whoosh index.

Language: ``AND``, ``OR``, ``NOT``, ``(…)``, ``"phrase"``, ``"phrase"~N`` (proximity),
``"word"`` (one quoted word: exact, unstemmed), ``word~`` / ``word~2`` (fuzzy),
``wor*`` / ``w?rd`` (wildcards), ``field:value``, ``field:"two words"``,
``created:[2009 to 2010]``, ``created:>=2009-08``, ``word^2`` (boost), ``-word`` (not:
a minus before a word, phrase, field or bracket at the start of a term; ``al-Qaida`` stays
one hyphenated term).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Protocol

from whoosh import fields, qparser, query
from whoosh.analysis import LowercaseFilter, RegexTokenizer
from whoosh.qparser import syntax

from ..dates import BadDate, date_span
from ..model import normalize_level
from .base import QueryError
from .compiling import CONTENT_FIELDS, KEYWORD_FIELDS as KEYWORD_VALUE_FIELDS, KeywordValues

# Logical fields a user may name, and the aliases accepted for them.
TEXT_FIELDS = ("any", "text", "heading", "subject", "exact")
KEYWORD_FIELDS = ("tags", "origin", "refid", "marking", "classification", "level",
                  "cites", "citedby")  # cites:X = cables citing X; citedby:X = cables X cites
DATE_FIELDS = ("created",)
FIELDS = TEXT_FIELDS + KEYWORD_FIELDS + DATE_FIELDS
ALIASES = {
    "tag": "tags", "subj": "subject", "class": "classification", "date": "created",
    "year": "created", "month": "created", "para": "text", "paragraph": "text",
    "body": "text", "title": "subject", "from": "origin", "id": "refid",
    "cite": "cites", "cited_by": "citedby",
}
USER_FIELDS = tuple(f for f in FIELDS if f != "any")

MAX_QUERY_CHARS = 2000
MAX_CLAUSES = 200
MIN_WILDCARD_LITERALS = 2  # `co*` is fine, `c*` and `*` are not
MIN_FUZZY_CHARS = 4  # `war~` would match half the dictionary
MAX_FUZZY_DISTANCE = 2

# a field name where a term starts, or after a minus that starts one (not in ``e-mail:``)
_FIELD_PREFIX = re.compile(r"(?<![\w.:/])(?<![\w.:/]-)([A-Za-z_]\w*):(?=\S)")
_SINGLE_QUOTED_WORD = re.compile(r'(?<![\w:])"(\w+)"(?!~)')


@dataclass
class ParsedQuery:
    """A validated query tree over logical fields, ready for an engine to compile."""

    text: str
    tree: query.Query


def parse_query(text: str) -> ParsedQuery:
    """Parse and validate ``text``; raise QueryError with what to fix."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query too long ({len(text)} characters; at most {MAX_QUERY_CHARS})")
    _check_balance(text)
    prepared = _prepare(text)
    try:
        tree = _parser().parse(prepared)
    except Exception:  # Whoosh's parser trips on some odd inputs (e.g. a bare "<")
        raise QueryError("cannot read the query: check its operators (AND OR NOT < >), "
                         "brackets and quotes") from None
    tree = _resolve(tree)
    if isinstance(tree, query.qcore._NullQuery):
        excluding = " (-word only excludes)" if _MINUS.search(prepared) else ""
        raise QueryError(f"empty query: give at least one word to search for{excluding}")
    _check_size(tree)
    return ParsedQuery(text=text, tree=tree)


# --- syntax checks the lenient Whoosh parser would silently repair ---

def _check_balance(text: str) -> None:
    if text.count('"') % 2:
        raise QueryError('unbalanced quote: close the phrase with a second "')
    depth = {"(": 0, "[": 0, "{": 0}
    closing = {")": "(", "]": "[", "}": "{"}
    in_quote = False
    for ch in text:
        if ch == '"':
            in_quote = not in_quote
        elif in_quote:
            continue
        elif ch in depth:
            depth[ch] += 1
        elif ch in closing:
            opener = closing[ch]
            # a date range may be half-open: [2009 to 2010} is allowed
            if ch in "]}" and depth["["] + depth["{"] > 0:
                if depth["["]:
                    depth["["] -= 1
                else:
                    depth["{"] -= 1
                continue
            if depth[opener] == 0:
                raise QueryError(f"unbalanced bracket: {ch!r} without an opening {opener!r}")
            depth[opener] -= 1
    for opener, count in depth.items():
        if count:
            raise QueryError(f"unbalanced bracket: {opener!r} is never closed")


def _prepare(text: str) -> str:
    """Check field names, apply aliases, and mark one quoted word as an exact word."""
    def field(match: re.Match) -> str:
        name = match.group(1).lower()
        name = ALIASES.get(name, name)
        if name not in FIELDS or name == "any":
            raise QueryError(f"unknown field {match.group(1)!r}: use one of "
                             f"{', '.join(USER_FIELDS)}")
        if match.string.startswith("-", match.end()):
            raise QueryError(f"a minus goes before the field: write -{name}:…, not {name}:-…")
        return f"{name}:"

    out: list[str] = []
    # split on phrases so that words inside quotes are never taken for fields
    for i, part in enumerate(re.split(r'("[^"]*")', text)):
        out.append(part if i % 2 else _FIELD_PREFIX.sub(field, part))
    joined = "".join(out)
    return _SINGLE_QUOTED_WORD.sub(lambda m: f"exact:{m.group(1)}", joined)


_MINUS = re.compile(r"(?<![^\s(])-+(?=[\w\"(])")  # a minus (or a run of them) starting a term


class MinusPlugin(qparser.PlusMinusPlugin):
    """``-word`` leaves out what matches it from everything else in its bracket, in every
    bracket (Whoosh's plugin sorts only the top level, and also reads ``+``, which under
    AND-by-default means nothing). A minus counts only where a term starts, so hyphenated
    words are left alone. A bracket of nothing but minus terms is a NOT; at the top level
    such a query is refused as empty, since it asks for nothing."""

    def __init__(self) -> None:
        super().__init__(plusexpr=r"(?!)", minusexpr=_MINUS.pattern)

    def do_plusminus(self, parser, group, nested: bool = False):
        for i, node in enumerate(group):
            if isinstance(node, syntax.GroupNode):
                group[i] = self.do_plusminus(parser, node, nested=True)
        if not any(isinstance(node, self.Minus) for node in group):
            return group
        sorted_group = super().do_plusminus(parser, group)
        if nested and isinstance(sorted_group, syntax.AndNotGroup) and not any(
                not isinstance(node, syntax.Operator) for node in sorted_group[0]):
            return syntax.NotGroup([sorted_group[1]])
        return sorted_group


_PARSER: qparser.QueryParser | None = None


def _parser() -> qparser.QueryParser:
    global _PARSER
    if _PARSER is None:
        words = RegexTokenizer(r"\w+") | LowercaseFilter()
        spec = {name: fields.TEXT(analyzer=words) for name in TEXT_FIELDS}
        spec.update({name: fields.ID() for name in KEYWORD_FIELDS + DATE_FIELDS})
        parser = qparser.QueryParser("any", fields.Schema(**spec))
        parser.add_plugin(qparser.FuzzyTermPlugin())
        parser.add_plugin(qparser.GtLtPlugin())
        parser.add_plugin(MinusPlugin())
        _PARSER = parser
    return _PARSER


# --- resolution of values that need no index: dates, levels, expansion rules ---

def _resolve(node: query.Query) -> query.Query:
    error = getattr(node, "error", None)
    if error:
        raise QueryError(f"cannot read the query: {error}")
    if isinstance(node, query.Every):
        raise QueryError("a bare * would match everything: add a word or a field value")
    # a zero-scored match is counted or dropped by Whoosh depending on its segment's size
    if getattr(node, "boost", 1.0) <= 0:
        raise QueryError("a boost must be above 0: write word^2 or word^0.5")
    if node.is_leaf():
        return _resolve_leaf(node)
    resolved = node.apply(_resolve)
    if not any(c is not query.NullQuery for c in resolved.children()):
        return query.NullQuery
    return resolved


def _resolve_leaf(node: query.Query) -> query.Query:
    field = getattr(node, "fieldname", None)
    if field in DATE_FIELDS:
        return _date_query(node)
    if isinstance(node, (query.TermRange, query.NumericRange)):
        raise QueryError(f"ranges work on dates only: write created:[2009 to 2010], not {field}:[…]")
    if field == "level" and isinstance(node, query.Term):
        try:
            return query.Term("level", normalize_level(node.text), boost=node.boost)
        except ValueError as exc:
            raise QueryError(str(exc)) from None
    if isinstance(node, (query.Wildcard, query.Prefix)):
        pattern = node.text + ("*" if isinstance(node, query.Prefix) else "")
        literals = len(re.sub(r"[*?]", "", pattern))
        if literals < MIN_WILDCARD_LITERALS:
            raise QueryError(f"wildcard {pattern!r} is too broad: give at least "
                             f"{MIN_WILDCARD_LITERALS} letters besides * and ?")
    if isinstance(node, query.FuzzyTerm):
        if len(node.text) < MIN_FUZZY_CHARS:
            raise QueryError(f"fuzzy {node.text}~ is too broad: fuzzy words need at least "
                             f"{MIN_FUZZY_CHARS} letters")
        if node.maxdist > MAX_FUZZY_DISTANCE:
            raise QueryError(f"fuzzy distance {node.maxdist} is too large: use ~1 or ~2")
    return node


def _date_query(node: query.Query) -> query.Query:
    if isinstance(node, query.Term):
        start, end = _date_span(node.text)
        return query.DateRange("created", start, end)
    if isinstance(node, query.TermRange):
        start = end = None
        if node.start is not None:
            first, last = _date_span(node.start)
            start = _next_instant(last) if node.startexcl else first
        if node.end is not None:
            first, last = _date_span(node.end)
            end = _previous_instant(first) if node.endexcl else last
        if start is None and end is None:
            raise QueryError("a date range needs a start or an end")
        if start and end and start > end:
            raise QueryError(f"date range runs backwards: {node.start} to {node.end}")
        return query.DateRange("created", start, end)
    raise QueryError("dates take a value like created:2009, created:2009-08-21 "
                     "or created:[2009 to 2010]")


def _date_span(value: str) -> tuple[datetime, datetime]:
    """First and last instant of a year, month or day written as YYYY[-MM[-DD]]."""
    try:
        first, last = date_span(value)
    except BadDate as exc:
        reason = "write YYYY, YYYY-MM or YYYY-MM-DD" if exc.malformed else "no such day or month"
        raise QueryError(f"bad date {value!r}: {reason}") from None
    return datetime.combine(first, time.min), datetime.combine(last, time.max)


def _next_instant(moment: datetime) -> datetime:
    return datetime.combine(date.fromordinal(moment.date().toordinal() + 1), time.min)


def _previous_instant(moment: datetime) -> datetime:
    return datetime.combine(date.fromordinal(moment.date().toordinal() - 1), time.max)


def _check_size(tree: query.Query) -> None:
    count = sum(1 for _ in tree.leaves()) if not tree.is_leaf() else 1
    if count > MAX_CLAUSES:
        raise QueryError(f"query has {count} terms; at most {MAX_CLAUSES}")


# --- walking the tree, for engines and for suggestions ---

def positive_leaves(tree: query.Query):
    """Leaves that must or may match (not under NOT): what ranks and what highlights."""
    if isinstance(tree, query.Not):
        return
    if isinstance(tree, query.AndNot):
        yield from positive_leaves(tree.a)
        return
    if tree.is_leaf():
        yield tree
        return
    for child in tree.children():
        yield from positive_leaves(child)


def plain_words(parsed: ParsedQuery) -> list[str]:
    """The positive plain words (3+ letters) a did-you-mean may correct, in query order."""
    words: list[str] = []
    for leaf in positive_leaves(parsed.tree):
        if isinstance(leaf, query.Term) and leaf.fieldname in ("any", "text", "heading",
                                                                "subject", "exact"):
            if leaf.text.isalpha() and len(leaf.text) >= 3 and leaf.text not in words:
                words.append(leaf.text)
        elif isinstance(leaf, query.Phrase) and leaf.fieldname != "exact":
            words.extend(w for w in leaf.words if w.isalpha() and len(w) >= 3 and w not in words)
    return words


# --- routing a leaf, for the engines' compilers ---

class LeafCompiler(Protocol):
    """What an engine's compiler builds for each kind of leaf (``compile_leaf`` routes)."""

    def fuzzy(self, node: query.FuzzyTerm, positive: bool) -> Any: ...
    def wildcard(self, node: query.Query, positive: bool) -> Any: ...
    def phrase(self, node: query.Phrase, positive: bool) -> Any: ...
    def term(self, node: query.Term, positive: bool) -> Any: ...
    def cited_by(self, refid: str, boost: float) -> Any: ...
    def keyword(self, fieldname: str, values: list[str], boost: float) -> Any: ...
    def dates(self, node: query.Query) -> Any: ...


def compile_leaf(node: query.Query, positive: bool, compiler: LeafCompiler,
                 keywords: KeywordValues) -> Any:
    """A leaf in the engine's query objects: plain and quoted words, phrases, fuzzy words and
    wildcards on the text fields; keyword values resolved ignoring case; dates."""
    name = getattr(node, "fieldname", None)
    boost = getattr(node, "boost", 1.0)
    if name in CONTENT_FIELDS or name == "exact":
        if isinstance(node, query.FuzzyTerm):
            return compiler.fuzzy(node, positive)
        if isinstance(node, (query.Prefix, query.Wildcard)):
            return compiler.wildcard(node, positive)
        if isinstance(node, query.Phrase):
            return compiler.phrase(node, positive)
        if isinstance(node, query.Term):
            return compiler.term(node, positive)
    elif name == "citedby":  # the cables that cable cites
        return compiler.cited_by(node.text, boost)
    elif name in KEYWORD_VALUE_FIELDS:
        written = node.text
        if isinstance(node, (query.Prefix, query.Wildcard)):
            written += "*" if isinstance(node, query.Prefix) else ""
            values = keywords.match(name, written)
        else:
            values = keywords.resolve(name, written)
        # a value the index does not hold is searched as written, so it matches nothing
        # (dropped, it would leave `tags:ZZZZ iran` finding every iran paragraph)
        return compiler.keyword(name, values or [written], boost)
    elif isinstance(node, query.DateRange) or name == "created":
        return compiler.dates(node)
    raise ValueError(f"cannot compile query node {node!r}")  # querylang lets none through
