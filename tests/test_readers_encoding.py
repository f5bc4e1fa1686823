"""Which encoding a CSV file is read in (issue 17 items 2 and 11): a damaged or mixed UTF-8
file is refused at the row of its first bad byte instead of turning into cp1252 mojibake,
and text in another script is refused naming the encoding it seems to be in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from etl.errors import ReadError
from etl.readers import ReadOptions, Row, open_table
from tests.conftest import query


def read_all(path: Path, options: ReadOptions = ReadOptions()) -> tuple[tuple[str, ...], list[Row], str]:
    with open_table(path, options) as table:
        return table.header, list(table.rows), table.detected["encoding"]


def test_one_bad_byte_at_the_end_of_a_utf8_file_is_refused_not_mojibake(cli, db_url: str, tmp_path: Path) -> None:
    rows = [f"Ñandú {i},ave,{i % 30}\n" for i in range(60_000)]
    head = ("name,type,age\n" + "".join(rows)).encode("utf-8")
    path = tmp_path / "pets.csv"
    path.write_bytes(head + b"Jos\xe9,cat,1\n")
    result = cli("import", "--db", db_url, "--json", "pets", str(path))
    assert result.exit_code == 1
    [error] = json.loads(result.stdout)["files"][0]["errors"]
    assert error["message"] == (
        f"row 60002: byte 0xE9 (byte offset {len(head) + 3:,}) is not valid UTF-8, in a file that is otherwise UTF-8: "
        "correct it, or if the whole file is in another encoding, name it with --encoding (e.g. --encoding cp1252)")
    assert query(db_url, "SELECT count(*) FROM pet") == [(0,)]


def test_a_cp1252_file_is_still_read_as_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "grupos.csv"
    path.write_bytes("grupo;descripcion\nFútbol;Señoras del té €\n".encode("cp1252"))
    assert read_all(path) == (("grupo", "descripcion"), [Row(2, ("Fútbol", "Señoras del té €"))], "cp1252")


@pytest.mark.parametrize(("text", "codec", "language"), [
    ("nombre,ciudad\n" + "Иван Петров,Москва\nОльга Смирнова,Санкт-Петербург\nДмитрий,Новосибирск\n" * 5,
     "cp1251", "Russian|Ukrainian|Bulgarian"),
    ("name,city\n" + "Γιώργος Παπαδόπουλος,Αθήνα\nΜαρία,Θεσσαλονίκη\n" * 5, "cp1253", "Greek"),
    ("名前,都市\n" + "山田太郎,東京\n佐藤花子,大阪\n" * 5, "shift_jis", "Japanese"),
    ("姓名,城市\n" + "张伟,北京\n李娜,上海\n" * 5, "gbk", "Chinese"),
])
def test_text_in_another_script_is_refused_naming_its_encoding(
        tmp_path: Path, text: str, codec: str, language: str) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(text.encode(codec))
    with pytest.raises(ReadError, match=rf"it looks like ([\w-]+) \(({language})\): if so, name it with "
                                        rf"--encoding \1$"):
        read_all(path)
    header, rows, _ = read_all(path, ReadOptions(encoding=codec))
    assert [header, *(row.values for row in rows)] == [tuple(line.split(",")) for line in text.splitlines()]


def test_a_file_mixing_utf8_and_cp1252_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    utf8 = "name,type\nÑandú,ave\n".encode("utf-8")
    path.write_bytes(utf8 + "".join(f"Pe\xf1a {i},perro\n" for i in range(20)).encode("cp1252"))
    with pytest.raises(ReadError, match=rf"the file mixes UTF-8 text with bytes that are not UTF-8 \(the first at "
                                        rf"byte offset {len(utf8) + 2}\)"):
        read_all(path)
    assert read_all(path, ReadOptions(encoding="cp1252"))[1][0] == Row(2, ("Ã‘andÃº", "ave"))


def test_utf16_without_byte_order_mark_holding_cjk_is_not_called_binary(tmp_path: Path) -> None:
    text = "名前,都市\n山田太郎,東京\n佐藤花子,大阪\n"
    path = tmp_path / "data.csv"
    path.write_bytes(text.encode("utf-16-le"))
    with pytest.raises(ReadError, match="looks like UTF-16 text without a byte-order mark; if so, name it with "
                                        "--encoding utf-16-le"):
        read_all(path)
    assert read_all(path, ReadOptions(encoding="utf-16-le"))[:2] == (
        ("名前", "都市"), [Row(2, ("山田太郎", "東京")), Row(3, ("佐藤花子", "大阪"))])
