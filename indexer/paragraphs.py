"""Paragraph rules: split a cable's text into numbered paragraphs with markings and headings.

Works on text with line breaks and on text whose line breaks were flattened into spaces.
Every scan is a precompiled regex over bounded repetitions or a linear loop, so a
megabyte of spaces or dashes costs linear time.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator
from dataclasses import dataclass

from indexer.header import BANNER_RE
from indexer.model import Paragraph, normalize_level
from indexer.scanning import find_all, line_starts, scan_at, scan_sub

# --- cleanup: continuation headers, section lines, page breaks -----------------------------

# `NEW DELHI 00009127 002 OF 006`, `MONTERREY 00000527  001.2 OF 002`
# Whether a text can hold one: `\d{3} OF \d{3}` after a digit. Written to begin with the
# literal "OF", which the regex engine skips ahead to far faster than to a digit.
_CONTINUATION_HINT = re.compile(
    r"OF(?:(?<=\d[ \t]OF)|(?<=\d[ \t]{2}OF)|(?<=\d[ \t]{3}OF)|(?<=\d[ \t]{4}OF))[ \t]{1,4}\d{3}")
CONTINUATION_RE = re.compile(
    r"(?m)^[ \t]*(?:[A-Z][A-Z'.-]{0,20}[ \t]){1,4}[ \t]?\d{8}[ \t]{1,4}\d{3}(?:\.\d)?[ \t]{1,4}OF[ \t]{1,4}\d{3}\b")
SECTION_LINE_RE = re.compile(r"(?m)^[ \t]*SECTION[ \t]+\d{1,3}[ \t]+OF[ \t]+\d{1,3}[ \t]*$")
# Old teletype page breaks: `PAGE 02        STATE  123456  211358Z`
PAGE_BREAK_RE = re.compile(r"(?m)^[ \t]*PAGE[ \t]+\d{2,3}\b[^\n]{0,80}$")
# Those line patterns are tried only at the starts of lines that hold their keyword (for
# continuation headers: the `OF` the hint finds), see indexer/scanning.py.
NON_NUMERIC_ANCHOR_RE = re.compile(r"¶(?=[ \t]*[^\d\s])|¶(?=\s*$)")


_CONTINUATION_TAIL = r"[ \t]{1,4}\d{8}[ \t]{1,4}\d{3}(?:\.\d)?[ \t]{1,4}OF[ \t]{1,4}\d{3}\b"


# Old teletype page breaks inside flattened text: `CONFIDENTIAL PAGE 02 HARARE 05461 01 OF 02 271458Z`
PAGE_BREAK_INLINE_RE = re.compile(
    r"(?:(?:UNCLASSIFIED|CONFIDENTIAL|SECRET|LIMITED OFFICIAL USE)[ \t]+)?PAGE[ \t]+\d{2,3}[ \t]+"
    r"(?:[A-Z][A-Z'.-]*[ \t]+){1,4}\d{3,6}(?:[ \t]+\d{2}[ \t]+OF[ \t]+\d{2})?[ \t]+\d{6}Z\b")


def remove_continuations(text: str, station: str | None = None) -> str:
    """Continuation headers (`NEW DELHI 00009127 002 OF 006`) and page breaks replaced by a space.

    With the banner's station known they are found anywhere (flattened text has them
    inside sentences); without it only at a line start.
    """
    if "PAGE" in text:
        text = PAGE_BREAK_INLINE_RE.sub(" ", text)
    if not _CONTINUATION_HINT.search(text):
        return text
    if station:  # the station may be cut to ten characters: `TEGUCIGALP`, `BUENOS AIR`
        cut = " ".join(station.split())[:10]
        words = r"[ \t]{1,3}".join(re.escape(w) for w in cut.split(" "))
        text = re.sub(words + r"[A-Z]{0,20}" + _CONTINUATION_TAIL, " ", text)
    hints = [found.start() for found in _CONTINUATION_HINT.finditer(text)]
    return scan_sub(CONTINUATION_RE, line_starts(text, hints), " ", text)


def clean_text(text: str, station: str | None = None, number: int | None = None) -> str:
    """Remove continuation headers, repeated banners, section lines and page breaks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\\\n" in text:  # CSV dumps that kept a backslash before each line break
        text = text.replace("\\\n", "\n")
    text = remove_continuations(text, station)
    if station is not None and number is not None and str(number) in text:
        def _banner(match: re.Match[str]) -> str:
            same = (match.group("station") or "").upper() == station and int(match.group("number")) == number
            return " " if same else match.group(0)
        text = BANNER_RE.sub(_banner, text)
    if "SECTION" in text:
        text = scan_sub(SECTION_LINE_RE, line_starts(text, find_all(text, "SECTION")), "", text)
    if "PAGE" in text:
        text = scan_sub(PAGE_BREAK_RE, line_starts(text, find_all(text, "PAGE")), "", text)
    if "¶" in text:
        text = NON_NUMERIC_ANCHOR_RE.sub("", text)
    return text


# --- paragraph starts ----------------------------------------------------------------------

# Every alternative starts with `¶` or a digit (tried only where _para_start_positions
# says it can match); what must precede a number (a line start, spaces) is checked in Python.
PARA_START_RE = re.compile(
    r"¶[ \t]*(?P<anchored>\d{1,3})[ \t]?\.?"  # an anchor: a paragraph start for sure
    r"|(?P<number>\d{1,3})(?P<dot>[ \t]?\.)(?P<after>[ \t]{1,4}\(|[ \t]{1,4}(?=[A-Z])|\(|[ \t]|$)",
    re.MULTILINE,
)
# A dot after a digit (or a digit and a blank): a number of PARA_START_RE ends there.
_DOT_AFTER_DIGIT = re.compile(r"\.(?:(?<=\d\.)|(?<=\d[ \t]\.))")


def _para_start_positions(text: str) -> Iterator[int]:
    """Every position where PARA_START_RE can match, ascending: a `¶`, or one of the (at
    most three) digits right before a dot, or before a blank and a dot. Found with str.find
    and a regex that begins with a literal, both far faster than trying PARA_START_RE at
    every digit; yielded lazily, so memory stays small whatever the text."""
    return heapq.merge(find_all(text, "¶"), _digits_before_dots(text))


def _digits_before_dots(text: str) -> Iterator[int]:
    for dot in _DOT_AFTER_DIGIT.finditer(text):
        end = dot.start()
        if text[end - 1] in " \t":
            end -= 1
        first = end
        while first > max(end - 3, 0) and text[first - 1].isdecimal():
            first -= 1
        yield from range(first, end)  # after the previous dot's digits: a dot is no digit


MAX_GAP = 3  # a paragraph number may skip at most this many numbers


@dataclass
class Start:
    number: int
    start: int  # where the number begins
    text_start: int  # where the paragraph text begins (after the number)
    anchored: bool


def _start_kind(text: str, match: re.Match[str]) -> str | None:
    """'line' for a number at a line start, 'inline' for one in flattened text, else None."""
    pos = match.start()
    i = pos
    while i > 0 and pos - i <= 8 and text[i - 1] in " \t":
        i -= 1
    if i == 0 or text[i - 1] == "\n":
        return "line" if pos - i <= 8 else None
    if pos - i == 0 or text[i - 1].isdigit():
        return None  # `2009.` inside a number, or glued to a word
    after = match.group("after")
    if after.endswith("(") and after[:1] in " \t":
        return "inline"  # `... 2.  (U) ...`
    if pos - i >= 2 and after[:1] in " \t" and after.strip() == "" and len(after) >= 1 \
            and match.end() < len(text) and text[match.end()].isupper():
        return "inline"  # `...  2.  The ...`
    return None


def find_starts(text: str) -> list[Start]:
    """Paragraph starts: numbers that increase sensibly (by 1, or skip at most MAX_GAP-1)."""
    starts: list[Start] = []
    previous = 0
    for match in scan_at(PARA_START_RE, _para_start_positions(text), text):
        if match.group("anchored") is not None:
            kind, number, text_start = "anchored", int(match.group("anchored")), match.end()
        else:
            kind = _start_kind(text, match)
            if kind is None:
                continue
            number = int(match.group("number"))
            text_start = match.end("dot")
        if kind == "inline":  # weaker evidence: only the next number
            sensible = number == previous + 1
        else:
            sensible = previous < number <= previous + MAX_GAP
        if not sensible:
            continue
        starts.append(Start(number, match.start(), text_start, kind == "anchored"))
        previous = number
    return starts


def sensible_numbers(numbers: list[int]) -> list[int]:
    """The anchor numbers find_starts keeps (for comparing with a page's ¶ anchors)."""
    kept: list[int] = []
    previous = 0
    for number in numbers:
        if previous < number <= previous + MAX_GAP:
            kept.append(number)
            previous = number
    return kept


# --- markings ------------------------------------------------------------------------------

MARKING_RE = re.compile(r"\s*\([ \t]?(?P<marking>[A-Za-z]{1,4}(?:[ \t]?(?:/{1,2}|-|[ \t])[ \t]?[A-Za-z][A-Za-z ,.]{0,60}?){0,4})/{0,2}[ \t]?\)")
_LEVEL_CODES = {"U": "UNCLASSIFIED", "SBU": "UNCLASSIFIED", "C": "CONFIDENTIAL", "S": "SECRET",
                "TS": "TOP SECRET", "CNF": "CONFIDENTIAL", "SNF": "SECRET", "LOU": "UNCLASSIFIED",
                "UNCLASSIFIED": "UNCLASSIFIED", "CONFIDENTIAL": "CONFIDENTIAL", "SECRET": "SECRET",
                "SE": "SECRET"}
_CAVEAT_CODES = {"NF": "NOFORN", "NOFORN": "NOFORN", "FOUO": "FOUO", "SBU": "SENSITIVE",
                 "FGI": "FGI", "OC": "ORCON", "ORCON": "ORCON", "PROPIN": "PROPIN"}


_MARKING_PARTS = re.compile(r"/{1,2}|-(?=[A-Za-z])")
_REL_TO = re.compile(r"^REL(?:EASABLE)?[ \t]*(?:TO)?[ \t]*")
_CAVEAT_CODE = re.compile(r"[A-Z]{1,6}")


def parse_marking(marking: str) -> tuple[str | None, list[str]] | None:
    """'C/NF' → ('CONFIDENTIAL', ['NOFORN']); None when it is not a classification marking."""
    parts = [p.strip() for p in _MARKING_PARTS.split(marking) if p.strip()]
    if not parts:
        return None
    first = parts[0].upper()
    level_code = first.split()[0] if first.split() else first
    if level_code not in _LEVEL_CODES:
        return None
    level = normalize_level(_LEVEL_CODES[level_code])
    caveats: list[str] = []
    if level_code in ("SBU",):
        caveats.append("SENSITIVE")
    if level_code in ("CNF", "SNF"):
        caveats.append("NOFORN")
    rest = parts[1:]
    if " " in first and not rest:  # `C - ENTIRE TEXT`, `S REL UK`
        rest = [first.split(None, 1)[1]]
    for part in rest:
        key = part.upper().strip(" -")
        if key in ("ENTIRE TEXT", ""):
            continue
        if key in _CAVEAT_CODES:
            caveats.append(_CAVEAT_CODES[key])
        elif key.startswith("REL"):
            caveats.append("REL " + _REL_TO.sub("", key).strip())
        elif key in _LEVEL_CODES:
            continue
        elif _CAVEAT_CODE.fullmatch(key):
            caveats.append(key)
        else:
            return None if not caveats and len(key) > 12 else (level, caveats)
    return level, caveats


def take_marking(text: str, pos: int) -> tuple[str | None, str | None, list[str], int]:
    """A marking right at pos: (written, level, caveats, position after it)."""
    match = MARKING_RE.match(text, pos)
    if not match:
        return None, None, [], pos
    parsed = parse_marking(match.group("marking"))
    if parsed is None:
        return None, None, [], pos
    level, caveats = parsed
    return " ".join(match.group("marking").split()), level, caveats, match.end()


# --- headings ------------------------------------------------------------------------------

_CONNECTORS = frozenset("a an and at by for from in of on or the to vs with under over into not & -".split())
_SENTENCE_END = (".", "!", "?", ":", ";", ")", '"', "”")
_HEADING_MAX = 120
_MARKERS_END = re.compile(r"\bEND[ \t]+(?:OF[ \t]+)?(?:SUMMARY|COMMENT)\b\.?", re.IGNORECASE)


def _dash_run_start(text: str, end: int) -> int:
    """Start of a trailing run of dashes/underscores/equals and spaces ending at `end` (linear)."""
    i = end
    dashes = 0
    while i > 0 and text[i - 1] in "-_= \t\n*":
        if text[i - 1] in "-_=*":
            dashes += 1
        i -= 1
    return i if dashes >= 3 else end


def _is_heading_word(word: str) -> bool:
    core = word.strip("\"'“”‘’(),&")
    if not core:
        return word in ("&", "-", "--")
    if core.lower() in _CONNECTORS:
        return True
    return core[0].isupper() or core[0].isdigit()


def split_trailing_heading(chunk: str) -> tuple[str, str | None]:
    """A section heading at the end of a paragraph's text: (text without it, heading).

    Headings are underlined with dashes (on their own line, or glued to the end of the
    paragraph in Markdown renderings), boxed (`--- SUMMARY ---`), or a short line alone.
    """
    end = len(chunk.rstrip())
    if end == 0:
        return chunk, None
    dash_start = _dash_run_start(chunk, end)
    if dash_start == end:
        return _bare_heading(chunk, end)
    before = chunk[:dash_start].rstrip()
    if not before:
        return "", None
    newline, gap = before.rfind("\n"), before.rfind("  ")
    seg_start = max(newline, gap) + 1
    segment = before[seg_start:].strip(" \t-_=*")
    own_line = (newline >= 0 and newline >= gap) or (seg_start == 0 and len(segment.split()) <= 8)
    if segment and len(segment) <= _HEADING_MAX and not segment.endswith((".", "!", "?", ";", ",")) \
            and (_looks_like_line_heading(segment) if own_line else _looks_like_heading(segment)):
        rest = before[:seg_start]
        rest = rest[:_dash_run_start(rest, len(rest.rstrip()))]  # a box's upper rule
        return (rest.rstrip() + "\n") if rest.strip() else "", segment.rstrip(":")
    return _glued_heading(before)


def _looks_like_heading(segment: str) -> bool:
    """Title Case or upper case words, at most one plain lower-case word."""
    words = segment.split()
    if not words or len(words) > 16 or not _is_heading_word(words[0]):
        return False
    return sum(not _is_heading_word(w) for w in words) <= 1


def _looks_like_line_heading(segment: str) -> bool:
    """A short line of its own above a rule: sentence case is allowed."""
    words = segment.split()
    return 0 < len(words) <= 12 and (segment[0].isupper() or segment[0].isdigit() or segment[0] in "\"'(")


def _glued_heading(before: str) -> tuple[str, str | None]:
    """Markdown renderings glue the heading to the paragraph: take its trailing Title-Case run."""
    words = before.split(" ")
    i = len(words)
    while i > 0:
        word = words[i - 1]
        if not word:
            i -= 1
            continue
        if word.endswith(_SENTENCE_END) or not _is_heading_word(word):
            break
        i -= 1
    run = [w for w in words[i:] if w]
    while run and run[0].strip("\"'“”‘’(").lower() in _CONNECTORS:
        run.pop(0)
    if not run or len(" ".join(run)) > _HEADING_MAX:
        return before, None
    heading = " ".join(run)
    cut = before.rfind(heading)
    if _MARKERS_END.search(heading):
        return before, None
    return before[:cut].rstrip(), heading


_LAST_LINE_RE = re.compile(r"\n(?P<h>[^\n]{1,80})\s*$")


def _bare_heading(chunk: str, end: int) -> tuple[str, str | None]:
    """A short heading line of its own, without dashes: after a blank line, or in upper case
    after a finished sentence."""
    match = _LAST_LINE_RE.search(chunk, max(0, end - 90), end)
    if not match:
        return _flattened_bare_heading(chunk, end)
    heading = match.group("h").strip().rstrip(":")
    words = heading.split()
    if not words or len(words) > 8 or heading.endswith((".", ",", ";", "?", "!")) or not heading[0].isupper():
        return chunk, None
    if not (heading.isupper() or _looks_like_heading(heading)) or heading.isdigit() or _MARKERS_END.search(heading):
        return chunk, None
    before = chunk[: match.start()]
    after_blank = before.rstrip(" \t").endswith("\n") or not before.strip()
    after_sentence = before.rstrip().endswith((".", "!", "?", '"', "”", ")"))
    if not (after_blank or (after_sentence and heading.isupper() and before[-200:].upper() != before[-200:])):
        return chunk, None
    return before.rstrip() + "\n", heading


def _flattened_bare_heading(chunk: str, end: int) -> tuple[str, str | None]:
    """Flattened text: `... he said.  AN ALERT AND ENGAGING HOST  ¶15.` (a heading between gaps)."""
    tail_start = max(0, end - 120)
    if "\n" in chunk[tail_start:end]:
        return chunk, None
    gaps = list(_GAP_RE.finditer(chunk, tail_start, end))
    if not gaps:
        return chunk, None
    gap = gaps[-1]
    heading = chunk[gap.end():end].strip()
    before = chunk[: gap.start()].rstrip()
    words = heading.split()
    if not words or len(words) > 8 or not before.endswith((".", "!", "?", '"', "”", ")")) \
            or heading.endswith((".", ",", ";", "?", "!", ":")) or not heading[0].isupper():
        return chunk, None
    if before[-200:].upper() == before[-200:] or not (heading.isupper() or _looks_like_heading(heading)) \
            or _MARKERS_END.search(heading):
        return chunk, None  # an upper-case cable: a heading cannot be told from text
    return before, heading


_GAP_RE = re.compile(r"[ \t]{2,}")


# --- summary and comment -------------------------------------------------------------------

_SUMMARY_START = re.compile(r"^[\W_]{0,4}(?:EXECUTIVE[ \t]+)?SUMMARY(?:[ \t]+AND[ \t]+COMMENT)?\b[ \t]*[:.-]?", re.IGNORECASE)
_COMMENT_START = re.compile(r"^[\W_]{0,4}COMMENTS?\b[ \t]*(?:[:.-]|AND\b)?", re.IGNORECASE)
_SUMMARY_END = re.compile(r"\bEND[ \t]+(?:OF[ \t]+)?SUMMARY\b", re.IGNORECASE)
_COMMENT_END = re.compile(r"\bEND[ \t]+(?:OF[ \t]+)?COMMENTS?\b", re.IGNORECASE)
# The same on lower-cased text: a literal first letter lets the regex engine skip ahead.
_SUMMARY_END_LOWER = re.compile(r"end[ \t]+(?:of[ \t]+)?summary\b")
_COMMENT_END_LOWER = re.compile(r"end[ \t]+(?:of[ \t]+)?comments?\b")
# Both in one pass (their matches never overlap: neither word holds an `end`).
_REGION_END_LOWER = re.compile(r"end[ \t]+(?:of[ \t]+)?(?:(?P<summary>summary)|comments?)\b")
# `SUMMARY:` or `Summary:` not inside a word; the lookbehind comes after the literal first
# letter, which the regex engine skips ahead to.
_SUMMARY_ANY = re.compile(r"S(?:UMMARY|ummary)(?<![A-Za-z].{7})[ \t]*:")
_COMMENT_ANY = re.compile(r"C(?:OMMENT|omment)(?<![A-Za-z(].{7})[ \t]*:")


def _ends_region(end_re: re.Pattern[str], end_lower_re: re.Pattern[str], body: str, lower: str) -> bool:
    """``end_re.search(body)``, skipped when the literal-led search of the lower-cased text
    rules it out. Exact unless the text holds `ſ`, which ignore-case reads as `s` but
    lower() keeps (no other character matches a letter of these words ignoring case)."""
    if end_lower_re.search(lower) is None and "\u017f" not in body:
        return False
    return end_re.search(body) is not None


# --- the whole split -----------------------------------------------------------------------

def join_lines(text: str) -> str:
    """Wrapped lines joined into flowing text; whitespace squeezed; anchors that start no
    paragraph (a repeated or out-of-order number) dropped."""
    if "¶" in text:
        text = text.replace("¶", "")
    return " ".join(text.split())


def split_paragraphs(text: str) -> tuple[list[Paragraph], list[str]]:
    """The numbered paragraphs of a cable's text (after its header fields), plus warnings."""
    warnings: list[str] = []
    starts = find_starts(text)
    chunks: list[tuple[int, int, int, int]] = []  # number, number start, text start, end
    if not starts or text[: starts[0].start].strip():
        chunks.append((0, 0, 0, starts[0].start if starts else len(text)))
    for i, start in enumerate(starts):
        end = starts[i + 1].start if i + 1 < len(starts) else len(text)
        chunks.append((start.number, start.start, start.text_start, end))
    if starts and starts[0].number != 1:
        warnings.append(f"paragraph numbering starts at {starts[0].number}")
    # A summary that does not end in its own paragraph carries over only when an END SUMMARY
    # follows; the same for comments.
    lower_text = text.lower()
    summary_end = comment_end = -1
    if "summary" in lower_text or "comment" in lower_text:  # the last END SUMMARY, END COMMENT
        for found in _REGION_END_LOWER.finditer(lower_text):
            if found.group("summary"):
                summary_end = found.start()
            else:
                comment_end = found.start()
    paragraphs: list[Paragraph] = []
    heading: str | None = None
    in_summary = in_comment = False
    heading_summary = heading_comment = False
    for index, (number, _, text_start, end) in enumerate(chunks):
        chunk = text[text_start:end]
        next_heading = None
        if index + 1 < len(chunks):
            chunk, next_heading = split_trailing_heading(chunk)
        marking, level, caveats, after = take_marking(chunk, 0)
        if number == 0 and marking is None:
            chunk_text = chunk
        else:
            chunk_text = chunk[after:]
        body = join_lines(chunk_text)
        # summary / comment regions
        head = body[:60]
        starts_summary = bool(_SUMMARY_START.match(head))
        starts_comment = bool(_COMMENT_START.match(head))
        para_summary = in_summary or starts_summary or heading_summary
        para_comment = in_comment or starts_comment or heading_comment
        # carry the regions over to the next paragraph (substring checks keep this cheap)
        lower = body.lower()
        has_summary, has_comment = "summary" in lower, "comment" in lower
        if starts_summary or (has_summary and not in_summary and _SUMMARY_ANY.search(body)):
            in_summary = summary_end >= end
        if has_summary and _ends_region(_SUMMARY_END, _SUMMARY_END_LOWER, body, lower):
            in_summary = False
        comment_ends = has_comment and _ends_region(_COMMENT_END, _COMMENT_END_LOWER, body, lower)
        if starts_comment or (has_comment and not in_comment and not comment_ends and _COMMENT_ANY.search(body)):
            in_comment = comment_end >= end or starts_comment
        if comment_ends:
            in_comment = False
        if body or number > 0:
            paragraphs.append(Paragraph(
                number=number, text=body, marking=marking, level=level, caveats=caveats,
                heading=heading if number > 0 else None,
                in_summary=para_summary, in_comment=para_comment))
        if next_heading is not None:
            heading = " ".join(next_heading.split())
            key = heading.lower()
            heading_summary = "summary" in key
            heading_comment = "comment" in key
            if heading_summary or heading_comment:
                in_summary = in_summary and heading_summary
                in_comment = in_comment and heading_comment
            else:
                in_summary = in_comment = False
    return paragraphs, warnings
