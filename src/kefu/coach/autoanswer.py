"""FAQ auto-answer: the assistant answers a customer from the shop's FAQ (shop.faq_mode).

- off / suggest: nothing is sent (suggest shows the match in the agent's panel);
- auto_offline: answered when no agent of the shop is online;
- auto_score: answered when the match score is at least shop.faq_threshold and no
  agent is handling the conversation yet (it waits in the queue).

Never for a complaint or an angry or dissatisfied customer: they need a person,
and a canned answer reads as being brushed off. The same entry is not answered
twice in a row in one conversation. The answer is a message with sender
"assistant"; the conversation keeps waiting for a human (no assignment).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from kefu.chat import services as chat_services
from kefu.chat.models import Conversation, Message, SenderKind
from kefu.coach import faq_cache
from kefu.coach.reading import CARE_MOODS
from kefu.realtime.hub import hub
from kefu.shops import services as shop_services
from kefu.shops.models import FaqMode

if TYPE_CHECKING:
    from kefu.coach.analyzer import Job

AUTO_MODES = (FaqMode.AUTO_OFFLINE, FaqMode.AUTO_SCORE)
NEEDS_A_PERSON_INTENTS = ("complaint",)
CLIENT_ID_PREFIX = "faq-"


def faq_client_id(entry_id: str, customer_seq: int) -> str:
    """Names the answer by entry and question: re-reading a message never answers it twice."""
    return f"{CLIENT_ID_PREFIX}{entry_id}-{customer_seq}"


def should_answer(
    *, mode: str, threshold: float, score: float, anyone_online: bool, assigned: bool
) -> bool:
    if mode == FaqMode.AUTO_OFFLINE:
        return not anyone_online
    if mode == FaqMode.AUTO_SCORE:
        return score >= threshold and not assigned
    return False


def _last_answered_entry(conversation_id: int) -> str | None:
    client_id = (
        Message.objects.filter(conversation_id=conversation_id, sender=SenderKind.ASSISTANT)
        .order_by("-seq")
        .values_list("client_id", flat=True)
        .first()
    )
    if not client_id or not client_id.startswith(CLIENT_ID_PREFIX):
        return None
    return client_id[len(CLIENT_ID_PREFIX) :].rsplit("-", 1)[0]


def send_faq_answers(
    jobs: Sequence[Job],
    coaches: Sequence[dict[str, Any]],
    convs: dict[int, Conversation],
    *,
    store: Callable[[list[chat_services.Outgoing]], Any] = chat_services.store_messages,
) -> None:
    """Answer the batch's questions the shops want answered automatically; publish them."""
    online: dict[int, bool] = {}
    answered: dict[int, str] = {}  # conversation -> entry answered in this batch
    outgoing = []
    for job, coach in zip(jobs, coaches, strict=True):
        conv = convs.get(job.conversation_id)
        if conv is None or conv.shop.faq_mode not in AUTO_MODES:
            continue
        if coach["intent"] in NEEDS_A_PERSON_INTENTS or coach["emotion"] in CARE_MOODS:
            continue
        found = faq_cache.best_match(conv.shop_id, job.text)
        if found is None:
            continue
        match, _question = found
        if conv.shop.faq_mode == FaqMode.AUTO_OFFLINE and conv.shop_id not in online:
            online[conv.shop_id] = shop_services.online_members(conv.shop_id).exists()
        if not should_answer(
            mode=conv.shop.faq_mode,
            threshold=conv.shop.faq_threshold,
            score=match.score,
            anyone_online=online.get(conv.shop_id, False),
            assigned=conv.assignee_id is not None,
        ):
            continue
        previous = answered.get(conv.id) or _last_answered_entry(conv.id)
        if previous == match.entry_id:
            continue
        answered[conv.id] = match.entry_id
        outgoing.append(
            chat_services.Outgoing(
                shop_id=conv.shop_id,
                conversation_id=conv.id,
                client_id=faq_client_id(match.entry_id, job.seq),
                text=match.answer,
            )
        )
    if outgoing:
        _results, events = store(outgoing)
        hub.publish_from_sync(events)  # store_messages has committed
