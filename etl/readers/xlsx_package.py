"""What is inside an .xlsx package, read from its small index parts without loading any
sheet: the sheets in workbook order (name, visibility, kind, size), the workbook's shared
strings and styles parts and date system, and whether a sheet holds error cells (`#DIV/0!`,
`#N/A`), which python-calamine would empty."""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from etl.errors import ReadError

_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_OFFICE_DOCUMENT = "/officeDocument"
_ERROR_CELL = (b' t="e"', b" t='e'")
_SCAN_CHUNK = 1 << 20
_SHARED_STRINGS = "/sharedStrings"
_STYLES = "/styles"
_FALSE = ("false", "f", "0", "")
"""openpyxl's reading of a false `date1904` (its Bool descriptor)."""


@dataclass(frozen=True)
class SheetPart:
    """One sheet of the workbook as the index describes it."""

    name: str
    part: str | None
    is_worksheet: bool
    visible: bool
    xml_size: int


@dataclass(frozen=True)
class WorkbookParts:
    """The workbook-wide parts a sheet's cells refer to."""

    shared_strings: str | None
    styles: str | None
    date1904: bool


def list_sheets(path: Path) -> list[SheetPart]:
    """The workbook's sheets in tab order, or a ReadError if `path` is not a workbook."""
    try:
        with zipfile.ZipFile(path) as package:
            return _list_sheets(path, package)
    except zipfile.BadZipFile as err:
        raise ReadError(f"{path}: not a readable .xlsx workbook (damaged zip package: {err})") from None
    except ElementTree.ParseError as err:
        raise ReadError(f"{path}: not a readable .xlsx workbook (damaged workbook index: {err})") from None
    except OSError as err:
        raise ReadError(f"{path}: cannot read the file: {err.strerror or err}") from None


def workbook_parts(package: zipfile.ZipFile) -> WorkbookParts:
    """Shared strings and styles parts (by relationship, else their usual names) and the
    date system. Call after `list_sheets` has vouched for the package."""
    workbook_part = _workbook_part(package)
    targets = _relationship_targets(package, workbook_part).values()
    root = ElementTree.fromstring(package.read(workbook_part))
    properties = next((el for el in root if el.tag.rpartition("}")[2] == "workbookPr"), None)
    date1904 = properties is not None and properties.get("date1904", "") not in _FALSE
    return WorkbookParts(
        shared_strings=_part_of_type(package, targets, _SHARED_STRINGS, "xl/sharedStrings.xml"),
        styles=_part_of_type(package, targets, _STYLES, "xl/styles.xml"),
        date1904=date1904,
    )


def _part_of_type(
    package: zipfile.ZipFile, targets: Iterable[tuple[str, str]], kind: str, usual: str
) -> str | None:
    found = [part for part, rel_type in targets if rel_type.endswith(kind)]
    part = found[0] if found else usual
    return part if part in package.NameToInfo else None


def has_error_cells(path: Path, part: str) -> bool:
    """Whether the sheet's XML marks any cell as an error value (streamed, not loaded)."""
    with zipfile.ZipFile(path) as package, package.open(part) as stream:
        tail = b""
        while chunk := stream.read(_SCAN_CHUNK):
            window = tail + chunk[:16]
            if any(marker in chunk or marker in window for marker in _ERROR_CELL):
                return True
            tail = chunk[-16:]
    return False


def _list_sheets(path: Path, package: zipfile.ZipFile) -> list[SheetPart]:
    workbook_part = _workbook_part(package)
    if workbook_part not in package.NameToInfo:
        if any("\\" in name for name in package.NameToInfo):
            raise ReadError(
                f"{path}: not a readable .xlsx workbook: its zip package has part names with backslashes "
                "(written by a tool that does not follow the format); open it in Excel or LibreOffice and save it again"
            )
        raise ReadError(
            f"{path}: not an Excel workbook (the package has no workbook part; a Word or other Office file?)"
        )
    targets = _relationship_targets(package, workbook_part)
    root = ElementTree.fromstring(package.read(workbook_part))
    sheets: list[SheetPart] = []
    # Local names, so both transitional and strict (ISO) namespaces are understood.
    for sheet in (el for el in root.iter() if el.tag.rpartition("}")[2] == "sheet"):
        rel_id = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), "")
        target = targets.get(rel_id)
        part, kind = target if target else (None, "")
        info = package.NameToInfo.get(part) if part else None
        sheets.append(
            SheetPart(
                name=sheet.get("name", ""),
                part=part if info else None,
                is_worksheet=kind.endswith("/worksheet"),
                visible=sheet.get("state", "visible") == "visible",
                xml_size=info.file_size if info else 0,
            )
        )
    return sheets


def _workbook_part(package: zipfile.ZipFile) -> str:
    if "_rels/.rels" in package.NameToInfo:
        root = ElementTree.fromstring(package.read("_rels/.rels"))
        for rel in root.iter(f"{_PKG_REL}Relationship"):
            if rel.get("Type", "").endswith(_OFFICE_DOCUMENT):
                return rel.get("Target", "").lstrip("/")
    return "xl/workbook.xml"


def _relationship_targets(package: zipfile.ZipFile, source_part: str) -> dict[str, tuple[str, str]]:
    """Relationship id → (part name, relationship type) for `source_part`."""
    folder, name = posixpath.split(source_part)
    rels_part = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels_part not in package.NameToInfo:
        return {}
    targets: dict[str, tuple[str, str]] = {}
    for rel in ElementTree.fromstring(package.read(rels_part)).iter(f"{_PKG_REL}Relationship"):
        target = rel.get("Target", "")
        resolved = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join(folder, target)
        )
        targets[rel.get("Id", "")] = (resolved, rel.get("Type", ""))
    return targets
