"""A rater in a real browser (headless Chromium from the system packages, driven by Selenium):
enters, judges, lets one item time out, closes the page, returns, finishes; hostile solutions
show as text and run nothing; a wrong code sees no item. ``.ci/run`` installs Chromium and sets
``PVG_REQUIRE_BROWSER=1``, so there these tests cannot skip."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest
from study_helpers import CHROMEDRIVER, CHROMIUM, HOSTILE, Server, chromium, make_study

pytestmark = pytest.mark.timeout(300)
INSTALL = "apt-get install chromium chromium-driver"
HAVE_BROWSER = Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()
if not HAVE_BROWSER and os.environ.get("PVG_REQUIRE_BROWSER") == "1":
    raise RuntimeError(f"PVG_REQUIRE_BROWSER=1 but no {CHROMIUM} or {CHROMEDRIVER}: {INSTALL}")
needs_browser = pytest.mark.skipif(not HAVE_BROWSER, reason=f"no {CHROMIUM} or {CHROMEDRIVER}: {INSTALL}")


def enter(browser, url: str, code: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(url + "/")
    browser.find_element(By.ID, "code").send_keys(code)
    browser.find_element(By.ID, "enter").click()


def shown_solution(browser) -> str:
    from selenium.webdriver.common.by import By

    element = wait_for(browser, "solution")  # the page after a click may still be loading
    assert (
        element.find_elements(By.TAG_NAME, "img") == [] and element.find_elements(By.TAG_NAME, "script") == []
    )
    return element.text


def wait_for(browser, element_id: str, seconds: float = 20.0):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, seconds).until(
        expected_conditions.presence_of_element_located((By.ID, element_id))
    )


@needs_browser
def test_a_rater_judges_times_out_leaves_returns_and_finishes(tmp_path):
    from selenium.webdriver.common.by import By

    study, [code] = make_study(tmp_path / "study", items=6, raters=1)
    server = Server(study, seconds=3).start()
    seen = []
    try:
        browser = chromium(tmp_path / "profile1")
        try:
            enter(browser, server.url, code)
            wait_for(browser, "start").click()
            for answer in ("valid", "invalid"):
                seen.append(shown_solution(browser))
                position = browser.find_element(By.NAME, "position").get_attribute("value")
                browser.find_element(By.ID, answer).click()
                _wait_past(browser, position)
            seen.append(shown_solution(browser))  # this one is left to time out (3 s)
            position = browser.find_element(By.NAME, "position").get_attribute("value")
            _wait_past(browser, position, seconds=15)
            seen.append(shown_solution(browser))  # shown, then the page is closed
        finally:
            browser.quit()
        time.sleep(6.0)  # away past that item's 3 s (and the 2 s grace): it is a timeout on return
        browser = chromium(tmp_path / "profile2")  # a new browser: no cookies, the code again
        try:
            enter(browser, server.url, code)
            for answer in ("valid", "invalid"):
                seen.append(shown_solution(browser))
                position = browser.find_element(By.NAME, "position").get_attribute("value")
                browser.find_element(By.ID, answer).click()
                _wait_past(browser, position)
            assert "Thank you" in wait_for(browser, "done").text
            assert browser.title != "pwned"
        finally:
            browser.quit()
    finally:
        server.kill()
    with sqlite3.connect(study / "study.sqlite") as connection:
        answers = [r[0] for r in connection.execute("SELECT answer FROM judgments ORDER BY answered_at_ms")]
    # Two answers, a timeout in the page, the item left when the browser closed (a timeout on
    # return), then the two items after it: each item once, in the rater's order.
    assert answers == ["valid", "invalid", "timeout", "timeout", "valid", "invalid"]
    assert len(seen) == len(set(seen)) == 6
    for payload in HOSTILE:
        assert payload in seen  # shown as literal text, nothing ran


def _wait_past(browser, position: str, seconds: float = 20.0) -> None:
    """Until the page shows another item than ``position`` (or the end page)."""
    from selenium.webdriver.common.by import By

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if browser.find_elements(By.ID, "done"):
            return
        fields = browser.find_elements(By.NAME, "position")
        if fields and fields[0].get_attribute("value") != position:
            return
        time.sleep(0.1)
    raise AssertionError(f"still on position {position} after {seconds} s")


@needs_browser
def test_a_wrong_code_sees_no_item(tmp_path):
    from selenium.webdriver.common.by import By

    study, _ = make_study(tmp_path / "study", items=4, raters=1)
    server = Server(study).start()
    browser = chromium(tmp_path / "profile")
    try:
        enter(browser, server.url, "not-the-code")
        assert "not valid" in wait_for(browser, "error").text
        assert browser.find_elements(By.ID, "solution") == []
        browser.get(server.url + "/item")
        assert browser.find_elements(By.ID, "solution") == [] and browser.find_elements(By.ID, "code")
    finally:
        browser.quit()
        server.kill()
