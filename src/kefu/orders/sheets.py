"""Read an exported table (CSV or XLSX) into numbered rows of text cells, large files included.

The same reading as kefu.playbook.faq_files (which stays as it is for the FAQ page),
generalised: the limits are the caller's, and rows stream out one at a time so a
50 MB order export never sits in memory twice. Seller back-ends and Excel/WPS save
CSV in UTF-8 (with or without a byte-order mark) or in GBK; GB18030 covers GBK and
GB2312. Row numbers are what the owner sees in a spreadsheet: the header is row 1.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class Row:
    """One line of the table: its number in the file (the header is row 1) and its cells."""

    number: int
    cells: tuple[str, ...]


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_columns: int
    max_xlsx_unpacked_bytes: int


class SheetProblem(Exception):
    """The file cannot be read at all, or breaks a limit; `row` is 0 when no row is to blame."""

    def __init__(self, reason: str, row: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.row = row


def iter_rows(filename: str, data: bytes, limits: Limits) -> Iterator[Row]:
    """The non-blank rows of a .csv, .txt (tab or comma separated) or .xlsx file, in order."""
    if len(data) > limits.max_bytes:
        raise SheetProblem(
            _("文件太大了，最多 %(mb)d MB。") % {"mb": limits.max_bytes // (1024 * 1024)}
        )
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix == "xlsx":
        return _xlsx_rows(data, limits)
    if suffix in ("csv", "txt"):
        return _csv_rows(data, limits)
    raise SheetProblem(_("只能导入 .csv 或 .xlsx 文件（旧版 .xls 请在 Excel 里另存为 .xlsx）。"))


def decode_text(data: bytes) -> str:
    if data.startswith(_UTF8_BOM):
        try:
            return data[len(_UTF8_BOM) :].decode("utf-8")
        except UnicodeDecodeError:
            raise SheetProblem(_("文件标明是 UTF-8 编码，但内容不是，请重新导出。")) from None
    if data.startswith(_UTF16_BOMS):
        return data.decode("utf-16")  # Excel's "Unicode text"
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise SheetProblem(_("读不懂文件的编码，请另存为 UTF-8 或 GBK 编码的 CSV。")) from None


def _csv_rows(data: bytes, limits: Limits) -> Iterator[Row]:
    text = decode_text(data)
    first_line = text.split("\n", 1)[0]
    # Tab-separated text is what copying from a spreadsheet gives; a header has no quoted tabs.
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    del text  # the StringIO holds its own copy
    # Rows are numbered by record, as a spreadsheet shows them: a cell with a line break
    # spans two lines of the file but is still one row (a blank line is a row too).
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            stripped = tuple(cell.strip() for cell in cells[: limits.max_columns])
            if any(stripped):
                yield Row(number, stripped)
    except csv.Error as exc:
        bad = number + 1
        raise SheetProblem(
            _("第 %(row)d 行的格式不对（%(error)s）。") % {"row": bad, "error": exc}, row=bad
        ) from None


def _xlsx_rows(data: bytes, limits: Limits) -> Iterator[Row]:
    from openpyxl import load_workbook  # only imports need it

    not_xlsx = _("这不是有效的 .xlsx 文件，请用 Excel 或 WPS 重新保存后再试。")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise SheetProblem(not_xlsx) from None
    # An XLSX is a zip: a small file may unpack to a huge one.
    if unpacked > limits.max_xlsx_unpacked_bytes:
        raise SheetProblem(_("表格内容太多了，请拆成几个文件分批导入。"))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise SheetProblem(not_xlsx) from None
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(
            sheet.iter_rows(max_col=limits.max_columns, values_only=True), start=1
        ):
            cells = tuple(cell_text(value) for value in values)
            if any(cells):
                yield Row(number, cells)
    finally:
        workbook.close()


def cell_text(value: object) -> str:
    """A spreadsheet value as the text a person would read in the cell."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an id typed as 3 comes back as 3.0
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value).strip()
