"""Dev-split figures for the classifier: per-label precision/recall/F1 and confusion matrices.

Objection type is measured on the messages whose gold intent is ``objection``
(the type head's own accuracy); intent and emotion on every dev message, read
by analyze() itself (its damping rules included) with a model trained on the
train split only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kefu.assist.classifier import HEAD_LABELS, Classifier, TrainingConfig, train
from kefu.assist.cues import prepare
from kefu.assist.dataset import LabelledMessage, load_messages


@dataclass(frozen=True)
class HeadReport:
    """Figures for one head on one split."""

    head: str
    labels: tuple[str, ...]
    support: int
    accuracy: float
    macro_f1: float
    per_label: dict[str, dict[str, float]]
    confusion: list[list[int]]  # rows: gold label, columns: predicted label

    def as_dict(self) -> dict[str, object]:
        return {
            "head": self.head,
            "labels": list(self.labels),
            "support": self.support,
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "per_label": self.per_label,
            "confusion": self.confusion,
        }


def head_report(head: str, gold: Sequence[str], predicted: Sequence[str]) -> HeadReport:
    labels = tuple(label for label in HEAD_LABELS[head] if label in set(gold) | set(predicted))
    position = {label: index for index, label in enumerate(labels)}
    confusion = [[0] * len(labels) for _ in labels]
    for truth, guess in zip(gold, predicted, strict=True):
        confusion[position[truth]][position[guess]] += 1
    per_label: dict[str, dict[str, float]] = {}
    f1_scores = []
    for label, index in position.items():
        hits = confusion[index][index]
        predicted_count = sum(row[index] for row in confusion)
        gold_count = sum(confusion[index])
        precision = hits / predicted_count if predicted_count else 0.0
        recall = hits / gold_count if gold_count else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": gold_count,
        }
        if gold_count:
            f1_scores.append(f1)
    correct = sum(confusion[i][i] for i in range(len(labels)))
    return HeadReport(
        head=head,
        labels=labels,
        support=len(gold),
        accuracy=correct / len(gold) if gold else 0.0,
        macro_f1=sum(f1_scores) / len(f1_scores) if f1_scores else 0.0,
        per_label=per_label,
        confusion=confusion,
    )


def evaluate(classifier: Classifier, messages: Sequence[LabelledMessage]) -> dict[str, HeadReport]:
    """Score a classifier as analyze() uses it (with its rules), without context."""
    from kefu.assist import analysis, model_store  # analysis imports model_store: no cycle

    model_store.use_classifier(classifier)
    try:
        readings = [analysis.analyze(message.text) for message in messages]
    finally:
        model_store.use_classifier(None)
    objections = [n for n, message in enumerate(messages) if message.intent == "objection"]
    # The type head is measured on every gold objection, whatever intent was predicted.
    types = [
        classifier.head(classifier.scores(prepare(messages[n].text)), "objection_type").label
        for n in objections
    ]
    return {
        "intent": head_report("intent", [m.intent for m in messages], [r.intent for r in readings]),
        "objection_type": head_report(
            "objection_type", [str(messages[n].objection_type) for n in objections], types
        ),
        "emotion": head_report(
            "emotion", [m.emotion for m in messages], [r.emotion for r in readings]
        ),
    }


def evaluate_dev(config: TrainingConfig = TrainingConfig()) -> dict[str, HeadReport]:
    """Train on the train split and score on the dev split (what `eval` prints)."""
    classifier = train(load_messages("train"), config)
    return evaluate(classifier, load_messages("dev"))
