"""A posting block's ids and weights read from the front of its pickle (``blocks``) are
the ones Whoosh decodes from the whole block."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search_fixtures import search_index  # noqa: F401  (fixture)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 2**31 - 1), min_size=1, max_size=130),
       st.sampled_from(["ones", "same", "each"]), st.sampled_from([2, 3]), st.data())
def test_ids_and_weights_read_any_block_pickle(deltas, kind, protocol, data):
    """Whoosh's writer pickles blocks with protocol 2, the bulk writer with 3."""
    from indexer.engines.whoosh.blocks import ids_and_weights

    n = len(deltas)
    if kind == "ones":
        weights = None
    elif kind == "same":
        weights = data.draw(st.floats(0.5, 1e6, width=32))
    else:
        weights = tuple(data.draw(st.lists(st.floats(0.5, 1e6, width=32), min_size=n,
                                           max_size=n)))
    values = tuple(bytes([i % 256]) * (i % 7) for i in range(n))  # as Positions stores them
    blob = pickle.dumps((tuple(deltas), weights, values), protocol)  # Whoosh 3's block pickle
    assert ids_and_weights(blob, n) == (deltas, weights)
    # a head cut anywhere inside the ids or weights is not read as a block
    # (the pair's pickle ends with TUPLE2, a memo entry and STOP; a tuple of weights has
    # its own memo entry)
    head_end = len(pickle.dumps((tuple(deltas), weights), protocol)) - 4 \
        - (2 if isinstance(weights, tuple) else 0)
    cut = data.draw(st.integers(2, head_end - 1))
    with pytest.raises((IndexError, ValueError)):
        found = ids_and_weights(blob[:cut], n)
        if found is None:
            raise ValueError("not read")




@pytest.mark.corpus
@pytest.mark.parametrize("engine_name", ["whoosh"], indirect=True)
def test_blocks_read_as_whoosh_reads_them(search_index):
    """Every block of a spread of terms (the most frequent, whose blocks are full and dense,
    and every 50th term of the lexicon, whose ids are sparse), in every segment: its ids
    and weights from the front of a matcher's block (``read_head``) and from a walk of the
    term's postings (``term_blocks``) are what Whoosh decodes; so are its ids, weights and
    values from ``term_values``, every block or only those that may hold given documents
    (the most frequent terms' blocks are stored raw, the others compressed), whether the
    blocks are walked or found in a ``block_directory``."""
    from whoosh import index
    from whoosh.codec.whoosh3 import W3LeafMatcher

    from indexer.engines.whoosh.blocks import (block_directory, postings_extent, read_head,
                                               term_blocks, term_values)

    ix = index.open_dir(str(search_index))
    with ix.searcher() as s:
        reader = s.reader()
        by_frequency = sorted(reader.iter_field("text"), key=lambda kv: -kv[1].doc_frequency())
        terms = [t for t, _ in by_frequency[:20]] + [t for t, _ in by_frequency[::50]]
        blocks = 0
        for sub, _offset in s.leaf_searchers():
            for term in terms:
                if ("text", term) not in sub.reader():
                    continue
                # a segment with deletions wraps its leaf matcher in a FilterMatcher
                fast, slow = (getattr(m, "child", m) for m in
                              (sub.reader().postings("text", term) for _ in range(2)))
                assert isinstance(fast, W3LeafMatcher)  # Whoosh 2.7.4 never inlines postings
                extent = (fast._postfile, fast._startoffset, fast._length)
                walked, with_values = term_blocks(*extent), term_values(*extent)
                assert walked is not None and with_values is not None
                assert len(walked) == len(with_values)
                directory = block_directory(postings_extent(*extent))
                assert len(directory) == 5 * len(walked)
                assert term_blocks(*extent, directory=directory) == walked
                assert term_values(*extent, directory=directory) == with_values
                for (ids, weights), (ids_too, weights_too, values) in zip(walked, with_values):
                    assert fast.is_active() and read_head(fast)
                    slow._read_ids()
                    slow._read_weights()
                    slow._read_values()
                    assert fast._ids == slow._ids == ids == ids_too
                    assert type(fast._weights) is type(slow._weights) is type(weights) \
                        is type(weights_too)
                    assert list(fast._weights) == list(slow._weights) == list(weights) \
                        == list(weights_too)
                    assert slow._values == values
                    blocks += 1
                    fast._next_block()
                    slow._next_block()
                assert not slow.is_active()  # the walk found every block
                every_ids = [ids for ids, _w, _v in with_values]
                for wanted in ([every_ids[0][0]], [every_ids[-1][-1]], every_ids[0][1:2],
                               [every_ids[-1][-1] + 1]):
                    some = term_values(*extent, wanted=wanted)
                    assert [ids for ids, _w, _v in some] == \
                        [ids for ids in every_ids if wanted and ids[0] <= wanted[0] <= ids[-1]]
                    assert term_values(*extent, wanted=wanted, directory=directory) == some
        assert blocks > 500


@pytest.mark.corpus
@pytest.mark.parametrize("engine_name", ["whoosh"], indirect=True)
def test_remembered_segment_terms_are_whooshs(search_index):
    """What ``segment_term`` remembers per segment (presence, size, postings) is what the
    segment's reader says, for terms it holds and terms it lacks."""
    from whoosh import index

    from indexer.engines.whoosh.postings import _postings, segment_doc_frequency, segment_term

    ix = index.open_dir(str(search_index))
    with ix.searcher() as s:
        by_frequency = sorted(s.reader().iter_field("text"), key=lambda kv: -kv[1].doc_frequency())
        terms = [t for t, _ in by_frequency[::40]] + [b"zzznotaword"]
        for sub, _offset in s.leaf_searchers():
            reader = sub.reader()
            for _round in range(2):  # asked, then remembered
                for term in terms:
                    held = ("text", term) in reader
                    assert (segment_term(reader, "text", term) is not None) == held
                    assert segment_doc_frequency(reader, "text", term) == \
                        reader.doc_frequency("text", term)
                    matcher = _postings(sub, "text", term)
                    assert (matcher is None) == (not held)
                    if held:  # deleted documents are left to the caller
                        ours = [d for d in matcher.all_ids() if not reader.is_deleted(d)]
                        assert ours == list(reader.postings("text", term).all_ids())
