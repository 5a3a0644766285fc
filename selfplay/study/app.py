"""The judging web app (FastAPI): codes in, one item at a time, judgments into the database.

Routes: ``GET /`` (the code form), ``POST /login``, ``GET /instructions``, ``POST /start``,
``GET /item`` (the current item, or the end page), ``POST /judge``, and ``GET /admin/export``
(every judgment with its item's provenance; ``Authorization: Bearer TOKEN``). Without a session
made from a valid code every rater route answers with the code form; rater pages carry nothing of
an item's correctness, role, round or run. Forms carry a CSRF token (the session's, or before
login a double-submit cookie), bodies over :data:`MAX_BODY_BYTES` are refused, and every page is
sent with a Content-Security-Policy that lets only its own nonce-bearing script run.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from selfplay.study import judging
from selfplay.study.database import connect, meta, transaction
from selfplay.study.pages import render
from selfplay.study.raters import rater_for_code

MAX_BODY_BYTES = 4096
SESSION_COOKIE, LOGIN_COOKIE = "pvg_session", "pvg_login"


class BodyLimit:
    """ASGI middleware: a request whose body passes ``limit`` bytes gets 413 and is not read on."""

    def __init__(self, app, limit: int = MAX_BODY_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            return await _too_large(send)
        seen = 0

        async def bounded_receive():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, bounded_receive, send)
        except _TooLarge:
            await _too_large(send)


class _TooLarge(Exception):
    pass


async def _too_large(send) -> None:
    await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"request too large"})


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_app(study_dir: Path, admin_token: str, seconds: int | None = None) -> FastAPI:
    """The app over ``study_dir/study.sqlite``; ``seconds`` overrides the study's time per item."""
    database = Path(study_dir) / "study.sqlite"
    setup = connect(database)
    settings = meta(setup)
    setup.close()
    limit_s = seconds if seconds is not None else int(settings["seconds_per_item"])
    salt, admin_hash = settings["code_salt"], _hash(admin_token)
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)

    def db() -> Iterator:
        connection = connect(database)
        try:
            yield connection
        finally:
            connection.close()

    def session(request: Request, connection=Depends(db)) -> dict | None:
        token = request.cookies.get(SESSION_COOKIE, "")[:100]
        row = connection.execute(
            "SELECT rater_id, csrf FROM sessions WHERE token_hash = ?", (_hash(token),)
        ).fetchone()
        return dict(row) if row and token else None

    @app.middleware("http")
    async def headers(request: Request, call_next):
        request.state.nonce = secrets.token_urlsafe(16)
        response = await call_next(request)
        csp = f"default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{request.state.nonce}'; "
        response.headers["Content-Security-Policy"] = csp + "form-action 'self'; frame-ancestors 'none'"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    def login_page(error: str = "", status: int = 200) -> HTMLResponse:
        csrf = secrets.token_urlsafe(24)
        response = HTMLResponse(render("login.html", csrf=csrf, error=error), status_code=status)
        response.set_cookie(LOGIN_COOKIE, csrf, httponly=True, samesite="strict")
        return response

    @app.get("/", response_class=HTMLResponse)
    def index(rater=Depends(session)) -> Response:
        return RedirectResponse("/item", status_code=303) if rater else login_page()

    @app.post("/login")
    def login(
        request: Request, code: str = Form(""), csrf: str = Form(""), connection=Depends(db)
    ) -> Response:
        expected = request.cookies.get(LOGIN_COOKIE, "")
        if not expected or not hmac.compare_digest(expected, csrf):
            return login_page("The form expired; enter your code again.", status=403)
        rater_id = rater_for_code(connection, salt, code.strip())
        if rater_id is None:
            return login_page("That code is not valid.", status=403)
        token = secrets.token_urlsafe(32)
        with transaction(connection):
            connection.execute(
                "INSERT INTO sessions VALUES (?, ?, ?, ?)",
                (_hash(token), rater_id, secrets.token_urlsafe(24), datetime.now(timezone.utc).isoformat()),
            )
        judged, _ = judging.progress(connection, rater_id)
        response = RedirectResponse("/item" if judged else "/instructions", status_code=303)
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict")
        response.delete_cookie(LOGIN_COOKIE)
        return response

    @app.get("/instructions", response_class=HTMLResponse)
    def instructions(rater=Depends(session)) -> Response:
        if not rater:
            return login_page()
        return HTMLResponse(render("instructions.html", csrf=rater["csrf"], seconds=limit_s))

    @app.post("/start")
    def start(csrf: str = Form(""), rater=Depends(session)) -> Response:
        if not rater or not hmac.compare_digest(rater["csrf"], csrf):
            return login_page(status=403)
        return RedirectResponse("/item", status_code=303)

    @app.get("/item", response_class=HTMLResponse)
    def item(request: Request, rater=Depends(session), connection=Depends(db)) -> Response:
        if not rater:
            return login_page()
        shown = judging.current_item(connection, rater["rater_id"], limit_s)
        if shown is None:
            return HTMLResponse(render("done.html", total=judging.progress(connection, rater["rater_id"])[1]))
        page = render("item.html", shown=shown, csrf=rater["csrf"], nonce=request.state.nonce)
        return HTMLResponse(page)

    @app.post("/judge")
    def judge(
        position: int = Form(-1),
        answer: str = Form(""),
        csrf: str = Form(""),
        rater=Depends(session),
        connection=Depends(db),
    ) -> Response:
        if not rater or not hmac.compare_digest(rater["csrf"], csrf):
            return login_page(status=403)
        judging.judge(connection, rater["rater_id"], position, answer, limit_s)
        return RedirectResponse("/item", status_code=303)

    @app.get("/admin/export")
    def export(request: Request, connection=Depends(db)) -> Response:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(_hash(given), admin_hash):
            return JSONResponse({"error": "a valid admin token is needed"}, status_code=403)
        rows = connection.execute(
            "SELECT j.rater_id, j.answer, j.ms_taken, j.served_at_ms, j.answered_at_ms, i.item_id, "
            "i.checkpoint, i.run, i.round, i.role, i.correct, i.problem_id FROM judgments j "
            "JOIN items i ON i.item_id = j.item_id ORDER BY j.answered_at_ms"
        )
        return JSONResponse([dict(row) for row in rows])

    return app
