"""The shop's customers: one archive entry per platform account, with types, tags and notes.

The types are the ones shop training teaches (docs/customers.md); each comes with its
tactic in `kefu.customers.types`. The segment columns are written only by
`kefu.customers.segments` (one set-based pass over the shop) and read everywhere else.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.shops.models import Membership, Shop


class Platform(models.TextChoices):
    TAOBAO = "taobao", _("淘宝")
    TMALL = "tmall", _("天猫")
    JD = "jd", _("京东")
    PDD = "pdd", _("拼多多")
    SITE = "site", _("自有网站")


class Personality(models.TextChoices):
    AMIABLE = "amiable", _("和睦型")
    DOMINANT = "dominant", _("专断型")
    ANALYTICAL = "analytical", _("分析型")
    SELF_CENTRED = "self_centred", _("自我型")


class BuyingBehaviour(models.TextChoices):
    SOCIAL = "social", _("社交型")
    STRAIGHT = "straight", _("购买型")
    POLITE = "polite", _("礼貌型")
    HAGGLER = "haggler", _("论价型")
    NEVER_PAYS = "never_pays", _("拍下不买型")


class OnlineHabit(models.TextChoices):
    FIRST_TIMER = "first_timer", _("初次网购")
    RELUCTANT = "reluctant", _("谨慎犹豫")
    BARGAIN_HUNTER = "bargain_hunter", _("寻找便宜")
    SURGICAL = "surgical", _("目标明确")
    ENTHUSIAST = "enthusiast", _("热爱网购")
    POWER = "power", _("网购老手")


class ProductKnowledge(models.TextChoices):
    NONE = "none", _("不了解产品")
    SOME = "some", _("略懂产品")
    EXPERT = "expert", _("产品行家")


class PriceAttitude(models.TextChoices):
    ACCEPTS = "accepts", _("接受标价")
    TESTS = "tests", _("试探还价")
    MUST_HAGGLE = "must_haggle", _("非砍价不可")


class QualityExpectation(models.TextChoices):
    EXPERIENCED = "experienced", _("有购物经验")
    SUSPICIOUS = "suspicious", _("怀疑实物与图片不符")
    PERFECTIONIST = "perfectionist", _("追求完美")


class Segment(models.TextChoices):
    GOLD = "gold", _("黄金客户")
    METEOR = "meteor", _("流星客户")
    SMALL_STAR = "small_star", _("小星客户")
    BURDEN = "burden", _("负担客户")
    NEW = "new", _("新客户")  # one modest order in the window: too early to tell
    NONE = "none", _("暂无订单")  # nothing bought in the window


# The customer's type fields and their choices, in the order the archive shows them.
TYPE_FIELDS: dict[str, type[models.TextChoices]] = {
    "personality": Personality,
    "buying_behaviour": BuyingBehaviour,
    "online_habit": OnlineHabit,
    "product_knowledge": ProductKnowledge,
    "price_attitude": PriceAttitude,
    "quality_expectation": QualityExpectation,
}


class Customer(models.Model):
    """A buyer as the platform knows them (旺旺名, JD account, site account)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="customers")
    platform = models.CharField(_("平台"), max_length=8, choices=Platform.choices)
    nickname = models.CharField(_("买家账号"), max_length=100)
    name = models.CharField(_("姓名"), max_length=60, blank=True)
    phone = models.CharField(_("手机"), max_length=32, blank=True)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    birthday = models.DateField(_("生日"), null=True, blank=True)

    personality = models.CharField(
        _("性格"), max_length=16, choices=Personality.choices, blank=True
    )
    buying_behaviour = models.CharField(
        _("购买行为"), max_length=16, choices=BuyingBehaviour.choices, blank=True
    )
    online_habit = models.CharField(
        _("网购习惯"), max_length=16, choices=OnlineHabit.choices, blank=True
    )
    product_knowledge = models.CharField(
        _("产品认知"), max_length=16, choices=ProductKnowledge.choices, blank=True
    )
    price_attitude = models.CharField(
        _("价格态度"), max_length=16, choices=PriceAttitude.choices, blank=True
    )
    quality_expectation = models.CharField(
        _("质量期望"), max_length=16, choices=QualityExpectation.choices, blank=True
    )

    # Written by the segmentation pass (kefu.customers.segments); figures over the window.
    segment = models.CharField(
        _("客户分层"), max_length=12, choices=Segment.choices, default=Segment.NONE
    )
    seg_orders = models.PositiveIntegerField(default=0)  # paid orders in the window
    seg_spend = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    seg_refunds = models.PositiveIntegerField(default=0)  # orders refunded or returned
    seg_refund_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    seg_unpaid = models.PositiveIntegerField(default=0)  # orders placed but never paid
    seg_complaints = models.PositiveIntegerField(default=0)  # complaint messages
    seg_haggles = models.PositiveIntegerField(default=0)  # price objections
    seg_messages = models.PositiveIntegerField(default=0)  # customer messages in chats
    seg_chitchat = models.PositiveIntegerField(default=0)  # of those, greetings and small talk
    total_orders = models.PositiveIntegerField(default=0)  # paid orders ever
    last_order_at = models.DateTimeField(null=True, blank=True)
    # What the data suggests for buying_behaviour; an agent confirms it (or not).
    suggested_buying = models.CharField(max_length=16, choices=BuyingBehaviour.choices, blank=True)
    segmented_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("客户")
        verbose_name_plural = _("客户")
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "platform", "nickname"], name="uniq_customer_account"
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "segment"], name="customer_segment"),
            models.Index(fields=["shop", "phone"], name="customer_phone"),
            models.Index(fields=["shop", "last_order_at"], name="customer_last_order"),
        ]

    def __str__(self) -> str:
        return f"{self.nickname} ({self.platform})"


class CustomerTag(models.Model):
    """A word an agent puts on a customer (老客户, 推荐过朋友, 拒绝竞品…)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(_("标签"), max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("客户标签")
        verbose_name_plural = _("客户标签")
        constraints = [
            models.UniqueConstraint(fields=["customer", "name"], name="uniq_customer_tag"),
        ]
        indexes = [models.Index(fields=["shop", "name"], name="customer_tag_name")]

    def __str__(self) -> str:
        return self.name


class CustomerNote(models.Model):
    """Something an agent wants the next colleague to know about this customer."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("备注"), max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("客户备注")
        verbose_name_plural = _("客户备注")
        indexes = [models.Index(fields=["customer", "-created_at"], name="customer_note_time")]

    def __str__(self) -> str:
        return self.text[:20]


class SegmentSettings(models.Model):
    """How a shop draws its segments; missing means the defaults below."""

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="segment_settings")
    window_days = models.PositiveIntegerField(_("统计天数"), default=180)
    # "High value": window spend at or above this quantile of the shop's buying customers,
    # or at or above a fixed amount when the owner sets one.
    high_value_quantile = models.FloatField(_("高价值分位"), default=0.8)
    high_value_amount = models.DecimalField(
        _("高价值金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    # "Steady": this many paid orders in the window or more.
    repeat_orders = models.PositiveIntegerField(_("回头客下单次数"), default=2)
    # "Burden": refunds take this share of the spend or more, or the service incidents
    # (refunds, complaints, bargaining rounds) reach this count per paid order.
    burden_refund_share = models.FloatField(_("负担：退款占比"), default=0.5)
    burden_incidents_per_order = models.FloatField(_("负担：每单服务次数"), default=3.0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("分层设置")
        verbose_name_plural = _("分层设置")

    def __str__(self) -> str:
        return f"{self.shop_id}"


class SegmentRun(models.Model):
    """One segmentation of a shop: the counts per segment and who moved where."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="segment_runs")
    computed_at = models.DateTimeField(auto_now_add=True)
    window_days = models.PositiveIntegerField()
    high_value_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    counts = models.JSONField(default=dict)  # {"gold": 12, …}
    moves = models.JSONField(default=dict)  # {"gold>meteor": 3, …}, changes only
    customers = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)

    class Meta:
        verbose_name = _("分层记录")
        verbose_name_plural = _("分层记录")
        indexes = [models.Index(fields=["shop", "-computed_at"], name="segment_run_time")]

    def __str__(self) -> str:
        return f"{self.shop_id}@{self.computed_at:%Y-%m-%d %H:%M}"
