"""The study's one file, ``STUDY/study.sqlite``: its schema (versioned) and how it is opened.

Schema version 1 (docs/study.md has the same, with meanings):

- ``meta(key, value)``: ``schema_version``, ``seconds_per_item``, ``seed``, ``created_at``,
  ``code_salt``, ``sources`` (JSON: the runs and checkpoints the items came from);
- ``items(item_id, checkpoint, run, round, role, correct, problem_id, question, solution)``:
  provenance stays here, on the server; a rater only ever sees ``question`` and ``solution``;
- ``raters(rater_id, code_hash, seed, created_at)``: access codes are stored as salted sha256;
- ``assignments(rater_id, position, item_id)``: each rater's seeded order of every item;
- ``sessions(token_hash, rater_id, csrf, created_at)``: browser sessions (a cookie holds the token);
- ``served(rater_id, item_id, served_at_ms)``: when the server first showed the rater the item;
- ``judgments(rater_id, item_id, answer, ms_taken, served_at_ms, answered_at_ms)``: one row per
  (rater, item), ``answer`` ``valid`` / ``invalid`` / ``timeout``; ``ms_taken`` is measured by
  the server from ``served_at_ms``.

Opened in WAL mode with ``synchronous=FULL``: a committed judgment is on disk before the server
acknowledges it, so killing the server at any moment loses nothing acknowledged.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA_VERSION = 1
DATABASE = "study.sqlite"

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE items (
    item_id INTEGER PRIMARY KEY,
    checkpoint TEXT NOT NULL,
    run TEXT NOT NULL,
    round INTEGER NOT NULL,
    role TEXT NOT NULL,
    correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
    problem_id TEXT NOT NULL,
    question TEXT NOT NULL,
    solution TEXT NOT NULL
);
CREATE TABLE raters (
    rater_id INTEGER PRIMARY KEY,
    code_hash TEXT NOT NULL UNIQUE,
    seed INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE assignments (
    rater_id INTEGER NOT NULL REFERENCES raters,
    position INTEGER NOT NULL,
    item_id INTEGER NOT NULL REFERENCES items,
    PRIMARY KEY (rater_id, position),
    UNIQUE (rater_id, item_id)
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    rater_id INTEGER NOT NULL REFERENCES raters,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE served (
    rater_id INTEGER NOT NULL REFERENCES raters,
    item_id INTEGER NOT NULL REFERENCES items,
    served_at_ms INTEGER NOT NULL,
    PRIMARY KEY (rater_id, item_id)
);
CREATE TABLE judgments (
    rater_id INTEGER NOT NULL REFERENCES raters,
    item_id INTEGER NOT NULL REFERENCES items,
    answer TEXT NOT NULL CHECK (answer IN ('valid', 'invalid', 'timeout')),
    ms_taken INTEGER NOT NULL,
    served_at_ms INTEGER NOT NULL,
    answered_at_ms INTEGER NOT NULL,
    PRIMARY KEY (rater_id, item_id)
);
"""


class StudyError(ValueError):
    """A study folder or database that cannot be used; the message names it and the fix."""


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def connect(path: Path) -> sqlite3.Connection:
    """A connection in WAL mode, durable commits, foreign keys on, waiting up to 30 s for a lock."""
    connection = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.row_factory = sqlite3.Row
    return connection


def create(path: Path, meta: dict[str, str]) -> sqlite3.Connection:
    """A new database at ``path`` with the schema and ``meta`` (refuses an existing file)."""
    if path.exists():
        raise StudyError(f"{path} exists; give a new --out folder (a study is built once)")
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = connect(path)
    connection.executescript(SCHEMA)
    rows = {"schema_version": str(SCHEMA_VERSION), **meta}
    connection.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", sorted(rows.items()))
    return connection


def open_study(study_dir: Path) -> sqlite3.Connection:
    """The study's database, refusing a folder without one or of another schema version."""
    path = Path(study_dir) / DATABASE
    if not path.is_file():
        raise StudyError(
            f"{study_dir}: no {DATABASE}; make one with `pvg study build RUN... --out {study_dir}`"
        )
    connection = connect(path)
    try:
        version = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.DatabaseError as err:
        raise StudyError(f"{path}: not a study database ({err})") from None
    if version is None or int(version[0]) != SCHEMA_VERSION:
        found = version[0] if version else "none"
        raise StudyError(f"{path}: schema version {found}; this pvg-selfplay reads version {SCHEMA_VERSION}")
    return connection


@contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error): all or nothing, one writer at a time."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def meta(connection: sqlite3.Connection) -> dict[str, str]:
    return {row["key"]: row["value"] for row in connection.execute("SELECT key, value FROM meta")}
