"""Release history of a cable: what each version is, and what changed between two.

Cables were released more than once, sometimes with different text (a name redacted, a
URL removed, a header re-typed). The diff works paragraph by paragraph: paragraphs are
aligned by their text (so a renumbering is not a change of every paragraph), then each
changed pair gets a word-level diff and a unified diff of its sentences.

Pure functions over :class:`~indexer.model.Cable` values: no index, no I/O.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

from .model import Cable, Paragraph
from .versions import version_digest

# Header fields compared between versions, in display order.
COMPARED_FIELDS = ("subject", "classification", "origin", "tags", "references", "released")
# Two paragraphs whose texts are at least this similar are one paragraph changed, not one
# removed and another added.
SAME_PARAGRAPH_RATIO = 0.5


@dataclass
class VersionInfo:
    """One version of a cable as the history lists it."""

    number: int  # 1 = oldest release
    released: str | None  # ISO date
    source: str | None
    format: str | None
    digest: str
    paragraphs: int
    classification: str | None = None
    subject: str | None = None

    @classmethod
    def of(cls, number: int, cable: Cable) -> "VersionInfo":
        return cls(number=number, released=cable.released.isoformat() if cable.released else None,
                   source=cable.source, format=cable.format, digest=version_digest(cable),
                   paragraphs=len(cable.paragraphs), classification=cable.classification,
                   subject=cable.subject)


@dataclass
class ParagraphChange:
    """A paragraph added, removed or changed between two versions."""

    status: str  # added | removed | changed
    old_number: int | None
    new_number: int | None
    old_text: str | None
    new_text: str | None
    old_marking: str | None = None
    new_marking: str | None = None
    words: str = ""  # word diff: [-removed words-] {+added words+}
    unified: list[str] = field(default_factory=list)  # unified diff over sentences

    @property
    def label(self) -> str:
        """'¶3', '¶3→¶4', or '¶5 (new)' for display."""
        if self.status == "added":
            return f"¶{self.new_number} (new)"
        if self.status == "removed":
            return f"¶{self.old_number} (removed)"
        if self.old_number == self.new_number:
            return f"¶{self.new_number}"
        return f"¶{self.old_number}→¶{self.new_number}"


@dataclass
class CableDiff:
    """What changed from one version of a cable to another."""

    refid: str
    old: VersionInfo
    new: VersionInfo
    fields: dict[str, tuple[Any, Any]]  # header field → (old value, new value), changed only
    paragraphs: list[ParagraphChange]
    unchanged: int  # paragraphs identical (after whitespace) in both

    @property
    def identical(self) -> bool:
        return not self.fields and not self.paragraphs

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["fields"] = {name: {"old": old, "new": new} for name, (old, new) in self.fields.items()}
        for change, item in zip(self.paragraphs, data["paragraphs"]):
            item["label"] = change.label
        data["identical"] = self.identical
        return data


def version_list(versions: Sequence[Cable]) -> list[VersionInfo]:
    """The versions numbered 1… in the order given (oldest release first)."""
    return [VersionInfo.of(number, cable) for number, cable in enumerate(versions, start=1)]


def diff_cables(old: Cable, new: Cable, old_number: int = 1, new_number: int = 2) -> CableDiff:
    """The paragraph-level difference between two versions of one cable."""
    return CableDiff(
        refid=new.refid or old.refid,
        old=VersionInfo.of(old_number, old),
        new=VersionInfo.of(new_number, new),
        fields=_field_changes(old, new),
        paragraphs=[change for change in _paragraph_changes(old.paragraphs, new.paragraphs)
                    if change is not None],
        unchanged=_count_unchanged(old.paragraphs, new.paragraphs),
    )


def _field_changes(old: Cable, new: Cable) -> dict[str, tuple[Any, Any]]:
    changes: dict[str, tuple[Any, Any]] = {}
    for name in COMPARED_FIELDS:
        a, b = _field_value(old, name), _field_value(new, name)
        if a != b:
            changes[name] = (a, b)
    return changes


def _field_value(cable: Cable, name: str) -> Any:
    value = getattr(cable, name)
    if name == "references":
        return [reference.written for reference in value]
    if name == "released":
        return value.isoformat() if value else None
    if isinstance(value, str):
        return normalize(value)
    return value


# Typographic quotes and apostrophes compare as plain ones: builds of the release differ in
# them throughout (’ for ', “ ” for "), which would bury the changes that matter.
_PLAIN_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'",
                               "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"'})


def normalize(text: str | None) -> str:
    """Whitespace folded and quotes made plain: re-wrapped lines are not a change."""
    return " ".join((text or "").translate(_PLAIN_QUOTES).split())


def _key(paragraph: Paragraph) -> str:
    return normalize(paragraph.text)


def _count_unchanged(old: Sequence[Paragraph], new: Sequence[Paragraph]) -> int:
    matcher = difflib.SequenceMatcher(a=[_key(p) for p in old], b=[_key(p) for p in new], autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks())


def _paragraph_changes(old: Sequence[Paragraph], new: Sequence[Paragraph]) -> list[ParagraphChange | None]:
    """Align the two paragraph lists by text; pair similar paragraphs inside replaced runs."""
    matcher = difflib.SequenceMatcher(a=[_key(p) for p in old], b=[_key(p) for p in new], autojunk=False)
    changes: list[ParagraphChange | None] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            changes.extend(_marking_change(old[i1 + k], new[j1 + k]) for k in range(i2 - i1))
        elif tag == "delete":
            changes.extend(_removed(p) for p in old[i1:i2])
        elif tag == "insert":
            changes.extend(_added(p) for p in new[j1:j2])
        else:
            changes.extend(_pair_run(old[i1:i2], new[j1:j2]))
    return changes


def _pair_run(old: Sequence[Paragraph], new: Sequence[Paragraph]) -> list[ParagraphChange]:
    """Inside a replaced run, pair each old paragraph with the most similar new one, in order."""
    changes: list[ParagraphChange] = []
    j = 0
    for paragraph in old:
        best, best_ratio = None, SAME_PARAGRAPH_RATIO
        for k in range(j, len(new)):
            ratio = difflib.SequenceMatcher(a=_key(paragraph).split(), b=_key(new[k]).split(),
                                            autojunk=False).ratio()
            if ratio >= best_ratio:
                best, best_ratio = k, ratio
        if best is None:
            changes.append(_removed(paragraph))
            continue
        changes.extend(_added(p) for p in new[j:best])
        changes.append(_changed(paragraph, new[best]))
        j = best + 1
    changes.extend(_added(p) for p in new[j:])
    return changes


def _added(p: Paragraph) -> ParagraphChange:
    return ParagraphChange("added", None, p.number, None, p.text, None, p.marking)


def _removed(p: Paragraph) -> ParagraphChange:
    return ParagraphChange("removed", p.number, None, p.text, None, p.marking, None)


def _marking_change(a: Paragraph, b: Paragraph) -> ParagraphChange | None:
    """Same text: a change only when the marking differs."""
    if (a.marking or "") == (b.marking or ""):
        return None
    return ParagraphChange("changed", a.number, b.number, a.text, b.text, a.marking, b.marking,
                           words=f"marking [-{a.marking or ''}-] {{+{b.marking or ''}+}}")


def _changed(a: Paragraph, b: Paragraph) -> ParagraphChange:
    return ParagraphChange("changed", a.number, b.number, a.text, b.text, a.marking, b.marking,
                           words=word_diff(a.text, b.text), unified=sentence_diff(a.text, b.text))


def word_diff(old: str, new: str) -> str:
    """Words removed as [-…-] and added as {+…+}, unchanged words as they are."""
    a, b = normalize(old).split(), normalize(new).split()
    out: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.extend(a[i1:i2])
            continue
        if i2 > i1:
            out.append("[-" + " ".join(a[i1:i2]) + "-]")
        if j2 > j1:
            out.append("{+" + " ".join(b[j1:j2]) + "+}")
    return " ".join(out)


_SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+")


def sentences(text: str) -> list[str]:
    """A paragraph cut into sentences (one line each), whitespace folded."""
    return [s for s in _SENTENCE_END.split(normalize(text)) if s]


def sentence_diff(old: str, new: str, context: int = 1) -> list[str]:
    """A unified diff of two paragraph texts, one sentence a line."""
    lines = difflib.unified_diff(sentences(old), sentences(new), "old", "new", n=context, lineterm="")
    return list(lines)[2:]  # the ---/+++ file lines say nothing here
