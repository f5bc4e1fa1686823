"""What is inside an .xlsx package, read from its small index parts without loading any
sheet: the sheets in workbook order (name, visibility, kind, size) and whether a sheet
holds error cells (`#DIV/0!`, `#N/A`), which decides which engine can read it faithfully."""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from etl.errors import ReadError

_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_OFFICE_DOCUMENT = "/officeDocument"
_ERROR_CELL = (b' t="e"', b" t='e'")
_SCAN_CHUNK = 1 << 20


@dataclass(frozen=True)
class SheetPart:
    """One sheet of the workbook as the index describes it."""

    name: str
    part: str | None
    is_worksheet: bool
    visible: bool
    xml_size: int


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
