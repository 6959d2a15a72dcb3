"""Shops (tenants), their members and roles."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def _new_public_key() -> str:
    return secrets.token_urlsafe(16)


def _new_identity_secret() -> str:
    return secrets.token_hex(32)


class FaqMode(models.TextChoices):
    OFF = "off", _("关闭")
    SUGGEST = "suggest", _("只推荐给客服")
    AUTO_OFFLINE = "auto_offline", _("无客服在线时自动回答")
    AUTO_SCORE = "auto_score", _("匹配度高于门槛时自动回答")


class Shop(models.Model):
    name = models.CharField(_("店铺名称"), max_length=80)
    slug = models.SlugField(_("店铺标识"), max_length=50, unique=True)
    # Embedded in the widget <script> tag on the shop's own site: public, not a secret.
    public_key = models.CharField(max_length=32, unique=True, default=_new_public_key)
    hours_start = models.TimeField(_("营业开始"), default="09:00")
    hours_end = models.TimeField(_("营业结束"), default="23:00")
    # Days of the week the shop is open, Monday = 0, as a string of digits ("0123456").
    open_days = models.CharField(_("营业日"), max_length=7, default="0123456")
    welcome_message = models.TextField(_("欢迎语"), max_length=500, blank=True)
    away_message = models.TextField(_("离线自动回复"), max_length=500, blank=True)
    busy_message = models.TextField(_("忙碌自动回复"), max_length=500, blank=True)
    announcement = models.CharField(_("公告"), max_length=200, blank=True)
    default_capacity = models.PositiveSmallIntegerField(_("默认接待上限"), default=8)
    # Shop rules the reply checker enforces.
    no_bargain = models.BooleanField(_("不议价"), default=False)
    free_shipping_threshold = models.DecimalField(
        _("包邮门槛（元）"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    faq_mode = models.CharField(
        _("常见问题自动回答"), max_length=16, choices=FaqMode.choices, default=FaqMode.SUGGEST
    )
    faq_threshold = models.FloatField(_("自动回答的匹配度门槛"), default=0.8)
    # Signs the customer ids the shop's own site passes through the widget (HMAC-SHA256);
    # a secret: shown to the owner only.
    identity_secret = models.CharField(max_length=64, default=_new_identity_secret)
    # The shop site's key for the JSON API (order pushes), kept as its SHA-256 only; the
    # owner sees the key once, when it is issued, and its last four characters after.
    api_key_hash = models.CharField(max_length=64, blank=True, db_index=True)
    api_key_hint = models.CharField(max_length=8, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("店铺")
        verbose_name_plural = _("店铺")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", _("店主")
    SUPERVISOR = "supervisor", _("主管")
    AGENT = "agent", _("客服")


class Membership(models.Model):
    """A person's seat in a shop: their role, display name and how many chats they take."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.AGENT)
    display_name = models.CharField(_("客服昵称"), max_length=40)
    capacity = models.PositiveSmallIntegerField(_("接待上限"), null=True, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    # Presence: a workbench socket refreshes this while it is open.
    last_seen_at = models.DateTimeField(null=True, blank=True)
    online_sockets = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("成员")
        verbose_name_plural = _("成员")
        constraints = [
            models.UniqueConstraint(fields=["shop", "user"], name="uniq_member_per_shop"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} @ {self.shop_id}"

    @property
    def effective_capacity(self) -> int:
        return self.capacity if self.capacity is not None else self.shop.default_capacity

    @property
    def sees_all(self) -> bool:
        """Owners and supervisors watch every conversation of the shop live."""
        return self.role in (Role.OWNER, Role.SUPERVISOR)
