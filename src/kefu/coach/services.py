"""The coach's rules for the workbench's HTTP API (docs/coach-desk.md, "HTTP").

Every query is scoped to the actor's shop. The panel (`coach_panel`) gathers the
reading of the latest customer message, ranked suggestions (the shop's own
scripts merged into the built-in ones), the FAQ match, fitting quick replies, the
handling guide and the shop's products (floor price included: this answer goes to
staff only, never to a visitor socket).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.assist import next_offer, suggest
from kefu.assist.scripts import fill_template
from kefu.chat import services as chat_services
from kefu.chat import wire
from kefu.chat.models import Conversation, Message, SenderKind
from kefu.coach import faq_cache, guide, presend
from kefu.coach.analyzer import analysis_event
from kefu.coach.models import Correction
from kefu.coach.reading import LABEL_NAMES, coach_dict, mood_for, read_message, relabelled
from kefu.coach.rules import rule_warnings
from kefu.errors import NotFound, ServiceError
from kefu.playbook import services as playbook_services
from kefu.playbook.models import Product, QuickReply, ShopScript
from kefu.shops.models import FaqMode, Membership

SUGGESTIONS = 6
QUICK_REPLIES = 5
CONTEXT_TURNS = 3
RECENT_MESSAGES = 40  # how far back the panel looks (price mentioned, complaint start)
# Words a fitting quick reply mentions, per topic of the customer's message.
TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    "price": ("价", "优惠", "便宜", "折", "活动", "券"),
    "budget": ("分期", "优惠", "券", "活动"),
    "timing": ("活动", "库存", "发货", "优惠"),
    "product": ("质量", "材质", "尺码", "面料", "效果"),
    "service": ("售后", "保修", "退", "换"),
    "policy": ("退", "换", "运费", "发票", "七天"),
    "source": ("正品", "发票", "授权"),
    "order": ("发货", "物流", "快递", "单号", "地址"),
    "after_sales": ("退", "换", "售后", "维修", "保修"),
    "complaint": ("抱歉", "处理", "售后"),
}


# --- pre-send check -------------------------------------------------------------------------


def check_draft(*, actor: Membership, text: str) -> dict[str, Any]:
    """Findings (the reply checker + the shop's terms) and shop-rule warnings for a draft."""
    text = text[:4000]
    shop = actor.shop
    return {
        "findings": presend.finding_dicts(presend.findings_for(shop.id, text)),
        "warnings": [
            asdict(w)
            for w in rule_warnings(
                text,
                no_bargain=shop.no_bargain,
                free_shipping_threshold=shop.free_shipping_threshold,
            )
        ],
    }


# --- the panel ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reading:
    """What suggest() reads, rebuilt from a stored COACH."""

    text: str
    intent: str
    objection_type: str | None
    emotion: str


def _recent(conv: Conversation) -> list[Message]:
    """The conversation's last messages, oldest first."""
    rows = Message.objects.filter(conversation_id=conv.id).order_by("-seq")[:RECENT_MESSAGES]
    return list(reversed(rows))


def _latest_customer(recent: list[Message]) -> Message | None:
    return next((m for m in reversed(recent) if m.sender == SenderKind.CUSTOMER and m.text), None)


def _reading_of(conv: Conversation, message: Message, recent: list[Message]) -> dict[str, Any]:
    """The stored COACH, or a fresh reading when the pipeline has not got to it (or is off)."""
    stored = (message.meta or {}).get("coach")
    if stored:
        return stored
    earlier = [
        m.text for m in recent if m.sender == SenderKind.CUSTOMER and m.text and m.seq < message.seq
    ][-CONTEXT_TURNS:]
    return coach_dict(read_message(conv.shop_id, message.text, earlier))


def _money(amount: Decimal) -> str:
    return f"{amount.normalize():f}"


def _variables(
    actor: Membership, conv: Conversation, recent: list[Message], product: Product | None
) -> dict[str, str]:
    variables = {
        "客户": wire.visitor_label(conv.visitor_id, conv.visitor.nickname),
        "客服": actor.display_name,
        "店铺": actor.shop.name,
    }
    if product is not None:
        price = product.list_price
        variables.update(
            商品=product.name, 价格=_money(price),
            # 平均法: a year of daily use is the honest, conservative unit.
            日均=_money((price / 365).quantize(Decimal("0.01"))),
        )
        if product.gift:
            variables["赠品"] = product.gift
    # A price the customer named (别家才卖80) is someone else's price, never ours:
    # {价格} stays for the agent unless a product says what ours is.
    return variables


def _situations(coach: dict[str, Any], builtin: list[dict[str, Any]]) -> set[str]:
    situations = {s["situation"] for s in builtin}
    if coach.get("objection_type"):
        situations.add(f"objection:{coach['objection_type']}")
    if coach.get("emotion") in ("angry", "dissatisfied", "hesitant"):
        situations.add(f"emotion:{coach['emotion']}")
    if coach.get("intent") == "complaint":
        situations.add("complaint")
    if coach.get("emotion") == "hesitant" or coach.get("objection_type") == "timing":
        situations.add("closing")
    return situations


def suggestions_for(
    shop_id: int, text: str, coach: dict[str, Any], variables: dict[str, str]
) -> list[dict[str, Any]]:
    """Built-in suggestions with the shop's scripts merged: a shop script with the same
    situation and method_id replaces the built-in one; the shop's others come first."""
    reading = _Reading(text, coach["intent"], coach.get("objection_type"), coach["emotion"])
    builtin = [
        {
            "method": s.method,
            "method_id": s.method_id,
            "situation": s.situation,
            "why": s.why,
            "text": s.text,
            "template": s.template,
            "source": "builtin",
        }
        for s in suggest(reading, limit=SUGGESTIONS, variables=variables)
    ]
    situations = _situations(coach, builtin)
    if not situations:
        return builtin
    scripts = ShopScript.objects.filter(shop_id=shop_id, situation__in=situations).order_by("id")
    own = {(s.situation, s.method_id): s for s in scripts if s.method_id}
    replaced: set[tuple[str, str]] = set()
    merged = []
    for item in builtin:
        script = own.get((item["situation"], item["method_id"]))
        if script is not None:
            replaced.add((script.situation, script.method_id))
            item = {
                **item,
                "method": script.method or item["method"],
                "why": script.why or item["why"],
                "template": script.text,
                "text": fill_template(script.text, variables),
                "source": "shop",
            }
        merged.append(item)
    added = [
        {
            "method": s.method,
            "method_id": s.method_id or f"shop-{s.id}",
            "situation": s.situation,
            "why": s.why,
            "text": fill_template(s.text, variables),
            "template": s.text,
            "source": "shop",
        }
        for s in scripts
        if (s.situation, s.method_id) not in replaced
    ]
    return added + merged


def _faq(shop_faq_mode: str, shop_id: int, text: str) -> dict[str, Any] | None:
    if shop_faq_mode == FaqMode.OFF:
        return None
    found = faq_cache.best_match(shop_id, text)
    if found is None:
        return None
    match, question = found
    return {
        "entry_id": int(match.entry_id),
        "question": question,
        "answer": match.answer,
        "score": match.score,
    }


def fitting_quick_replies(
    actor: Membership, conv: Conversation, text: str, coach: dict[str, Any]
) -> list[dict[str, Any]]:
    """Quick replies whose keyword the customer used, then those mentioning the topic's words."""
    topic = TOPIC_WORDS.get(coach.get("objection_type") or "", ()) or TOPIC_WORDS.get(
        coach.get("intent") or "", ()
    )
    scored = []
    for reply in QuickReply.objects.filter(shop_id=actor.shop_id).order_by("keyword")[:500]:
        if reply.keyword and reply.keyword in text:
            scored.append((0, reply))
        elif any(w in reply.keyword or w in reply.text for w in topic):
            scored.append((1, reply))
    scored.sort(key=lambda pair: pair[0])
    customer = wire.visitor_label(conv.visitor_id, conv.visitor.nickname)
    return [
        {
            "id": r.id,
            "keyword": r.keyword,
            "text": playbook_services.fill_variables(
                r.text, customer=customer, agent=actor.display_name, shop=actor.shop.name
            ),
        }
        for _rank, r in scored[:QUICK_REPLIES]
    ]


def _agent_replies_since_trouble(recent: list[Message]) -> list[str]:
    """Agent texts after the first customer message of the latest run of trouble."""
    start = None
    for message in reversed(recent):
        if message.sender != SenderKind.CUSTOMER or not message.text:
            continue
        coach = (message.meta or {}).get("coach")
        if coach is not None and not guide.in_trouble(coach):
            break
        start = message.seq
    if start is None:
        return []
    return [m.text for m in recent if m.sender == SenderKind.AGENT and m.seq > start and m.text]


def product_dict(product: Product) -> dict[str, Any]:
    """Staff only: carries the floor price."""
    return {
        "id": product.id,
        "name": product.name,
        "list_price": _money(product.list_price),
        "floor_price": _money(product.floor_price),
        "gift": product.gift,
    }


def _product(actor: Membership, product_id: int) -> Product:
    product = Product.objects.filter(id=product_id, shop_id=actor.shop_id).first()
    if product is None:
        raise NotFound("no_product", _("找不到这个商品。"))
    return product


def coach_panel(
    *, actor: Membership, conversation_id: int, product_id: int | None = None
) -> dict[str, Any]:
    """GET /api/conversations/<id>/coach: everything the suggestions panel shows."""
    conv = chat_services.get_conversation_for(actor=actor, conversation_id=conversation_id)
    product = _product(actor, product_id) if product_id is not None else None
    products = [product_dict(p) for p in Product.objects.filter(shop_id=actor.shop_id)[:200]]
    recent = _recent(conv)
    message = _latest_customer(recent)
    if message is None:
        return {
            "message_id": None,
            "analysis": None,
            "suggestions": [],
            "faq": None,
            "quick_replies": [],
            "guide": None,
            "products": products,
        }
    coach = _reading_of(conv, message, recent)
    variables = _variables(actor, conv, recent, product)
    kind = guide.guide_kind(coach)
    panel_guide: dict[str, Any] | None = None
    if kind == "complaint":
        panel_guide = guide.complaint_guide(_agent_replies_since_trouble(recent), variables)
    elif kind == "closing":
        panel_guide = guide.closing_guide(variables)
    elif kind == "bargain":
        panel_guide = {"kind": "bargain"}
    return {
        "message_id": message.id,
        "analysis": coach,
        "suggestions": suggestions_for(actor.shop_id, message.text, coach, variables),
        "faq": _faq(actor.shop.faq_mode, actor.shop_id, message.text),
        "quick_replies": fitting_quick_replies(actor, conv, message.text, coach),
        "guide": panel_guide,
        "products": products,
    }


# --- bargaining -----------------------------------------------------------------------------


def offer_for(
    *, actor: Membership, product_id: int, rounds: list[str], customer_type: str = "normal"
) -> dict[str, Any]:
    """The next offer on a shop product; `rounds` are the agent's earlier offers, oldest first."""
    product = _product(actor, product_id)
    try:
        earlier = [Decimal(str(r).strip()) for r in rounds[:50]]
    except InvalidOperation as exc:
        raise ServiceError("bad_rounds", _("之前的报价需为数字。")) from exc
    if not all(price.is_finite() and price >= 0 for price in earlier):  # NaN, Infinity
        raise ServiceError("bad_rounds", _("之前的报价需为数字。"))
    try:
        offer = next_offer(
            list_price=product.list_price,
            floor_price=product.floor_price,
            rounds=earlier,
            customer_type=customer_type,
            **({"gift": product.gift} if product.gift else {}),
        )
    except ValueError as exc:
        raise ServiceError(
            "bad_rounds", _("之前的报价不合理：不能高于上一次，也不能低于底价。")
        ) from exc
    return {
        "price": _money(offer.price),
        "concession": _money(offer.concession),
        "final": offer.final,
        "gift_alternative": offer.gift_alternative,
        "wording": offer.wording,
    }


# --- corrections ----------------------------------------------------------------------------


def correct_label(*, actor: Membership, message_id: int, field: str, value: str) -> dict[str, Any]:
    """An agent fixes one label on a customer message: stored, kept for retraining, pushed."""
    names = LABEL_NAMES.get(field)
    if names is None or value not in names:
        raise ServiceError("bad_label", _("标签不正确。"))
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(of=("self",))
            .filter(id=message_id, shop_id=actor.shop_id, sender=SenderKind.CUSTOMER)
            .first()
        )
        if message is None or not message.text:
            raise NotFound("no_message", _("找不到这条消息。"))
        conv = Conversation.objects.select_related("visitor", "assignee").get(
            id=message.conversation_id
        )
        meta = dict(message.meta or {})
        coach = meta.get("coach") or coach_dict(read_message(actor.shop_id, message.text))
        old = coach.get(field) or ""
        meta["coach"] = coach = relabelled(coach, field, value)
        message.meta = meta
        message.save(update_fields=["meta"])
        Correction.objects.create(
            shop_id=actor.shop_id,
            message=message,
            field=field,
            old_value=old,
            new_value=value,
            member=actor,
        )
        events = [analysis_event(conv, message.id, message.seq, coach)]
        if field == "emotion" and message.seq >= conv.last_customer_seq:
            mood = mood_for(value)
            if conv.mood != mood:
                conv.mood = mood
                conv.save(update_fields=["mood"])
                events.append(chat_services.summary_event(conv))
        chat_services.publish_on_commit(events)
    return {"coach": coach}
