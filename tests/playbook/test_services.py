"""Quick replies: scoped to the shop, variables filled, only owners and supervisors edit."""

from __future__ import annotations

import pytest

from kefu.errors import Forbidden, NotFound, ServiceError
from kefu.playbook import services as playbook_services

pytestmark = pytest.mark.django_db


def test_variables_are_filled_and_unknown_ones_kept():
    text = playbook_services.fill_variables(
        "{客户}您好，我是{客服}，{店铺}欢迎您 {商品}", customer="小王", agent="小美", shop="暖暖"
    )
    assert text == "小王您好，我是小美，暖暖欢迎您 {商品}"


def test_search_finds_keyword_hits_first_and_stays_in_the_shop(make_shop):
    people, other = make_shop(), make_shop()
    playbook_services.create_quick_reply(actor=people.owner, keyword="退货", text="七天无理由退换")
    playbook_services.create_quick_reply(actor=people.owner, keyword="发货", text="当天发货")
    playbook_services.create_quick_reply(actor=other.owner, keyword="发货", text="别家")
    found = playbook_services.list_quick_replies(actor=people.agent, query="发")
    assert [r.keyword for r in found] == ["发货"]


def test_agents_cannot_edit_quick_replies(make_shop):
    people = make_shop()
    with pytest.raises(Forbidden):
        playbook_services.create_quick_reply(actor=people.agent, keyword="a", text="b")
    reply = playbook_services.create_quick_reply(actor=people.supervisor, keyword="a", text="b")
    with pytest.raises(Forbidden):
        playbook_services.delete_quick_reply(actor=people.agent, quick_reply_id=reply.id)


def test_duplicate_keywords_and_empty_text_are_refused(make_shop):
    people = make_shop()
    playbook_services.create_quick_reply(actor=people.owner, keyword="尺码", text="看详情页")
    with pytest.raises(ServiceError) as dup:
        playbook_services.create_quick_reply(actor=people.owner, keyword="/尺码", text="x")
    assert dup.value.code == "keyword_taken"
    with pytest.raises(ServiceError):
        playbook_services.create_quick_reply(actor=people.owner, keyword="空", text="  ")


def test_another_shops_reply_cannot_be_deleted(make_shop):
    ours, theirs = make_shop(), make_shop()
    reply = playbook_services.create_quick_reply(actor=theirs.owner, keyword="k", text="t")
    with pytest.raises(NotFound):
        playbook_services.delete_quick_reply(actor=ours.owner, quick_reply_id=reply.id)
