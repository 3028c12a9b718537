"""Bad input never escapes as anything but ParseError, and never takes unbounded time.

Quick in CI; `pytest --runslow` runs the long fuzz (many more examples and mutations).
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import random
import re
import signal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer import Cable, ParseError, build_cable, parse_path, parse_text
from indexer.reading import read_text

SEED_CABLE = Path(__file__).resolve().parent.parent / "sample_corpus" / "09LONDON1933.md"
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# No input may take longer than this; a catastrophic regex would take minutes or forever.
BOUND_SECONDS = 20


@contextlib.contextmanager
def bounded(seconds: int = BOUND_SECONDS):
    def expire(signum, frame):
        raise TimeoutError(f"input took longer than {seconds}s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def parse_or_reject(text: str) -> Cable | None:
    """The documented outcomes only: a Cable, or ParseError."""
    try:
        return parse_text(text)
    except ParseError:
        return None


def parse_file(path: Path) -> tuple[list[Cable], list[tuple[str, str]]]:
    skipped: list[tuple[str, str]] = []
    cables = list(parse_path(path, on_skip=lambda source, reason: skipped.append((source, reason))))
    return cables, skipped


# --- arbitrary input ------------------------------------------------------------------------

@FUZZ
@given(st.text())
def test_arbitrary_text(text):
    with bounded():
        parse_or_reject(text)


@FUZZ
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_in_a_file(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("bytes") / "input.txt"
    path.write_bytes(data)
    with bounded():
        cables, skipped = parse_file(path)
    assert cables or skipped, "every file is read or reported"
    assert all(str(path) in source for source, _ in skipped)


CABLE_PIECES = st.sampled_from([
    "C O N F I D E N T I A L LONDON 001933\n", "UNCLAS SECTION 01 OF 02 STATE 000123\n",
    "SUBJECT: ", "TAGS: PREL PGOV\n", "REF: A. STATE 1234 B. LONDON 99\n", "E.O. 12958: DECL: 1/1/2019\n",
    "Classified By: someone, Reasons 1.4 (b)\n", "\u00b61. (C/NF) ", "\ufffd2. (S) ", "2.  (U) ",
    "- [3](#). (C) ", "SUMMARY\n-------\n", "END SUMMARY.", "Comment -----", "\n", "  ", "---",
    "<a id='par1' href='#par1'>\u00b6</a>", "<pre>", "</pre>", "<code>", "&#x000A;", "(", ")", "\"",
    "\\\"", "P 211358Z AUG 09\n", "FM AMEMBASSY LONDON\n", "TO SECSTATE WASHDC\n", "NEW DELHI 00009127 002 OF 006\n",
])


@FUZZ
@given(st.lists(st.one_of(CABLE_PIECES, st.text(max_size=30)), max_size=60))
def test_cable_shaped_noise(pieces):
    with bounded():
        cable = parse_or_reject("".join(pieces))
    if cable is not None:
        assert cable.refid and all(p.number >= 0 for p in cable.paragraphs)


# --- mutations of real cables -----------------------------------------------------------------

def mutate(text: str, rng: random.Random) -> str:
    """Delete, duplicate, swap or garble a few random slices."""
    for _ in range(rng.randint(1, 6)):
        if not text:
            break
        a = rng.randrange(len(text))
        b = min(len(text), a + rng.randint(1, 400))
        action = rng.choice(("delete", "duplicate", "garble", "truncate", "splice"))
        if action == "delete":
            text = text[:a] + text[b:]
        elif action == "duplicate":
            text = text[:b] + text[a:b] * rng.randint(1, 50) + text[b:]
        elif action == "garble":
            text = text[:a] + "".join(chr(rng.randint(0, 0x2FFF)) for _ in range(b - a)) + text[b:]
        elif action == "truncate":
            text = text[:a]
        else:
            c = rng.randrange(len(text))
            text = text[:a] + text[c:c + 200] + text[a:]
    return text


def real_samples(corpus: Path) -> list[str]:
    samples = [SEED_CABLE.read_text(encoding="utf-8")]
    for name in ("cablegate-html/2009/08/09LONDON1933.html", "plain-text/06NEWDELHI5135.txt",
                 "body-pre/05BOGOTA7402.txt"):
        samples.append((corpus / name).read_text(encoding="utf-8", errors="replace"))
    with (corpus / "cables-csv" / "cables_sample.csv").open(encoding="utf-8") as handle:
        samples.append(handle.read())
    with next((corpus / "mongo-jsonl").glob("*.json")).open(encoding="utf-8", errors="replace") as handle:
        samples.append("".join(handle.readline() for _ in range(3)))
    return samples


@pytest.mark.corpus
def test_mutations_of_real_cables(corpus, request):
    rounds = 2000 if request.config.getoption("--runslow") else 150
    rng = random.Random(20261127)
    samples = real_samples(corpus)
    outcomes = {"cable": 0, "rejected": 0}
    for _ in range(rounds):
        text = mutate(rng.choice(samples), rng)
        with bounded():
            try:
                raws = read_text(text)
            except ParseError:
                outcomes["rejected"] += 1
                continue
            for raw in raws:
                try:
                    build_cable(raw)
                    outcomes["cable"] += 1
                except ParseError:
                    outcomes["rejected"] += 1
    print(f"\nfuzz: {rounds} mutated real cables: {outcomes}")
    assert outcomes["cable"] > 0, "mutations of real cables still read as cables, mostly"


# --- adversarial inputs: nothing may backtrack catastrophically ------------------------------

ADVERSARIAL = {
    "a megabyte of spaces": " " * 1_000_000,
    "a megabyte of dashes": "-" * 1_000_000,
    "a line of a million characters": "SUBJECT: " + "A" * 1_000_000,
    "dashes and spaces": "- " * 500_000,
    "ten thousand nested tags": "<pre>" + "<a>" * 10_000 + "x" + "</a>" * 10_000 + "</pre>",
    "numbered lines": "C O N F I D E N T I A L STATE 000001\n" + "1. (C) x\n" * 100_000,
    "markings without end": "UNCLAS STATE 1\n" + "(C/NF" * 100_000,
    "an endless subject": "UNCLAS STATE 1\nSUBJECT: " + "WORD " * 200_000,
    "an endless reference": "UNCLAS STATE 1\nREF: " + "A. STATE 1234 " * 50_000,
    "an endless tag line": "UNCLAS STATE 1\nTAGS: " + "PREL, " * 100_000,
    "capitalised words before dashes": "UNCLAS STATE 1\n1. (U) " + "Word " * 100_000 + "-----",
    "periods": "UNCLAS STATE 1\n" + "1." * 300_000,
    "an unclosed quote": '"1","12/28/1966 18:48","66STATE1","Embassy X","UNCLASSIFIED","","h","' + "x\n" * 200_000,
    "broken JSON": '{ "_id" : "98ISLAMABAD2617", "body" : "' + "\\'" * 200_000,
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_adversarial_input_is_bounded(name):
    with bounded():
        parse_or_reject(ADVERSARIAL[name])


# --- whole-file faults --------------------------------------------------------------------

def write_faulty_archive(folder: Path) -> dict[str, Path]:
    """A folder of bad files beside one good cable."""
    seed = SEED_CABLE.read_bytes()
    files = {
        "good": folder / "good.md",
        "binary": folder / "binary.txt",
        "empty": folder / "empty.txt",
        "huge": folder / "huge.txt",
        "unclosed quote": folder / "dump.csv",
        "truncated gz": folder / "cut.md.gz",
        "bad bz2": folder / "bad.md.bz2",
        "vanished": folder / "vanished.md",
    }
    files["good"].write_bytes(seed)
    files["binary"].write_bytes(bytes(range(256)) * 64)
    files["empty"].write_bytes(b"")
    with files["huge"].open("wb") as handle:  # a 50 MB single "cable"
        handle.write(b"C O N F I D E N T I A L LONDON 001933\nSUBJECT: HUGE\n\n1. (C) ")
        handle.write(b"word " * (10 * 1024 * 1024))
    files["unclosed quote"].write_text(
        '"1","12/28/1966 18:48","66STATE1","Embassy X","UNCLASSIFIED","","head","UNCLAS STATE 1\n'
        + "never closed\n" * 1000, encoding="utf-8")
    files["truncated gz"].write_bytes(gzip.compress(seed)[:200])
    files["bad bz2"].write_bytes(bz2.compress(seed)[:-30])
    files["vanished"].symlink_to(folder / "does-not-exist.md")
    return files


def test_whole_file_faults_are_reported_and_the_run_completes(tmp_path):
    files = write_faulty_archive(tmp_path)
    with bounded(120):
        cables, skipped = parse_file(tmp_path)
    reported = {Path(re.split(r"#| \(line ", source)[0].split(":")[0]).name
                for source, _ in skipped}
    assert [c.refid for c in cables if c.source and "good" in c.source] == ["09LONDON1933"]
    for name in ("binary", "empty", "truncated gz", "bad bz2", "vanished", "unclosed quote"):
        assert files[name].name in reported, f"{name} not reported: {skipped}"
    assert all(reason.strip() and "\n" not in reason for _, reason in skipped)


def test_file_removed_during_a_run_is_reported(tmp_path):
    seed = SEED_CABLE.read_bytes()
    for name in ("a.md", "b.md", "c.md"):
        (tmp_path / name).write_bytes(seed)
    skipped: list[tuple[str, str]] = []
    cables = parse_path(tmp_path, on_skip=lambda source, reason: skipped.append((source, reason)))
    first = next(cables)
    (tmp_path / "b.md").unlink()
    rest = list(cables)
    assert first.refid == "09LONDON1933" and len(rest) == 1
    assert any("b.md" in source for source, _ in skipped)
