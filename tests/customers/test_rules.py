"""The segment rule for one customer, the reasons people read, and the type tactics."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from kefu.customers import rules, types
from kefu.customers.models import TYPE_FIELDS, Customer, Segment

RULES = rules.SegmentRules(window_days=180, high_value_amount=Decimal("2000"))


def figures(**values: object) -> Customer:
    """An unsaved customer holding the figures a segmentation pass would store."""
    defaults: dict[str, object] = {"segmented_at": timezone.now(), "seg_spend": Decimal("0")}
    return Customer(**{**defaults, **values})


@pytest.mark.parametrize(
    ("values", "segment"),
    [
        ({}, Segment.NONE),
        ({"seg_unpaid": 3}, Segment.NONE),
        ({"seg_orders": 5, "seg_spend": Decimal("3260")}, Segment.GOLD),
        ({"seg_orders": 2, "seg_spend": Decimal("2000")}, Segment.GOLD),  # exactly on the line
        ({"seg_orders": 1, "seg_spend": Decimal("2000")}, Segment.METEOR),
        ({"seg_orders": 2, "seg_spend": Decimal("1999.99")}, Segment.SMALL_STAR),
        ({"seg_orders": 1, "seg_spend": Decimal("99")}, Segment.NEW),
        # refunds of half the spend or more: a burden whatever was spent
        ({"seg_orders": 4, "seg_spend": Decimal("5000"), "seg_refunds": 2,
          "seg_refund_amount": Decimal("2500")}, Segment.BURDEN),
        ({"seg_orders": 4, "seg_spend": Decimal("5000"), "seg_refunds": 2,
          "seg_refund_amount": Decimal("2499")}, Segment.GOLD),
        # three incidents per order
        ({"seg_orders": 1, "seg_spend": Decimal("99"), "seg_haggles": 2,
          "seg_complaints": 1}, Segment.BURDEN),
        ({"seg_orders": 1, "seg_spend": Decimal("99"), "seg_haggles": 2}, Segment.NEW),
    ],
)
def test_segment_for_one_customer_follows_the_documented_order(values, segment):
    assert rules.segment_for(figures(**values), RULES) == segment


def test_net_spend_decides_the_value_not_the_gross():
    customer = figures(seg_orders=3, seg_spend=Decimal("2500"), seg_refunds=1,
                       seg_refund_amount=Decimal("600"))
    assert rules.segment_for(customer, RULES) == Segment.SMALL_STAR


def test_a_gold_reason_reads_like_the_issue_asks():
    customer = figures(segment=Segment.GOLD, seg_orders=5, seg_spend=Decimal("3260"))
    reason = rules.segment_reason(customer, RULES)
    assert reason.startswith("近180天下单5次，共¥3,260，无退款 → 黄金客户")
    assert "¥2,000" in reason


def test_a_burden_reason_names_the_refunds_and_the_limit_reached():
    customer = figures(segment=Segment.BURDEN, seg_orders=3, seg_spend=Decimal("357"),
                       seg_refunds=2, seg_refund_amount=Decimal("288"))
    reason = rules.segment_reason(customer, RULES)
    assert "退款2次（¥288）" in reason
    assert "负担客户" in reason and "81%" in reason and "50%" in reason


def test_a_customer_never_segmented_says_so():
    assert rules.segment_reason(Customer(), RULES) == "还没有计算分层。"


@pytest.mark.parametrize(
    ("values", "suggested"),
    [
        ({"seg_unpaid": 2, "seg_orders": 1}, "never_pays"),
        ({"seg_unpaid": 2, "seg_orders": 2}, "straight"),  # as many paid: not a never-payer
        ({"seg_orders": 1, "seg_messages": 8, "seg_haggles": 2}, "haggler"),
        ({"seg_orders": 1, "seg_messages": 9, "seg_haggles": 2}, ""),
        ({"seg_messages": 10, "seg_chitchat": 6}, "social"),
        ({"seg_messages": 10, "seg_chitchat": 5}, ""),
        ({"seg_orders": 3}, "straight"),
        ({"seg_orders": 3, "seg_messages": 1}, ""),
    ],
)
def test_buying_behaviour_suggestions_at_their_boundaries(values, suggested):
    customer = figures(**values)
    assert rules.suggested_buying_for(customer) == suggested
    customer.suggested_buying = suggested
    assert bool(rules.buying_suggestion_reason(customer)) == bool(suggested)


@pytest.mark.parametrize(("amount", "text"), [(Decimal("3260"), "¥3,260"),
                                              (Decimal("99.5"), "¥99.50"), (0, "¥0")])
def test_money_is_written_the_way_shops_write_it(amount, text):
    assert rules.money(amount) == text


def test_every_type_value_has_its_tactic():
    for field, choices in TYPE_FIELDS.items():
        for value in choices.values:
            assert types.tactic_for(field, value), (field, value)


def test_type_cards_show_only_the_types_set_in_the_archives_order():
    customer = Customer(price_attitude="must_haggle", personality="dominant")
    cards = types.type_cards(customer)
    assert [c.field for c in cards] == ["personality", "price_attitude"]
    assert cards[0].label == "专断型" and "尊重" in cards[0].tactic
