"""The classifier's machinery on a tiny model: cues, training, saving, loading, the dev split."""

from __future__ import annotations

from pathlib import Path

import pytest

from kefu.assist import model_store
from kefu.assist.classifier import Classifier, TrainingConfig, train
from kefu.assist.cues import DIGITS, MASKED, MOOD_CHARS, NEGATED_CHARS, PRICE_GUARD, prepare
from kefu.assist.dataset import DataError, LabelledMessage, is_dev, parse_message
from kefu.assist.features import FeatureConfig
from kefu.assist.labels import INTENTS


def message(text: str, intent: str, emotion: str = "neutral", kind: str | None = None):
    return LabelledMessage(text=text, intent=intent, objection_type=kind, emotion=emotion)


TINY = [
    message("太贵了", "objection", kind="price"),
    message("能便宜点吗", "objection", kind="price"),
    message("别家才卖五十", "objection", kind="price"),
    message("我再考虑一下", "objection", "hesitant", "timing"),
    message("等双十一再买", "objection", kind="timing"),
    message("我再看看吧", "objection", "hesitant", "timing"),
    message("在吗", "greeting"),
    message("你好", "greeting"),
    message("有人吗", "greeting"),
    message("好的谢谢", "closing", "positive"),
    message("已经拍了", "closing", "positive"),
    message("谢谢亲", "closing", "positive"),
]


@pytest.fixture(scope="module")
def tiny() -> Classifier:
    # min_df=1: in a dozen messages almost every n-gram occurs once
    return train(TINY, TrainingConfig(features=FeatureConfig(min_df=1)), key="tiny")


def test_a_negated_price_word_is_masked_and_named() -> None:
    prepared = prepare("没觉得贵")

    assert "贵" not in prepared.chars
    assert NEGATED_CHARS["price_high"] in prepared.chars
    assert "negated:price_high" in prepared.cues


def test_an_a_not_a_question_is_not_a_negation() -> None:
    prepared = prepare("会不会太贵了")

    assert "贵" in prepared.chars
    assert "cue:price" in prepared.cues


def test_reassurance_masks_the_worry_word() -> None:
    assert "negated:worry" in prepare("不用担心").cues


def test_a_masked_token_becomes_one_placeholder() -> None:
    prepared = prepare("[订单x]还没发货")

    assert prepared.chars.startswith(MASKED) and "订单x" not in prepared.chars


def test_taobao_emoticons_and_emoji_become_mood_cues() -> None:
    prepared = prepare("好的[微笑]😡")

    assert prepared.cues[:2] == ("mood:pos", "mood:angry")
    assert MOOD_CHARS["pos"] in prepared.chars and "[微笑]" not in prepared.chars


def test_prices_share_one_digit_placeholder() -> None:
    assert prepare("别家才卖80").chars == prepare("别家才卖25").chars == f"别家才卖{DIGITS}"


def test_many_exclamation_marks_are_a_cue_of_their_own() -> None:
    assert "shape:exclaim3" in prepare("快点发货！！！！").cues


def test_traditional_text_is_prepared_as_simplified() -> None:
    assert prepare("這個太貴了").chars == prepare("这个太贵了").chars


def test_a_pasted_order_card_becomes_one_placeholder() -> None:
    prepared = prepare("[订单编号:[订单x]，订单金额:[金额x]，下单时间:[日期x] [时间x]]")

    assert prepared.chars == MASKED


def test_the_web_widget_banner_is_dropped() -> None:
    prepared = prepare("顾客通过点击web咚咚[站点x]信息发送:你好")

    assert prepared.chars.strip() == "你好"


def test_price_protection_hides_its_price_word() -> None:
    prepared = prepare("降价了，帮我申请价保")

    assert PRICE_GUARD in prepared.chars and "价保" not in prepared.chars
    assert "topic:price_guard" in prepared.cues


def test_intent_probabilities_pool_the_objection_types(tiny: Classifier) -> None:
    probabilities = tiny.predict(prepare("太贵了"))["intent"].probabilities

    assert set(probabilities) == set(INTENTS)
    assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-5)


def test_a_tiny_model_learns_its_training_examples(tiny: Classifier) -> None:
    predictions = tiny.predict(prepare("太贵了"))

    assert predictions["intent"].label == "objection"
    assert predictions["objection_type"].label == "price"


def test_labels_absent_from_training_are_never_predicted(tiny: Classifier) -> None:
    predictions = tiny.predict(prepare("收到的杯子是碎的，我要投诉"))

    assert predictions["intent"].label in {"objection", "greeting", "closing"}
    assert predictions["intent"].probabilities["complaint"] < 1e-6


def test_probabilities_of_a_head_sum_to_one(tiny: Classifier) -> None:
    probabilities = tiny.predict(prepare("你好"))["emotion"].probabilities

    assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-5)


def test_a_saved_model_loads_with_the_same_predictions(tiny: Classifier, tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    tiny.save(path)

    loaded = Classifier.load(path)

    assert loaded.key == "tiny"
    original, reloaded = tiny.predict(prepare("再看看吧")), loaded.predict(prepare("再看看吧"))
    assert reloaded["intent"].label == original["intent"].label
    assert reloaded["intent"].confidence == pytest.approx(original["intent"].confidence, abs=1e-3)


def test_training_on_nothing_says_what_is_missing() -> None:
    with pytest.raises(ValueError, match="no labelled messages"):
        train([])


def test_a_stored_model_for_other_data_is_not_used(
    tiny: Classifier, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEFU_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(model_store, "SHIPPED_MODEL", tmp_path / "shipped.bin")
    tiny.save(tmp_path / "shipped.bin")  # key "tiny": not the key of the repo data

    assert model_store._from_disk(model_store.model_key()) is None


def test_a_cached_model_for_the_current_data_is_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEFU_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(model_store, "SHIPPED_MODEL", tmp_path / "absent.bin")
    key = model_store.model_key()
    train(TINY, key=key).save(model_store.cache_dir() / f"classifier-{key}.bin")

    loaded = model_store._from_disk(key)

    assert loaded is not None and loaded.key == key


def test_the_dev_split_is_a_stable_fifth_of_the_texts() -> None:
    texts = [f"第{number}条消息" for number in range(2000)]

    share = sum(is_dev(text) for text in texts) / len(texts)

    assert 0.17 < share < 0.23
    assert is_dev("太贵了") == is_dev("太贵了")


def test_an_objection_type_on_a_non_objection_is_rejected() -> None:
    record = {"text": "你好", "intent": "greeting", "objection_type": "price", "emotion": "neutral"}

    with pytest.raises(DataError, match="objection_type must be null"):
        parse_message(record, "x.jsonl:1")


def test_an_unknown_label_is_rejected_with_its_place() -> None:
    record = {"text": "你好", "intent": "hello", "objection_type": None, "emotion": "neutral"}

    with pytest.raises(DataError, match="x.jsonl:3: unknown intent"):
        parse_message(record, "x.jsonl:3")
