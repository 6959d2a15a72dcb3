"""Pages: the customer widget, the demo shop, the agent workbench and the shop's settings.

Views only parse, call a service and render. Who may change what is decided by the
services; the role checks here only decide which buttons to draw.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial, wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu import errors
from kefu.chat import services as chat_services
from kefu.customers import linking
from kefu.playbook import services as playbook_services
from kefu.shops import api_keys
from kefu.shops import services as shop_services
from kefu.shops.models import Membership, Role, Shop
from kefu.web import forms
from kefu.web.demo_catalogue import DEMO_PRODUCTS

MemberView = Callable[..., HttpResponse]


def _content_security_policy(request: HttpRequest, *, frame_ancestors: str) -> str:
    """Everything from our own origin only: a slip in escaping still cannot run a script."""
    host = request.get_host()
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' blob: data:",
            f"connect-src 'self' ws://{host} wss://{host}",
            "frame-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        ]
    )


def _shop_for_key(public_key: str) -> Shop:
    try:
        return chat_services.get_shop_by_key(public_key)
    except errors.NotFound:
        raise Http404(_("找不到这家店铺。")) from None


def member_required(view: MemberView) -> Callable[..., HttpResponse]:
    """Logged in and holding a seat in a shop; the seat is passed to the view."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            member = shop_services.get_member_for(user=request.user)
        except errors.Forbidden as refusal:
            return render_refusal(request, refusal, member=None)
        return view(request, member, *args, **kwargs)

    return wrapper


def render_refusal(
    request: HttpRequest, refusal: errors.ServiceError, *, member: Membership | None
) -> HttpResponse:
    context = {"member": member, "reason": refusal.message, **_nav(member)}
    return render(request, "web/refused.html", context, status=refusal.status)


def _nav(member: Membership | None) -> dict[str, Any]:
    """Which settings links the top bar shows (the pages themselves are guarded by services)."""
    role = member.role if member else None
    return {
        "can_edit_settings": role == Role.OWNER,
        "can_edit_quick_replies": role in (Role.OWNER, Role.SUPERVISOR),
        "can_edit_playbook": role in (Role.OWNER, Role.SUPERVISOR),
        "shows_admin_links": role in (Role.OWNER, Role.SUPERVISOR),
    }


def render_page(
    request: HttpRequest, member: Membership, template: str, context: dict[str, Any]
) -> HttpResponse:
    return render(
        request, template, {"member": member, "shop": member.shop, **_nav(member), **context}
    )


def save_form(
    request: HttpRequest,
    member: Membership,
    form: forms.ServiceErrorForm,
    save: Callable[..., Any],
    *,
    success: str,
    redirect_to: str,
    after_save: Callable[[Any], None] | None = None,
    missing_is_404: bool = False,
) -> HttpResponse | None:
    """Hand a posted form to its service: the redirect once saved, or the refusal page.

    `save` is the service, called as `save(actor=member, **form.service_fields())`. None
    means: show the form again, now carrying the errors, the parser's or the service's (next
    to the field the refusal is about). `missing_is_404` is for edits: an item deleted while
    the form was open is a 404, as it is when the page is opened.
    """
    if not form.is_valid():
        return None
    try:
        saved = save(actor=member, **form.service_fields())
    except errors.Forbidden as refusal:
        return render_refusal(request, refusal, member=member)
    except errors.NotFound as error:
        if missing_is_404:
            raise Http404 from None
        form.add_service_error(error)
        return None
    except errors.ServiceError as error:
        form.add_service_error(error)
        return None
    messages.success(request, success)
    if after_save is not None:
        after_save(saved)
    return redirect(redirect_to)


def run_action(
    request: HttpRequest,
    member: Membership,
    action: Callable[..., Any],
    *,
    success: str,
    redirect_to: str,
) -> HttpResponse:
    """One small POST action through its service (called as `action(actor=member)`), then
    back to the page with what happened: a refusal page, a 404, or a message."""
    try:
        action(actor=member)
    except errors.Forbidden as refusal:
        return render_refusal(request, refusal, member=member)
    except errors.NotFound:
        raise Http404 from None
    except errors.ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)
    return redirect(redirect_to)


# Deleting an item of a list is one such action.
delete_item = run_action


# --- customer side --------------------------------------------------------------------------


@require_GET
@xframe_options_exempt
def widget(request: HttpRequest, public_key: str) -> HttpResponse:
    """The chat a customer sees, framed by widget.js on the shop's own site."""
    shop = _shop_for_key(public_key)
    config = {
        "key": shop.public_key,
        "ws_path": "/ws/visitor",
        "upload_url": "/api/visitor/upload",
        "max_chars": settings.KEFU_MAX_MESSAGE_CHARS,
        "max_image_bytes": settings.KEFU_MAX_IMAGE_BYTES,
        # The shop's site vouched for its logged-in user (data-customer-sig): the chat
        # passes kefu's own token on, so the socket never checks the site's signature.
        "identity": linking.identity_token(
            shop=shop,
            site_customer_id=request.GET.get("customer", ""),
            signature=request.GET.get("customer_sig", ""),
            name=request.GET.get("customer_name", ""),
        ),
    }
    response = render(
        request,
        "web/widget.html",
        {"shop": shop, "config": config, "is_open": shop_services.is_open_now(shop)},
    )
    response["Content-Security-Policy"] = _content_security_policy(request, frame_ancestors="*")
    return response


@require_GET
def demo(request: HttpRequest, public_key: str) -> HttpResponse:
    """A made-up product page that embeds the widget exactly as a shop's own site would."""
    shop = _shop_for_key(public_key)
    context = {
        "shop": shop,
        "products": DEMO_PRODUCTS,
        "widget_src": request.build_absolute_uri(static("kefu/widget.js")),
    }
    response = render(request, "web/demo.html", context)
    response["Content-Security-Policy"] = _content_security_policy(
        request, frame_ancestors="'self'"
    )
    return response


# --- the workbench --------------------------------------------------------------------------


@require_GET
@member_required
def desk(request: HttpRequest, member: Membership) -> HttpResponse:
    config = {
        "me": {"member_id": member.pk, "name": member.display_name, "role": member.role},
        "sees_all": member.sees_all,
        "shop": {"id": member.shop_id, "name": member.shop.name},
        "ws_path": "/ws/agent",
        "api": "/api",
        "login_url": reverse("login"),
        "max_chars": settings.KEFU_MAX_MESSAGE_CHARS,
    }
    response = render_page(request, member, "web/desk.html", {"config": config})
    response["Content-Security-Policy"] = _content_security_policy(
        request, frame_ancestors="'none'"
    )
    return response


@require_http_methods(["GET", "POST"])
@member_required
def shop_settings(request: HttpRequest, member: Membership) -> HttpResponse:
    shop = member.shop
    if request.method == "POST":
        form = forms.ShopSettingsForm(request.POST)
        response = save_form(
            request,
            member,
            form,
            shop_services.update_shop_settings,
            success=_("店铺设置已保存。"),
            redirect_to="web:settings",
        )
        if response is not None:
            return response
    else:
        form = forms.ShopSettingsForm(initial=forms.ShopSettingsForm.initial_for(shop))
    if member.role != Role.OWNER:
        form.make_read_only()
    return _settings_page(request, member, form)


def _settings_page(
    request: HttpRequest, member: Membership, form: forms.ShopSettingsForm, **extra: Any
) -> HttpResponse:
    shop = member.shop
    context = {
        "form": form,
        "widget_src": request.build_absolute_uri(static("kefu/widget.js")),
        "demo_url": reverse("web:demo", args=[shop.public_key]),
        "orders_api_url": request.build_absolute_uri("/api/orders"),
        "is_open": shop_services.is_open_now(shop),
        **extra,
    }
    return render_page(request, member, "web/settings.html", context)


@require_POST
@member_required
def api_key(request: HttpRequest, member: Membership) -> HttpResponse:
    """Issue (shown on this one page, never again) or revoke the shop site's API key, or
    replace its identity secret."""
    try:
        if request.POST.get("action") == "rotate_identity":
            api_keys.rotate_identity_secret(actor=member)
            messages.success(request, _("身份密钥已更换，请在网站服务器上换用新的密钥签名。"))
            return redirect("web:settings")
        if request.POST.get("action") == "revoke":
            api_keys.revoke_api_key(actor=member)
            messages.success(request, _("API 密钥已作废，用它推送订单会被拒绝。"))
            return redirect("web:settings")
        key = api_keys.issue_api_key(actor=member)
    except errors.Forbidden as refusal:
        return render_refusal(request, refusal, member=member)
    member.shop.refresh_from_db()
    form = forms.ShopSettingsForm(initial=forms.ShopSettingsForm.initial_for(member.shop))
    return _settings_page(request, member, form, new_api_key=key)


@require_http_methods(["GET", "POST"])
@member_required
def members(request: HttpRequest, member: Membership) -> HttpResponse:
    create_form = forms.MemberCreateForm()
    bound_row: tuple[int, forms.MemberUpdateForm] | None = None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "update":
                bound_row = _update_member(request, member)
            else:
                create_form = _create_member(request, member)
        except errors.Forbidden as refusal:
            return render_refusal(request, refusal, member=member)
        if bound_row is None and create_form.is_bound is False:
            return redirect("web:members")
    online_ids = set(shop_services.online_members(member.shop_id).values_list("id", flat=True))
    rows = []
    for colleague in shop_services.list_members(actor=member):
        if bound_row is not None and bound_row[0] == colleague.pk:
            form = bound_row[1]
        else:
            form = forms.MemberUpdateForm(
                prefix=f"m{colleague.pk}",
                initial={
                    "display_name": colleague.display_name,
                    "role": colleague.role,
                    "capacity": colleague.effective_capacity,
                    "is_active": colleague.is_active,
                },
            )
        form.place_in_row(f"member-{colleague.pk}")
        if member.role != Role.OWNER:
            form.make_read_only()
        rows.append({"member": colleague, "form": form, "online": colleague.pk in online_ids})
    if member.role != Role.OWNER:
        create_form.make_read_only()
    return render_page(
        request, member, "web/members.html", {"rows": rows, "create_form": create_form}
    )


def _create_member(request: HttpRequest, member: Membership) -> forms.MemberCreateForm:
    """Returns an unbound form when the colleague was added, the bound one with errors if not."""
    form = forms.MemberCreateForm(request.POST)
    if not form.is_valid():
        return form
    try:
        created = shop_services.create_member(actor=member, **form.cleaned_data)
    except errors.Forbidden:
        raise
    except errors.ServiceError as error:
        form.add_service_error(error)
        return form
    messages.success(request, _("已添加成员：%(name)s。") % {"name": created.display_name})
    return forms.MemberCreateForm()


def _update_member(
    request: HttpRequest, member: Membership
) -> tuple[int, forms.MemberUpdateForm] | None:
    """None when saved; otherwise the row's id and its bound form holding the errors."""
    try:
        member_id = int(request.POST.get("member_id", ""))
    except ValueError:
        raise Http404 from None
    form = forms.MemberUpdateForm(request.POST, prefix=f"m{member_id}")
    if not form.is_valid():
        return member_id, form
    try:
        updated = shop_services.update_member(
            actor=member, member_id=member_id, **form.cleaned_data
        )
    except errors.Forbidden:
        raise
    except errors.NotFound:
        raise Http404 from None
    except errors.ServiceError as error:
        form.add_service_error(error)
        return member_id, form
    messages.success(request, _("已保存 %(name)s 的设置。") % {"name": updated.display_name})
    return None


@require_http_methods(["GET", "POST"])
@member_required
def quick_replies(request: HttpRequest, member: Membership) -> HttpResponse:
    form = forms.QuickReplyForm()
    if request.method == "POST":
        form = forms.QuickReplyForm(request.POST)
        response = save_form(
            request,
            member,
            form,
            playbook_services.create_quick_reply,
            success=_("快捷回复已添加。"),
            redirect_to="web:quick_replies",
        )
        if response is not None:
            return response
    query = request.GET.get("q", "")
    context = {
        "form": form,
        "query": query,
        "replies": playbook_services.list_quick_replies(actor=member, query=query, limit=500),
        "example": _variables_example(member),
    }
    return render_page(request, member, "web/quick_replies.html", context)


def _variables_example(member: Membership) -> dict[str, str]:
    return {"customer": _("访客3F2A"), "agent": member.display_name, "shop": member.shop.name}


@require_http_methods(["GET", "POST"])
@member_required
def quick_reply_edit(request: HttpRequest, member: Membership, reply_id: int) -> HttpResponse:
    reply = _quick_reply_of_shop(member, reply_id)
    if request.method == "POST":
        form = forms.QuickReplyForm(request.POST)
        response = save_form(
            request,
            member,
            form,
            partial(playbook_services.update_quick_reply, quick_reply_id=reply.pk),
            success=_("快捷回复已保存。"),
            redirect_to="web:quick_replies",
        )
        if response is not None:
            return response
    else:
        form = forms.QuickReplyForm(initial=forms.QuickReplyForm.initial_for(reply))
    context = {"form": form, "reply": reply, "example": _variables_example(member)}
    return render_page(request, member, "web/quick_reply_edit.html", context)


@require_POST
@member_required
def quick_reply_delete(request: HttpRequest, member: Membership, reply_id: int) -> HttpResponse:
    return delete_item(
        request,
        member,
        partial(playbook_services.delete_quick_reply, quick_reply_id=reply_id),
        success=_("快捷回复已删除。"),
        redirect_to="web:quick_replies",
    )


def _quick_reply_of_shop(member: Membership, reply_id: int) -> Any:
    try:
        return playbook_services.get_quick_reply(actor=member, quick_reply_id=reply_id)
    except errors.NotFound:
        raise Http404(_("找不到这条快捷回复。")) from None
