"""POST /api/orders: a shop's site pushes orders (its API key, or a session + CSRF)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client

from kefu.customers.models import Customer
from kefu.orders.models import Order

pytestmark = pytest.mark.django_db

ORDERS = [
    {
        "order_no": "W1001",
        "buyer": "site-42",
        "amount": "199.00",
        "status": "paid",
        "created_at": "2024-06-01 09:00:00",
        "paid_at": "2024-06-01 09:01:00",
        "title": "羊毛围巾",
        "receiver_name": "钱女士",
        "receiver_phone": "13500001111",
        "receiver_address": "杭州市 上城区 湖滨路 1号",
    },
    {"order_no": "W1002", "buyer": "site-42", "amount": 59.5, "status": "等待买家付款"},
]


def logged_in(member) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(member.user)
    return client


def push(client: Client, orders: list[dict[str, object]], **extra: object):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/orders",
        data=json.dumps({"orders": orders, **extra}),
        content_type="application/json",
    )


def test_pushed_orders_are_stored_with_their_customer(make_shop):
    people = make_shop()

    response = push(logged_in(people.owner), ORDERS)

    assert response.status_code == 200
    assert response.json()["created"] == 2
    first = Order.objects.get(shop=people.shop, order_no="W1001")
    assert (first.platform, first.status, first.amount) == ("site", "paid", Decimal("199.00"))
    assert Order.objects.get(order_no="W1002").status == "unpaid"
    assert Customer.objects.get(shop=people.shop).nickname == "site-42"


def test_pushing_the_same_orders_again_updates_them(make_shop):
    people = make_shop()
    client = logged_in(people.owner)
    push(client, ORDERS)

    response = push(client, [{**ORDERS[0], "status": "shipped"}, ORDERS[1]])

    assert (response.json()["created"], response.json()["updated"]) == (0, 2)
    assert Order.objects.count() == 2
    assert Order.objects.get(order_no="W1001").status == "shipped"


def test_one_bad_order_stops_the_whole_push_with_its_position(make_shop):
    people = make_shop()
    bad = {"order_no": "W1003", "amount": "12.x", "status": "paid", "created_at": "昨天"}

    response = push(logged_in(people.owner), [*ORDERS, bad])

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(3, "amount"), (3, "created_at")]
    assert Order.objects.count() == 0


def test_agents_cannot_push_orders(make_shop):
    people = make_shop()

    response = push(logged_in(people.agent), ORDERS)

    assert response.status_code == 403
    assert Order.objects.count() == 0


def test_anonymous_pushes_are_refused(make_shop):
    make_shop()

    response = push(Client(), ORDERS)

    assert response.status_code == 401


def test_pushes_without_the_csrf_token_are_refused(make_shop):
    people = make_shop()
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.owner.user)

    response = push(client, ORDERS)

    assert response.status_code == 403
    assert Order.objects.count() == 0


def test_orders_land_in_the_pushing_members_shop_only(make_shop):
    first, second = make_shop(), make_shop()

    push(logged_in(second.supervisor), ORDERS)

    assert Order.objects.filter(shop=first.shop).count() == 0
    assert Order.objects.filter(shop=second.shop).count() == 2


def test_an_unknown_platform_is_refused(make_shop):
    people = make_shop()

    response = push(logged_in(people.owner), ORDERS, platform="amazon")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_platform"


# --- the shop site's API key -------------------------------------------------------------------


def push_with_key(key: str, orders: list[dict[str, object]]):  # type: ignore[no-untyped-def]
    # A server, not a browser: no session, no cookie, no CSRF token.
    return Client(enforce_csrf_checks=True).post(
        "/api/orders",
        data=json.dumps({"orders": orders}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def test_the_shop_site_pushes_with_its_api_key_and_no_session(make_shop):
    from kefu.shops import api_keys

    people = make_shop()
    key = api_keys.issue_api_key(actor=people.owner)

    response = push_with_key(key, ORDERS)

    assert response.status_code == 200, response.content
    assert Order.objects.filter(shop=people.shop).count() == 2


def test_a_key_pushes_into_its_own_shop_only(make_shop):
    from kefu.shops import api_keys

    mine, theirs = make_shop(), make_shop()
    key = api_keys.issue_api_key(actor=theirs.owner)

    push_with_key(key, ORDERS)

    assert not Order.objects.filter(shop=mine.shop).exists()
    assert Order.objects.filter(shop=theirs.shop).count() == 2


@pytest.mark.parametrize("key", ["", "kefu_wrong", "x" * 500])
def test_a_wrong_key_is_refused_and_nothing_stored(make_shop, key):
    from kefu.shops import api_keys

    people = make_shop()
    api_keys.issue_api_key(actor=people.owner)

    response = push_with_key(key, ORDERS)

    assert response.status_code == 403, response.content  # no key, and no session either
    assert not Order.objects.exists()


def test_a_new_key_ends_the_old_one_and_the_shop_keeps_only_a_hash(make_shop):
    from kefu.shops import api_keys
    from kefu.shops.models import Shop

    people = make_shop()
    old = api_keys.issue_api_key(actor=people.owner)
    new = api_keys.issue_api_key(actor=people.owner)

    assert push_with_key(old, ORDERS).status_code == 403
    assert push_with_key(new, ORDERS).status_code == 200
    shop = Shop.objects.get(id=people.shop.id)
    assert new not in (shop.api_key_hash, shop.api_key_hint) and shop.api_key_hint == new[-4:]


def test_a_revoked_key_stops_working(make_shop):
    from kefu.shops import api_keys

    people = make_shop()
    key = api_keys.issue_api_key(actor=people.owner)
    api_keys.revoke_api_key(actor=people.owner)

    assert push_with_key(key, ORDERS).status_code == 403


@pytest.mark.parametrize("role", ["supervisor", "agent"])
def test_only_the_owner_issues_keys(make_shop, role):
    from kefu.errors import Forbidden
    from kefu.shops import api_keys

    people = make_shop()
    with pytest.raises(Forbidden):
        api_keys.issue_api_key(actor=getattr(people, role))
