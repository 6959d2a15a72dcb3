"""Shop settings and members: owners decide, others are refused, nothing half-saved."""

from __future__ import annotations

import pytest

from kefu.errors import Forbidden, ServiceError
from kefu.shops import services as shop_services
from kefu.shops.models import Role, Shop

pytestmark = pytest.mark.django_db


def test_the_owner_changes_the_shop_settings(make_shop):
    people = make_shop()
    shop = shop_services.update_shop_settings(
        actor=people.owner, announcement="今晚8点上新", busy_message="前面{排队人数}位",
        open_days="531",
    )
    assert shop.announcement == "今晚8点上新" and shop.open_days == "135"


@pytest.mark.parametrize("role", ["supervisor", "agent"])
def test_only_the_owner_changes_settings(make_shop, role):
    people = make_shop()
    actor = people.supervisor if role == "supervisor" else people.agent
    with pytest.raises(Forbidden):
        shop_services.update_shop_settings(actor=actor, announcement="x")


def test_invalid_settings_save_nothing(make_shop):
    people = make_shop()
    with pytest.raises(ServiceError):
        shop_services.update_shop_settings(actor=people.owner, announcement="好", open_days="79")
    with pytest.raises(ServiceError):
        shop_services.update_shop_settings(actor=people.owner, name="  ")
    assert Shop.objects.get(id=people.shop.id).announcement == ""


def test_the_owner_adds_an_agent_who_can_log_in(make_shop, client):
    people = make_shop()
    member = shop_services.create_member(
        actor=people.owner, username="new-agent", password="good-pass-123",
        display_name="新人", role=Role.AGENT, capacity=3,
    )
    assert member.shop == people.shop and member.effective_capacity == 3
    assert client.login(username="new-agent", password="good-pass-123")


def test_weak_passwords_and_taken_names_are_refused(make_shop):
    people = make_shop()
    with pytest.raises(ServiceError) as weak:
        shop_services.create_member(actor=people.owner, username="x1", password="123",
                                    display_name="x")
    assert weak.value.code == "weak_password"
    with pytest.raises(ServiceError) as taken:
        shop_services.create_member(actor=people.owner, username=people.agent.user.username,
                                    password="good-pass-123", display_name="x")
    assert taken.value.code == "username_taken"


def test_an_agent_cannot_add_colleagues(make_shop):
    people = make_shop()
    with pytest.raises(Forbidden):
        shop_services.create_member(actor=people.agent, username="x2", password="good-pass-123",
                                    display_name="x")


def test_owner_changes_role_and_capacity_but_not_their_own_ownership(make_shop):
    people = make_shop()
    member = shop_services.update_member(
        actor=people.owner, member_id=people.agent.id, role=Role.SUPERVISOR, capacity=12
    )
    assert member.role == Role.SUPERVISOR and member.capacity == 12
    with pytest.raises(ServiceError):
        shop_services.update_member(actor=people.owner, member_id=people.owner.id, role="agent")
    with pytest.raises(ServiceError):
        shop_services.update_member(actor=people.owner, member_id=people.agent.id, capacity=9999)


def test_members_of_another_shop_are_out_of_reach(make_shop):
    ours, theirs = make_shop(), make_shop()
    with pytest.raises(ServiceError) as err:
        shop_services.update_member(actor=ours.owner, member_id=theirs.agent.id, capacity=1)
    assert err.value.code == "no_member"
    assert {m.shop_id for m in shop_services.list_members(actor=ours.owner)} == {ours.shop.id}


@pytest.mark.parametrize("field,value,code", [
    ("faq_threshold", 1.5, "bad_threshold"),
    ("faq_threshold", -0.1, "bad_threshold"),
    ("free_shipping_threshold", -1, "bad_free_shipping"),
])
def test_shop_rules_out_of_range_are_refused(make_shop, field, value, code):
    people = make_shop()
    with pytest.raises(ServiceError) as err:
        shop_services.update_shop_settings(actor=people.owner, **{field: value})
    assert err.value.code == code
