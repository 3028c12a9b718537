"""The query mix: a fixed set of queries drawn from the corpus's own words and phrases.

The mix is drawn from the 1× cables with a fixed seed, so every engine and every scale runs
the same queries. Words are letters only (no numbers, no underscores), so every engine's
tokenizer cuts them the same way; a phrase is a run of such words that stand next to each
other in a real paragraph.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Iterable

from indexer.model import Cable

CLASSES: tuple[str, ...] = ("rare", "common", "and", "phrase", "tag", "origin", "date_range",
                            "facets", "per_cable", "sort_date")
# What `cables search --facets` asks for: every facet, the month histogram included.
FACETS: list[str] = ["classification", "level", "origin", "tags", "year", "month"]
DEFAULT_SEED = 20101128  # the day the first cables were published

WORD = re.compile(r"[^\W\d_]{3,}")
TOKEN = re.compile(r"\w+")
# Words too common to be worth asking for alone; they still occur inside phrases.
STOPWORDS = frozenset("""
the and for that this with from have has had are was were will would could should been
their there they them than then what when which while who whom its not but also into over
under about after before other such only some more most any all can may might must our
your his her she him these those being does did said says very just per out one two new
""".split())


@dataclass
class BenchQuery:
    """One query of the mix, in a form every engine can render in its own syntax."""

    qid: int
    cls: str
    words: list[str]
    phrase: bool = False
    tags: list[str] = field(default_factory=list)
    origin: str | None = None
    date_from: str | None = None  # ISO dates, so the spec is plain JSON
    date_to: str | None = None
    sort: str = "relevance"
    per_cable: bool = False
    facets: list[str] = field(default_factory=list)
    limit: int = 10

    @property
    def text(self) -> str:
        """The query as a user types it into ``cables search`` (the Whoosh language)."""
        joined = " ".join(self.words)
        return f'"{joined}"' if self.phrase else joined

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["text"] = self.text
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "BenchQuery":
        data = {k: v for k, v in data.items() if k != "text"}
        return cls(**data)

    def date_range(self) -> tuple[date | None, date | None]:
        return (date.fromisoformat(self.date_from) if self.date_from else None,
                date.fromisoformat(self.date_to) if self.date_to else None)


class _Vocabulary:
    """Paragraph frequencies of the corpus's words, and the paragraphs themselves."""

    def __init__(self, cables: list[Cable]) -> None:
        self.cables = [c for c in cables if c.paragraphs]
        self.paragraphs = [(c, p) for c in self.cables for p in c.paragraphs]
        self.frequency: Counter[str] = Counter()
        for _, paragraph in self.paragraphs:
            self.frequency.update(set(WORD.findall(paragraph.text.lower())))
        total = max(1, len(self.paragraphs))
        by_frequency = sorted(self.frequency.items(), key=lambda kv: (-kv[1], kv[0]))
        content = [(w, n) for w, n in by_frequency if w not in STOPWORDS and len(w) >= 4]
        self.common = [w for w, _ in content[:100]]
        self.middle = sorted(w for w, n in content if 10 <= n <= max(10, total // 50))
        self.rare = sorted(w for w, n in content if 2 <= n <= 5 and len(w) >= 5)

    def words_of(self, cable: Cable, pool: set[str]) -> list[str]:
        found = {w for p in cable.paragraphs for w in WORD.findall(p.text.lower())}
        return sorted(found & pool)


def build_mix(cables: Iterable[Cable], per_class: int = 25,
              seed: int = DEFAULT_SEED) -> list[BenchQuery]:
    """``per_class`` queries of each class in CLASSES, the same for the same cables and seed."""
    vocabulary = _Vocabulary(sorted(cables, key=lambda c: c.refid))
    if not vocabulary.paragraphs:
        raise ValueError("no paragraphs to draw queries from")
    rng = random.Random(seed)
    draw = {
        "rare": _rare, "common": _common, "and": _two_words, "phrase": _phrase,
        "tag": _tag, "origin": _origin, "date_range": _date_range, "facets": _facets,
        "per_cable": _per_cable, "sort_date": _sort_date,
    }
    mix: list[BenchQuery] = []
    for cls in CLASSES:
        for i in range(per_class):
            query = draw[cls](vocabulary, rng, i)
            query.qid = len(mix)
            query.cls = cls
            mix.append(query)
    return mix


def _pick(rng: random.Random, pool: list[str], fallback: list[str]) -> str:
    return rng.choice(pool or fallback)


def _rare(v: _Vocabulary, rng: random.Random, i: int) -> BenchQuery:
    return BenchQuery(0, "", [_pick(rng, v.rare, v.middle or v.common)])


def _common(v: _Vocabulary, rng: random.Random, i: int) -> BenchQuery:
    return BenchQuery(0, "", [v.common[i % len(v.common)]])


def _facets(v: _Vocabulary, rng: random.Random, i: int) -> BenchQuery:
    # The same words as the common class, so facets can be compared with the query they count.
    return BenchQuery(0, "", [v.common[i % len(v.common)]], facets=list(FACETS))


def _per_cable(v: _Vocabulary, rng: random.Random, i: int) -> BenchQuery:
    return BenchQuery(0, "", [_pick(rng, v.common, v.middle)], per_cable=True)


def _sort_date(v: _Vocabulary, rng: random.Random, i: int) -> BenchQuery:
    return BenchQuery(0, "", [_pick(rng, v.common + v.middle, v.rare)], sort="-date")


def _two_words(v: _Vocabulary, rng: random.Random, i: int) -> BenchQuery:
    middle = set(v.middle) | set(v.common)
    for _ in range(200):
        _, paragraph = rng.choice(v.paragraphs)
        words = sorted(set(WORD.findall(paragraph.text.lower())) & middle)
        if len(words) >= 2:
            return BenchQuery(0, "", rng.sample(words, 2))
    return BenchQuery(0, "", rng.sample(v.common, 2))


def _phrase(v: _Vocabulary, rng: random.Random, i: int) -> BenchQuery:
    for _ in range(500):
        _, paragraph = rng.choice(v.paragraphs)
        tokens = TOKEN.findall(paragraph.text.lower())
        length = rng.choice((2, 3))
        starts = [s for s in range(len(tokens) - length + 1)
                  if all(WORD.fullmatch(t) for t in tokens[s:s + length])
                  and any(t not in STOPWORDS for t in tokens[s:s + length])]
        if starts:
            start = rng.choice(starts)
            return BenchQuery(0, "", tokens[start:start + length], phrase=True)
    return BenchQuery(0, "", [rng.choice(v.common)])


def _with_filter(v: _Vocabulary, rng: random.Random, usable, make) -> BenchQuery:
    """A word of a cable that passes the filter, so the filtered result is not empty."""
    pool = set(v.common) | set(v.middle)
    candidates = [c for c in v.cables if usable(c)]
    if not candidates:
        return BenchQuery(0, "", [rng.choice(v.common)])
    cable = rng.choice(candidates)
    words = v.words_of(cable, pool) or v.common
    query = BenchQuery(0, "", [rng.choice(words)])
    make(query, cable)
    return query


def _tag(v: _Vocabulary, rng: random.Random, i: int) -> BenchQuery:
    def make(query: BenchQuery, cable: Cable) -> None:
        query.tags = [rng.choice(sorted(cable.tags))]
    return _with_filter(v, rng, lambda c: bool(c.tags), make)


def _origin(v: _Vocabulary, rng: random.Random, i: int) -> BenchQuery:
    def make(query: BenchQuery, cable: Cable) -> None:
        query.origin = cable.origin
    return _with_filter(v, rng, lambda c: bool(c.origin), make)


def _date_range(v: _Vocabulary, rng: random.Random, i: int) -> BenchQuery:
    def make(query: BenchQuery, cable: Cable) -> None:
        year = cable.created.year
        query.date_from = date(year, 1, 1).isoformat()
        query.date_to = date(year, 12, 31).isoformat()
    query = _with_filter(v, rng, lambda c: c.created is not None, make)
    # A common word, so that the date range is what narrows the result.
    query.words = [rng.choice(v.common)]
    return query
