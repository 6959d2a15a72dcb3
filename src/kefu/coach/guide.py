"""The handling guide in the coach panel: complaint steps, closing techniques, bargaining.

Which guide fits (docs/coach-desk.md): an angry, dissatisfied or complaining
customer gets the six complaint steps with where the conversation stands; a
hesitant customer or a timing objection gets closing techniques; a price
objection gets the bargaining panel. Otherwise none.

Where the conversation stands (`current_step`) is a rough estimate from the
agent's replies since the trouble began: step 1 (let them vent) before any
reply, one step further per reply, at least step 3 once an apology was said,
at least step 4 once a remedy was offered, never past 6.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from kefu.assist.scripts import closing_techniques, fill_template, guide_for_complaint

TROUBLE_MOODS = ("angry", "dissatisfied")
_APOLOGY = re.compile(r"抱歉|对不起|不好意思|致歉|给您添麻烦")
_REMEDY = re.compile(r"(?:帮您|为您|给您)[^，。！？]{0,6}(?:退|换|补|赔|申请|处理|安排|重发)")
STEPS = 6


def guide_kind(coach: Mapping[str, Any] | None) -> str | None:
    if not coach:
        return None
    if coach.get("intent") == "complaint" or coach.get("emotion") in TROUBLE_MOODS:
        return "complaint"
    if coach.get("emotion") == "hesitant" or coach.get("objection_type") == "timing":
        return "closing"
    if coach.get("objection_type") == "price":
        return "bargain"
    return None


def in_trouble(coach: Mapping[str, Any] | None) -> bool:
    return guide_kind(coach) == "complaint"


def complaint_step(agent_replies_since: Sequence[str]) -> int:
    """Where a complaint stands, from the agent's replies since it began (see module doc)."""
    step = 1 + len(agent_replies_since)
    if any(_APOLOGY.search(t) for t in agent_replies_since):
        step = max(step, 3)
    if any(_REMEDY.search(t) for t in agent_replies_since):
        step = max(step, 4)
    return min(step, STEPS)


def complaint_guide(agent_replies_since: Sequence[str], variables: Mapping[str, str]) -> dict:
    steps = [
        {
            "n": step.number,
            "title": step.name,
            "goal": step.goal,
            "say": [fill_template(t, variables) for t in step.templates],
            "never": [f"「{n.phrase}」→ {n.instead}" for n in step.never_say],
        }
        for step in guide_for_complaint()
    ]
    return {
        "kind": "complaint",
        "steps": steps,
        "current_step": complaint_step(agent_replies_since),
    }


def closing_guide(variables: Mapping[str, str]) -> dict:
    return {
        "kind": "closing",
        "techniques": [
            {
                "method": m.method,
                "method_id": m.method_id,
                "why": m.why,
                "text": fill_template(m.templates[0], variables),
            }
            for m in closing_techniques()
        ],
    }
