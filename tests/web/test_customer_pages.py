"""The customer archive pages: list, filters, export, one customer's page and its actions."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from kefu.customers.models import Customer, CustomerNote, CustomerTag
from tests.customers.factories import days_ago, make_customer, make_note, make_order

pytestmark = pytest.mark.django_db
PASSWORD = "s3cret-pass"
XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def login(client, member) -> None:  # type: ignore[no-untyped-def]
    assert client.login(username=member.user.username, password=PASSWORD)


def page(client, url: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


# --- the list -------------------------------------------------------------------------------


def test_agent_sees_the_list_with_personal_data_masked(make_shop, client):
    people = make_shop()
    customer = make_customer(
        people.shop, nickname="tb_花花", name="张小花", phone="13812345678", tags=["老客户"]
    )
    login(client, people.agent)

    html = page(client, "/desk/customers/")

    assert "tb_花花" in html and "老客户" in html
    assert "138****5678" in html and "张**" in html
    assert "13812345678" not in html and "张小花" not in html
    assert f"/desk/customers/{customer.id}/" in html
    assert "/desk/customers/export.xlsx" not in html


def test_owner_sees_whole_personal_data_and_the_export_button(make_shop, client):
    people = make_shop()
    make_customer(people.shop, name="张小花", phone="13812345678")
    login(client, people.owner)

    html = page(client, "/desk/customers/")

    assert "张小花" in html and "13812345678" in html
    assert "/desk/customers/export.xlsx" in html


def test_customer_text_is_escaped_in_the_list(make_shop, client):
    people = make_shop()
    make_customer(people.shop, nickname=XSS, name=XSS, tags=[XSS[:20]])
    login(client, people.owner)

    html = page(client, "/desk/customers/")

    assert XSS not in html and "<script>alert" not in html
    assert XSS_ESCAPED in html


def test_a_filter_with_no_match_says_so(make_shop, client):
    people = make_shop()
    make_customer(people.shop, nickname="普通客")
    login(client, people.agent)

    html = page(client, "/desk/customers/?segment=gold")

    assert "普通客" not in html and "没有符合条件的客户" in html


def test_filters_narrow_the_list_and_a_bad_value_shows_everyone(make_shop, client):
    people = make_shop()
    make_customer(people.shop, nickname="金牌客", segment="gold", segmented_at=timezone.now())
    make_customer(people.shop, nickname="普通客", personality="analytical")
    login(client, people.agent)

    gold = page(client, "/desk/customers/?segment=gold")
    analytical = page(client, "/desk/customers/?type=personality:analytical")
    bad = page(client, "/desk/customers/?segment=<b>&type=x:y&last_order=999&page=abc")

    assert "金牌客" in gold and "普通客" not in gold
    assert "普通客" in analytical and "金牌客" not in analytical
    assert "金牌客" in bad and "普通客" in bad


def test_search_finds_a_customer_by_order_number(make_shop, client):
    people = make_shop()
    make_order(make_customer(people.shop, nickname="下单人"), order_no="88001234")
    make_customer(people.shop, nickname="旁人")
    login(client, people.agent)

    html = page(client, "/desk/customers/?q=88001234")

    assert "下单人" in html and "旁人" not in html


def test_pagination_links_keep_the_filters(make_shop, client):
    people = make_shop()
    Customer.objects.bulk_create(
        [
            Customer(shop=people.shop, platform="jd", nickname=f"京东客{i}", segment="gold")
            for i in range(55)
        ]
    )
    login(client, people.agent)

    first = page(client, "/desk/customers/?segment=gold&q=京东")
    second = page(client, "/desk/customers/?segment=gold&q=京东&page=2")

    assert 'href="?q=%E4%BA%AC%E4%B8%9C&amp;segment=gold&amp;page=2"' in first
    assert second.count("京东客") == 5
    assert 'href="?q=%E4%BA%AC%E4%B8%9C&amp;segment=gold"' in second  # back to page 1


def test_the_list_page_does_not_query_per_row(make_shop, client):
    people = make_shop()
    make_customer(people.shop, tags=["老客户"])
    login(client, people.agent)
    client.get("/desk/customers/")  # warm the session

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            page(client, "/desk/customers/")
        return len(captured)

    few = queries()
    for i in range(40):
        make_customer(people.shop, last_order_at=days_ago(i), tags=["老客户", "拒绝竞品"])

    assert queries() == few


# --- the export -----------------------------------------------------------------------------


def test_agents_cannot_export(make_shop, client):
    people = make_shop()
    make_customer(people.shop, phone="13812345678")
    login(client, people.agent)

    response = client.get("/desk/customers/export.xlsx")

    assert response.status_code == 403
    assert "只有店主和主管可以导出" in response.content.decode()


def test_supervisor_exports_the_filtered_customers(make_shop, client):
    people = make_shop()
    make_customer(people.shop, nickname="金牌客", segment="gold", phone="13812345678")
    make_customer(people.shop, nickname="负担客", segment="burden")
    login(client, people.supervisor)

    response = client.get("/desk/customers/export.xlsx?segment=gold")

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("平台", "买家账号", "姓名", "手机")
    assert [(r[1], r[3]) for r in rows[1:]] == [("金牌客", "13812345678")]


# --- one customer's page --------------------------------------------------------------------


def test_detail_shows_profile_types_with_tactics_and_the_timeline(make_shop, client):
    people = make_shop()
    customer = make_customer(
        people.shop,
        nickname="tb_花花",
        name="张小花",
        phone="13812345678",
        personality="dominant",
        total_orders=3,
    )
    make_order(customer, order_no="A100", title="真丝围巾")
    make_note(customer, people.supervisor, "只要顺丰")
    login(client, people.agent)

    html = page(client, f"/desk/customers/{customer.id}/")

    assert "138****5678" in html and "13812345678" not in html
    assert "专断型" in html and "让他感到被尊重" in html
    assert "还没有计算分层" in html
    assert "回头购买 2 次（共 3 单）" in html
    assert "订单 A100 · 真丝围巾" in html and "只要顺丰" in html
    assert 'name="personality"' in html and 'name="phone"' not in html


def test_detail_shows_the_segment_and_why(make_shop, client):
    people = make_shop()
    customer = make_customer(
        people.shop, segment="gold", segmented_at=timezone.now(), seg_orders=5, seg_spend=3260
    )
    login(client, people.owner)

    html = page(client, f"/desk/customers/{customer.id}/")

    assert "近180天下单5次，共¥3,260，无退款 → 黄金客户" in html


def test_customer_text_is_escaped_on_the_detail_page(make_shop, client):
    people = make_shop()
    customer = make_customer(people.shop, nickname=XSS, address=XSS, tags=["<b>x</b>"])
    make_note(customer, people.agent, XSS)
    make_order(customer, title=XSS)
    login(client, people.owner)

    html = page(client, f"/desk/customers/{customer.id}/")

    assert "<script>alert" not in html and "<b>x</b>" not in html
    assert XSS_ESCAPED in html


def test_another_shops_customer_is_a_404(make_shop, client):
    ours, theirs = make_shop(), make_shop()
    customer = make_customer(theirs.shop)
    login(client, ours.owner)

    assert client.get(f"/desk/customers/{customer.id}/").status_code == 404
    assert client.get("/desk/customers/999999/").status_code == 404
    response = client.post(f"/desk/customers/{customer.id}/tags/", {"name": "偷偷加"})
    assert response.status_code == 404
    assert not CustomerTag.objects.exists()


def test_agent_confirms_the_suggested_buying_behaviour(make_shop, client):
    people = make_shop()
    customer = make_customer(people.shop, suggested_buying="haggler", seg_messages=8, seg_haggles=4)
    login(client, people.agent)

    html = page(client, f"/desk/customers/{customer.id}/")
    assert "8条消息里有4条在讲价" in html
    response = client.post(f"/desk/customers/{customer.id}/confirm-buying/", follow=True)

    customer.refresh_from_db()
    assert customer.buying_behaviour == "haggler"
    assert "已确认购买行为类型" in response.content.decode()


def test_agent_edits_types_but_never_personal_data(make_shop, client):
    people = make_shop()
    customer = make_customer(people.shop, name="张小花", phone="13812345678")
    login(client, people.agent)

    client.post(
        f"/desk/customers/{customer.id}/",
        {"personality": "analytical", "price_attitude": "tests", "phone": "000"},
    )

    customer.refresh_from_db()
    assert (customer.personality, customer.price_attitude) == ("analytical", "tests")
    assert customer.phone == "13812345678"


def test_owner_edits_personal_data(make_shop, client):
    people = make_shop()
    customer = make_customer(people.shop, name="张小花")
    login(client, people.owner)

    response = client.post(
        f"/desk/customers/{customer.id}/",
        {"name": "张大花", "phone": "13900000000", "birthday": "1990-05-20"},
    )

    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.phone, str(customer.birthday)) == (
        "张大花",
        "13900000000",
        "1990-05-20",
    )


def test_a_bad_birthday_is_shown_next_to_the_field(make_shop, client):
    people = make_shop()
    customer = make_customer(people.shop, name="张小花")
    login(client, people.owner)

    response = client.post(
        f"/desk/customers/{customer.id}/", {"name": "改了", "birthday": "五月二十"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "field--error" in html
    customer.refresh_from_db()
    assert customer.name == "张小花"


def test_tags_and_loyalty_buttons(make_shop, client):
    people = make_shop()
    customer = make_customer(people.shop)
    login(client, people.agent)

    html = page(client, f"/desk/customers/{customer.id}/")
    assert 'value="推荐过朋友"' in html  # one click adds the loyalty tag
    client.post(f"/desk/customers/{customer.id}/tags/", {"name": "推荐过朋友"})
    client.post(f"/desk/customers/{customer.id}/tags/", {"name": "只要顺丰"})
    client.post(f"/desk/customers/{customer.id}/tags/remove/", {"name": "只要顺丰"})
    response = client.post(f"/desk/customers/{customer.id}/tags/", {"name": "字" * 21}, follow=True)

    assert list(customer.tags.values_list("name", flat=True)) == ["推荐过朋友"]
    html = response.content.decode()
    assert "标签最多 20 个字" in html
    assert "✓ 推荐过朋友" in html


def test_notes_are_added_and_deleted_by_their_author(make_shop, client):
    people = make_shop()
    customer = make_customer(people.shop)
    theirs = make_note(customer, people.agent2, "同事的备注")
    login(client, people.agent)

    client.post(f"/desk/customers/{customer.id}/notes/", {"text": "喜欢顺丰"})
    mine = CustomerNote.objects.get(text="喜欢顺丰")
    html = page(client, f"/desk/customers/{customer.id}/")
    refused = client.post(f"/desk/customers/{customer.id}/notes/{theirs.id}/delete/")
    client.post(f"/desk/customers/{customer.id}/notes/{mine.id}/delete/")

    assert f"/notes/{mine.id}/delete/" in html and f"/notes/{theirs.id}/delete/" not in html
    assert refused.status_code == 403
    assert list(CustomerNote.objects.values_list("text", flat=True)) == ["同事的备注"]
