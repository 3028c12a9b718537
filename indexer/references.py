"""Resolve the REF entries of a cable to canonical refids.

A cable's REF line cites other cables in many written forms: ``A. 09 LONDON 1234``,
``STATE 152009``, ``SECSTATE 134796``, ``2005 BERN 1865``, ``09LONDON1234``,
``LONDON 1818 AND 1820``, ``(B)07 BEIJING 331``, ``USUN NEW YORK 123``, with leading zeros,
notes (``(NOTAL)``, ``CIRCULAR``) and dates after the number. The canonical refid is the
two-digit year, the station without spaces and the number without leading zeros:
``09NEWDELHI9127``.

Resolution works from the written form alone (users index their own archives). Where a set
of ``known`` refids is available (an index's own refids, or the release's list), the
candidate that exists is preferred: the station read with or without its leading words, the
citing cable's year or the year before when the reference gives none.

Pure functions only: no I/O, no index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Collection, Iterable

from .model import Cable, Reference

# Stations whose names are written as several words (the canonical refid drops the spaces).
# Without a `known` set these decide how many words before the number are the station.
MULTIWORD_STATIONS: frozenset[str] = frozenset({
    "ABU DHABI", "ADDIS ABABA", "AIT TAIPEI", "BANDAR SERI BEGAWAN", "BUENOS AIRES",
    "CAPE TOWN", "CD GENEVA", "CHIANG MAI", "CIUDAD JUAREZ", "DAR ES SALAAM", "HO CHI MINH CITY",
    "HONG KONG", "IRAN RPO DUBAI", "KUALA LUMPUR", "LA PAZ", "NEW DELHI", "NUEVO LAREDO",
    "OSAKA KOBE", "PARIS FR", "PHNOM PENH", "PORT AU PRINCE", "PORT LOUIS", "PORT MORESBY",
    "PORT OF SPAIN", "PONTA DELGADA", "RIO DE JANEIRO", "RPO DUBAI", "SAN JOSE", "SAN SALVADOR",
    "SANTO DOMINGO", "SAO PAULO", "ST PETERSBURG", "TEL AVIV", "THE HAGUE", "UN ROME",
    "UNESCO PARIS FR", "UNVIE VIENNA", "USEU BRUSSELS", "USUN NEW YORK", "US MISSION GENEVA",
    "USTR GENEVA",
})

# Other names for one station, after spaces are dropped.
STATION_ALIASES: dict[str, str] = {
    "SECSTATE": "STATE", "SECSTATEWASHDC": "STATE", "STATEWASHDC": "STATE",
    "DEPTSTATE": "STATE", "USUN": "USUNNEWYORK", "USUNNY": "USUNNEWYORK",
    "USUNNEWYORKCITY": "USUNNEWYORK", "USMISSIONUSUNNEWYORK": "USUNNEWYORK",
    "NDJAMENA": "NDJAMENA", "USMISSIONGENEVA": "GENEVA", "USNATOBRUSSELS": "USNATO",
    "USOSCEVIENNA": "USOSCE", "UNVIE": "UNVIEVIENNA", "USEU": "USEUBRUSSELS",
    "HOCHIMINH": "HOCHIMINHCITY", "HCMC": "HOCHIMINHCITY", "RIO": "RIODEJANEIRO",
    "IRPO": "IRANRPODUBAI", "IRPODUBAI": "IRANRPODUBAI", "DUBAIIRPO": "IRANRPODUBAI",
    "DUBAIRPO": "RPODUBAI", "BSAS": "BUENOSAIRES", "DELHI": "NEWDELHI", "SECSTATEWASH": "STATE", "TALLIN": "TALLINN",
}

# Posts known under two names in refids (renamed, or written both ways): the second is a
# candidate too, chosen only where a catalogue of known refids has it and not the first.
STATION_VARIANTS: dict[str, tuple[str, ...]] = {
    "RPODUBAI": ("IRANRPODUBAI",), "IRANRPODUBAI": ("RPODUBAI",), "KYIV": ("KIEV",),
    "KIEV": ("KYIV",), "CALCUTTA": ("KOLKATA",), "KOLKATA": ("CALCUTTA",),
    "MADRAS": ("CHENNAI",), "CHENNAI": ("MADRAS",), "PARIS": ("PARISFR",),
    "UNESCOPARIS": ("UNESCOPARISFR",), "UNESCOPARISFR": ("UNESCOPARIS",),
}

# Words that end a station name when read right to left: what precedes a station in a REF
# line, and words that, followed by a number, are not a cable (para 5, NOV 2, 1.4 reasons).
NOT_STATION_WORDS: frozenset[str] = frozenset("""
    A B C D E F G H I J K L M N O P Q R S T U V W X Y Z
    REF REFS REFTEL REFTELS REFERENCE REFERENCES TEL TELS TELEGRAM CABLE CABLES SEE ALSO AND OR
    IN OF ON TO FROM BY THE AS PER AT FOR WITH NOTAL PARA PARAS PARAGRAPH PARAGRAPHS SECTION
    PAGE PART NO NUMBER NR NUM ITEM ANNEX TAB ENCL EMAIL MAIL E-MAIL MEMO LETTER FAX
    CLASSIFIED REASON REASONS DECL EO E.O TAGS SUBJECT SUBJ PREVIOUS SEPTEL AMEMBASSY EMBASSY
    CONSULATE AMCONSUL MISSION POST DEPT DEPARTMENT FM INFO WASHDC PRIORITY IMMEDIATE ROUTINE
    UNCLAS UNCLASSIFIED CONFIDENTIAL SECRET SENSITIVE SIPDIS NOFORN LIMITED OFFICIAL USE
    REPORT DAILY IIR OSC YEAR YEARS TELCON TELCONS DTD DATED
    JAN FEB MAR APR MAY JUN JUL AUG SEP SEPT OCT NOV DEC JANUARY FEBRUARY MARCH APRIL JUNE JULY
    AUGUST SEPTEMBER OCTOBER NOVEMBER DECEMBER
    MONDAY TUESDAY WEDNESDAY THURSDAY FRIDAY SATURDAY SUNDAY
""".split())

# A citation: [year] station words number [(year)] [AND/, more numbers]. Matched ignoring
# case on the text as written (positions stay those of the text).
_STATION_WORDS = r"[A-Z][A-Z']*(?:-[A-Z']+)*"
_CITATION = re.compile(
    r"(?<![\w/-])"
    r"(?:(?P<year>(?:19|20)\d\d|\d\d)\s*)?"
    rf"(?P<station>{_STATION_WORDS}(?:[ \t]+{_STATION_WORDS}){{0,4}})"
    r"[ \t]*(?P<number>\d{1,8})"
    r"(?![\w/]|[.-]\d|[ \t]+\d{2,3}(?:\.\d)?[ \t]+OF[ \t]+\d)"  # no date, decimal, page header
    r"(?:[ \t]*\((?P<after>(?:19|20)?\d\d)\))?"  # "STATE 200498 (2006)", "DOHA 311 (07)"
    # further numbers of the same station: "1818 AND 1820", "19, 21, 26"; a two- or four-digit
    # number that starts the next citation ("…, 08 STATE 12") is left to it.
    rf"(?P<more>(?:[ \t]*(?:,|AND|&|/)[ \t]*\d{{1,8}}(?![\w/]|\.\d|[ \t]*{_STATION_WORDS}[ \t]*\d))*)",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d+")
_NOT_LETTER = re.compile(r"[^A-Z]")
_PROSE_AFTER = re.compile(r"[ \t]+(?!(?:and|or|dated|of|para|paras|notal|previous)\b)[a-z]{2,}")
# Numbers alone: one of three digits or more (two digits alone are a year), or several.
_BARE_NUMBERS = re.compile(r"^\W*(?:\d{3,8}|\d{1,8}(?:\W+\d{1,8})+)\W*$")
_POINTER = re.compile(
    r"^\W*(?:REF(?:TEL)?S?|REFERENCE(?:S)?|TEL)\b\W*(?P<letter>[A-Z])?\W*$")
_ENTRY_LETTER = re.compile(r"^\W*(?:REF(?:TEL)?S?\W+)?\(?(?P<letter>[A-Z])[.):]\s")
_REFID = re.compile(r"^(?P<year>\d{2})(?P<station>[A-Z]+)(?P<number>\d+)$")


@dataclass(frozen=True)
class Citing:
    """What is known of the citing cable: its year (4 digits), station and message number."""

    year: int | None = None
    station: str | None = None
    number: int | None = None

    @classmethod
    def of(cls, cable: Cable) -> "Citing":
        parts = split_refid(cable.refid)
        year = cable.created.year if cable.created else None
        if parts is None:
            return cls(year=year)
        ref_year, station, number = parts
        if year is None:
            year = _four_digit_year(ref_year)
        return cls(year=year, station=station, number=number)


@dataclass(frozen=True)
class Citation:
    """One cable cited in written text: year if written, station words, number."""

    year: int | None  # four digits, or None when the text gives none
    station_words: tuple[str, ...]  # the words read as the station
    number: int
    before: tuple[str, ...] = ()  # words written just before them (a longer station name?)
    padded: bool = False  # the number was written zero-padded to six digits or more


@dataclass
class Catalog:
    """Refids known to exist (optional), and the stations they name."""

    refids: Collection[str] = ()
    stations: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, refids: Iterable[str] | None) -> "Catalog":
        known = refids if isinstance(refids, (set, frozenset)) else set(refids or ())
        # refid = 2-digit year + station + number; str methods keep 250,000 refids quick
        stations = {refid[2:].rstrip("0123456789") for refid in known}
        stations = {station for station in stations if station.isalpha() and station.isupper()}
        return cls(refids=known, stations=stations)


def split_refid(refid: str | None) -> tuple[int, str, int] | None:
    """(two-digit year, station, number) of a canonical refid, or None."""
    match = _REFID.match((refid or "").upper())
    if not match:
        return None
    return int(match["year"]), match["station"], int(match["number"])


def canonical_refid(year: int, station: str, number: int) -> str:
    """09NEWDELHI9127 from (2009, 'NEW DELHI', 9127)."""
    return f"{year % 100:02d}{station_key(station)}{number}"


def station_key(words: str | Iterable[str]) -> str:
    """The refid spelling of a station: upper case, no spaces, hyphens or quotes, aliases."""
    return _station_key(words if isinstance(words, str) else " ".join(words))


@lru_cache(maxsize=4096)  # a few hundred stations, keyed again for every candidate refid
def _station_key(text: str) -> str:
    key = _NOT_LETTER.sub("", text.upper())
    return STATION_ALIASES.get(key, key)


def find_citations(text: str) -> list[Citation]:
    """Every cable citation in a piece of written text, in order."""
    return list(_citations(text))


@lru_cache(maxsize=4096)  # resolving a REF line reads each entry up to three times
def _citations(text: str) -> tuple[Citation, ...]:
    found: list[Citation] = []
    for match in _CITATION.finditer(text):
        if _PROSE_AFTER.match(text, match.end("number")):
            continue  # "Christianity 34 years ago": a number in running text
        run = tuple(match["station"].upper().split())
        words = _trim_station(run)
        if not words:
            continue
        before = run[:len(run) - len(words)]
        # a year before words that are not the station is not the station's year
        written_year = (match["year"] if not before else None) or match["after"]
        year = _four_digit_year(int(written_year)) if written_year else None
        for number in [match["number"], *_NUMBER.findall(match["more"] or "")]:
            if int(number) > 0:
                found.append(Citation(year, words, int(number), before,
                                      padded=len(number) >= 6 and number.startswith("0")))
    return tuple(found)


def _trim_station(words: tuple[str, ...]) -> tuple[str, ...]:
    """Drop the words before the station; () when the last word cannot be a station."""
    if set(words[-1]) == {"X"}:
        return ()  # XXXXXXXXXXXX: a redaction, not a station
    for start, word in enumerate(words):
        if word not in NOT_STATION_WORDS or " ".join(words[start:]) in MULTIWORD_STATIONS:
            rest = words[start:]
            break
    else:
        return ()
    if rest[-1] in NOT_STATION_WORDS and " ".join(rest) not in MULTIWORD_STATIONS:
        return ()
    # A word inside the run that cannot be part of a station starts it afresh.
    for cut in range(len(rest) - 1, 0, -1):
        if rest[cut - 1] in NOT_STATION_WORDS and " ".join(rest[cut - 1:]) not in MULTIWORD_STATIONS:
            return rest[cut:]
    return rest


def _four_digit_year(year: int) -> int:
    if year >= 100:
        return year
    return 1900 + year if year >= 40 else 2000 + year


def station_candidates(words: tuple[str, ...], catalog: Catalog | None = None,
                       before: tuple[str, ...] = ()) -> list[str]:
    """Station keys the words may name, best first.

    The longest run of words that names a multi-word station or (with a catalogue) a known
    station wins, words written before the station included; otherwise the last word alone,
    or the whole run.
    """
    keys: list[str] = []
    run = before + words
    for start in range(len(run)):
        suffix = run[start:]
        key = station_key(suffix)
        if len(suffix) > 1 and (" ".join(suffix) in MULTIWORD_STATIONS
                                or key in STATION_ALIASES.values()):
            keys.append(key)
        elif catalog and key in catalog.stations and key not in keys:
            keys.append(key)
    last = station_key(words[-1:])
    whole = station_key(words)
    for key in (last, whole):
        if key not in keys:
            keys.append(key)
    for key in list(keys):  # a post's other name, in case the catalogue knows only that one
        keys.extend(v for v in STATION_VARIANTS.get(key, ()) if v not in keys)
    return keys


def citation_candidates(citation: Citation, citing: Citing,
                        catalog: Catalog | None = None) -> list[str]:
    """Refids a citation may mean, in the order the written form suggests."""
    candidates: list[str] = []
    stations = station_candidates(citation.station_words, catalog, citation.before)
    if citing.station in stations[1:] and citing.station in STATION_VARIANTS.get(stations[0], ()):
        stations.remove(citing.station)  # a post writing its own other name means itself
        stations.insert(0, citing.station)
    for station in stations:
        for year in _years(citation, station, citing):
            refid = canonical_refid(year, station, citation.number)
            if refid not in candidates:
                candidates.append(refid)
    return candidates


def _years(citation: Citation, station: str, citing: Citing) -> list[int]:
    if citation.year is not None:
        return [citation.year]
    if citing.year is None:
        return []
    current, previous = citing.year, citing.year - 1
    if station == citing.station and citing.number is not None:
        # A post numbers its cables in sequence through the year: a lower number without a
        # year is this year's (it went out earlier), whatever a catalogue holds; a higher
        # one is last year's, as a cable cannot cite a later one (this year's stays a
        # candidate: numbering is not strictly monotonic, and a citing refid can be wrong,
        # as mongoexport `_id`s often are). Its own number is left to the written form.
        if citation.number > citing.number:
            return [previous, current]
        return [current]
    return [current, previous]


def resolve_citation(citation: Citation, citing: Citing, catalog: Catalog | None = None) -> str | None:
    """The refid a citation most likely means: the first candidate that is known, else the
    first candidate the written form gives (never last year's guess for a same-year form)."""
    candidates = citation_candidates(citation, citing, catalog)
    if not candidates:
        return None
    if catalog and catalog.refids:
        for refid in candidates:
            if refid in catalog.refids:
                return refid
    return candidates[0]


def resolve_written(written: str, citing: Citing, catalog: Catalog | None = None,
                    previous: Citation | None = None) -> list[str]:
    """Every refid one written REF entry cites (several for ``LONDON 1818 AND 1820``).

    An entry of numbers alone (``B. 1820`` after ``A. LONDON 1818``) takes the station and
    year of ``previous``, the last citation of the entries before it.
    """
    refids: list[str] = []
    for citation in find_citations(written) or _bare_numbers(written, previous):
        if _is_own_banner(citation, citing):
            continue
        refid = resolve_citation(citation, citing, catalog)
        if refid and refid not in refids:
            refids.append(refid)
    return refids


def _is_own_banner(citation: Citation, citing: Citing) -> bool:
    """``TRIPOLI 000483`` inside TRIPOLI 483's REF entry: its own banner run into the entry
    (banners pad the number to six or eight digits; a cable cannot cite itself)."""
    return (citation.padded and citation.number == citing.number and citation.year in (None, citing.year)
            and station_key(citation.station_words) == citing.station)


def _bare_numbers(written: str, previous: Citation | None) -> list[Citation]:
    if previous is None or not _BARE_NUMBERS.match(written):
        return []
    return [replace(previous, number=int(n)) for n in _NUMBER.findall(written) if int(n) > 0]


def is_pointer(written: str) -> bool:
    """REFTEL, REF A, REFTELS: a pointer to another entry, not a citation itself."""
    return bool(_POINTER.match(written.upper()))


def resolve_references(cable: Cable, known: Iterable[str] | Catalog | None = None) -> list[Reference]:
    """The cable's references with ``refid`` filled in, one Reference per cited cable.

    An entry citing several cables (``LONDON 1818 AND 1820``) becomes one Reference per
    refid, each keeping the whole written entry. An entry with no citation in it (an e-mail,
    a press article) stays, with refid None. A pointer (REFTEL, REF A) resolves to the entry
    it names when that entry is unambiguous: the lettered entry, or the only entry.
    """
    catalog = known if isinstance(known, Catalog) else (Catalog.of(known) if known is not None else None)
    citing = Citing.of(cable)
    resolved: list[Reference] = []
    by_letter: dict[str, list[str]] = {}
    pointers: list[int] = []
    previous: Citation | None = None
    for reference in cable.references:
        if is_pointer(reference.written):
            pointers.append(len(resolved))
            resolved.append(replace(reference, refid=None))
            continue
        refids = resolve_written(reference.written, citing, catalog, previous)
        previous = (find_citations(reference.written) or [previous])[-1]
        letter = _ENTRY_LETTER.match(reference.written.upper())
        if letter:
            by_letter.setdefault(letter["letter"], []).extend(refids)
        if not refids:
            resolved.append(replace(reference, refid=None))
        resolved.extend(replace(reference, refid=refid) for refid in refids)
    real = [r.refid for r in resolved if r.refid]
    if not by_letter:  # the parser took the letters off: A, B, C… are the entries in order
        entries = [r for r in cable.references if not is_pointer(r.written)]
        for position, reference in enumerate(entries[:26]):
            by_letter[chr(ord("A") + position)] = resolve_written(reference.written, citing, catalog)
    for index in pointers:
        letter = _POINTER.match(resolved[index].written.upper())["letter"]
        targets = by_letter.get(letter, []) if letter else real
        if len(targets) == 1:
            resolved[index] = replace(resolved[index], refid=targets[0])
    return resolved


def cited_refids(cable: Cable) -> list[str]:
    """The distinct refids a cable cites, in order (for the index's ``cites`` field)."""
    seen: list[str] = []
    for reference in cable.references:
        if reference.refid and reference.refid not in seen:
            seen.append(reference.refid)
    return seen
