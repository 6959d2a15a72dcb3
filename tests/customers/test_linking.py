"""Linking a chat to a customer: by hand (search, link, create) and by the shop site's
signed customer id passed through the widget."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from django.test import Client

from kefu.chat import services as chat_services
from kefu.chat.models import Visitor
from kefu.customers import linking
from kefu.customers.models import Customer
from kefu.errors import Forbidden, NotFound, ServiceError
from tests.customers.panel_factories import chat, customer, order

pytestmark = pytest.mark.django_db


# --- search ---------------------------------------------------------------------------------


def test_search_finds_by_nickname_part_phone_and_exact_order_number(make_shop):
    people = make_shop()
    lily = customer(people.shop, "tb_lily")
    wang = customer(people.shop, "jd_wang", platform="jd", phone="13900001111")
    order(people.shop, wang, 7)

    def found(q: str, actor=people.supervisor):  # type: ignore[no-untyped-def]
        return [c.nickname for c in linking.search_customers(actor=actor, query=q)]

    assert found("LIL") == ["tb_lily"]
    assert found("0000111") == ["jd_wang"]
    assert found("TB1007") == ["jd_wang"]
    assert found("TB100") == []  # order numbers only whole
    assert lily.id not in [c.id for c in linking.search_customers(actor=people.agent, query="jd_")]


def test_agents_find_a_phone_only_by_the_whole_number(make_shop):
    people = make_shop()
    customer(people.shop, "tb_lily", phone="13812345678")

    by_part = linking.search_customers(actor=people.agent, query="1381234")
    by_whole = linking.search_customers(actor=people.agent, query="13812345678")

    assert by_part == []
    assert [c.nickname for c in by_whole] == ["tb_lily"]


def test_search_stays_in_the_actors_shop_and_returns_ten_at_most(make_shop):
    ours, theirs = make_shop(), make_shop()
    for n in range(12):
        customer(ours.shop, f"lily{n}")
    customer(theirs.shop, "lily-elsewhere")

    found = linking.search_customers(actor=ours.agent, query="lily")

    assert len(found) == 10
    assert all(c.shop_id == ours.shop.id for c in found)


@pytest.mark.parametrize("query", ["", " a ", "x" * 65])
def test_search_needs_two_to_sixty_four_characters(make_shop, query):
    people = make_shop()

    with pytest.raises(ServiceError):
        linking.search_customers(actor=people.agent, query=query)


# --- linking by hand ------------------------------------------------------------------------


def test_linking_puts_the_customer_on_every_conversation_of_the_visitor(make_shop):
    people = make_shop()
    lily = customer(people.shop)
    first = chat(people.shop)
    later = chat(people.shop, visitor=first.visitor)

    linking.link_visitor(actor=people.agent, conversation_id=first.id, customer_id=lily.id)

    assert Visitor.objects.get(id=later.visitor_id).customer_id == lily.id


def test_unlinking_forgets_the_customer(make_shop):
    people = make_shop()
    conv = chat(people.shop, customer=customer(people.shop))

    linking.unlink_visitor(actor=people.agent, conversation_id=conv.id)

    assert Visitor.objects.get(id=conv.visitor_id).customer_id is None


def test_another_shops_customer_or_conversation_cannot_be_linked(make_shop):
    ours, theirs = make_shop(), make_shop()
    their_customer = customer(theirs.shop)
    their_conv = chat(theirs.shop)
    our_conv = chat(ours.shop)

    with pytest.raises(NotFound):
        linking.link_visitor(
            actor=ours.agent, conversation_id=our_conv.id, customer_id=their_customer.id
        )
    with pytest.raises(NotFound):
        linking.link_visitor(
            actor=ours.agent, conversation_id=their_conv.id, customer_id=customer(ours.shop).id
        )
    assert Visitor.objects.get(id=our_conv.visitor_id).customer_id is None


def test_creating_a_customer_links_a_new_site_archive_entry(make_shop):
    people = make_shop()
    conv = chat(people.shop)

    linking.create_and_link(
        actor=people.supervisor, conversation_id=conv.id, nickname="member-88", name="周先生"
    )

    made = Visitor.objects.get(id=conv.visitor_id).customer
    assert (made.platform, made.nickname, made.name) == ("site", "member-88", "周先生")


def test_creating_an_existing_site_customer_again_is_refused(make_shop):
    people = make_shop()
    customer(people.shop, "member-88", platform="site")
    conv = chat(people.shop)

    with pytest.raises(ServiceError) as refused:
        linking.create_and_link(actor=people.agent, conversation_id=conv.id, nickname="member-88")

    assert refused.value.code == "exists"


def test_agents_cannot_write_a_name_when_creating(make_shop):
    people = make_shop()
    conv = chat(people.shop)

    with pytest.raises(Forbidden):
        linking.create_and_link(
            actor=people.agent, conversation_id=conv.id, nickname="member-88", name="周先生"
        )
    assert not Customer.objects.filter(nickname="member-88").exists()


# --- the site's signed customer id ----------------------------------------------------------


def signed(shop, site_id: str, secret: str | None = None) -> str:  # type: ignore[no-untyped-def]
    return linking.site_signature(secret=secret or shop.identity_secret, site_customer_id=site_id)


def test_a_valid_signature_links_the_visitor_to_the_site_customer(make_shop):
    people = make_shop()
    visitor = chat(people.shop).visitor
    token = linking.identity_token(
        shop=people.shop,
        site_customer_id="u-42",
        signature=signed(people.shop, "u-42"),
        name="周先生",
    )

    linking.link_signed_visitor(shop_id=people.shop.id, visitor_id=visitor.id, identity=token)

    visitor.refresh_from_db()
    assert (visitor.customer.platform, visitor.customer.nickname) == ("site", "u-42")
    assert visitor.customer.name == "周先生"


def test_a_known_site_customer_is_reused_and_keeps_their_name(make_shop):
    people = make_shop()
    known = customer(people.shop, "u-42", platform="site", name="周先生")
    visitor = chat(people.shop).visitor
    token = linking.identity_token(
        shop=people.shop,
        site_customer_id="u-42",
        signature=signed(people.shop, "u-42"),
        name="冒名",
    )

    linking.link_signed_visitor(shop_id=people.shop.id, visitor_id=visitor.id, identity=token)

    visitor.refresh_from_db()
    assert visitor.customer_id == known.id
    assert Customer.objects.get(id=known.id).name == "周先生"
    assert visitor.nickname == "u-42"  # the signed account, never the unsigned name


def test_replacing_the_identity_secret_ends_the_tokens_it_vouched_for(make_shop):
    from kefu.shops import api_keys

    people = make_shop()
    visitor = chat(people.shop).visitor
    token = linking.identity_token(
        shop=people.shop, site_customer_id="u-42", signature=signed(people.shop, "u-42")
    )

    api_keys.rotate_identity_secret(actor=people.owner)
    linked = linking.link_signed_visitor(
        shop_id=people.shop.id, visitor_id=visitor.id, identity=token
    )

    assert linked is None
    assert Visitor.objects.get(id=visitor.id).customer_id is None


def test_a_token_older_than_a_day_links_nobody(make_shop, monkeypatch):
    people = make_shop()
    visitor = chat(people.shop).visitor
    token = linking.identity_token(
        shop=people.shop, site_customer_id="u-42", signature=signed(people.shop, "u-42")
    )
    monkeypatch.setattr(linking, "IDENTITY_MAX_AGE", -1)  # as if a day had passed

    assert linking.link_signed_visitor(
        shop_id=people.shop.id, visitor_id=visitor.id, identity=token
    ) is None


@pytest.mark.parametrize("forgery", ["forged", "other_shop", "too_long", "missing"])
def test_a_forged_or_foreign_signature_is_never_trusted(make_shop, forgery):
    people, other = make_shop(), make_shop()
    site_id = "u-42" * 20 if forgery == "too_long" else "u-42"
    signature = {
        "forged": "0" * 64,
        "other_shop": signed(people.shop, site_id, secret=other.shop.identity_secret),
        "too_long": signed(people.shop, site_id),
        "missing": "",
    }[forgery]

    token = linking.identity_token(shop=people.shop, site_customer_id=site_id, signature=signature)

    assert token == ""


def test_a_token_issued_for_another_shop_does_not_link(make_shop):
    people, other = make_shop(), make_shop()
    visitor = chat(people.shop).visitor
    theirs = linking.identity_token(
        shop=other.shop, site_customer_id="u-42", signature=signed(other.shop, "u-42")
    )

    linked = linking.link_signed_visitor(
        shop_id=people.shop.id, visitor_id=visitor.id, identity=theirs
    )

    assert linked is None
    visitor.refresh_from_db()
    assert visitor.customer_id is None


def widget_identity(shop, **params: str) -> str:  # type: ignore[no-untyped-def]
    page = Client().get(f"/w/{shop.public_key}/", params)
    assert page.status_code == 200
    return page.context["config"]["identity"]


def test_the_widget_page_vouches_only_for_a_correct_signature(make_shop):
    people, other = make_shop(), make_shop()

    good = widget_identity(people.shop, customer="u-42", customer_sig=signed(people.shop, "u-42"))
    forged = widget_identity(people.shop, customer="u-42", customer_sig="ab" * 32)
    foreign = widget_identity(
        people.shop,
        customer="u-42",
        customer_sig=signed(people.shop, "u-42", secret=other.shop.identity_secret),
    )

    assert good and forged == "" and foreign == ""


@pytest.mark.django_db(transaction=True)
def test_a_visitor_who_writes_from_a_signed_page_is_linked(live_server_asgi, make_shop):
    people = make_shop()
    identity = widget_identity(
        people.shop,
        customer="u-42",
        customer_sig=signed(people.shop, "u-42"),
        customer_name="周先生",
    )
    url = f"{live_server_asgi.ws_url}/ws/visitor?key={people.shop.public_key}&identity={identity}"

    async def say_hello() -> None:
        async with websockets.connect(url) as ws, asyncio.timeout(5):
            await ws.send(json.dumps({"type": "message", "client_id": "c1", "text": "在吗"}))
            while json.loads(await ws.recv())["type"] != "ack":
                pass

    asyncio.run(say_hello())

    visitor = Visitor.objects.select_related("customer").get(shop=people.shop)
    assert (visitor.customer.platform, visitor.customer.nickname) == ("site", "u-42")


@pytest.mark.django_db(transaction=True)
def test_a_forged_identity_on_the_socket_links_nobody(live_server_asgi, make_shop):
    people = make_shop()
    url = f"{live_server_asgi.ws_url}/ws/visitor?key={people.shop.public_key}&identity=u-42:forged"

    async def say_hello() -> None:
        async with websockets.connect(url) as ws, asyncio.timeout(5):
            await ws.send(json.dumps({"type": "message", "client_id": "c1", "text": "在吗"}))
            while json.loads(await ws.recv())["type"] != "ack":
                pass

    asyncio.run(say_hello())

    assert Visitor.objects.get(shop=people.shop).customer_id is None
    assert not Customer.objects.filter(shop=people.shop).exists()


@pytest.mark.django_db(transaction=True)
def test_a_returning_visitor_is_linked_when_the_chat_opens(live_server_asgi, make_shop):
    people = make_shop()
    visitor = chat(people.shop).visitor
    token = chat_services.visitor_token(visitor)
    identity = widget_identity(people.shop, customer="u-7", customer_sig=signed(people.shop, "u-7"))
    url = (
        f"{live_server_asgi.ws_url}/ws/visitor?key={people.shop.public_key}"
        f"&token={token}&identity={identity}"
    )

    async def open_chat() -> None:
        async with websockets.connect(url) as ws, asyncio.timeout(5):
            while json.loads(await ws.recv())["type"] != "ready":
                pass

    asyncio.run(open_chat())

    visitor.refresh_from_db()
    assert visitor.customer.nickname == "u-7"


def test_only_the_owner_sees_the_identity_secret_on_the_settings_page(make_shop):
    people = make_shop()

    def page_of(member) -> str:  # type: ignore[no-untyped-def]
        client = Client()
        client.force_login(member.user)
        return client.get("/desk/settings/").content.decode()

    assert people.shop.identity_secret in page_of(people.owner)
    assert people.shop.identity_secret not in page_of(people.supervisor)
    assert people.shop.identity_secret not in page_of(people.agent)


# --- the workbench calls a linked visitor by the customer's name ----------------------------


def test_a_linked_chat_is_listed_under_the_customers_account_name_until_unlinked(
    make_shop, django_capture_on_commit_callbacks
):
    from kefu.chat import wire

    people = make_shop()
    visitor = Visitor.objects.create(shop=people.shop)
    Visitor.objects.filter(id=visitor.id).update(
        nickname=f"访客{visitor.public_id.hex[:4].upper()}"
    )
    conv = chat(people.shop, visitor=Visitor.objects.get(id=visitor.id))
    lily = customer(people.shop, "tb_lily")
    anonymous = wire.conversation_dict(
        chat_services.get_conversation_for(actor=people.agent, conversation_id=conv.id)
    )["visitor"]

    with django_capture_on_commit_callbacks() as published:
        linking.link_visitor(actor=people.agent, conversation_id=conv.id, customer_id=lily.id)
    listed = wire.conversation_dict(
        chat_services.get_conversation_for(actor=people.agent, conversation_id=conv.id)
    )
    linking.unlink_visitor(actor=people.agent, conversation_id=conv.id)
    unlinked = Visitor.objects.get(id=conv.visitor_id).nickname

    assert anonymous.startswith("访客")
    assert listed["visitor"] == "tb_lily"
    assert len(published) == 1  # the open workbenches hear of the new name after commit
    assert unlinked == anonymous
