"""Which documents match a query, by set algebra on posting lists, and what postings hold.

Stepping a Whoosh matcher costs a few Python calls per posting; reading a posting block's
ids whole costs one. Matching sets (the total, facets, the tier) are built here from whole
blocks, and phrases are checked by their positions only in the documents that hold every
word of the phrase. ``term_items`` reads a term's weights or values for a set of documents
the same way (``approx`` scores from them). ``CheckedPhrase`` then lets a scoring pass
score a phrase exactly as Whoosh's ``Phrase`` does (the sum of its terms' scores) without
checking positions again.
"""

from __future__ import annotations

import pickle
import struct
from bisect import bisect_left
from itertools import accumulate, compress, repeat
from operator import itemgetter, not_
from typing import Any, Callable, Iterable, Iterator

from whoosh import formats, matching, query
from whoosh.codec.whoosh3 import W3LeafMatcher, W3TermsReader
from whoosh.reading import TermNotFound
from whoosh.util import make_binary_tree

from .blocks import (Directory, block_directory, postings_extent, read_head, term_blocks,
                     term_values)
from .pairs import decode_frequencies, pairs_field


def docset(searcher, q: query.Query, universe: set[int]) -> set[int]:
    """The documents of ``universe`` matching ``q``: the same set Whoosh's matcher yields."""
    if not universe:
        return set()
    if isinstance(q, query.Term):
        return term_docs(searcher, q.fieldname, q.text, universe)
    if isinstance(q, query.Or):
        out: set[int] = set()
        for child in q.subqueries:
            out |= docset(searcher, child, universe - out)
        return out
    if isinstance(q, query.And):
        out = universe
        for child in sorted(q.subqueries, key=lambda c: estimate(searcher, c)):
            out = docset(searcher, child, out)
            if not out:
                break
        return out
    if isinstance(q, query.Not):
        return universe - docset(searcher, q.query, universe)
    if isinstance(q, query.AndNot):
        positive = docset(searcher, q.a, universe)
        return positive - docset(searcher, q.b, positive)
    if isinstance(q, query.Every) and not q.fieldname:
        return set(universe)
    if q is query.NullQuery:
        return set()
    if isinstance(q, CheckedPhrase):
        return universe & q.docs
    if _plain_phrase(searcher, q):
        return phrase_docs(searcher, q, universe)
    return _skip_through(searcher, q, universe)


def doc_frequency(searcher, fieldname: str, text) -> int:
    """The reader's doc_frequency, remembered by the searcher (a new commit gives a new
    searcher): Whoosh looks it up in every segment on every call."""
    cache = searcher.__dict__.setdefault("_cablesearch_doc_frequency", {})
    key = (fieldname, text)
    found = cache.get(key)
    if found is None:
        found = cache[key] = searcher.reader().doc_frequency(fieldname, text)
    return found


def estimate(searcher, q: query.Query) -> float:
    """About how many documents ``q`` matches (an AND starts from its smallest part)."""
    if isinstance(q, query.Term):
        return doc_frequency(searcher, q.fieldname, q.text)
    if isinstance(q, CheckedPhrase):
        return len(q.docs)
    if isinstance(q, query.Phrase):
        return min((doc_frequency(searcher, q.fieldname, w) for w in q.words), default=0)
    if isinstance(q, query.Or):
        return sum(estimate(searcher, c) for c in q.subqueries)
    if isinstance(q, query.And):
        return min((estimate(searcher, c) for c in q.subqueries), default=0)
    return float("inf")


def term_docs(searcher, fieldname: str, text, universe: set[int]) -> set[int]:
    """The documents of ``universe`` holding the term.

    Few candidates: only the posting blocks that may hold them are decoded (a block is
    skipped by its header's last id); many: every block is read whole.
    """
    reader = searcher.reader()
    if (fieldname, text) not in reader:
        return set()
    if len(universe) >= doc_frequency(searcher, fieldname, text):
        return set(_whole_read(searcher, fieldname, text, universe, PRESENCE))
    return set(term_items(searcher, fieldname, text, universe, PRESENCE))


PRESENCE, VALUE, WEIGHT, WEIGHT_AND_VALUE = "presence", "value", "weight", "weight+value"
# One candidate per this many postings (blocks hold 128) or more: every block is read.
WHOLE_READ_RATIO = 16
_NO_VALUES = (PRESENCE, WEIGHT)


def term_items(searcher, fieldname: str, text, candidates: Iterable[int], what: str
               ) -> dict[int, Any]:
    """Per candidate holding the term (top-level docnums): None (PRESENCE), its posting
    value (VALUE), its weight (WEIGHT) or both as (weight, value) (WEIGHT_AND_VALUE).

    A block's values (positions) are decoded only when asked for (``blocks``); its ids
    and weights always come together.
    """
    if not isinstance(candidates, (set, frozenset)):
        candidates = set(candidates)
    # Candidates spread over nearly every block: decoding every block costs about the same
    # and spares a search per candidate.
    if len(candidates) * WHOLE_READ_RATIO >= doc_frequency(searcher, fieldname, text):
        return _whole_read(searcher, fieldname, text, candidates, what)
    out: dict[int, Any] = {}
    for subsearcher, offset, local in _by_segment(searcher, candidates):
        if local:
            for docnum, item in _segment_items(subsearcher, fieldname, text, local, what):
                out[docnum + offset] = item
    return out


def _segment_items(subsearcher, fieldname: str, text, local: list[int], what: str):
    """(docnum, item) for each of the sorted segment docnums ``local`` holding the term:
    values read straight from the blocks that may hold them (``blocks.term_values``),
    else (or for a block of another shape) through Whoosh's matcher."""
    terms = _w3_terms(subsearcher)
    if what not in _NO_VALUES and terms is not None:
        info = segment_term(subsearcher.reader(), fieldname, text)
        if info is None:
            return
        if not info.is_inlined():
            blocks = term_values(terms._postfile, *info.extent(), wanted=local,
                                 directory=_directory(subsearcher, fieldname, text, info))
            if blocks is not None:
                yield from _wanted_items(blocks, local, what)
                return
    matcher = _postings(subsearcher, fieldname, text)
    if matcher is not None:
        yield from _probe(matcher, local, what)


def _wanted_items(blocks, local: list[int], what: str):
    """(docnum, value or (weight, value)) for the sorted docnums ``local`` in ``blocks``."""
    k, count = 0, len(local)
    for ids, weights, values in blocks:
        last = ids[-1]
        k = bisect_left(local, ids[0], k)
        i = 0
        while k < count and local[k] <= last:
            docnum = local[k]
            i = bisect_left(ids, docnum, i)
            if ids[i] == docnum:
                yield docnum, values[i] if what == VALUE else (weights[i], values[i])
            k += 1


def _whole_read(searcher, fieldname: str, text, candidates: set[int], what: str
                ) -> dict[int, Any]:
    """``term_items`` from every block of every segment: the postings are gathered in two
    lists, and only the candidates' are kept."""
    ids: list[int] = []
    items: list[Any] = []
    for subsearcher, offset in searcher.leaf_searchers():
        for block_ids, block_items in _segment_blocks(subsearcher, fieldname, text, what):
            ids += map(offset.__add__, block_ids) if offset else block_ids
            if what != PRESENCE:
                items += block_items
    keep = candidates.intersection(ids)
    if what == PRESENCE:
        return dict.fromkeys(keep)
    out = dict(zip(ids, items))
    if len(keep) < len(out):
        out = dict(zip(keep, map(out.__getitem__, keep)))
    return out


def _segment_blocks(subsearcher, fieldname: str, text, what: str):
    """(ids, items) of every block of the term's postings in one segment: read straight
    from the postings file (``blocks.term_blocks`` when no values are needed, else
    ``blocks.term_values``), or, when a block is in another shape, through Whoosh's
    matcher."""
    terms = _w3_terms(subsearcher)
    if terms is not None:
        info = segment_term(subsearcher.reader(), fieldname, text)
        if info is None:
            return ()
        if not info.is_inlined():
            directory = _directory(subsearcher, fieldname, text, info)
            if what in _NO_VALUES:
                blocks = term_blocks(terms._postfile, *info.extent(), directory=directory)
            else:
                blocks = term_values(terms._postfile, *info.extent(), directory=directory)
                if blocks is not None:
                    blocks = [(ids, values if what == VALUE else zip(weights, values))
                              for ids, weights, values in blocks]
            if blocks is not None:
                return blocks
    matcher = _postings(subsearcher, fieldname, text)
    return () if matcher is None else _all_blocks(matcher, what)


def _w3_terms(subsearcher) -> W3TermsReader | None:
    terms = getattr(subsearcher.reader(), "_terms", None)
    return terms if isinstance(terms, W3TermsReader) else None


def _block_ids(matcher, what: str = PRESENCE) -> tuple[int, ...]:
    """The current block's ids (Whoosh's ``_read_ids``, decoding the deltas in C). When
    ``what`` needs no values, only the block's ids and weights are decoded (``blocks``)."""
    if matcher._ids is None:
        if matcher._data is None and (what in _NO_VALUES and read_head(matcher)):
            return matcher._ids
        if matcher._data is None:
            matcher._read_data()
        ids = matcher._data[0]
        matcher._ids = ids if matcher._byteids else tuple(accumulate(ids))
    return matcher._ids


def _block_items(matcher, what: str):
    """The current block's items, in id order, as ``term_items`` describes them."""
    if what == PRESENCE:
        return repeat(None)
    if what != VALUE and matcher._weights is None:
        matcher._read_weights()
    if what != WEIGHT and matcher._values is None:
        matcher._read_values()
    if what == VALUE:
        return matcher._values
    if what == WEIGHT:
        return matcher._weights
    return zip(matcher._weights, matcher._values)


def _item(matcher, what: str):
    """The item at a generic (not Whoosh 3 leaf) matcher's current posting."""
    if what == PRESENCE:
        return None
    if what == VALUE:
        return matcher.value()
    if what == WEIGHT:
        return matcher.weight()
    return matcher.weight(), matcher.value()


def _all_blocks(matcher, what: str):
    """(ids, items) of every block of one segment's matcher (generic matchers: one posting
    at a time)."""
    if not isinstance(matcher, W3LeafMatcher):
        while matcher.is_active():
            yield (matcher.id(),), (_item(matcher, what),)
            matcher.next()
        return
    while matcher.is_active():
        yield _block_ids(matcher, what), _block_items(matcher, what)
        matcher._next_block()


def _postings(subsearcher, fieldname: str, text):
    """A matcher over the term's postings in one segment, deleted documents included
    (they are never in a universe: every one comes from ``allowed``); None when absent."""
    reader = subsearcher.reader()
    terms = _w3_terms(subsearcher)
    if terms is None:
        if (fieldname, text) not in reader:
            return None
        matcher = reader.postings(fieldname, text)
        if isinstance(matcher, matching.FilterMatcher) and matcher._exclude:
            matcher = matcher.child
        return matcher
    info = segment_term(reader, fieldname, text)
    if info is None:
        return None
    field = reader.schema[fieldname]
    return terms._codec.postings_reader(terms._postfile, info, field.format,
                                        term=(fieldname, field.to_bytes(text)))


_NOT_THERE = object()
TERMS_REMEMBERED = 10_000  # per segment reader, before the memory is cleared


def segment_term(reader, fieldname: str, text):
    """The term's TermInfo in one segment (None when the segment lacks it), remembered by
    the segment's reader: Whoosh looks a term up by hashing it on every call, and a query
    asks each segment for each term several times (presence, postings, size)."""
    cache = reader.__dict__.get("_cablesearch_terms")
    if cache is None or len(cache) > TERMS_REMEMBERED:
        cache = reader.__dict__["_cablesearch_terms"] = {}
    key = (fieldname, text)
    info = cache.get(key, _NOT_THERE)
    if info is _NOT_THERE:
        try:
            info = reader.term_info(fieldname, text)
        except (TermNotFound, ValueError):
            info = None
        cache[key] = info
    return info


# A term in this many documents of a segment or more (16 blocks of 128) has its block
# directory remembered: walking 1,300 block headers of "the" costs ~13 ms a query at 10x.
DIRECTORY_FROM_POSTINGS = 2048
BLOCKS_REMEMBERED = 400_000  # per segment reader (40 bytes each), before it is cleared


def _directory(subsearcher, fieldname: str, text, info) -> Directory | None:
    """The term's ``blocks.block_directory`` in one segment, remembered by the segment's
    reader when the term is frequent; None otherwise (or when its postings are in another
    shape: the readers walk them as they go)."""
    if info.doc_frequency() < DIRECTORY_FROM_POSTINGS:
        return None
    reader = subsearcher.reader()
    cache = reader.__dict__.get("_cablesearch_directories")
    if cache is None or cache.blocks > BLOCKS_REMEMBERED:
        cache = reader.__dict__["_cablesearch_directories"] = _Directories()
    key = (fieldname, text)
    found = cache.get(key, _NOT_THERE)
    if found is _NOT_THERE:
        try:
            found = block_directory(postings_extent(_w3_terms(subsearcher)._postfile,
                                                    *info.extent()))
            cache.blocks += len(found) // 5
        except (IndexError, ValueError, struct.error):
            found = None
        cache[key] = found
    return found


class _Directories(dict):
    """Block directories by (field, term), and how many blocks they describe."""

    blocks = 0


def segment_doc_frequency(reader, fieldname: str, text) -> int:
    """The reader's ``doc_frequency`` for one segment, from ``segment_term``."""
    info = segment_term(reader, fieldname, text)
    return 0 if info is None else info.doc_frequency()


def _probe(matcher, docnums: list[int], what: str):
    """(docnum, item) for each of the sorted ``docnums`` the matcher holds (``term_items``)."""
    if not isinstance(matcher, W3LeafMatcher):
        for docnum in docnums:
            if not matcher.is_active():
                return
            if matcher.id() < docnum:
                matcher.skip_to(docnum)
            if matcher.is_active() and matcher.id() == docnum:
                yield docnum, _item(matcher, what)
        return
    items = None
    for docnum in docnums:
        if docnum > matcher._maxid:
            matcher._skip_to_block(lambda: docnum > matcher._maxid)
            if not matcher.is_active():
                return
            items = None
        ids = _block_ids(matcher, what)
        i = bisect_left(ids, docnum, matcher._i)
        matcher._i = i
        if i < len(ids) and ids[i] == docnum:
            if items is None:
                items = _block_items(matcher, what)
                items = items if what != WEIGHT_AND_VALUE else list(items)
            yield docnum, None if what == PRESENCE else items[i]


def in_segment(ordered: list[int], subsearcher, offset: int) -> list[int]:
    """The docnums of ``ordered`` (sorted, index-wide) that lie in the segment of
    ``subsearcher``, which starts at ``offset``."""
    start = bisect_left(ordered, offset)
    return ordered[start:bisect_left(ordered, offset + subsearcher.doc_count_all(), start)]


def _by_segment(searcher, docnums: Iterable[int]) -> Iterator[tuple[Any, int, list[int]]]:
    """(leaf searcher, its offset, the ``docnums`` in it as sorted segment docnums)."""
    ordered = sorted(docnums)
    for subsearcher, offset in searcher.leaf_searchers():
        yield subsearcher, offset, [d - offset for d in in_segment(ordered, subsearcher, offset)]


def _skip_through(searcher, q: query.Query, candidates: set[int]) -> set[int]:
    """Any other query: Whoosh's own matcher, skipping to each candidate."""
    found: set[int] = set()
    for subsearcher, offset, local in _by_segment(searcher, candidates):
        if not local:
            continue
        found.update(docnum + offset
                     for docnum, _ in _probe(q.matcher(subsearcher), local, PRESENCE))
    return found


# --- phrases --------------------------------------------------------------------------------

def _plain_phrase(searcher, q: query.Query) -> bool:
    """A phrase of adjacent words (slop 1) on a field with positions: checked here."""
    if not isinstance(q, query.Phrase) or q.slop != 1 or len(q.words) < 2:
        return False
    field = searcher.schema[q.fieldname] if q.fieldname in searcher.schema else None
    return bool(field and field.format and field.format.supports("positions"))


def phrase_docs(searcher, q: query.Phrase, universe: set[int]) -> set[int]:
    """Documents of ``universe`` where the phrase's words stand next to each other, in order."""
    return phrase_matches(searcher, q, universe)[0]


def phrase_matches(searcher, q: query.Phrase, universe: set[int]
                   ) -> tuple[set[int], dict[bytes, dict[int, float]]]:
    """The documents of ``universe`` holding the phrase, and each word's weight in them.

    The same rule as Whoosh's ``SpanNear2(slop=1, ordered=True, mindist=1)``: word i at
    position p + i for some p. The rarest word gives the candidates; each other word's
    postings are read only in the blocks holding a remaining candidate. With three words
    or more, the commonest is read last, only where the others already stand in place
    ("views between the": ``the`` only where "views between" stands).

    When the field has word pairs (``pairs.py``), a two-word phrase holding a common word
    is one pair's postings, and a longer one is checked only where all its pairs stand.
    """
    field = searcher.schema[q.fieldname]
    reader = searcher.reader()
    words = [field.to_bytes(w) for w in q.words]
    if any((q.fieldname, w) not in reader for w in words):
        return set(), {}
    paired = pairs_field(searcher.schema, q.fieldname)
    if paired is not None:
        pairname, pairfield = paired
        pairs = [p.encode("utf-8") for p in pairfield.phrase_pairs(list(q.words))]
        if len(words) == 2 and pairs:
            return _pair_matches(searcher, pairname, pairs[0], words, field, universe)
        # A longer phrase stands only where all of its pairs do: check positions there.
        for pair in sorted(set(pairs), key=lambda p: doc_frequency(searcher, pairname, p)):
            universe = term_docs(searcher, pairname, pair, universe)
            if not universe:
                return set(), {}
    order = sorted(set(words), key=lambda w: doc_frequency(searcher, q.fieldname, w))
    last = order[-1:] if len(order) >= 3 else []
    starts_at = _starts_memo(_positions_decoder(field.format))
    postings: dict[bytes, dict[int, tuple[float, bytes]]] = {}
    candidates: set[int] = universe
    for word in order[:len(order) - len(last)]:
        if not candidates:
            return set(), {}
        postings[word] = term_items(searcher, q.fieldname, word, candidates, WEIGHT_AND_VALUE)
        candidates = candidates.intersection(postings[word])
    starts = _starts(candidates, words, postings, starts_at, keep=bool(last))
    for word in last:
        if not starts:
            return set(), {}
        read = postings[word] = term_items(searcher, q.fieldname, word, starts.keys(),
                                           WEIGHT_AND_VALUE)
        offsets = [i for i, w in enumerate(words) if w == word]
        for docnum in list(starts):
            fits = starts[docnum]
            if docnum not in read:
                del starts[docnum]
                continue
            for i in offsets:
                fits.intersection_update(starts_at(i)[read[docnum][1]])
            if not fits:
                del starts[docnum]
    found = set(starts)
    weights = {w: {d: postings[w][d][0] for d in found} for w in postings}
    return found, weights


def _pair_matches(searcher, pairname: str, pair: bytes, words: list[bytes], field,
                  universe: set[int]) -> tuple[set[int], dict[bytes, dict[int, float]]]:
    """A two-word phrase from its pair's postings (``pairs.py``): the documents of
    ``universe`` holding it, and each word's weight in them (its frequency there, as the
    phrase's field weighs it)."""
    values = term_items(searcher, pairname, pair, universe, VALUE)
    boost = field.format.field_boost
    weighed: dict[bytes, tuple[float, float]] = {}
    firsts: dict[int, float] = {}
    seconds: dict[int, float] = {}
    for docnum, value in values.items():
        found = weighed.get(value)
        if found is None:
            first, second = decode_frequencies(value)
            found = weighed[value] = (first * boost, second * boost)
        firsts[docnum], seconds[docnum] = found
    return set(values), {words[0]: firsts, words[1]: seconds}


def _starts(candidates: set[int], words: list[bytes],
            postings: dict[bytes, dict[int, tuple[float, bytes]]], starts_at, keep: bool
            ) -> dict[int, Any]:
    """Per candidate, where the phrase may start by the positions of the words read so far
    (``postings``; the starts are kept only when asked, else None); candidates where it
    cannot start anywhere are left out."""
    placed = [(i, postings[w]) for i, w in enumerate(words) if w in postings]
    (first_i, first), later = placed[0], placed[1:]
    if len(later) == 1 and not keep:  # two words: do their starts meet? (iterated in C)
        (second_i, second), = later
        ordered = list(candidates)
        a = map(starts_at(first_i).__getitem__, map(_VALUE, map(first.__getitem__, ordered)))
        b = map(starts_at(second_i).__getitem__, map(_VALUE, map(second.__getitem__, ordered)))
        return dict.fromkeys(compress(ordered, map(not_, map(frozenset.isdisjoint, a, b))))
    out: dict[int, Any] = {}
    first_starts = starts_at(first_i)
    for docnum in candidates:
        starts = first_starts[first[docnum][1]]
        for i, word_postings in later:
            starts = starts & starts_at(i)[word_postings[docnum][1]]
            if not starts:
                break
        else:
            out[docnum] = set(starts) if keep else None
    return out


_VALUE = itemgetter(1)  # of a (weight, value) item


def _starts_memo(decode) -> Callable[[int], dict[bytes, frozenset[int]]]:
    """``starts_at(i)[value]``: where a phrase starts if its word i stands at the positions
    of ``value`` (a posting's encoded positions), remembered for the query: most values
    recur (a word once in a paragraph, at the same place), and decoding is the cost."""
    memos: dict[int, _Starts] = {}

    def starts_at(offset: int) -> _Starts:
        found = memos.get(offset)
        if found is None:
            found = memos[offset] = _Starts(decode, offset)
        return found
    return starts_at


class _Starts(dict):
    """Posting value -> the phrase's starts it allows for one word offset, decoded when
    first asked for."""

    def __init__(self, decode, offset: int) -> None:
        super().__init__()
        self.decode = decode
        self.offset = offset

    def __missing__(self, value: bytes) -> frozenset[int]:
        offset = self.offset
        found = self[value] = frozenset([p - offset for p in self.decode(value)])
        return found


def _positions_decoder(fmt):
    """``fmt.decoder("positions")``; for Whoosh's ``Positions`` the same decoding with the
    deltas summed in C (an iterable of positions)."""
    if type(fmt) is not formats.Positions:
        return fmt.decoder("positions")

    loads = pickle.loads

    def decode(value: bytes):
        return accumulate(loads(value[4:] if value[-1:] == b"." else value[4:] + b"."))
    return decode


class CheckedPhrase(query.Phrase):
    """A phrase whose matching documents are already known (``phrase_docs``).

    Its matcher is the one Whoosh's ``Phrase`` builds (the intersection of the words'
    postings, so the same scores) restricted to the known documents, without span checks.
    """

    def __init__(self, phrase: query.Phrase, docs: set[int],
                 docs_by_segment: dict[int, list[int]],
                 weights: dict[bytes, dict[int, float]] | None = None) -> None:
        super().__init__(phrase.fieldname, phrase.words, slop=phrase.slop, boost=phrase.boost,
                         char_ranges=phrase.char_ranges)
        self.docs = docs  # top-level docnums
        self.docs_by_segment = docs_by_segment  # id(subsearcher) -> sorted local docnums
        self.weights = weights  # each word's weight in each of docs, when read

    def matcher(self, searcher, context=None):
        local = self.docs_by_segment.get(id(searcher))
        field = searcher.schema[self.fieldname]
        reader = searcher.reader()
        words = [field.to_bytes(w) for w in self.words]
        if not local or any((self.fieldname, w) not in reader for w in words):
            return matching.NullMatcher()
        ms = [query.Term(self.fieldname, w).matcher(searcher, context) for w in words]
        m = OnlyIds(make_binary_tree(matching.IntersectionMatcher, ms), local)
        if self.boost != 1.0:
            m = matching.WrappingMatcher(m, boost=self.boost)
        return m


class OnlyIds(matching.WrappingMatcher):
    """The child's postings at the given (sorted) ids only, reached by skipping to them."""

    def __init__(self, child, ids: list[int]) -> None:
        super().__init__(child)
        self._ids = ids
        self._wanted = set(ids)
        self._done = False
        self._find_next()

    def is_active(self) -> bool:
        return not self._done and self.child.is_active()

    def _replacement(self, newchild):
        return self.__class__(newchild, self._ids)

    def copy(self):
        return self.__class__(self.child.copy(), self._ids)

    def _find_next(self) -> bool:
        child, ids, moved = self.child, self._ids, False
        while not self._done and child.is_active():
            current = child.id()
            if current in self._wanted:
                break
            i = bisect_left(ids, current)
            if i == len(ids):  # no wanted id left
                self._done = True
                break
            child.skip_to(ids[i])
            moved = True
        return moved

    def next(self):
        moved = self.child.next()
        return self._find_next() or moved

    def skip_to(self, id):
        self.child.skip_to(id)
        self._find_next()

    def skip_to_quality(self, minquality):
        skipped = self.child.skip_to_quality(minquality / self.boost)
        self._find_next()
        return skipped

    def all_ids(self):
        return (i for i in self.child.all_ids() if i in self._wanted)


def with_checked_phrases(searcher, q: query.Query, universe: set[int],
                         known: dict | None = None) -> query.Query:
    """``q`` with every plain phrase replaced by a ``CheckedPhrase`` over ``universe``.

    ``known``: phrases already checked over a larger universe (reused: ``docset``
    intersects a CheckedPhrase's documents with its universe); new ones are added to it.
    """
    known = {} if known is None else known
    if _plain_phrase(searcher, q):
        key = (q.fieldname, tuple(q.words))
        if key not in known:
            docs, weights = phrase_matches(searcher, q, universe)
            by_segment = {id(sub): local for sub, _offset, local in _by_segment(searcher, docs)}
            known[key] = CheckedPhrase(q, docs, by_segment, weights)
        checked = known[key]
        if checked.boost != q.boost:
            checked = CheckedPhrase(q, checked.docs, checked.docs_by_segment, checked.weights)
        return checked
    if q.is_leaf():
        return q
    return q.apply(lambda child: with_checked_phrases(searcher, child, universe, known))
