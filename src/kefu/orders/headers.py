"""Which column of a seller export holds which order field, and which platform wrote it.

Taobao/Tmall, JD and Pinduoduo each name their columns their own way, and each has
renamed them over the years; the variants below are the ones their seller back-ends
export. A shop's saved mapping (and a mapping given for one import) wins over them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

# The fields an import fills, with the label the preview shows.
FIELD_LABELS: dict[str, str] = {
    "order_no": _("订单编号"),
    "buyer": _("买家账号"),
    "amount": _("实付金额"),
    "status": _("订单状态"),
    "after_sale": _("售后状态"),
    "created_at": _("下单时间"),
    "paid_at": _("付款时间"),
    "title": _("商品"),
    "receiver_name": _("收货人"),
    "receiver_phone": _("收货手机"),
    "receiver_address": _("收货地址"),
    "province": _("省"),
    "city": _("市"),
    "district": _("区"),
    "street": _("街道/详细地址"),
    "refund_amount": _("退款金额"),
}
REQUIRED_FIELDS = ("order_no", "amount", "status")

# First variant present wins, so the better column comes first (实付 before 应付).
_VARIANTS: dict[str, tuple[str, ...]] = {
    "order_no": ("订单编号", "订单号", "主订单编号", "订单id", "订单ID"),
    "buyer": (
        "买家会员名",
        "买家昵称",
        "买家账号",
        "下单帐号",
        "下单账号",
        "用户账号",
        "客户账号",
        "用户昵称",
        "会员名",
    ),
    "amount": (
        "买家实际支付金额",
        "实付金额",
        "用户实付金额",
        "买家实付金额",
        "订单实付金额",
        "实付款",
        "应付金额",
        "商家实收金额",
        "订单金额",
    ),
    "status": ("订单状态", "交易状态"),
    "after_sale": ("售后状态", "退款状态"),
    "created_at": ("订单创建时间", "下单时间", "创建时间", "订单成交时间", "成交时间"),
    "paid_at": ("订单付款时间", "付款时间", "支付时间", "付款确认时间"),
    "title": ("宝贝标题", "商品名称", "商品标题", "商品"),
    "receiver_name": ("收货人姓名", "收货人", "收件人", "客户姓名"),
    "receiver_phone": ("联系手机", "收货人手机", "手机", "手机号", "联系电话", "收货人电话"),
    "receiver_address": ("收货地址", "客户地址", "收件地址"),
    "province": ("省", "省份"),
    "city": ("市", "城市"),
    "district": ("区", "区县"),
    "street": ("街道", "详细地址"),
    "refund_amount": ("退款金额", "已退款金额"),
}

# Columns only one platform's export has.
_SIGNATURES: dict[str, frozenset[str]] = {
    "taobao": frozenset(
        {
            "买家会员名",
            "宝贝标题",
            "买家实际支付金额",
            "买家支付宝账号",
            "宝贝种类",
            "宝贝总数量",
            "订单付款时间",
            "买家应付货款",
        }
    ),
    "jd": frozenset({"下单帐号", "下单账号", "京东价", "付款确认时间", "客户地址", "结算金额"}),
    "pdd": frozenset(
        {
            "商家实收金额",
            "拼单成功时间",
            "订单成交时间",
            "用户实付金额",
            "商品总价",
            "售后状态",
            "用户购买手机号",
            "店铺优惠折扣",
            "平台优惠折扣",
        }
    ),
}

_UNIT = re.compile(r"\((元|件|个)\)$")


def normalize_header(header: str) -> str:
    """The header as compared: no spaces or BOM, half-width brackets, no "(元)" unit."""
    text = header.replace("\ufeff", "").replace("（", "(").replace("）", ")")
    text = "".join(text.split())
    return _UNIT.sub("", text)


_FIELD_BY_VARIANT: dict[str, str] = {}
_RANK: dict[str, int] = {}
for _field, _names in _VARIANTS.items():
    for _rank, _name in enumerate(_names):
        _FIELD_BY_VARIANT[normalize_header(_name)] = _field
        _RANK[normalize_header(_name)] = _rank


@dataclass(frozen=True)
class Column:
    """One header of the file: its position, text, the field it fills ("" none) and why."""

    index: int
    header: str
    field: str
    source: str  # "given" | "saved" | "builtin" | ""


def detect_platform(headers: Sequence[str]) -> str | None:
    """The platform whose own columns the file has most of; None when unsure."""
    present = {normalize_header(h) for h in headers}
    scores = {name: len(present & sig) for name, sig in _SIGNATURES.items()}
    best = max(scores.values())
    winners = [name for name, score in scores.items() if score == best]
    return winners[0] if best > 0 and len(winners) == 1 else None


def map_columns(
    headers: Sequence[str], *, saved: Mapping[str, str], given: Mapping[str, str] | None
) -> list[Column]:
    """Each header with the field it fills: given mapping, then saved, then the variants.

    A field is filled from one column only; among built-in variants the better one wins.
    """
    chosen: dict[int, tuple[str, str]] = {}
    taken: set[str] = set()
    for source, mapping in (("given", given or {}), ("saved", saved)):
        by_header = {normalize_header(h): f for h, f in mapping.items()}
        for index, header in enumerate(headers):
            key = normalize_header(header)
            if index in chosen or key not in by_header:
                continue
            field = by_header[key]
            if field and field in taken:
                field = ""
            chosen[index] = (field, source)
            taken.add(field)
    candidates = sorted(
        (
            (_RANK[key], index, _FIELD_BY_VARIANT[key])
            for index, header in enumerate(headers)
            if index not in chosen and (key := normalize_header(header)) in _FIELD_BY_VARIANT
        ),
    )
    for _rank_value, index, field in candidates:
        if field not in taken:
            chosen[index] = (field, "builtin")
            taken.add(field)
    return [
        Column(index, header, *chosen.get(index, ("", ""))) for index, header in enumerate(headers)
    ]


def is_known_field(field: str) -> bool:
    return field in FIELD_LABELS
