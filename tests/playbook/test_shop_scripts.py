"""Playbook services: the shop's own scripts."""

from __future__ import annotations

import pytest

from kefu.errors import Forbidden, ServiceError
from kefu.playbook import services
from kefu.playbook.models import ShopScript

pytestmark = pytest.mark.django_db


# --- scripts --------------------------------------------------------------------------------


def test_builtin_methods_are_listed_per_situation():
    price_ids = [m.method_id for m in services.builtin_methods("objection:price")]
    complaint_ids = [m.method_id for m in services.builtin_methods("complaint")]

    assert "average" in price_ids
    assert complaint_ids[0] == "complaint_vent"
    assert services.builtin_methods("objection:nonsense") == ()


def test_every_situation_of_the_brief_is_offered():
    assert len([s for s in services.SITUATIONS if s.startswith("objection:")]) == 9
    assert {
        "emotion:angry",
        "emotion:dissatisfied",
        "emotion:hesitant",
        "closing",
        "complaint",
    } <= set(services.SITUATIONS)


def test_script_replacing_a_builtin_takes_its_name_when_left_blank(make_shop):
    people = make_shop()

    saved = services.create_script(
        actor=people.owner,
        situation="objection:price",
        method="",
        method_id="average",
        text="亲，这件能穿好几年，算下来每天不到{日均}元呢～",
    )

    assert (saved.script.method, saved.script.method_id) == ("平均法", "average")
    assert saved.script.why  # the built-in reason carries over
    assert saved.warnings == ()


def test_script_with_a_method_id_of_another_situation_is_refused(make_shop):
    people = make_shop()

    with pytest.raises(ServiceError) as refused:
        services.create_script(
            actor=people.owner,
            situation="emotion:angry",
            method="",
            method_id="average",
            text="亲，您先别着急～",
        )

    assert refused.value.code == "bad_method_id"
    assert not ShopScript.objects.exists()


def test_script_with_an_unknown_situation_is_refused(make_shop):
    people = make_shop()

    with pytest.raises(ServiceError) as refused:
        services.create_script(actor=people.owner, situation="weather", method="x", text="好的")

    assert refused.value.code == "bad_situation"


def test_script_that_the_checker_flags_is_saved_with_a_warning(make_shop):
    people = make_shop()

    saved = services.create_script(
        actor=people.owner,
        situation="objection:price",
        method="硬气法",
        text="不能便宜，爱买不买。",
    )

    assert ShopScript.objects.filter(id=saved.script.pk).exists()
    assert saved.warnings


def test_script_with_an_unknown_variable_is_warned_about(make_shop):
    people = make_shop()

    saved = services.create_script(
        actor=people.owner, situation="closing", method="催单法", text="亲，{名字}今天拍下就发哦～"
    )

    assert any("{名字}" in w for w in saved.warnings)


def test_agent_cannot_add_a_script(make_shop):
    people = make_shop()

    with pytest.raises(Forbidden):
        services.create_script(
            actor=people.agent, situation="closing", method="催单法", text="亲，今天发货哦～"
        )
