"""The coach's reading of one customer message, as stored in Message.meta["coach"].

COACH (docs/coach-desk.md) is built here from a `kefu.assist.Analysis`, and a
shop's own retrained model is picked here: `classifier_for_shop(shop_id)`.
"""

from __future__ import annotations

import importlib.util
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from kefu.assist import Analysis, analyze
from kefu.assist.labels import EMOTIONS, INTENTS, OBJECTION_TYPES

# A shop's reader: (text, previous turns oldest first) -> Analysis.
ShopReader = Callable[[str, Sequence[str]], Analysis]

CARE_MOODS = ("angry", "dissatisfied")
LABEL_NAMES = {"intent": INTENTS, "objection_type": OBJECTION_TYPES, "emotion": EMOTIONS}
READER_TTL_S = 10.0  # how long a shop's model choice is trusted before asking again

_readers: dict[int, tuple[float, ShopReader | None]] = {}
_readers_lock = threading.Lock()


def coach_dict(analysis: Analysis) -> dict[str, Any]:
    """COACH: labels, their Chinese names and confidences, not yet corrected."""
    values = {
        "intent": analysis.intent,
        "objection_type": analysis.objection_type,
        "emotion": analysis.emotion,
    }
    return {
        **values,
        "confidence": {k: round(float(v), 4) for k, v in analysis.confidence.items()},
        "labels": _names(values),
        "corrected": False,
    }


def relabelled(coach: dict[str, Any], field: str, value: str) -> dict[str, Any]:
    """COACH after an agent's correction of one label (the contract's ids only)."""
    values = {k: coach.get(k) for k in LABEL_NAMES}
    values[field] = value
    if field == "intent" and value != "objection":
        values["objection_type"] = None  # the contract: a type only for objections
    if field == "objection_type":
        values["intent"] = "objection"
    confidence = dict(coach.get("confidence") or {})
    for key in LABEL_NAMES:
        if values[key] != coach.get(key):
            confidence[key] = 1.0  # a person said so
    if values["objection_type"] is None:
        confidence.pop("objection_type", None)
    return {
        **coach,
        **values,
        "confidence": confidence,
        "labels": _names(values),
        "corrected": True,
    }


def _names(values: dict[str, str | None]) -> dict[str, str]:
    return {k: LABEL_NAMES[k][v] for k, v in values.items() if v}


def mood_for(emotion: str | None) -> str:
    """Conversation.mood: the latest customer emotion when it needs care, else ""."""
    return emotion if emotion in CARE_MOODS else ""


def classifier_for_shop(shop_id: int) -> ShopReader | None:
    """The shop's own active model as a reader, or None for the built-in one.

    The hook: `kefu.coach.retrain.classifier_for_shop(shop_id) -> ShopReader | None`
    when that module exists (the retraining work provides it). Answers are cached
    for READER_TTL_S; `forget_shop_reader` drops one at once (after a switch).
    """
    now = time.monotonic()
    cached = _readers.get(shop_id)
    if cached is not None and now - cached[0] < READER_TTL_S:
        return cached[1]
    reader: ShopReader | None = None
    if importlib.util.find_spec("kefu.coach.retrain") is not None:
        retrain = importlib.import_module("kefu.coach.retrain")
        hook = getattr(retrain, "classifier_for_shop", None)
        if hook is not None:
            reader = hook(shop_id)
    with _readers_lock:
        _readers[shop_id] = (now, reader)
    return reader


def forget_shop_reader(shop_id: int | None = None) -> None:
    with _readers_lock:
        if shop_id is None:
            _readers.clear()
        else:
            _readers.pop(shop_id, None)


def read_message(shop_id: int, text: str, context: Sequence[str] = ()) -> Analysis:
    """analyze() with the shop's own model when it has an active one."""
    reader = classifier_for_shop(shop_id)
    if reader is not None:
        return reader(text, context)
    return analyze(text, context)
