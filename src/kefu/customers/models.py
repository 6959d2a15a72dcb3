"""The shop's customers: one archive entry per platform account."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.shops.models import Shop


class Platform(models.TextChoices):
    TAOBAO = "taobao", _("淘宝")
    TMALL = "tmall", _("天猫")
    JD = "jd", _("京东")
    PDD = "pdd", _("拼多多")
    SITE = "site", _("自有网站")


class Customer(models.Model):
    """A buyer as the platform knows them (旺旺名, JD account, site account)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="customers")
    platform = models.CharField(_("平台"), max_length=8, choices=Platform.choices)
    nickname = models.CharField(_("买家账号"), max_length=100)
    name = models.CharField(_("姓名"), max_length=60, blank=True)
    phone = models.CharField(_("手机"), max_length=32, blank=True)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("客户")
        verbose_name_plural = _("客户")
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "platform", "nickname"], name="uniq_customer_account"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nickname} ({self.platform})"
