"""Cablegate site pages: the metadata table, the <h3> subject, the header and body <pre>.

Also the body-only ``<pre>`` pages some mirrors keep (format ``body-pre``): the same body
markup without the page around it. Markup is read with lxml, never with regular expressions.
"""

from __future__ import annotations

import re

import lxml.etree
import lxml.html

from indexer.formats.base import RawCable
from indexer.formats.plain import looks_like_cable
from indexer.formats.text import (
    ANCHOR,
    parse_site_date,
    parse_site_datetime,
    place_anchors,
    strip_partial_notice,
    tidy_lines,
    trusted_refid,
    unwrap_entities,
    without_marks,
)
from indexer.model import ParseError

HTML = "cablegate-html"
BODY_PRE = "body-pre"

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]{0,200}\?>")
_VIEWING = "Viewing cable "


def _document(text: str, source: str) -> lxml.html.HtmlElement:
    text = _XML_DECLARATION.sub("", text, count=1)
    if not text.strip():
        raise ParseError("empty file")
    try:
        return lxml.html.document_fromstring(text)
    except (lxml.etree.LxmlError, ValueError) as exc:
        raise ParseError(f"unreadable HTML ({exc})") from exc


def pre_text(pre: lxml.html.HtmlElement) -> tuple[str, list[str], list[str]]:
    """The text of a <pre>: (text with ¶ anchors placed, anchor ids, tag link texts)."""
    pieces: list[str] = []
    anchors: list[str] = []
    tags: list[str] = []
    _collect(pre, pieces, anchors, tags)
    text = place_anchors(tidy_lines(unwrap_entities("".join(pieces))))
    return text, anchors, tags


def _collect(element: lxml.html.HtmlElement, pieces: list[str], anchors: list[str], tags: list[str]) -> None:
    """Append the text inside ``element`` (not its tail): anchors become ANCHOR marks,
    ``<br>`` a line break, any other markup its words."""
    pieces.append(without_marks(element.text or ""))
    for child in element.iterchildren():
        tag = child.tag if isinstance(child.tag, str) else ""  # comments, processing instructions
        anchor_id = child.get("id") or child.get("name") or ""
        if tag == "a" and anchor_id.startswith("par"):
            anchors.append(anchor_id)
            pieces.append(ANCHOR)
        elif tag == "br":
            if not (child.tail or "").startswith("\n"):
                pieces.append("\n")
        elif tag:
            if tag == "a" and "/tag/" in (child.get("href") or "") and child.text_content().strip():
                tags.append(child.text_content().strip())
            _collect(child, pieces, anchors, tags)
        pieces.append(without_marks(child.tail or ""))


def _table_values(doc: lxml.html.HtmlElement) -> dict[str, str]:
    """The metadata table as {column name: link text (or cell text)}."""
    tables = doc.xpath("//table[contains(concat(' ', normalize-space(@class), ' '), ' cable ')]")
    if not tables:
        return {}
    rows = tables[0].xpath(".//tr")
    if len(rows) < 2:
        return {}
    names = [" ".join(th.text_content().split()).lower() for th in rows[0].xpath("./th|./td")]
    values: dict[str, str] = {}
    for name, cell in zip(names, rows[1].xpath("./td")):
        links = cell.xpath(".//a")
        # The link text is right; the classification link's title= attribute is not.
        values[name] = " ".join((links[0] if links else cell).text_content().split())
    return values


def _subject(doc: lxml.html.HtmlElement) -> str | None:
    """The subject from the site's ``<h3>Viewing cable REFID, SUBJECT</h3>``."""
    for h3 in doc.xpath("//h3"):
        heading = " ".join(h3.text_content().split())
        if heading.startswith(_VIEWING):
            subject = heading[len(_VIEWING):].partition(",")[2].strip()
            return subject or None
    return None


def read_html_page(text: str, source: str) -> RawCable:
    """One cablegate site page → RawCable (ParseError when the page holds no cable)."""
    doc = _document(text, source)
    pres = doc.xpath("//pre")
    table = _table_values(doc)
    if not table:  # a page of some other mirror: read what its <pre> holds, if anything
        return _body_pre_cable(doc, source, refid_hint=None)
    if not pres:
        raise ParseError("cable page without a <pre> body")
    body_pre = pres[-1]
    header_pre = pres[-2] if len(pres) >= 2 else None
    body, anchors, tags = pre_text(body_pre)
    header = pre_text(header_pre)[0] if header_pre is not None else ""
    header, partial = strip_partial_notice(header)
    if not body.strip():
        raise ParseError("cable page with an empty body")
    refid = table.get("reference id") or None
    created = table.get("created")
    released = table.get("released")
    return RawCable(
        source=source,
        format=HTML,
        body=body,
        header=header,
        refid=refid,
        created=parse_site_datetime(created) if created else None,
        released=parse_site_date(released) if released else None,
        classification=table.get("classification") or None,
        origin=table.get("origin") or None,
        subject=_subject(doc),
        tags=tags,
        partial=partial,
        anchors=anchors,
    )


_ARTICLE_LIST = "appears in these articles"


def read_body_pre(text: str, source: str, refid_hint: str | None = None) -> RawCable:
    """A body-only ``<pre>`` page → RawCable; lists of press articles are not cables."""
    return _body_pre_cable(_document(text, source), source, refid_hint)


def _body_pre_cable(doc: lxml.html.HtmlElement, source: str, refid_hint: str | None) -> RawCable:
    pres = doc.xpath("//pre")
    if not pres:
        if _ARTICLE_LIST in " ".join(doc.text_content().split()).lower():
            raise ParseError("not a cable (a list of press articles)")
        raise ParseError("not a cable (no <pre> body)")
    body, anchors, tags = pre_text(pres[-1])
    if not body.strip():
        raise ParseError("empty <pre> body")
    if not looks_like_cable(body.split("\n")):
        raise ParseError("not a cable (no classification banner, TAGS or SUBJECT in the <pre>)")
    refid, record_id, notes = trusted_refid(refid_hint, body)
    return RawCable(
        source=source,
        format=BODY_PRE,
        body=body,
        refid=refid,
        record_id=record_id,
        notes=notes,
        tags=tags,
        anchors=anchors,
    )
