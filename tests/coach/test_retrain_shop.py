"""The shop side of retraining: gathering corrections, storing models, the page, API and CLI."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from typer.testing import CliRunner

from kefu import errors
from kefu.assist.classifier import Classifier, train
from kefu.assist.dataset import LabelledMessage, load_messages
from kefu.assist.retrain import RetrainResult
from kefu.chat.models import Conversation, Message, SenderKind, Visitor
from kefu.coach import retrain as shop_retrain
from kefu.coach.models import Correction, RetrainState, ShopModel

COACH = {"intent": "inquiry", "objection_type": None, "emotion": "neutral"}


@pytest.fixture(scope="module")
def tiny_classifier() -> Classifier:
    return train(load_messages("train")[::40])


def customer_message(shop, text: str, coach: dict | None = None) -> Message:  # type: ignore[no-untyped-def]
    visitor = Visitor.objects.create(shop=shop, nickname="顾客")
    conv = Conversation.objects.create(shop=shop, visitor=visitor)
    return Message.objects.create(
        shop=shop,
        conversation=conv,
        seq=1,
        client_id=text[:60],
        sender=SenderKind.CUSTOMER,
        text=text,
        meta={"coach": dict(coach or COACH)},
        created_at=timezone.now(),
    )


def correct(message: Message, field: str, value: str, member=None) -> Correction:  # type: ignore[no-untyped-def]
    return Correction.objects.create(
        shop=message.shop, message=message, field=field, new_value=value, member=member
    )


@pytest.fixture
def fake_retrain(monkeypatch, tiny_classifier):  # type: ignore[no-untyped-def]
    """assist.retrain replaced by a fast stand-in whose verdict the test sets."""
    calls: list[list[LabelledMessage]] = []
    verdict: dict[str, object] = {"switch": True, "gate": None}

    def fake(extras, *, current=None, **_: object) -> RetrainResult:  # type: ignore[no-untyped-def]
        calls.append(list(extras))
        gate = verdict["gate"]
        if isinstance(gate, threading.Event):
            gate.wait(10)  # the test holds the run "running" until it lets go
        side = {
            "dev": {
                "intent_macro_f1": 0.8,
                "objection_type_accuracy": 0.9,
                "emotion_macro_f1": 0.85,
                "messages": 10,
            },
            "corrections": {
                "intent_accuracy": 0.5,
                "objection_type_accuracy": None,
                "emotion_accuracy": 1.0,
                "accuracy": 0.75,
                "messages": len(extras),
            },
        }
        figures = {
            "before": side,
            "after": side,
            "current": "shop" if current else "base",
            "extras": len(extras),
            "seconds": 0.1,
            "folds": 2,
        }
        return RetrainResult(tiny_classifier, figures, bool(verdict["switch"]), "测试结论")

    monkeypatch.setattr(shop_retrain, "retrain", fake)
    fake.calls = calls  # type: ignore[attr-defined]
    fake.verdict = verdict  # type: ignore[attr-defined]
    return fake


# --- gathering -----------------------------------------------------------------------------


def test_corrections_are_gathered_for_the_shop_only(make_shop) -> None:  # type: ignore[no-untyped-def]
    # given corrections in two shops
    ours, theirs = make_shop(), make_shop()
    correct(customer_message(ours.shop, "能刻字吗"), "intent", "order")
    correct(customer_message(theirs.shop, "别家更便宜"), "intent", "other")
    # when our shop's are gathered
    extras, used = shop_retrain.gather_corrections(ours.shop)
    # then only ours come back, with the stored labels and the corrected one
    assert extras == [
        LabelledMessage("能刻字吗", "order", None, "neutral", source=extras[0].source)
    ]
    assert used == 1


def test_the_latest_correction_per_field_wins(make_shop) -> None:  # type: ignore[no-untyped-def]
    people = make_shop()
    message = customer_message(people.shop, "太贵了")
    correct(message, "intent", "order")
    correct(message, "emotion", "hesitant")
    correct(message, "intent", "objection")
    correct(message, "objection_type", "price")
    extras, used = shop_retrain.gather_corrections(people.shop)
    assert [(m.intent, m.objection_type, m.emotion) for m in extras] == [
        ("objection", "price", "hesitant")
    ]
    assert used == 4


def test_objection_type_is_dropped_unless_the_intent_is_an_objection(make_shop) -> None:  # type: ignore[no-untyped-def]
    people = make_shop()
    stored = {"intent": "objection", "objection_type": "price", "emotion": "neutral"}
    correct(customer_message(people.shop, "多少钱", stored), "intent", "inquiry")
    extras, _ = shop_retrain.gather_corrections(people.shop)
    assert (extras[0].intent, extras[0].objection_type) == ("inquiry", None)


# --- running -------------------------------------------------------------------------------


def test_only_the_owner_may_retrain(make_shop, fake_retrain) -> None:  # type: ignore[no-untyped-def]
    people, other = make_shop(), make_shop()
    for actor in (people.agent, people.supervisor, other.owner):
        with pytest.raises(errors.Forbidden):
            shop_retrain.retrain_shop(actor=actor, shop=people.shop)
    assert not ShopModel.objects.filter(shop=people.shop).exists()


def test_a_switched_model_is_stored_and_replaces_the_active_one(make_shop, fake_retrain) -> None:  # type: ignore[no-untyped-def]
    people = make_shop()
    correct(customer_message(people.shop, "能刻字吗"), "intent", "order")
    first = shop_retrain.retrain_shop(actor=people.owner, shop=people.shop)
    second = shop_retrain.retrain_shop(actor=people.owner, shop=people.shop)
    first.refresh_from_db()
    assert (first.active, second.active) == (False, True)
    assert second.state == RetrainState.DONE and second.corrections_used == 1
    assert second.figures["switched"] is True
    assert (Path(settings.DATA_DIR) / second.path).is_file()
    assert Path(second.path).name.startswith(f"shop-{people.shop.pk}-")


def test_a_model_that_is_worse_is_kept_but_not_switched_to(make_shop, fake_retrain) -> None:  # type: ignore[no-untyped-def]
    people = make_shop()
    good = shop_retrain.retrain_shop(actor=people.owner, shop=people.shop)
    fake_retrain.verdict["switch"] = False
    worse = shop_retrain.retrain_shop(actor=people.owner, shop=people.shop)
    good.refresh_from_db()
    assert good.active and not worse.active
    assert worse.path == "" and worse.figures["switched"] is False


def test_a_second_run_is_refused_while_one_is_running(make_shop, fake_retrain) -> None:  # type: ignore[no-untyped-def]
    people = make_shop()
    ShopModel.objects.create(shop=people.shop, path="", state=RetrainState.RUNNING)
    with pytest.raises(shop_retrain.RetrainRunning):
        shop_retrain.retrain_shop(actor=people.owner, shop=people.shop)


def test_a_run_left_running_by_a_dead_process_does_not_block(make_shop, fake_retrain) -> None:  # type: ignore[no-untyped-def]
    people = make_shop()
    stale = ShopModel.objects.create(shop=people.shop, path="", state=RetrainState.RUNNING)
    ShopModel.objects.filter(pk=stale.pk).update(
        created_at=timezone.now() - shop_retrain.STALE_AFTER - dt.timedelta(minutes=1)
    )
    run = shop_retrain.retrain_shop(actor=people.owner, shop=people.shop)
    stale.refresh_from_db()
    assert run.state == RetrainState.DONE and stale.state == RetrainState.FAILED


def test_a_failed_run_is_recorded(make_shop, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    people = make_shop()

    def broken(*args: object, **kwargs: object) -> RetrainResult:
        raise ValueError("no labelled messages")

    monkeypatch.setattr(shop_retrain, "retrain", broken)
    with pytest.raises(ValueError):
        shop_retrain.retrain_shop(actor=people.owner, shop=people.shop)
    assert shop_retrain.status(people.shop)["state"] == "failed"


# --- the analyzer's hook -------------------------------------------------------------------


def test_the_hook_reads_with_the_shops_active_model(make_shop, fake_retrain) -> None:  # type: ignore[no-untyped-def]
    people, other = make_shop(), make_shop()
    assert shop_retrain.classifier_for_shop(people.shop.pk) is None
    shop_retrain.retrain_shop(actor=people.owner, shop=people.shop)
    reader = shop_retrain.classifier_for_shop(people.shop.pk)
    assert reader is not None
    assert reader("这个多少钱", ()).intent
    assert shop_retrain.shop_classifier(people.shop.pk) is not None
    assert shop_retrain.classifier_for_shop(other.shop.pk) is None


def test_the_hook_reloads_when_the_active_model_changes(make_shop, fake_retrain) -> None:  # type: ignore[no-untyped-def]
    people = make_shop()
    shop_retrain.retrain_shop(actor=people.owner, shop=people.shop)
    first = shop_retrain.shop_classifier(people.shop.pk)
    assert shop_retrain.shop_classifier(people.shop.pk) is first  # cached
    shop_retrain.retrain_shop(actor=people.owner, shop=people.shop)
    assert shop_retrain.shop_classifier(people.shop.pk) is not first


# --- command line, page, API ---------------------------------------------------------------


def test_cli_prints_before_after_and_the_verdict(make_shop, fake_retrain) -> None:  # type: ignore[no-untyped-def]
    from kefu.cli import app

    people = make_shop(slug="cli-shop")
    result = CliRunner().invoke(app, ["assist", "retrain", "--shop", "cli-shop"])
    assert result.exit_code == 0, result.output
    assert "训练前" in result.output and "训练后" in result.output
    assert "意图 宏平均F1（基准开发集）" in result.output
    assert "结论：测试结论" in result.output
    assert ShopModel.objects.get(shop=people.shop).active


def test_cli_refuses_an_unknown_shop(db) -> None:  # type: ignore[no-untyped-def]
    from kefu.cli import app

    result = CliRunner().invoke(app, ["assist", "retrain", "--shop", "no-such-shop"])
    assert result.exit_code == 2


def test_page_shows_corrections_and_the_button_to_owners(make_shop, client) -> None:  # type: ignore[no-untyped-def]
    people = make_shop()
    correct(customer_message(people.shop, "能刻字吗"), "intent", "order")
    client.login(username=people.owner.user.username, password=people.password)
    page = client.get("/desk/coach/").content.decode()
    assert "重新训练" in page and 'data-testid="corrections">1<' in page
    assert "基础模型" in page


def test_page_is_refused_to_agents(make_shop, client) -> None:  # type: ignore[no-untyped-def]
    people = make_shop()
    client.login(username=people.agent.user.username, password=people.password)
    assert client.get("/desk/coach/").status_code == 403
    assert client.post("/desk/coach/").status_code == 403


def test_page_button_starts_the_job(make_shop, client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    people = make_shop()
    started = []
    monkeypatch.setattr(shop_retrain, "start_retrain", lambda **kw: started.append(kw))
    client.login(username=people.owner.user.username, password=people.password)
    response = client.post("/desk/coach/")
    assert response.status_code == 302 and started == [{"actor": people.owner, "shop": people.shop}]


def test_page_shows_before_after_and_refreshes_while_running(
    make_shop, client, fake_retrain
) -> None:  # type: ignore[no-untyped-def]
    people = make_shop()
    shop_retrain.retrain_shop(actor=people.owner, shop=people.shop)
    client.login(username=people.owner.user.username, password=people.password)
    page = client.get("/desk/coach/").content.decode()
    assert "训练前" in page and "0.800" in page and 'http-equiv="refresh"' not in page
    ShopModel.objects.create(shop=people.shop, path="", state=RetrainState.RUNNING)
    assert 'http-equiv="refresh"' in client.get("/desk/coach/").content.decode()


def test_api_reports_idle_then_refuses_agents_to_start(make_shop, client) -> None:  # type: ignore[no-untyped-def]
    people = make_shop()
    client.login(username=people.agent.user.username, password=people.password)
    assert client.get("/api/coach/retrain").json()["state"] == "idle"
    assert client.post("/api/coach/retrain").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_api_starts_a_background_run_once(make_shop, client, fake_retrain) -> None:  # type: ignore[no-untyped-def]
    people = make_shop()
    gate = threading.Event()
    fake_retrain.verdict["gate"] = gate
    client.login(username=people.owner.user.username, password=people.password)
    # when the owner clicks twice while the first run is still training
    first = client.post("/api/coach/retrain")
    second = client.post("/api/coach/retrain")
    gate.set()
    assert shop_retrain.wait_for_retrain(people.shop.pk, timeout=30)
    # then the first started in the background, the second was refused, and one run finished
    assert first.status_code == 200 and first.json()["state"] == "running"
    assert second.status_code == 409
    state = client.get("/api/coach/retrain").json()
    assert state["state"] == "done" and state["switched"] is True
    assert ShopModel.objects.filter(shop=people.shop).count() == 1
