"""Retraining on extra examples: the new model follows them, and only switches when not worse."""

from __future__ import annotations

import itertools
import random

import pytest

from kefu.assist import dataset
from kefu.assist.classifier import TrainingConfig
from kefu.assist.dataset import LabelledMessage
from kefu.assist.labels import INTENTS
from kefu.assist.retrain import RetrainResult, read_labels, reference_classifier, retrain

pytestmark = pytest.mark.slow  # ~10 trainings on a quarter of the base: 10–30 s

# Engraving requests: the base reads them as inquiries; this shop files them as orders.
ITEMS = ["杯子", "保温杯", "水杯", "情侣杯", "儿童杯", "马克杯"]
ASKS = [
    "能刻字吗",
    "可以刻字吗",
    "刻字要加钱吗",
    "能帮我刻个名字吗",
    "可以定制刻字不",
    "刻英文可以吗",
]
OPENERS = ["", "亲，", "你好，", "老板，"]
HELD_OUT = ["杯子上能刻我女儿名字吗", "这个杯子可以刻字么", "刻字是免费的吗", "你们有刻字服务没"]


def order(text: str) -> LabelledMessage:
    return LabelledMessage(text, "order", None, "neutral")


@pytest.fixture(scope="module")
def base() -> list[LabelledMessage]:
    return dataset.load_messages("train")[::4]  # a quarter of the base: each training ~1 s


@pytest.fixture(scope="module")
def dev() -> list[LabelledMessage]:
    return dataset.load_messages("dev")


@pytest.fixture(scope="module")
def engraving(base, dev) -> RetrainResult:  # type: ignore[no-untyped-def]
    texts = [f"{o}{i}{a}" for o, i, a in itertools.product(OPENERS, ITEMS, ASKS)]
    random.Random(4).shuffle(texts)
    return retrain([order(text) for text in texts[:30]], base=base, dev=dev)


@pytest.fixture(scope="module")
def shifted(base) -> list[LabelledMessage]:  # type: ignore[no-untyped-def]
    """A third of the base relabelled to the next intent along: corrections that contradict it all."""
    intents = list(INTENTS)
    relabelled = []
    for message in base[: len(base) // 3]:
        intent = intents[(intents.index(message.intent) + 1) % len(intents)]
        kind = "price" if intent == "objection" else None
        relabelled.append(LabelledMessage(message.text, intent, kind, message.emotion))
    return relabelled


@pytest.fixture(scope="module")
def garbage(base, dev, shifted) -> RetrainResult:  # type: ignore[no-untyped-def]
    return retrain(shifted, base=base, dev=dev)


def test_new_model_follows_corrections_on_held_out_similar_texts(base, engraving) -> None:  # type: ignore[no-untyped-def]
    # given a base model that reads engraving requests as something other than orders
    held_out = [order(text) for text in HELD_OUT]
    before = read_labels(reference_classifier(base, TrainingConfig(), on_disk=False), held_out)
    assert sum(intent == "order" for intent, _, _ in before) <= 1
    # when retrained on 30 corrections that call them orders
    after = read_labels(engraving.classifier, held_out)
    # then texts it never saw follow the shop's reading
    assert sum(intent == "order" for intent, _, _ in after) >= 3


def test_model_that_learned_a_clear_pattern_switches(engraving: RetrainResult) -> None:
    assert engraving.switch, engraving.reason
    corrections = engraving.figures["after"]["corrections"]
    assert (
        corrections["intent_accuracy"]
        > engraving.figures["before"]["corrections"]["intent_accuracy"]
    )


def test_garbage_corrections_that_lower_dev_do_not_switch(garbage: RetrainResult) -> None:
    before, after = garbage.figures["before"]["dev"], garbage.figures["after"]["dev"]
    assert after["intent_macro_f1"] < before["intent_macro_f1"] - 0.005
    assert not garbage.switch
    assert "开发集" in garbage.reason


def test_new_model_is_graded_on_corrections_it_did_not_train_on(garbage, shifted) -> None:  # type: ignore[no-untyped-def]
    # given arbitrary relabellings the new model was trained on
    on_its_training = read_labels(garbage.classifier, shifted)
    memorised = sum(p[0] == m.intent for p, m in zip(on_its_training, shifted, strict=True))
    # then the accuracy it reports is out-of-fold: well below what it scores on them itself
    reported = garbage.figures["after"]["corrections"]["intent_accuracy"]
    assert reported < memorised / len(shifted) - 0.2


def test_no_corrections_keeps_the_current_model(base, dev) -> None:  # type: ignore[no-untyped-def]
    result = retrain([], base=base, dev=dev)
    assert not result.switch
    assert result.figures["before"]["dev"] == result.figures["after"]["dev"]


def test_a_correction_replaces_the_base_label_of_the_same_text(base) -> None:  # type: ignore[no-untyped-def]
    # given a base text the shop labels differently
    from kefu.assist.retrain import _merge

    message = base[0]
    relabelled = LabelledMessage(message.text, "other", None, message.emotion)
    merged = _merge(base, [relabelled])
    # then the base's own label for that text is gone and the shop's is there once
    assert [m for m in merged if m.text == message.text] == [relabelled]
