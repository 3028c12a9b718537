"""The benchmark: cablesearch side by side with SQLite FTS5 (``python -m bench --help``)."""
