"""Playbook services: the shop's banned and discouraged words."""

from __future__ import annotations

import pytest

from kefu.errors import Forbidden, ServiceError
from kefu.playbook import services
from kefu.playbook.models import CheckerTerm

pytestmark = pytest.mark.django_db


# --- banned words ---------------------------------------------------------------------------


def test_shop_term_is_flagged_by_the_checker(make_shop):
    from kefu.assist import check_reply

    people = make_shop()
    services.create_checker_term(
        actor=people.owner,
        term="清仓",
        category="negative",
        severity="high",
        suggestion="说“限时特惠”",
    )

    findings = check_reply("这款在清仓呢", extra_terms=services.shop_terms(people.shop.id))

    assert [(f.text, f.severity) for f in findings] == [("清仓", "high")]


def test_term_with_a_category_outside_the_contract_is_refused(make_shop):
    people = make_shop()

    with pytest.raises(ServiceError) as refused:
        services.create_checker_term(
            actor=people.owner, term="清仓", category="spam", severity="high"
        )

    assert refused.value.code == "bad_category"


def test_the_same_term_twice_is_refused_in_chinese(make_shop):
    people = make_shop()
    services.create_checker_term(
        actor=people.owner, term="清仓", category="negative", severity="low"
    )

    with pytest.raises(ServiceError) as refused:
        services.create_checker_term(
            actor=people.supervisor, term=" 清仓 ", category="rude", severity="high"
        )

    assert refused.value.code == "term_taken"
    assert CheckerTerm.objects.count() == 1


def test_agent_cannot_add_a_term(make_shop):
    people = make_shop()

    with pytest.raises(Forbidden):
        services.create_checker_term(
            actor=people.agent, term="清仓", category="negative", severity="low"
        )
