"""Top-k scoring: the k best-scoring documents of a set, and every one tying the k-th.

Whoosh's own ``TopCollector`` skips posting blocks that cannot beat the k-th score, which
is what makes a top-10 search cheap, but it also drops documents that only *equal* the
k-th score. Our ranking breaks equal scores by the cable's date, so ties at the cut must
all be kept: this collector skips only blocks whose best possible score is below the cut,
and the caller breaks the ties. The scores are Whoosh's own: its matchers', or, when the
query's matches were estimated from posting blocks, ``approx.exact_scores`` (equal to them).
"""

from __future__ import annotations

from heapq import heappush, heapreplace, nlargest

from whoosh import collectors, matching, query

from .approx import Estimate, exact_scores, near_top
from .postings import OnlyIds, in_segment


class TopWithTies(collectors.ScoredCollector):
    """Scores the documents of ``allow`` that may rank in the top ``k`` (k >= 1)."""

    def __init__(self, k: int, allow: set[int], skip_to_allowed: bool = True) -> None:
        # No matcher replacement: Whoosh's replace(minquality) prunes sub-matchers by
        # max_quality bounds that do not hold across segments (top documents went missing).
        super().__init__(replace=0)
        self.k = k
        self.allow = allow
        self.skip_to_allowed = skip_to_allowed

    def prepare(self, top_searcher, q, context) -> None:
        super().prepare(top_searcher, q, context)
        self.best: list[float] = []  # a min-heap of the k best scores so far
        self.found: list[tuple[float, int]] = []
        self.ordered = sorted(self.allow) if self.skip_to_allowed else []
        self.minscore = None

    def set_subsearcher(self, subsearcher, offset) -> None:
        # The matcher visits only this segment's allowed documents, skipping to each one
        # (an AND or a phrase otherwise steps through every document of its rarest part);
        # a segment without any is not even set up.
        if not self.skip_to_allowed:
            super().set_subsearcher(subsearcher, offset)
            return
        inside = in_segment(self.ordered, subsearcher, offset)
        if not inside:
            self.subsearcher, self.offset = subsearcher, offset
            self.matcher = matching.NullMatcher()
            return
        super().set_subsearcher(subsearcher, offset)
        local = [d - offset for d in inside] if offset else inside
        self.matcher = OnlyIds(self.matcher, local)

    def _use_block_quality(self) -> bool:
        return self.matcher.supports_block_quality()

    def matches(self):
        """Whoosh's loop without matcher replacement, reading the cut after every document:
        its own reads a new cut only where it replaces the matcher, which we do not, so it
        skipped no block at all."""
        matcher = self.matcher
        usequality = self._use_block_quality()
        minscore = self.minscore
        checkquality = True
        while matcher.is_active():
            if self.minscore != minscore:
                minscore, checkquality = self.minscore, True
            if usequality and checkquality and minscore is not None:
                self.skipped_times += matcher.skip_to_quality(minscore)
                if not matcher.is_active():
                    break
            yield matcher.id()
            checkquality = matcher.next()

    def collect_matches(self) -> None:
        allow, offset, collect = self.allow, self.offset, self.collect
        for sub_docnum in self.matches():
            if offset + sub_docnum in allow:
                collect(sub_docnum)

    def _collect(self, global_docnum: int, score: float) -> None:
        best = self.best
        if len(best) < self.k:
            heappush(best, score)
            self.found.append((score, global_docnum))
            if len(best) == self.k:
                self._cut_at(best[0])
        elif score >= best[0]:
            self.found.append((score, global_docnum))
            if score > best[0]:
                heapreplace(best, score)
                self._cut_at(best[0])

    def _cut_at(self, kth: float) -> None:
        # Blocks and sub-matchers are skipped when their best score is at most minscore:
        # just below the k-th score, so that documents equal to it are still scored. The
        # margin covers Whoosh's block bounds, which use a block's float64 maximum weight
        # where a document's score uses its float32 weight (about 1e-8 higher).
        self.minscore = kth - abs(kth) * 1e-6 - 1e-9

    def results(self) -> list[tuple[float, int]]:
        if len(self.best) < self.k:
            return self.found
        kth = self.best[0]
        return [item for item in self.found if item[0] >= kth]


def top_scored(searcher, q: query.Query, allow: set[int], k: int,
               estimate: Estimate | None = None) -> list[tuple[float, int]]:
    """(score, docnum) of at least the top ``k`` of ``allow`` by score, all ties at the cut
    included, in no particular order. ``allow`` must hold only documents matching ``q``.

    ``estimate``: what ``approx.approximate`` read of ``q``'s matches; then only the
    documents whose estimate may reach the top ``k`` are totalled, as Whoosh totals them.
    """
    if k <= 0 or not allow or q is query.NullQuery:
        return []
    if estimate is not None:
        scored = exact_scores(searcher, q, near_top(estimate.scores, allow, k), estimate)
        if len(scored) <= k:
            return scored
        kth = nlargest(k, (score for score, _d in scored))[-1]
        return [item for item in scored if item[0] >= kth]
    collector = TopWithTies(min(k, len(allow)), allow)
    searcher.search_with_collector(q, collector)
    return collector.results()


def all_scored(searcher, q: query.Query, allow: set[int]) -> list[tuple[float, int]]:
    """(score, docnum) of every document of ``allow`` matching ``q``, in one pass."""
    if not allow or q is query.NullQuery:
        return []
    collector = TopWithTies(len(allow), allow, skip_to_allowed=False)
    searcher.search_with_collector(q, collector)
    return collector.results()
