"""Forms of the settings pages. They parse and show errors; the services own the rules."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.errors import ServiceError
from kefu.shops.models import FaqMode, Role, Shop

WEEKDAYS = [
    ("0", _("周一")),
    ("1", _("周二")),
    ("2", _("周三")),
    ("3", _("周四")),
    ("4", _("周五")),
    ("5", _("周六")),
    ("6", _("周日")),
]


class ServiceErrorForm(forms.Form):
    """A form that can show a service's refusal next to the field it is about."""

    # ServiceError.code -> the field the person has to fix; other codes go on top of the form.
    service_error_fields: ClassVar[dict[str, str]] = {}

    def add_service_error(self, error: ServiceError) -> None:
        field = self.service_error_fields.get(error.code)
        self.add_error(field if field in self.fields else None, error.message)

    def make_read_only(self) -> None:
        for field in self.fields.values():
            field.disabled = True

    @classmethod
    def initial_for(cls, item: Any) -> dict[str, Any]:
        """What an edit form starts with: the saved item's attributes of the fields' names."""
        return {name: getattr(item, name) for name in cls.base_fields}

    def service_fields(self) -> dict[str, Any]:
        """The cleaned values as keyword arguments of the service that saves them."""
        return dict(self.cleaned_data)


class ShopSettingsForm(ServiceErrorForm):
    service_error_fields: ClassVar[dict[str, str]] = {
        "bad_name": "name",
        "bad_days": "open_days",
        "bad_threshold": "faq_threshold",
    }

    name = forms.CharField(label=_("店铺名称"), max_length=80)
    hours_start = forms.TimeField(
        label=_("每天开始接待"), widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"})
    )
    hours_end = forms.TimeField(
        label=_("每天结束接待"),
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
        help_text=_("结束早于开始表示跨夜营业，例如 20:00 到次日 02:00。"),
    )
    open_days = forms.MultipleChoiceField(
        label=_("营业日"),
        choices=WEEKDAYS,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请至少选择一天营业日。")},
    )
    welcome_message = forms.CharField(
        label=_("欢迎语"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("顾客第一次打开聊天窗口时自动发送。"),
    )
    away_message = forms.CharField(
        label=_("离线自动回复"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("不在营业时间，或没有客服在线时自动发送。"),
    )
    busy_message = forms.CharField(
        label=_("忙碌自动回复"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "所有客服都接待满时自动发送。可写 {排队人数}，发送时换成顾客在队伍中排第几位。"
        ),
    )
    announcement = forms.CharField(
        label=_("店铺公告"),
        max_length=200,
        required=False,
        help_text=_("显示在聊天窗口顶部，适合写活动、发货时间等。"),
    )
    default_capacity = forms.IntegerField(
        label=_("默认接待上限"),
        min_value=1,
        max_value=500,
        help_text=_("每位客服同时接待的会话数，成员页可以单独调整。"),
    )
    no_bargain = forms.BooleanField(
        label=_("不议价"),
        required=False,
        help_text=_("勾选后，客服回复里答应降价或打折时，检查会提醒。"),
    )
    free_shipping_threshold = forms.DecimalField(
        label=_("包邮门槛（元）"),
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
        help_text=_("满多少元包邮；客服对不满门槛的订单答应包邮时，检查会提醒。留空表示不设门槛。"),
    )
    faq_mode = forms.ChoiceField(
        label=_("自动回答方式"),
        choices=FaqMode.choices,
        required=False,  # a form without it leaves the shop's choice as it is
        help_text=_("自动回答会标为“智能助手”发出，会话仍留在队列里等客服接待。"),
    )
    faq_threshold = forms.FloatField(
        label=_("自动回答的匹配度门槛"),
        required=False,
        min_value=0,
        max_value=1,
        widget=forms.NumberInput(attrs={"step": "0.05"}),
        help_text=_("0 到 1 之间，越高越谨慎。选“匹配度高于门槛时自动回答”时使用，建议 0.8。"),
    )

    @classmethod
    def initial_for(cls, item: Shop) -> dict[str, Any]:
        initial = super().initial_for(item)
        initial["open_days"] = list(item.open_days)
        return initial

    def service_fields(self) -> dict[str, Any]:
        """The cleaned values in the shape update_shop_settings takes."""
        fields = super().service_fields()
        fields["open_days"] = "".join(sorted(fields["open_days"]))
        for optional in ("faq_mode", "faq_threshold"):
            if fields.get(optional) in ("", None):
                fields.pop(optional, None)
        return fields


class MemberCreateForm(ServiceErrorForm):
    service_error_fields: ClassVar[dict[str, str]] = {
        "bad_username": "username",
        "username_taken": "username",
        "weak_password": "password",
        "bad_role": "role",
        "bad_capacity": "capacity",
        "bad_name": "display_name",
    }

    username = forms.CharField(label=_("登录名"), max_length=150)
    password = forms.CharField(
        label=_("初始密码"),
        min_length=8,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("至少 8 位，请让同事登录后尽快修改。"),
    )
    display_name = forms.CharField(
        label=_("客服昵称"), max_length=40, help_text=_("顾客看到的名字，例如“小美”。")
    )
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices, initial=Role.AGENT)
    capacity = forms.IntegerField(
        label=_("接待上限"),
        min_value=0,
        max_value=500,
        required=False,
        help_text=_("留空则使用店铺的默认接待上限。"),
    )


class MemberUpdateForm(ServiceErrorForm):
    service_error_fields: ClassVar[dict[str, str]] = {
        "bad_role": "role",
        "last_owner": "role",
        "bad_capacity": "capacity",
        "bad_name": "display_name",
        "self_disable": "is_active",
    }

    display_name = forms.CharField(label=_("客服昵称"), max_length=40)
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    capacity = forms.IntegerField(label=_("接待上限"), min_value=0, max_value=500)
    is_active = forms.BooleanField(label=_("启用"), required=False)

    def place_in_row(self, html_form_id: str) -> None:
        """Let the inputs sit in their own table cells while belonging to one <form>."""
        for field in self.fields.values():
            field.widget.attrs["form"] = html_form_id


class QuickReplyForm(ServiceErrorForm):
    service_error_fields: ClassVar[dict[str, str]] = {
        "bad_keyword": "keyword",
        "keyword_taken": "keyword",
        "bad_text": "text",
    }

    keyword = forms.CharField(
        label=_("快捷词"),
        max_length=21,  # room for a leading "/" that people like to type; the service strips it
        help_text=_("在回复框输入 / 加快捷词即可搜索，例如 /发货。"),
    )
    text = forms.CharField(
        label=_("回复内容"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4})
    )
