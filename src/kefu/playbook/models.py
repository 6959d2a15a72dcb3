"""A shop's own words: quick replies (FAQs and scripts come with the coach)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.shops.models import Shop


class QuickReply(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="quick_replies")
    keyword = models.CharField(_("快捷词"), max_length=20)
    text = models.TextField(_("回复内容"), max_length=1000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("快捷回复")
        verbose_name_plural = _("快捷回复")
        ordering = ["keyword"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "keyword"], name="uniq_quick_reply_keyword"),
        ]

    def __str__(self) -> str:
        return self.keyword
