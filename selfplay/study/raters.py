"""``pvg study raters``: access codes (stored salted and hashed) and each rater's order of items.

A rater's order is seeded (study seed, rater id) and balanced: the items are grouped by
(checkpoint, correct), each group shuffled, and the order takes one item from every group in
turn (the groups' turn order reshuffled each pass), so any prefix a rater judges holds about as
many items of each checkpoint, correct and incorrect, as any other.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets
import sqlite3
from collections import defaultdict
from datetime import datetime, timezone

from selfplay.study.database import meta, transaction


def code_hash(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def balanced_order(items: list[tuple[int, str, int]], seed: int) -> list[int]:
    """Item ids from ``(item_id, checkpoint, correct)`` rows in the balanced seeded order above."""
    rng, groups = random.Random(seed), defaultdict(list)
    for item_id, checkpoint, correct in sorted(items):
        groups[(checkpoint, correct)].append(item_id)
    pools = [groups[key] for key in sorted(groups)]
    for pool in pools:
        rng.shuffle(pool)
    order: list[int] = []
    while any(pools):
        turn = [pool for pool in pools if pool]
        rng.shuffle(turn)
        order += [pool.pop() for pool in turn]
    return order


def add_raters(connection: sqlite3.Connection, count: int) -> list[str]:
    """``count`` new raters, each with every item in its order; returns their codes (shown once)."""
    settings = meta(connection)
    items = [tuple(row) for row in connection.execute("SELECT item_id, checkpoint, correct FROM items")]
    codes = []
    with transaction(connection):
        start = connection.execute("SELECT COALESCE(MAX(rater_id), 0) FROM raters").fetchone()[0]
        for rater_id in range(start + 1, start + count + 1):
            code = secrets.token_urlsafe(12)
            seed = int(settings["seed"]) * 100_003 + rater_id
            connection.execute(
                "INSERT INTO raters (rater_id, code_hash, seed, created_at) VALUES (?, ?, ?, ?)",
                (
                    rater_id,
                    code_hash(settings["code_salt"], code),
                    seed,
                    datetime.now(timezone.utc).isoformat(),
                ),
            )
            connection.executemany(
                "INSERT INTO assignments (rater_id, position, item_id) VALUES (?, ?, ?)",
                [(rater_id, position, item) for position, item in enumerate(balanced_order(items, seed))],
            )
            codes.append(code)
    return codes


def rater_for_code(connection: sqlite3.Connection, salt: str, code: str) -> int | None:
    """The rater whose code this is, compared in constant time against every stored hash."""
    wanted, found = code_hash(salt, code[:200]), None
    for rater_id, stored in connection.execute("SELECT rater_id, code_hash FROM raters"):
        if hmac.compare_digest(wanted, stored):
            found = rater_id
    return found
