"""The cable rules: turn what a format read (RawCable) into a Cable, and the parse entry points."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from indexer.formats.base import RawCable
from indexer.header import (Banner, DateTimeGroup, Head, find_banner, find_dtg, find_routing, is_partial,
                            parse_head, site_classification)
from indexer.model import Cable, Paragraph, ParseError, Reference
from indexer.origin import origin_from_sender, origin_from_station
from indexer.paragraphs import clean_text, remove_continuations, split_paragraphs
from indexer.references import resolve_references

OnSkip = Callable[[str, str], None]

_REFID_RE = re.compile(r"^(?P<year>\d{2})(?P<station>[A-Z][A-Z0-9]*?)0*(?P<number>\d+)$")
_REFID_NOISE = re.compile(r"[\s_-]")
_DECL_YEAR_RE = re.compile(r"^((?:19|20)\d{2})-\d{2}-\d{2}$")


def canonical_refid(refid: str | None) -> str | None:
    """'09 LONDON 001933' → '09LONDON1933'; None when it is not shaped like a refid."""
    if not refid:
        return None
    key = _REFID_NOISE.sub("", refid).upper()
    match = _REFID_RE.match(key)
    if not match:
        return None
    return f"{match.group('year')}{match.group('station')}{int(match.group('number'))}"


def refid_from_banner(banner: Banner | None, year: int | None) -> str | None:
    """Banner station and number plus a year: `LONDON 001933` in 2009 → 09LONDON1933."""
    if banner is None or banner.station is None or banner.number is None or year is None:
        return None
    return canonical_refid(f"{year % 100:02d}{banner.station.replace(' ', '')}{banner.number}")


def year_from_decl(declassify_on: str | None) -> int | None:
    """Cables are usually declassified after ten years: a last resort for the refid's year."""
    if not declassify_on:
        return None
    match = _DECL_YEAR_RE.search(declassify_on)
    return int(match.group(1)) - 10 if match else None


def _created(raw: RawCable, dtg: DateTimeGroup | None, warnings: list[str]) -> datetime | None:
    """The source's date and hour, with the minute of the date-time group when they agree.

    Sources copy the cablegate site's minutes, which are wrong: without a date-time group
    the minute is left at 0 rather than kept.
    """
    when = dtg.when if dtg else None
    if raw.created is None:
        return when
    if when is not None and when.date() == raw.created.date() and when.hour == raw.created.hour:
        return raw.created.replace(minute=when.minute, second=0, microsecond=0)
    if when is not None:
        warnings.append(f"date-time group {dtg.written} disagrees with the stated date {raw.created:%Y-%m-%d %H}h")
    return raw.created.replace(minute=0, second=0, microsecond=0)


def _refid(raw: RawCable, head: Head, created: datetime | None, warnings: list[str]) -> str:
    stated = canonical_refid(raw.refid)
    year = created.year if created else None
    if year is None:
        year = year_from_decl(head.declassify_on)
        if year is not None and stated is None:
            warnings.append("refid year guessed from the declassification date")
    from_text = refid_from_banner(head.banner, year)
    if stated and from_text and stated != from_text:
        stated_number = _REFID_RE.match(stated).group("number")  # type: ignore[union-attr]
        text_number = _REFID_RE.match(from_text).group("number")  # type: ignore[union-attr]
        if stated_number != text_number:
            warnings.append(f"refid {raw.refid} disagrees with the banner ({from_text})")
    refid = stated or from_text
    if refid is None:
        raise ParseError("no reference id: neither stated nor a classification banner with a year")
    return refid


def _tags(stated: list[str], written: list[str]) -> list[str]:
    """The source's tags (once each); the TAGS line when it holds them all and more (the
    cablegate site shows at most nine)."""
    unique = list(dict.fromkeys(t.strip().upper() for t in stated if t.strip()))
    if written and set(unique) <= set(written):
        return written
    return unique or written


def _origin_from_refid(refid: str) -> str | None:
    match = _REFID_RE.match(refid)
    return origin_from_station(match.group("station")) if match else None


def build_cable(raw: RawCable, paragraphs: bool = True) -> Cable:
    """Apply the cable rules to one RawCable. Raises ParseError when it is not a cable.

    paragraphs=False reads the header fields only (a quicker listing); the cable then has
    no paragraphs.
    """
    try:
        return _build(raw, paragraphs)
    except (ValueError, IndexError, KeyError, AttributeError) as exc:  # a rule tripped on damaged input
        raise ParseError(f"damaged cable ({type(exc).__name__}: {exc})") from None


def _build(raw: RawCable, with_paragraphs: bool = True) -> Cable:
    body = raw.body.replace("\r\n", "\n").replace("\r", "\n")
    banner = find_banner(body)
    head_text = remove_continuations(body, banner.station if banner else None)  # also inside fields
    head = parse_head(head_text, banner) if head_text == body else parse_head(head_text)
    header = raw.header.replace("\r\n", "\n")
    routing_text = header + "\n" + head_text[: head.start]
    dtg = find_dtg(routing_text)
    if head.banner is None and dtg is None and head.subject is None and not head.tags \
            and not raw.refid and not raw.classification:
        raise ParseError("not a cable: no classification banner, header fields or date-time group")
    warnings = list(raw.notes) + head.warnings
    routing = find_routing(routing_text)
    created = _created(raw, dtg, warnings)
    refid = _refid(raw, head, created, warnings)
    level = head.banner.level if head.banner else None
    classification = " ".join(raw.classification.upper().split()) if raw.classification else None
    classification = classification or site_classification(level, head.caveats)
    origin = (raw.origin and " ".join(raw.origin.split())) or origin_from_sender(routing.sender) \
        or origin_from_station(head.banner.station if head.banner else None) or _origin_from_refid(refid)
    station = head.banner.station if head.banner else None
    number = head.banner.number if head.banner else None
    paragraphs: list[Paragraph] = []
    if with_paragraphs:
        text = clean_text(head_text[head.end:], station, number)
        paragraphs, paragraph_warnings = split_paragraphs(text)
        warnings.extend(paragraph_warnings)
    if with_paragraphs and not paragraphs:
        warnings.append("no paragraph text")
    references = resolve_references(  # fills Reference.refid: indexer/references.py
        Cable(refid=refid, created=created, references=[Reference(written=w) for w in head.references]))
    if not references:
        references = [Reference(written=r, refid=canonical_refid(r)) for r in raw.references if r]
    return Cable(
        refid=refid,
        created=created,
        released=raw.released,
        classification=classification,
        origin=origin,
        caveats=head.caveats,
        precedence=dtg.precedence if dtg else None,
        dtg=dtg.written if dtg else None,
        sender=routing.sender,
        recipients=routing.recipients,
        info=routing.info,
        executive_order=head.executive_order,
        declassify_on=head.declassify_on,
        tags=_tags(raw.tags, head.tags),
        subject=head.subject or (" ".join(raw.subject.split()) if raw.subject else None),
        references=references,
        classified_by=head.classified_by,
        reasons=head.reasons,
        sections=head.banner.sections if head.banner else None,
        partial=raw.partial or is_partial(header),
        header=header,
        body=body,
        paragraphs=paragraphs,
        warnings=warnings,
        source=raw.source,
        format=raw.format,
    )


def parse_text(text: str, source: str = "<text>", format: str | None = None) -> Cable:
    """Read one cable from text in any supported format. ParseError unless exactly one cable."""
    from indexer.reading import read_text

    raws = read_text(text, source, format)
    if len(raws) != 1:
        raise ParseError(f"{source}: expected one cable, found {len(raws)}")
    try:
        return build_cable(raws[0])
    except ParseError as exc:
        raise ParseError(f"{source}: {exc}") from None


def parse_path(path: str | Path, on_skip: OnSkip | None = None) -> Iterator[Cable]:
    """Every cable in a file or directory (walked recursively; .gz/.bz2/.xz read transparently).

    Input that is not a cable is passed to on_skip(source, reason); without on_skip it is
    logged as a warning (logger "cablesearch"), like unreadable files.
    """
    from indexer.reading import read_path

    report = on_skip or _log_skip
    for raw in read_path(path, report):
        try:
            yield build_cable(raw)
        except ParseError as exc:
            report(raw.source, str(exc))


def _log_skip(source: str, reason: str) -> None:
    logging.getLogger("cablesearch").warning("skipped %s: %s", source, reason)
