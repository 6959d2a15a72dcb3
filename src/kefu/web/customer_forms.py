"""Forms of the customer archive pages. They parse and show errors; the services own the rules."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.customers import archive
from kefu.customers.models import TYPE_FIELDS, Customer
from kefu.web.forms import ServiceErrorForm


def _type_field(name: str) -> forms.ChoiceField:
    model_field = Customer._meta.get_field(name)
    return forms.ChoiceField(
        label=model_field.verbose_name,
        choices=[("", _("未设置")), *TYPE_FIELDS[name].choices],
        required=False,
    )


class CustomerEditForm(ServiceErrorForm):
    """Profile and types. Built without the personal fields for those who may not change them."""

    service_error_fields: ClassVar[dict[str, str]] = {"bad_birthday": "birthday"}

    name = forms.CharField(label=_("姓名"), max_length=60, required=False)
    phone = forms.CharField(label=_("手机"), max_length=32, required=False)
    address = forms.CharField(label=_("地址"), max_length=300, required=False)
    birthday = forms.DateField(
        label=_("生日"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text=_("记下生日，到时可以送上祝福。"),
    )
    personality = _type_field("personality")
    buying_behaviour = _type_field("buying_behaviour")
    online_habit = _type_field("online_habit")
    product_knowledge = _type_field("product_knowledge")
    price_attitude = _type_field("price_attitude")
    quality_expectation = _type_field("quality_expectation")

    def __init__(self, *args: Any, personal: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not personal:
            for name in archive.PERSONAL_FIELDS:
                del self.fields[name]

    @property
    def personal_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in archive.PERSONAL_FIELDS if name in self.fields]

    @property
    def type_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in TYPE_FIELDS]

    @classmethod
    def initial_for(cls, item: Any) -> dict[str, Any]:
        return {name: getattr(item, name) for name in cls.base_fields}

    def service_fields(self) -> dict[str, Any]:
        """The changes for `archive.update_customer`: every field this form holds."""
        return {"changes": dict(self.cleaned_data)}
