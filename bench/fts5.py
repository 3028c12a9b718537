"""The baseline: the same paragraphs in an SQLite FTS5 table, as a Datasette user would have.

One FTS5 table holds the searched text (paragraph text, heading, the cable's subject;
porter tokenizer), a plain table holds the filter columns of each paragraph under the same
rowid, and ``cable_tags`` holds the TAGS. Ranking is bm25 with the same column weights as
cablesearch's field boosts; filters are SQL; facets are GROUP BY over the filtered set;
per-cable is a window function. Parsing runs in a second process, as cablesearch uses both
cores; inserts are committed in batches, as cablesearch commits in batches.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterable, Iterator

from indexer.model import Cable, level_rank

from .queries import BenchQuery

WEIGHTS = "1.0, 0.5, 0.2"  # text, heading, subject: cablesearch's field boosts
BATCH_PARAGRAPHS = 20_000
QUEUE_BATCH_CABLES = 200

SCHEMA = """
CREATE VIRTUAL TABLE para_fts USING fts5(text, heading, subject, tokenize='porter unicode61');
CREATE TABLE paras (
    id INTEGER PRIMARY KEY, cable INTEGER, refid TEXT, paragraph INTEGER, marking TEXT,
    level TEXT, level_rank INTEGER, classification TEXT, origin TEXT, created TEXT, year INTEGER
);
CREATE TABLE cable_tags (cable INTEGER, tag TEXT);
CREATE INDEX cable_tags_cable ON cable_tags (cable, tag);
"""

# What a hit carries besides the FTS5 columns, and what a query returns per hit.
PARA_COLUMNS = "para_fts.rowid AS id, p.refid, p.paragraph, p.marking, p.origin, p.created"
HIT_COLUMNS = ("SELECT top.refid, top.paragraph, top.score, top.marking, top.origin, "
               "top.created, para_fts.heading, para_fts.subject, para_fts.text, "
               "snippet(para_fts, 0, '[', ']', '…', 16), top.total")

FACET_COLUMNS = {"month": "substr(created, 1, 7)"}  # the histogram: "2009-08"

CableRow = tuple[str, str | None, str | None, int | None, str | None, str | None, list[str],
                 list[tuple[int, str | None, str | None, int, str, str | None]]]


def cable_row(cable: Cable) -> CableRow:
    """What the tables need of one cable, as plain tuples (cheap to send between processes)."""
    paragraphs = []
    for p in cable.paragraphs:
        level = p.level or cable.level
        paragraphs.append((p.number, p.marking, level, level_rank(level), p.text, p.heading))
    created = cable.created.isoformat() if cable.created else None
    year = cable.created.year if cable.created else None
    return (cable.refid, cable.origin, created, year, cable.classification, cable.subject,
            list(cable.tags), paragraphs)


def create(db_path: Path) -> sqlite3.Connection:
    db_path.unlink(missing_ok=True)
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(SCHEMA)
    return conn


def insert(conn: sqlite3.Connection, rows: Iterable[CableRow]) -> dict[str, int]:
    """Insert cables, committing every BATCH_PARAGRAPHS paragraphs; return the counts."""
    cables = paragraphs = pending = 0
    para_id = 0
    conn.execute("BEGIN")
    for cable_id, row in enumerate(rows, start=1):
        refid, origin, created, year, classification, subject, tags, paras = row
        conn.executemany("INSERT INTO cable_tags VALUES (?, ?)", [(cable_id, t) for t in tags])
        meta, text = [], []
        for number, marking, level, rank, body, heading in paras:
            para_id += 1
            meta.append((para_id, cable_id, refid, number, marking, level, rank, classification,
                         origin, created, year))
            text.append((para_id, body, heading, subject))
        conn.executemany("INSERT INTO paras VALUES (?,?,?,?,?,?,?,?,?,?,?)", meta)
        conn.executemany("INSERT INTO para_fts (rowid, text, heading, subject) VALUES (?,?,?,?)",
                         text)
        cables += 1
        paragraphs += len(paras)
        pending += len(paras)
        if pending >= BATCH_PARAGRAPHS:
            conn.execute("COMMIT")
            conn.execute("BEGIN")
            pending = 0
    conn.execute("COMMIT")
    return {"cables": cables, "paragraphs": paragraphs}


def build(paths: list[Path], db_path: Path) -> dict[str, Any]:
    """Parse ``paths`` in a second process and insert what it sends; return the counts."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue(maxsize=16)
    parser = context.Process(target=_parse_into, args=([str(p) for p in paths], queue))
    parser.start()
    conn = create(db_path)
    try:
        counts = insert(conn, _drain(queue))
    finally:
        parser.join()
        conn.close()
    if parser.exitcode != 0:
        raise RuntimeError(f"the FTS5 parse process failed (exit {parser.exitcode})")
    return counts


def _parse_into(paths: list[str], queue) -> None:
    from indexer import parse_path

    batch: list[CableRow] = []
    try:
        for path in paths:
            for cable in parse_path(Path(path), lambda *skip: None):
                batch.append(cable_row(cable))
                if len(batch) >= QUEUE_BATCH_CABLES:
                    queue.put(batch)
                    batch = []
        queue.put(batch)
    finally:
        queue.put(None)


def _drain(queue) -> Iterator[CableRow]:
    while (batch := queue.get()) is not None:
        yield from batch


class Fts5Searcher:
    """Answers bench queries from an FTS5 database, top 10 with snippets, like the Archive."""

    def __init__(self, db_path: Path) -> None:
        self.conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, check_same_thread=False)
        self.conn.execute("PRAGMA temp_store=MEMORY")

    def close(self) -> None:
        self.conn.close()

    def search(self, query: BenchQuery) -> dict[str, Any]:
        """Return ``{"total", "hits": [[refid, paragraph], …], "facets"}`` for one query."""
        where, params = self._where(query)
        if query.per_cable:
            return self._per_cable(query, where, params)
        if query.facets:
            return self._with_facets(query, where, params)
        order = self._order(query)
        sql = f"""
            WITH m AS MATERIALIZED (
                SELECT {PARA_COLUMNS}, bm25(para_fts, {WEIGHTS}) AS score
                FROM para_fts JOIN paras p ON p.id = para_fts.rowid WHERE {where}),
            top AS (SELECT *, count(*) OVER () AS total FROM m ORDER BY {order} LIMIT ?)
            {HIT_COLUMNS} FROM top JOIN para_fts ON para_fts.rowid = top.id
            WHERE para_fts MATCH ? ORDER BY {order}"""
        rows = self.conn.execute(sql, (*params, query.limit, params[0])).fetchall()
        total = rows[0][-1] if rows else 0
        return {"total": total, "hits": [[r[0], r[1]] for r in rows], "facets": {}}

    @staticmethod
    def match_expression(query: BenchQuery) -> str:
        if query.phrase:
            return '"' + " ".join(query.words) + '"'
        return " ".join(f'"{word}"' for word in query.words)  # implicit AND

    def _where(self, query: BenchQuery) -> tuple[str, list[Any]]:
        clauses, params = ["para_fts MATCH ?"], [self.match_expression(query)]
        for tag in query.tags:
            clauses.append("EXISTS (SELECT 1 FROM cable_tags t WHERE t.cable = p.cable "
                           "AND t.tag = ?)")
            params.append(tag)
        if query.origin:
            clauses.append("p.origin = ?")
            params.append(query.origin)
        date_from, date_to = query.date_range()
        if date_from:
            clauses.append("p.created >= ?")
            params.append(date_from.isoformat())
        if date_to:
            clauses.append("p.created < ?")
            params.append((date_to + timedelta(days=1)).isoformat())
        return " AND ".join(clauses), params

    @staticmethod
    def _order(query: BenchQuery) -> str:
        if query.sort == "-date":
            return "created DESC, score"
        if query.sort == "date":
            return "created, score"
        return "score, created DESC"  # bm25 is lower-is-better; ties: newest cable first

    def _with_facets(self, query: BenchQuery, where: str, params: list[Any]) -> dict[str, Any]:
        self.conn.execute("DROP TABLE IF EXISTS temp.matched")
        self.conn.execute(f"""
            CREATE TEMP TABLE matched AS
            SELECT {PARA_COLUMNS}, bm25(para_fts, {WEIGHTS}) AS score, p.cable,
                   p.classification, p.level, p.year
            FROM para_fts JOIN paras p ON p.id = para_fts.rowid WHERE {where}""", params)
        total = self.conn.execute("SELECT count(*) FROM matched").fetchone()[0]
        facets: dict[str, list[tuple[str, int]]] = {}
        for name in query.facets:
            if name == "tags":
                sql = ("SELECT t.tag, count(*) FROM matched JOIN cable_tags t "
                       "ON t.cable = matched.cable GROUP BY t.tag ORDER BY 2 DESC, 1")
            else:
                column = FACET_COLUMNS.get(name, name)
                sql = (f"SELECT {column}, count(*) FROM matched GROUP BY {column} "
                       "ORDER BY 2 DESC, 1")
            facets[name] = [(str(value), count) for value, count in self.conn.execute(sql)]
        order = self._order(query)
        rows = self.conn.execute(f"""
            WITH top AS (SELECT *, {total} AS total FROM matched ORDER BY {order} LIMIT ?)
            {HIT_COLUMNS} FROM top JOIN para_fts ON para_fts.rowid = top.id
            WHERE para_fts MATCH ? ORDER BY {order}""", (query.limit, params[0])).fetchall()
        self.conn.execute("DROP TABLE temp.matched")
        return {"total": total, "hits": [[r[0], r[1]] for r in rows], "facets": facets}

    def _per_cable(self, query: BenchQuery, where: str, params: list[Any]) -> dict[str, Any]:
        order = self._order(query)
        sql = f"""
            WITH m AS MATERIALIZED (
                SELECT {PARA_COLUMNS}, bm25(para_fts, {WEIGHTS}) AS score
                FROM para_fts JOIN paras p ON p.id = para_fts.rowid WHERE {where}),
            ranked AS (
                SELECT *, row_number() OVER (PARTITION BY refid ORDER BY score) AS rn,
                       count(*) OVER (PARTITION BY refid) AS matched FROM m),
            top AS (
                SELECT *, count(*) OVER () AS total
                FROM ranked WHERE rn = 1 ORDER BY {order} LIMIT ?)
            {HIT_COLUMNS}, top.matched FROM top JOIN para_fts ON para_fts.rowid = top.id
            WHERE para_fts MATCH ? ORDER BY {order}"""
        rows = self.conn.execute(sql, (*params, query.limit, params[0])).fetchall()
        total = rows[0][-2] if rows else 0
        return {"total": total, "hits": [[r[0], r[1]] for r in rows], "facets": {}}
