"""The coach's script library: handling methods and reply templates, read from data/scripts/.

The knowledge lives in JSON so a shop owner (or the playbook app) can read and
override it without touching code; this module only turns it into frozen
dataclasses, once, on first use.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

TEMPLATE_VARIABLES: dict[str, str] = {
    "商品": "the product's name",
    "价格": "the price in yuan, digits only (e.g. 199)",
    "赠品": "a small gift the shop may add (e.g. 收纳袋)",
    "客户": "how to address the customer (name or 亲)",
    "客服": "the agent's name",
    "店铺": "the shop's name",
    "优惠": "the running offer (e.g. 满200减30)",
    "时间": "a date or time span (e.g. 本周日, 两三天)",
    "日均": "the price spread per day of use, worked out by the agent (e.g. 0.3)",
    "备选": "another product to suggest instead",
    "库存": "how many are left in stock",
    "保修": "the warranty term (e.g. 一年)",
}
"""Every variable a template may use, with what the agent or the caller fills in."""

VARIABLE_PATTERN = re.compile(r"\{([^{}]+)\}")

OBJECTION_SITUATIONS = (
    "need",
    "budget",
    "authority",
    "product",
    "price",
    "timing",
    "service",
    "policy",
    "source",
)
EMOTION_SITUATIONS = ("angry", "dissatisfied", "hesitant")


@dataclass(frozen=True)
class ScriptMethod:
    """One handling method as it applies to one situation, with its reply templates."""

    method_id: str
    method: str
    situation: str
    """"objection:<type>", "emotion:<emotion>", "closing" or "complaint"."""
    why: str
    templates: tuple[str, ...]
    cues: tuple[str, ...] = ()
    """Words in the customer's message that make this method the most fitting one."""


@dataclass(frozen=True)
class NeverSay:
    """A phrase that makes a complaint worse, and what to say instead."""

    phrase: str
    instead: str


@dataclass(frozen=True)
class ComplaintStep:
    """One of the six steps of handling a complaint."""

    number: int
    method_id: str
    name: str
    goal: str
    why: str
    templates: tuple[str, ...]
    never_say: tuple[NeverSay, ...]


@dataclass(frozen=True)
class ScriptLibrary:
    method_names: dict[str, str]
    objections: dict[str, tuple[ScriptMethod, ...]]
    emotions: dict[str, tuple[ScriptMethod, ...]]
    closing: tuple[ScriptMethod, ...]
    complaint_steps: tuple[ComplaintStep, ...]

    def all_templates(self) -> list[tuple[str, str, str]]:
        """(situation, method_id, template) for every shipped template, complaint steps included."""
        found: list[tuple[str, str, str]] = []
        groups = [*self.objections.values(), *self.emotions.values(), self.closing]
        for methods in groups:
            for method in methods:
                found.extend((method.situation, method.method_id, t) for t in method.templates)
        for step in self.complaint_steps:
            found.extend(("complaint", step.method_id, t) for t in step.templates)
        return found


def _read(name: str) -> Any:
    path = resources.files("kefu.assist") / "data" / "scripts" / name
    return json.loads(path.read_text(encoding="utf-8"))


def _methods(
    entries: list[dict[str, Any]], situation: str, names: dict[str, str]
) -> tuple[ScriptMethod, ...]:
    return tuple(
        ScriptMethod(
            method_id=entry["method_id"],
            method=names[entry["method_id"]],
            situation=situation,
            why=entry["why"],
            templates=tuple(entry["templates"]),
            cues=tuple(entry.get("cues", ())),
        )
        for entry in entries
    )


@functools.cache
def load_library() -> ScriptLibrary:
    """Read the JSON files once; a KeyError here means a situation names an unknown method."""
    names = {mid: m["name"] for mid, m in _read("methods.json")["methods"].items()}
    objections = _read("objections.json")
    emotions = _read("emotions.json")
    steps = tuple(
        ComplaintStep(
            number=number,
            method_id=step["method_id"],
            name=step["name"],
            goal=step["goal"],
            why=step["why"],
            templates=tuple(step["templates"]),
            never_say=tuple(NeverSay(n["phrase"], n["instead"]) for n in step["never_say"]),
        )
        for number, step in enumerate(_read("complaint.json")["steps"], start=1)
    )
    return ScriptLibrary(
        method_names=names,
        objections={
            kind: _methods(objections[kind], f"objection:{kind}", names)
            for kind in OBJECTION_SITUATIONS
        },
        emotions={
            kind: _methods(emotions[kind], f"emotion:{kind}", names) for kind in EMOTION_SITUATIONS
        },
        closing=_methods(_read("closing.json")["closing"], "closing", names),
        complaint_steps=steps,
    )
