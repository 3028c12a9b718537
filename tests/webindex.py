"""The index the web tests serve: real cables, the seed cable, and one hostile cable of our own.

The hostile cable (written here, never taken from the corpus) carries markup and script in
its subject and text, a SECRET paragraph whose words must never leave a server started
under a lower ceiling, and a REF line citing the seed cable.
"""

from __future__ import annotations

from pathlib import Path

from indexer.build import build_index

HOSTILE_REFID = "10RIGA999"
SECRET_WORDS = "names the suspected hackers"  # only in the SECRET paragraph (¶2)
HOSTILE_CABLE = """\
VZCZCXRO0001
PP RUEHAG
DE RUEHRA #0999/01 0451200
ZNY CCCCC ZZH
P 141200Z FEB 10
FM AMEMBASSY RIGA
TO RUEHC/SECSTATE WASHDC PRIORITY 4321
BT
S E C R E T RIGA 000999

SIPDIS

E.O. 12958: DECL: 02/14/2020
TAGS: PREL KCRM LG
SUBJECT: WEBSITE DEFACEMENT <script>alert('subject')</script> INQUIRY

REF: A. 09 LONDON 1933 B. 10 STATE 12345

Classified By: Ambassador for Reasons 1.4 (b) and (d)

1. (U) Hackers left the markup <script>alert("pwned")</script> and
<b>bold</b> &amp; friends on the ministry website, said officials.

2. (S) The secret paragraph names the suspected hackers at the
ministry: the defacement came from inside.

3. (C) The ministry asked for help with its website security.
"""

# A second release of it whose SECRET paragraph changed: its diff must not leak either.
HOSTILE_CABLE_AGAIN = HOSTILE_CABLE.replace("came from inside.", "came from inside the building.")

# Real cables: one month of 2009 (holds the full page of the seed cable) and one year of 2004,
# so facets, paging and the date histogram have something to count; and the December 2010
# builds of the same months, so some cables have two releases to list and compare.
CORPUS_PARTS = ("cablegate-html/2009/08", "cablegate-html/2004",
                "cablegate-html-2010-12/2009/08", "cablegate-html-2010-12/2004")


def build_web_index(workdir: Path, corpus: Path, sample_corpus: Path,
                    engine_name: str | None = None) -> Path:
    """Build the index (with `engine_name`, default the default) into `workdir/index`."""
    hostile = []
    for name, text in (("hostile", HOSTILE_CABLE), ("hostile-again", HOSTILE_CABLE_AGAIN)):
        (workdir / name).mkdir(parents=True, exist_ok=True)
        (workdir / name / f"{HOSTILE_REFID}.txt").write_text(text, encoding="utf-8")
        hostile.append(workdir / name)
    index = workdir / "index"
    summary = build_index([sample_corpus, *hostile, *(corpus / part for part in CORPUS_PARTS)],
                          index, workers=0, engine_name=engine_name)
    assert not summary.skipped, summary.skipped
    return index
