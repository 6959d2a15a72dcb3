"""Read an uploaded FAQ table (CSV or XLSX) into rows of text cells, numbered as the owner sees them.

Chinese shops save CSV from Excel or WPS in UTF-8 (with or without a byte-order
mark) or in GBK, so every one of those is read; GB18030 covers GBK and GB2312.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

from django.utils.translation import gettext as _

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000  # data rows, the header not counted
# An XLSX is a zip: a small file may unpack to a huge one. Its parts together stay below this.
MAX_XLSX_UNPACKED_BYTES = 40 * 1024 * 1024
MAX_COLUMNS = 20
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class Row:
    """One line of the table: its number in the file (the header is row 1) and its cells."""

    number: int
    cells: tuple[str, ...]


class FileProblem(Exception):
    """The file cannot be read at all, or breaks a limit; `row` is 0 when no row is to blame."""

    def __init__(self, reason: str, row: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.row = row


def read_rows(filename: str, data: bytes) -> list[Row]:
    """The non-blank rows of a .csv, .txt (tab or comma separated) or .xlsx file."""
    if not data.strip():
        raise FileProblem(_("文件是空的。"))
    if len(data) > MAX_FILE_BYTES:
        raise FileProblem(
            _("文件太大了，最多 %(mb)d MB。") % {"mb": MAX_FILE_BYTES // (1024 * 1024)}
        )
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix == "xlsx":
        rows = _xlsx_rows(data)
    elif suffix in ("csv", "txt"):
        rows = _csv_rows(data)
    else:
        raise FileProblem(_("只能导入 .csv 或 .xlsx 文件（旧版 .xls 请在 Excel 里另存为 .xlsx）。"))
    if len(rows) > MAX_ROWS + 1:
        raise FileProblem(_("行数太多了，一次最多导入 %(n)d 行。") % {"n": MAX_ROWS})
    return rows


def _decode(data: bytes) -> str:
    if data.startswith(_UTF8_BOM):
        return data[len(_UTF8_BOM) :].decode("utf-8", errors="strict")
    if data.startswith(_UTF16_BOMS):
        return data.decode("utf-16")  # Excel's "Unicode text"
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise FileProblem(_("读不懂文件的编码，请另存为 UTF-8 或 GBK 编码的 CSV。")) from None


def _csv_rows(data: bytes) -> list[Row]:
    try:
        text = _decode(data)
    except UnicodeDecodeError:
        raise FileProblem(_("读不懂文件的编码，请另存为 UTF-8 或 GBK 编码的 CSV。")) from None
    first_line = text.split("\n", 1)[0]
    # Tab-separated text is what copying from a spreadsheet gives; a header has no quoted tabs.
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[Row] = []
    # Rows are numbered by record, as a spreadsheet shows them: a cell with a line break
    # spans two lines of the file but is still one row (a blank line is a row too).
    try:
        for number, cells in enumerate(reader, start=1):
            row = Row(number, tuple(cell.strip() for cell in cells[:MAX_COLUMNS]))
            if any(row.cells):
                rows.append(row)
            if len(rows) > MAX_ROWS + 1:
                break  # enough to say the file is too long
    except csv.Error as exc:
        bad = reader.line_num
        raise FileProblem(
            _("第 %(row)d 行的格式不对（%(error)s）。") % {"row": bad, "error": exc}, row=bad
        ) from None
    return rows


def _xlsx_rows(data: bytes) -> list[Row]:
    from openpyxl import load_workbook  # only the import page needs it

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise FileProblem(
            _("这不是有效的 .xlsx 文件，请用 Excel 或 WPS 重新保存后再试。")
        ) from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise FileProblem(_("表格内容太多了，请拆成几个文件分批导入。"))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise FileProblem(
            _("这不是有效的 .xlsx 文件，请用 Excel 或 WPS 重新保存后再试。")
        ) from None
    try:
        sheet = workbook.worksheets[0]
        rows: list[Row] = []
        for number, values in enumerate(
            sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1
        ):
            row = Row(number, tuple(_cell_text(value) for value in values))
            if any(row.cells):
                rows.append(row)
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an id typed as 3 comes back as 3.0
    return str(value).strip()
