"""The script library and suggest(): methods per situation, ranking, filling, the checker."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kefu.assist.labels import OBJECTION_TYPES
from kefu.assist.script_library import TEMPLATE_VARIABLES, VARIABLE_PATTERN, load_library
from kefu.assist.scripts import (
    closing_techniques,
    fill_template,
    guide_for_complaint,
    methods_for,
    suggest,
)


@dataclass(frozen=True)
class FakeAnalysis:
    """Stands in for kefu.assist.analysis.Analysis: suggest() only reads these fields."""

    text: str
    intent: str
    objection_type: str | None = None
    emotion: str = "neutral"


def objection(kind: str, text: str = "", emotion: str = "neutral") -> FakeAnalysis:
    return FakeAnalysis(text=text, intent="objection", objection_type=kind, emotion=emotion)


ALL_TEMPLATES = load_library().all_templates()


@pytest.mark.parametrize("kind", sorted(OBJECTION_TYPES))
def test_every_objection_type_has_three_methods_with_two_templates_each(kind: str) -> None:
    methods = methods_for(f"objection:{kind}")

    assert len({m.method_id for m in methods}) >= 3
    assert all(len(m.templates) >= 2 and m.why and m.method for m in methods)


@pytest.mark.parametrize("emotion", ["angry", "dissatisfied", "hesitant"])
def test_difficult_emotions_have_handling_steps(emotion: str) -> None:
    steps = methods_for(f"emotion:{emotion}")

    assert len(steps) >= 3
    assert all(len(s.templates) >= 2 for s in steps)


def test_price_objection_offers_the_price_methods_of_the_handbook() -> None:
    names = {m.method for m in methods_for("objection:price")}

    assert {"比较法", "拆散法", "平均法", "赞美法", "得失法", "底牌法", "老实法"} <= names
    assert {"分析法", "提醒法", "投资法", "补偿法"} <= names


def test_templates_use_only_documented_variables() -> None:
    used = {name for _, _, t in ALL_TEMPLATES for name in VARIABLE_PATTERN.findall(t)}

    assert used <= set(TEMPLATE_VARIABLES)


def test_no_template_is_shipped_twice() -> None:
    texts = [t for _, _, t in ALL_TEMPLATES]

    assert len(texts) == len(set(texts))


def test_templates_avoid_absolutes_and_but_after_praise() -> None:
    banned = ("一定", "保证", "绝对", "肯定", "百分百", "永远", "但是", "可是", "不过")

    offenders = [t for _, _, t in ALL_TEMPLATES if any(word in t for word in banned)]

    assert offenders == []


@pytest.mark.parametrize(("situation", "method_id", "template"), ALL_TEMPLATES)
def test_every_template_passes_the_checker(situation: str, method_id: str, template: str) -> None:
    from kefu.assist.checker import check_reply

    findings = check_reply(template)

    assert findings == [], f"{situation}/{method_id}: {findings}"


def test_suggestions_for_a_price_objection_are_labelled_price_methods() -> None:
    suggestions = suggest(objection("price", "太贵了"))

    assert len(suggestions) == 6
    assert all(s.situation == "objection:price" for s in suggestions)
    assert len({s.method_id for s in suggestions}) == 6


def test_a_cue_in_the_message_ranks_the_fitting_method_first() -> None:
    cheaper_elsewhere = suggest(objection("price", "别家才卖25，你们怎么贵这么多"))
    haggling = suggest(objection("price", "能便宜点吗"))

    assert cheaper_elsewhere[0].method == "比较法"
    assert haggling[0].method == "底牌法"


def test_traditional_chinese_cues_are_read_after_normalising() -> None:
    suggestions = suggest(objection("authority", "我要問問我老公"))

    assert suggestions[0].method_id == "decision_maker"


def test_angry_customer_is_calmed_before_the_objection_is_handled() -> None:
    suggestions = suggest(objection("product", "质量这么差还好意思卖！", emotion="angry"))

    assert suggestions[0].situation == "emotion:angry"
    assert any(s.situation == "objection:product" for s in suggestions[:3])


def test_timing_objection_also_gets_closing_techniques() -> None:
    suggestions = suggest(objection("timing", "我再考虑一下"))

    assert {"objection:timing", "closing"} <= {s.situation for s in suggestions}


def test_hesitant_customer_gets_hesitation_steps_and_closing() -> None:
    hesitant = FakeAnalysis(text="不知道选哪个好", intent="inquiry", emotion="hesitant")

    situations = {s.situation for s in suggest(hesitant)}

    assert situations == {"emotion:hesitant", "closing"}


def test_complaint_gets_the_six_steps_in_order() -> None:
    complaint = FakeAnalysis(text="收到的杯子是碎的", intent="complaint", emotion="angry")

    suggestions = suggest(complaint)

    assert [s.method for s in suggestions] == [step.name for step in guide_for_complaint()]


def test_plain_inquiry_gets_no_suggestion() -> None:
    assert suggest(FakeAnalysis(text="有M码吗", intent="inquiry")) == []


def test_limit_caps_the_number_of_suggestions() -> None:
    assert len(suggest(objection("price", "太贵了"), limit=2)) == 2
    assert suggest(objection("price", "太贵了"), limit=0) == []


def test_known_variables_are_filled_and_unknown_ones_stay() -> None:
    filled = fill_template("{商品}现在{价格}元，送{赠品}", {"商品": "羊毛衫", "价格": "199"})

    assert filled == "羊毛衫现在199元，送{赠品}"


def test_suggest_fills_variables_but_keeps_the_template() -> None:
    [suggestion] = [
        s
        for s in suggest(objection("price", "太贵了"), limit=20, variables={"商品": "羊毛衫"})
        if "{商品}" in s.template
    ][:1]

    assert "{商品}" not in suggestion.text
    assert "羊毛衫" in suggestion.text


def test_same_message_always_gets_the_same_wording() -> None:
    first = suggest(objection("source", "是正品吗"))
    again = suggest(objection("source", "是正品吗"))

    assert first == again


def test_complaint_guide_has_six_steps_with_what_to_say_and_what_never_to_say() -> None:
    guide = guide_for_complaint()

    assert [step.number for step in guide] == [1, 2, 3, 4, 5, 6]
    assert guide[0].name == "鼓励发泄"
    assert all(step.templates and step.never_say for step in guide)


def test_closing_techniques_include_either_or_and_scarcity() -> None:
    ids = {m.method_id for m in closing_techniques()}

    assert {"either_or", "limited", "help_choose", "alternative"} <= ids


def test_unknown_situation_is_an_error() -> None:
    with pytest.raises(ValueError):
        methods_for("complaint")


def test_what_to_say_instead_in_a_complaint_passes_the_checker() -> None:
    from kefu.assist.checker import check_reply

    instead = [n.instead for step in guide_for_complaint() for n in step.never_say]

    assert [check_reply(text) for text in instead] == [[] for _ in instead]
