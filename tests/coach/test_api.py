"""The coach's HTTP API: check, the suggestions panel, offers and corrections."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from kefu.chat.models import Conversation, Message
from kefu.coach.models import Correction
from kefu.playbook.models import FaqEntry, Product, QuickReply, ShopScript

from .conftest import agent_says, customer_says, logged_in

pytestmark = pytest.mark.django_db


def post(client, url: str, data: dict):  # type: ignore[no-untyped-def]
    return client.post(url, json.dumps(data), content_type="application/json")


# --- check ------------------------------------------------------------------------------------


def test_check_returns_the_checkers_findings(make_shop):
    people = make_shop()

    body = post(logged_in(people.agent), "/api/coach/check", {"text": "我不能给您便宜"}).json()

    assert [(f["category"], f["text"], f["severity"]) for f in body["findings"]] == [
        ("negative", "我不能", "high")
    ]
    assert body["warnings"] == []


def test_check_warns_when_a_no_bargain_shop_offers_a_discount(make_shop):
    people = make_shop(no_bargain=True)

    body = post(logged_in(people.agent), "/api/coach/check", {"text": "亲，给您优惠10元吧"}).json()

    assert [(w["rule"], w["text"]) for w in body["warnings"]] == [("no_bargain", "优惠")]


def test_check_does_not_warn_about_a_refused_discount(make_shop):
    people = make_shop(no_bargain=True)

    body = post(logged_in(people.agent), "/api/coach/check", {"text": "我不能给您便宜"}).json()

    assert body["warnings"] == []


def test_check_warns_about_free_shipping_below_the_threshold_naming_it(make_shop):
    people = make_shop(free_shipping_threshold=Decimal("99"))

    body = post(logged_in(people.agent), "/api/coach/check", {"text": "好的亲，给您包邮哦"}).json()

    (warning,) = body["warnings"]
    assert warning["rule"] == "free_shipping" and warning["text"] == "包邮"
    assert "99" in warning["message"]
    assert "好的亲，给您包邮哦"[warning["start"] : warning["end"]] == "包邮"


# --- the panel --------------------------------------------------------------------------------


def test_panel_for_a_price_objection_has_methods_with_the_price_filled(make_shop):
    people = make_shop()
    message = customer_says(people.shop, "这个也太贵了吧，别家才卖80")

    body = logged_in(people.agent).get(f"/api/conversations/{message.conversation_id}/coach").json()

    assert body["message_id"] == message.id
    assert body["analysis"]["objection_type"] == "price"
    methods = [s["method"] for s in body["suggestions"]]
    assert "比较法" in methods and all(s["why"] for s in body["suggestions"])
    # 80 is the other shop's price, never ours: {价格} waits for a product or the agent.
    assert not any("80" in s["text"] for s in body["suggestions"])
    assert body["guide"] == {"kind": "bargain"}


def test_panel_fills_the_product_when_one_is_picked(make_shop):
    people = make_shop()
    product = Product.objects.create(
        shop=people.shop,
        name="羊毛衫",
        list_price=Decimal("299"),
        floor_price=Decimal("239"),
        gift="袜子",
    )
    message = customer_says(people.shop, "这个也太贵了吧，别家才卖80")

    body = (
        logged_in(people.agent)
        .get(f"/api/conversations/{message.conversation_id}/coach?product={product.id}")
        .json()
    )

    assert not any("{价格}" in s["text"] or "{日均}" in s["text"] for s in body["suggestions"])
    assert any("299" in s["text"] for s in body["suggestions"] if "{价格}" in s["template"])
    assert any("0.82" in s["text"] for s in body["suggestions"] if "{日均}" in s["template"])
    assert body["products"] == [
        {
            "id": product.id,
            "name": "羊毛衫",
            "list_price": "299",
            "floor_price": "239",
            "gift": "袜子",
        }
    ]


def test_a_shop_script_replaces_the_builtin_method_and_its_own_come_first(make_shop):
    people = make_shop()
    ShopScript.objects.create(
        shop=people.shop,
        situation="objection:price",
        method="比较法",
        method_id="compare",
        why="我们自己的说法",
        text="亲，{客户}，本店的货您放心～",
    )
    ShopScript.objects.create(
        shop=people.shop, situation="objection:price", method="送礼法", text="给您加一份小礼物哦"
    )
    message = customer_says(people.shop, "这个也太贵了吧，别家才卖80")

    body = logged_in(people.agent).get(f"/api/conversations/{message.conversation_id}/coach").json()

    first = body["suggestions"][0]
    assert (first["method"], first["source"]) == ("送礼法", "shop")
    compare = [s for s in body["suggestions"] if s["method_id"] == "compare"]
    assert len(compare) == 1 and compare[0]["source"] == "shop"
    assert "{客户}" not in compare[0]["text"] and "访客" in compare[0]["text"]


def test_panel_shows_the_faq_match_and_fitting_quick_replies(make_shop):
    people = make_shop()
    FaqEntry.objects.create(
        shop=people.shop, questions="多久发货\n什么时候发货", answer="48小时内发货"
    )
    QuickReply.objects.create(shop=people.shop, keyword="发货", text="{客户}您好，我们当天发货哦")
    QuickReply.objects.create(shop=people.shop, keyword="尺码", text="请参考尺码表")
    message = customer_says(people.shop, "请问什么时候发货呀")

    body = logged_in(people.agent).get(f"/api/conversations/{message.conversation_id}/coach").json()

    assert body["faq"]["answer"] == "48小时内发货" and body["faq"]["score"] > 0.5
    assert [r["keyword"] for r in body["quick_replies"]] == ["发货"]
    assert "{客户}" not in body["quick_replies"][0]["text"]


def test_complaint_guide_moves_on_after_an_apology(make_shop):
    people = make_shop()
    message = customer_says(people.shop, "你们什么破店！！！骗子，我要投诉你们")
    client = logged_in(people.agent)
    url = f"/api/conversations/{message.conversation_id}/coach"
    before = client.get(url).json()["guide"]

    agent_says(people.agent, message.conversation_id, "真的非常抱歉给您添麻烦了，您说，我在认真听")
    after = client.get(url).json()["guide"]

    assert before["kind"] == "complaint" and len(before["steps"]) == 6
    assert before["current_step"] == 1 and after["current_step"] == 3


def test_panel_of_another_shops_conversation_is_not_found(make_shop):
    mine, theirs = make_shop(), make_shop()
    message = customer_says(theirs.shop, "这个也太贵了吧")

    response = logged_in(mine.agent).get(f"/api/conversations/{message.conversation_id}/coach")

    assert response.status_code == 404


# --- offers -----------------------------------------------------------------------------------


def test_offer_steps_down_and_never_names_the_floor(make_shop):
    people = make_shop()
    product = Product.objects.create(
        shop=people.shop, name="羊毛衫", list_price=Decimal("299"), floor_price=Decimal("239")
    )

    body = post(
        logged_in(people.agent), "/api/coach/offer", {"product": product.id, "rounds": ["285"]}
    ).json()

    assert Decimal("239") <= Decimal(body["price"]) < Decimal("285")
    assert "239" not in body["wording"]


def test_offer_for_another_shops_product_is_not_found(make_shop):
    mine, theirs = make_shop(), make_shop()
    product = Product.objects.create(
        shop=theirs.shop, name="x", list_price=Decimal("10"), floor_price=Decimal("8")
    )

    response = post(logged_in(mine.agent), "/api/coach/offer", {"product": product.id})

    assert response.status_code == 404


# --- corrections ------------------------------------------------------------------------------


def test_a_correction_changes_the_stored_label(make_shop):
    people = make_shop()
    message = customer_says(people.shop, "这个也太贵了吧，别家才卖80")

    body = post(
        logged_in(people.agent),
        f"/api/messages/{message.id}/correct",
        {"field": "objection_type", "value": "source"},
    ).json()

    assert body["coach"]["objection_type"] == "source" and body["coach"]["corrected"] is True
    assert body["coach"]["labels"]["objection_type"] == "货源异议"
    message.refresh_from_db()
    assert message.meta["coach"]["objection_type"] == "source"
    correction = Correction.objects.get(message=message)
    assert (correction.old_value, correction.new_value, correction.member_id) == (
        "price",
        "source",
        people.agent.id,
    )


def test_correcting_the_emotion_updates_the_conversations_mood(make_shop):
    people = make_shop()
    message = customer_says(people.shop, "这个也太贵了吧，别家才卖80")

    post(
        logged_in(people.agent),
        f"/api/messages/{message.id}/correct",
        {"field": "emotion", "value": "dissatisfied"},
    )

    assert Conversation.objects.get(id=message.conversation_id).mood == "dissatisfied"


def test_another_shops_message_cannot_be_corrected(make_shop):
    mine, theirs = make_shop(), make_shop()
    message = customer_says(theirs.shop, "这个也太贵了吧")

    response = post(
        logged_in(mine.agent),
        f"/api/messages/{message.id}/correct",
        {"field": "intent", "value": "inquiry"},
    )

    assert response.status_code == 404
    assert not Correction.objects.exists()
    assert Message.objects.get(id=message.id).meta["coach"]["corrected"] is False


def test_an_unknown_label_is_refused(make_shop):
    people = make_shop()
    message = customer_says(people.shop, "这个也太贵了吧")

    response = post(
        logged_in(people.agent),
        f"/api/messages/{message.id}/correct",
        {"field": "intent", "value": "shouting"},
    )

    assert response.status_code == 400
