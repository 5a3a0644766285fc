"""What a rater is shown next and how a judgment is recorded, over the study database.

Every step is one transaction. An item's clock starts when the server first serves it
(``served``); a judgment's ``ms_taken`` is the server's now minus that, so a client cannot claim
more time. A judgment that arrives after the item's time (plus :data:`GRACE_MS` for the network)
is recorded as ``timeout``, and so is an item whose time ran out while the rater was away: when
the rater returns, the next item is served. Judgments are idempotent per (rater, item): a double
click or a resubmitted form records once. There is no going back: only the rater's current
position can be judged.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from selfplay.study.database import now_ms, transaction

ANSWERS = ("valid", "invalid", "timeout")
GRACE_MS = 2_000


@dataclass(frozen=True)
class Shown:
    """What the judging page shows: nothing of the item's provenance."""

    position: int
    question: str
    solution: str
    remaining_ms: int
    judged: int
    total: int


def progress(connection: sqlite3.Connection, rater_id: int) -> tuple[int, int]:
    """(items judged, items assigned) for the rater."""
    judged = connection.execute("SELECT COUNT(*) FROM judgments WHERE rater_id = ?", (rater_id,)).fetchone()[
        0
    ]
    total = connection.execute("SELECT COUNT(*) FROM assignments WHERE rater_id = ?", (rater_id,)).fetchone()[
        0
    ]
    return judged, total


def current_item(connection: sqlite3.Connection, rater_id: int, seconds: int) -> Shown | None:
    """The rater's first unjudged item, served now if it was not yet; an item whose time ran out
    is recorded as ``timeout`` first. ``None`` when every item is judged."""
    limit_ms = seconds * 1000
    with transaction(connection):
        while True:
            row = _first_unjudged(connection, rater_id)
            if row is None:
                return None
            now = now_ms()
            served = connection.execute(
                "SELECT served_at_ms FROM served WHERE rater_id = ? AND item_id = ?",
                (rater_id, row["item_id"]),
            ).fetchone()
            if served is None:
                connection.execute("INSERT INTO served VALUES (?, ?, ?)", (rater_id, row["item_id"], now))
                served_at = now
            else:
                served_at = served[0]
            if now - served_at <= limit_ms + GRACE_MS:
                judged, total = progress(connection, rater_id)
                remaining = max(limit_ms - (now - served_at), 0)
                return Shown(row["position"], row["question"], row["solution"], remaining, judged, total)
            _record(connection, rater_id, row["item_id"], "timeout", served_at, now)


def judge(connection: sqlite3.Connection, rater_id: int, position: int, answer: str, seconds: int) -> str:
    """Record ``answer`` for the rater's item at ``position``: ``recorded``, ``duplicate`` (that
    item already has a judgment; nothing changes) or ``refused`` (not the current item, never
    served, or an unknown answer)."""
    if answer not in ANSWERS:
        return "refused"
    with transaction(connection):
        row = connection.execute(
            "SELECT a.item_id, s.served_at_ms, j.answer FROM assignments a "
            "LEFT JOIN served s ON s.rater_id = a.rater_id AND s.item_id = a.item_id "
            "LEFT JOIN judgments j ON j.rater_id = a.rater_id AND j.item_id = a.item_id "
            "WHERE a.rater_id = ? AND a.position = ?",
            (rater_id, position),
        ).fetchone()
        if row is None or row["served_at_ms"] is None:
            return "refused"
        if row["answer"] is not None:
            return "duplicate"
        current = _first_unjudged(connection, rater_id)
        if current is None or current["position"] != position:
            return "refused"
        now = now_ms()
        late = now - row["served_at_ms"] > seconds * 1000 + GRACE_MS
        _record(connection, rater_id, row["item_id"], "timeout" if late else answer, row["served_at_ms"], now)
        return "recorded"


def _first_unjudged(connection: sqlite3.Connection, rater_id: int) -> sqlite3.Row | None:
    return connection.execute(
        "SELECT a.position, a.item_id, i.question, i.solution FROM assignments a "
        "JOIN items i ON i.item_id = a.item_id "
        "WHERE a.rater_id = ? AND NOT EXISTS "
        "(SELECT 1 FROM judgments j WHERE j.rater_id = a.rater_id AND j.item_id = a.item_id) "
        "ORDER BY a.position LIMIT 1",
        (rater_id,),
    ).fetchone()


def _record(connection, rater_id: int, item_id: int, answer: str, served_at: int, now: int) -> None:
    connection.execute(
        "INSERT OR IGNORE INTO judgments VALUES (?, ?, ?, ?, ?, ?)",
        (rater_id, item_id, answer, now - served_at, served_at, now),
    )
