"""The cable model: levels, classification strings, JSON round trips."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from indexer.model import (Cable, Paragraph, Reference, classification_level, level_rank,
                           normalize_level)


@pytest.mark.parametrize("classification, level", [
    ("CONFIDENTIAL//NOFORN", "CONFIDENTIAL"),
    ("UNCLASSIFIED//FOR OFFICIAL USE ONLY", "UNCLASSIFIED"),
    ("SECRET", "SECRET"),
    ("SECRET//NOFORN", "SECRET"),
    ("TOP SECRET", "TOP SECRET"),
    ("UNCLAS", "UNCLASSIFIED"),
    ("", None),
    (None, None),
])
def test_classification_level(classification, level):
    assert classification_level(classification) == level


def test_levels_are_ordered():
    ranks = [level_rank(name) for name in ("UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP SECRET")]
    assert ranks == sorted(ranks) and len(set(ranks)) == 4
    assert level_rank("nonsense") == level_rank("TOP SECRET")  # unknown is never below a ceiling


@pytest.mark.parametrize("text, level", [("c", "CONFIDENTIAL"), ("Secret", "SECRET"),
                                         ("U", "UNCLASSIFIED"), ("top_secret", "TOP SECRET")])
def test_normalize_level(text, level):
    assert normalize_level(text) == level


def test_normalize_level_rejects_unknown():
    with pytest.raises(ValueError, match="unknown classification level"):
        normalize_level("restricted")


def test_cable_json_round_trip():
    cable = Cable(
        refid="09LONDON1933", created=datetime(2009, 8, 21, 13, 58), released=date(2011, 2, 4),
        classification="CONFIDENTIAL//NOFORN", origin="Embassy London", tags=["KISL", "PREL"],
        references=[Reference("A. STATE 152009", "09STATE152009")],
        paragraphs=[Paragraph(1, "Summary.", marking="C/NF", level="CONFIDENTIAL",
                              caveats=["NOFORN"], in_summary=True)],
    )
    data = json.loads(json.dumps(cable.to_dict()))
    assert data["created"] == "2009-08-21T13:58:00" and data["level"] == "CONFIDENTIAL"
    assert Cable.from_dict(data) == cable
