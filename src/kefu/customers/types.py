"""Customer types and how to serve each: the tactic an agent sees beside the type.

The types follow the shop-service training summarised in docs/customers.md; every
sentence here is kefu's own wording, written as a senior agent would brief a new one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from kefu.customers.models import TYPE_FIELDS, Customer

TACTICS = {
    "personality": {
        "amiable": _("好说话、不挑剔，更要用心照顾：主动把细节讲清楚，别因为他不提要求就怠慢。"),
        "dominant": _(
            "说一不二、最容易投诉：先肯定他的判断，回应要快、要准，尽量满足合理要求，让他感到被尊重。"
        ),
        "analytical": _("凡事讲道理：给数据、给对比、讲清原因，一视同仁，不夸大也不含糊。"),
        "self_centred": _(
            "以自我为中心：保持冷静和礼貌，不争辩；是我们的问题就诚恳道歉，再给解决办法。"
        ),
    },
    "buying_behaviour": {
        "social": _("喜欢先聊天：多花点时间陪聊，真诚热情，关系近了再自然地推荐。"),
        "straight": _("下单干脆、不爱被打扰：有问必答、简明扼要，不要反复追问或推销。"),
        "polite": _("客气有礼：用同样的热情回应，多说谢谢，让他感到被重视。"),
        "haggler": _("爱讲价：笑脸相迎但守住价格，讲价值、讲赠品和服务，让步要小而慢。"),
        "never_pays": _("常拍下不付款：下单后及时友好地提醒付款，说明库存和活动时限，不催得太急。"),
    },
    "online_habit": {
        "first_timer": _("第一次网购：一步步教怎么下单付款，多发实拍图，让他放心。"),
        "reluctant": _("担心安全和隐私：主动说明支付保障、退换政策和隐私保护。"),
        "bargain_hunter": _("专找便宜：先介绍优惠券、满减和套餐，再讲性价比。"),
        "surgical": _("清楚自己要什么：直接给准确参数和库存，像专家一样快速帮他下决定。"),
        "enthusiast": _("把网购当乐趣：多给个性化推荐，分享搭配和新品，邀请他关注店铺。"),
        "power": _("网购老手：给完整的商品信息和清晰的链接，别让他自己找。"),
    },
    "product_knowledge": {
        "none": _("不太懂产品：用大白话讲用途和好处，少用术语，帮他挑。"),
        "some": _("懂一些：补充他不知道的要点，先确认他的理解再推荐。"),
        "expert": _("是行家：直接谈参数和工艺，尊重他的专业，不说外行话。"),
    },
    "price_attitude": {
        "accepts": _("认可标价：重点讲品质和服务，别主动提降价。"),
        "tests": _("会试探价格：讲清价格的来由，可以给小礼品或优惠券，不轻易让价。"),
        "must_haggle": _(
            "不砍价不买：早点说明店铺的价格原则，从赠品、包邮这类小让步入手，守住底价。"
        ),
    },
    "quality_expectation": {
        "experienced": _("买过同类商品：用事实说话，讲和同类的区别与优势。"),
        "suspicious": _("怕实物和图片不符：发实拍图、细节图和买家秀，说明退换保障。"),
        "perfectionist": _("要求很高：如实说明小瑕疵，先说不足再说优点，发货前帮他仔细检查。"),
    },
}


@dataclass(frozen=True)
class TypeCard:
    """One type of a customer, ready to show: which kind, which value, how to serve it."""

    field: str
    kind: str  # 性格, 购买行为…
    value: str
    label: str  # 和睦型…
    tactic: str


def tactic_for(field: str, value: str) -> str:
    """The tactic for one type value ("" when the value is empty or unknown)."""
    return str(TACTICS.get(field, {}).get(value, ""))


def type_cards(customer: Customer) -> list[TypeCard]:
    """The customer's set types with their tactics, in the archive's order."""
    cards = []
    for field, choices in TYPE_FIELDS.items():
        value = getattr(customer, field)
        if not value:
            continue
        cards.append(
            TypeCard(
                field=field,
                kind=str(Customer._meta.get_field(field).verbose_name),
                value=value,
                label=str(choices(value).label),
                tactic=tactic_for(field, value),
            )
        )
    return cards
