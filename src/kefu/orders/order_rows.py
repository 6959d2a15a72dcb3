"""One order from one row of cells: clean order numbers, amounts, dates and statuses.

The file import and the JSON API both go through `parse_order`, so a row is judged the
same way wherever it comes from.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.orders.models import OrderStatus

MAX_AMOUNT = Decimal("9999999999.99")
_LIMITS = {
    "order_no": 64,
    "buyer": 100,
    "title": 500,
    "receiver_name": 60,
    "receiver_phone": 32,
    "receiver_address": 300,
    "status_text": 60,
}

# Checked in order: a refund outranks everything, "已发货" outranks "已付款"
# ("卖家已发货，等待买家确认"), and "未发货，退款成功" is a refund.
_STATUS_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (OrderStatus.REFUNDED, ("退款成功", "已退款", "退款完成", "退货退款成功")),
    (OrderStatus.REFUNDING, ("退款中", "申请退款", "退款申请", "售后中", "退货中", "锁定")),
    (OrderStatus.CLOSED, ("关闭", "取消", "作废")),
    (OrderStatus.UNPAID, ("等待买家付款", "待付款", "等待付款", "未付款", "待支付", "未支付")),
    (OrderStatus.COMPLETED, ("交易成功", "完成", "已签收", "已收货", "已确认收货")),
    (OrderStatus.SHIPPED, ("已发货", "等待买家确认", "待收货", "等待确认收货", "待签收", "运输中")),
    (
        OrderStatus.PAID,
        ("已付款", "已支付", "等待卖家发货", "待发货", "等待出库", "待出库", "已付"),
    ),
)
_STATUS_CODES = frozenset(OrderStatus.values)
# After-sale columns say "无售后或售后取消" when nothing happened; only refunds count.
_AFTER_SALE = (OrderStatus.REFUNDED, OrderStatus.REFUNDING)

_DATE = re.compile(
    r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.\d+)?)?)?"
)
_EXCEL_MANGLED = re.compile(r"\d(\.\d+)?[eE]\+\d+")


@dataclass(frozen=True)
class RowError:
    """Why a row cannot go in (row 0: the file as a whole)."""

    row: int
    reason: str
    column: str = ""


@dataclass(frozen=True, slots=True)  # slots: a big file holds a few hundred thousand
class OrderDraft:
    """An order as read, ready to store."""

    row: int
    order_no: str
    buyer: str
    status: str
    status_text: str
    amount: Decimal
    refund_amount: Decimal
    title: str
    created_at: dt.datetime | None
    paid_at: dt.datetime | None
    receiver_name: str
    receiver_phone: str
    receiver_address: str


def clean_cell(text: str) -> str:
    """Undo what exports do to keep long numbers as text: ="123", '123, a leading tab."""
    text = text.strip().lstrip("'\t")
    if text.startswith('="') and text.endswith('"'):
        text = text[2:-1]
    return text.strip()


def parse_order(
    values: Mapping[str, str], *, row: int, labels: Mapping[str, str]
) -> OrderDraft | list[RowError]:
    """The order in one row's cells (by field), or every reason it cannot be stored.

    `labels` names each field's column as the file does, so reasons quote the owner's header.
    """
    errors: list[RowError] = []

    def fail(field: str, reason: str) -> None:
        errors.append(RowError(row, reason, labels.get(field, field)))

    def text(field: str) -> str:
        return clean_cell(values.get(field, ""))

    order_no = text("order_no")
    if not order_no:
        fail("order_no", _("订单编号是空的。"))
    elif _EXCEL_MANGLED.fullmatch(order_no):
        fail(
            "order_no",
            _("订单编号 %(v)s 被 Excel 改成了科学计数法，请把这一列设成文本后重新导出。")
            % {"v": order_no},
        )
    amount = _amount(text("amount"), field="amount", fail=fail, required=True)
    refund = _amount(text("refund_amount"), field="refund_amount", fail=fail, required=False)
    status_text = text("status")
    status = status_code(status_text)
    if status is None:
        fail(
            "status",
            _("看不懂订单状态“%(v)s”。") % {"v": status_text[:30]}
            if status_text
            else _("订单状态是空的。"),
        )
    after_sale = status_code(text("after_sale")) if text("after_sale") else None
    if after_sale in _AFTER_SALE:
        status = after_sale
    created_at = _when(text("created_at"), field="created_at", fail=fail)
    paid_at = _when(text("paid_at"), field="paid_at", fail=fail)
    draft_text = {
        "order_no": order_no,
        "buyer": text("buyer"),
        "title": text("title"),
        "receiver_name": text("receiver_name"),
        "receiver_phone": text("receiver_phone"),
        "receiver_address": text("receiver_address") or _joined_address(text),
        "status_text": status_text,
    }
    for field, limit in _LIMITS.items():
        if len(draft_text[field]) > limit and field in ("order_no", "buyer"):
            fail(field, _("太长了（最多 %(n)d 个字）。") % {"n": limit})
        draft_text[field] = draft_text[field][:limit]
    if errors:
        return errors
    assert amount is not None and status is not None
    return OrderDraft(
        row=row,
        status=status,
        amount=amount,
        refund_amount=refund or Decimal(0),
        created_at=created_at,
        paid_at=paid_at,
        **draft_text,
    )


def status_code(text: str) -> str | None:
    """The normalised status for a platform's wording (or one of our own codes)."""
    if text in _STATUS_CODES:
        return text
    for code, words in _STATUS_WORDS:
        if any(word in text for word in words):
            return code
    return None


def _joined_address(text) -> str:  # type: ignore[no-untyped-def]
    # Pinduoduo splits the address into 省 / 市 / 区 / 街道 columns.
    return "".join(text(part) for part in ("province", "city", "district", "street"))


def _amount(raw: str, *, field: str, fail, required: bool) -> Decimal | None:  # type: ignore[no-untyped-def]
    cleaned = raw.replace(",", "").replace("¥", "").replace("￥", "").removesuffix("元").strip()
    if not cleaned:
        if required:
            fail(field, _("金额是空的。"))
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        fail(field, _("“%(v)s”不是金额。") % {"v": raw[:30]})
        return None
    if not value.is_finite() or value < 0 or value > MAX_AMOUNT:
        fail(field, _("金额 %(v)s 不在合理范围内。") % {"v": raw[:30]})
        return None
    return value.quantize(Decimal("0.01"))


def _when(raw: str, *, field: str, fail) -> dt.datetime | None:  # type: ignore[no-untyped-def]
    if not raw or raw in ("-", "--", "null", "NULL"):
        return None
    match = _DATE.fullmatch(raw)
    if match is None:
        fail(field, _("“%(v)s”不是日期时间（例如 2024-03-05 14:22:31）。") % {"v": raw[:30]})
        return None
    parts = [int(p) if p else 0 for p in match.groups()]
    try:
        naive = dt.datetime(*parts)
    except ValueError:
        fail(field, _("没有“%(v)s”这一天或这个时刻。") % {"v": raw[:30]})
        return None
    # Exports show the seller's local time; the shop runs on TIME_ZONE.
    return timezone.make_aware(naive, timezone.get_default_timezone())
