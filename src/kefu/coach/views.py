"""/desk/coach/: the owner's page for retraining the shop's model on its corrections."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kefu import errors
from kefu.coach import retrain
from kefu.coach.models import Correction, RetrainState
from kefu.shops.models import Membership, Role
from kefu.shops.services import require_role
from kefu.web.views import member_required

REFRESH_SECONDS = 3


def _nav(member: Membership) -> dict[str, Any]:
    """The top bar's flags (as the web pages set them)."""
    return {
        "member": member,
        "shop": member.shop,
        "can_edit_settings": member.role == Role.OWNER,
        "shows_admin_links": member.role in (Role.OWNER, Role.SUPERVISOR),
    }


@require_http_methods(["GET", "POST"])
@member_required
def retrain_page(request: HttpRequest, member: Membership) -> HttpResponse:
    try:
        require_role(member, Role.OWNER)
    except errors.Forbidden as refusal:
        context = {**_nav(member), "reason": refusal.message}
        return render(request, "web/refused.html", context, status=refusal.status)
    shop = member.shop
    if request.method == "POST":
        try:
            retrain.start_retrain(actor=member, shop=shop)
        except retrain.RetrainRunning as busy:
            messages.info(request, busy.message)
        else:
            messages.success(request, _("已开始重新训练，完成后这里会显示结果。"))
        return redirect("coach:retrain")
    run = retrain.latest_run(shop)
    active = retrain.active_model(shop)
    running = run is not None and retrain.status(shop)["state"] == RetrainState.RUNNING
    context = {
        **_nav(member),
        "corrections": Correction.objects.filter(shop=shop).count(),
        "run": run,
        "running": running,
        "refresh_seconds": REFRESH_SECONDS,
        "run_rows": retrain.figure_rows(run.figures) if run is not None else [],
        "active": active,
        "active_rows": retrain.figure_rows(active.figures) if active is not None else [],
    }
    return render(request, "coach/retrain.html", context)
