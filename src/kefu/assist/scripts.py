"""Suggest answers: the handling methods that fit what the customer said, ranked, with wording.

Every suggestion names its method (询问法, 补偿法, …) and says in one line why it
fits, so an agent learns the method and not just the text. Templates keep the
variables they were not given ({商品}, {价格}, …) for the agent to fill in.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol

from kefu.assist.script_library import (
    TEMPLATE_VARIABLES,
    VARIABLE_PATTERN,
    ComplaintStep,
    NeverSay,
    ScriptMethod,
    load_library,
)
from kefu.assist.text import normalize

if TYPE_CHECKING:
    from kefu.assist.analysis import Analysis  # noqa: F401  (documents what callers pass)

__all__ = [
    "TEMPLATE_VARIABLES",
    "ComplaintStep",
    "NeverSay",
    "ScriptMethod",
    "Suggestion",
    "closing_techniques",
    "fill_template",
    "guide_for_complaint",
    "methods_for",
    "suggest",
]

_NO_VARIABLES: Mapping[str, str] = MappingProxyType({})
_UPSETTING_EMOTIONS = ("angry", "dissatisfied")


class AnalysisLike(Protocol):
    """What suggest() reads from an Analysis (any object with these attributes will do)."""

    @property
    def intent(self) -> str: ...

    @property
    def objection_type(self) -> str | None: ...

    @property
    def emotion(self) -> str: ...


@dataclass(frozen=True)
class Suggestion:
    """One suggested reply, labelled with the method it uses."""

    method: str
    """The method's Chinese name, e.g. 平均法."""
    method_id: str
    """Stable ASCII id of the method, e.g. average."""
    situation: str
    """"objection:price", "emotion:angry", "closing" or "complaint"."""
    why: str
    text: str
    """The template with the known variables filled in."""
    template: str


def fill_template(template: str, variables: Mapping[str, str]) -> str:
    """Substitute the variables given; any other {变量} stays for the agent to fill in."""

    def replace(match: re.Match[str]) -> str:
        value = variables.get(match.group(1))
        return str(value) if value else match.group(0)

    return VARIABLE_PATTERN.sub(replace, template)


def methods_for(situation: str) -> tuple[ScriptMethod, ...]:
    """The methods of one situation ("objection:price", "emotion:angry", "closing"), best first."""
    library = load_library()
    kind, _, label = situation.partition(":")
    if kind == "objection":
        return library.objections.get(label, ())
    if kind == "emotion":
        return library.emotions.get(label, ())
    if situation == "closing":
        return library.closing
    raise ValueError(f"unknown situation {situation!r}; complaints use guide_for_complaint()")


def closing_techniques() -> tuple[ScriptMethod, ...]:
    """Ways to help a customer who is nearly ready to decide (促成交易)."""
    return load_library().closing


def guide_for_complaint() -> tuple[ComplaintStep, ...]:
    """The six steps of handling a complaint, each with what to say and what never to say."""
    return load_library().complaint_steps


def _ranked_by_cues(methods: Sequence[ScriptMethod], text: str) -> list[ScriptMethod]:
    """Methods whose cue words occur in the message come first; the library order breaks ties."""
    if not text:
        return list(methods)
    hits = [any(cue in text for cue in m.cues) for m in methods]
    return [m for m, hit in zip(methods, hits, strict=True) if hit] + [
        m for m, hit in zip(methods, hits, strict=True) if not hit
    ]


def _complaint_as_methods() -> list[ScriptMethod]:
    return [
        ScriptMethod(step.method_id, step.name, "complaint", step.why, step.templates)
        for step in guide_for_complaint()
    ]


def _interleave(groups: Iterable[list[ScriptMethod]]) -> list[ScriptMethod]:
    """Round-robin over the groups, so the first few suggestions cover every need at once."""
    mixed = itertools.chain.from_iterable(itertools.zip_longest(*groups))
    return [m for m in mixed if m is not None]


def _candidate_methods(
    intent: str, objection_type: str | None, emotion: str, text: str
) -> list[ScriptMethod]:
    library = load_library()
    if intent == "complaint":
        # The six steps come in order; calming words for the mood come after them.
        return _complaint_as_methods() + list(library.emotions.get(emotion, ()))
    groups: list[list[ScriptMethod]] = []
    if emotion in _UPSETTING_EMOTIONS:
        groups.append(list(library.emotions[emotion]))
    if intent == "objection" and objection_type in library.objections:
        groups.append(_ranked_by_cues(library.objections[objection_type], text))
    if emotion == "hesitant":
        groups.append(list(library.emotions["hesitant"]))
    if objection_type == "timing" or emotion == "hesitant":
        groups.append(list(library.closing))
    return _interleave(groups)


def _pick_template(method: ScriptMethod, text: str) -> str:
    """A stable choice: the same message always gets the same wording, different ones vary."""
    digest = hashlib.sha1(f"{method.method_id}|{text}".encode()).digest()
    return method.templates[digest[0] % len(method.templates)]


def suggest(
    analysis: AnalysisLike,
    *,
    limit: int = 6,
    variables: Mapping[str, str] = _NO_VARIABLES,
) -> list[Suggestion]:
    """Ranked suggestions for an analysed customer message, most fitting first.

    Objections get the methods of their type (cue words in the message move the
    best-fitting one up), angry or dissatisfied customers get the calming steps
    first, timing objections and hesitant customers also get closing techniques,
    complaints get the six steps in order. Other messages get no suggestions.
    """
    if limit <= 0:
        return []
    text = normalize(getattr(analysis, "text", "") or "")
    candidates = _candidate_methods(
        analysis.intent, analysis.objection_type, analysis.emotion, text
    )
    suggestions: list[Suggestion] = []
    seen: set[str] = set()
    for method in candidates:
        if method.method_id in seen:
            continue
        seen.add(method.method_id)
        template = _pick_template(method, text)
        suggestions.append(
            Suggestion(
                method=method.method,
                method_id=method.method_id,
                situation=method.situation,
                why=method.why,
                text=fill_template(template, variables),
                template=template,
            )
        )
        if len(suggestions) == limit:
            break
    return suggestions
