"""The set-based segmentation pass: its figures, its rule at the boundaries, its moves.

The SQL pass and the one-customer Python rule (`kefu.customers.rules`) must agree for
every customer; the boundary cases are the ones a shop owner checks by hand.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from kefu.chat.models import Conversation, Message, Visitor
from kefu.customers import rules
from kefu.customers.models import Customer, Segment, SegmentRun, SegmentSettings
from kefu.customers.segments import segment_customers
from kefu.orders.models import Order

NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)
_numbers = iter(range(1, 10_000_000))


def buyer(shop: Any, nickname: str | None = None) -> Customer:
    return Customer.objects.create(
        shop=shop, platform="taobao", nickname=nickname or f"tb_{next(_numbers)}"
    )


def order(
    shop: Any,
    customer: Customer | None,
    amount: str = "100",
    *,
    days_ago: float = 10,
    status: str = "completed",
    refund: str = "0",
    paid: bool = True,
    created: bool = True,
) -> Order:
    when = NOW - dt.timedelta(days=days_ago)
    return Order.objects.create(
        shop=shop,
        customer=customer,
        platform="taobao",
        order_no=f"TB{next(_numbers)}",
        status=status,
        amount=Decimal(amount),
        refund_amount=Decimal(refund),
        created_at=when if created else None,
        paid_at=when if paid else None,
    )


def say(
    shop: Any,
    customer: Customer | None,
    n: int = 1,
    *,
    intent: str = "inquiry",
    objection: str | None = None,
    days_ago: float = 5,
    sender: str = "customer",
) -> None:
    visitor = Visitor.objects.create(shop=shop, nickname="访客", customer=customer)
    conv = Conversation.objects.create(shop=shop, visitor=visitor, status="open")
    Message.objects.bulk_create(
        Message(
            shop=shop,
            conversation=conv,
            seq=i + 1,
            client_id=f"c{i}",
            sender=sender,
            text="在吗",
            created_at=NOW - dt.timedelta(days=days_ago),
            meta={"coach": {"intent": intent, "objection_type": objection, "emotion": "neutral"}},
        )
        for i in range(n)
    )


def run(shop: Any) -> SegmentRun:
    return segment_customers(shop_id=shop.id, now=NOW)


def fresh(customer: Customer) -> Customer:
    return Customer.objects.get(pk=customer.pk)


def line_at(shop: Any, amount: str) -> None:
    SegmentSettings.objects.update_or_create(
        shop=shop, defaults={"high_value_amount": Decimal(amount)}
    )


# --- figures --------------------------------------------------------------------------------


def test_figures_count_paid_orders_in_the_window_and_ignore_the_rest(make_shop):
    shop = make_shop().shop
    lily = buyer(shop)
    order(shop, lily, "300", days_ago=10)
    order(shop, lily, "200", days_ago=100, status="refunded", refund="200")
    order(shop, lily, "999", days_ago=200)  # outside the 180-day window
    order(shop, lily, "50", status="unpaid", paid=False)
    order(shop, lily, "70", status="closed", paid=False)  # closed before paying: unpaid
    order(shop, lily, "80", days_ago=3, status="closed", refund="80")  # paid, then refunded
    order(shop, lily, "40", days_ago=1, created=False)  # no created_at: paid_at decides

    run(shop)

    lily = fresh(lily)
    assert lily.seg_orders == 4
    assert lily.seg_spend == Decimal("620")
    assert lily.seg_refunds == 2
    assert lily.seg_refund_amount == Decimal("280")
    assert lily.seg_unpaid == 2
    assert lily.total_orders == 5
    assert lily.last_order_at == NOW - dt.timedelta(days=1)
    assert lily.segmented_at == NOW


def test_chat_figures_come_from_the_coachs_reading_of_the_customers_own_messages(make_shop):
    shop = make_shop().shop
    lily = buyer(shop)
    order(shop, lily)
    say(shop, lily, 2, intent="complaint")
    say(shop, lily, 3, intent="objection", objection="price")
    say(shop, lily, 4, intent="greeting")
    say(shop, lily, 1, intent="closing")
    say(shop, lily, 5, sender="agent", intent="complaint")  # agents' lines don't count
    say(shop, lily, 5, days_ago=400, intent="complaint")  # outside the window
    say(shop, None, 5, intent="complaint")  # a visitor not linked to anyone

    run(shop)

    lily = fresh(lily)
    assert (lily.seg_messages, lily.seg_complaints, lily.seg_haggles, lily.seg_chitchat) == (
        10,
        2,
        3,
        5,
    )


def test_customers_without_orders_get_zeros_and_no_segment(make_shop):
    shop = make_shop().shop
    nobody = buyer(shop)
    Customer.objects.filter(pk=nobody.pk).update(seg_orders=9, seg_spend=500, segment="gold")

    run(shop)

    nobody = fresh(nobody)
    assert (nobody.seg_orders, nobody.seg_spend, nobody.segment) == (0, 0, Segment.NONE)
    assert nobody.suggested_buying == ""


def test_two_shops_never_mix(make_shop):
    ours, theirs = make_shop().shop, make_shop().shop
    lily = buyer(ours, "tb_same")
    twin = buyer(theirs, "tb_same")
    order(ours, lily, "100")
    order(theirs, twin, "5000")
    order(theirs, twin, "5000")

    ran = run(ours)

    assert fresh(lily).seg_orders == 1
    assert fresh(twin).segmented_at is None
    assert ran.customers == 1
    assert ran.high_value_amount == Decimal("100")


# --- the rule at its boundaries ------------------------------------------------------------


def test_exactly_on_the_quantile_line_is_high_value(make_shop):
    shop = make_shop().shop
    spends = ["100", "200", "300", "400", "500"]
    people = []
    for spend in spends:
        person = buyer(shop)
        order(shop, person, spend)
        people.append(person)
    order(shop, people[3], "0")  # a second (free) order: steady

    ran = run(shop)  # 0.8 quantile of five: position ⌊0.8·4⌋ = 3, i.e. ¥400

    assert ran.high_value_amount == Decimal("400")
    segments = [fresh(p).segment for p in people]
    assert segments == [Segment.NEW, Segment.NEW, Segment.NEW, Segment.GOLD, Segment.METEOR]


def test_exactly_the_repeat_orders_makes_a_steady_customer(make_shop):
    shop = make_shop().shop
    SegmentSettings.objects.create(shop=shop, repeat_orders=3, high_value_amount=Decimal("1000"))
    two, three = buyer(shop), buyer(shop)
    for _ in range(2):
        order(shop, two, "100")
    for _ in range(3):
        order(shop, three, "100")

    run(shop)

    assert fresh(two).segment == Segment.NEW
    assert fresh(three).segment == Segment.SMALL_STAR


def test_refunds_of_exactly_half_the_spend_make_a_burden(make_shop):
    shop = make_shop().shop
    line_at(shop, "100")
    half, less = buyer(shop), buyer(shop)
    order(shop, half, "300")
    order(shop, half, "300", status="refunded", refund="300")
    order(shop, less, "300.02")
    order(shop, less, "300", status="refunded", refund="300")

    run(shop)

    assert fresh(half).segment == Segment.BURDEN
    assert fresh(less).segment == Segment.GOLD


def test_exactly_three_incidents_per_order_make_a_burden(make_shop):
    shop = make_shop().shop
    line_at(shop, "10000")
    three, two = buyer(shop), buyer(shop)
    for person, complaints in ((three, 6), (two, 5)):
        order(shop, person)
        order(shop, person)
        say(shop, person, complaints, intent="complaint")

    run(shop)

    assert fresh(three).segment == Segment.BURDEN
    assert fresh(two).segment == Segment.SMALL_STAR


def test_a_fractional_incident_limit_rounds_as_the_python_rule_does(make_shop):
    # 2.2 × 25 is 55.00000000000001 in floating point: 55 incidents stay below it.
    shop = make_shop().shop
    SegmentSettings.objects.create(
        shop=shop, burden_incidents_per_order=2.2, high_value_amount=Decimal("1")
    )
    person = buyer(shop)
    for _ in range(25):
        order(shop, person, "10")
    say(shop, person, 55, intent="complaint")

    run(shop)

    person = fresh(person)
    assert person.segment == rules.segment_for(person, rules.rules_for_shop(shop.id))
    assert person.segment == Segment.GOLD


def test_orders_outside_the_window_are_ignored(make_shop):
    shop = make_shop().shop
    SegmentSettings.objects.create(shop=shop, window_days=30)
    old = buyer(shop)
    order(shop, old, "5000", days_ago=31)
    order(shop, old, "5000", days_ago=45)

    run(shop)

    old = fresh(old)
    assert (old.segment, old.seg_orders, old.total_orders) == (Segment.NONE, 0, 2)


def test_unpaid_orders_suggest_a_buyer_who_never_pays(make_shop):
    shop = make_shop().shop
    flaky = buyer(shop)
    order(shop, flaky, "100")
    order(shop, flaky, "100", status="unpaid", paid=False)
    order(shop, flaky, "100", status="closed", paid=False)

    run(shop)

    flaky = fresh(flaky)
    assert (flaky.seg_orders, flaky.seg_unpaid) == (1, 2)
    assert flaky.suggested_buying == "never_pays"
    assert "拍下未付款2次" in rules.buying_suggestion_reason(flaky)


@pytest.mark.parametrize(
    ("chat", "suggestion"),
    [
        ([(8, "inquiry", None), (2, "objection", "price")], ""),  # 2 of 10: under a quarter
        ([(6, "inquiry", None), (2, "objection", "price")], "haggler"),  # 2 of 8: a quarter
        ([(6, "greeting", None), (4, "inquiry", None)], "social"),  # 6 of 10 small talk
        ([(5, "greeting", None), (5, "inquiry", None)], ""),
        ([], "straight"),
    ],
)
def test_buying_suggestions_at_their_thresholds(make_shop, chat, suggestion):
    shop = make_shop().shop
    person = buyer(shop)
    order(shop, person)
    for n, intent, objection in chat:
        say(shop, person, n, intent=intent, objection=objection)

    run(shop)

    person = fresh(person)
    assert person.suggested_buying == suggestion
    assert person.suggested_buying == rules.suggested_buying_for(person)


def test_a_gold_customers_reason_reads_plainly(make_shop):
    shop = make_shop().shop
    line_at(shop, "2000")
    star = buyer(shop)
    for amount in ("1000", "800", "600", "500", "360"):
        order(shop, star, amount)

    run(shop)

    star = fresh(star)
    reason = rules.segment_reason(star, rules.rules_for_shop(shop.id))
    assert reason.startswith("近180天下单5次，共¥3,260，无退款 → 黄金客户")


# --- runs and moves ------------------------------------------------------------------------


def test_a_run_records_counts_and_the_moves_since_the_last_run(make_shop):
    shop = make_shop().shop
    line_at(shop, "1000")
    steady, once = buyer(shop), buyer(shop)
    order(shop, steady, "800")
    order(shop, steady, "800")
    order(shop, once, "50")

    first = run(shop)
    order(shop, once, "2000", status="refunded", refund="2000")
    order(shop, steady, "100", days_ago=1)
    second = run(shop)

    assert first.counts[Segment.GOLD] == 1 and first.counts[Segment.NEW] == 1
    assert first.moves == {}  # nobody was segmented before
    assert second.moves == {"new>burden": 1}
    assert second.counts[Segment.BURDEN] == 1
    assert (second.customers, second.window_days) == (2, 180)
    assert second.high_value_amount == Decimal("1000")


def test_the_sql_pass_and_the_python_rule_agree_for_every_customer(make_shop):
    shop = make_shop().shop
    SegmentSettings.objects.create(
        shop=shop,
        high_value_quantile=0.7,
        repeat_orders=3,
        burden_refund_share=0.3,
        burden_incidents_per_order=1.1,
    )
    rng = random.Random(5)
    people = [buyer(shop) for _ in range(60)]
    statuses = [
        "completed",
        "completed",
        "paid",
        "shipped",
        "refunding",
        "refunded",
        "unpaid",
        "closed",
    ]
    for person in people:
        for _ in range(rng.randint(0, 7)):
            status = rng.choice(statuses)
            amount = Decimal(rng.randint(1, 40000)) / 100
            refund = amount if status == "refunded" else Decimal(0)
            if status == "refunding" and rng.random() < 0.5:
                refund = (amount * Decimal("0.3")).quantize(Decimal("0.01"))
            order(
                shop,
                person,
                str(amount),
                status=status,
                refund=str(refund),
                paid=status not in ("unpaid", "closed") or rng.random() < 0.3,
                days_ago=rng.choice([1, 50, 179.9, 181, 300]),
            )
        for _ in range(rng.randint(0, 3)):
            intent = rng.choice(
                ["greeting", "other", "closing", "complaint", "objection", "inquiry"]
            )
            say(
                shop,
                person,
                rng.randint(1, 8),
                intent=intent,
                objection="price" if intent == "objection" else None,
            )

    run(shop)
    settings = rules.rules_for_shop(shop.id)

    stored = list(Customer.objects.filter(shop=shop))
    assert {c.segment for c in stored} >= {Segment.NONE, Segment.NEW}
    for person in stored:
        assert person.segment == rules.segment_for(person, settings), person.nickname
        assert person.suggested_buying == rules.suggested_buying_for(person), person.nickname


def test_the_number_of_queries_does_not_grow_with_the_customers(make_shop):
    def queries_for(count: int) -> int:
        shop = make_shop().shop
        for _ in range(count):
            person = buyer(shop)
            order(shop, person)
            say(shop, person, 2)
        with CaptureQueriesContext(connection) as captured:
            run(shop)
        return len(captured)

    assert queries_for(5) == queries_for(50)


# --- writing in short transactions ----------------------------------------------------------


def test_customers_are_written_in_id_ranges_and_none_is_missed(make_shop, monkeypatch):
    from kefu.customers import segments

    monkeypatch.setattr(segments, "WRITE_BATCH", 3)
    shop = make_shop().shop
    other = make_shop().shop
    people = []
    for n in range(11):
        people.append(buyer(shop))
        buyer(other)  # ids of another shop in between: gaps in this shop's ids
        order(shop, people[-1], str(100 + n))
    with CaptureQueriesContext(connection) as captured:
        record = run(shop)
    updates = [q for q in captured if q["sql"].lstrip().startswith('UPDATE "customers_customer"')]
    assert len(updates) >= 7  # 11 customers spread over 22 ids, 3 ids a range
    assert record.customers == 11
    assert all(fresh(p).segmented_at is not None for p in people)
    assert not Customer.objects.filter(shop=other, segmented_at__isnull=False).exists()


@pytest.mark.django_db(transaction=True)  # the pass commits range by range, as for real
def test_the_chat_can_write_while_the_figures_are_collected_and_between_ranges(
    make_shop, monkeypatch
):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL locks rows, not the database")
    from kefu.customers import segments
    from tests.orders.test_storing import write_from_another_connection

    shop = make_shop().shop
    for n in range(6):
        order(shop, buyer(shop), str(100 + n))
    after_collecting: list[str] = []
    within_a_range: list[str] = []
    between_ranges: list[str] = []

    def probing(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        result = execute(sql, params, many, context)
        if sql.startswith("SELECT MIN(cid)"):
            after_collecting.append(write_from_another_connection(shop.id, "分层中改名"))
        elif sql.lstrip().startswith('UPDATE "customers_customer"'):
            within_a_range.append(write_from_another_connection(shop.id, "分层中改名"))
        return result

    @contextmanager
    def atomic_then_probe() -> Iterator[None]:
        with transaction.atomic():
            yield
        between_ranges.append(write_from_another_connection(shop.id, "分层中改名"))

    monkeypatch.setattr(segments, "WRITE_BATCH", 2)
    monkeypatch.setattr(segments, "transaction", SimpleNamespace(atomic=atomic_then_probe))
    with connection.execute_wrapper(probing):
        run(shop)

    assert after_collecting == ["ok"]  # collecting the figures took no lock
    assert len(within_a_range) == 3 and set(within_a_range) == {"database is locked"}
    assert between_ranges == ["ok", "ok", "ok"]  # each range's lock is let go at once
    assert Customer.objects.filter(shop=shop, segmented_at__isnull=False).count() == 6
