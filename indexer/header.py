"""Header rules: one small function per field of a cable's routing header and body head.

Every function takes text and returns what it found, or None/empty. They work on text
with line breaks and on text whose line breaks were flattened into spaces (mongo-jsonl),
so field ends are found from the next field's keyword, a blank line or a paragraph start.
All patterns are precompiled and free of nested quantifiers over the same characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from indexer.model import normalize_level
from indexer.scanning import find_all, scan, scan_at

MONTHS = {m: i for i, m in enumerate(
    "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), start=1)}
PRECEDENCE = {"Z": "FLASH", "O": "IMMEDIATE", "P": "PRIORITY", "R": "ROUTINE"}


def _spaced(word: str) -> str:
    """'SECRET' → a pattern matching 'SECRET' and 'S E C R E T'."""
    return r"[ \t]?".join(word)


# --- classification banner -------------------------------------------------------------

_LEVEL_WORDS = (rf"(?P<level>TOP[ \t]+{_spaced('SECRET')}|{_spaced('CONFIDENTIAL')}|"
                rf"{_spaced('SECRET')}|{_spaced('UNCLASSIFIED')}|UNCLAS|"
                r"LIMITED[ \t]+OFFICIAL[ \t]+USE)")
BANNER_RE = re.compile(
    _LEVEL_WORDS
    + r"(?P<extra>(?:[ \t]*(?:E[ \t]?F[ \t]?T[ \t]?O|EFTO|NOFORN|SENSITIVE|CORRECTED[ \t]COPY))*)"
    r"[ \t]*(?:\n[ \t]*)?(?:SECTION[ \t]+(?P<section>\d{1,3})[ \t]+OF[ \t]+(?P<sections>\d{1,3})[ \t]+)?"
    r"(?P<station>[A-Z][A-Z'.-]*(?:[ \t][A-Z][A-Z'.-]*){0,3})[ \t]+(?P<number>\d{1,7})(?!\d)"
)
BANNER_ANYCASE_RE = re.compile(BANNER_RE.pattern, re.IGNORECASE)


_BLANKS = re.compile(r"[ \t]")


@dataclass
class Banner:
    """The classification line: `C O N F I D E N T I A L SECTION 01 OF 03 LONDON 001933`."""

    level: str
    written: str
    station: str | None
    number: int | None
    section: int | None = None
    sections: int | None = None
    caveats: list[str] = field(default_factory=list)
    start: int = 0
    end: int = 0


def _search_any_case(text: str, end: int) -> re.Match[str] | None:
    """``BANNER_ANYCASE_RE.search(text, 0, end)``. On ASCII text the case-sensitive pattern
    finds the same start in the upper-cased text, several times faster (an ignore-case
    pattern is tried at every position); the match itself is then taken from the text."""
    head = text[:end]
    if not head.isascii():
        return BANNER_ANYCASE_RE.search(text, 0, end)
    found = BANNER_RE.search(head.upper())
    return BANNER_ANYCASE_RE.match(text, found.start(), end) if found else None


def find_banner(text: str, limit: int = 6000) -> Banner | None:
    """The first classification banner in the first `limit` characters of a body."""
    end = min(len(text), limit)
    match = BANNER_RE.search(text, 0, end) or _search_any_case(text, end)
    if not match:
        return None
    level_text = _BLANKS.sub("", match.group("level")).upper()
    if level_text.startswith("LIMITED"):
        level = "UNCLASSIFIED"
    else:
        level = normalize_level(level_text.replace("TOPSECRET", "TOP SECRET"))
    extra = _BLANKS.sub("", match.group("extra") or "").upper()
    caveats = [c for c in ("NOFORN", "SENSITIVE", "EFTO") if c in extra]
    if level_text.startswith("LIMITED"):
        caveats.append("LIMITED OFFICIAL USE")
    station = " ".join(match.group("station").upper().split())
    # "SECTION" or a spaced level word must never be read as a station.
    if station.startswith("SECTION"):
        station = None
    return Banner(
        level=level, written=match.group(0), station=station,
        number=int(match.group("number")),
        section=int(match.group("section")) if match.group("section") else None,
        sections=int(match.group("sections")) if match.group("sections") else None,
        caveats=caveats, start=match.start(), end=match.end(),
    )


# --- date-time group and routing -------------------------------------------------------

# Starts with the precedence letter (a literal set, so the regex engine skips ahead fast);
# that it stands at a line start is checked in find_dtg.
DTG_RE = re.compile(
    r"(?P<prec>[ZOPR])[ \t]{1,4}(?P<day>\d{2})(?P<hour>\d{2})(?P<minute>\d{2})Z[ \t]{1,4}"
    r"(?P<month>JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]{0,6}[ \t]{1,4}(?P<year>\d{2}(?:\d{2})?)\b"
)


@dataclass
class DateTimeGroup:
    written: str
    precedence: str | None
    when: datetime | None


def find_dtg(text: str) -> DateTimeGroup | None:
    """`P 211358Z AUG 09` → PRIORITY, 2009-08-21 13:58 (UTC)."""
    for match in DTG_RE.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        if not text[line_start:match.start()].strip(" \t"):
            break
    else:
        return None
    year = int(match.group("year"))
    if year < 100:
        year += 2000 if year < 50 else 1900
    try:
        when = datetime(year, MONTHS[match.group("month")], int(match.group("day")),
                        int(match.group("hour")), int(match.group("minute")))
    except ValueError:
        when = None
    return DateTimeGroup(" ".join(match.group(0).split()), PRECEDENCE.get(match.group("prec")), when)


_ROUTE_LINE = re.compile(r"(?m)^[ \t]*(FM|TO|INFO)[ \t]+(\S[^\n]*)")
_ADDRESSEE_END = re.compile(r"[ \t]+(?:(?:FLASH|IMMEDIATE|PRIORITY|ROUTINE|NIACT)\b.*|\d{3,5})$")
_ROUTE_PREFIX = re.compile(r"^[A-Z]{4,9}/")
_ROUTE_STOP = re.compile(r"^[ \t]*(?:BT|ZEN|ZFR|[A-Z]{1,3}[ \t]?\d|.*\b(?:UNCLAS|CONFIDENTIAL|SECRET|C O N F)\b)")


_DISTRIBUTION_RE = re.compile(r"[A-Z]{1,6}-\d{2}\b")


@dataclass
class Routing:
    sender: str | None = None
    recipients: list[str] = field(default_factory=list)
    info: list[str] = field(default_factory=list)


def _addressee(line: str) -> str:
    line = " ".join(line.replace("\\", " ").split())
    line = _ROUTE_PREFIX.sub("", line)
    return _ADDRESSEE_END.sub("", line).strip()


def find_routing(text: str) -> Routing:
    """FM, TO and INFO lines of a routing header (continuation lines included)."""
    routing = Routing()
    lines = text.split("\n")
    current: list[str] | None = None
    for line in lines:
        match = _ROUTE_LINE.match(line)
        if match:
            key, value = match.group(1), match.group(2)
            if key == "FM":
                if routing.sender is None:
                    routing.sender = _addressee(value)
                current = None
            elif _DISTRIBUTION_RE.match(value):  # `INFO LOG-00 EEB-00 …`: an office distribution list
                current = None
            else:
                current = routing.recipients if key == "TO" else routing.info
                current.append(_addressee(value))
            continue
        if current is None:
            continue
        stripped = line.strip().rstrip("\\").strip()
        if not stripped or _ROUTE_STOP.match(stripped):
            current = None
            continue
        if "/" in stripped.split(" ")[0] or stripped.isupper():
            current.append(_addressee(stripped))
        else:
            current = None
    routing.recipients = [a for a in routing.recipients if a]
    routing.info = [a for a in routing.info if a]
    return routing


# --- fields of the body head -----------------------------------------------------------

# Where a field begins: at a line start, or after two spaces where line breaks were flattened
# (the regex only asks for a space before; _field_context checks the rest, in linear time).
FIELD_RE = re.compile(
    r"(?<![^ \t\n])(?P<key>"
    r"(?P<eo>E\.?[ \t]?O\.?[ \t]*(?=1[12]\d{3})|DECL(?:ASSIFY)?[ \t]*:)"
    r"|(?P<tags>TAGS?\b[ \t]*:?)"
    r"|(?P<subject>SUBJ(?:ECT)?[ \t]*[:.-])"
    r"|(?P<ref>REFS?[ \t]*:|REF(?:TEL)?S?[ \t]+(?=[A-Z]\.|\d|[A-Z]{3,}))"
    r"|(?P<classified>(?:CLASSIFIED|DERIVED)[ \t]+(?:(?:CONFIDENTIAL|SECRET)[ \t]+)?(?:BY|FROM)\b[ \t]*:?)"
    r")",
    re.IGNORECASE,
)
# A glued field keyword (`DECL: 02/04/2015TAGS:`): only the unambiguous upper-case forms;
# after a single space, only the forms with a colon (`... decl: 01/07/2014 Tags: prel`).
GLUED_FIELD_RE = re.compile(r"(?<=[0-9A-Z.])(?P<key>TAGS:|SUBJECT:|E\.O\.[ \t]?1[12]\d{3}|(?<=\d)REFS?:)"
                            r"|(?<=[ \t,\"])(?P<key2>TAGS:|SUBJECT:|E\.?O\.?[ \t]?1[12]\d{3}\b:?|REFS?:"
                            r"|CLASSIFIED[ \t]BY:|(?-i:CLASSIFIED[ \t]BY)\b|(?-i:TAGS)[ \t]+(?=[A-Z]{2,6}\b))",
                            re.IGNORECASE)

# A paragraph start within header text: an anchor with a number, a `1.` line, or `1. (C)`
# after a double space in flattened text.
PARA_START_RE = re.compile(
    r"¶[ \t]*\d|(?:(?<=\n)|^)[ \t]*1[ \t]?\.[ \t]|(?<=  )1[ \t]?\.[ \t]{1,4}[A-Z(]")
# Its alternatives, each beginning with a literal, so searched fast (see first_para_start).
_PARA_START_AT_TEXT_START = re.compile(r"[ \t]*1[ \t]?\.[ \t]")
_PARA_START_LINE = re.compile(r"\n[ \t]*1[ \t]?\.[ \t]")  # begins a character before the start
_PARA_START_RARE = (("¶", re.compile(r"¶[ \t]*\d"), 0),  # (literal, pattern, characters before)
                    ("  1", re.compile(r"  1[ \t]?\.[ \t]{1,4}[A-Z(]"), 2))


def first_para_start(text: str, pos: int, endpos: int) -> int | None:
    """Where ``PARA_START_RE.search(text, pos, endpos)`` matches: the leftmost start of any
    of its alternatives, each found without trying a pattern at every position (the rare
    ones only when str.find sees their literal before the best start so far)."""
    if pos == 0 and _PARA_START_AT_TEXT_START.match(text, 0, endpos):
        return 0
    line = _PARA_START_LINE.search(text, max(pos - 1, 0), endpos)
    best = line.start() + 1 if line else None
    for literal, part, before in _PARA_START_RARE:
        at = max(pos - before, 0)
        stop = endpos if best is None else min(endpos, best - before + len(literal) - 1)
        if text.find(literal, at, stop) < 0:
            continue
        found = part.search(text, at, endpos)
        if found and (best is None or found.start() + before < best):
            best = found.start() + before
    return best
BLANK_LINE_RE = re.compile(r"\n[ \t\\]*\n")
# Where FIELD_RE and GLUED_FIELD_RE can match (indexer/scanning.py): the first letter of a
# keyword (ignoring case: U+017F `ſ` is an `s` to the regex engine), outside the ignore-case
# flag so that the engine skips ahead to it; FIELD_RE's also only after a blank or at the start.
_FIELD_CANDIDATE = re.compile(r"[EDTSRCedtsrc\u017f](?<![^ \t\n].)(?i:\.?[ \t]?O|ECL|AG|UBJ|EF|LASSIFIED|ERIVED)")
_GLUED_FIELD_CANDIDATE = re.compile(r"[TSERCtserc\u017f](?i:AGS|UBJECT|\.?O|EF|LASSIFIED)")
# Faster still on ASCII text: every keyword of both patterns begins with one of these words
# (or an E.O. before its number), found with str.find in the upper-cased text, where ASCII
# letters keep their positions.
_FIELD_WORDS = ("TAG", "SUBJ", "REF", "DECL", "CLASSIFIED", "DERIVED")
_EO_CANDIDATE = re.compile(r"E\.?[ \t]?O\.?[ \t]*1[12]\d{3}")


def _field_key_positions(text: str, start: int, stop: int) -> list[int] | None:
    """Every position between start and stop where FIELD_RE or GLUED_FIELD_RE can match,
    ascending; None when the text there is not ASCII (ignore-case then matches `ſ` as `s`)."""
    upper = text[start:stop]
    if not upper.isascii():
        return None
    upper = upper.upper()
    positions = [found.start() + start for found in _EO_CANDIDATE.finditer(upper)]
    for word in _FIELD_WORDS:
        at = upper.find(word)
        while at >= 0:
            positions.append(at + start)
            at = upper.find(word, at + 1)
    return sorted(set(positions))


class _Key:
    """A keyword match found by a second pattern, shaped like a FIELD_RE match."""

    def __init__(self, text: str, start: int) -> None:
        self.text, self.pos = text, start

    def group(self, name: str = "key") -> str:
        return self.text

    def start(self, name: str = "key") -> int:
        return self.pos

    def end(self, name: str = "key") -> int:
        return self.pos + len(self.text)


# Lines that continue a field after a blank line: `B. MEXICO 765`, `REASON: 1.4 (b), (d)`.
_AFTER_BLANK = {
    "ref": re.compile(r"[ \t]*¶?\(?[A-Z]\)?[.)]?[ \t]+(?:\d{2}[ \t]+)?[A-Z][A-Za-z]+(?:[ \t][A-Z][A-Za-z]+){0,3}"
                      r"[ \t]+\d{1,6}\b[^\n]{0,60}(?=\n|$)|[ \t]*(?:\d{2}[ \t]+)?[A-Z][A-Z]+(?:[ \t][A-Z]+){0,3}"
                      r"[ \t]+\d{2,6}[ \t]*(?=\n|$)"),
    "classified": re.compile(r"[ \t]*(?:REASONS?\b|1\.[45]\b)[^\n]{0,80}(?=\n|$)", re.IGNORECASE),
}


@dataclass
class Field:
    kind: str
    key: str
    value: str
    start: int
    end: int


def _field_context(text: str, pos: int) -> bool:
    """A field keyword counts at a line start or after two spaces (flattened line breaks)."""
    i = pos
    while i > 0 and text[i - 1] in " \t":
        i -= 1
        if pos - i >= 2:
            return True
    return i == 0 or text[i - 1] == "\n" or (i < pos and text[i] == "\t")


def iter_fields(text: str, start: int, stop: int) -> list[Field]:
    """The header fields between start and stop, each with its raw value."""
    keys: list[tuple[str, re.Match[str]]] = []
    positions = _field_key_positions(text, start, stop)
    field_keys = scan(FIELD_RE, _FIELD_CANDIDATE, text, start, stop) if positions is None \
        else scan_at(FIELD_RE, positions, text, start, stop)
    for m in field_keys:
        if not _field_context(text, m.start()):
            continue
        kind = next(k for k in ("eo", "tags", "subject", "ref", "classified") if m.group(k))
        keys.append((kind, m))
    glued_keys = scan(GLUED_FIELD_RE, _GLUED_FIELD_CANDIDATE, text, start, stop) if positions is None \
        else scan_at(GLUED_FIELD_RE, positions, text, start, stop)
    for m in glued_keys:
        if m.group("key2"):
            m = _Key(m.group("key2"), m.start("key2"))
        key = m.group("key").upper()
        kind = ("tags" if key.startswith("TAGS") else "subject" if key.startswith("SUBJ")
                else "ref" if key.startswith("REF") else "classified" if key.startswith("CLASS") else "eo")
        if not any(k.start("key") <= m.start() < k.end("key") for _, k in keys):
            keys.append((kind, m))
    keys.sort(key=lambda pair: pair[1].start("key"))
    fields: list[Field] = []
    for i, (kind, m) in enumerate(keys):
        value_start = m.end("key")
        value_end = keys[i + 1][1].start("key") if i + 1 < len(keys) else stop
        if kind != "eo":  # E.O. values span DECL, which is part of the same line
            limit = value_end
            blank = BLANK_LINE_RE.search(text, value_start, limit)
            while blank:
                value_end = blank.start()
                # A REF list or a Classified By line may go on after a blank line.
                more = _AFTER_BLANK.get(kind)
                follow = more.match(text, blank.end(), limit) if more else None
                if not follow:
                    break
                value_end = follow.end()
                blank = BLANK_LINE_RE.search(text, value_end, limit)
                if not blank:
                    value_end = limit
        fields.append(Field(kind, m.group("key"), text[value_start:value_end], m.start("key"), value_end))
    return fields


def one_line(text: str) -> str:
    """Join wrapped lines and squeeze whitespace."""
    return " ".join(text.replace("\\", " ").split())


# E.O. and DECL --------------------------------------------------------------------------

_EO_RE = re.compile(r"(?:^|E\.?[ \t]?O\.?)[ \t:]*(1[12]\d{3})", re.IGNORECASE)
_DECL_RE = re.compile(r"DECL(?:ASSIFY)?(?![A-Z])(?:[ \t]*ON)?[ \t]*(?::[ \t]*)?(?P<value>"
                      r"\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}|OADR|X\d(?:[ \t]*,?[ \t]*X\d)*|"
                      r"[A-Z]+(?:[ \t]+[A-Z]+){0,2}|\d{1,2}[ \t]+[A-Z]{3,9}[ \t]+\d{2,4})", re.IGNORECASE)


_NOT_A_DATE = re.compile(r"TAGS?|SUBJECT|N")  # the next field's keyword read as a DECL value


def parse_eo(value: str) -> tuple[str | None, str | None]:
    """'12958: DECL: 08/20/2019' → ('12958', '08/20/2019'); N/A and OADR kept as written."""
    match = _EO_RE.search(value, 0, 40)
    eo = match.group(1) if match else None
    decl = _DECL_RE.search(value)
    declassify = None
    if decl:
        declassify = decl.group("value").upper()
        if _NOT_A_DATE.fullmatch(declassify.split()[0]):
            declassify = None
        elif declassify[0].isalpha() and declassify.split()[-1] in ("TAGS", "TAG", "SUBJECT"):
            declassify = " ".join(declassify.split()[:-1]) or None
    return eo, _iso_date(declassify) if declassify else None


_NUMERIC_DATE_RE = re.compile(r"(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})")


def _full_year(year: int) -> int:
    return year + (2000 if year < 70 else 1900) if year < 100 else year


def _iso_date(written: str) -> str:
    """'08/20/2019', '2019/08/20', '8/20/19' → '2019-08-20'; other forms (OADR, X1) as written."""
    match = _NUMERIC_DATE_RE.fullmatch(written)
    if not match:
        return written
    a, b, c = (int(g) for g in match.groups())
    year, month, day = (a, b, c) if len(match.group(1)) == 4 else (_full_year(c), a, b)
    if not (1 <= month <= 12 and 1 <= day <= 31 and 1900 <= year <= 2100):
        return written
    return f"{year:04d}-{month:02d}-{day:02d}"


# TAGS -----------------------------------------------------------------------------------

_TAG_RE = re.compile(r"[A-Z][A-Z0-9_-]{1,11}")
_SHORT_TAG_RE = re.compile(r"[A-Z][A-Z0-9]{1,5}")
_TAG_SEPARATORS = re.compile(r"[\s,;]+")


def parse_tags(value: str) -> list[str]:
    """'KISL PREL PTER', 'MARR, MOPS, UK', 'prel, pgov' → ['KISL', 'PREL', 'PTER'] …"""
    lines = value.strip().split("\n")
    kept = lines[:1]
    for line in lines[1:]:  # a wrapped TAGS line holds only short codes; else text follows
        words = [w for w in _TAG_SEPARATORS.split(line) if w]
        if not words or not all(_SHORT_TAG_RE.fullmatch(w) for w in words):
            break
        kept.append(line)
    tokens = [t.strip(".") for t in _TAG_SEPARATORS.split(" ".join(kept)) if t.strip(".")]
    lower_case = not any(t.isupper() for t in tokens)  # `Tags: prel, pgov, sy`
    tags: list[str] = []
    for token in tokens:
        if not lower_case and not token.isupper():
            break  # the field ran into text that is not tags
        token = token.upper()
        if not _TAG_RE.fullmatch(token):
            break
        if token not in tags:
            tags.append(token)
    return tags


# SUBJECT --------------------------------------------------------------------------------

_SUBJECT_RUN_ON = re.compile(
    r"(?<=\s)\d{1,2}[ \t]?\.[ \t]?\((?:[A-Z]{1,4}(?:/{1,2}[A-Z]{1,6})?)\)"  # `1.(SBU)`: a paragraph
    r"|(?<=\s)[A-Za-z][a-z]+[ ,]+[A-Za-z]?[a-z]+[ ,]+[A-Za-z]?[a-z]+\b")  # prose after an upper-case subject


def parse_subject(value: str) -> str | None:
    """The subject on one line, without the text it ran into; None when empty."""
    text = one_line(value).lstrip(":;.- ")
    if text.startswith("SUBJECT:"):  # `SUBJECT: SUBJECT: …`
        text = text[8:].strip()
    for match in _SUBJECT_RUN_ON.finditer(text, 20):
        words = match.group(0).replace(",", " ").split()
        prose = any(w.islower() for w in words)  # not a Title Case continuation
        if match.group(0)[0].isdigit() or (prose and text[: match.start()].isupper()):
            text = text[: match.start()].rstrip()
            break
    return text or None


# REF ------------------------------------------------------------------------------------

_REF_SPLIT = re.compile(r"(?:(?<=\s)|^|(?<=[;,]))¶?\(?([A-Z])(?:\.|\))[ \t]+(?=\S)")


def parse_references(value: str) -> list[str]:
    """'A. STATE 152009 B. LONDON 1818' → ['STATE 152009', 'LONDON 1818']; one entry otherwise."""
    text = one_line(value.replace("¶", " ¶"))
    if not text:
        return []
    parts = _REF_SPLIT.split(text)
    entries: list[str] = []
    if len(parts) > 1:
        head = parts[0].strip(" ;,¶")
        if head:
            entries.append(head)
        entries.extend(parts[i + 1].strip(" ;,¶") for i in range(1, len(parts) - 1, 2))
    else:
        entries.append(text.strip(" ;,¶"))
    return [e for e in entries if e]


# Classified By --------------------------------------------------------------------------

_REASONS_RE = re.compile(
    r"(?:,|\.|;)?[ \t]*(?:for[ \t]+|under[ \t]+)?(?:E\.?O\.?[ \t]*1[12]\d{3}[ \t,]*)?"
    r"\bREASONS?\b[ \t]*:?[ \t]*(?P<reasons>[^\n]*?(?:\d[ \t]?\.[ \t]?\d[^\n]*?)?)[ \t.]*$",
    re.IGNORECASE | re.MULTILINE)
_REASONS_TAIL = re.compile(r"^(?P<keep>.*?\d[ \t]?\.[ \t]?\d[ \t]*(?:\(?[ \t]?[A-H][ \t]?\)?(?:[ \t]*(?:,|AND|&|/)[ \t]*\(?[ \t]?[A-H][ \t]?\)?)*)?\.?)",
                           re.IGNORECASE)


def parse_classified_by(value: str) -> tuple[str | None, str | None]:
    """'Political Counselor Robin Quinville, Reasons 1.4 (B,D)' → (by, '1.4 (B,D)')."""
    text = one_line(value)
    if not text:
        return None, None
    match = _REASONS_RE.search(text)
    if not match:
        return text.strip(" :,.") or None, None
    by = text[: match.start()].strip(" :,.;") or None
    reasons = match.group("reasons").strip(" :")
    tail = _REASONS_TAIL.match(reasons)
    if tail:
        reasons = tail.group("keep")
    reasons = reasons.strip(" .") or None
    return by, reasons


# Caveats --------------------------------------------------------------------------------

CAVEAT_RE = re.compile(
    r"(?P<sipdis>SIPDIS)|(?P<noforn>NOFORN|NO[ \t]FOREIGN[ \t]DISSEM\w*)"
    r"|(?P<nointernet>NOT[ \t]+FOR[ \t]+INTERNET(?:[ \t]+DISTRIBUTION)?)"
    r"|(?P<fouo>FOR[ \t]+OFFICIAL[ \t]+USE[ \t]+ONLY|\bFOUO\b)"
    r"|(?P<sensitive>\bSENSITIVE\b(?![ \t]+BUT[ \t]+UNCLASSIFIED)|SENSITIVE[ \t]+BUT[ \t]+UNCLASSIFIED|\bSBU\b)"
    r"|(?P<exdis>\bEXDIS\b)|(?P<nodis>\bNODIS\b)|(?P<limdis>\bLIMDIS\b)|(?P<orcon>\bORCON\b)"
    r"|(?P<noconsent>\bNOCONTRACT\b)|(?P<relto>\bREL[ \t]+TO\b[A-Z ,]{0,40})"
)
CAVEAT_NAMES = {
    "sipdis": "SIPDIS", "noforn": "NOFORN", "nointernet": "NOT FOR INTERNET DISTRIBUTION",
    "fouo": "FOUO", "sensitive": "SENSITIVE", "exdis": "EXDIS", "nodis": "NODIS",
    "limdis": "LIMDIS", "orcon": "ORCON", "noconsent": "NOCONTRACT",
}
# Every CAVEAT_RE match begins with one of these (CAVEAT_RE is tried only there).
_CAVEAT_STARTS = ("SIPDIS", "NO", "FO", "SENSITIVE", "SBU", "EXDIS", "LIMDIS", "ORCON", "REL")


def find_caveats(text: str) -> list[str]:
    """Caveats written in a cable's head (SIPDIS even when glued: `001352SIPDISE.O.`)."""
    found: list[str] = []
    positions = sorted({at for start in _CAVEAT_STARTS for at in find_all(text, start)})
    for match in scan_at(CAVEAT_RE, positions, text):
        kind = match.lastgroup
        if kind == "relto":
            continue
        name = CAVEAT_NAMES[kind]
        if name not in found:
            found.append(name)
    return found


# Site classification --------------------------------------------------------------------

def site_classification(level: str | None, caveats: list[str]) -> str | None:
    """The classification as the cablegate site writes it: level plus NOFORN or FOUO.

    The site marks an unclassified cable with any handling caveat (SENSITIVE, FOUO, even
    NOFORN) as FOR OFFICIAL USE ONLY, and a classified one with NOFORN as //NOFORN.
    """
    if not level:
        return None
    if "NOFORN" in caveats and level != "UNCLASSIFIED":
        return f"{level}//NOFORN"
    if level == "UNCLASSIFIED" and ({"SENSITIVE", "FOUO", "NOFORN"} & set(caveats)):
        return "UNCLASSIFIED//FOR OFFICIAL USE ONLY"
    return level


# Partial extract ------------------------------------------------------------------------

PARTIAL_RE = re.compile(r"partial extract of the original cable", re.IGNORECASE)


def is_partial(text: str) -> bool:
    return bool(PARTIAL_RE.search(text))


# The head of a body: banner, caveats, address lines and fields ---------------------------

_FIRST_FIELD_WITHIN = 2500  # characters after the banner where the first field may start
_HEAD_MAX = 12000  # header fields lie within this many characters after the banner
_FIELD_GAP = 600  # characters of non-field text allowed between two fields
_LONG_VALUE = 400  # a field value longer than this ran into text in flattened input
_CLASSIFIED_END_RE = re.compile(
    r"REASONS?\b[^\n]{0,20}?\d[ \t]?\.[ \t]?\d\s{0,3}(?:\(?\s?[A-H]\s?\)?(?:\s{0,3}(?:,|AND|&|/)\s{0,3}\(?\s?[A-H]\s?\)?)*)?\.?",
    re.IGNORECASE)
_DOUBLE_SPACE = re.compile(r"[ \t]{2,}")
# A REF list ends at a rule line or a paragraph marking: text follows.
_REF_END_RE = re.compile(r"[_=-]{5,}|(?<=\s)\((?:SBU|U|C|S|TS)(?:/{1,2}[A-Z]{1,8})*\)(?!\S)"  # "(C)STATE 72896" is an entry
                         r"|(?<=\d)[ \t]+(?=[A-Z]?[a-z]+[ \t]+[a-z]{2,}[ \t]+[a-z]{2,})")  # prose after a number
_NEXT_WORD = re.compile(r"[^\s]{1,40}")
# TAGS codes: letters and digits, separated by spaces, commas or semicolons.
_TAGS_RUN = re.compile(r"[ \t]*(?:[A-Za-z][A-Za-z0-9_-]{1,11}(?![A-Za-z0-9_-])[ \t,;]*)*")


@dataclass
class Head:
    """What the head of a body says, and where the head ends."""

    banner: Banner | None = None
    caveats: list[str] = field(default_factory=list)
    executive_order: str | None = None
    declassify_on: str | None = None
    tags: list[str] = field(default_factory=list)
    subject: str | None = None
    references: list[str] = field(default_factory=list)
    classified_by: str | None = None
    reasons: str | None = None
    start: int = 0  # where the banner starts (text before it is not part of the cable)
    end: int = 0  # where the paragraph text starts
    warnings: list[str] = field(default_factory=list)


def _prose_after_gap(value: str) -> int | None:
    """In flattened text: the first double-space gap followed by a word in lower case (prose)."""
    for gap in _DOUBLE_SPACE.finditer(value):
        word = _NEXT_WORD.match(value, gap.end())
        if word and any(ch.islower() for ch in word.group(0)):
            return gap.start()
    return None


def _before_trailing_heading(value: str) -> int:
    """Flattened text: a value that ends in `SUMMARY -------` ran into a section heading."""
    i = len(value.rstrip())
    dashes = 0
    while i > 0 and value[i - 1] in "-_= \t":
        dashes += value[i - 1] in "-_="
        i -= 1
    if dashes < 3:
        return len(value)
    cut = max(value.rfind("\n", 0, i), value.rfind("  ", 0, i))
    return cut if cut > 0 else len(value)


def _trim_value(kind: str, text: str, start: int, end: int) -> int:
    """Where a field's value really ends, for values that ran on into body text."""
    if kind in ("subject", "ref", "classified"):
        end = start + _before_trailing_heading(text[start:end])
    value = text[start:end]
    flattened = "\n" not in value.strip()
    if kind == "classified":
        match = _CLASSIFIED_END_RE.search(value)
        if match and (len(value) > _LONG_VALUE or len(value[match.end():].strip()) > 30):
            return start + match.end()
        if len(value) > _LONG_VALUE:
            newline = value.find("\n")
            return start + (newline if newline > 0 else _LONG_VALUE)
        return end
    if kind == "tags":
        tags_end = _TAGS_RUN.match(value)
        rest = value[tags_end.end():] if tags_end else value
        if any(ch.islower() for ch in rest):  # prose after the codes
            return start + (tags_end.end() if tags_end else 0)
        return end
    if kind == "ref":
        ref_end = _REF_END_RE.search(value)
        if ref_end:
            return start + ref_end.start()
    if flattened and kind in ("subject", "ref") and not value[:40].islower():
        prose = _prose_after_gap(value)
        if prose is not None and (kind == "ref" or value[:prose].upper() == value[:prose]):
            return start + prose
    if len(value) > _LONG_VALUE or (kind == "subject" and flattened and len(value) > 160):
        gap = _DOUBLE_SPACE.search(value, 10)
        if gap:
            return start + gap.start()
        if len(value) > _LONG_VALUE:
            return start + _LONG_VALUE
    return end


_UNKNOWN: object = object()


def parse_head(body: str, banner: Banner | None | object = _UNKNOWN) -> Head:
    """Read the banner and header fields at the top of a body; `end` is where text begins.

    ``banner`` is find_banner(body) when the caller has it already.
    """
    head = Head()
    head.banner = banner = find_banner(body) if banner is _UNKNOWN else cast(Banner | None, banner)
    zone = banner.end if banner else 0
    head.start = banner.start if banner else 0
    para = first_para_start(body, zone, zone + _HEAD_MAX)
    stop = para if para is not None else min(len(body), zone + _HEAD_MAX)
    fields = iter_fields(body, zone, stop)
    chained: list[Field] = []
    last_end = zone
    for f in fields:
        limit = _FIRST_FIELD_WITHIN if not chained else _FIELD_GAP
        if f.start - last_end > limit:
            break
        f.end = _trim_value(f.kind, body, f.start + len(f.key), f.end)
        f.value = body[f.start + len(f.key): f.end]
        chained.append(f)
        last_end = f.end
    caveat_text = [banner.written if banner else ""]
    previous = zone
    for f in chained:
        caveat_text.append(body[previous:f.start])
        previous = f.end
        if f.kind == "eo":
            caveat_text.append(f.value)
            eo, decl = parse_eo(f.key + f.value)  # a glued key holds the number: `E.O. 12958`
            head.executive_order = head.executive_order or eo
            head.declassify_on = head.declassify_on or decl
        elif f.kind == "tags" and not head.tags:
            head.tags = parse_tags(f.value)
        elif f.kind == "subject" and head.subject is None:
            head.subject = parse_subject(f.value)
        elif f.kind == "ref":
            head.references.extend(parse_references(f.value))
        elif f.kind == "classified" and head.classified_by is None:
            head.classified_by, head.reasons = parse_classified_by(f.value)
    if chained:
        head.end = chained[-1].end
    else:
        head.end = _caveat_lines_end(body, zone, stop)
        caveat_text.append(body[zone:head.end])
    caveats = list(banner.caveats) if banner else []
    for caveat in find_caveats(" ".join(caveat_text)):
        if caveat not in caveats:
            caveats.append(caveat)
    head.caveats = caveats
    if banner is None:
        head.warnings.append("no classification banner")
    if head.subject is None:
        head.warnings.append("no SUBJECT line")
    return head


_CAVEAT_LINE_RE = re.compile(r"[ \t]*(?:(?:" + CAVEAT_RE.pattern + r")[ \t,/]*)*\\?(?:\n|$)")


def _caveat_lines_end(body: str, start: int, stop: int) -> int:
    """After a banner with no fields: skip the lines that hold only caveats."""
    pos = start
    newline = body.find("\n", pos, stop)
    if newline < 0:
        return start
    pos = newline + 1
    while pos < stop:
        match = _CAVEAT_LINE_RE.match(body, pos, stop)
        if not match or match.end() == pos:
            break
        pos = match.end()
    return pos
