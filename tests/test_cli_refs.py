"""`cables refs` and `cables history` on an index of both cablegate builds, and the
`cites:` / `citedby:` query fields.

The index holds the London pages of the April 2011 build (``cablegate-html``) and of the
December 2010 build (``cablegate-html-2010-12``): the cables both builds have, plus the
other London cables, among them some that cite each other. It is built in both orders.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from indexer.build import build_index
from indexer.history import normalize
from indexer.parse import parse_path
from search import Archive
from search.cli import cli

OLD_BUILD = "cablegate-html-2010-12"
NEW_BUILD = "cablegate-html"
STATION = "LONDON"

pytestmark = pytest.mark.corpus


def _pages(corpus: Path, build: str) -> list[Path]:
    return sorted((corpus / build).glob(f"*/*/*{STATION}*.html"))


@pytest.fixture(scope="module")
def indexes(corpus: Path, tmp_path_factory) -> dict[str, Path]:
    """Two indexes: every London page, old build first; and the London cables both builds
    have, new build first."""
    common = {p.name for p in _pages(corpus, OLD_BUILD)} & {p.name for p in _pages(corpus, NEW_BUILD)}
    built = {}
    for order in ("old-first", "new-first"):
        builds = [OLD_BUILD, NEW_BUILD] if order == "old-first" else [NEW_BUILD, OLD_BUILD]
        target = tmp_path_factory.mktemp(order) / "index"
        for build in builds:
            pages = [p for p in _pages(corpus, build) if order == "old-first" or p.name in common]
            summary = build_index(pages, target, workers=0)  # inline: no worker start-up
            assert not summary.skipped, summary.skipped
        built[order] = target
    return built


@pytest.fixture(scope="module")
def index(indexes) -> Path:
    return indexes["old-first"]


@pytest.fixture(scope="module")
def both_builds(corpus: Path) -> dict[str, tuple]:
    """refid → (old version, new version) for the London cables both builds have."""
    old = {c.refid: c for path in _pages(corpus, OLD_BUILD) for c in parse_path(path)}
    new = {c.refid: c for path in _pages(corpus, NEW_BUILD) for c in parse_path(path)}
    return {refid: (old[refid], new[refid]) for refid in sorted(set(old) & set(new))}


@pytest.fixture(scope="module")
def metadata(corpus: Path) -> dict[str, dict[str, str]]:
    with (corpus / "metadata.csv").open(newline="", encoding="utf-8") as handle:
        return {row["refid"]: row for row in csv.DictReader(handle)}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def _json(index: Path, *args: str) -> dict:
    code, out = run(*args, "--index", str(index), "--format", "json")
    assert code == 0, out
    return json.loads(out)


def _without_source(history: dict) -> list[dict]:
    return [{k: v for k, v in version.items() if k != "source"} for version in history["versions"]]


def _distinct(old, new) -> int:
    """How many versions two releases of a cable are: 1 if the same text on the same date."""
    same = (old.released == new.released and normalize(old.header) == normalize(new.header)
            and normalize(old.body) == normalize(new.body))
    return 1 if same else 2


# --- history ---------------------------------------------------------------------------------

def test_history_lists_both_versions_in_either_order(indexes, both_builds, metadata):
    assert len(both_builds) >= 10
    two = 0
    for refid, (old, new) in both_builds.items():
        histories = [_json(path, "history", refid) for path in indexes.values()]
        # the same versions whichever build was indexed first (an identical re-release keeps
        # the source it was first read from)
        assert _without_source(histories[0]) == _without_source(histories[1]), refid
        versions = histories[0]["versions"]
        assert len(versions) == _distinct(old, new), (refid, versions)
        if len(versions) == 2:
            two += 1
            released = [v["released"] for v in versions]
            assert released == sorted(released)  # oldest release first
            # the newest is the April 2011 page, whose release date metadata.csv gives
            assert versions[-1]["released"] == metadata[refid]["released_date"]
            assert {Path(v["source"]).parts[-4] for v in versions} == {OLD_BUILD, NEW_BUILD}
    assert two >= 5


def test_history_diff_names_the_paragraphs_that_differ(index, both_builds):
    """09LONDON2005: the later release redacted a URL in its last paragraph (read by hand)."""
    old, new = both_builds["09LONDON2005"]
    last = new.paragraphs[-1].number
    code, out = run("history", "09london2005", "--index", str(index), "--diff")
    assert code == 0, out
    assert "2 versions" in out
    assert f"¶{last} changed" in out
    assert "-" in out and any(line.strip().startswith("-") and "intelink.sgov.gov" in line
                              for line in out.splitlines())
    assert any(line.strip().startswith("+") and "XXXXXXXXXXXX" in line for line in out.splitlines())
    assert f"{len(new.paragraphs) - 1} paragraphs unchanged" in out
    # the same as JSON, and --from/--to naming the versions explicitly
    data = _json(index, "history", "09LONDON2005", "--from", "1", "--to", "2")
    assert [(c["status"], c["new_number"]) for c in data["diff"]["paragraphs"]] == [("changed", last)]
    assert data["diff"]["fields"]["released"] == {"old": old.released.isoformat(),
                                                  "new": new.released.isoformat()}


def test_history_diff_of_every_re_release_matches_the_text(index, both_builds):
    """For each cable with two versions, the diff's changed paragraphs are those whose text
    differs (where both versions number their paragraphs alike)."""
    for refid, (old, new) in both_builds.items():
        if _distinct(old, new) == 1 or [p.number for p in old.paragraphs] != [p.number for p in new.paragraphs]:
            continue
        versions = sorted([old, new], key=lambda c: c.released)
        differs = {a.number for a, b in zip(versions[0].paragraphs, versions[1].paragraphs)
                   if normalize(a.text) != normalize(b.text) or a.marking != b.marking}
        data = _json(index, "history", refid, "--diff")
        assert {c["new_number"] for c in data["diff"]["paragraphs"]} == differs, refid


def test_history_text_has_no_colour_codes_when_piped(index):
    code, out = run("history", "09LONDON2005", "--index", str(index), "--diff")
    assert code == 0 and "\x1b[" not in out


def test_history_under_a_ceiling_leaves_paragraphs_out(index):
    data = _json(index, "history", "09LONDON2005", "--diff", "--max-level", "UNCLASSIFIED")
    assert data["withheld"] > 0
    assert "intelink" not in json.dumps(data["diff"])


def test_history_errors_are_one_line(index):
    code, out = run("history", "09LONDON2005", "--index", str(index), "--from", "7")
    assert code == 2 and "no version 7" in out and len(out.strip().splitlines()) == 1
    code, out = run("history", "99NOWHERE1", "--index", str(index))
    assert code == 1 and "not in the index" in out and "Traceback" not in out


def test_python_api_matches_the_cli(index):
    with Archive(index) as archive:
        versions = archive.versions("09LONDON2005")
        assert [v.released for v in versions] == [v["released"] for v in
                                                  _json(index, "history", "09LONDON2005")["versions"]]
        assert archive.history("09LONDON2005", diff=True).diff.paragraphs


# --- refs ------------------------------------------------------------------------------------

def test_refs_shows_what_a_cable_cites_and_who_cites_it(index, metadata):
    """08LONDON1412 (REF: … E. LONDON 1115 …) cites 08LONDON1115, read by hand; both are
    indexed. The other London numbers it cites are not in the corpus: marked missing."""
    data = _json(index, "refs", "08LONDON1412")
    cited = {c["refid"]: c for c in data["cites"] if c["refid"]}
    assert cited["08LONDON1115"]["indexed"] is True
    assert cited["08LONDON1115"]["subject"].startswith(metadata["08LONDON1115"]["subject"])
    assert cited["08LONDON1115"]["created"][:10] == metadata["08LONDON1115"]["created_date"]
    assert cited["08LONDON1115"]["written"] == "LONDON 1115"
    missing = [c for c in data["cites"] if c["refid"] and not c["indexed"]]
    assert missing and all(c["refid"] not in metadata for c in missing)
    assert any(c["refid"] is None for c in data["cites"])  # e-mails and letters stay, unresolved

    back = _json(index, "refs", "08london1115")
    assert [c["refid"] for c in back["cited_by"]] == ["08LONDON1412"]
    assert back["cited_by"][0]["written"] == ["LONDON 1115"]

    code, out = run("refs", "08LONDON1412", "--index", str(index))
    assert code == 0
    assert "08LONDON1115" in out and cited["08LONDON1115"]["subject"] in out
    assert "missing from the index" in out


def test_cited_by_and_cites_agree(index):
    """A cites B (B indexed) exactly when A is among B's citing cables, over the whole index;
    and every citing cable the index records is among them."""
    with Archive(index) as archive:
        refids = sorted(archive.engine.refids())
        inverted: dict[str, set[str]] = {}
        for refid in refids:
            for cited in archive.references(refid).cites:
                if cited.indexed:
                    inverted.setdefault(cited.refid, set()).add(refid)
        assert len(inverted) >= 3
        for target in refids:
            citing = {c.refid for c in archive.cited_by(target)}
            assert citing == inverted.get(target, set()), target
            recorded = {refid for refid in refids for r in archive.engine.cable(refid).references
                        if r.refid == target}
            assert recorded <= citing, target


def test_refs_of_a_cable_outside_the_index(index):
    code, out = run("refs", "99NOWHERE1", "--index", str(index))
    assert code == 1 and "not in the index" in out and len(out.strip().splitlines()) == 1


# --- cites: and citedby: in queries ----------------------------------------------------------

def test_cites_and_citedby_queries(index):
    with Archive(index) as archive:
        citing = archive.search("cites:08LONDON1115", per_cable=True, limit=50)
        assert {h.refid for h in citing.hits} == {c.refid for c in archive.cited_by("08LONDON1115")}
        cited = archive.search("citedby:08london1412", per_cable=True, limit=50)
        indexed = {c.refid for c in archive.references("08LONDON1412").cites if c.indexed}
        assert {h.refid for h in cited.hits} == indexed == {"08LONDON1115"}
        narrowed = archive.search("citedby:08LONDON1412 AND clearances", limit=50)
        assert narrowed.total and all(h.refid == "08LONDON1115" for h in narrowed.hits)
        assert archive.search("citedby:99NOWHERE1").total == 0


def test_refs_of_a_cited_cable_missing_from_the_index(index):
    """08LONDON1412 cites LONDON 1350 (read by hand), a cable the corpus lacks."""
    data = _json(index, "refs", "08LONDON1350")
    assert data["indexed"] is False and data["cites"] == []
    assert "08LONDON1412" in [c["refid"] for c in data["cited_by"]]


def test_refs_known_list_prefers_refids_that_exist(index, corpus: Path):
    release = set((corpus / "reference" / "cable_ids.list").read_text().split())
    checked = 0
    for refid in ("08LONDON1412", "09LONDON2005", "10LONDON86", "09LONDON2346"):
        plain = _json(index, "refs", refid)["cites"]
        known = _json(index, "refs", refid, "--known", str(corpus / "reference" / "cable_ids.list"))["cites"]
        assert [c["written"] for c in plain] == [c["written"] for c in known]
        for a, b in zip(plain, known):
            if a["refid"] != b["refid"]:  # the list changed the answer: to a refid that exists
                assert b["refid"] in release and a["refid"] not in release
            checked += 1
    assert checked > 5
