"""The pipeline engine's pieces, directly: converters, header binding, row processing, keys."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column as SqlColumn
from sqlalchemy import Integer, MetaData, SmallInteger, String, Table

from etl.pipeline.binding import bind_header
from etl.pipeline.columns import build_column_converter
from etl.pipeline.convert import Problem, build_converter
from etl.pipeline.definition import Column, Pipeline, get_pipeline
from etl.load.keys import ExistingKeys, SeenKeys, key_hasher
from etl.pipeline.lookups import fold_name
from etl.pipeline.row_errors import RowError
from etl.pipeline.rows import RejectedRow, RowProcessor, Unconverted
from etl.pipeline.target import Target
from etl.readers.base import Row


def convert(kind: str, raw: str, **options: object) -> object:
    return build_converter(Column(name="c", headers=("c",), kind=kind, **options))(raw)  # type: ignore[arg-type]


def problem(kind: str, raw: str, **options: object) -> str:
    with pytest.raises(Problem) as caught:
        convert(kind, raw, **options)
    return str(caught.value)


@pytest.mark.parametrize("kind, raw, expected", [
    ("text", "  Compañeros ", "Compañeros"),
    ("text", "04155673029", "04155673029"),
    ("text", "   ", None),
    ("integer", " 42 ", 42),
    ("integer", "-7", -7),
    ("integer", "12.0", 12),
    ("decimal", "10.50", Decimal("10.50")),
    ("decimal", "3,5", Decimal("3.5")),
    ("boolean", "Sí", True),
    ("boolean", "no", False),
    ("boolean", "1", True),
    ("date", "2024-02-29", date(2024, 2, 29)),
    ("date", "2024-02-29 00:00:00", date(2024, 2, 29)),
    ("datetime", "2024-02-29 18:30:00", datetime(2024, 2, 29, 18, 30)),
])
def test_converters_accept(kind: str, raw: str, expected: object) -> None:
    assert convert(kind, raw) == expected


@pytest.mark.parametrize("kind, raw, message", [
    ("integer", "12.5", "not a whole number"),
    ("integer", "1_000", "not a whole number (no thousands separators)"),
    ("integer", "1,000", "not a whole number"),
    ("decimal", "1.000,5", "not a number (use . as the decimal mark, no thousands separators)"),
    ("decimal", "NaN", "not a finite number"),
    ("boolean", "maybe", "not a yes/no value (use true/false, yes/no, sí/no or 1/0)"),
    ("date", "03/04/2024", "not a date; write it as YYYY-MM-DD (e.g. 2024-12-31)"),
    ("date", "2024-02-30", "not a date; write it as YYYY-MM-DD (e.g. 2024-12-31)"),
    ("date", "2024-02-03 10:00", "a date was expected, not a date and time"),
    ("datetime", "yesterday", "not a date and time; write it as YYYY-MM-DD HH:MM:SS (e.g. 2024-12-31 18:30:00)"),
])
def test_converters_explain_refusals(kind: str, raw: str, message: str) -> None:
    assert problem(kind, raw) == message


def test_dates_with_explicit_format_never_guess() -> None:
    assert convert("date", "03/04/2024", date_formats=("%d/%m/%Y",)) == date(2024, 4, 3)
    assert convert("date", "2024-04-03", date_formats=("%d/%m/%Y",)) == date(2024, 4, 3)  # ISO: unambiguous
    assert problem("date", "04/13/2024", date_formats=("%d/%m/%Y",)) == (
        "not a date in the format %d/%m/%Y (e.g. 31/12/2024)")
    assert problem("date", "03-04-2024", date_formats=("%d/%m/%Y",)) == (
        "not a date in the format %d/%m/%Y (e.g. 31/12/2024)")
    assert convert("datetime", "31/12/2024 18:30", date_formats=("%d/%m/%Y %H:%M",)) == datetime(2024, 12, 31, 18, 30)
    assert convert("datetime", "2024-12-31 18:30:00", date_formats=("%d/%m/%Y %H:%M",)) == datetime(2024, 12, 31, 18, 30)


def test_empty_optional_text_of_a_not_null_column_is_stored_empty() -> None:
    column = Column(name="c", headers=("c",))
    assert build_converter(column, empty_text="")("  ") == ""
    assert build_converter(column)("  ") is None
    with pytest.raises(Problem, match="a value is required"):
        build_converter(Column(name="c", headers=("c",), required=True), empty_text="")("")


def test_rules_required_ranges_lengths_patterns_choices_case() -> None:
    assert problem("text", " ", required=True) == "a value is required"
    assert problem("integer", "-1", minimum=Decimal(0)) == "must be at least 0"
    assert problem("decimal", "100.5", maximum=Decimal(100)) == "must be at most 100"
    assert problem("text", "abcdef", max_length=5) == "text is 6 characters long; at most 5 fit"
    assert problem("text", "12a", pattern="[0-9]+", pattern_message="digits only") == "digits only"
    assert problem("text", "x", choices=("a", "b")) == "not one of the allowed values: a, b"
    assert convert("text", " mixed Case ", case="upper") == "MIXED CASE"
    assert convert("text", " keep ", trim=False) == " keep "
    column = Column(name="c", headers=("c",))
    assert build_converter(column, max_length=11)("0" * 11) == "0" * 11
    with pytest.raises(Problem, match="at most 11 fit"):
        build_converter(column, max_length=11)("0" * 12)
    with pytest.raises(Problem, match="must be at most 32767"):
        build_converter(Column(name="n", headers=("n",), kind="integer"), int_range=(-32768, 32767))("40000")


def pets_target(name_length: int | None = None) -> Target:
    table = Table("pet", MetaData(), SqlColumn("id", Integer, primary_key=True),
                  SqlColumn("name", String(name_length)), SqlColumn("type", String),
                  SqlColumn("age", SmallInteger))
    return Target(table=table, primary_key="id")


def test_binding_ignores_case_accents_and_separators() -> None:
    pipeline = get_pipeline("contacts")
    binding = bind_header(pipeline, "id", [" NOMBRE ", "Teléfono", "grupo", "ID", "error", "row"], 1)
    assert (binding.direct, binding.lookup, binding.id_index, binding.problems) == (
        {"nombre": 0, "telefono": 1}, {"grupo_id": 2}, 3, [])
    assert binding.columns == ["nombre", "telefono", "grupo_id"]


def test_binding_reports_unknown_duplicate_and_missing_columns() -> None:
    pipeline = get_pipeline("pets")
    binding = bind_header(pipeline, "id", ["name", "Nombre", "colour"], 3)
    assert binding.problems == [
        RowError(3, "Nombre", None, "the column 'name' already gives 'name'"),
        RowError(3, "colour", None,
                 "unknown column; pipeline 'pets' accepts name, nombre, type, tipo, species, age, edad and id"),
        RowError(3, None, None, "missing column 'type' or 'tipo' or 'species'"),
    ]
    tolerant = Pipeline(name="p", table="pet", key=("name",), allow_extra_columns=True,
                        columns=(Column(name="name", headers=("name",)),))
    assert bind_header(tolerant, "id", ["name", "colour"], 1).problems == []


def test_row_processor_converts_good_rows_and_explains_bad_ones() -> None:
    pipeline = get_pipeline("pets")
    header = ("Edad", "Nombre", "Tipo")
    target = pets_target(name_length=5)
    processor = RowProcessor(pipeline, target, bind_header(pipeline, "id", header, 1), header, {})
    assert processor.columns == ["age", "name", "type"] and not processor.has_id
    assert processor.process(Row(2, ("3", " Rex ", "dog"))) == (3, "Rex", "dog")
    assert processor.process(Row(3, ("", "Rex", "dog", "", " "))) == (None, "Rex", "dog")
    bad = processor.process(Row(4, ("x", "Toolong", "cat")))
    assert isinstance(bad, RejectedRow)
    assert list(bad) == [RowError(4, "Edad", "x", "not a whole number"),
                         RowError(4, "Nombre", "Toolong", "text is 7 characters long; at most 5 fit")]
    assert bad.partial == (Unconverted("x"), Unconverted("Toolong"), "cat")
    ragged = processor.process(Row(5, ("1", "Rex", "dog", "extra")))
    assert list(ragged) == [RowError(5, None, None, "the row has 4 cells but the header only 3")]
    chunk = [Row(2, ("3", "Rex", "dog")), Row(3, ("-1", "Tom", "cat"))]
    rows, bad = processor.process_chunk(chunk)
    assert rows == [(3, "Rex", "dog"), (Unconverted("-1"), "Tom", "cat")]
    assert list(bad) == [3] and list(bad[3]) == [RowError(3, "Edad", "-1", "must be at least 0")]
    assert processor.process_chunk(chunk[:1]) == ([(3, "Rex", "dog")], {})


def test_fold_name_ignores_case_accents_and_spaces() -> None:
    assert fold_name("  Compañeros   de  OFICINA ") == fold_name("companeros de oficina") == "companeros de oficina"


def test_seen_keys_names_the_earlier_row_across_and_within_chunks() -> None:
    seen = SeenKeys()
    hashes = [hash(("pet", i)) for i in range(30_000)]
    for start in range(0, 30_000, 1_000):
        assert seen.check_and_add(hashes[start:start + 1_000], list(range(start + 2, start + 1_002))) == {}
    repeats = seen.check_and_add([hashes[17], 5, hashes[29_999], 5, 6], [40_000, 40_001, 40_002, 40_003, 40_004])
    assert repeats == {0: 19, 2: 30_001, 3: 40_001}


def test_existing_keys_propose_candidates_by_hash() -> None:
    hasher = key_hasher(["text", "text"])
    rows = [(1, "Rex", "dog"), (2, "Tom", "cat"), (3, "Rex", "dog")]
    index = ExistingKeys([rows[:2], rows[2:]], hasher)
    found = index.candidates([hasher(("Rex", "dog")), hasher(("Tom", "cat")), hasher(("Kit", "cat"))])
    assert found[0] == [1, 3] and found[1:] == [2, None]


def test_key_hasher_does_not_confuse_numbers() -> None:
    hasher = key_hasher(["integer"])
    assert hasher((-1,)) != hasher((-2,))
    assert key_hasher(["decimal"])((Decimal("1.50"),)) == key_hasher(["decimal"])((Decimal("1.5"),))


COLUMN_CASES = [
    Column(name="t", headers=("t",)),
    Column(name="t", headers=("t",), required=True, max_length=5),
    Column(name="t", headers=("t",), pattern="[0-9]+", max_length=3),
    Column(name="i", headers=("i",), kind="integer", minimum=Decimal(0), maximum=Decimal(100)),
    Column(name="i", headers=("i",), kind="integer", required=True),
]


@pytest.mark.parametrize("column", COLUMN_CASES, ids=lambda c: f"{c.kind}-{c.required}-{c.max_length}")
@given(cells=st.lists(st.one_of(st.sampled_from(["", " ", "7", " 42 ", "-3", "1_0", "12.0", "abcdef", "١٢"]),
                                st.text(max_size=8)), max_size=12))
def test_column_converters_agree_with_cell_converters(column: Column, cells: list[str]) -> None:
    """A column converter either refuses the chunk (its cells then go one by one) or gives
    exactly what the cell converter gives for every cell."""
    for empty_text in (None, ""):
        whole = build_column_converter(column, int_range=(-(2**31), 2**31 - 1), empty_text=empty_text)
        single = build_converter(column, int_range=(-(2**31), 2**31 - 1), empty_text=empty_text)
        assert whole is not None
        try:
            converted = whole(cells)
        except Problem:
            continue
        assert converted == [single(cell) for cell in cells]


def test_only_plain_columns_have_column_converters() -> None:
    assert build_column_converter(Column(name="t", headers=("t",), case="upper")) is None
    assert build_column_converter(Column(name="d", headers=("d",), kind="date")) is None
