"""analyze(): what a customer wants, what holds them back, and how they feel.

    >>> result = analyze("这个也太贵了吧，别家才卖80")
    >>> result.intent, result.objection_type
    ('objection', 'price')

Each prediction carries a confidence (the model's probability) and evidence: the
features that pulled hardest towards the chosen label (character n-grams, words,
lexicon cues like ``k:cue:price`` or ``k:negated:price_high``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from kefu.assist.classifier import Classifier
from kefu.assist.cues import MASKED, MOOD_CHARS, prepare
from kefu.assist.model_store import default_classifier

LabelKind = Literal["intent", "objection_type", "emotion"]

# A whole message that only acknowledges (好的 / 嗯嗯 / ok): mid-chat it closes a point.
_BARE_ACKNOWLEDGEMENT = re.compile(
    r"^(?:好|好的|好滴|好嘞|好吧|行|行吧|嗯|嗯嗯|恩恩|哦|哦哦|可以|可以的|ok|okay|收到|知道了|明白了)"
    r"[呢哦啊呀吧的了~!.。,，\ue010]*$"
)
# An elliptical follow-up (那L呢 / 还有别的颜色吗) continues the topic of the last turns.
_FOLLOW_UP = re.compile(r"^(?:那|那么|那这个|还有|那要是)[^,，。!?]{0,8}(?:呢|吗|么)?\??$")
_TOPICAL_INTENTS = ("inquiry", "objection", "order", "after_sales", "complaint")
ACKNOWLEDGEMENT_CONFIDENCE = 0.9
# The contract: angry needs an attack, insult or threat. Without any such cue the
# model's "angry" (often learned from 你/你们 and long messages) is damped.
ATTACK_CUES = frozenset(
    {"cue:threat", "cue:insult", "mood:angry", "shape:exclaim3", "shape:questions3"}
)
ANGER_WITHOUT_ATTACK = 0.3
# Our data is half objections; real chats are mostly orders and after-sales. Without
# any objection cue the model's "objection" is damped so it must be clearly ahead.
OBJECTION_CUES = frozenset(
    {
        "cue:price",
        "cue:budget",
        "cue:authority",
        "cue:timing",
        "cue:need",
        "cue:product",
        "cue:service",
        "cue:policy",
        "cue:source",
        "cue:hesitant",
        "negated:pleasure",
    }
)
OBJECTION_WITHOUT_CUE = 0.5
# The contract's objections come before a purchase. A message that talks about an order
# already placed (订单, 签收, 退款, a pasted [订单x] …) is after-sales or a complaint far
# more often than a doubt, so objection must be clearly ahead there too.
OBJECTION_AFTER_PURCHASE = 0.5
# The contract: greeting is a message that asks nothing else. Real customers open most
# requests with 你好/您好/在吗, so once the greeting words (and masked data, emoticons,
# punctuation) are taken out, any real content left means greeting must be damped.
_GREETING_WORDS = re.compile(
    r"你好|您好|在吗|在不在|在么|有人吗|有人在吗|亲|客服|人工|请问|hello|hi|哈喽|嗨|"
    r"早上好|晚上好|下午好|商品信息咨询|[\ue000-\ue0ff\s\W_]"
)
GREETING_CONTENT_CHARS = 4
GREETING_WITH_CONTENT = 0.02


@dataclass(frozen=True)
class Evidence:
    """One feature that drove a prediction, with its pull towards the chosen label."""

    label_kind: LabelKind
    feature: str
    weight: float


@dataclass(frozen=True)
class Analysis:
    """The coach's reading of one customer message (labels per the taxonomy contract)."""

    text: str
    intent: str
    objection_type: str | None
    emotion: str
    confidence: Mapping[str, float]
    evidence: tuple[Evidence, ...]


def _evidence(kind: LabelKind, pairs: Sequence[tuple[str, float]]) -> list[Evidence]:
    return [Evidence(kind, feature, weight) for feature, weight in pairs]


def _intent_damping(chars: str, cues: Sequence[str]) -> Mapping[str, float]:
    damping: dict[str, float] = {}
    objection = 1.0
    if OBJECTION_CUES.isdisjoint(cues):
        objection *= OBJECTION_WITHOUT_CUE
    if "cue:post_purchase" in cues or MASKED in chars:
        objection *= OBJECTION_AFTER_PURCHASE
    if objection < 1.0:
        damping["objection"] = objection
    if len(_GREETING_WORDS.sub("", chars)) >= GREETING_CONTENT_CHARS:
        damping["greeting"] = GREETING_WITH_CONTENT
    return damping


def _emotion_damping(cues: Sequence[str]) -> Mapping[str, float]:
    if ATTACK_CUES.isdisjoint(cues):
        return {"angry": ANGER_WITHOUT_ATTACK}
    return {}


def _read(text: str, model: Classifier | None = None) -> Analysis:
    prepared = prepare(text)
    if not prepared.chars.strip():
        return Analysis(
            text=text,
            intent="other",
            objection_type=None,
            emotion="neutral",
            confidence=MappingProxyType({"intent": 0.0, "emotion": 0.0}),
            evidence=(),
        )
    classifier = model if model is not None else default_classifier()
    scores = classifier.scores(prepared)
    heads = classifier.heads(
        scores,
        {
            "intent": _intent_damping(prepared.chars, prepared.cues),
            "emotion": _emotion_damping(prepared.cues),
        },
    )
    intent, emotion = heads["intent"], heads["emotion"]
    confidence = {"intent": intent.confidence, "emotion": emotion.confidence}
    evidence = _evidence("intent", intent.evidence)
    objection_type = None
    if intent.label == "objection":  # the type head is read only when it is needed
        kind = classifier.head(scores, "objection_type")
        objection_type = kind.label
        confidence["objection_type"] = kind.confidence
        evidence += _evidence("objection_type", kind.evidence)
    evidence += _evidence("emotion", emotion.evidence)
    analysis = Analysis(
        text=text,
        intent=intent.label,
        objection_type=objection_type,
        emotion=emotion.label,
        confidence=MappingProxyType(confidence),
        evidence=tuple(evidence),
    )
    return _smile_only(analysis, prepared.chars)


def _with_intent(
    analysis: Analysis,
    intent: str,
    objection_type: str | None,
    confidence: Mapping[str, float],
    reason: str,
) -> Analysis:
    kept = {"intent": confidence["intent"], "emotion": analysis.confidence["emotion"]}
    if objection_type is not None:
        kept["objection_type"] = confidence.get("objection_type", confidence["intent"])
    evidence = tuple(e for e in analysis.evidence if e.label_kind == "emotion")
    return Analysis(
        text=analysis.text,
        intent=intent,
        objection_type=objection_type,
        emotion=analysis.emotion,
        confidence=MappingProxyType(kept),
        evidence=(Evidence("intent", reason, 1.0), *evidence),
    )


def _apply_context(
    analysis: Analysis, context: Sequence[str], model: Classifier | None = None
) -> Analysis:
    """Two simple, tested shifts when the previous turns are known (see docs/assist.md)."""
    chars = prepare(analysis.text).chars.replace(" ", "")
    if _BARE_ACKNOWLEDGEMENT.match(chars):
        confidence = max(analysis.confidence["intent"], ACKNOWLEDGEMENT_CONFIDENCE)
        if analysis.intent == "closing":
            return analysis
        return _with_intent(
            analysis, "closing", None, {"intent": confidence}, "context:acknowledges previous turn"
        )
    model_is_sure = analysis.intent in _TOPICAL_INTENTS and analysis.confidence["intent"] >= 0.6
    if _FOLLOW_UP.match(chars) and not model_is_sure:
        for turn in reversed(context[-3:]):
            previous = _read(turn, model)
            if previous.intent in _TOPICAL_INTENTS and previous.confidence["intent"] >= 0.5:
                return _with_intent(
                    analysis,
                    previous.intent,
                    previous.objection_type,
                    previous.confidence,
                    "context:follows up on an earlier turn",
                )
    return analysis


def _smile_only(analysis: Analysis, chars: str) -> Analysis:
    """👌 / 👍 / [微笑] alone answer the agent like 好的 does: an acknowledgement."""
    if analysis.intent == "closing" or set(chars.replace(" ", "")) != {MOOD_CHARS["pos"]}:
        return analysis
    confidence = {"intent": ACKNOWLEDGEMENT_CONFIDENCE}
    return _with_intent(analysis, "closing", None, confidence, "rule:smile answers like 好的")


def analyze(
    text: str, context: Sequence[str] = (), *, classifier: Classifier | None = None
) -> Analysis:
    """Read one customer message; `context` holds the previous turns, oldest first.

    `classifier` reads with another model than the process-wide one (a shop's
    retrained candidate) without swapping the model the live desk uses.
    """
    analysis = _read(text, classifier)
    if context and analysis.confidence["intent"] > 0.0:
        analysis = _apply_context(analysis, context, classifier)
    return analysis
