"""A one-line progress bar on stderr, drawn only when stderr is a terminal, and the notes
(skipped files) printed as they happen: above the bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import TextIO


@dataclass
class Progress:
    """How far a build has come; passed to the ``progress`` callable of ``build_index``."""

    files_done: int
    files_total: int
    cables: int
    paragraphs: int
    commits: int
    seconds: float


class ProgressBar:
    """Callable for ``build_index(progress=...)``: redraws at most a few times a second."""

    def __init__(self, stream: TextIO | None = None, interval: float = 0.2) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.interval = interval
        self._last = 0.0
        self._width = 0
        self._latest: Progress | None = None

    def __call__(self, p: Progress) -> None:
        self._latest = p
        now = time.monotonic()
        if not self.enabled or now - self._last < self.interval:
            return
        self._last = now
        self._draw(p)

    def _draw(self, p: Progress) -> None:
        share = p.files_done / p.files_total if p.files_total else 0.0
        filled = int(share * 24)
        rate = p.paragraphs / p.seconds if p.seconds > 0 else 0.0
        line = (f"[{'#' * filled}{'.' * (24 - filled)}] files {p.files_done}/{p.files_total}"
                f"  cables {p.cables:,}  paragraphs {p.paragraphs:,}  {rate:,.0f} par/s"
                f"  commits {p.commits}")
        pad = max(0, self._width - len(line))
        self._width = len(line)
        self.stream.write("\r" + line + " " * pad)
        self.stream.flush()

    def note(self, text: str) -> None:
        """Print one line now; on a terminal above the bar, which is drawn again below it."""
        drawn = self._width > 0
        self.finish()
        self.stream.write(text + "\n")
        if drawn and self._latest is not None:
            self._draw(self._latest)
        self.stream.flush()

    def finish(self) -> None:
        """Clear the bar so the summary starts on a clean line."""
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0
