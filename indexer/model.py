"""The cable model: what every input format is read into, and what the index stores."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# Classification levels, lowest first. The index stores the level's rank so that a
# ceiling is a simple numeric range.
LEVELS: tuple[str, ...] = ("UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP SECRET")


def level_rank(level: str | None) -> int:
    """Rank of a level (0 = UNCLASSIFIED); unknown levels rank as the highest."""
    try:
        return LEVELS.index((level or "").upper())
    except ValueError:
        return len(LEVELS) - 1


def normalize_level(text: str) -> str:
    """Accept 'confidential', 'C', 'secret', 'TS', 'U' … and return a name from LEVELS."""
    key = " ".join(text.upper().replace("_", " ").split())
    short = {"U": "UNCLASSIFIED", "SBU": "UNCLASSIFIED", "UNCLAS": "UNCLASSIFIED",
             "C": "CONFIDENTIAL", "S": "SECRET", "TS": "TOP SECRET", "TOPSECRET": "TOP SECRET"}
    key = short.get(key, key)
    if key not in LEVELS:
        raise ValueError(f"unknown classification level {text!r} (use one of: {', '.join(LEVELS)})")
    return key


class ParseError(Exception):
    """A file or record that cannot be read as a cable (reported, then skipped)."""


@dataclass
class Reference:
    """One entry of a cable's REF line: what was written and the refid it resolves to."""

    written: str
    refid: str | None = None


@dataclass
class Paragraph:
    """One numbered paragraph of a cable: the unit of search."""

    number: int
    text: str
    marking: str | None = None  # as written, e.g. "C/NF"
    level: str | None = None  # from the marking: UNCLASSIFIED, CONFIDENTIAL, SECRET
    caveats: list[str] = field(default_factory=list)
    heading: str | None = None
    in_summary: bool = False
    in_comment: bool = False


@dataclass
class Cable:
    """A whole cable: its header fields, full body and its paragraphs."""

    refid: str
    created: datetime | None = None
    released: date | None = None
    classification: str | None = None
    origin: str | None = None
    caveats: list[str] = field(default_factory=list)
    precedence: str | None = None
    dtg: str | None = None
    sender: str | None = None
    recipients: list[str] = field(default_factory=list)
    info: list[str] = field(default_factory=list)
    executive_order: str | None = None
    declassify_on: str | None = None
    tags: list[str] = field(default_factory=list)
    subject: str | None = None
    references: list[Reference] = field(default_factory=list)
    classified_by: str | None = None
    reasons: str | None = None
    sections: int | None = None
    partial: bool = False
    header: str = ""
    body: str = ""
    paragraphs: list[Paragraph] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    source: str | None = None
    format: str | None = None

    @property
    def level(self) -> str | None:
        """The cable's level, from its classification (CONFIDENTIAL//NOFORN → CONFIDENTIAL)."""
        return classification_level(self.classification)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: dates in ISO 8601, None for what is unknown."""
        data = _plain(self)  # dataclasses.asdict, without its deep copy of every leaf (2-3x slower)
        data["created"] = self.created.isoformat() if self.created else None
        data["released"] = self.released.isoformat() if self.released else None
        data["level"] = self.level
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Cable":
        """Inverse of to_dict."""
        data = dict(data)
        data.pop("level", None)
        names = {f.name for f in dataclasses.fields(cls)}
        data = {k: v for k, v in data.items() if k in names}
        if data.get("created"):
            data["created"] = datetime.fromisoformat(data["created"])
        if data.get("released"):
            data["released"] = date.fromisoformat(data["released"])
        data["references"] = [Reference(**r) for r in data.get("references") or []]
        data["paragraphs"] = [Paragraph(**p) for p in data.get("paragraphs") or []]
        return cls(**data)


_LEAVES = frozenset({str, int, bool, float, type(None)})  # taken as they are, without a call


def _plain(value: Any) -> Any:
    """Dataclasses as dicts and lists copied, all the way down; other values as they are."""
    kind = type(value)
    if kind is list:
        return [v if type(v) in _LEAVES else _plain(v) for v in value]
    if hasattr(kind, "__dataclass_fields__"):
        return {k: v if type(v) in _LEAVES else _plain(v) for k, v in vars(value).items()}
    return value


def classification_level(classification: str | None) -> str | None:
    """The level part of a site classification string, or None when unknown."""
    if not classification:
        return None
    head = classification.upper().split("//")[0].strip()
    for level in reversed(LEVELS):  # TOP SECRET before SECRET
        if head.startswith(level):
            return level
    if head.startswith("UNCLAS"):
        return "UNCLASSIFIED"
    return None
