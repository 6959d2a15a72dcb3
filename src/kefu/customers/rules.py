"""The segment rules in one place: thresholds, the rule itself, and its reason in Chinese.

`kefu.customers.segments` applies the same rule in SQL over the whole shop; `segment_for`
is its one-customer reading (tests check the two agree) and the reason shown to people
is written from the figures the pass stored on the customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from kefu.customers.models import BuyingBehaviour, Customer, Segment, SegmentRun, SegmentSettings

# Buying-behaviour suggestions (the agent confirms them): the smallest evidence for each.
NEVER_PAYS_MIN_UNPAID = 2  # …and more unpaid orders than paid ones
HAGGLER_MIN_PRICE_OBJECTIONS = 2
HAGGLER_MIN_SHARE = 0.25  # of the customer's messages
SOCIAL_MIN_MESSAGES = 10
SOCIAL_MIN_CHITCHAT_SHARE = 0.6  # greetings and small talk rather than goods and orders
STRAIGHT_MIN_ORDERS = 1  # paid orders with no message at all


@dataclass(frozen=True)
class SegmentRules:
    """A shop's thresholds, with the high-value line as the last pass computed it."""

    window_days: int = 180
    high_value_amount: Decimal = Decimal("0")
    repeat_orders: int = 2
    burden_refund_share: float = 0.5
    burden_incidents_per_order: float = 3.0

    @property
    def burden_refund_percent(self) -> int:
        return round(self.burden_refund_share * 100)


def rules_for_shop(shop_id: int) -> SegmentRules:
    """The shop's settings and the high-value line of its latest segmentation."""
    settings = SegmentSettings.objects.filter(shop_id=shop_id).first() or SegmentSettings()
    last = (
        SegmentRun.objects.filter(shop_id=shop_id)
        .order_by("-computed_at")
        .values_list("high_value_amount", flat=True)
        .first()
    )
    line = settings.high_value_amount if settings.high_value_amount is not None else last
    return SegmentRules(
        window_days=settings.window_days,
        high_value_amount=Decimal(line or 0),
        repeat_orders=settings.repeat_orders,
        burden_refund_share=settings.burden_refund_share,
        burden_incidents_per_order=settings.burden_incidents_per_order,
    )


def incidents(customer: Customer) -> int:
    """Times serving the customer cost the shop: refunds, complaints, bargaining rounds."""
    return customer.seg_refunds + customer.seg_complaints + customer.seg_haggles


def segment_for(customer: Customer, rules: SegmentRules) -> str:
    """The segment the figures on `customer` put them in (the SQL pass's rule, for one)."""
    if customer.seg_orders == 0:
        return Segment.NONE
    spend = Decimal(customer.seg_spend)
    refunded = Decimal(customer.seg_refund_amount)
    if spend > 0 and refunded >= spend * Decimal(str(rules.burden_refund_share)):
        return Segment.BURDEN
    if incidents(customer) >= rules.burden_incidents_per_order * customer.seg_orders:
        return Segment.BURDEN
    high = spend - refunded >= rules.high_value_amount
    steady = customer.seg_orders >= rules.repeat_orders
    if high:
        return Segment.GOLD if steady else Segment.METEOR
    return Segment.SMALL_STAR if steady else Segment.NEW


def suggested_buying_for(customer: Customer) -> str:
    """The buying behaviour the data points to, or "" (the SQL pass's rule, for one)."""
    c = customer
    if c.seg_unpaid >= NEVER_PAYS_MIN_UNPAID and c.seg_unpaid > c.seg_orders:
        return BuyingBehaviour.NEVER_PAYS
    if c.seg_haggles >= HAGGLER_MIN_PRICE_OBJECTIONS and c.seg_haggles >= HAGGLER_MIN_SHARE * max(
        c.seg_messages, 1
    ):
        return BuyingBehaviour.HAGGLER
    if (
        c.seg_messages >= SOCIAL_MIN_MESSAGES
        and c.seg_chitchat >= SOCIAL_MIN_CHITCHAT_SHARE * c.seg_messages
    ):
        return BuyingBehaviour.SOCIAL
    if c.seg_orders >= STRAIGHT_MIN_ORDERS and c.seg_messages == 0:
        return BuyingBehaviour.STRAIGHT
    return ""


def money(amount: Decimal | int | float) -> str:
    """¥3,260 or ¥99.50: whole yuan without decimals."""
    value = Decimal(amount).quantize(Decimal("0.01"))
    if value == value.to_integral_value():
        return f"¥{int(value):,}"
    return f"¥{value:,.2f}"


def segment_reason(customer: Customer, rules: SegmentRules) -> str:
    """Why the customer is in their segment, in plain Chinese, from the stored figures."""
    c = customer
    days = rules.window_days
    if c.segmented_at is None:
        return _("还没有计算分层。")
    if c.segment == Segment.NONE:
        text = _("近%(days)d天没有付款订单") % {"days": days}
        if c.seg_unpaid:
            text += _("（拍下未付款%(n)d次）") % {"n": c.seg_unpaid}
        return _("%(figures)s → %(segment)s") % {"figures": text, "segment": Segment.NONE.label}
    parts = [
        _("近%(days)d天下单%(n)d次，共%(spend)s")
        % {"days": days, "n": c.seg_orders, "spend": money(c.seg_spend)}
    ]
    if c.seg_refunds:
        parts.append(
            _("退款%(n)d次（%(amount)s）")
            % {"n": c.seg_refunds, "amount": money(c.seg_refund_amount)}
        )
    else:
        parts.append(_("无退款"))
    if c.seg_complaints:
        parts.append(_("投诉%(n)d次") % {"n": c.seg_complaints})
    if c.seg_haggles:
        parts.append(_("议价%(n)d次") % {"n": c.seg_haggles})
    label = str(Segment(c.segment).label)
    figures = _("，").join(parts)  # the list separator, a comma in English
    return _("%(figures)s → %(segment)s") % {"figures": figures, "segment": label} + _segment_rule(
        c, rules
    )


def _segment_rule(c: Customer, rules: SegmentRules) -> str:
    line = money(rules.high_value_amount)
    n = rules.repeat_orders
    if c.segment == Segment.BURDEN:
        spend = Decimal(c.seg_spend)
        if spend > 0 and Decimal(c.seg_refund_amount) >= spend * Decimal(
            str(rules.burden_refund_share)
        ):
            share = Decimal(c.seg_refund_amount) / spend
            return _("（退款占消费%(share)d%%，达到%(limit)d%%）") % {
                "share": round(share * 100),
                "limit": round(rules.burden_refund_share * 100),
            }
        per_order = incidents(c) / max(c.seg_orders, 1)
        return _("（平均每单服务%(per).1f次，达到%(limit)g次）") % {
            "per": per_order,
            "limit": rules.burden_incidents_per_order,
        }
    if c.segment == Segment.GOLD:
        return _("（消费不低于%(line)s，且下单不少于%(n)d次）") % {"line": line, "n": n}
    if c.segment == Segment.METEOR:
        return _("（消费不低于%(line)s，但下单少于%(n)d次）") % {"line": line, "n": n}
    if c.segment == Segment.SMALL_STAR:
        return _("（消费低于%(line)s，但下单不少于%(n)d次）") % {"line": line, "n": n}
    return _("（消费低于%(line)s，下单少于%(n)d次，还看不出类型）") % {"line": line, "n": n}


def buying_suggestion_reason(customer: Customer) -> str:
    """Why the data suggests the customer's buying behaviour ("" when it suggests none)."""
    c = customer
    kind = c.suggested_buying
    if kind == BuyingBehaviour.NEVER_PAYS:
        return _("拍下未付款%(unpaid)d次，付款%(paid)d次") % {
            "unpaid": c.seg_unpaid,
            "paid": c.seg_orders,
        }
    if kind == BuyingBehaviour.HAGGLER:
        return _("%(messages)d条消息里有%(haggles)d条在讲价") % {
            "messages": c.seg_messages,
            "haggles": c.seg_haggles,
        }
    if kind == BuyingBehaviour.SOCIAL:
        return _("%(messages)d条消息里有%(chat)d条是寒暄闲聊，很少问商品") % {
            "messages": c.seg_messages,
            "chat": c.seg_chitchat,
        }
    if kind == BuyingBehaviour.STRAIGHT:
        return _("下单%(n)d次，从没找过客服") % {"n": c.seg_orders}
    return ""
