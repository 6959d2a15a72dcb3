"""Customer archive pages: the list (search, filters, export) and one customer's page.

Every member reads the archive; the services decide who sees whole personal data, who
edits it and who exports it. The templates only hide what a role cannot use.
"""

from __future__ import annotations

import tempfile
from functools import partial
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu import errors
from kefu.customers import archive, listing, rules, timeline, types
from kefu.customers import services as customer_services
from kefu.customers.models import Customer, Platform, Segment
from kefu.shops.models import Membership
from kefu.web.customer_forms import CustomerEditForm
from kefu.web.views import member_required, render_page, render_refusal, run_action, save_form


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


@require_GET
@member_required
def customer_list(request: HttpRequest, member: Membership) -> HttpResponse:
    filters = listing.CustomerFilters.from_params(request.GET)
    page = listing.list_customers(actor=member, filters=filters, page=_page_number(request))
    context = {
        "filters": filters,
        "page": page,
        "previous_query": filters.query_string(page=page.number - 1 if page.number > 2 else None),
        "next_query": filters.query_string(page=page.number + 1),
        "export_query": filters.query_string(),
        "segments": Segment.choices,
        "type_choices": listing.type_filter_choices(),
        "tags": _with(listing.tag_choices(actor=member), filters.tag),
        "last_order_choices": [
            (k, label) for k, (label, _days) in listing.LAST_ORDER_CHOICES.items()
        ],
        "can_export": archive.can_see_personal_data(member),
        "sees_personal_data": archive.can_see_personal_data(member),
    }
    return render_page(request, member, "web/customers.html", context)


def _with(choices: list[str], chosen: str) -> list[str]:
    """The tag filter's options, with the chosen tag even when it is not among the first ones."""
    return choices if not chosen or chosen in choices else [chosen, *choices]


@require_GET
@member_required
def customer_export(request: HttpRequest, member: Membership) -> HttpResponse:
    filters = listing.CustomerFilters.from_params(request.GET)
    # On disk, not in memory: openpyxl's write-only book is zipped into this file at the end.
    target = tempfile.TemporaryFile()
    try:
        listing.write_customers_xlsx(actor=member, filters=filters, target=target)
    except errors.Forbidden as refusal:
        target.close()
        return render_refusal(request, refusal, member=member)
    target.seek(0)
    stamp = timezone.localtime()
    return FileResponse(
        target,
        as_attachment=True,
        filename=f"客户档案-{stamp:%Y%m%d-%H%M}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _customer_or_404(member: Membership, customer_id: int) -> Customer:
    try:
        return archive.get_customer_for(actor=member, customer_id=customer_id)
    except errors.NotFound:
        raise Http404 from None


@require_http_methods(["GET", "POST"])
@member_required
def customer_detail(request: HttpRequest, member: Membership, customer_id: int) -> HttpResponse:
    customer = _customer_or_404(member, customer_id)
    personal = archive.can_see_personal_data(member)
    if request.method == "POST":
        form = CustomerEditForm(request.POST, personal=personal)
        response = save_form(
            request,
            member,
            form,
            partial(archive.update_customer, customer_id=customer.id),
            success=_("客户资料已保存。"),
            redirect_to=f"{_detail_url(customer.id)}#profile",
            missing_is_404=True,
        )
        if response is not None:
            return response
    else:
        form = CustomerEditForm(initial=CustomerEditForm.initial_for(customer), personal=personal)
    tag_names = list(customer.tags.order_by("created_at", "id").values_list("name", flat=True))
    context = {
        "customer": customer,
        "platform_label": Platform(customer.platform).label
        if customer.platform in Platform.values
        else customer.platform,
        "personal": archive.personal_data(customer, member),
        "sees_personal_data": personal,
        "segment_label": Segment(customer.segment).label if customer.segmented_at else "",
        "segment_reason": rules.segment_reason(customer, rules.rules_for_shop(member.shop_id)),
        "type_cards": types.type_cards(customer),
        "suggestion": _suggestion(customer),
        "loyalty": customer_services.loyalty_signals(customer, tag_names),
        "tags": tag_names,
        "max_tag_chars": archive.MAX_TAG_CHARS,
        "max_note_chars": archive.MAX_NOTE_CHARS,
        "form": form,
        "timeline": timeline.customer_timeline(actor=member, customer_id=customer.id),
    }
    return render_page(request, member, "web/customer_detail.html", context)


def _suggestion(customer: Customer) -> dict[str, Any] | None:
    """The buying behaviour the data points to, why, and whether it is already taken."""
    if not customer.suggested_buying:
        return None
    return {
        "label": customer.get_suggested_buying_display(),
        "reason": rules.buying_suggestion_reason(customer),
        "tactic": types.tactic_for("buying_behaviour", customer.suggested_buying),
        "confirmed": customer.buying_behaviour == customer.suggested_buying,
    }


def _detail_url(customer_id: int) -> str:
    return reverse("customers:detail", args=[customer_id])


@require_POST
@member_required
def confirm_buying(request: HttpRequest, member: Membership, customer_id: int) -> HttpResponse:
    return run_action(
        request,
        member,
        partial(customer_services.confirm_buying_suggestion, customer_id=customer_id),
        success=_("已确认购买行为类型。"),
        redirect_to=f"{_detail_url(customer_id)}#types",
    )


@require_POST
@member_required
def tag_add(request: HttpRequest, member: Membership, customer_id: int) -> HttpResponse:
    name = request.POST.get("name", "")
    return run_action(
        request,
        member,
        partial(archive.add_tag, customer_id=customer_id, name=name),
        success=_("已加上标签“%(name)s”。") % {"name": name.strip()},
        redirect_to=f"{_detail_url(customer_id)}#tags",
    )


@require_POST
@member_required
def tag_remove(request: HttpRequest, member: Membership, customer_id: int) -> HttpResponse:
    name = request.POST.get("name", "")
    return run_action(
        request,
        member,
        partial(archive.remove_tag, customer_id=customer_id, name=name),
        success=_("已去掉标签“%(name)s”。") % {"name": name.strip()},
        redirect_to=f"{_detail_url(customer_id)}#tags",
    )


@require_POST
@member_required
def note_add(request: HttpRequest, member: Membership, customer_id: int) -> HttpResponse:
    return run_action(
        request,
        member,
        partial(archive.add_note, customer_id=customer_id, text=request.POST.get("text", "")),
        success=_("备注已添加。"),
        redirect_to=f"{_detail_url(customer_id)}#timeline",
    )


@require_POST
@member_required
def note_delete(
    request: HttpRequest, member: Membership, customer_id: int, note_id: int
) -> HttpResponse:
    _customer_or_404(member, customer_id)
    return run_action(
        request,
        member,
        partial(archive.delete_note, customer_id=customer_id, note_id=note_id),
        success=_("备注已删除。"),
        redirect_to=f"{_detail_url(customer_id)}#timeline",
    )
