"""Playbook services: FAQ entries (several phrasings, one answer)."""

from __future__ import annotations

import pytest

from kefu.errors import Forbidden, NotFound, ServiceError
from kefu.playbook import services
from kefu.playbook.models import FaqEntry

pytestmark = pytest.mark.django_db


# --- FAQ entries ----------------------------------------------------------------------------


def test_owner_adds_an_entry_with_one_phrasing_a_line(make_shop):
    people = make_shop()

    entry = services.create_faq_entry(
        actor=people.owner, questions="多久发货\n\n  什么时候发出  \n", answer=" 48小时内发货哦 "
    )

    assert entry.question_list == ["多久发货", "什么时候发出"]
    assert entry.answer == "48小时内发货哦"


def test_repeated_phrasings_are_kept_once(make_shop):
    people = make_shop()

    entry = services.create_faq_entry(
        actor=people.supervisor, questions="多久发货\n多久发货？\n多久發貨", answer="48小时内"
    )

    assert entry.question_list == ["多久发货"]


def test_agent_cannot_add_an_entry(make_shop):
    people = make_shop()

    with pytest.raises(Forbidden):
        services.create_faq_entry(actor=people.agent, questions="多久发货", answer="48小时内")
    assert not FaqEntry.objects.exists()


def test_entry_without_answer_is_refused_in_chinese(make_shop):
    people = make_shop()

    with pytest.raises(ServiceError) as refused:
        services.create_faq_entry(actor=people.owner, questions="多久发货", answer="  ")

    assert refused.value.code == "bad_answer"
    assert "回答" in refused.value.message


def test_entry_without_questions_is_refused(make_shop):
    people = make_shop()

    with pytest.raises(ServiceError) as refused:
        services.create_faq_entry(actor=people.owner, questions="\n \n", answer="好的")

    assert refused.value.code == "bad_questions"


def test_a_phrasing_over_the_limit_is_refused(make_shop):
    people = make_shop()

    with pytest.raises(ServiceError) as refused:
        services.create_faq_entry(actor=people.owner, questions="问" * 201, answer="好的")

    assert refused.value.code == "bad_questions"


def test_question_already_in_another_entry_is_refused(make_shop):
    people = make_shop()
    services.create_faq_entry(actor=people.owner, questions="多久发货", answer="48小时内")

    with pytest.raises(ServiceError) as refused:
        services.create_faq_entry(actor=people.owner, questions="包邮吗\n多久发货？", answer="包邮")

    assert refused.value.code == "question_taken"
    assert FaqEntry.objects.count() == 1


def test_same_question_in_another_shop_is_fine(make_shop):
    first, second = make_shop(), make_shop()
    services.create_faq_entry(actor=first.owner, questions="多久发货", answer="48小时内")

    services.create_faq_entry(actor=second.owner, questions="多久发货", answer="当天发")

    assert FaqEntry.objects.count() == 2


def test_update_keeps_its_own_questions(make_shop):
    people = make_shop()
    entry = services.create_faq_entry(actor=people.owner, questions="多久发货", answer="48小时内")

    services.update_faq_entry(
        actor=people.owner, entry_id=entry.pk, questions="多久发货\n几天发出", answer="当天发"
    )

    entry.refresh_from_db()
    assert (entry.question_list, entry.answer) == (["多久发货", "几天发出"], "当天发")


def test_entry_of_another_shop_is_not_found(make_shop):
    first, second = make_shop(), make_shop()
    entry = services.create_faq_entry(actor=first.owner, questions="多久发货", answer="48小时内")

    with pytest.raises(NotFound):
        services.update_faq_entry(
            actor=second.owner, entry_id=entry.pk, questions="偷改", answer="偷改"
        )
    with pytest.raises(NotFound):
        services.delete_faq_entry(actor=second.owner, entry_id=entry.pk)
    assert FaqEntry.objects.get(id=entry.pk).answer == "48小时内"


def test_agent_cannot_delete_an_entry(make_shop):
    people = make_shop()
    entry = services.create_faq_entry(actor=people.owner, questions="多久发货", answer="48小时内")

    with pytest.raises(Forbidden):
        services.delete_faq_entry(actor=people.agent, entry_id=entry.pk)
    assert FaqEntry.objects.filter(id=entry.pk).exists()


def test_search_finds_by_question_or_answer(make_shop):
    people = make_shop()
    services.create_faq_entry(actor=people.owner, questions="多久发货", answer="48小时内")
    services.create_faq_entry(actor=people.owner, questions="包邮吗", answer="满99包邮")

    found = services.list_faq_entries(actor=people.agent, query="包邮")

    assert [e.answer for e in found] == ["满99包邮"]
