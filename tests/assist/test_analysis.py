"""analyze(): what an agent sees about a customer message, on the model trained from the repo data.

The model is loaded from the shipped artefact when current, else trained at most once per
test session (cached under a temporary KEFU_DATA_DIR shared with test_cli.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from kefu.assist import Analysis, analyze, model_store
from kefu.assist.classifier import TrainingConfig, train
from kefu.assist.dataset import LabelledMessage
from kefu.assist.features import FeatureConfig


@pytest.fixture(scope="module", autouse=True)
def trained_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # One cache per test session, shared by the modules: the model trains at most once.
    cache = tmp_path_factory.getbasetemp() / "kefu-model-cache"
    cache.mkdir(exist_ok=True)
    patch = pytest.MonkeyPatch()
    patch.setenv("KEFU_DATA_DIR", str(cache))
    model_store.use_classifier(None)
    yield
    model_store.use_classifier(None)
    patch.undo()


def test_a_price_complaint_with_a_cheaper_rival_is_a_price_objection() -> None:
    result = analyze("这个也太贵了吧，别家才卖80")

    assert (result.intent, result.objection_type) == ("objection", "price")


@pytest.mark.parametrize(
    "text", ["不贵", "价格不贵，我想问下有没有大码", "没觉得贵，就是想问问什么时候发货"]
)
def test_a_negated_price_word_is_not_a_price_objection(text: str) -> None:
    result = analyze(text)

    assert result.objection_type != "price"


def test_traditional_chinese_reads_like_simplified() -> None:
    traditional = analyze("這個太貴了，能便宜點嗎")
    simplified = analyze("这个太贵了，能便宜点吗")

    assert (traditional.intent, traditional.objection_type, traditional.emotion) == (
        simplified.intent,
        simplified.objection_type,
        simplified.emotion,
    )


def test_a_bare_thanks_with_a_smile_emoticon_is_a_happy_closing() -> None:
    result = analyze("好的谢谢[微笑]")

    assert (result.intent, result.emotion) == ("closing", "positive")


@pytest.mark.parametrize("text", ["👌", "[微笑]"])
def test_a_smile_on_its_own_answers_like_ok(text: str) -> None:
    result = analyze(text)

    assert (result.intent, result.emotion) == ("closing", "positive")


def test_a_broken_emoji_half_does_not_break_the_reading() -> None:
    result = analyze("\ud83d好的谢谢")

    assert result.intent == "closing"


def test_a_lone_exclamation_mark_is_not_anger() -> None:
    result = analyze("你好!")

    assert result.emotion != "angry"


def test_threats_and_an_angry_emoji_read_as_angry() -> None:
    result = analyze("等了十天还没到，再不处理我就投诉你们，差评😡")

    assert result.emotion == "angry"


def test_indecision_reads_as_hesitant_timing() -> None:
    result = analyze("有点纠结，我再看看吧")

    assert (result.objection_type, result.emotion) == ("timing", "hesitant")


def test_asking_if_goods_are_genuine_is_a_source_objection() -> None:
    result = analyze("你们家是正品吗？不会是高仿吧")

    assert (result.intent, result.objection_type) == ("objection", "source")


def test_a_masked_order_number_does_not_stop_a_shipping_question() -> None:
    result = analyze("[订单x] 这个单什么时候发货")

    assert result.intent == "order"


def test_an_empty_message_is_other_and_neutral_with_no_confidence() -> None:
    result = analyze("   ")

    assert (result.intent, result.objection_type, result.emotion) == ("other", None, "neutral")
    assert result.confidence == {"intent": 0.0, "emotion": 0.0}
    assert result.evidence == ()


def test_a_100_kb_message_is_read_without_error() -> None:
    result = analyze("这个太贵了，" * 20_000)

    assert result.intent == "objection"


def test_every_prediction_comes_with_evidence_for_its_own_label_kind() -> None:
    result = analyze("太贵了，能便宜点吗")

    kinds = {item.label_kind for item in result.evidence}
    assert kinds == {"intent", "objection_type", "emotion"}
    assert all(item.weight > 0 for item in result.evidence)


def test_the_price_cue_is_named_in_the_evidence_of_a_price_objection() -> None:
    result = analyze("太贵了，能便宜点吗")

    features = {item.feature for item in result.evidence if item.label_kind == "objection_type"}
    assert "cue:price" in features


def test_objection_type_confidence_appears_only_for_objections() -> None:
    objection = analyze("太贵了")
    greeting = analyze("你好，在吗")

    assert "objection_type" in objection.confidence
    assert greeting.objection_type is None and "objection_type" not in greeting.confidence


def test_confidences_are_probabilities() -> None:
    result = analyze("太贵了")

    assert all(0.0 < value <= 1.0 for value in result.confidence.values())


def test_an_analysis_cannot_be_changed_after_the_fact() -> None:
    result = analyze("你好")

    with pytest.raises(dataclasses.FrozenInstanceError):
        result.intent = "complaint"  # type: ignore[misc]
    assert isinstance(result, Analysis)


def test_a_bare_ok_after_an_agent_offer_closes_the_point() -> None:
    result = analyze("嗯", context=["亲，现在下单送您一个收纳袋，可以吗？"])

    assert result.intent == "closing"
    assert result.confidence["intent"] >= 0.9


def test_an_elliptical_follow_up_continues_the_earlier_question() -> None:
    result = analyze("那L码呢", context=["这款连衣裙有M码吗", "M码有货的亲"])

    assert result.intent == "inquiry"


def test_without_context_the_message_is_read_on_its_own() -> None:
    alone = analyze("那L码呢")
    with_empty_context = analyze("那L码呢", context=())

    assert alone == with_empty_context


def test_a_bare_order_card_is_data_not_a_request() -> None:
    result = analyze("[订单编号:[订单x]，订单金额:[金额x]，下单时间:[日期x] [时间x]]")

    assert result.intent == "other"


def test_a_greeting_that_goes_on_to_ask_is_not_a_greeting() -> None:
    result = analyze("您好，我想问一下我买的东西什么时候能送到")

    assert result.intent == "order"


def test_asking_for_price_protection_is_after_sales_not_a_price_objection() -> None:
    result = analyze("昨天买的降价了，帮我申请一下价保")

    assert result.intent == "after_sales"


def test_asking_how_to_use_received_goods_is_after_sales() -> None:
    result = analyze("收到了，但是我不会弄，怎么连蓝牙")

    assert result.intent == "after_sales"


def test_a_given_classifier_reads_without_swapping_the_shared_model() -> None:
    # given a tiny model that only knows greetings and closings
    tiny = train(
        [
            LabelledMessage("在吗", "greeting", None, "neutral"),
            LabelledMessage("你好", "greeting", None, "neutral"),
            LabelledMessage("好的谢谢", "closing", None, "positive"),
            LabelledMessage("谢谢亲", "closing", None, "positive"),
        ],
        TrainingConfig(features=FeatureConfig(min_df=1)),
    )
    # when a price objection is read with it
    result = analyze("太贵了，便宜点", classifier=tiny)
    # then it answers with its own labels, and the shared model still reads the objection
    assert result.intent in {"greeting", "closing"}
    assert analyze("太贵了，便宜点").intent == "objection"
