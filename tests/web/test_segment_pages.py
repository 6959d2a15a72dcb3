"""The segment page: every member reads it; owners and supervisors tune it and re-run it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kefu.customers import segment_settings
from kefu.customers.models import Customer, SegmentRun, SegmentSettings
from kefu.customers.segments import segment_customers
from kefu.errors import Forbidden, ServiceError
from kefu.orders.models import Order

pytestmark = pytest.mark.django_db
PASSWORD = "s3cret-pass"
URL = "/desk/segments/"


def login(client, member) -> None:  # type: ignore[no-untyped-def]
    assert client.login(username=member.user.username, password=PASSWORD)


def settings_form(**changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "window_days": "90",
        "high_value_quantile": "0.9",
        "high_value_amount": "",
        "repeat_orders": "3",
        "burden_refund_share": "0.4",
        "burden_incidents_per_order": "2.5",
    }
    form.update(changes)
    return form


def shop_with_buyers(people) -> None:  # type: ignore[no-untyped-def]
    shop = people.shop
    for n, amounts in enumerate((["3000", "800"], ["5000"], ["60", "40"], ["99"])):
        buyer = Customer.objects.create(shop=shop, platform="taobao", nickname=f"tb_{n}")
        for k, amount in enumerate(amounts):
            Order.objects.create(
                shop=shop,
                customer=buyer,
                platform="taobao",
                order_no=f"TB{n}-{k}",
                status="completed",
                amount=Decimal(amount),
                created_at=timezone.now() - dt.timedelta(days=k + 1),
            )
    SegmentSettings.objects.create(shop=shop, high_value_amount=Decimal("2000"))


def test_an_agent_sees_the_segments_with_advice_but_no_settings(make_shop, client):
    people = make_shop()
    shop_with_buyers(people)
    segment_customers(shop_id=people.shop.id)
    login(client, people.agent)

    page = client.get(URL).content.decode()

    for label in ("黄金客户", "流星客户", "小星客户", "负担客户", "新客户"):
        assert label in page
    assert "生日" in page  # gold: birthday greetings
    assert "25%" in page  # one of four customers in each of gold, meteor, small star, new
    assert "¥2,000（固定金额）" in page
    assert "立即重新分层" not in page
    assert 'name="window_days"' not in page
    assert "只有店主和主管可以调整分层标准" in page


def test_the_page_shows_the_moves_of_the_latest_run_and_recent_runs(make_shop, client):
    people = make_shop()
    shop_with_buyers(people)
    segment_customers(shop_id=people.shop.id)
    one = Customer.objects.get(shop=people.shop, nickname="tb_1")
    Order.objects.create(
        shop=people.shop,
        customer=one,
        platform="taobao",
        order_no="TB-again",
        status="completed",
        amount=Decimal("10"),
        created_at=timezone.now(),
    )
    segment_customers(shop_id=people.shop.id)
    login(client, people.supervisor)

    page = client.get(URL).content.decode()

    assert "流星客户</td><td>→ 黄金客户</td><td>1</td>" in page
    assert page.count("秒</td>") == 2


def test_a_shop_never_segmented_says_so(make_shop, client):
    people = make_shop()
    login(client, people.owner)

    page = client.get(URL).content.decode()

    assert "还没有计算过分层" in page
    assert "立即重新分层" in page


def test_a_supervisor_saves_new_thresholds(make_shop, client):
    people = make_shop()
    login(client, people.supervisor)

    response = client.post(URL, settings_form(), follow=True)

    saved = SegmentSettings.objects.get(shop=people.shop)
    assert (saved.window_days, saved.high_value_quantile, saved.high_value_amount) == (
        90,
        0.9,
        None,
    )
    assert (saved.repeat_orders, saved.burden_refund_share, saved.burden_incidents_per_order) == (
        3,
        0.4,
        2.5,
    )
    assert "分层设置已保存" in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("window_days", "6", "统计天数要在 7 到 1095 天之间"),
        ("window_days", "1096", "统计天数要在 7 到 1095 天之间"),
        ("high_value_quantile", "0.995", "高价值分位要在 0.5 到 0.99 之间"),
        ("high_value_amount", "-1", "高价值金额不能是负数"),
        ("repeat_orders", "1", "回头客下单次数要在 2 到 20 之间"),
        ("burden_refund_share", "0.05", "退款占比要在 0.1 到 1 之间"),
        ("burden_incidents_per_order", "21", "每单服务次数要在 0.5 到 20 之间"),
    ],
)
def test_thresholds_out_of_range_are_refused_next_to_the_field(
    make_shop, client, field, value, message
):
    people = make_shop()
    login(client, people.owner)

    response = client.post(URL, settings_form(**{field: value}))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not SegmentSettings.objects.filter(shop=people.shop).exists()


def test_an_agent_cannot_change_thresholds_or_resegment(make_shop, client):
    people = make_shop()
    login(client, people.agent)

    saved = client.post(URL, settings_form())
    ran = client.post("/desk/segments/run/")

    assert saved.status_code == 403 and ran.status_code == 403
    assert not SegmentSettings.objects.filter(shop=people.shop).exists()
    assert not SegmentRun.objects.exists()
    with pytest.raises(Forbidden):
        segment_settings.resegment_shop(actor=people.agent)


def test_the_owner_resegments_the_shop_now(make_shop, client):
    people = make_shop()
    shop_with_buyers(people)
    login(client, people.owner)

    response = client.post("/desk/segments/run/", follow=True)

    assert "已重新分层：4 位客户" in response.content.decode()
    assert SegmentRun.objects.filter(shop=people.shop).count() == 1
    assert Customer.objects.get(shop=people.shop, nickname="tb_0").segment == "gold"


def test_the_settings_service_checks_its_ranges_itself(make_shop):
    people = make_shop()
    fields = {
        "window_days": 180,
        "high_value_quantile": 0.8,
        "high_value_amount": None,
        "repeat_orders": 2,
        "burden_refund_share": 1.5,
        "burden_incidents_per_order": 3.0,
    }

    with pytest.raises(ServiceError) as refused:
        segment_settings.update_segment_settings(actor=people.owner, **fields)

    assert refused.value.code == "bad_refund_share"
