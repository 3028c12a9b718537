"""Header rules, one field at a time, on the shapes real cables use (see the corpus README)."""

from __future__ import annotations

from datetime import datetime

import pytest

from indexer.header import (find_banner, find_caveats, find_dtg, find_routing, is_partial, parse_classified_by,
                            parse_eo, parse_head, parse_references, parse_subject, parse_tags,
                            site_classification)
from indexer.origin import origin_from_sender, origin_from_station, title_place


@pytest.mark.parametrize("line, level, station, number, sections", [
    ("C O N F I D E N T I A L LONDON 001933", "CONFIDENTIAL", "LONDON", 1933, None),
    ("S E C R E T SECTION 01 OF 04 NEW DELHI 009127", "SECRET", "NEW DELHI", 9127, 4),
    ("UNCLAS SECTION 01 OF 02 BRASILIA 001961 ", "UNCLASSIFIED", "BRASILIA", 1961, 2),
    ("UNCLAS STATE 063812", "UNCLASSIFIED", "STATE", 63812, None),
    ("C o n f i d e n t i a l section 01 of 04 ankara 000348", "CONFIDENTIAL", "ANKARA", 348, 4),
    ("CONFIDENTIAL SECTION 01 OF 08 NEW DELHI 005135", "CONFIDENTIAL", "NEW DELHI", 5135, 8),
    ("C O N F I D E N T I A L \nSECTION 01 OF 02 BAKU 000687", "CONFIDENTIAL", "BAKU", 687, 2),
    ("Friday, 20 August 2004, 06:19\nC O N F I D E N T I A L  VATICAN 003213", "CONFIDENTIAL", "VATICAN", 3213, None),
    ("Cable dated:2005-11-29T14:19:00C O N F I D E N T I A L CAIRO 008938SIPDISFOR THE DIRECTOR",
     "CONFIDENTIAL", "CAIRO", 8938, None),
])
def test_banner(line: str, level: str, station: str, number: int, sections: int | None) -> None:
    banner = find_banner(line)
    assert banner is not None
    assert (banner.level, banner.station, banner.number, banner.sections) == (level, station, number, sections)


def test_no_banner_in_plain_prose() -> None:
    assert find_banner("The minister said the talks were confidential and would go on.") is None


def test_date_time_group() -> None:
    dtg = find_dtg("VZCZCXYZ0012\nPP RUEHWEB\n\nDE RUEHC #3812 1701621\nZNR UUUUU ZZH\nP 211358Z AUG 09\nFM X")
    assert dtg is not None
    assert dtg.written == "P 211358Z AUG 09"
    assert dtg.precedence == "PRIORITY"
    assert dtg.when == datetime(2009, 8, 21, 13, 58)
    assert find_dtg("O 160858Z FEB 10").precedence == "IMMEDIATE"
    assert find_dtg("R 121241Z MAY 1998").when == datetime(1998, 5, 12, 12, 41)
    assert find_dtg("no group here 211358Z") is None


def test_routing() -> None:
    header = ("INFO  LOG-00   EEB-00   AF-00\n      DOTE-00  PDI-00\n\nP 211358Z AUG 09\n"
              "FM AMEMBASSY LONDON\nTO RUEHC/SECSTATE WASHDC PRIORITY 3226\n"
              "RUEHME/AMEMBASSY MEXICO PRIORITY 2867\nINFO RUEHXC/ALL US CONSULATES IN MEXICO COLLECTIVE\\\n"
              "RHMFISS/FBI WASHINGTON DC\nBT\n")
    routing = find_routing(header)
    assert routing.sender == "AMEMBASSY LONDON"
    assert routing.recipients == ["SECSTATE WASHDC", "AMEMBASSY MEXICO"]
    assert routing.info == ["ALL US CONSULATES IN MEXICO COLLECTIVE", "FBI WASHINGTON DC"]


@pytest.mark.parametrize("value, eo, decl", [
    ("12958: DECL: 08/20/2019 ", "12958", "2019-08-20"),
    ("12958: DECL: 2019/08/20", "12958", "2019-08-20"),
    (" 12958 DECL: 07/15/14", "12958", "2014-07-15"),
    ("12958: N/A", "12958", None),
    ("12356: DECL: OADR", "12356", "OADR"),
    ("12958: DECL: 02/04/2015TAGS:", "12958", "2015-02-04"),
    ("12958: DECL:  5/18/2017 ", "12958", "2017-05-18"),
])
def test_executive_order_and_declassification(value: str, eo: str, decl: str | None) -> None:
    assert parse_eo(value) == (eo, decl)


@pytest.mark.parametrize("value, tags", [
    (" KISL PREL PTER", ["KISL", "PREL", "PTER"]),
    (" MARR, MOPS, PGOV, PREL, UK, AF, PK ", ["MARR", "MOPS", "PGOV", "PREL", "UK", "AF", "PK"]),
    (" prel, pgov, sy", ["PREL", "PGOV", "SY"]),
    (" PREL PGOV\nKDEM ECON", ["PREL", "PGOV", "KDEM", "ECON"]),
    (" PREL PGOV PHUM LY\nQADHAFI DEVELOPMENT FOUNDATION LAYS OUT GOALS", ["PREL", "PGOV", "PHUM", "LY"]),
])
def test_tags(value: str, tags: list[str]) -> None:
    assert parse_tags(value) == tags


def test_subject_joins_wrapped_lines_and_stops_at_prose() -> None:
    assert parse_subject(" UK GOVERNMENT SEEKS DEEPER COUNTER-RADICALIZATION \nCOORDINATION ") == \
        "UK GOVERNMENT SEEKS DEEPER COUNTER-RADICALIZATION COORDINATION"
    assert parse_subject(": MEXICANS DIFFER") == "MEXICANS DIFFER"
    assert parse_subject(" GOE INFLUENZA PLANNING WELL UNDER WAY Sensitive but Unclassified. Please handle") \
        == "GOE INFLUENZA PLANNING WELL UNDER WAY"
    assert parse_subject(" ARGENTINA: 2009-2010 International Narcotics Control\nStrategy Report") == \
        "ARGENTINA: 2009-2010 International Narcotics Control Strategy Report"
    assert parse_subject("  ") is None


def test_references() -> None:
    assert parse_references(" A. STATE 152009  B. WILLSON - MARTIN EMAIL AUG 12") == \
        ["STATE 152009", "WILLSON - MARTIN EMAIL AUG 12"]
    assert parse_references(" A. ASHGABAT687\n¶B. ASHGABAT733") == ["ASHGABAT687", "ASHGABAT733"]
    assert parse_references(" 09 LONDON 2569") == ["09 LONDON 2569"]
    assert parse_references(" A) TRIPOLI 530, B) TRIPOLI 412") == ["TRIPOLI 530", "TRIPOLI 412"]


@pytest.mark.parametrize("value, by, reasons", [
    (" Political Counselor Robin Quinville, Reasons 1.4 (B,D)  ", "Political Counselor Robin Quinville", "1.4 (B,D)"),
    (" Ambassador Louis Susman for reasons 1.4 (b) and (d).", "Ambassador Louis Susman", "1.4 (b) and (d)"),
    (" DCM EARL IRVING . \nREASONS: 1.5 ( B ) AND ( D ) .", "DCM EARL IRVING", "1.5 ( B ) AND ( D )"),
    (" Charge d'Affaires Peter Bodde", "Charge d'Affaires Peter Bodde", None),
])
def test_classified_by(value: str, by: str, reasons: str | None) -> None:
    assert parse_classified_by(value) == (by, reasons)


def test_caveats() -> None:
    assert find_caveats("LONDON 001352SIPDISE.O. 12958") == ["SIPDIS"]
    assert find_caveats("SENSITIVE \nNOT FOR INTERNET \nSIPDIS \nNOFORN") == \
        ["SENSITIVE", "NOT FOR INTERNET DISTRIBUTION", "SIPDIS", "NOFORN"]
    assert find_caveats("FOR OFFICIAL USE ONLY") == ["FOUO"]


@pytest.mark.parametrize("level, caveats, site", [
    ("CONFIDENTIAL", ["SIPDIS", "NOFORN"], "CONFIDENTIAL//NOFORN"),
    ("UNCLASSIFIED", ["SENSITIVE", "SIPDIS"], "UNCLASSIFIED//FOR OFFICIAL USE ONLY"),
    ("UNCLASSIFIED", ["FOUO"], "UNCLASSIFIED//FOR OFFICIAL USE ONLY"),
    ("SECRET", ["SENSITIVE"], "SECRET"),
    ("UNCLASSIFIED", [], "UNCLASSIFIED"),
    ("UNCLASSIFIED", ["NOFORN"], "UNCLASSIFIED//FOR OFFICIAL USE ONLY"),
    (None, ["NOFORN"], None),
])
def test_site_classification(level: str | None, caveats: list[str], site: str | None) -> None:
    assert site_classification(level, caveats) == site


def test_head_of_a_body() -> None:
    body = ("C O N F I D E N T I A L LONDON 001933 \n \n \nNOFORN \n \nDEPARTMENT FOR EUR/WE \n \n"
            "E.O. 12958: DECL: 08/20/2019 \nTAGS: KISL PREL PTER\nSUBJECT: UK GOVERNMENT SEEKS DEEPER "
            "COUNTER-RADICALIZATION \nCOORDINATION \n \nREF: A. STATE 1 \nB. LONDON 2\n\n"
            "Classified By: Political Counselor Robin Quinville, Reasons 1.4 (B,D)  \n\n"
            "¶1. (C/NF) Summary.  During a VTC ...")
    head = parse_head(body)
    assert head.banner is not None and head.banner.station == "LONDON"
    assert head.caveats == ["NOFORN"]
    assert head.tags == ["KISL", "PREL", "PTER"]
    assert head.subject == "UK GOVERNMENT SEEKS DEEPER COUNTER-RADICALIZATION COORDINATION"
    assert head.references == ["STATE 1", "LONDON 2"]
    assert head.classified_by == "Political Counselor Robin Quinville"
    assert body[head.end:].lstrip().startswith("¶1.")


def test_head_of_flattened_text() -> None:
    """mongoexport bodies lost their line breaks: fields end at the next keyword or paragraph."""
    body = ("C O N F I D E N T I A L SECTION 01 OF 02 NEW DELHI 002879  DEPARTMENT FOR SA/INS  "
            "E.O. 12958: DECL: 04/07/03 TAGS: PARM, MARR, PGOV, PREL, IN SUBJECT: INDIAN REACTION TO "
            "PAKISTAN'S MISSILE TEST  REF:  ISLAMABAD 2617  CLASSIFIED CONFIDENTIAL BY NEW DELHI POLITICAL "
            "COUNSELOR ERIC TUNIS, REASON 1.5 (D).  1.  (C)  SUMMARY:  INDIAN OFFICIAL REACTION")
    head = parse_head(body)
    assert head.tags == ["PARM", "MARR", "PGOV", "PREL", "IN"]
    assert head.subject == "INDIAN REACTION TO PAKISTAN'S MISSILE TEST"
    assert head.references == ["ISLAMABAD 2617"]
    assert head.declassify_on == "2003-04-07"
    assert head.classified_by == "NEW DELHI POLITICAL COUNSELOR ERIC TUNIS"
    assert body[head.end:].strip().startswith("1.  (C)")


def test_subject_glued_to_ref_and_classified_by() -> None:
    body = ("UNCLAS CAIRO 000001\n\nE.O. 12958: N/A\nTAGS: PREL EG\nSUBJECT: DEMARCHE DELIVERED REF: A. STATE "
            "048525 B. CAIRO 000975 Classified By: Counselor Catherine Hill for reasons 1.4 (b) and (d). "
            "(S) We have informed the relevant Egyptian authorities.")
    head = parse_head(body)
    assert head.subject == "DEMARCHE DELIVERED"
    assert head.references == ["STATE 048525", "CAIRO 000975"]
    assert head.classified_by == "Counselor Catherine Hill"
    assert body[head.end:].strip().startswith("(S) We have informed")


def test_glued_fields() -> None:
    head = parse_head("C O N F I D E N T I A L LONDON 001352SIPDISE.O. 12958: DECL: 02/04/2015TAGS: PREL, "
                      "UKSUBJECT: GLUED FIELDS \n\n1. (C) Text.")
    assert head.banner is not None and head.banner.number == 1352
    assert head.caveats == ["SIPDIS"]
    assert (head.executive_order, head.declassify_on) == ("12958", "2015-02-04")
    assert head.tags == ["PREL", "UK"] and head.subject == "GLUED FIELDS"
    alone = parse_head("UNCLAS STATE 000001\n\nDECL: 08/20/2019\nTAGS: PREL\nSUBJECT: X\n\n1. Text")
    assert alone.declassify_on == "2019-08-20"


def test_partial_notice() -> None:
    assert is_partial("This record is a partial extract of the original cable. The full text ...")
    assert not is_partial("P 211358Z AUG 09\nFM AMEMBASSY LONDON")


@pytest.mark.parametrize("sender, origin", [
    ("AMEMBASSY LONDON", "Embassy London"),
    ("AMCONSUL SAO PAULO", "Consulate Sao Paulo"),
    ("AMCONSUL RIO DE JANEIRO", "Consulate Rio De Janeiro"),
    ("SECSTATE WASHDC", "Secretary of State"),
    ("USINT HAVANA", "US Interests Section Havana"),
    ("USMISSION USNATO", "Mission USNATO"),
    ("USMISSION GENEVA", "US Mission Geneva"),
    ("USMISSION USUN NEW YORK", "USUN New York"),
    ("USEU BRUSSELS", "USEU Brussels"),
    ("USMISSION UNVIE VIENNA", "UNVIE"),
    ("AMEMBASSY THE HAGUE", "Embassy The Hague"),
    ("AMEMBASSY TRIPOLI LY", "Embassy Tripoli"),
    ("SOMETHING ELSE", None),
])
def test_origin_from_sender(sender: str, origin: str | None) -> None:
    assert origin_from_sender(sender) == origin


def test_origin_from_station() -> None:
    assert origin_from_station("LONDON") == "Embassy London"
    assert origin_from_station("STATE") == "Secretary of State"
    assert origin_from_station("SAO PAULO") == "Consulate Sao Paulo"
    assert origin_from_station(None) is None
    assert title_place("PORT AU PRINCE") == "Port Au Prince"
