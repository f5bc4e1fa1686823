"""CSV reading: encodings, delimiters, quoting, line endings, row numbers, header location,
and a clear one-line ReadError (naming file and row) for every kind of unreadable input."""

from __future__ import annotations

import codecs
import tracemalloc
import zipfile
from pathlib import Path

import psutil
import pytest
from sqlalchemy import create_engine
from sqlalchemy import text as sql

from etl.errors import ReadError, UsageError
from etl.readers import ReadOptions, Row, open_table
from etl.readers.csv_reader import sniff_delimiter
from etl.readers.encoding import detect_encoding
from etl.readers.headers import header_test

PETS_HEADER = header_test(["name", "nombre", "type", "tipo", "species", "age", "edad"])


def write(tmp_path: Path, data: bytes | str, name: str = "data.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode(encoding) if isinstance(data, str) else data)
    return path


def read(path: Path, options: ReadOptions = ReadOptions(), looks_like_header=None):
    with open_table(path, options, looks_like_header) as table:
        return table.header, list(table.rows), table.detected


def test_reads_header_rows_and_detection(tmp_path: Path) -> None:
    path = write(tmp_path, "nombre,telefono\nAna,04155673029\nLuis,1e5\n")
    header, rows, detected = read(path)
    assert header == ("nombre", "telefono")
    assert rows == [Row(2, ("Ana", "04155673029")), Row(3, ("Luis", "1e5"))]
    assert detected == {"format": "csv", "encoding": "utf-8", "delimiter": ",", "header_row": "1"}


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("utf-16", "utf-16"),
        ("utf-16-le", "utf-16"),
        ("utf-16-be", "utf-16"),
        ("cp1252", "cp1252"),
    ],
)
def test_detects_encoding(tmp_path: Path, encoding: str, expected: str) -> None:
    text = "nombre;teléfono;grupo\nJosé Núñez;04155673029;Niñas “A”\nÇa;1;€\n"
    data = text.encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):
        bom = codecs.BOM_UTF16_LE if encoding.endswith("le") else codecs.BOM_UTF16_BE
        data = bom + data
    header, rows, detected = read(write(tmp_path, data))
    assert detected["encoding"] == expected
    assert detected["delimiter"] == ";"
    assert header == ("nombre", "teléfono", "grupo")
    assert rows == [Row(2, ("José Núñez", "04155673029", "Niñas “A”")), Row(3, ("Ça", "1", "€"))]


@pytest.mark.parametrize(
    "text", ["José\n", "a,b\nñ,é\n", "nombre;descripción\nPingüino;Ártico\n", "x\n" * 5000 + "Zoë\n"]
)
def test_short_and_late_latin1_text_is_not_mistaken_for_utf8(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text, encoding="latin-1")
    assert detect_encoding(path) in ("cp1252", "latin-1")
    assert path.read_bytes().decode(detect_encoding(path)) == text


def test_bytes_undefined_in_cp1252_are_not_read_as_latin1_controls_without_a_word(tmp_path: Path) -> None:
    """0x81 is `ü` in DOS cp850 and a control character in Latin-1: the file is refused
    with a guess, and reads as Latin-1 when that is named."""
    path = write(tmp_path, b"a,b\n\x81x,\xe9\n")
    with pytest.raises(ReadError, match=r"the text is neither UTF-8 nor Windows-1252/Latin-1; it looks like "):
        read(path)
    header, rows, detected = read(path, ReadOptions(encoding="latin-1"))
    assert detected["encoding"] == "latin-1"
    assert rows == [Row(2, ("\x81x", "é"))]


def test_encoding_override_is_used_and_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b\nÃ©,2\n", encoding="utf-8")
    header, rows, detected = read(path, ReadOptions(encoding="latin-1"))
    assert detected["encoding"] == "latin-1"
    assert rows == [Row(2, ("Ã\x83Â©", "2"))]


def test_utf8_option_on_a_file_with_bom_drops_the_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "nombre,edad\nAna,3\n", encoding="utf-8-sig")
    header, rows, detected = read(path, ReadOptions(encoding="UTF8"))
    assert (header, detected["encoding"]) == (("nombre", "edad"), "utf-8-sig")


def test_utf32_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b\n1,2\n", encoding="utf-32")
    with pytest.raises(ReadError, match="UTF-32 text is not supported; save the file as UTF-8"):
        read(path)


def test_unknown_encoding_option_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown encoding 'klingon'"):
        read(write(tmp_path, "a\n1\n"), ReadOptions(encoding="klingon"))


def test_wrong_encoding_mid_file_names_the_exact_row(tmp_path: Path) -> None:
    lines = ["nombre,valor"] + [f"n{i},{i}" for i in range(20000)]
    lines[15000] = "Jos\xe9,1"
    path = write(tmp_path, "\n".join(lines) + "\n", encoding="cp1252")
    with pytest.raises(ReadError) as err:
        read(path, ReadOptions(encoding="utf-8"))
    assert str(err.value) == (
        f"{path}: row 15001: byte 0xE9 (byte offset 172,783) is not valid UTF-8, in a file that is otherwise UTF-8: "
        "correct it, or if the whole file is in another encoding, name it with --encoding (e.g. --encoding cp1252)"
    )


def test_broken_utf16_names_the_row(tmp_path: Path) -> None:
    data = codecs.BOM_UTF16_LE + "a,b\n1,2\n3,4\n".encode("utf-16-le") + b"\x00\xd8,\x00\n\x00"
    with pytest.raises(ReadError, match=r"row 4: bytes that are not valid utf-16 text"):
        read(write(tmp_path, data))


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_detects_delimiter(tmp_path: Path, delimiter: str) -> None:
    rows = [["nombre", "precio", "nota"], ["Ana", "1,5", "a; b"], ["Luis", "2,75", "c|d"], ["Eva", "3", "x\ty"]]
    text = "".join(
        delimiter.join(f'"{v}"' if any(c in v for c in ",;\t|") else v for v in row) + "\n"
        for row in rows
    )
    header, got, detected = read(write(tmp_path, text))
    assert detected["delimiter"] == delimiter
    assert [header, *[r.values for r in got]] == [tuple(r) for r in rows]


def test_semicolon_file_with_decimal_commas(tmp_path: Path) -> None:
    assert sniff_delimiter("nombre;precio\nAna;1,5\nLuis;2,5\nEva;3,25\n") == ";"
    assert sniff_delimiter("Listado de precios\n\nnombre;precio\nA;1,5\n") == ";"
    assert sniff_delimiter("a\n4.5\n") == ","


@pytest.mark.parametrize(("option", "delimiter"), [(";", ";"), ("tab", "\t"), ("\\t", "\t"), ("|", "|")])
def test_delimiter_override(tmp_path: Path, option: str, delimiter: str) -> None:
    path = write(tmp_path, f"a{delimiter}b,c\n1{delimiter}2,3\n")
    header, rows, detected = read(path, ReadOptions(delimiter=option))
    assert detected["delimiter"] == delimiter
    assert header == ("a", "b,c")
    assert rows == [Row(2, ("1", "2,3"))]


def test_bad_delimiter_option_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--delimiter must be one character"):
        read(write(tmp_path, "a\n1\n"), ReadOptions(delimiter=";;"))


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_endings_and_quoted_newlines_count_records(tmp_path: Path, newline: str) -> None:
    text = newline.join(
        ["name,note", 'Ana,"two', 'lines, and a comma"', "", "Luis,plain", '"Eva ""E""",x', ""]
    )
    header, rows, _ = read(write(tmp_path, text))
    assert header == ("name", "note")
    assert rows == [
        Row(2, ("Ana", f"two{newline}lines, and a comma")),
        Row(4, ("Luis", "plain")),
        Row(5, ('Eva "E"', "x")),
    ]


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    header, rows, detected = read(write(tmp_path, "\n\na,b\n\n1,2\n,\n  ,\n3,4\n\n"))
    assert detected["header_row"] == "3"
    assert rows == [Row(5, ("1", "2")), Row(8, ("3", "4"))]


def test_ragged_rows_keep_their_length_and_trailing_empties_are_dropped(tmp_path: Path) -> None:
    header, rows, _ = read(write(tmp_path, "a,b,c,,\n1\n1,2,3,4\n1,2,3,,,\n1,,,\n1,2,,x,\n"))
    assert header == ("a", "b", "c")
    assert rows == [
        Row(2, ("1",)),
        Row(3, ("1", "2", "3", "4")),
        Row(4, ("1", "2", "3")),
        Row(5, ("1", "", "")),
        Row(6, ("1", "2", "", "x")),
    ]


def test_values_are_text_exactly_as_written(tmp_path: Path) -> None:
    header, rows, _ = read(write(tmp_path, 'a,b,c,d,e\n007, 1e5 ,"=1+1",TRUE,2024-01-02\n'))
    assert rows == [Row(2, ("007", " 1e5 ", "=1+1", "TRUE", "2024-01-02"))]


def test_title_rows_above_the_header_are_skipped(tmp_path: Path) -> None:
    text = "Listado de mascotas;;\nGenerado el 2024-01-01;;\n\nNombre;Tipo;Edad\nRex;perro;3\n"
    header, rows, detected = read(write(tmp_path, text), looks_like_header=PETS_HEADER)
    assert header == ("Nombre", "Tipo", "Edad")
    assert detected["header_row"] == "4"
    assert rows == [Row(5, ("Rex", "perro", "3"))]


def test_no_matching_header_falls_back_to_first_non_blank_row(tmp_path: Path) -> None:
    header, rows, detected = read(write(tmp_path, "\nx,y\n1,2\n"), looks_like_header=PETS_HEADER)
    assert (header, detected["header_row"], rows) == (("x", "y"), "2", [Row(3, ("1", "2"))])


def test_header_row_option(tmp_path: Path) -> None:
    path = write(tmp_path, "title\nname,age\nsub,header\nRex,3\n")
    header, rows, detected = read(path, ReadOptions(header_row=3), PETS_HEADER)
    assert (header, detected["header_row"], rows) == (("sub", "header"), "3", [Row(4, ("Rex", "3"))])


@pytest.mark.parametrize("header_row", [2, 9])
def test_header_row_option_on_a_blank_or_missing_row(tmp_path: Path, header_row: int) -> None:
    path = write(tmp_path, "a,b\n\n1,2\n")
    with pytest.raises(ReadError, match=f"row {header_row} is empty or missing"):
        read(path, ReadOptions(header_row=header_row))


def test_header_only_is_zero_rows(tmp_path: Path) -> None:
    assert read(write(tmp_path, "a,b\n"))[:2] == (("a", "b"), [])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"\n\r\n  \n", "the file is empty"),
        (b"a,b,c\n\x00,2,3\n", "row 2: contains a NUL byte"),
        (bytes(range(256)) * 8, "binary content, not CSV text"),
        ("a,b\n1,2\n".encode("utf-16-le"), "UTF-16 text without a byte-order mark; if so, name it with --encoding utf-16-le"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "binary Office file (legacy .xls?)"),
        (b'a,b\n1,"unclosed\n' + b"x" * 140_000 + b"\n", "row 2: the file ends inside a quoted value"),
    ],
)
def test_unreadable_csv_is_one_clear_line(tmp_path: Path, data: bytes, message: str) -> None:
    path = write(tmp_path, data)
    with pytest.raises(ReadError) as err:
        read(path)
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_workbook_named_csv_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "book.csv"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(ReadError, match=r"zip package \(an \.xlsx workbook\?\), not a CSV"):
        read(path)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("old.xls", "not a binary Excel 97-2003 workbook (web page or XML saved as .xls?)"),
        ("sheet.ods", "not a .ods workbook (the file is not a zip package)"),
        ("sheet.numbers", "unsupported file format (.numbers)"),
        ("noext", "unsupported file format (no extension)"),
    ],
)
def test_unsupported_formats(tmp_path: Path, name: str, message: str) -> None:
    path = write(tmp_path, "a\n1\n", name=name)
    with pytest.raises(ReadError) as err:
        read(path)
    assert str(err.value).startswith(f"{path}: {message}")


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        read(tmp_path / "nope.csv")


def test_utf16_without_bom_reads_with_the_encoding_option(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b\n1,2\n".encode("utf-16-le"))
    assert read(path, ReadOptions(encoding="utf-16-le"))[:2] == (("a", "b"), [Row(2, ("1", "2"))])


def test_tsv_and_txt_extensions_read_as_csv(tmp_path: Path) -> None:
    assert read(write(tmp_path, "a\tb\n1\t2\n", name="x.tsv"))[2]["delimiter"] == "\t"
    assert read(write(tmp_path, "a|b\n1|2\n", name="x.TXT"))[1] == [Row(2, ("1", "2"))]


def test_file_is_closed_when_the_block_exits(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b\n" + "1,2\n" * 10)
    process = psutil.Process()
    with open_table(path) as table:
        next(table.rows)
        assert str(path) in [f.path for f in process.open_files()]
    assert str(path) not in [f.path for f in process.open_files()]


def test_rows_stream_lazily(tmp_path: Path) -> None:
    path = write(tmp_path, "a\n" + "1\n" * 100 + "\x00\n")
    with open_table(path) as table:
        assert next(table.rows) == Row(2, ("1",))
        with pytest.raises(ReadError, match="row 102: contains a NUL byte"):
            list(table.rows)


def test_header_test_ignores_case_accents_spaces_and_separators() -> None:
    looks = header_test(["teléfono", "nombre"])
    assert looks(["", " TELEFONO "])
    assert header_test(["grupo_id"])(["Grupo ID"])
    assert header_test(["grupo id"])(["grupo-id"])
    assert looks(["x", "Nombre"])
    assert not looks(["Listado de contactos", ""])
    assert not looks(["", "  "])


def test_cli_imports_a_latin1_semicolon_file_with_title_rows(cli, sqlite_url: str, tmp_path: Path) -> None:
    text = "Listado de mascotas;;\n\nNombre;Tipo;Edad\nÑandú;ave;3\n\nJosé;perro;007\n"
    path = write(tmp_path, text, name="mascotas.csv", encoding="latin-1")
    result = cli("import", "--db", sqlite_url, "pets", str(path))
    assert result.exit_code == 0, result.output
    engine = create_engine(sqlite_url)
    with engine.connect() as connection:
        rows = connection.execute(sql("SELECT name, type, age FROM pet ORDER BY name")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("José", "perro", 7), ("Ñandú", "ave", 3)]


def test_cli_reports_unreadable_csv_in_one_line(cli, sqlite_url: str, tmp_path: Path) -> None:
    path = write(tmp_path, b"nombre,tipo\nRex,perro\n\x00,x\n", name="pets.csv")
    result = cli("import", "--db", sqlite_url, "pets", str(path))
    assert result.exit_code == 1
    assert "row 3: contains a NUL byte" in result.output
    assert "Traceback" not in result.output


def test_reading_streams_memory_does_not_grow_with_the_file(tmp_path: Path) -> None:
    def peak_while_reading(rows: int) -> int:
        path = write(tmp_path, "nombre;telefono\n" + "".join(f"Persona {i};0{i:010d}\n" for i in range(rows)),
                     name=f"big{rows}.csv")
        tracemalloc.start()
        with open_table(path) as table:
            count = sum(1 for _ in table.rows)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert count == rows
        return peak

    # Both files are larger than the 1 MiB chunks encoding detection reads, so any
    # difference in peak would be rows being kept.
    small, large = peak_while_reading(50_000), peak_while_reading(250_000)
    assert large < small + 512 * 1024, (small, large)
