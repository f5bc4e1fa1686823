"""The web page over HTTP (Starlette's TestClient): every route, the access token, CSRF,
upload limits and hostile names, concurrent uploads, checks, imports, history and downloads;
the database and the downloaded files read back."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openpyxl
import pytest
from starlette.testclient import TestClient

import etl
from etl.web.app import WebConfig, create_app
from tests.conftest import PROJECT_ROOT, SAMPLE_DATA, query

FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
TOKEN = "test-token-0123456789"
BASE = "http://127.0.0.1:8765"
GOOD_CONTACTS = "Nombre;Teléfono;Grupo\nAna María Peña;04141234567;Familia\nLuis Gómez;04149876543;Amigos\n"
BAD_CONTACTS = "Nombre;Teléfono;Grupo\nAna María Peña;04141234567;Familia\nLuis Gómez;0414-ABC-123;Amigos\n;04140000000;Trabajo\n"


class Page:
    """A logged-in browser stand-in: the client, the CSRF token, and helpers to upload and wait."""

    def __init__(self, client: TestClient, work_dir: Path) -> None:
        self.client = client
        self.work_dir = work_dir
        self.csrf = csrf_of(client.get("/").text)

    def upload(self, name: str, content: bytes | str, **headers: str) -> str:
        """Upload `content` as `name`; the upload page's path."""
        response = self.post_file(name, content, **headers)
        assert response.status_code == 200, response.text
        location: str = response.json()["location"]
        self.wait(location)
        return location

    def post_file(self, name: str, content: bytes | str, **headers: str):  # type: ignore[no-untyped-def]
        data = content.encode() if isinstance(content, str) else content
        return self.client.post("/uploads", files={"file": (name, data, "application/octet-stream")},
                                headers={"X-CSRF-Token": self.csrf, "Accept": "application/json", **headers})

    def wait(self, location: str, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.client.get(f"{location}/status").json()
            if status["state"] != "running":
                return status
            time.sleep(0.05)
        raise AssertionError(f"{location} still running after {timeout} s")

    def post(self, path: str, data: dict | None = None):  # type: ignore[no-untyped-def]
        return self.client.post(f"{path}?csrf={self.csrf}", data=data or {})

    def import_(self, location: str, skip_bad: bool = False) -> str:
        response = self.post(f"{location}/import", {"skip_bad": "yes"} if skip_bad else {})
        assert response.status_code == 200  # followed the redirect to the upload page
        self.wait(location)
        return self.client.get(location).text


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page)
    assert match, "no CSRF token in the page"
    return match.group(1)


def text_of(page: str) -> str:
    """The page's visible text, tags removed and spaces collapsed."""
    import html

    inline = re.sub(r"</?(strong|code|a|span|em)\b[^>]*>", "", page)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", inline))).strip()


def make_client(db_url: str, tmp_path: Path, **config: object) -> tuple[TestClient, Path]:
    work_dir = tmp_path / "work"
    work_dir.mkdir(mode=0o700)
    app = create_app(WebConfig(etl.connect(db_url), TOKEN, work_dir, **config))  # type: ignore[arg-type]
    return TestClient(app, base_url=BASE), work_dir


@pytest.fixture
def page(sqlite_url: str, tmp_path: Path) -> Iterator[Page]:
    client, work_dir = make_client(sqlite_url, tmp_path)
    with client:
        client.get(f"/?token={TOKEN}")
        yield Page(client, work_dir)


@pytest.fixture
def any_db_page(db_url: str, tmp_path: Path) -> Iterator[Page]:
    client, work_dir = make_client(db_url, tmp_path)
    with client:
        client.get(f"/?token={TOKEN}")
        yield Page(client, work_dir)


# --- the access token, CSRF, hosts ---------------------------------------------------------

GET_PATHS = ["/", "/history", "/downloads", "/static/app.css", "/static/app.js", "/templates/pets.xlsx",
             "/reports/pets-by-type.xlsx", "/uploads/abc", "/uploads/abc/status",
             "/uploads/abc/rows-with-problems.csv", "/uploads/abc/rows-not-imported.csv",
             "/uploads/abc/marked.xlsx"]
POST_PATHS = ["/uploads", "/uploads/abc/check", "/uploads/abc/import", "/uploads/abc/discard", "/exports"]


@pytest.mark.parametrize("path", GET_PATHS + POST_PATHS)
def test_every_route_needs_the_token(sqlite_url: str, tmp_path: Path, path: str) -> None:
    client, _ = make_client(sqlite_url, tmp_path)
    method = "POST" if path in POST_PATHS else "GET"
    with client:
        missing = client.request(method, path)
        client.cookies.set("etl_token", "wrong")
        wrong_cookie = client.request(method, path)
        wrong_query = client.request(method, f"{path}?token=wrong")
    for response in (missing, wrong_cookie, wrong_query):
        assert response.status_code == 403
        assert "access link" in response.text
        assert response.headers["x-content-type-options"] == "nosniff"


def test_the_token_in_the_address_becomes_a_cookie(sqlite_url: str, tmp_path: Path) -> None:
    client, _ = make_client(sqlite_url, tmp_path)
    with client:
        first = client.get(f"/history?pipeline=pets&token={TOKEN}", follow_redirects=False)
        assert first.status_code == 303
        assert first.headers["location"] == "/history?pipeline=pets"
        cookie = first.headers["set-cookie"]
        assert f"etl_token={TOKEN}" in cookie and "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
        after = client.get("/history")
    assert after.status_code == 200
    assert "Past imports" in after.text
    assert "default-src 'self'" in after.headers["content-security-policy"]


@pytest.mark.parametrize("path", POST_PATHS)
def test_posts_need_the_csrf_token(page: Page, path: str) -> None:
    missing = page.client.post(path, data={"source": "pets", "format": "csv"})
    wrong = page.client.post(path, headers={"X-CSRF-Token": "0" * 64})
    foreign = page.client.post(f"{path}?csrf={page.csrf}", headers={"Origin": "http://evil.example"})
    for response in (missing, wrong, foreign):
        assert response.status_code == 403
    assert list(page.work_dir.iterdir()) == []


def test_a_post_from_another_site_cannot_import(page: Page, sqlite_url: str) -> None:
    location = page.upload("contacts.csv", GOOD_CONTACTS)
    refused = page.client.post(f"{location}/import", headers={"Origin": "http://evil.example",
                                                               "X-CSRF-Token": page.csrf})
    assert refused.status_code == 403
    assert "another web site" in refused.text
    assert query(sqlite_url, "SELECT count(*) FROM etl_import_run WHERE status = 'committed'") == [(0,)]


def test_only_loopback_host_names_are_answered(sqlite_url: str, tmp_path: Path) -> None:
    client, _ = make_client(sqlite_url, tmp_path, allowed_hosts=("127.0.0.1", "localhost"))
    with client:
        rebound = client.get(f"/?token={TOKEN}", headers={"Host": "attacker.example:8765"})
        local = client.get(f"/?token={TOKEN}", headers={"Host": "localhost:8765"}, follow_redirects=False)
    assert rebound.status_code == 421
    assert local.status_code == 303


# --- uploads -----------------------------------------------------------------------------

def test_an_oversize_upload_is_cut_off_with_a_clear_message(sqlite_url: str, tmp_path: Path) -> None:
    client, work_dir = make_client(sqlite_url, tmp_path, max_upload_bytes=1024 * 1024)
    with client:
        client.get(f"/?token={TOKEN}")
        web = Page(client, work_dir)
        declared = web.post_file("big.csv", "a,b\n" + "1,2\n" * 400_000)

        def stream() -> Iterator[bytes]:  # no Content-Length: the server must count
            boundary = b"--XyZ\r\n"
            yield boundary + b'Content-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
            for _ in range(2_000):
                yield b"x" * 1024
            yield b"\r\n--XyZ--\r\n"

        streamed = client.post("/uploads", content=stream(), headers={
            "Content-Type": "multipart/form-data; boundary=XyZ", "X-CSRF-Token": web.csrf,
            "Accept": "application/json"})
    for response in (declared, streamed):
        assert response.status_code == 413
        assert "larger than 1 MB" in response.json()["error"]
    assert list(work_dir.rglob("*")) == []


@pytest.mark.parametrize("hostile", ["../../etc/passwd.csv", "..\\..\\windows\\win.csv", "a\x00b.csv",
                                     "x" * 5000 + ".csv", "/absolute/path/contacts.csv", ".hidden.csv"])
def test_client_file_names_never_become_paths(page: Page, hostile: str) -> None:
    location = page.upload(hostile, GOOD_CONTACTS)
    stored = [p for p in page.work_dir.rglob("*") if p.is_file()]
    assert sorted(p.name for p in stored) == ["annotated.xlsx", "upload.csv"]  # names of the server's own
    assert {p.parent.parent for p in stored} == {page.work_dir}
    assert len({p.parent for p in stored}) == 1
    shown = text_of(page.client.get(location).text)
    assert "/" not in shown.split(" · ")[0].split("etl Import a file Past imports Downloads ")[-1]
    assert "\x00" not in shown
    assert "All 2 rows are fine" in shown


def test_a_name_without_a_known_extension_is_refused(page: Page) -> None:
    response = page.post_file("../../etc/passwd", GOOD_CONTACTS)
    assert response.status_code == 415
    assert "not a file this page can read" in response.json()["error"]
    assert list(page.work_dir.rglob("*")) == []


def test_a_plain_form_upload_without_javascript(page: Page) -> None:
    response = page.client.post(f"/uploads?csrf={page.csrf}",
                                files={"file": ("contacts.csv", GOOD_CONTACTS.encode(), "text/csv")},
                                follow_redirects=False)
    assert response.status_code == 303
    page.wait(response.headers["location"])
    assert "All 2 rows are fine" in text_of(page.client.get(response.headers["location"]).text)
    empty = page.client.post(f"/uploads?csrf={page.csrf}", files={"file": ("empty.csv", b"", "text/csv")})
    assert empty.status_code == 400 and "is empty" in empty.text


def test_concurrent_uploads_each_keep_their_own_file(page: Page) -> None:
    contents = {f"file{i}.csv": f"name,type,age\nRex{i},dog,{i}\n" * 1 + "".join(
        f"Cat{i}-{n},cat,{n % 20}\n" for n in range(2000)) for i in range(6)}
    with ThreadPoolExecutor(6) as pool:
        locations = dict(zip(contents, pool.map(lambda item: page.upload(*item), contents.items())))
    assert len(set(locations.values())) == 6
    for name, location in locations.items():
        folder = page.work_dir / location.rsplit("/", 1)[1]
        assert hashlib.sha256((folder / "upload.csv").read_bytes()).digest() == \
            hashlib.sha256(contents[name].encode()).digest()
        shown = text_of(page.client.get(location).text)
        assert name in shown and "All 2,001 rows are fine" in shown


def test_unknown_upload_pages_are_not_found(page: Page) -> None:
    for path in ("/uploads/nope", "/uploads/nope/rows-with-problems.csv", "/uploads/../../etc/passwd"):
        assert page.client.get(path).status_code == 404


# --- checking and importing -------------------------------------------------------------

def test_a_check_marks_every_error_cell_and_counts_what_would_happen(page: Page) -> None:
    location = page.upload("contactos_con_errores.csv", (SAMPLE_DATA / "contactos_con_errores.csv").read_bytes())
    html = page.client.get(location).text
    shown = text_of(html)
    assert "Read as CSV text in Windows (cp1252), columns separated by semicolon ;" in shown
    assert "Let etl choose (contacts)" in shown
    marked = re.findall(r'id="cell-(\d+)-(\d+)" tabindex="0"', html)
    assert ("3", "0") in marked  # row 3: Nombre is empty
    assert ("4", "1") in marked  # row 4: the phone has letters
    assert 'title="a phone number is digits only (the cell says &#39;0414-ABC-123&#39;)"' in html
    assert re.search(r'id="count-inserted">1<', html) and re.search(r'id="count-rejected">4<', html)
    assert "4 of 5 rows have problems" in shown
    rejects = page.client.get(f"{location}/rows-with-problems.csv")
    assert rejects.status_code == 200
    assert "rows-with-problems.csv" in rejects.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(rejects.text)))
    assert rows[0] == ["row", "error", "Nombre", "Teléfono", "Grupo"]
    assert [r[0] for r in rows[1:]] == ["3", "4", "5", "6"]
    marked = page.client.get(f"{location}/marked.xlsx")
    assert marked.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(marked.content))
    assert book.sheetnames[0] == "Errors" and book[book.sheetnames[1]]["B4"].comment is not None


def test_rows_with_problems_beyond_the_preview_are_shown_too(page: Page) -> None:
    lines = ["name,type,age"] + [f"Pet{n},dog,{n % 15}" for n in range(300)] + ["Late,dog,old"]
    location = page.upload("pets.csv", "\n".join(lines) + "\n")
    html = page.client.get(location).text
    assert "Further down: rows with problems" in html
    assert re.search(r'id="cell-302-2"', html)


def test_import_then_the_same_content_again_says_already_imported(any_db_page: Page, db_url: str) -> None:
    web = any_db_page
    location = web.upload("contacts.csv", GOOD_CONTACTS)
    assert "All 2 rows are fine" in text_of(web.client.get(location).text)
    done = text_of(web.import_(location))
    assert "Imported 2 rows read from contacts.csv and saved in contacts: 2 new, 0 updated, 0 unchanged" in done
    assert sorted(query(db_url, "SELECT nombre, telefono FROM contactos")) == [
        ("Ana María Peña", "04141234567"), ("Luis Gómez", "04149876543")]
    assert not (web.work_dir / location.rsplit("/", 1)[1] / "upload.csv").exists()
    again = web.upload("copy of contacts.csv", GOOD_CONTACTS)
    checked = text_of(web.client.get(again).text)
    assert re.search(r"This file was already imported on \d{4}-\d\d-\d\d \d\d:\d\d", checked)
    assert "Import 2 rows" not in checked
    assert query(db_url, "SELECT count(*) FROM contactos") == [(2,)]


def test_a_second_import_of_the_same_upload_is_skipped(page: Page, sqlite_url: str) -> None:
    first = page.upload("contacts.csv", GOOD_CONTACTS)
    second = page.upload("contacts again.csv", GOOD_CONTACTS)
    page.import_(first)
    outcome = text_of(page.import_(second))
    assert re.search(r"Already imported on \d{4}-\d\d-\d\d \d\d:\d\d", outcome)
    assert query(sqlite_url, "SELECT count(*) FROM contactos") == [(2,)]


def test_a_file_with_bad_rows_imports_nothing_unless_they_are_left_out(page: Page, sqlite_url: str) -> None:
    location = page.upload("contacts.csv", BAD_CONTACTS)
    assert "2 of 3 rows have problems" in text_of(page.client.get(location).text)
    outcome = text_of(page.import_(location, skip_bad=True))
    assert "1 new, 0 updated, 0 unchanged, 2 left out" in outcome
    assert query(sqlite_url, "SELECT nombre FROM contactos") == [("Ana María Peña",)]
    left_out = page.client.get(f"{location}/rows-not-imported.csv")
    assert [r[0] for r in csv.reader(io.StringIO(left_out.text))][1:] == ["3", "4"]
    assert query(sqlite_url, "SELECT status, rejected FROM etl_import_run ORDER BY id DESC LIMIT 1") == [
        ("committed", 2)]


def test_without_leaving_rows_out_a_bad_file_is_refused_whole(page: Page, sqlite_url: str) -> None:
    location = page.upload("contacts.csv", BAD_CONTACTS)
    outcome = text_of(page.import_(location))
    assert "Nothing was imported" in outcome
    assert query(sqlite_url, "SELECT count(*) FROM contactos") == [(0,)]


def test_detection_can_be_changed(page: Page) -> None:
    location = page.upload("pets.csv", "Pet list\n\nname|type|age\nRex|dog|3\n")
    shown = text_of(page.client.get(location).text)
    assert "columns separated by vertical bar |, column names on row 3" in shown
    page.post(f"{location}/check", {"delimiter": ",", "header_row": "3", "pipeline": "pets"})
    page.wait(location)
    reread = text_of(page.client.get(location).text)
    assert "columns separated by comma ,, column names on row 3" in reread
    assert "do not fit “pets”" in reread


def test_a_workbook_sheet_can_be_chosen(page: Page, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["just notes"])
    pets = book.create_sheet("Pets")
    pets.append(["name", "type", "age"])
    pets.append(["Rex", "dog", 3])
    path = tmp_path / "book.xlsx"
    book.save(path)
    location = page.upload("book.xlsx", path.read_bytes())
    assert "Which kind of data is this?" in text_of(page.client.get(location).text)
    page.post(f"{location}/check", {"sheet": "Pets"})
    page.wait(location)
    shown = text_of(page.client.get(location).text)
    assert "Read as a workbook, sheet “Pets”, column names on row 1" in shown
    assert "The row is fine" in shown


@pytest.mark.parametrize("suffix", ["xls", "ods"])
def test_a_sheet_of_an_xls_or_ods_workbook_can_be_chosen_and_imported(page: Page, sqlite_url: str,
                                                                       suffix: str) -> None:
    """The LibreOffice-written fixtures: sheet `Mascotas` (a title row, the header on row 3
    from column B, columns pets does not know), then sheet `Otra` (name, type: one pet)."""
    location = page.upload(f"pets.{suffix}", (FIXTURES / f"pets.{suffix}").read_bytes())
    html = page.client.get(location).text
    shown = text_of(html)
    assert "Read as a workbook, sheet “Mascotas”, column names on row 3" in shown
    assert "do not fit “pets”" in shown
    (chooser,) = re.findall(r'<select name="sheet">(.*?)</select>', html, flags=re.S)
    assert re.findall(r'<option value="([^"]*)"', chooser) == ["", "Mascotas", "Otra"]
    assert 'name="encoding"' not in html and 'name="delimiter"' not in html  # CSV-only choices
    assert 'id="download-annotated"' in html  # the header cells marked, to send back
    marked = page.client.get(f"{location}/marked.xlsx")
    assert marked.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(marked.content))
    assert book.sheetnames == ["Errors", "Mascotas"] and book["Mascotas"]["B1"].value == "Listado de mascotas"
    assert [row[:3] for row in book["Errors"].iter_rows(min_row=3, values_only=True)] == [
        ("E3", 3, "telefono"), ("F3", 3, "alta"), ("G3", 3, "vacunada")]

    page.post(f"{location}/check", {"sheet": "Otra"})
    page.wait(location)
    html = page.client.get(location).text
    shown = text_of(html)
    assert "Read as a workbook, sheet “Otra”, column names on row 1" in shown
    assert "The row is fine" in shown
    assert '<option value="Otra" selected>' in html
    outcome = text_of(page.import_(location))
    assert "Imported 1 row read from" in outcome and "1 new, 0 updated, 0 unchanged" in outcome
    assert query(sqlite_url, "SELECT name, type FROM pet") == [("Rex", "perro")]


def test_an_unreadable_file_says_why(page: Page) -> None:
    location = page.upload("fake.xlsx", "this is text, not a workbook")
    shown = text_of(page.client.get(location).text)
    assert "The file could not be read" in shown and "not an Excel .xlsx workbook" in shown


def test_discarding_an_upload_deletes_its_folder(page: Page) -> None:
    location = page.upload("contacts.csv", GOOD_CONTACTS)
    folder = page.work_dir / location.rsplit("/", 1)[1]
    assert folder.is_dir()
    page.post(f"{location}/discard")
    assert not folder.exists()
    assert page.client.get(location).status_code == 404


def test_the_work_folder_is_removed_when_the_server_stops(sqlite_url: str, tmp_path: Path) -> None:
    client, work_dir = make_client(sqlite_url, tmp_path)
    with client:
        client.get(f"/?token={TOKEN}")
        Page(client, work_dir).upload("contacts.csv", GOOD_CONTACTS)
        assert any(work_dir.iterdir())
    assert not work_dir.exists()


@pytest.mark.slow
def test_a_long_check_does_not_block_other_pages(page: Page, tmp_path: Path) -> None:
    big = "name,type,age\n" + "".join(f"Pet{n},dog,{n % 20}\n" for n in range(400_000))
    response = page.post_file("many pets.csv", big)
    location = response.json()["location"]
    seen_running = []
    while (status := page.client.get(f"{location}/status").json())["state"] == "running":
        started = time.monotonic()
        assert page.client.get("/history").status_code == 200
        seen_running.append((status["rows"], time.monotonic() - started))
        time.sleep(0.2)
    assert status["state"] == "done"
    assert seen_running, "the check ended before a page could be asked for"
    assert max(seconds for _, seconds in seen_running) < 30  # generous: the test machine is shared
    assert any(rows > 0 for rows, _ in seen_running), "no progress was reported"
    assert "All 400,000 rows are fine" in text_of(page.client.get(location).text)


# --- history and downloads --------------------------------------------------------------

def test_history_shows_the_senders_file_name(page: Page) -> None:
    location = page.upload("Contactos de María.csv", GOOD_CONTACTS)
    page.import_(location)
    history = page.client.get("/history")
    shown = text_of(history.text)
    assert "Contactos de María.csv contacts imported 2 2 0 0 0" in shown
    assert "checked only" in shown
    assert str(page.work_dir) not in history.text
    only_pets = text_of(page.client.get("/history?pipeline=pets").text)
    assert "No import has been recorded yet" in only_pets


def test_templates_reports_and_exports_download(page: Page, tmp_path: Path) -> None:
    page.import_(page.upload("contacts.csv", GOOD_CONTACTS))
    template = page.client.get("/templates/contacts.xlsx")
    assert template.status_code == 200
    assert 'filename="contacts-template.xlsx"' in template.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(template.content)).worksheets[0]
    assert [c.value for c in sheet[1]][:2] == ["nombre", "telefono"]
    report = page.client.get("/reports/contacts-by-group.xlsx")
    assert report.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(report.content)).sheetnames
    exported = page.post("/exports", {"source": "contacts", "format": "csv"})
    assert exported.status_code == 200
    assert list(csv.reader(io.StringIO(exported.content.decode("utf-8"))))[1:] == [
        ["1", "Ana María Peña", "04141234567", "Familia"], ["2", "Luis Gómez", "04149876543", "Amigos"]]
    by_query = page.post("/exports", {"source": "(query)", "format": "jsonl",
                                      "sql": "SELECT nombre FROM contactos ORDER BY nombre"})
    assert by_query.text.splitlines() == ['{"nombre": "Ana María Peña"}', '{"nombre": "Luis Gómez"}']
    assert list(page.work_dir.glob("download-*")) == []
    assert page.client.get("/templates/nope.xlsx").status_code == 404
    assert page.client.get("/reports/nope.xlsx").status_code == 404


def test_export_queries_stay_read_only(page: Page, sqlite_url: str) -> None:
    page.import_(page.upload("contacts.csv", GOOD_CONTACTS))
    for sql in ("DELETE FROM contactos", "SELECT 1; DELETE FROM contactos",
                "WITH x AS (DELETE FROM contactos RETURNING *) SELECT * FROM x"):
        refused = page.post("/exports", {"source": "(query)", "format": "csv", "sql": sql})
        assert refused.status_code == 400
        assert "That did not work" in refused.text
    assert query(sqlite_url, "SELECT count(*) FROM contactos") == [(2,)]


def test_the_downloads_page_lists_everything(page: Page) -> None:
    shown = text_of(page.client.get("/downloads").text)
    for expected in ("Export a table", "contacts (table contactos)", "The result of a query…",
                     "Reports", "contacts-by-group.xlsx", "Empty templates", "pets"):
        assert expected in shown


def test_the_password_appears_in_no_page(server_databases: dict, tmp_path: Path) -> None:
    url = server_databases["postgresql"]
    if isinstance(url, Exception):
        pytest.skip(f"PostgreSQL unreachable: {url}")
    secret = "Sup3rSecretPassw0rd"
    with_password = str(url).replace("postgres@", f"postgres:{secret}@")  # trust auth ignores it
    client, work_dir = make_client(with_password, tmp_path)
    with client:
        client.get(f"/?token={TOKEN}")
        web = Page(client, work_dir)
        location = web.upload("contacts.csv", GOOD_CONTACTS)
        pages = [client.get(p).text for p in ("/", "/history", "/downloads", location)]
        pages.append(web.post("/exports", {"source": "(query)", "format": "csv", "sql": "SELECT nope"}).text)
    assert all(secret not in text for text in pages)
    assert "***" in pages[0]
