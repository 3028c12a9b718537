"""mongoexport JSON lines: ``_id``, ``origin``, ``date_time``, ``classification``, ``body``.

The exports are not strict JSON: ``\\'`` escapes, raw control characters inside strings,
sometimes junk after the object. Bodies had their line breaks flattened to spaces and are
kept as they are (one long line).

``_id`` is often wrong (it names another cable). It becomes ``RawCable.refid`` only when the
banner at the top of the body carries the same station and message number; otherwise the
refid is left to the cable rules (they derive it from the banner) and ``_id`` is kept in
``RawCable.record_id`` with a note.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator

from indexer.formats.base import RawCable
from indexer.formats.records import Shard, Skipped, owns
from indexer.formats.text import id_agrees_with_banner, parse_site_datetime, strip_partial_notice, unwrap_entities
from indexer.model import ParseError

JSONL = "mongo-jsonl"

_DECODER = json.JSONDecoder(strict=False)
_BAD_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\'")  # \' (not \\') → '


def looks_like_mongo(head: str) -> bool:
    first = head.lstrip("\ufeff \t\r\n")
    return first.startswith("{") and ('"_id"' in head[:400] or '"body"' in head[:2000])


def _loads(line: str) -> tuple[dict, bool]:
    """Parse one exported line: (object, whether junk followed it)."""
    text = _BAD_ESCAPE.sub(lambda m: m.group(1) + "'", line.strip())
    obj, end = _DECODER.raw_decode(text)
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    return obj, bool(text[end:].strip())


def record_to_cable(obj: dict, source: str) -> RawCable:
    body = obj.get("body")
    if not isinstance(body, str) or not body.strip():
        raise ParseError("record without a body")
    record_id = str(obj.get("_id") or "").strip() or None
    candidates = [str(obj.get(key) or "").strip() for key in ("reference_id", "_id")]
    refid = next((c for c in candidates if c and id_agrees_with_banner(c, body)), None)
    notes: list[str] = []
    if record_id and refid is None:
        verdict = "disagrees with" if id_agrees_with_banner(record_id, body) is False else "cannot be checked against"
        notes.append(f"_id {record_id} {verdict} the banner: refid left to the cable rules")
    header, partial = strip_partial_notice(str(obj.get("header") or ""))
    stated_date = str(obj.get("date_time") or "").strip()
    created = parse_site_datetime(stated_date) if stated_date else None
    if stated_date and created is None:
        notes.append(f"unreadable date_time {stated_date[:40]!r}")
    return RawCable(
        source=source,
        format=JSONL,
        body=unwrap_entities(body).strip(),
        header=header,
        refid=refid,
        created=created,
        classification=(str(obj.get("classification") or "").strip() or None),
        origin=(str(obj.get("origin") or "").strip() or None),
        partial=partial,
        record_id=record_id,
        notes=notes,
    )


def iter_mongo(lines: Iterable[str], source: str, shard: Shard = None) -> Iterator[RawCable | Skipped | None]:
    """Stream a mongoexport file: one RawCable (or one Skipped) per non-blank line.

    With ``shard`` (k, n), only records numbered k+1, k+1+n, … are parsed or reported; another
    shard's record yields None unparsed (one line is one record, so numbering needs no parse).
    """
    record = 0
    for line_no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        record += 1
        if not owns(shard, record):
            yield None
            continue
        where = f"{source}#{record} (line {line_no})"
        try:
            obj, junk = _loads(line)
            cable = record_to_cable(obj, where)
        except (ValueError, RecursionError, ParseError) as exc:  # RecursionError: "[[[[…"
            yield Skipped(where, f"bad JSON record: {str(exc).splitlines()[0][:160]}")
            continue
        if junk:
            cable.notes.append("junk after the JSON object ignored")
        yield cable
