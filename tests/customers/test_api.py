"""The customer panel's JSON API: /api/conversations/{id}/customer and /api/customers/…"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from kefu.chat.models import Visitor
from kefu.customers.models import Customer, CustomerNote, CustomerTag
from tests.customers.panel_factories import chat, customer, order

pytestmark = pytest.mark.django_db


def logged_in(member, *, csrf: bool = False) -> Client:  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(member.user)
    return client


def send(client: Client, method: str, path: str, body: object | None = None):  # type: ignore[no-untyped-def]
    return getattr(client, method)(
        path, data=json.dumps(body) if body is not None else None, content_type="application/json"
    )


def test_the_panel_of_an_unlinked_first_visit(make_shop):
    people = make_shop()
    conv = chat(people.shop)

    answer = logged_in(people.agent).get(f"/api/conversations/{conv.id}/customer")

    assert answer.status_code == 200
    assert answer.json()["customer"] is None and answer.json()["new_visitor"] is True


def test_an_agent_links_by_order_number_and_gets_the_panel_back(make_shop):
    people = make_shop()
    lily = customer(people.shop)
    order(people.shop, lily, 7)
    conv = chat(people.shop)
    client = logged_in(people.agent)

    found = client.get("/api/customers/search", {"q": "TB1007"}).json()["customers"]
    linked = send(client, "post", f"/api/conversations/{conv.id}/customer",
                  {"customer_id": found[0]["id"]})

    assert found[0]["personal"]["phone"] == "138****5678"
    assert linked.status_code == 200
    assert linked.json()["customer"]["nickname"] == "tb_lily"
    assert linked.json()["recent_orders"][0]["amount"] == "199.00"
    assert Visitor.objects.get(id=conv.visitor_id).customer_id == lily.id


def test_search_shows_supervisors_whole_phones(make_shop):
    people = make_shop()
    customer(people.shop)

    found = logged_in(people.supervisor).get("/api/customers/search", {"q": "tb_"}).json()

    assert found["customers"][0]["personal"]["phone"] == "13812345678"


def test_a_too_short_search_is_an_error_a_person_can_read(make_shop):
    people = make_shop()

    answer = logged_in(people.agent).get("/api/customers/search", {"q": "a"})

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "short_query"


def test_unlinking_and_creating_a_site_customer(make_shop):
    people = make_shop()
    conv = chat(people.shop, customer=customer(people.shop))
    client = logged_in(people.agent)

    unlinked = send(client, "delete", f"/api/conversations/{conv.id}/customer")
    created = send(client, "post", f"/api/conversations/{conv.id}/customer/new",
                   {"nickname": "member-88"})

    assert unlinked.json()["customer"] is None
    assert created.json()["customer"]["platform_label"] == "自有网站"
    assert Visitor.objects.get(id=conv.visitor_id).customer.nickname == "member-88"


def test_an_agent_changes_a_type_but_not_personal_data(make_shop):
    people = make_shop()
    lily = customer(people.shop)
    client = logged_in(people.agent)

    typed = send(client, "patch", f"/api/customers/{lily.id}", {"personality": "analytical"})
    refused = send(client, "patch", f"/api/customers/{lily.id}", {"phone": "13900000000"})

    assert typed.status_code == 200
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "personal_data"
    lily.refresh_from_db()
    assert (lily.personality, lily.phone) == ("analytical", "13812345678")


def test_an_unknown_type_value_is_refused(make_shop):
    people = make_shop()
    lily = customer(people.shop)

    answer = send(logged_in(people.agent), "patch", f"/api/customers/{lily.id}",
                  {"personality": "grumpy"})

    assert answer.status_code == 400 and answer.json()["error"]["code"] == "bad_type"


def test_notes_are_added_and_only_their_author_deletes_them(make_shop):
    people = make_shop()
    lily = customer(people.shop)
    mine = logged_in(people.agent)

    added = send(mine, "post", f"/api/customers/{lily.id}/notes", {"text": "喜欢红色"})
    note_id = added.json()["note"]["id"]
    other = customer(people.shop, "tb_other")
    via_another_customer = send(mine, "delete", f"/api/customers/{other.id}/notes/{note_id}")
    by_colleague = send(
        logged_in(people.agent2), "delete", f"/api/customers/{lily.id}/notes/{note_id}"
    )
    by_author = send(mine, "delete", f"/api/customers/{lily.id}/notes/{note_id}")

    assert added.json()["note"]["author"] == "小美"
    assert via_another_customer.status_code == 404
    assert by_colleague.status_code == 403
    assert by_author.status_code == 200
    assert not CustomerNote.objects.filter(id=note_id).exists()


def test_tags_are_added_and_removed(make_shop):
    people = make_shop()
    lily = customer(people.shop)
    client = logged_in(people.agent)

    added = send(client, "post", f"/api/customers/{lily.id}/tags", {"name": "推荐过朋友"})
    removed = send(client, "delete", f"/api/customers/{lily.id}/tags/推荐过朋友")

    assert added.json()["tags"] == ["推荐过朋友"]
    assert removed.json()["tags"] == []
    assert not CustomerTag.objects.exists()


def test_another_shops_customer_and_conversation_are_not_found(make_shop):
    ours, theirs = make_shop(), make_shop()
    their_customer = customer(theirs.shop)
    their_conv = chat(theirs.shop, customer=their_customer)
    client = logged_in(ours.owner)

    assert client.get(f"/api/conversations/{their_conv.id}/customer").status_code == 404
    assert send(client, "patch", f"/api/customers/{their_customer.id}",
                {"personality": "amiable"}).status_code == 404
    assert send(client, "post", f"/api/customers/{their_customer.id}/notes",
                {"text": "x"}).status_code == 404
    assert Customer.objects.get(id=their_customer.id).personality == ""


def test_anonymous_requests_and_writes_without_csrf_are_refused(make_shop):
    people = make_shop()
    lily = customer(people.shop)
    conv = chat(people.shop)

    anonymous = Client().get(f"/api/conversations/{conv.id}/customer")
    no_csrf = send(logged_in(people.agent, csrf=True), "post",
                   f"/api/conversations/{conv.id}/customer", {"customer_id": lily.id})

    assert anonymous.status_code == 401
    assert no_csrf.status_code in (401, 403)
    assert Visitor.objects.get(id=conv.visitor_id).customer_id is None


def test_an_agent_confirms_the_suggested_buying_behaviour_through_the_service(make_shop):
    people = make_shop()
    lily = customer(people.shop, suggested_buying="haggler")
    plain = customer(people.shop, "tb_plain")
    agent = logged_in(people.agent)

    confirmed = send(agent, "post", f"/api/customers/{lily.id}/buying/confirm")
    nothing_suggested = send(agent, "post", f"/api/customers/{plain.id}/buying/confirm")

    assert confirmed.status_code == 200
    assert Customer.objects.get(id=lily.id).buying_behaviour == "haggler"
    assert nothing_suggested.status_code == 400
    assert nothing_suggested.json()["error"]["code"] == "no_suggestion"
