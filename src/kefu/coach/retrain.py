"""Corrections become learning: retrain a shop's model on the base data plus its corrections.

`retrain_shop` gathers the shop's corrections into labelled messages, runs
`kefu.assist.retrain.retrain` against the shop's current model, stores the new
model under ``<data dir>/models/`` when it switched, and records a `ShopModel`
row (figures, verdict) — active only if the new model is not worse. The page and
the API start the same work in a background thread with `start_retrain`.

A run is one ShopModel row: `running` from the start (so a second click, in
this or another process, sees it and is refused), then `done` or `failed`. A
`running` row older than STALE_AFTER is taken for a run whose process died.

The desk's analyzer reads with the shop's model through `classifier_for_shop`
(the hook kefu.coach.reading looks for): cached per process, reloaded when the
active ShopModel changes.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu import errors
from kefu.assist.classifier import Classifier
from kefu.assist.dataset import DataError, LabelledMessage, parse_message
from kefu.assist.retrain import DEV_FIGURES, FIELDS, analyze_with, retrain
from kefu.chat.models import SenderKind
from kefu.coach.models import Correction, RetrainState, ShopModel
from kefu.shops.models import Membership, Role, Shop
from kefu.shops.services import require_role

log = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(minutes=15)
MODELS_SUBDIR = "models"


class RetrainRunning(errors.ServiceError):
    status = 409


# --- gathering -------------------------------------------------------------------------------


def gather_corrections(shop: Shop) -> tuple[list[LabelledMessage], int]:
    """The shop's corrected customer messages as labelled messages, and the corrections used.

    Labels: the stored reading (Message.meta["coach"]) with every correction applied
    in order (the latest per message and field wins); a type correction makes the
    intent an objection, any other intent drops the type. Messages whose labels
    still break the contract (an objection with no type, no emotion ever read)
    are left out. Ordered by their latest correction, oldest first.
    """
    rows = (
        Correction.objects.filter(
            shop=shop, message__shop=shop, message__sender=SenderKind.CUSTOMER
        )
        .select_related("message")
        .order_by("created_at", "pk")
    )
    merged: OrderedDict[int, tuple[str, dict[str, Any], int]] = OrderedDict()
    for row in rows:
        message = row.message
        if message.pk in merged:
            text, labels, count = merged.pop(message.pk)
        else:
            stored = (message.meta or {}).get("coach") or {}
            text, count = message.text, 0
            labels = {field: stored.get(field) for field in FIELDS}
        labels[row.field] = row.new_value or None
        if row.field == "objection_type" and row.new_value:
            labels["intent"] = "objection"
        merged[message.pk] = (text, labels, count + 1)  # re-inserted: ordered by latest
    extras: list[LabelledMessage] = []
    used = 0
    for pk, (text, labels, count) in merged.items():
        if labels["intent"] != "objection":
            labels["objection_type"] = None
        try:
            extras.append(parse_message({"text": text, **labels}, f"message {pk}"))
        except DataError:
            continue  # not a whole labelled message yet: nothing to learn from
        used += count
    return extras, used


# --- running ---------------------------------------------------------------------------------


def _check_owner(actor: Membership | None, shop: Shop) -> None:
    if actor is None:
        return  # the command line: whoever runs it owns the server
    require_role(actor, Role.OWNER)
    if actor.shop_id != shop.pk:
        raise errors.Forbidden("role", _("您的角色没有这个权限，请联系店主。"))


@transaction.atomic
def _claim(shop: Shop) -> ShopModel:
    """A new `running` row, unless a live run holds the shop (stale ones are failed)."""
    Shop.objects.select_for_update().filter(pk=shop.pk).first()  # serialise claims per shop
    running = ShopModel.objects.filter(shop=shop, state=RetrainState.RUNNING)
    running.filter(created_at__lt=timezone.now() - STALE_AFTER).update(
        state=RetrainState.FAILED, reason=_("训练中断（进程已退出）。"), finished_at=timezone.now()
    )
    if running.exists():
        raise RetrainRunning("retrain_running", _("模型正在训练，请稍候再试。"))
    return ShopModel.objects.create(shop=shop, path="", state=RetrainState.RUNNING)


def _model_path(shop: Shop) -> Path:
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
    return Path(MODELS_SUBDIR) / f"shop-{shop.pk}-{stamp}.bin"


def _run(row: ShopModel) -> ShopModel:
    """Train, judge, store; the row ends `done` (switched or not) or `failed`."""
    shop = row.shop
    try:
        extras, used = gather_corrections(shop)
        current = shop_classifier(shop.pk)
        result = retrain(extras, current=current)
        path = ""
        if result.switch:
            relative = _model_path(shop)
            result.classifier.save(Path(settings.DATA_DIR) / relative)
            path = str(relative)
    except Exception as error:  # noqa: BLE001 - recorded on the row for the owner, and logged
        log.exception("retraining shop %s failed", shop.pk)
        row.state, row.reason, row.finished_at = (
            RetrainState.FAILED,
            str(error)[:500],
            timezone.now(),
        )
        row.save(update_fields=["state", "reason", "finished_at"])
        raise
    with transaction.atomic():
        if result.switch:
            ShopModel.objects.filter(shop=shop, active=True).update(active=False)
        row.path = path
        row.active = result.switch
        row.corrections_used = used
        row.figures = {**result.figures, "switched": result.switch}
        row.reason = result.reason
        row.state = RetrainState.DONE
        row.finished_at = timezone.now()
        row.save()
    if result.switch:
        _forget_reader(shop.pk)
    return row


def retrain_shop(*, actor: Membership | None, shop: Shop) -> ShopModel:
    """Retrain now (the command line, tests); owners only when an actor is given."""
    _check_owner(actor, shop)
    return _run(_claim(shop))


_threads: dict[int, threading.Thread] = {}


def start_retrain(*, actor: Membership | None, shop: Shop) -> ShopModel:
    """Start retraining in a background thread; the returned row is `running`."""
    _check_owner(actor, shop)
    row = _claim(shop)

    def work() -> None:
        try:
            _run(row)
        except Exception:  # noqa: BLE001, S110 - _run logged it and marked the row failed
            pass
        finally:
            close_old_connections()

    thread = threading.Thread(target=work, name=f"kefu-retrain-{shop.pk}", daemon=True)
    _threads[shop.pk] = thread
    thread.start()
    return row


def wait_for_retrain(shop_id: int, timeout: float) -> bool:
    """Tests and the command line: wait for this process's background run of a shop."""
    thread = _threads.get(shop_id)
    if thread is not None:
        thread.join(timeout)
        return not thread.is_alive()
    return True


def latest_run(shop: Shop) -> ShopModel | None:
    return ShopModel.objects.filter(shop=shop).order_by("-created_at", "-pk").first()


def active_model(shop: Shop) -> ShopModel | None:
    return ShopModel.objects.filter(shop=shop, active=True).order_by("-pk").first()


def status(shop: Shop) -> dict[str, Any]:
    """GET /api/coach/retrain: the latest run's state, figures and verdict."""
    run = latest_run(shop)
    if run is None:
        return {"state": "idle", "figures": {}, "switched": False, "reason": ""}
    stale = run.state == RetrainState.RUNNING and run.created_at < timezone.now() - STALE_AFTER
    return {
        "state": "failed" if stale else run.state,
        "figures": run.figures,
        "switched": bool(run.figures.get("switched", False)),
        "reason": run.reason,
        "corrections_used": run.corrections_used,
        "started_at": run.created_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }


# --- figures for people ----------------------------------------------------------------------

FIGURE_NAMES = {
    "intent_macro_f1": "意图 宏平均F1（基准开发集）",
    "objection_type_accuracy": "异议类型 准确率（基准开发集）",
    "emotion_macro_f1": "情绪 宏平均F1（基准开发集）",
    "corrections.intent_accuracy": "意图 准确率（本店纠正）",
    "corrections.objection_type_accuracy": "异议类型 准确率（本店纠正）",
    "corrections.emotion_accuracy": "情绪 准确率（本店纠正）",
    "corrections.accuracy": "总准确率（本店纠正）",
}


def figure_rows(figures: dict[str, Any]) -> list[tuple[str, float | None, float | None]]:
    """(Chinese name, before, after) for the page's table and the command line."""
    if not figures:
        return []
    before, after = figures["before"], figures["after"]
    rows: list[tuple[str, float | None, float | None]] = [
        (FIGURE_NAMES[name], before["dev"][name], after["dev"][name]) for name in DEV_FIGURES
    ]
    for field in (*(f"{field}_accuracy" for field in FIELDS), "accuracy"):
        name = FIGURE_NAMES[f"corrections.{field}"]
        rows.append((name, before["corrections"][field], after["corrections"][field]))
    return rows


# --- the analyzer's hook ---------------------------------------------------------------------

ShopReader = Callable[[str, Sequence[str]], Any]  # (text, previous turns) -> Analysis

_models_lock = threading.Lock()
_models: dict[int, tuple[int, Classifier]] = {}  # shop id -> (ShopModel pk, its classifier)


def shop_classifier(shop_id: int) -> Classifier | None:
    """The shop's active model, loaded once per process and again when the active row changes."""
    active = (
        ShopModel.objects.filter(shop_id=shop_id, active=True, state=RetrainState.DONE)
        .exclude(path="")
        .order_by("-pk")
        .values_list("pk", "path")
        .first()
    )
    if active is None:
        return None
    pk, relative = active
    cached = _models.get(shop_id)
    if cached is not None and cached[0] == pk:
        return cached[1]
    with _models_lock:
        try:
            classifier = Classifier.load(Path(settings.DATA_DIR) / relative)
        except (OSError, ValueError, KeyError):
            log.warning(
                "shop %s: model %s cannot be loaded; using the base model", shop_id, relative
            )
            return None
        _models[shop_id] = (pk, classifier)
        return classifier


def classifier_for_shop(shop_id: int) -> ShopReader | None:
    """The hook kefu.coach.reading calls: a reader with the shop's model, or None."""
    classifier = shop_classifier(shop_id)
    if classifier is None:
        return None

    def read(text: str, context: Sequence[str] = ()) -> Any:
        return analyze_with(classifier, text, context)

    return read


def _forget_reader(shop_id: int) -> None:
    """After a switch the analyzer should not wait out its cache to use the new model."""
    from kefu.coach import reading  # the coach backend's module; imported late: no cycle

    forget = getattr(reading, "forget_shop_reader", None)
    if forget is not None:
        forget(shop_id)
