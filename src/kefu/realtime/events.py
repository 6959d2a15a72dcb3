"""What the services hand to the real-time layer once their transaction has committed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened in a shop, with what the hub needs to route it.

    kind: "message" (frame goes to the conversation's visitor and interested agents),
    "conversation" (list summary, to every agent of the shop, coalesced),
    "analysis" (the coach's reading of a message: routed like "message", agents only),
    "typing" (to the other side of the conversation).
    """

    shop_id: int
    kind: str
    conversation_id: int
    frame: dict[str, Any]
    assignee_id: int | None = None
    waiting: bool = False
    # For typing: "customer" or "agent" (who is typing), so it is not echoed back.
    by: str = ""
    previous_assignee_id: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        return {
            "s": self.shop_id, "k": self.kind, "c": self.conversation_id, "f": self.frame,
            "a": self.assignee_id, "w": self.waiting, "b": self.by,
            "p": self.previous_assignee_id,
        }

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Event:
        return cls(
            shop_id=data["s"], kind=data["k"], conversation_id=data["c"], frame=data["f"],
            assignee_id=data["a"], waiting=data["w"], by=data["b"],
            previous_assignee_id=data.get("p"),
        )
