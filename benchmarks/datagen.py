"""Deterministic benchmark inputs: the same seed and row count always give the same bytes.

Files are named after their generator version and row count and reused when present, so
a second run does not pay for generation; bump GENERATOR_VERSION whenever the output of
a generator changes.
"""

from __future__ import annotations

import csv
import functools
import os
import random
from collections.abc import Iterator
from pathlib import Path

GENERATOR_VERSION = 1
SEED = 20261121

PET_NAMES = (
    "Luna", "Rocky", "Firulais", "Max", "Canela", "Toby", "Nala", "Simba", "Coco", "Lola",
    "Bruno", "Kira", "Thor", "Mía", "Chispa", "Pelusa", "Manchas", "Peluchín", "Zeus", "Olivia",
    "Dulce", "Negro", "Blanca", "Tigre", "Lucas", "Princesa", "Bigotes", "Ñaño", "Copito", "Sol",
)
PET_TYPES = ("dog", "cat", "bird", "fish", "rabbit", "hamster", "turtle", "horse")

FIRST_NAMES = (
    "José", "María", "Luis", "Ana", "Carlos", "Lucía", "Jorge", "Sofía", "Andrés", "Valentina",
    "Pedro", "Camila", "Miguel", "Daniela", "Juan", "Gabriela", "Ramón", "Isabel", "Tomás", "Elena",
)
LAST_NAMES = (
    "García", "Rodríguez", "Pérez", "González", "Hernández", "López", "Martínez", "Sánchez",
    "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Muñoz", "Castillo",
)
GROUPS = (
    "Familia", "Trabajo", "Amigos", "Clientes", "Proveedores", "Vecinos", "Colegio",
    "Fútbol", "Música", "Médicos", "Iglesia", "Gimnasio",
)
# Mobile prefixes after the leading trunk zero: 0 + 3 digits + 7 digits = 11 digits.
PHONE_PREFIXES = ("412", "414", "416", "424", "426")
# Multiplying by a number coprime with 10**7 permutes 0..10**7-1, so phones never repeat.
PHONE_STRIDE = 7_919_371
PHONE_SPACE = 10**7
PHONE_OFFSET = 1_234_567


def pet_rows(rows: int) -> Iterator[tuple[int, str, str, int]]:
    """id, name, type, age; (name, type) is unique too, so either key matches one row."""
    rng = random.Random(SEED)
    for number in range(1, rows + 1):
        name = f"{rng.choice(PET_NAMES)} {number}"
        yield number, name, rng.choice(PET_TYPES), rng.randrange(0, 25)


def contact_rows(rows: int) -> Iterator[tuple[str, str, str]]:
    """nombre, telefono (11 digits, leading zero), grupo (one of ~12 names)."""
    rng = random.Random(SEED + 1)
    prefixes = len(PHONE_PREFIXES)
    if rows > prefixes * PHONE_SPACE:
        raise ValueError(f"at most {prefixes * PHONE_SPACE} unique phone numbers")
    for index in range(rows):
        local = ((index // prefixes) * PHONE_STRIDE + PHONE_OFFSET) % PHONE_SPACE
        phone = f"0{PHONE_PREFIXES[index % prefixes]}{local:07d}"
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {rng.choice(LAST_NAMES)}"
        yield name, phone, rng.choice(GROUPS)


# The upsert input: every UPSERT_SHARE-th row of the table is new, and as many are changed.
UPSERT_SHARE = 10


def upsert_rows(rows: int) -> Iterator[tuple[str, str, int]]:
    """name, type, age for upserting into a table of `pet_rows(rows)`, matched on (name, type):
    of every 10 base rows, one is replaced by a new pet (so that table row is not in the
    file), one gets another age, eight come back unchanged. No id column: the key decides."""
    rng = random.Random(SEED + 2)
    for number, name, kind, age in pet_rows(rows):
        place = number % UPSERT_SHARE
        if place == 0:
            yield f"{rng.choice(PET_NAMES)} {rows + number // UPSERT_SHARE}", rng.choice(PET_TYPES), age
        elif place == UPSERT_SHARE // 2:
            yield name, kind, (age + 1) % 25
        else:
            yield name, kind, age


@functools.cache
def upsert_expectation(rows: int) -> tuple[int, int]:
    """(row count, sum of ages) of the `pet_rows(rows)` table once the upsert file is in."""
    new = age_sum = 0
    for (number, _, _, before), (_, _, after) in zip(pet_rows(rows), upsert_rows(rows)):
        if number % UPSERT_SHARE == 0:  # the table keeps its row, and the new one joins it
            new += 1
            age_sum += before
        age_sum += after
    return rows + new, age_sum


def upsert_csv(data_dir: Path, rows: int) -> Path:
    """The upsert CSV (name,type,age) for a `rows`-row pets table: 10% changed, 10% new."""
    path = data_dir / f"pets-upsert-v{GENERATOR_VERSION}-{rows}.csv"
    if not path.exists():
        _write_csv(path, ("name", "type", "age"), upsert_rows(rows))
    return path


def pets_csv(data_dir: Path, rows: int) -> Path:
    """A pets CSV with header id,name,type,age (~31 MB per million rows)."""
    path = data_dir / f"pets-v{GENERATOR_VERSION}-{rows}.csv"
    if not path.exists():
        _write_csv(path, ("id", "name", "type", "age"), pet_rows(rows))
    return path


def pets_folder(data_dir: Path, files: int, rows_per_file: int) -> Path:
    """A hot folder: `files` pets CSVs (`pets-00.csv`, …) of `rows_per_file` rows each, the
    first `files * rows_per_file` pets in order (ids never repeat across files)."""
    folder = data_dir / f"pets-folder-v{GENERATOR_VERSION}-{files}x{rows_per_file}"
    if folder.exists():
        return folder
    partial = folder.with_name(folder.name + ".partial")
    partial.mkdir(parents=True, exist_ok=True)
    rows = pet_rows(files * rows_per_file)
    for number in range(files):
        _write_csv(partial / f"pets-{number:02d}.csv", ("id", "name", "type", "age"),
                   (next(rows) for _ in range(rows_per_file)))
    os.replace(partial, folder)
    return folder


def contacts_csv(data_dir: Path, rows: int) -> Path:
    """A contacts CSV with header nombre,telefono,grupo: groups by name, found by lookup."""
    path = data_dir / f"contacts-v{GENERATOR_VERSION}-{rows}.csv"
    if not path.exists():
        _write_csv(path, ("nombre", "telefono", "grupo"), contact_rows(rows))
    return path


def pets_xlsx(data_dir: Path, rows: int) -> Path:
    """The first `rows` pets as an XLSX workbook (one sheet, header row, numbers as numbers)."""
    import xlsxwriter

    path = data_dir / f"pets-v{GENERATOR_VERSION}-{rows}.xlsx"
    if path.exists():
        return path
    partial = path.with_name(path.name + ".partial")
    workbook = xlsxwriter.Workbook(str(partial), {"constant_memory": True})
    sheet = workbook.add_worksheet("pets")
    sheet.write_row(0, 0, ("id", "name", "type", "age"))
    for index, row in enumerate(pet_rows(rows), start=1):
        sheet.write_row(index, 0, row)
    workbook.close()
    os.replace(partial, path)
    return path


# A sender's workbook: every LOST_ZERO_SHARE-th phone typed as a number (its leading zero
# lost: the importer warns), and every TYPO_EVERY-th group misspelt (a new group, "did you mean").
LOST_ZERO_SHARE = 10
TYPO_EVERY = 997
GROUP_TYPOS = ("Amigso", "Famila", "Trabaj", "Clientez", "Vecinoss", "Colegios")


def contacts_xlsx(data_dir: Path, rows: int) -> Path:
    """The contacts of `contacts_csv` as a workbook a person typed: phones are text cells
    with their leading zero, except every LOST_ZERO_SHARE-th, a number cell without it; every
    TYPO_EVERY-th group from sheet row 101 on (every real group has been seen by then) is
    one of GROUP_TYPOS, so the import creates those groups and warns about each: what the
    import's warnings cost to find."""
    import xlsxwriter

    path = data_dir / f"contacts-v{GENERATOR_VERSION}-{rows}.xlsx"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    workbook = xlsxwriter.Workbook(str(partial), {"constant_memory": True, "strings_to_numbers": False})
    sheet = workbook.add_worksheet("Contactos")
    sheet.write_row(0, 0, ("Nombre", "Teléfono", "Grupo"))
    for index, (name, phone, group) in enumerate(contact_rows(rows), start=1):
        sheet.write_string(index, 0, name)
        if index % LOST_ZERO_SHARE == 0:
            sheet.write_number(index, 1, int(phone))
        else:
            sheet.write_string(index, 1, phone)
        if index % TYPO_EVERY == 100:
            group = GROUP_TYPOS[index // TYPO_EVERY % len(GROUP_TYPOS)]
        sheet.write_string(index, 2, group)
    workbook.close()
    os.replace(partial, path)
    return path


def _write_csv(path: Path, header: tuple[str, ...], rows: Iterator[tuple]) -> None:
    """Write to a side file and rename, so an interrupted run never leaves a short file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    os.replace(partial, path)
