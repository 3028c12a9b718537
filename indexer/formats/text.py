"""Small text helpers shared by the format readers (no markup parsing here)."""

from __future__ import annotations

import re
from datetime import date, datetime

PILCROW = "¶"

# A cable reference id as the release writes it: two-digit year, station, number.
REFID_RE = re.compile(r"(?:[0-9]{2})[A-Z][A-Z0-9]{1,30}?[0-9]{1,7}")

# Mirror artifacts: "[LOC HARARE  ]", "[ORG MDC  ]", "[PER MORGAN TSVANGIRAI  ]".
# Bounded, non-nested character classes: linear time on any input.
_ENTITY_RE = re.compile(r"\[(?:LOC|ORG|PER|MISC)[ \t]{1,4}([^\[\]\n]{1,200})\]")


def normalize_newlines(text: str) -> str:
    """CRLF and lone CR become LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def tidy_lines(text: str) -> str:
    """Strip trailing whitespace from every line and blank lines at both ends."""
    lines = [line.rstrip() for line in normalize_newlines(text).split("\n")]
    first, last = 0, len(lines)
    while first < last and not lines[first]:
        first += 1
    while last > first and not lines[last - 1]:
        last -= 1
    return "\n".join(lines[first:last])


def unwrap_entities(text: str) -> str:
    """Replace entity annotations left by some mirrors with their plain words.

    The annotation always pads its words before the ``]`` (``[ORG MDC  ]``); a bracket
    without that padding is cable text and stays.
    """
    if "[" not in text:
        return text
    return _ENTITY_RE.sub(lambda m: m.group(1).strip() if m.group(1).endswith(" ") else m.group(0), text)


def looks_like_refid(name: str) -> bool:
    """True when a name (a file stem) has the shape of a cable reference id."""
    return len(name) <= 40 and REFID_RE.fullmatch(name) is not None


# The two usual forms, read without strptime's cost. Any number strptime would refuse is
# also refused by datetime(), and then strptime decides.
_SITE_DATETIME = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2}) ([0-9]{1,2}):([0-9]{2})")
_DUMP_DATETIME = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4}) ([0-9]{1,2}):([0-9]{2})")


def parse_site_datetime(text: str) -> datetime | None:
    """'2009-08-21 13:01' (the cablegate site) or '8/21/2009 13:01' (the dump) → datetime."""
    text = " ".join(text.split())
    site, dump = _SITE_DATETIME.fullmatch(text), _DUMP_DATETIME.fullmatch(text)
    if site or dump:
        year, month, day, hour, minute = (int(g) for g in site.groups()) if site else \
            (int(dump.group(i)) for i in (3, 1, 2, 4, 5))  # type: ignore[union-attr]
        try:
            return datetime(year, month, day, hour, minute)
        except ValueError:
            pass
    return site_datetime_by_strptime(text)


def site_datetime_by_strptime(text: str) -> datetime | None:
    """The forms parse_site_datetime reads, by strptime alone (slow; the rule it keeps)."""
    for fmt in ("%Y-%m-%d %H:%M", "%m/%d/%Y %H:%M", "%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def parse_site_date(text: str) -> date | None:
    found = parse_site_datetime(text)
    return found.date() if found else None


# Readers put ANCHOR where a paragraph anchor stood; place_anchors turns it into a "¶" that
# opens its own line. A private-use character: readers remove it from their input first.
ANCHOR = "\ue000"


def without_marks(text: str) -> str:
    """The input with any ANCHOR character removed (it only ever marks an anchor)."""
    return text.replace(ANCHOR, "") if ANCHOR in text else text


def place_anchors(text: str) -> str:
    """Replace every ANCHOR mark with a ``¶`` at the start of a line.

    Blanks before the mark are dropped; text before it on the same line stays on a line of
    its own, so ``... end.  ¶2. (C) ...`` becomes two lines.
    """
    if ANCHOR not in text:
        return text
    out: list[str] = []
    for line in text.split("\n"):
        if ANCHOR not in line:
            out.append(line)
            continue
        first, *rest = line.split(ANCHOR)
        if first.strip():
            out.append(first.rstrip())
        out.extend(PILCROW + part.lstrip(" \t") for part in rest)
    return "\n".join(out)


# The classification banner that opens a cable body: spaced or plain, any case. Anchored
# literal alternatives: no backtracking to speak of.
_BANNER_RE = re.compile(
    r"(?:C ?O ?N ?F ?I ?D ?E ?N ?T ?I ?A ?L|S ?E ?C ?R ?E ?T|U ?N ?C ?L ?A ?S ?S ?I ?F ?I ?E ?D"
    r"|UNCLAS|LIMITED OFFICIAL USE|TOP SECRET|SENSITIVE BUT UNCLASSIFIED)(?![A-Z])",
    re.IGNORECASE,
)
# The same, case-sensitive: on upper-cased ASCII text it finds what _BANNER_RE finds in the
# text, without an ignore-case pattern's try at every position.
_BANNER_UPPER_RE = re.compile(_BANNER_RE.pattern)


def is_banner(line: str) -> bool:
    """True for a classification banner line (``C O N F I D E N T I A L LONDON 001933``)."""
    return _BANNER_RE.match(line.strip()[:80]) is not None


def find_banner(lines: list[str], start: int = 0) -> int | None:
    """Index of the first banner line at or after ``start``, or None."""
    for index in range(start, len(lines)):
        if is_banner(lines[index]):
            return index
    return None


_PARTIAL_NOTICE = re.compile(
    r"This\s{1,40}record\s{1,40}is\s{1,40}a\s{1,40}partial\s{1,40}extract\s{1,40}of\s{1,40}the"
    r"\s{1,40}original\s{1,40}cable\.?(?:\s{0,40}The\s{1,40}full\s{1,40}text\s{1,40}of\s{1,40}the"
    r"\s{1,40}original\s{1,40}cable\s{1,40}is\s{1,40}not\s{1,40}available\.?)?",
    re.IGNORECASE,
)


def strip_partial_notice(header: str) -> tuple[str, bool]:
    """Remove the site's "This record is a partial extract …" notice: (rest, was it there)."""
    rest, count = _PARTIAL_NOTICE.subn("", header)
    return (tidy_lines(rest), True) if count else (header, False)


_ID_PARTS = re.compile(r"([0-9]{2})([A-Z][A-Z0-9]*?)([0-9]{1,7})")
_WHITESPACE = re.compile(r"\s+")


def id_agrees_with_banner(record_id: str, body: str) -> bool | None:
    """Does the body's banner name the station and number of ``record_id``?

    True / False; None when there is no banner near the top to check against. A redacted
    station (``XXXXXXXXXXXX 000004``) agrees when the number does.
    """
    record_id = record_id.strip().upper()
    parts = _ID_PARTS.fullmatch(record_id) if len(record_id) <= 40 else None  # refids are short
    if not parts:
        return False
    station, number = parts.group(2), parts.group(3).lstrip("0") or "0"
    wanted = re.compile(r"(?:" + re.escape(station) + r"|XXX+)0{0,7}" + number + r"(?![0-9])")
    head = body[:3000]
    banners = list(_BANNER_UPPER_RE.finditer(head.upper()) if head.isascii() else _BANNER_RE.finditer(head))[:5]
    for banner in banners:
        compact = _WHITESPACE.sub("", body[banner.start():banner.start() + 300].upper())
        if wanted.search(compact):
            return True
    return False if banners else None


def trusted_refid(name: str | None, body: str) -> tuple[str | None, str | None, list[str]]:
    """A refid from outside the text (a file name) kept only when the banner agrees with it.

    Returns (refid, record_id, notes): a mirror's file name can name another cable than the
    one the file holds; then refid is None (the cable rules derive it from the banner) and
    the name is kept as record_id.
    """
    if not name or not looks_like_refid(name):
        return None, None, []
    agrees = id_agrees_with_banner(name, body)
    if agrees is None:
        return name, None, [f"refid {name} from the file name: no banner to check it against"]
    if agrees:
        return name, None, []
    return None, name, [f"file name {name} disagrees with the banner: refid left to the banner"]
