"""A Whoosh 3 posting block's ids and weights, read without unpickling its values.

Whoosh 2.7.4 stores a block as one pickle (protocol 2, usually zlib-compressed) of
``(id deltas, weights, values)``. For a field with positions the values are most of it,
and protocol 2 pickles each value (bytes) as a call of ``codecs.encode`` on a string: that
is where most of the time of ``pickle.loads`` goes (our bulk writer pickles blocks with
protocol 3, which stores bytes as bytes; the ids and weights are the same opcodes). A query
that needs no positions (words, AND, OR) needs only the ids and weights, which come first
in the pickle. Here only the front of the block is decompressed (``zlib``'s
``max_length``) and its two tuples are read from the pickle's opcodes: the same numbers
``W3LeafMatcher._read_ids`` and ``_read_weights`` give. A block of any other shape is left
to Whoosh (``read_head`` says False and nothing is set). ``term_values`` reads whole blocks,
values too, of the blocks that may hold given documents.
"""

from __future__ import annotations

import struct
import zlib
from array import array
from bisect import bisect_right
from functools import lru_cache
from itertools import accumulate, chain
from pickle import UnpicklingError, loads
from typing import Any, Iterator

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC
from whoosh.filedb.structfile import BufferFile

PROTO_2 = b"\x80\x02"
BLOCK_PROTOCOLS = (b"\x80\x02", b"\x80\x03")  # Whoosh's writer's, our bulk writer's
MARK, TUPLE, NONE, BINFLOAT, STOP = 0x28, 0x74, 0x4E, 0x47, 0x2E  # "(", "t", "N", "G", "."
BININT1, BININT2, BININT = 0x4B, 0x4D, 0x4A  # "K", "M", "J"
BINPUT, LONG_BINPUT = 0x71, 0x72  # "q", "r": memo entries after each tuple
TUPLE1 = 0x85  # TUPLE1..TUPLE3: tuples of 1-3 items have no MARK
_ONE_BYTE = b"K"
_FLOAT = b"G"
_ONE_FLOAT = struct.Struct(">d")
_BLOCK_SIZE = struct.Struct("!i")
Directory = array  # of "q": five numbers per block (``block_directory``)


def read_head(matcher) -> bool:
    """Set the current block's ``_ids`` and ``_weights`` on a ``W3LeafMatcher`` (as its
    ``_read_ids`` / ``_read_weights`` would) from the front of the block; False, leaving
    the matcher as it was, when the block is not in the shape read here."""
    data = matcher._postfile.get(matcher._dataoffset, matcher._nextoffset - matcher._dataoffset)
    try:
        found = _decode(data, matcher._blocklength, matcher._compression)
    except (IndexError, ValueError, struct.error, zlib.error):
        return False
    if found is None:
        return False
    matcher._ids, matcher._weights = found
    return True


def term_blocks(postfile, offset: int, length: int, directory: Directory | None = None
                ) -> list[tuple[tuple[int, ...], Any]] | None:
    """(ids, weights) of every block of a term's postings at ``offset`` (``length`` bytes,
    its terminfo's extent) in a segment's postings file, weights as ``read_head`` gives
    them; None when some block is not in the shape read here. ``directory``: the extent's
    ``block_directory``, when known."""
    data = postings_extent(postfile, offset, length)
    out = []
    try:
        for n, _last, compression, start, end in _blocks(data, directory):
            found = _decode(data[start:end], n, compression)
            if found is None:
                return None
            out.append(found)
    except (IndexError, ValueError, struct.error, zlib.error):
        return None
    return out


def term_values(postfile, offset: int, length: int, wanted: list[int] | None = None,
                directory: Directory | None = None
                ) -> list[tuple[tuple[int, ...], Any, tuple[bytes, ...]]] | None:
    """(ids, weights, values) of the blocks of a term's postings (as ``term_blocks``) that
    may hold one of the sorted docnums ``wanted`` (every block: None), each block decoded
    whole, as Whoosh's matcher decodes it; None when a block's values are not one bytes
    value per posting (a format of fixed value size)."""
    data = postings_extent(postfile, offset, length)
    out = []
    k, count = 0, len(wanted) if wanted is not None else 0
    try:
        for n, last, compression, start, end in _blocks(data, directory):
            if wanted is not None:
                if k >= count:
                    break
                if wanted[k] > last:
                    continue
                k = bisect_right(wanted, last, k)
            block = data[start:end]
            deltas, weights, values = loads(zlib.decompress(block) if compression else block)
            if not isinstance(values, tuple) or len(values) != n:
                return None
            out.append((tuple(accumulate(deltas)), _all_weights(weights, n), values))
    except (IndexError, ValueError, TypeError, struct.error, zlib.error, UnpicklingError):
        return None
    return out


def postings_extent(postfile, offset: int, length) -> Any:
    """A term's postings (its terminfo's extent): a view of the segment's bytes when the
    segment is mapped (Whoosh's ``get`` copies them: 7 MB for "the" at 10x)."""
    if isinstance(length, tuple):  # W3TermInfo.from_bytes keeps it as unpack's tuple
        (length,) = length
    if type(postfile) is BufferFile and isinstance(postfile._buf, memoryview):
        return postfile._buf[offset:offset + length]
    return postfile.get(offset, length)


def block_directory(data) -> Directory:
    """Where each block of a term's postings (``postings_extent``) is and what it holds:
    ``_walk``'s five numbers per block, flat. Raises ValueError (or struct.error or
    IndexError) when the postings are not in the shape read here."""
    return array("q", chain.from_iterable(_walk(data)))


def _blocks(data, directory: Directory | None) -> Iterator[tuple[int, int, int, int, int]]:
    if directory is None:
        return _walk(data)
    numbers = iter(directory)
    return zip(numbers, numbers, numbers, numbers, numbers)


def _walk(data) -> Iterator[tuple[int, int, int, int, int]]:
    """(postings, last id, compression, data start, data end) of each block of a term's
    postings. The same walk as ``W3LeafMatcher`` (a magic tag, then per block: its signed
    length, negative for the last, a pickled header and the data) without a matcher's
    file calls per block."""
    if bytes(data[:4]) != WHOOSH3_HEADER_MAGIC:
        raise ValueError("not Whoosh 3 postings")
    p = 4
    while True:
        (size,) = _BLOCK_SIZE.unpack_from(data, p)
        end = p + 4 + abs(size)
        n, last, compression, start = _block_header(data, p + 4)
        yield n, last, compression, start, end
        if size < 0:
            return
        p = end


def _decode(block, n: int, compression: int) -> tuple[tuple[int, ...], Any] | None:
    """(ids, weights) of an n-posting block's data as ``W3LeafMatcher`` reads them, from
    the front of its pickle only; None when it is not in the shape read here."""
    head = zlib.decompressobj().decompress(block, _head_bound(n)) if compression \
        else bytes(block)
    found = ids_and_weights(head, n)
    if found is None:
        return None
    deltas, weights = found
    return tuple(accumulate(deltas)), _all_weights(weights, n)


def _all_weights(weights: tuple | float | None, n: int) -> Any:
    """A block's weights as ``W3LeafMatcher._read_weights`` gives them."""
    if weights is None:  # every weight 1.0
        return array("f", [1.0]) * n
    if isinstance(weights, float):  # every weight the same
        return array("f", [weights]) * n
    return weights


def _block_header(data, p: int) -> tuple[int, int, int, int]:
    """(postings, last id, compression, where the data starts) from a block's pickled header
    ``(count, last id, max weight, compression, min length byte, max length byte)``."""
    if data[p] != PROTO_2[0] or data[p + 1] != PROTO_2[1] or data[p + 2] != MARK:
        raise ValueError("not a block header")
    p += 3
    items = []
    for _ in range(6):
        opcode = data[p]
        if opcode == BINFLOAT:
            items.append(None)  # the max weight: not needed here
            p += 9
        elif opcode == NONE:
            items.append(None)
            p += 1
        else:
            value, p = _int(data, p)
            items.append(value)
    if data[p] != TUPLE:
        raise ValueError("not a block header")
    p = _memo(data, p + 1)
    if data[p] != STOP:
        raise ValueError("not a block header")
    n, last, compression = items[0], items[1], items[3]
    if not all(isinstance(x, int) for x in (n, last, compression)) or n <= 0:
        raise ValueError("not a block header")
    return n, last, compression, p + 1


def _head_bound(n: int) -> int:
    """Bytes enough for the pickle's ids and weights of an n-posting block: per posting at
    most 5 (an int) and 9 (a float), plus marks, tuple ends and memo entries."""
    return 32 + 14 * n


def ids_and_weights(head: bytes, n: int) -> tuple[list[int], tuple | float | None] | None:
    """(id deltas, weights) from the front of a block's pickle: weights a tuple of floats,
    one float (all alike) or None (all 1.0). None when the pickle is not in that shape."""
    if head[:2] not in BLOCK_PROTOCOLS:
        return None
    deltas, p = _ints(head, _open(head, 2, n), n)
    p = _close(head, p, n)
    if p < 0:
        return None
    p = _memo(head, p)
    if head[p] == NONE:
        return deltas, None
    start = _open(head, p, n)
    if start >= 0 and head[start:start + 9 * n:9] == _FLOAT * n \
            and _close(head, start + 9 * n, n) >= 0:
        return deltas, _floats(n).unpack_from(head, start)
    # One float for all. What follows it starts the values' tuple: never a float or the
    # end of a tuple, which is what follows the first of up to 3 weights (no MARK).
    if head[p] == BINFLOAT and head[p + 9] not in (BINFLOAT, TUPLE1):
        return deltas, _ONE_FLOAT.unpack_from(head, p + 1)[0]
    return None


def _open(head: bytes, p: int, n: int) -> int:
    """Past the MARK that opens a tuple of n > 3 items (-1 when it is missing)."""
    if n <= 3:
        return p
    return p + 1 if p >= 0 and head[p] == MARK else -1


def _close(head: bytes, p: int, n: int) -> int:
    """Past the opcode that closes a tuple of n items (-1 when it is another)."""
    expected = TUPLE if n > 3 else TUPLE1 + n - 1
    return p + 1 if head[p] == expected else -1


def _memo(head: bytes, p: int) -> int:
    opcode = head[p]
    if opcode == BINPUT:
        return p + 2
    if opcode == LONG_BINPUT:
        return p + 5
    return p


def _ints(head: bytes, p: int, n: int) -> tuple[list[int], int]:
    """n pickled non-negative ints from ``p``. Deltas of dense ids are mostly one byte
    each (BININT1): each run of those is taken in one slice, the others one by one."""
    if p < 0:
        raise ValueError("no tuple")
    out: list[int] = []
    left = n
    while left:
        opcodes = head[p:p + 2 * left:2]
        run = len(opcodes) - len(opcodes.lstrip(_ONE_BYTE))  # leading one-byte ints
        if run:
            out += head[p + 1:p + 2 * run:2]
            p += 2 * run
            left -= run
        if left:
            value, p = _int(head, p)
            out.append(value)
            left -= 1
    return out, p


def _int(head: bytes, p: int) -> tuple[int, int]:
    opcode = head[p]
    if opcode == BININT1:
        return head[p + 1], p + 2
    if opcode == BININT2:
        return head[p + 1] | head[p + 2] << 8, p + 3
    if opcode == BININT:
        return int.from_bytes(head[p + 1:p + 5], "little", signed=True), p + 5
    raise ValueError(f"opcode {opcode:#x} is not an int")


@lru_cache(maxsize=None)
def _floats(n: int) -> struct.Struct:
    """n pickled floats: each a BINFLOAT opcode and a big-endian double."""
    return struct.Struct(">" + "xd" * n)
