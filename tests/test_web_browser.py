"""A real browser (Debian's headless Chromium, through selenium) on the real server.

It types a query, submits, clicks a facet, clicks a hit and reads the paragraph the cable
page shows. The search page's screenshot is saved in the test's tmp dir, and to
docs/screenshot-search.png when CABLES_SCREENSHOT=1 (that is how the README's is made).
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path

import pytest

from search import Archive
from search.web.app import create_app, make_server
from webindex import build_web_index

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
QUERY = "Pakistan"

pytestmark = pytest.mark.corpus


def _require_browser() -> None:
    """Skip without Chromium or selenium, except in CI, where the browser test must run."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium")
    if missing:
        if os.environ.get("CABLES_REQUIRE_CORPUS"):
            pytest.fail(f"browser test needs {', '.join(missing)} (apt-get install chromium "
                        "chromium-driver; pip install '.[test]')")
        pytest.skip(f"no {', '.join(missing)}")


@pytest.fixture(scope="module")
def index(tmp_path_factory, corpus, sample_corpus) -> Path:
    return build_web_index(tmp_path_factory.mktemp("web-browser"), corpus, sample_corpus)


@pytest.fixture(scope="module")
def server(index):
    """The real server (werkzeug, threaded) on a free loopback port, in a thread."""
    app = create_app(index)
    httpd = make_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)
    httpd.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("chromium-profile")
    # Offline machine: without these Chromium stalls on network connections at start.
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 "--window-size=1280,1000", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    # An explicit driver path (and SE_OFFLINE): selenium-manager must never try to download.
    os.environ.setdefault("SE_OFFLINE", "true")
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


def _total(driver) -> int:
    from selenium.webdriver.common.by import By

    return int(re.match(r"\d+", driver.find_element(By.ID, "total").text).group())


def test_search_facet_hit_and_paragraph(browser, server, index, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 15)
    browser.get(server + "/")
    box = browser.find_element(By.ID, "q")
    box.send_keys(QUERY)
    browser.find_element(By.ID, "search-button").click()
    wait.until(ec.presence_of_element_located((By.ID, "total")))
    assert f"q={QUERY}" in browser.current_url  # the URL holds the search
    total = _total(browser)
    assert total > 1
    assert browser.find_elements(By.CSS_SELECTOR, "svg.histogram rect")

    browser.save_screenshot(str(tmp_path / "screenshot-search.png"))
    if os.environ.get("CABLES_SCREENSHOT"):
        (ROOT / "docs").mkdir(exist_ok=True)
        shutil.copyfile(tmp_path / "screenshot-search.png", ROOT / "docs" / "screenshot-search.png")

    # Narrow by the first TAGS facet: the new total is that facet's count.
    facet = browser.find_element(By.CSS_SELECTOR, "#facet-tags a.facet-link")
    tag = facet.text
    count = int(facet.find_element(By.XPATH, "following-sibling::span[@class='count']").text)
    facet.click()
    wait.until(ec.url_contains(f"tags={tag}"))
    assert _total(browser) == count <= total

    # Open the first hit: the cable page scrolls to that paragraph, the query marked in it.
    link = browser.find_element(By.CSS_SELECTOR, "li.hit a.hit-link")
    refid, number = re.fullmatch(r"(\S+) ¶(\d+)", link.text).groups()
    link.click()
    wait.until(ec.url_contains(f"/cable/{refid}"))
    assert browser.current_url.endswith(f"#p{number}")
    shown = browser.find_element(By.ID, f"p{number}")
    expected = Archive(index).cable(refid).paragraphs
    paragraph = next(p for p in expected if p.number == int(number))
    assert " ".join(paragraph.text.split())[:80] in " ".join(shown.text.split())
    marks = shown.find_elements(By.TAG_NAME, "mark")
    assert marks and all(m.text.lower().startswith(QUERY.lower()[:5]) for m in marks)
