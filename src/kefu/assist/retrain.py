"""Retrain the coach's classifier on the base data plus a shop's own examples, and judge it.

    >>> result = retrain(corrections)              # corrections: LabelledMessage…
    >>> result.switch, result.reason, result.figures["after"]["dev"]

A new model is trained on the base training split (the 80 % of ``data/messages``
outside the dev split) plus the extra examples; where an extra has the same text as
a base message, the extra wins (the shop has the last word on its own customers).

Two yardsticks, both read the same way for every model compared:

* **dev** — the base dev split (texts that are also extras are left out: the shop
  relabelled them): intent macro-F1, objection-type accuracy (on gold objections),
  emotion macro-F1;
* **corrections** — accuracy per field on the extras. The new model is graded
  out-of-fold (k-fold over the extras, each fold's model trained on the base plus
  the other folds) so it is not graded on what it just memorised.

``switch`` (the new model replaces the current one) when the new model is not
worse: each dev figure at most ``DEV_TOLERANCE`` below the current model's, and its
out-of-fold corrections accuracy (all fields pooled) not below the reference's —
the base model trained on the same split, which has seen none of the extras. The
current model is not that yardstick when it is a shop model: it was trained on the
earlier corrections, so on those it would be graded on memorised answers.
"""

from __future__ import annotations

import hashlib
import inspect
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from kefu.assist import dataset, model_store
from kefu.assist.classifier import Classifier, TrainingConfig, train
from kefu.assist.cues import prepare
from kefu.assist.dataset import LabelledMessage
from kefu.assist.evaluation import head_report

if TYPE_CHECKING:
    from kefu.assist.analysis import Analysis

DEV_TOLERANCE = 0.005
MAX_FOLDS = 3  # each fold is one more training (~4 s on a quiet core here)
MAX_EXTRAS = 2000  # the most recent ones (the caller's order: oldest first)
FIELDS = ("intent", "objection_type", "emotion")
DEV_FIGURES = ("intent_macro_f1", "objection_type_accuracy", "emotion_macro_f1")
DEV_FIGURE_NAMES = {
    "intent_macro_f1": "意图宏平均F1",
    "objection_type_accuracy": "异议类型准确率",
    "emotion_macro_f1": "情绪宏平均F1",
}

Labels = tuple[str, str | None, str]  # intent, objection type (on gold objections), emotion


@dataclass(frozen=True)
class RetrainResult:
    """The new classifier, the figures of the current and the new model, and the verdict."""

    classifier: Classifier
    figures: dict[str, Any]
    switch: bool
    reason: str


def _takes_classifier() -> bool:
    from kefu.assist import analysis

    return "classifier" in inspect.signature(analysis.analyze).parameters


def analyze_with(classifier: Classifier, text: str, context: Sequence[str] = ()) -> Analysis:
    """analyze() with a given classifier, safe beside the live desk's analyzer thread.

    Delegates to ``analyze(text, context, classifier=…)`` once analysis.py has that
    argument. Until then it reads the heads itself with the contract's two damping
    rules (anger needs an attack, objection needs a cue — analysis.py's public
    constants); context and the greeting rule are left out. Never through
    model_store.use_classifier: that swaps the process-wide model under the desk.
    """
    from kefu.assist import analysis

    if _takes_classifier():
        return analysis.analyze(text, context, classifier=classifier)  # type: ignore[call-arg]
    prepared = prepare(text)
    if not prepared.chars.strip():
        return analysis.analyze(text)  # the empty reading never touches a model
    intent_damping = (
        {"objection": analysis.OBJECTION_WITHOUT_CUE}
        if analysis.OBJECTION_CUES.isdisjoint(prepared.cues)
        else {}
    )
    emotion_damping = (
        {"angry": analysis.ANGER_WITHOUT_ATTACK}
        if analysis.ATTACK_CUES.isdisjoint(prepared.cues)
        else {}
    )
    heads = classifier.heads(
        classifier.scores(prepared),
        {"intent": intent_damping, "objection_type": {}, "emotion": emotion_damping},
    )
    intent, emotion = heads["intent"], heads["emotion"]
    confidence = {"intent": intent.confidence, "emotion": emotion.confidence}
    evidence = [analysis.Evidence("intent", name, weight) for name, weight in intent.evidence]
    objection_type = None
    if intent.label == "objection":
        kind = heads["objection_type"]
        objection_type, confidence["objection_type"] = kind.label, kind.confidence
        evidence += [analysis.Evidence("objection_type", n, w) for n, w in kind.evidence]
    evidence += [analysis.Evidence("emotion", name, weight) for name, weight in emotion.evidence]
    return analysis.Analysis(
        text=text,
        intent=intent.label,
        objection_type=objection_type,
        emotion=emotion.label,
        confidence=MappingProxyType(confidence),
        evidence=tuple(evidence),
    )


def read_labels(classifier: Classifier, messages: Sequence[LabelledMessage]) -> list[Labels]:
    """Each message's intent and emotion as read, and the type head's answer on gold objections."""
    labels: list[Labels] = []
    for message in messages:
        reading = analyze_with(classifier, message.text)
        intent, emotion = reading.intent, reading.emotion
        kind = None
        if message.intent == "objection":
            scores = classifier.scores(prepare(message.text))
            kind = classifier.head(scores, "objection_type").label
        labels.append((intent, kind, emotion))
    return labels


def dev_figures(
    messages: Sequence[LabelledMessage], predicted: Sequence[Labels]
) -> dict[str, float]:
    objections = [n for n, message in enumerate(messages) if message.intent == "objection"]
    intent = head_report("intent", [m.intent for m in messages], [p[0] for p in predicted])
    kinds = head_report(
        "objection_type",
        [str(messages[n].objection_type) for n in objections],
        [str(predicted[n][1]) for n in objections],
    )
    emotion = head_report("emotion", [m.emotion for m in messages], [p[2] for p in predicted])
    return {
        "intent_macro_f1": round(intent.macro_f1, 4),
        "objection_type_accuracy": round(kinds.accuracy, 4),
        "emotion_macro_f1": round(emotion.macro_f1, 4),
        "messages": len(messages),
    }


def correction_figures(
    messages: Sequence[LabelledMessage], predicted: Sequence[Labels]
) -> dict[str, float | None]:
    """Accuracy per field and pooled (None for a field with nothing to judge); objection type counted on gold objections only."""
    right = dict.fromkeys(FIELDS, 0)
    judged = dict.fromkeys(FIELDS, 0)
    for message, (intent, kind, emotion) in zip(messages, predicted, strict=True):
        gold = {"intent": message.intent, "emotion": message.emotion}
        guess: dict[str, str | None] = {"intent": intent, "emotion": emotion}
        if message.intent == "objection":
            gold["objection_type"], guess["objection_type"] = str(message.objection_type), kind
        for field, value in gold.items():
            judged[field] += 1
            right[field] += guess[field] == value
    figures: dict[str, float | None] = {
        f"{field}_accuracy": round(right[field] / judged[field], 4) if judged[field] else None
        for field in FIELDS
    }
    total = sum(judged.values())
    figures["accuracy"] = round(sum(right.values()) / total, 4) if total else 0.0
    figures["messages"] = len(messages)
    return figures


_reference_lock = threading.Lock()
_references: dict[str, Classifier] = {}


def _fingerprint(messages: Sequence[LabelledMessage], config: TrainingConfig) -> str:
    digest = hashlib.sha1(repr(config).encode())
    for message in messages:
        digest.update(repr((message.text, message.intent, message.objection_type)).encode())
        digest.update(message.emotion.encode())
    return digest.hexdigest()[:16]


def reference_classifier(
    base: Sequence[LabelledMessage], config: TrainingConfig, *, on_disk: bool
) -> Classifier:
    """The base model trained on the base split alone: kept per process (and on disk)."""
    # The data/lexicon/code key too: a cue or feature change must not reuse an old model.
    joined = model_store.model_key(config) + _fingerprint(base, config)
    key = hashlib.sha1(joined.encode()).hexdigest()[:16]
    with _reference_lock:
        if key in _references:
            return _references[key]
        path = model_store.cache_dir() / f"classifier-train-{key}.bin"
        model: Classifier | None = None
        if on_disk and path.is_file():
            try:
                model = Classifier.load(path)
            except (OSError, ValueError, KeyError):
                model = None  # damaged: train it again below
        if model is None:
            model = _as_stored(train(base, config, key=f"train-{key}"))
            if on_disk:
                try:
                    model.save(path)
                except OSError:
                    pass  # a read-only data dir only costs a retraining next time
        _references[key] = model
        return model


def _as_stored(model: Classifier) -> Classifier:
    """The model as it reads after save/load (float16 weights): graded as it will be used."""
    with tempfile.TemporaryDirectory(prefix="kefu-retrain-") as folder:
        path = Path(folder) / "model.bin"
        model.save(path)
        return Classifier.load(path)


def _folds(extras: Sequence[LabelledMessage]) -> list[list[int]]:
    """Up to MAX_FOLDS folds, assigned by a hash of the text (stable across runs)."""
    count = min(MAX_FOLDS, len(extras))
    order = sorted(
        range(len(extras)), key=lambda n: hashlib.sha1(extras[n].text.encode()).hexdigest()
    )
    return [order[fold::count] for fold in range(count)]


def _out_of_fold(
    base: Sequence[LabelledMessage],
    extras: Sequence[LabelledMessage],
    reference: Classifier,
    config: TrainingConfig,
) -> list[Labels]:
    predicted: list[Labels | None] = [None] * len(extras)
    for fold in _folds(extras):
        held = set(fold)
        others = [extra for n, extra in enumerate(extras) if n not in held]
        model = train(_merge(base, others), config) if others else reference
        for n, labels in zip(fold, read_labels(model, [extras[n] for n in fold]), strict=True):
            predicted[n] = labels
    return [labels for labels in predicted if labels is not None]


def _latest_per_text(extras: Sequence[LabelledMessage]) -> list[LabelledMessage]:
    """One example per text, the last given; ordered by when each text was last given.

    A text twice in the extras would sit in two folds and grade itself.
    """
    latest: dict[str, LabelledMessage] = {}
    for extra in extras:
        latest.pop(extra.text, None)
        latest[extra.text] = extra
    return list(latest.values())


def _merge(
    base: Sequence[LabelledMessage], extras: Sequence[LabelledMessage]
) -> list[LabelledMessage]:
    """The base without the texts the extras relabel, then the extras (latest per text)."""
    latest = {extra.text: extra for extra in extras}
    return [message for message in base if message.text not in latest] + list(latest.values())


def _verdict(before: dict[str, Any], after: dict[str, Any], reference: float) -> tuple[bool, str]:
    if not after["corrections"]["messages"]:
        return False, "没有纠正记录，模型不变。"
    for figure in DEV_FIGURES:
        drop = before["dev"][figure] - after["dev"][figure]
        if drop > DEV_TOLERANCE:
            return (
                False,
                f"新模型在基准开发集上{DEV_FIGURE_NAMES[figure]}下降 {drop:.3f}（允许 {DEV_TOLERANCE}），不切换。",
            )
    if after["corrections"]["accuracy"] < reference:
        return (
            False,
            f"新模型在纠正样本上的准确率 {after['corrections']['accuracy']:.3f} "
            f"低于基础模型的 {reference:.3f}，不切换。",
        )
    return True, "新模型在基准开发集上不比当前模型差，在纠正样本上不低于基础模型，已切换。"


def retrain(
    extra: Sequence[LabelledMessage],
    *,
    config: TrainingConfig = TrainingConfig(),
    current: Classifier | None = None,
    base: Sequence[LabelledMessage] | None = None,
    dev: Sequence[LabelledMessage] | None = None,
) -> RetrainResult:
    """Train on base + extra, compare with the current model (default: the base model).

    ``base``/``dev`` override the repo's train and dev splits (tests use a small
    subset). Extras beyond MAX_EXTRAS keep the most recent (the last ones given).
    """
    started = time.monotonic()
    extras = _latest_per_text(extra)[-MAX_EXTRAS:]
    base_messages = list(base) if base is not None else dataset.load_messages("train")
    extra_texts = {message.text for message in extras}
    dev_messages = [
        message
        for message in (dev if dev is not None else dataset.load_messages("dev"))
        if message.text not in extra_texts
    ]
    reference = reference_classifier(base_messages, config, on_disk=base is None)
    current_model = current if current is not None else reference
    new_model = (
        _as_stored(train(_merge(base_messages, extras), config, key="shop"))
        if extras
        else reference
    )

    def figures_for(model: Classifier, on_extras: list[Labels]) -> dict[str, Any]:
        return {
            "dev": dev_figures(dev_messages, read_labels(model, dev_messages)),
            "corrections": correction_figures(extras, on_extras),
        }

    before = figures_for(current_model, read_labels(current_model, extras))
    reference_on_extras = (
        before["corrections"]
        if current_model is reference
        else correction_figures(extras, read_labels(reference, extras))
    )
    oof = _out_of_fold(base_messages, extras, reference, config) if extras else []
    after = figures_for(new_model, oof) if extras else before
    switch, reason = _verdict(before, after, float(reference_on_extras["accuracy"] or 0.0))
    figures = {
        "before": before,
        "after": after,
        "reference_corrections": reference_on_extras,
        "current": "base" if current is None else "shop",
        "tolerance": DEV_TOLERANCE,
        "folds": len(_folds(extras)) if extras else 0,
        "extras": len(extras),
        "seconds": round(time.monotonic() - started, 2),
    }
    return RetrainResult(classifier=new_model, figures=figures, switch=switch, reason=reason)
