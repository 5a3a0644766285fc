"""Screenshots of the judging pages for docs/study.md, from a small demo study in headless Chromium.

    python bench/study_screenshots.py [--out docs/study]

Builds a demo study (the tests' helper: 6 items, two of them HTML payloads), serves it on
127.0.0.1, and saves ``login.png``, ``instructions.png``, ``item.png`` (a solution whose text is
a ``<script>`` payload, shown as text) and ``done.png``. Needs Debian's chromium and
chromium-driver.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from study_helpers import HOSTILE, Server, chromium, make_study  # noqa: E402


def wait_for(browser, element_id: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 20).until(expected_conditions.presence_of_element_located((By.ID, element_id)))


def wait_past(browser, position: str) -> None:
    """Until the next page is there: another position, or the end page."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def moved(driver) -> bool:
        if driver.find_elements(By.ID, "done"):
            return True
        fields = driver.find_elements(By.NAME, "position")
        return bool(fields) and fields[0].get_attribute("value") != position

    WebDriverWait(browser, 20).until(moved)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "study")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from selenium.webdriver.common.by import By

    with tempfile.TemporaryDirectory() as scratch:
        study, [code] = make_study(Path(scratch) / "study", items=6, raters=1)
        server = Server(study).start()
        browser = chromium(Path(scratch) / "profile")
        try:
            browser.get(server.url + "/")
            browser.find_element(By.ID, "code").send_keys(code)
            browser.save_screenshot(str(args.out / "login.png"))
            browser.find_element(By.ID, "enter").click()
            browser.save_screenshot(str(args.out / "instructions.png"))
            browser.find_element(By.ID, "start").click()
            for _ in range(6):
                wait_for(browser, "solution")
                if browser.find_element(By.ID, "solution").text == HOSTILE[0]:
                    browser.save_screenshot(str(args.out / "item.png"))
                position = browser.find_element(By.NAME, "position").get_attribute("value")
                browser.find_element(By.ID, "valid").click()
                wait_past(browser, position)
            browser.save_screenshot(str(args.out / "done.png"))
        finally:
            browser.quit()
            server.kill()
    print(f"screenshots in {args.out}: {sorted(p.name for p in args.out.glob('*.png'))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
