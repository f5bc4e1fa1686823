"""The page in a real browser (headless Chromium driven by Selenium), as a person uses it:
upload a file with errors, see the marked cells, download what to fix, upload the fixed
file by drag and drop, import it, and find the rows in the database.

Set ETL_WEB_SCREENSHOTS=docs/screenshots to write the screenshots of each page there.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.conftest import SAMPLE_DATA, query
from tests.test_web_serve import Served, start_serve

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
BROWSER_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=en-US")
FIXED_CONTACTS = ("Nombre;Teléfono;Grupo\nAna María Peña;04141234567;Familia\nRosa Díaz;04141112233;Trabajo\n"
                  "Luis Gómez;04140123123;Amigos\nCarla Ruiz;04141234500;Amigos\n")

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')")
if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
    pytest.skip("Chromium and ChromeDriver are not installed (apt-get install chromium chromium-driver)",
                allow_module_level=True)

from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Served]:
    served = start_serve(tmp_path)
    yield served
    served.process.send_signal(signal.SIGINT)
    served.process.wait(30)


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


@pytest.fixture
def browser(tmp_path: Path, downloads: Path) -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*BROWSER_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def wait_for(driver: WebDriver, condition: Callable[[WebDriver], Any], timeout: float = 60) -> Any:
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition)
    except TimeoutException:
        raise AssertionError(f"gave up waiting on {driver.current_url}: {driver.page_source[:600]}") from None


def shot(driver: WebDriver, name: str) -> None:
    """Write a full-page screenshot when ETL_WEB_SCREENSHOTS names a folder."""
    folder = os.environ.get("ETL_WEB_SCREENSHOTS")
    if not folder:
        return
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(height + 40, 600), 2400))
    Path(folder).mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(Path(folder) / f"{name}.png"))
    driver.set_window_size(1280, 900)


def downloaded(folder: Path, suffix: str, timeout: float = 30) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.iterdir() if p.name.endswith(suffix)]
        if done:
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no {suffix} file was downloaded into {folder}: {list(folder.iterdir())}")


def checked_page(driver: WebDriver) -> str:
    """Wait until the upload's check has finished; the summary's heading."""
    summary = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#summary h2"))
    return str(summary[0].text)


def drop_file(driver: WebDriver, name: str, content: str) -> None:
    """What dragging a file from the desktop onto the upload box does: a drop event with it."""
    driver.execute_script("""
        const [name, content] = arguments;
        const transfer = new DataTransfer();
        transfer.items.add(new File([content], name, {type: "text/csv"}));
        const zone = document.getElementById("upload-form");
        for (const kind of ["dragenter", "dragover", "drop"]) {
          zone.dispatchEvent(new DragEvent(kind, {dataTransfer: transfer, bubbles: true, cancelable: true}));
        }""", name, content)


def test_a_person_fixes_and_imports_a_spreadsheet(server: Served, browser: WebDriver, downloads: Path,
                                                  tmp_path: Path) -> None:
    browser.get(server.url)
    assert "Import a spreadsheet into the database" in browser.page_source
    assert "token=" not in browser.current_url
    shot(browser, "1-home")

    browser.find_element(By.ID, "file-input").send_keys(str(SAMPLE_DATA / "contactos_con_errores.csv"))
    assert checked_page(browser) == "4 of 5 rows have problems"
    cell = browser.find_element(By.ID, "cell-4-1")
    assert cell.text == "0414-ABC-123"
    assert "a phone number is digits only" in cell.get_attribute("title")
    assert cell.value_of_css_property("background-color") == "rgba(253, 228, 225, 1)"
    assert browser.find_element(By.ID, "cell-3-0").get_attribute("title") == "a value is required"
    assert browser.find_element(By.ID, "count-rejected").text == "4"
    shot(browser, "2-check-with-errors")

    browser.find_element(By.ID, "download-annotated").click()
    book = openpyxl.load_workbook(downloaded(downloads, ".xlsx"))
    assert book.sheetnames[0] == "Errors"
    marked = book[book.sheetnames[1]]["B4"]  # row 4, Teléfono: the phone with letters
    assert marked.value == "0414-ABC-123" and marked.comment is not None
    assert "digits only" in marked.comment.text
    browser.find_element(By.ID, "download-rejects").click()
    rejects = downloaded(downloads, "rows-with-problems.csv")
    with rejects.open(encoding="utf-8", newline="") as handle:
        assert [row[0] for row in csv.reader(handle)] == ["row", "3", "4", "5", "6"]

    browser.find_element(By.CSS_SELECTOR, "a[href='/']").click()
    drop_file(browser, "contactos corregidos.csv", FIXED_CONTACTS)
    assert checked_page(browser) == "All 4 rows are fine"
    assert browser.find_element(By.ID, "count-inserted").text == "4"
    shot(browser, "3-check-all-fine")
    browser.find_element(By.ID, "import-button").click()
    outcome = wait_for(browser, lambda d: d.find_elements(By.ID, "import-outcome"))
    assert outcome[0].get_attribute("data-status") == "committed", outcome[0].text
    assert "4 new, 0 updated, 0 unchanged" in outcome[0].text
    shot(browser, "4-imported")

    url = f"sqlite:///{tmp_path / 'etl.db'}"
    assert sorted(query(url, "SELECT nombre, telefono FROM contactos")) == [
        ("Ana María Peña", "04141234567"), ("Carla Ruiz", "04141234500"), ("Luis Gómez", "04140123123"),
        ("Rosa Díaz", "04141112233")]

    browser.find_element(By.CSS_SELECTOR, "a[href='/']").click()
    drop_file(browser, "the same again.csv", FIXED_CONTACTS)
    assert checked_page(browser).startswith("This file was already imported on ")
    shot(browser, "5-already-imported")

    browser.find_element(By.LINK_TEXT, "Past imports").click()
    rows = browser.find_elements(By.CSS_SELECTOR, "#history tbody tr")
    assert any("contactos corregidos.csv" in row.text and "imported" in row.text for row in rows)
    shot(browser, "6-history")
    browser.find_element(By.LINK_TEXT, "Downloads").click()
    assert browser.find_element(By.ID, "export-sql").is_displayed() is False
    shot(browser, "7-downloads")
    assert query(url, "SELECT count(*) FROM contactos") == [(4,)]


def test_a_file_too_large_is_refused_before_it_is_sent(tmp_path: Path, browser: WebDriver) -> None:
    served = start_serve(tmp_path, "--max-upload-mb", "1")
    try:
        big = tmp_path / "big.csv"
        big.write_text("name,type,age\n" + "Rex,dog,3\n" * 200_000)
        browser.get(served.url)
        browser.find_element(By.ID, "file-input").send_keys(str(big))
        error = wait_for(browser, lambda d: d.find_element(By.ID, "upload-error") if d.find_element(
            By.ID, "upload-error").is_displayed() else None)
        assert "larger than 1 MB" in error.text
        assert "/uploads/" not in browser.current_url
    finally:
        served.process.send_signal(signal.SIGINT)
        served.process.wait(30)


@pytest.mark.parametrize("suffix", ["xls", "ods"])
def test_a_person_picks_the_sheet_of_an_xls_or_ods_workbook(server: Served, browser: WebDriver, downloads: Path,
                                                            tmp_path: Path, suffix: str) -> None:
    """The LibreOffice-written fixture's first sheet does not fit `pets`; the person picks
    the other sheet in the list, reads the file again, and imports that sheet's pet."""
    from selenium.webdriver.support.ui import Select

    browser.get(server.url)
    browser.find_element(By.ID, "file-input").send_keys(str(Path(__file__).parent / "fixtures" / f"pets.{suffix}"))
    assert checked_page(browser) == "The file's columns do not fit “pets”"
    assert "sheet “Mascotas”, column names on row 3" in browser.page_source
    assert not browser.find_elements(By.NAME, "encoding")  # a workbook has no text encoding to choose
    sheets = Select(browser.find_element(By.NAME, "sheet"))
    assert [o.text for o in sheets.options] == ["The first one (Mascotas)", "Mascotas", "Otra"]
    browser.find_element(By.ID, "download-annotated").click()
    book = openpyxl.load_workbook(downloaded(downloads, ".xlsx"))
    assert book.sheetnames == ["Errors", "Mascotas"] and book["Mascotas"]["E3"].comment is not None

    sheets.select_by_visible_text("Otra")
    browser.find_element(By.XPATH, "//button[normalize-space()='Read the file again']").click()
    wait_for(browser, lambda d: "sheet “Otra”" in d.page_source)
    assert checked_page(browser) == "The row is fine"
    assert Select(browser.find_element(By.NAME, "sheet")).first_selected_option.text == "Otra"
    browser.find_element(By.ID, "import-button").click()
    outcome = wait_for(browser, lambda d: d.find_elements(By.ID, "import-outcome"))
    assert outcome[0].get_attribute("data-status") == "committed", outcome[0].text
    assert query(f"sqlite:///{tmp_path / 'etl.db'}", "SELECT name, type FROM pet") == [("Rex", "perro")]
