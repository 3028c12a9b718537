"""A paragraph's change between two releases, as words kept, removed and added (escaped)."""

from __future__ import annotations

import difflib

from markupsafe import Markup, escape


def word_diff_markup(old: str | None, new: str | None) -> Markup:
    """The words of `new` against `old`: removed ones in `<del>`, added ones in `<ins>`."""
    a, b = (old or "").split(), (new or "").split()
    out: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(str(escape(" ".join(a[i1:i2]))))
            continue
        if i2 > i1:
            out.append(f"<del>{escape(' '.join(a[i1:i2]))}</del>")
        if j2 > j1:
            out.append(f"<ins>{escape(' '.join(b[j1:j2]))}</ins>")
    return Markup(" ".join(out))
