"""Helpers for the coach tests: messages stored the way the writer stores them, then read
by the analyzer synchronously (no thread, no waiting)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from kefu.chat import services as chat_services
from kefu.chat.models import Message
from kefu.coach import faq_cache
from kefu.coach.analyzer import analyzer, jobs_from_events
from kefu.coach.reading import forget_shop_reader


@pytest.fixture(autouse=True)
def _fresh_coach_caches() -> Iterator[None]:
    faq_cache.forget()
    forget_shop_reader()
    yield
    faq_cache.forget()


def customer_says(shop, text: str, *, visitor=None, client_id: str | None = None):  # type: ignore[no-untyped-def]
    """Store a customer message and run the coach on it, as the writer and analyzer would.
    Returns the stored Message (refreshed)."""
    visitor = visitor or chat_services.get_or_create_visitor(shop=shop, token=None)
    n = Message.objects.filter(conversation__visitor=visitor).count()
    (stored,), events = chat_services.store_messages(
        [
            chat_services.Outgoing(
                shop_id=shop.id,
                visitor_id=visitor.id,
                client_id=client_id or f"c{n + 1}",
                text=text,
            )
        ]
    )
    assert stored.error is None and stored.message is not None
    analyzer.handle(jobs_from_events(events))
    return Message.objects.get(id=stored.message["id"])


def agent_says(member, conversation_id: int, text: str, *, confirm: bool = False):  # type: ignore[no-untyped-def]
    n = Message.objects.filter(conversation_id=conversation_id).count()
    (stored,), _events = chat_services.store_messages(
        [
            chat_services.Outgoing(
                shop_id=member.shop_id,
                member_id=member.id,
                conversation_id=conversation_id,
                client_id=f"a{n + 1}",
                text=text,
                confirm=confirm,
            )
        ]
    )
    return stored


def logged_in(member) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(member.user)
    return client


def set_online_now(*members) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import set_online

    set_online(*members)
