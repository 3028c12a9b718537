"""Analyzers: a lean tokenizer, lowercase, and a cached English (Porter2) stemmer."""

from __future__ import annotations

from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter

# Words with apostrophes and hyphens are split; numbers are kept (refids, years, paragraph refs).
TOKEN_PATTERN = r"\w+"


def stemming_analyzer():
    """Tokenize, lowercase, stem with snowball English; the stem cache makes it cheap."""
    return (RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter()
            | StemFilter(lang="en", cachesize=200_000))


def exact_analyzer():
    """Tokenize and lowercase only: fuzzy, wildcard and exact words match here."""
    return RegexTokenizer(TOKEN_PATTERN) | LowercaseFilter()
