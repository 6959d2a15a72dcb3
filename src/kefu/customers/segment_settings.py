"""How a shop draws its segments: the overview every member reads, the settings owners tune.

Owners and supervisors change the thresholds and ask for a new segmentation; agents read.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.customers.models import Segment, SegmentRun, SegmentSettings
from kefu.customers.rules import SegmentRules, rules_for_shop
from kefu.customers.segments import segment_customers
from kefu.errors import ServiceError
from kefu.shops.models import Membership, Role
from kefu.shops.services import require_role

TUNERS = (Role.OWNER, Role.SUPERVISOR)
RECENT_RUNS = 10


@dataclass(frozen=True)
class SegmentCount:
    segment: str
    label: str
    count: int
    share: float  # 0…1 of the customers counted


@dataclass(frozen=True)
class Move:
    old: str
    new: str
    count: int


@dataclass(frozen=True)
class Overview:
    settings: SegmentSettings
    rules: SegmentRules
    latest: SegmentRun | None
    counts: tuple[SegmentCount, ...]
    moves: tuple[Move, ...]  # of the latest run, biggest first
    runs: tuple[SegmentRun, ...]  # newest first
    can_tune: bool


def can_tune(actor: Membership) -> bool:
    return actor.role in TUNERS


def segment_overview(*, actor: Membership) -> Overview:
    """The shop's segments as its latest run counted them, the thresholds, recent runs."""
    shop_id = actor.shop_id
    settings = SegmentSettings.objects.filter(shop_id=shop_id).first() or SegmentSettings(
        shop_id=shop_id
    )
    runs = tuple(SegmentRun.objects.filter(shop_id=shop_id).order_by("-computed_at")[:RECENT_RUNS])
    latest = runs[0] if runs else None
    counts: tuple[SegmentCount, ...] = ()
    moves: tuple[Move, ...] = ()
    if latest is not None:
        total = latest.customers or 0
        counts = tuple(
            SegmentCount(
                value,
                str(label),
                latest.counts.get(value, 0),
                latest.counts.get(value, 0) / total if total else 0.0,
            )
            for value, label in Segment.choices
        )
        moves = tuple(
            Move(*key.split(">", 1), count)
            for key, count in sorted(latest.moves.items(), key=lambda item: -item[1])
        )
    return Overview(
        settings=settings,
        rules=rules_for_shop(shop_id),
        latest=latest,
        counts=counts,
        moves=moves,
        runs=runs,
        can_tune=can_tune(actor),
    )


def update_segment_settings(
    *,
    actor: Membership,
    window_days: int,
    high_value_quantile: float,
    high_value_amount: Decimal | None,
    repeat_orders: int,
    burden_refund_share: float,
    burden_incidents_per_order: float,
) -> SegmentSettings:
    """Save the shop's thresholds; they apply from the next segmentation."""
    require_role(actor, *TUNERS)
    _check_range("bad_window", window_days, 7, 1095, _("统计天数要在 7 到 1095 天之间。"))
    _check_range(
        "bad_quantile", high_value_quantile, 0.5, 0.99, _("高价值分位要在 0.5 到 0.99 之间。")
    )
    if high_value_amount is not None and high_value_amount < 0:
        raise ServiceError("bad_amount", _("高价值金额不能是负数；留空表示按分位计算。"))
    _check_range("bad_repeat", repeat_orders, 2, 20, _("回头客下单次数要在 2 到 20 之间。"))
    _check_range("bad_refund_share", burden_refund_share, 0.1, 1, _("退款占比要在 0.1 到 1 之间。"))
    _check_range(
        "bad_incidents", burden_incidents_per_order, 0.5, 20, _("每单服务次数要在 0.5 到 20 之间。")
    )
    with transaction.atomic():
        settings, _created = SegmentSettings.objects.select_for_update().get_or_create(
            shop_id=actor.shop_id
        )
        settings.window_days = window_days
        settings.high_value_quantile = high_value_quantile
        settings.high_value_amount = high_value_amount
        settings.repeat_orders = repeat_orders
        settings.burden_refund_share = burden_refund_share
        settings.burden_incidents_per_order = burden_incidents_per_order
        settings.save()
    return settings


def resegment_shop(*, actor: Membership) -> SegmentRun:
    """Segment the actor's shop now (owners and supervisors)."""
    require_role(actor, *TUNERS)
    return segment_customers(shop_id=actor.shop_id)


def _check_range(code: str, value: float, low: float, high: float, message: str) -> None:
    if value is None or not low <= value <= high:
        raise ServiceError(code, message)
