"""Version identity of a cable, and which of two versions is the newer one.

A version is the cable's header and body as released on a date: the same text released
again on the same date is the same version. Of two versions the later release wins; a
version without a release date loses to any dated one; on an equal date the digest decides,
so that the winner never depends on the order in which the versions were read.
"""

from __future__ import annotations

import hashlib
from datetime import date

from .model import Cable


def version_digest(cable: Cable) -> str:
    """A content hash of the cable's header, body and release date."""
    h = hashlib.blake2b(digest_size=16)
    released = cable.released.isoformat() if cable.released else ""
    for part in (cable.header or "", cable.body or "", released):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()


def version_key(released: date | None, digest: str) -> tuple[str, str]:
    """Sort key: the larger key is the newer version ('' sorts before every ISO date)."""
    return (released.isoformat() if released else "", digest)
