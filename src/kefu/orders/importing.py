"""Import a seller back-end's order export (CSV/XLSX): preview first, then all rows or none.

Owners and supervisors import (the files hold buyers' names, phones and addresses).
A row that cannot be read is reported with its row number, column and reason; then
nothing of the file goes in, unless the owner asks to keep the good rows, and the bad
ones come back as a CSV to fix and import again. Re-importing a file updates its orders.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.customers.listing import spreadsheet_text
from kefu.customers.models import Platform
from kefu.errors import ServiceError
from kefu.orders import headers as order_headers
from kefu.orders.models import ImportMapping, OrderImport
from kefu.orders.order_rows import OrderDraft, RowError, parse_order
from kefu.orders.sheets import Limits, Row, SheetProblem, iter_rows
from kefu.orders.storing import Progress, merge_repeated_orders, staged_orders
from kefu.shops.models import Membership, Role
from kefu.shops.services import require_role

IMPORTERS = (Role.OWNER, Role.SUPERVISOR)
FILE_LIMITS = Limits(
    max_bytes=200 * 1024 * 1024, max_columns=100, max_xlsx_unpacked_bytes=1024 * 1024 * 1024
)
PREVIEW_ROWS = 20
MAX_STORED_ERRORS = 1000
RUNNING, DONE, FAILED = "running", "done", "failed"  # OrderImport.state
READ_REPORT_EVERY = 2000  # rows between two `reading` reports

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Preview:
    """What an import of the file would do, before anything is written."""

    filename: str
    platform: str | None
    platform_detected: bool
    columns: tuple[order_headers.Column, ...]
    missing_fields: tuple[str, ...]
    rows: tuple[dict[str, str], ...]  # the first rows, field → cell text
    total_rows: int
    orders: int  # distinct order numbers among the good rows
    errors: tuple[RowError, ...]  # row 0: the file as a whole
    bad_rows: int

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class _Table:
    platform: str | None
    detected: bool
    header: Row
    columns: tuple[order_headers.Column, ...]
    rows: Iterator[Row]

    @property
    def missing_fields(self) -> tuple[str, ...]:
        mapped = {c.field for c in self.columns}
        return tuple(f for f in order_headers.REQUIRED_FIELDS if f not in mapped)


def preview_orders_file(
    *,
    actor: Membership,
    filename: str,
    data: bytes,
    platform: str | None = None,
    mapping: Mapping[str, str] | None = None,
) -> Preview:
    """Read the whole file and say what would go in and which rows are wrong."""
    require_role(actor, *IMPORTERS)
    table = _open_table(actor, filename, data, platform, mapping)
    file_errors = _table_problems(table)
    first: list[dict[str, str]] = []
    drafts: list[OrderDraft] = []
    errors: list[RowError] = []
    bad_rows = total = 0
    if not file_errors:
        for row, result in _parsed_rows(table):
            total += 1
            if len(first) < PREVIEW_ROWS:
                first.append(_cells_by_field(table.columns, row))
            if isinstance(result, list):
                bad_rows += 1
                errors.extend(result[: max(0, MAX_STORED_ERRORS - len(errors))])
            else:
                drafts.append(result)
    return Preview(
        filename=filename,
        platform=table.platform,
        platform_detected=table.detected,
        columns=table.columns,
        missing_fields=table.missing_fields,
        rows=tuple(first),
        total_rows=total,
        orders=len({d.order_no for d in drafts}),
        errors=tuple(file_errors or errors),
        bad_rows=bad_rows,
    )


def import_orders_file(
    *,
    actor: Membership,
    filename: str,
    data: bytes,
    platform: str | None = None,
    mapping: Mapping[str, str] | None = None,
    keep_good_rows: bool = False,
    progress: Progress | None = None,
    reading: Callable[[int], None] | None = None,
    resegmenting: Callable[[], None] | None = None,
    record: OrderImport | None = None,
) -> OrderImport:
    """Import the file in one transaction; with a bad row, nothing (or only the good rows).

    `reading(rows)` is told every READ_REPORT_EVERY rows while the file is checked (before
    the transaction), `progress(orders, total)` while orders are staged (before it too; the
    transaction then merges them in a few statements). Once orders are committed the shop's segments are recomputed; `resegmenting()` is told first.
    `record` is a row made earlier (the page's background import) to fill in.
    """
    require_role(actor, *IMPORTERS)
    table = _open_table(actor, filename, data, platform, mapping)
    problems = _table_problems(table)
    if problems:
        raise ServiceError("bad_file", problems[0].reason)
    assert table.platform is not None
    drafts: list[OrderDraft] = []
    errors: list[RowError] = []
    bad: list[tuple[Row, list[RowError]]] = []
    total = 0
    for row, result in _parsed_rows(table):
        total += 1
        if isinstance(result, list):
            bad.append((row, result))
            errors.extend(result[: max(0, MAX_STORED_ERRORS - len(errors))])
        else:
            drafts.append(result)
        if reading is not None and total % READ_REPORT_EVERY == 0:
            reading(total)
    if total == 0:
        raise ServiceError("empty", _("文件里只有表头，没有订单。"))
    if reading is not None:
        reading(total)
    if record is None:
        record = OrderImport(shop_id=actor.shop_id)
    record.filename = filename[:200]
    record.platform = table.platform
    record.rows = record.processed = record.total_rows = total
    record.bad_rows = len(bad)
    record.errors = [_error_dict(e) for e in errors]
    record.error_file = _error_file(table.header, bad) if bad else b""
    writing = not bad or keep_good_rows
    # Staged before the transaction: on SQLite it holds the database's write lock (the
    # chat waits on it), so it must last only the merge, not the copying of every row.
    with (
        staged_orders(
            shop_id=actor.shop_id,
            platform=table.platform,
            drafts=merge_repeated_orders(drafts) if writing else [],
            progress=progress,
        ) as staged,
        transaction.atomic(),
    ):
        if writing:
            record.created, record.updated = staged.merge()
            if mapping:
                _save_mapping(actor.shop_id, table.platform, mapping)
            after_import(shop_id=actor.shop_id, announce=resegmenting)
        # The outcome is written with the orders: a job that dies after this commit (say,
        # while re-segmenting) never leaves an import that did go in reading as running.
        record.state = DONE if writing else FAILED
        record.message = (
            ""
            if writing
            else _(
                "有 %(n)d 行有问题，整个文件都没有导入。改好后重新导入，或选择“导入正确的行”。"
            )
            % {"n": record.bad_rows}
        )
        record.finished_at = timezone.now()
        record.save()
    return record


def after_import(*, shop_id: int, announce: Callable[[], None] | None = None) -> None:
    """Once the caller's transaction commits, recompute the shop's customer segments.

    Robust: the orders are in by then, so a failing recompute is logged, not reported as a
    failed import (the segment command or the next import recomputes them).
    """
    transaction.on_commit(partial(_resegment, shop_id, announce), robust=True)


def _resegment(shop_id: int, announce: Callable[[], None] | None) -> None:
    # Lazily: the segment engine reads the shop's rules and every customer's orders.
    from kefu.customers import segments

    if announce is not None:
        announce()
    run = segments.segment_customers(shop_id=shop_id)
    log.info("shop %s resegmented after an import: %s customers", shop_id, run.customers)


def save_mapping(*, actor: Membership, platform: str, mapping: Mapping[str, str]) -> ImportMapping:
    """Remember how this shop's files of one platform read: {"表头": "field"}, "" ignores it."""
    require_role(actor, *IMPORTERS)
    with transaction.atomic():
        return _save_mapping(actor.shop_id, _checked_platform(platform), mapping)


def _save_mapping(shop_id: int, platform: str, mapping: Mapping[str, str]) -> ImportMapping:
    _check_mapping(mapping)
    saved, _created = ImportMapping.objects.select_for_update().get_or_create(
        shop_id=shop_id, platform=platform
    )
    saved.mapping = {**saved.mapping, **{str(h).strip(): f for h, f in mapping.items()}}
    saved.save(update_fields=["mapping", "updated_at"])
    return saved


def _check_mapping(mapping: Mapping[str, str]) -> None:
    unknown = sorted({f for f in mapping.values() if f and not order_headers.is_known_field(f)})
    if unknown:
        raise ServiceError("bad_mapping", _("不认识的字段：%(f)s。") % {"f": "、".join(unknown)})


def _checked_platform(platform: str) -> str:
    if platform not in Platform.values:
        raise ServiceError("bad_platform", _("不认识的平台：%(p)s。") % {"p": platform})
    return platform


def _open_table(
    actor: Membership,
    filename: str,
    data: bytes,
    platform: str | None,
    mapping: Mapping[str, str] | None,
) -> _Table:
    if platform is not None:
        _checked_platform(platform)
    if mapping:
        _check_mapping(mapping)
    if not data.strip():
        raise ServiceError("empty", _("文件是空的。"))
    try:
        rows = iter_rows(filename, data, FILE_LIMITS)
        header = next(rows, None)
    except SheetProblem as exc:
        raise ServiceError("bad_file", exc.reason) from None
    if header is None:
        raise ServiceError("empty", _("文件是空的。"))
    saved = dict(
        ImportMapping.objects.filter(shop_id=actor.shop_id).values_list("platform", "mapping")
    )
    detected = platform is None
    if platform is None:
        platform = order_headers.detect_platform(header.cells) or _platform_by_saved(
            header.cells, saved
        )
    columns = order_headers.map_columns(
        header.cells, saved=saved.get(platform or "", {}), given=mapping
    )
    return _Table(platform, detected, header, tuple(columns), _checked_rows(rows))


def _platform_by_saved(headers: tuple[str, ...], saved: dict[str, dict[str, str]]) -> str | None:
    """A file no built-in layout recognises may match a layout the shop saved before."""
    present = {order_headers.normalize_header(h) for h in headers}
    matches = [
        platform
        for platform, mapping in saved.items()
        if mapping and all(order_headers.normalize_header(h) in present for h in mapping)
    ]
    return matches[0] if len(matches) == 1 else None


def _checked_rows(rows: Iterator[Row]) -> Iterator[Row]:
    try:
        yield from rows
    except SheetProblem as exc:
        raise ServiceError("bad_file", exc.reason) from None


def _table_problems(table: _Table) -> list[RowError]:
    if table.platform is None:
        return [RowError(0, _("认不出这是哪个平台导出的文件，请选择平台。"))]
    if table.missing_fields:
        labels = "、".join(str(order_headers.FIELD_LABELS[f]) for f in table.missing_fields)
        return [RowError(0, _("找不到这些列：%(f)s。请在表头对应里指定。") % {"f": labels})]
    return []


def _parsed_rows(table: _Table) -> Iterator[tuple[Row, OrderDraft | list[RowError]]]:
    mapped = [(c.index, c.field) for c in table.columns if c.field]
    labels = {c.field: c.header for c in table.columns if c.field}
    for row in table.rows:
        cells = row.cells
        values = {field: cells[i] for i, field in mapped if i < len(cells)}
        yield row, parse_order(values, row=row.number, labels=labels)


def _cells_by_field(columns: tuple[order_headers.Column, ...], row: Row) -> dict[str, str]:
    return {c.field: row.cells[c.index] for c in columns if c.field and c.index < len(row.cells)}


def _error_dict(error: RowError) -> dict[str, object]:
    return {"row": error.row, "column": error.column, "reason": error.reason}


def _error_file(header: Row, bad: list[tuple[Row, list[RowError]]]) -> bytes:
    """The bad rows as they were, with the row number and the reasons in front (UTF-8, BOM)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("原行号"), _("错误原因"), *header.cells])
    for row, row_errors in bad:
        reasons = "；".join(f"{e.column}：{e.reason}" if e.column else e.reason for e in row_errors)
        writer.writerow([row.number, reasons, *(spreadsheet_text(cell) for cell in row.cells)])
    # The BOM makes Excel open it as UTF-8 rather than guessing GBK.
    return "\ufeff".encode() + out.getvalue().encode("utf-8")

