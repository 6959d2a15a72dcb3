"""The coach's labels: exactly the ids of the taxonomy contract, with their Chinese names.

Every part of kefu that reads a chat speaks these ids and no others.
"""

from __future__ import annotations

INTENTS: dict[str, str] = {
    "greeting": "问候",
    "inquiry": "咨询",
    "objection": "异议",
    "order": "订单/物流",
    "after_sales": "售后",
    "complaint": "投诉",
    "closing": "成交/致谢",
    "other": "其他",
}

OBJECTION_TYPES: dict[str, str] = {
    "need": "需求异议",
    "budget": "财力异议",
    "authority": "权利异议",
    "product": "产品异议",
    "price": "价格异议",
    "timing": "购买时间异议",
    "service": "服务异议",
    "policy": "政策异议",
    "source": "货源异议",
}

EMOTIONS: dict[str, str] = {
    "positive": "满意/愉快",
    "neutral": "平静",
    "hesitant": "犹豫",
    "dissatisfied": "不满",
    "angry": "愤怒",
}

FINDING_CATEGORIES: dict[str, str] = {
    "negative": "负面语言",
    "absolute": "绝对化承诺",
    "blame": "指责顾客",
    "rude": "不文明",
    "curt": "生硬",
    "but": "转折",
}

SEVERITIES: tuple[str, ...] = ("high", "medium", "low")
