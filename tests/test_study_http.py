"""The judging server over HTTP on 127.0.0.1: codes, CSRF, limits, 20 raters at once, and
SIGKILL at any moment losing no acknowledged judgment."""

from __future__ import annotations

import random
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from study_helpers import Rater, Server, field, make_study

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def server(tmp_path):
    study, codes = make_study(tmp_path, items=8, raters=20)
    running = Server(study).start()
    running.codes = codes
    yield running
    running.kill()


def rows(study) -> list[tuple]:
    with sqlite3.connect(study / "study.sqlite") as connection:
        return connection.execute("SELECT rater_id, item_id, answer FROM judgments ORDER BY 1, 2").fetchall()


def test_without_a_valid_code_nothing_is_served(server):
    rater = Rater(server)
    assert rater.login("not-a-code") == 403
    page = rater.page()
    assert 'name="code"' in page and "Q0?" not in page and 'id="solution"' not in page
    assert httpx.get(server.url + "/admin/export").status_code == 403
    wrong = httpx.get(server.url + "/admin/export", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    forged = httpx.post(server.url + "/judge", data={"csrf": "x", "position": "0", "answer": "valid"})
    assert forged.status_code == 403 and rows(server.study) == []


def test_pages_carry_no_provenance_and_forms_need_their_csrf(server):
    rater = Rater(server)
    assert rater.login(server.codes[0]) == 303
    page = rater.page()
    assert 'id="solution"' in page
    for secret in ("runs/a", "helpful", "round_000", "init:", "p0", "p1", "correct"):
        assert secret not in page, secret
    assert sorted(set(re_names(page))) == ["answer", "csrf", "position"]
    stolen = {"csrf": "guess", "position": field(page, "position"), "answer": "valid"}
    assert rater.client.post("/judge", data=stolen).status_code == 403 and rows(server.study) == []
    assert rater.client.post("/judge", content=b"a" * 10_000).status_code == 413
    headers = rater.client.get("/item").headers
    assert (
        "script-src 'nonce-" in headers["content-security-policy"] and headers["cache-control"] == "no-store"
    )


def re_names(page: str) -> list[str]:
    import re

    return re.findall(r'<(?:input|button)[^>]*\bname="([^"]+)"', page)


def test_twenty_raters_at_once_with_double_and_replayed_submits_record_each_judgment_once(server):
    def session(code: str) -> int:
        rater, rng, acknowledged = Rater(server), random.Random(code), 0
        assert rater.login(code) == 303
        for _ in range(8):
            page = rater.page()
            answer = rng.choice(["valid", "invalid"])
            assert rater.judge(answer, page) == 303
            acknowledged += 1
            rater.judge(answer, page)  # a double click
            rater.judge("invalid" if answer == "valid" else "valid", page)  # a replayed, changed form
        assert 'id="done"' in rater.page()
        return acknowledged

    with ThreadPoolExecutor(max_workers=20) as pool:
        acknowledged = sum(pool.map(session, server.codes))
    recorded = rows(server.study)
    assert acknowledged == len(recorded) == 20 * 8
    assert len({(r, i) for r, i, _ in recorded}) == 160
    assert len(server.export()) == 160
    print(
        f"20 raters at once: {acknowledged} acknowledged, {len(recorded)} rows (480 posts with the repeats)"
    )


def test_sigkill_between_and_during_judgments_loses_nothing_acknowledged(server):
    acknowledged: set[tuple[int, int]] = set()
    lock = threading.Lock()

    def judge_until_refused(index: int, code: str) -> None:
        rater = Rater(server)
        try:
            if rater.login(code) != 303:
                return
            while True:
                page = rater.page()
                if 'id="done"' in page:
                    return
                position = int(field(page, "position"))
                if rater.judge("valid", page) == 303:
                    with lock:
                        acknowledged.add((index + 1, position))
        except (httpx.HTTPError, AttributeError):
            return  # the server died under this request: whatever was not acknowledged may be lost

    for cycle in range(4):
        threads = [
            threading.Thread(target=judge_until_refused, args=(i, c)) for i, c in enumerate(server.codes)
        ]
        for thread in threads:
            thread.start()
        threading.Event().wait(0.3 + 0.2 * cycle)  # mid-traffic: some requests are in flight
        server.kill()
        for thread in threads:
            thread.join(timeout=60)
        server.start()
    positions = _positions(server.study)
    recorded = {(r, positions[(r, i)]) for r, i, _ in rows(server.study)}
    assert acknowledged and acknowledged <= recorded
    assert len(recorded) == len(rows(server.study))  # and nothing doubled
    print(f"4 SIGKILLs: {len(acknowledged)} acknowledged, all present; {len(recorded)} rows in all")


def _positions(study) -> dict[tuple[int, int], int]:
    with sqlite3.connect(study / "study.sqlite") as connection:
        return {
            (r, i): p for r, p, i in connection.execute("SELECT rater_id, position, item_id FROM assignments")
        }
