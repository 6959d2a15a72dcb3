"""The archive's rules: who sees personal data whole, who changes what, tags and notes."""

from __future__ import annotations

import datetime as dt

import pytest

from kefu.customers import archive
from kefu.customers.models import Customer, CustomerNote, CustomerTag
from kefu.errors import Forbidden, NotFound, ServiceError
from tests.customers.factories import make_customer, make_note

pytestmark = pytest.mark.django_db

PERSONAL = {
    "name": "张小花",
    "phone": "13812345678",
    "address": "浙江省杭州市西湖区文三路 100 号",
    "birthday": dt.date(1990, 5, 20),
}


# --- seeing personal data -------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "supervisor"])
def test_owners_and_supervisors_see_personal_data_whole(make_shop, role):
    people = make_shop()
    customer = make_customer(people.shop, **PERSONAL)

    seen = archive.personal_data(customer, getattr(people, role))

    assert seen == {
        "name": "张小花",
        "phone": "13812345678",
        "address": "浙江省杭州市西湖区文三路 100 号",
        "birthday": "1990-05-20",
    }


def test_agents_see_personal_data_masked(make_shop):
    people = make_shop()
    customer = make_customer(people.shop, **PERSONAL)

    seen = archive.personal_data(customer, people.agent)

    assert seen == {
        "name": "张**",
        "phone": "138****5678",
        "address": "浙江省杭州市****",
        "birthday": "05-20",
    }


def test_masking_keeps_empty_and_short_values_short():
    assert archive.mask_name("") == ""
    assert archive.mask_name("欧阳娜娜娜") == "欧***"
    assert archive.mask_phone("12345") == "*****"
    assert archive.mask_address("") == ""
    assert archive.mask_address("杭州") == "****"


# --- changing the profile -------------------------------------------------------------------


def test_agent_cannot_change_personal_data(make_shop):
    people = make_shop()
    customer = make_customer(people.shop, **PERSONAL)

    with pytest.raises(Forbidden):
        archive.update_customer(
            actor=people.agent, customer_id=customer.id, changes={"phone": "13900000000"}
        )

    customer.refresh_from_db()
    assert customer.phone == "13812345678"


def test_agent_changes_types(make_shop):
    people = make_shop()
    customer = make_customer(people.shop)

    archive.update_customer(
        actor=people.agent,
        customer_id=customer.id,
        changes={"personality": "dominant", "price_attitude": "tests"},
    )

    customer.refresh_from_db()
    assert (customer.personality, customer.price_attitude) == ("dominant", "tests")


def test_supervisor_changes_personal_data_and_clears_the_birthday(make_shop):
    people = make_shop()
    customer = make_customer(people.shop, **PERSONAL)

    archive.update_customer(
        actor=people.supervisor,
        customer_id=customer.id,
        changes={"name": "  李四 ", "birthday": ""},
    )

    customer.refresh_from_db()
    assert (customer.name, customer.birthday) == ("李四", None)


def test_one_bad_value_saves_nothing(make_shop):
    people = make_shop()
    customer = make_customer(people.shop, **PERSONAL)

    with pytest.raises(ServiceError) as refusal:
        archive.update_customer(
            actor=people.owner,
            customer_id=customer.id,
            changes={"name": "李四", "personality": "grumpy"},
        )

    assert refusal.value.code == "bad_type"
    customer.refresh_from_db()
    assert (customer.name, customer.personality) == ("张小花", "")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"birthday": "20/05/1990"}, "bad_birthday"),
        ({"name": "长" * 61}, "too_long"),
        ({"segment": "gold"}, "bad_field"),
        ({"total_orders": 99}, "bad_field"),
    ],
)
def test_bad_changes_are_refused_with_a_code(make_shop, changes, code):
    people = make_shop()
    customer = make_customer(people.shop)

    with pytest.raises(ServiceError) as refusal:
        archive.update_customer(actor=people.owner, customer_id=customer.id, changes=changes)

    assert refusal.value.code == code
    stored = Customer.objects.get(id=customer.id)
    for field in changes:
        assert getattr(stored, field) == getattr(customer, field)  # nothing of it saved


# --- tags -----------------------------------------------------------------------------------


def test_adding_a_tag_twice_keeps_one(make_shop):
    people = make_shop()
    customer = make_customer(people.shop)

    archive.add_tag(actor=people.agent, customer_id=customer.id, name="老客户")
    archive.add_tag(actor=people.agent2, customer_id=customer.id, name=" 老客户 ")

    assert list(customer.tags.values_list("name", flat=True)) == ["老客户"]


@pytest.mark.parametrize(("name", "code"), [("  ", "empty"), ("长" * 21, "too_long")])
def test_empty_or_long_tags_are_refused(make_shop, name, code):
    people = make_shop()
    customer = make_customer(people.shop)

    with pytest.raises(ServiceError) as refusal:
        archive.add_tag(actor=people.agent, customer_id=customer.id, name=name)

    assert refusal.value.code == code


def test_a_customer_holds_at_most_thirty_tags(make_shop):
    people = make_shop()
    customer = make_customer(people.shop, tags=[f"标签{i}" for i in range(archive.MAX_TAGS)])

    with pytest.raises(ServiceError) as refusal:
        archive.add_tag(actor=people.agent, customer_id=customer.id, name="再来一个")

    assert refusal.value.code == "too_many"
    # …but a tag they already have is still fine
    archive.add_tag(actor=people.agent, customer_id=customer.id, name="标签0")


def test_removing_a_tag(make_shop):
    people = make_shop()
    customer = make_customer(people.shop, tags=["老客户", "拒绝竞品"])

    archive.remove_tag(actor=people.agent, customer_id=customer.id, name="老客户")

    assert list(customer.tags.values_list("name", flat=True)) == ["拒绝竞品"]


# --- notes ----------------------------------------------------------------------------------


def test_a_note_is_signed_by_its_author(make_shop):
    people = make_shop()
    customer = make_customer(people.shop)

    note = archive.add_note(actor=people.agent, customer_id=customer.id, text=" 只要顺丰 ")

    assert (note.text, note.author_id, note.shop_id) == (
        "只要顺丰",
        people.agent.id,
        people.shop.id,
    )


@pytest.mark.parametrize(("text", "code"), [("   ", "empty"), ("字" * 1001, "too_long")])
def test_empty_or_long_notes_are_refused(make_shop, text, code):
    people = make_shop()
    customer = make_customer(people.shop)

    with pytest.raises(ServiceError) as refusal:
        archive.add_note(actor=people.agent, customer_id=customer.id, text=text)

    assert refusal.value.code == code
    assert not CustomerNote.objects.exists()


def test_agents_delete_their_own_notes_only(make_shop):
    people = make_shop()
    customer = make_customer(people.shop)
    mine = make_note(customer, people.agent, "我的")
    theirs = make_note(customer, people.agent2, "同事的")

    archive.delete_note(actor=people.agent, customer_id=mine.customer_id, note_id=mine.id)
    with pytest.raises(Forbidden):
        archive.delete_note(actor=people.agent, customer_id=theirs.customer_id, note_id=theirs.id)

    assert list(CustomerNote.objects.values_list("text", flat=True)) == ["同事的"]


@pytest.mark.parametrize("role", ["owner", "supervisor"])
def test_owners_and_supervisors_delete_any_note(make_shop, role):
    people = make_shop()
    customer = make_customer(people.shop)
    note = make_note(customer, people.agent, "客服写的")

    archive.delete_note(actor=getattr(people, role), customer_id=note.customer_id, note_id=note.id)

    assert not CustomerNote.objects.exists()


# --- another shop's customers ---------------------------------------------------------------


def test_another_shops_customer_is_not_found_for_any_action(make_shop):
    ours, theirs = make_shop(), make_shop()
    customer = make_customer(theirs.shop, **PERSONAL, tags=["老客户"])
    note = make_note(customer, theirs.agent, "他们的备注")
    actor = ours.owner

    for act in (
        lambda: archive.get_customer_for(actor=actor, customer_id=customer.id),
        lambda: archive.update_customer(
            actor=actor, customer_id=customer.id, changes={"name": "改掉"}
        ),
        lambda: archive.add_note(actor=actor, customer_id=customer.id, text="写一笔"),
        lambda: archive.add_tag(actor=actor, customer_id=customer.id, name="新标签"),
        lambda: archive.remove_tag(actor=actor, customer_id=customer.id, name="老客户"),
        lambda: archive.delete_note(actor=actor, customer_id=note.customer_id, note_id=note.id),
    ):
        with pytest.raises(NotFound):
            act()

    customer.refresh_from_db()
    assert customer.name == "张小花"
    assert CustomerNote.objects.filter(id=note.id).exists()
    assert list(CustomerTag.objects.values_list("name", flat=True)) == ["老客户"]
