"""A small study database made directly (no runs): items with known provenance, raters, and a
server process for the HTTP and browser tests."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from selfplay.study.database import DATABASE, create, transaction
from selfplay.study.raters import add_raters

HOSTILE = ["<script>document.title='pwned'</script>", "<img src=x onerror=\"document.title='pwned'\">"]


def make_study(folder: Path, items: int = 8, raters: int = 1, seconds: int = 45) -> tuple[Path, list[str]]:
    """A study of ``items`` items over two checkpoints, half correct (two carry HTML payloads)."""
    connection = create(folder / DATABASE, {"seconds_per_item": str(seconds), "seed": "0", "code_salt": "s0"})
    rows = []
    for k in range(items):
        solution = HOSTILE[k] if k < len(HOSTILE) else f"{k} + 1 = {k + 1}\n#### {k + 1}"
        checkpoint = "runs/a:round_000:helpful" if k % 2 == 0 else "runs/a:init:helpful"
        rows.append(
            (
                checkpoint,
                "runs/a",
                0 if k % 2 == 0 else -1,
                "helpful",
                (k // 2) % 2,
                f"p{k}",
                f"Q{k}?",
                solution,
            )
        )
    with transaction(connection):
        connection.executemany(
            "INSERT INTO items (checkpoint, run, round, role, correct, problem_id, question, solution) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    codes = add_raters(connection, raters)
    connection.close()
    return folder, codes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``pvg study serve`` in a subprocess on 127.0.0.1 (killable, restartable)."""

    def __init__(self, study: Path, seconds: int | None = None) -> None:
        self.study, self.seconds, self.port = study, seconds, free_port()
        self.process: subprocess.Popen | None = None
        self.token = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        command = [
            sys.executable,
            "-m",
            "selfplay.cli",
            "study",
            "serve",
            str(self.study),
            "--port",
            str(self.port),
        ]
        command += ["--seconds", str(self.seconds)] if self.seconds else []
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        line = self.process.stdout.readline()
        self.token = re.search(r"admin token \(shown once\): (\S+)", line).group(1)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/", timeout=2).read()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the study server did not start")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def export(self) -> list[dict]:
        request = urllib.request.Request(
            self.url + "/admin/export", headers={"Authorization": f"Bearer {self.token}"}
        )
        return json.loads(urllib.request.urlopen(request, timeout=10).read())


def new_code(study: Path) -> str:
    from selfplay.study.database import open_study

    return add_raters(open_study(study), 1)[0]


__all__ = ["HOSTILE", "Server", "free_port", "make_study", "new_code"]


class Rater:
    """One rater's browser session over plain HTTP (cookies kept, redirects not followed)."""

    def __init__(self, server: Server) -> None:
        import httpx

        self.client = httpx.Client(base_url=server.url, timeout=30.0)

    def login(self, code: str) -> int:
        page = self.client.get("/")
        response = self.client.post("/login", data={"code": code, "csrf": field(page.text, "csrf")})
        return response.status_code

    def page(self) -> str:
        return self.client.get("/item").text

    def judge(self, answer: str, page: str | None = None) -> int:
        """Submit ``answer`` on ``page`` (default: the current one); the status code (303 = recorded)."""
        page = page or self.page()
        form = {"csrf": field(page, "csrf"), "position": field(page, "position"), "answer": answer}
        return self.client.post("/judge", data=form).status_code


def field(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', page).group(1)


def chromium(user_data_dir: Path):
    """Headless Debian Chromium driven by Selenium through the system chromedriver."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1000,900",
        f"--user-data-dir={user_data_dir}",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
