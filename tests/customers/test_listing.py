"""Finding customers: search, filters, order, pages without N+1, and the XLSX export."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from kefu.customers import listing
from kefu.customers.listing import CustomerFilters
from kefu.customers.models import Customer, CustomerTag
from kefu.errors import Forbidden
from tests.customers.factories import days_ago, make_customer, make_order

pytestmark = pytest.mark.django_db


def nicknames(actor, **params) -> list[str]:  # type: ignore[no-untyped-def]
    page = listing.list_customers(actor=actor, filters=CustomerFilters.from_params(params))
    return [row.nickname for row in page.rows]


# --- search ---------------------------------------------------------------------------------


def test_search_matches_nickname_name_phone_or_order_number(make_shop):
    people = make_shop()
    make_customer(people.shop, nickname="tb_lucky_cat")
    make_customer(people.shop, nickname="阿花", name="张小花")
    make_customer(people.shop, nickname="老王", phone="13812345678")
    buyer = make_customer(people.shop, nickname="订单客")
    make_order(buyer, order_no="2024050112345")
    make_customer(people.shop, nickname="路人")
    owner = people.owner

    assert nicknames(owner, q="lucky") == ["tb_lucky_cat"]
    assert nicknames(owner, q="小花") == ["阿花"]
    assert nicknames(owner, q="13812345678") == ["老王"]
    assert nicknames(owner, q="5678") == ["老王"]
    assert nicknames(owner, q="2024050112345") == ["订单客"]
    assert nicknames(owner, q="20240501") == []  # order numbers match whole only


def test_agents_find_masked_names_and_phones_only_whole(make_shop):
    people = make_shop()
    make_customer(people.shop, nickname="阿花", name="张小花", phone="13812345678")

    assert nicknames(people.agent, q="1381234") == []  # no reading a number digit by digit
    assert nicknames(people.agent, q="小花") == []
    assert nicknames(people.agent, q="13812345678") == ["阿花"]
    assert nicknames(people.agent, q="张小花") == ["阿花"]
    assert nicknames(people.agent, q="阿") == ["阿花"]  # nicknames are not masked


def test_search_never_reaches_another_shop(make_shop):
    ours, theirs = make_shop(), make_shop()
    make_customer(theirs.shop, nickname="别家的客人", phone="13812345678")
    buyer = make_customer(theirs.shop, nickname="别家订单客")
    make_order(buyer, order_no="X1")

    assert nicknames(ours.owner) == []
    assert nicknames(ours.owner, q="1381234") == []
    assert nicknames(ours.owner, q="X1") == []


# --- filters --------------------------------------------------------------------------------


def test_filters_by_segment_type_and_tag(make_shop):
    people = make_shop()
    make_customer(
        people.shop, nickname="金", segment="gold", personality="dominant", tags=["老客户"]
    )
    make_customer(people.shop, nickname="金2", segment="gold", personality="amiable")
    make_customer(people.shop, nickname="负", segment="burden", price_attitude="must_haggle")
    agent = people.agent

    assert sorted(nicknames(agent, segment="gold")) == ["金", "金2"]
    assert nicknames(agent, type="personality:dominant") == ["金"]
    assert nicknames(agent, type="price_attitude:must_haggle") == ["负"]
    assert nicknames(agent, tag="老客户") == ["金"]
    assert nicknames(agent, segment="gold", tag="老客户", type="personality:dominant") == ["金"]
    assert nicknames(agent, segment="burden", tag="老客户") == []


def test_filters_by_last_order(make_shop):
    people = make_shop()
    make_customer(people.shop, nickname="上周", last_order_at=days_ago(7))
    make_customer(people.shop, nickname="两个月前", last_order_at=days_ago(60))
    make_customer(people.shop, nickname="半年前", last_order_at=days_ago(150))
    make_customer(people.shop, nickname="一年前", last_order_at=days_ago(365))
    make_customer(people.shop, nickname="没买过")
    owner = people.owner

    assert nicknames(owner, last_order="30") == ["上周"]
    assert nicknames(owner, last_order="90") == ["上周", "两个月前"]
    assert nicknames(owner, last_order="180") == ["上周", "两个月前", "半年前"]
    assert nicknames(owner, last_order="over180") == ["一年前"]
    assert nicknames(owner, last_order="never") == ["没买过"]


@pytest.mark.parametrize(
    "params",
    [
        {"segment": "platinum"},
        {"type": "personality:grumpy"},
        {"type": "segment:gold"},
        {"type": "nonsense"},
        {"last_order": "7"},
    ],
)
def test_a_bad_filter_value_is_dropped_and_shows_everyone(make_shop, params):
    people = make_shop()
    make_customer(people.shop, nickname="甲", segment="gold")
    make_customer(people.shop, nickname="乙")

    filters = CustomerFilters.from_params(params)

    assert filters.is_empty
    assert sorted(nicknames(people.owner, **params)) == ["乙", "甲"]


def test_filters_travel_in_the_query_string():
    filters = CustomerFilters.from_params({"q": "花 & 草", "segment": "gold", "tag": ""})

    assert filters.query_string(page=3) == "q=%E8%8A%B1+%26+%E8%8D%89&segment=gold&page=3"
    assert CustomerFilters().query_string() == ""


# --- order and pages ------------------------------------------------------------------------


def test_last_order_first_and_never_ordered_last(make_shop):
    people = make_shop()
    make_customer(people.shop, nickname="没买过-早")
    make_customer(people.shop, nickname="去年", last_order_at=days_ago(300))
    make_customer(people.shop, nickname="昨天", last_order_at=days_ago(1))
    make_customer(people.shop, nickname="没买过-新")

    # the never-ordered among themselves: newest first
    assert nicknames(people.owner) == ["昨天", "去年", "没买过-新", "没买过-早"]


def _bulk_customers(shop, ordered: int, never: int) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    Customer.objects.bulk_create(
        [
            Customer(
                shop=shop,
                platform="taobao",
                nickname=f"o{i:03d}",
                last_order_at=now - dt.timedelta(hours=i),
            )
            for i in range(ordered)
        ]
        + [Customer(shop=shop, platform="jd", nickname=f"n{i:03d}") for i in range(never)]
    )


def test_pages_run_across_both_parts_without_gaps_or_repeats(make_shop):
    people = make_shop()
    _bulk_customers(people.shop, ordered=70, never=60)
    seen: list[str] = []

    pages = [
        listing.list_customers(actor=people.owner, filters=CustomerFilters(), page=n)
        for n in (1, 2, 3, 4)
    ]

    for page in pages:
        seen += [row.nickname for row in page.rows]
    assert [len(p.rows) for p in pages] == [50, 50, 30, 0]
    assert [p.has_next for p in pages] == [True, True, False, False]
    assert [p.has_previous for p in pages] == [False, True, True, True]
    expected = [f"o{i:03d}" for i in range(70)] + [f"n{i:03d}" for i in reversed(range(60))]
    assert seen == expected


def test_a_page_costs_the_same_queries_whatever_the_shop_size(make_shop):
    few, some, many = make_shop(), make_shop(), make_shop()
    _bulk_customers(few.shop, ordered=3, never=2)
    _bulk_customers(some.shop, ordered=60, never=0)
    _bulk_customers(many.shop, ordered=300, never=300)
    for shop in (few.shop, some.shop, many.shop):
        CustomerTag.objects.bulk_create(
            [
                CustomerTag(shop=shop, customer=c, name=name)
                for c in Customer.objects.filter(shop=shop)
                for name in ("老客户", "拒绝竞品")
            ]
        )

    def queries(actor) -> int:  # type: ignore[no-untyped-def]
        with CaptureQueriesContext(connection) as captured:
            page = listing.list_customers(actor=actor, filters=CustomerFilters())
            assert all(row.tags == ("老客户", "拒绝竞品") for row in page.rows)
        return len(captured)

    assert queries(some.agent) == queries(many.agent) == 2  # customers, their tags
    assert queries(few.agent) == 3  # …and the never-ordered part, which this page reaches


def test_agents_see_masked_names_and_phones_in_the_list(make_shop):
    people = make_shop()
    make_customer(people.shop, name="张小花", phone="13812345678", personality="analytical")

    [agent_row] = listing.list_customers(actor=people.agent, filters=CustomerFilters()).rows
    [owner_row] = listing.list_customers(actor=people.owner, filters=CustomerFilters()).rows

    assert (agent_row.name, agent_row.phone) == ("张**", "138****5678")
    assert (owner_row.name, owner_row.phone) == ("张小花", "13812345678")
    assert agent_row.type_labels == ("分析型",)


# --- export ---------------------------------------------------------------------------------


def export(actor, **params) -> list[tuple]:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    listing.write_customers_xlsx(
        actor=actor, filters=CustomerFilters.from_params(params), target=out
    )
    out.seek(0)
    sheet = load_workbook(out, read_only=True).active
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_agents_may_not_export(make_shop):
    people = make_shop()
    make_customer(people.shop)

    with pytest.raises(Forbidden):
        listing.write_customers_xlsx(
            actor=people.agent, filters=CustomerFilters(), target=io.BytesIO()
        )


def test_export_holds_the_whole_archive_in_chinese_columns(make_shop):
    people = make_shop()
    make_customer(
        people.shop,
        nickname="tb_花花",
        name="张小花",
        phone="13812345678",
        address="浙江省杭州市西湖区",
        birthday=dt.date(1990, 5, 20),
        personality="dominant",
        buying_behaviour="haggler",
        segment="gold",
        segmented_at=timezone.now(),
        seg_orders=5,
        seg_spend=Decimal("3260.00"),
        total_orders=7,
        last_order_at=timezone.make_aware(dt.datetime(2024, 5, 1, 20, 30)),
        tags=["老客户", "拒绝竞品"],
    )

    header, row = export(people.supervisor)

    assert header == (
        "平台", "买家账号", "姓名", "手机", "地址", "生日", "客户分层", "分层原因",
        "性格", "购买行为", "网购习惯", "产品认知", "价格态度", "质量期望",
        "标签", "近期订单数", "近期消费", "累计订单", "最近下单",
    )  # fmt: skip
    assert row[:7] == ("淘宝", "tb_花花", "张小花", "13812345678", "浙江省杭州市西湖区",
                       dt.datetime(1990, 5, 20), "黄金客户")  # fmt: skip
    assert row[7].startswith("近180天下单5次，共¥3,260，无退款 → 黄金客户")
    assert row[8:14] == ("专断型", "论价型", None, None, None, None)
    assert row[14:] == ("老客户、拒绝竞品", 5, 3260, 7, dt.datetime(2024, 5, 1, 20, 30))


def test_export_follows_the_filters(make_shop):
    people = make_shop()
    make_customer(people.shop, nickname="金", segment="gold")
    make_customer(people.shop, nickname="负", segment="burden")

    rows = export(people.owner, segment="burden")

    assert [row[1] for row in rows[1:]] == ["负"]


def test_formula_cells_are_made_inert(make_shop):
    people = make_shop()
    make_customer(people.shop, nickname='=HYPERLINK("http://evil","点我")', name="+1+2")
    make_customer(people.shop, nickname="@SUM(A1)", address="-2+3", phone="-5", tags=["=1+1"])
    make_customer(people.shop, nickname="控制\x07字符")

    rows = export(people.owner)[1:]

    first, second, third = rows
    assert first[1] == '\'=HYPERLINK("http://evil","点我")'
    assert first[2] == "'+1+2"
    assert (second[1], second[3], second[4]) == ("'@SUM(A1)", "-5", "'-2+3")
    assert second[14] == "'=1+1"
    assert third[1] == "控制字符"


def test_export_reads_in_chunks_and_keeps_every_customers_tags(make_shop, monkeypatch):
    people = make_shop()
    monkeypatch.setattr(listing, "EXPORT_CHUNK", 3)
    for i in range(7):
        make_customer(people.shop, nickname=f"c{i}", tags=[f"t{i}"])

    rows = export(people.owner)[1:]

    assert [(row[1], row[14]) for row in rows] == [(f"c{i}", f"t{i}") for i in range(7)]
